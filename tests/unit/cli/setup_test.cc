#include "plugin/cli/setup.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/base/yaml.h"
#include "tests/unit/test_util.h"

namespace acrcp {
namespace {

using ::acrcp::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kConfigPath[] = "/etc/acr/config.json";
constexpr char kK3sConfig[] = "/var/lib/rancher/credentialprovider/config.yaml";
constexpr char kK3sLink[] = "/var/lib/rancher/credentialprovider/bin/acr-credential-provider";

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

class SetupTest : public ::testing::Test {
 protected:
  SetupRequest Request(const std::string& target) {
    SetupRequest request;
    request.target = target;
    request.root = root_.path();
    request.plugin_path = plugin_;
    request.k3s.provider_config = {kK3sConfig, "K3s's default"};
    request.k3s.provider_bin_dir = {"/var/lib/rancher/credentialprovider/bin", "K3s's default"};
    return request;
  }
  std::string Apply(const absl::StatusOr<SetupPlan>& plan, bool dry_run = false) {
    EXPECT_TRUE(plan.ok()) << plan.status();
    std::string log;
    EXPECT_TRUE(ApplySetup(*plan, root_.path(), dry_run, absl::FromUnixSeconds(0), log).ok())
        << log;
    return log;
  }
  std::string Path(const std::string& on_node) const { return root_.path() + on_node; }

