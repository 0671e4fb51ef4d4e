#include "plugin/cli/setup.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace acrcp {
namespace {

using ::acrcp::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

NodeConfig Config() {
  NodeConfig config;
  config.cloud = *CloudByName("AzureChinaCloud");
  config.registries = {"registry.contoso.com:5000"};
  config.mirrors = {{"mcr.microsoft.com", "myacr.azurecr.cn"}};
  return config;
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(SetupTest, MatchImagesCoverTheCloudRegistriesAndMirrors) {
  const std::string yaml = CredentialProviderConfigYaml(Config(), "/etc/acr/config.json");
  for (const char* pattern : {"\"*.azurecr.cn\"", "\"*.*.geo.azurecr.cn\"",
                              "\"registry.contoso.com:5000\"", "\"mcr.microsoft.com\""}) {
    EXPECT_THAT(yaml, HasSubstr(absl::StrCat("      - ", pattern, "\n")));
  }
  EXPECT_THAT(yaml, Not(HasSubstr("azurecr.io")));
  EXPECT_THAT(yaml, HasSubstr("      - \"--config\"\n      - \"/etc/acr/config.json\"\n"));
}

TEST(SetupTest, K3sPlanLinksTheBinaryAndWritesTheConfig) {
  const SetupPlan plan = PlanSetup("k3s", Config(), "/etc/acr/config.json", "/usr/libexec/p/acp");
  ASSERT_EQ(plan.files.size(), 2u);
  EXPECT_EQ(plan.files[0].path, "/var/lib/rancher/credentialprovider/bin/acr-credential-provider");
  EXPECT_EQ(plan.files[0].link_to, "/usr/libexec/p/acp");
  EXPECT_EQ(plan.files[1].path, "/var/lib/rancher/credentialprovider/config.yaml");
  EXPECT_THAT(plan.next_step, HasSubstr("systemctl restart k3s"));
}

TEST(SetupTest, ApplyIsIdempotentAndBacksUpWhatItReplaces) {
  TempDir root;
  const SetupPlan plan = PlanSetup("kubeadm", Config(), "/etc/acr/config.json", "/usr/lib/x/p");
  std::string log;
  ASSERT_TRUE(ApplySetup(plan, root.path(), false, absl::FromUnixSeconds(0), log).ok()) << log;
  const std::string path = root.path() + "/etc/kubernetes/credential-provider.yaml";
  EXPECT_EQ(Read(path), plan.files[0].content);
  EXPECT_THAT(plan.next_step, HasSubstr("--image-credential-provider-bin-dir=/usr/lib/x"));

  log.clear();
  ASSERT_TRUE(ApplySetup(plan, root.path(), false, absl::FromUnixSeconds(0), log).ok());
  EXPECT_THAT(log, HasSubstr("unchanged " + path));

  std::ofstream(path, std::ios::trunc) << "edited by hand\n";
  log.clear();
  ASSERT_TRUE(ApplySetup(plan, root.path(), false, absl::FromUnixSeconds(0), log).ok());
  EXPECT_EQ(Read(path + ".bak-19700101T000000Z"), "edited by hand\n");
  EXPECT_EQ(Read(path), plan.files[0].content);
}

TEST(SetupTest, DryRunWritesNothing) {
  TempDir root;
  const SetupPlan plan = PlanSetup("k3s", Config(), "/etc/acr/config.json", "/usr/lib/x/p");
  std::string log;
  ASSERT_TRUE(ApplySetup(plan, root.path(), true, absl::FromUnixSeconds(0), log).ok());
  EXPECT_THAT(log, HasSubstr("would link"));
  EXPECT_THAT(log, HasSubstr("dry run: nothing was changed"));
  EXPECT_TRUE(std::filesystem::is_empty(root.path()));
}

}  // namespace
}  // namespace acrcp