  TempDir root_;
  TempDir elsewhere_;
  const std::string plugin_ = elsewhere_.WriteFile("acr-credential-provider", "#!\n", 0755);
};

TEST_F(SetupTest, MatchImagesCoverTheCloudRegistriesAndMirrors) {
  const std::string yaml = NewProviderConfig(*ProviderEntryFor(Config(), kConfigPath));
  for (const char* pattern : {"\"*.azurecr.cn\"", "\"*.*.geo.azurecr.cn\"",
                              "\"registry.contoso.com:5000\"", "\"mcr.microsoft.com\""}) {
    EXPECT_THAT(yaml, HasSubstr(absl::StrCat("      - ", pattern, "\n")));
  }
  EXPECT_THAT(yaml, Not(HasSubstr("azurecr.io")));
  EXPECT_THAT(yaml, HasSubstr("      - \"--config\"\n      - \"/etc/acr/config.json\"\n"));
}

TEST_F(SetupTest, K3sLinksTheBinaryAndWritesTheConfig) {
  absl::StatusOr<SetupPlan> plan = PlanSetup(Request("k3s"), Config(), kConfigPath);
  const std::string log = Apply(plan);
  EXPECT_EQ(std::filesystem::read_symlink(Path(kK3sLink)).string(), plugin_);
  EXPECT_EQ(Read(Path(kK3sConfig)), NewProviderConfig(*ProviderEntryFor(Config(), kConfigPath)));
  EXPECT_THAT(log, HasSubstr("reads its credential provider config from " +
                             std::string(kK3sConfig) + " (K3s's default)"));
  EXPECT_THAT(plan->next_step, HasSubstr("systemctl restart k3s"));
}

TEST_F(SetupTest, ApplyIsIdempotentAndKeepsACopyOfWhatItChanges) {
  const std::string path = Path(kKubeadmProviderConfig);
  absl::StatusOr<SetupPlan> plan = PlanSetup(Request("kubeadm"), Config(), kConfigPath);
  Apply(plan);
  const std::string first = Read(path);
  EXPECT_EQ(first, NewProviderConfig(*ProviderEntryFor(Config(), kConfigPath)));
  EXPECT_THAT(plan->next_step,
              HasSubstr("--image-credential-provider-bin-dir=" + elsewhere_.path()));

  EXPECT_THAT(Apply(PlanSetup(Request("kubeadm"), Config(), kConfigPath)),
              HasSubstr("unchanged " + path));

  NodeConfig other = Config();
  other.registries = {"registry.fabrikam.com"};
  Apply(PlanSetup(Request("kubeadm"), other, kConfigPath));
  EXPECT_EQ(Read(path + ".bak-19700101T000000Z"), first);
  EXPECT_THAT(Read(path), HasSubstr("registry.fabrikam.com"));
}

TEST_F(SetupTest, DryRunWritesNothingAndShowsTheDiff) {
  const std::string log = Apply(PlanSetup(Request("k3s"), Config(), kConfigPath), true);
  EXPECT_THAT(log, HasSubstr("would link"));
  EXPECT_THAT(log, HasSubstr(absl::StrCat("--- /dev/null\n+++ ", kK3sConfig, "\n@@ -0,0 +1,")));
  EXPECT_THAT(log, HasSubstr("+kind: CredentialProviderConfig\n"));
  EXPECT_THAT(log, HasSubstr("dry run: nothing was changed"));
  EXPECT_TRUE(std::filesystem::is_empty(root_.path()));
}

TEST_F(SetupTest, UsesThePathsK3sUses) {
  SetupRequest request = Request("k3s");
  request.k3s.provider_config = {"/etc/k3s-providers.yaml", "/etc/rancher/k3s/config.yaml"};
  request.k3s.provider_bin_dir = {"/opt/k3s-plugins", "/etc/rancher/k3s/config.yaml.d/a.yaml"};
  const std::string log = Apply(PlanSetup(request, Config(), kConfigPath));
  EXPECT_TRUE(std::filesystem::exists(Path("/etc/k3s-providers.yaml")));
  EXPECT_TRUE(std::filesystem::is_symlink(Path("/opt/k3s-plugins/acr-credential-provider")));
  EXPECT_FALSE(std::filesystem::exists(Path("/var/lib/rancher")));
  EXPECT_THAT(log, HasSubstr("from /etc/k3s-providers.yaml (/etc/rancher/k3s/config.yaml) and "
                             "plugins from /opt/k3s-plugins (/etc/rancher/k3s/config.yaml.d/"
                             "a.yaml)"));
}

TEST_F(SetupTest, RemoveRestoresTheNodeAsItWasBeforeSetup) {
  Apply(PlanSetup(Request("k3s"), Config(), kConfigPath));
  const std::string log = Apply(PlanRemove(Request("k3s")));
  EXPECT_THAT(log, HasSubstr("remove " + Path(kK3sLink)));
  EXPECT_FALSE(std::filesystem::exists(Path("/var/lib/rancher/credentialprovider")))
      << "setup made the directory, its link and its config: all go";
  EXPECT_TRUE(std::filesystem::is_directory(Path("/var/lib/rancher")));

  EXPECT_THAT(Apply(PlanRemove(Request("k3s"))), HasSubstr("nothing of this program's"));
}

TEST_F(SetupTest, RemoveKeepsOtherProviders) {
  const std::string ecr =
      "apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n"
      "  - name: ecr-credential-provider\n    matchImages: [\"*.dkr.ecr.*.amazonaws.com\"]\n"
      "    defaultCacheDuration: 12h\n    apiVersion: credentialprovider.kubelet.k8s.io/v1\n";
  std::filesystem::create_directories(Path("/var/lib/rancher/credentialprovider/bin"));
  std::ofstream(Path(kK3sConfig)) << ecr;
  std::ofstream(Path("/var/lib/rancher/credentialprovider/bin/ecr-credential-provider")) << "x";
  std::filesystem::permissions(
      Path("/var/lib/rancher/credentialprovider/bin/ecr-credential-provider"),
      std::filesystem::perms::owner_all);

  Apply(PlanSetup(Request("k3s"), Config(), kConfigPath));
  absl::StatusOr<YamlNode> both = ParseYaml(Read(Path(kK3sConfig)));
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->Find("providers")->items.size(), 2u);

  Apply(PlanRemove(Request("k3s")));
  EXPECT_EQ(Read(Path(kK3sConfig)), ecr) << "the operator's file, byte for byte";
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(Path(kK3sLink))));
  EXPECT_TRUE(std::filesystem::exists(
      Path("/var/lib/rancher/credentialprovider/bin/ecr-credential-provider")));
}

TEST_F(SetupTest, RemoveLeavesALinkToAnotherProgramAlone) {
  Apply(PlanSetup(Request("k3s"), Config(), kConfigPath));
  const std::string other = elsewhere_.WriteFile("other-copy", "#!\n", 0755);
  ASSERT_EQ(unlink(Path(kK3sLink).c_str()), 0);
  ASSERT_EQ(symlink(other.c_str(), Path(kK3sLink).c_str()), 0);
  const std::string config = Read(Path(kK3sConfig));
  const std::string log = Apply(PlanRemove(Request("k3s")));
  EXPECT_THAT(log, HasSubstr("not a link to this program"));
  EXPECT_EQ(std::filesystem::read_symlink(Path(kK3sLink)).string(), other);
  EXPECT_EQ(Read(Path(kK3sConfig)), config);
}

TEST_F(SetupTest, KubeadmRemoveNamesTheFlagsThatMustGo) {
  Apply(PlanSetup(Request("kubeadm"), Config(), kConfigPath));
  std::filesystem::create_directories(Path("/etc/default"));
  std::ofstream(Path("/etc/default/kubelet"))
      << "KUBELET_EXTRA_ARGS=--image-credential-provider-config=" << kKubeadmProviderConfig
      << " --image-credential-provider-bin-dir=/usr/libexec/x\n";
  absl::StatusOr<SetupPlan> plan = PlanRemove(Request("kubeadm"));
  Apply(plan);
  EXPECT_FALSE(std::filesystem::exists(Path(kKubeadmProviderConfig)));
  EXPECT_THAT(plan->next_step, HasSubstr("from /etc/default/kubelet before the kubelet restarts"));
}

TEST_F(SetupTest, AnUneditableConfigIsRefusedWithTheLine) {
  std::filesystem::create_directories(Path("/var/lib/rancher/credentialprovider"));
  std::ofstream(Path(kK3sConfig)) << "providers: {\n";
  absl::StatusOr<SetupPlan> plan = PlanSetup(Request("k3s"), Config(), kConfigPath);
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(std::string(plan.status().message()), HasSubstr(kK3sConfig));
  EXPECT_THAT(std::string(plan.status().message()), HasSubstr("line "));
}

// setup checks what it would write as the kubelet will, and writes nothing it would refuse.
TEST_F(SetupTest, NothingIsWrittenThatTheKubeletWouldRefuse) {
  std::filesystem::create_directories(Path("/var/lib/rancher/credentialprovider"));
  const std::string dangling =
      "apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n"
      "  - name: ecr-credential-provider\n    matchImages: [\"*.dkr.ecr.*.amazonaws.com\"]\n"
      "    defaultCacheDuration: 12h\n    apiVersion: credentialprovider.kubelet.k8s.io/v1\n";
  std::ofstream(Path(kK3sConfig)) << dangling;
  absl::StatusOr<SetupPlan> plan = PlanSetup(Request("k3s"), Config(), kConfigPath);
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(std::string(plan.status().message()),
              HasSubstr("provider ecr-credential-provider in " + std::string(kK3sConfig) +
                        " has no executable"));

  std::ofstream(Path(kK3sConfig)) << dangling << "    extra: field\n";
  plan = PlanSetup(Request("k3s"), Config(), kConfigPath);
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(std::string(plan.status().message()),
              HasSubstr("the kubelet would not start with the config setup would write: " +
                        std::string(kK3sConfig) + ": line 8: providers[0]: unknown field 'extra'"));
}

TEST_F(SetupTest, WorkloadIdentityFollowsTheKubeletVersion) {
  SetupRequest request = Request("k3s");
  request.workload_identity = true;
  request.kubelet_version = KubeletVersion{33, "v1.33.1+k3s1"};
  absl::StatusOr<SetupPlan> plan = PlanSetup(request, Config(), kConfigPath);
  ASSERT_TRUE(plan.ok()) << plan.status();
  const std::string written = plan->steps.back().content;
  EXPECT_THAT(written, HasSubstr("tokenAttributes:"));
  EXPECT_THAT(written, Not(HasSubstr("cacheType"))) << "1.33 refuses the field";
  EXPECT_THAT(absl::StrJoin(plan->notes, "\n"), HasSubstr("needs the feature gate"));

  request.kubelet_version = KubeletVersion{34, "v1.34.0"};
  plan = PlanSetup(request, Config(), kConfigPath);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->steps.back().content, HasSubstr("cacheType: ServiceAccount"));

  request.kubelet_version = KubeletVersion{32, "v1.32.5"};
  plan = PlanSetup(request, Config(), kConfigPath);
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(std::string(plan.status().message()), HasSubstr("needs kubelet 1.33 or later"));
}

}  // namespace
}  // namespace acrcp
