#include "plugin/cli/k3s_node.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace acrcp {
namespace {

using ::acrcp::testing::TempDir;
using ::testing::HasSubstr;

class K3sNodeTest : public ::testing::Test {
 protected:
  void Write(const std::string& path, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(root_.path() + path).parent_path());
    std::ofstream(root_.path() + path) << text;
  }
  K3sNode Read() {
    absl::StatusOr<K3sNode> node = ReadK3sNode(root_.path());
    EXPECT_TRUE(node.ok()) << node.status();
    return node.ok() ? *node : K3sNode{};
  }
  TempDir root_;
};

TEST_F(K3sNodeTest, NothingInstalledMeansK3sDefaults) {
  const K3sNode node = Read();
  EXPECT_FALSE(node.installed);
  EXPECT_EQ(node.provider_config.value, kK3sDefaultProviderConfig);
  EXPECT_EQ(node.provider_config.origin, "K3s's default");
  EXPECT_EQ(node.provider_bin_dir.value, kK3sDefaultProviderBinDir);
}

// The unit the K3s install script writes, with its environment file and a drop-in.
TEST_F(K3sNodeTest, ReadsTheServiceEnvironmentAsSystemdWould) {
  Write("/etc/systemd/system/k3s-agent.service",
        "[Service]\nType=notify\nEnvironmentFile=-/etc/default/%N\n"
        "EnvironmentFile=-/etc/systemd/system/k3s-agent.service.env\n"
        "Environment=\"NO_PROXY=from-unit\" GOMAXPROCS=2\n"
        "ExecStart=/usr/local/bin/k3s \\\n    agent \\\n"
        "\t'--image-credential-provider-bin-dir=/opt/plugins' \\\n");
  Write("/etc/systemd/system/k3s-agent.service.env",
        "K3S_TOKEN='secret'\nHTTPS_PROXY=\"http://proxy.corp:3128\"\n# "
        "comment\nNO_PROXY=10.0.0.0/8\n");
  Write("/etc/systemd/system/k3s-agent.service.d/proxy.conf",
        "[Service]\nEnvironment=HTTP_PROXY=http://p:1\n");
  const K3sNode node = Read();
  EXPECT_TRUE(node.installed);
  EXPECT_EQ(node.unit, "k3s-agent");
  EXPECT_EQ(node.environment.at("HTTPS_PROXY").value, "http://proxy.corp:3128");
  EXPECT_EQ(node.environment.at("HTTPS_PROXY").origin, "/etc/systemd/system/k3s-agent.service.env");
  EXPECT_EQ(node.environment.at("NO_PROXY").value, "10.0.0.0/8") << "a file beats Environment=";
  EXPECT_EQ(node.environment.at("GOMAXPROCS").value, "2");
  EXPECT_EQ(node.environment.at("HTTP_PROXY").origin,
            "/etc/systemd/system/k3s-agent.service.d/proxy.conf");
  EXPECT_EQ(node.provider_bin_dir.value, "/opt/plugins");
  EXPECT_EQ(node.provider_bin_dir.origin, "/etc/systemd/system/k3s-agent.service ExecStart");
}

TEST_F(K3sNodeTest, ConfigFileThenDropInsThenFlags) {
  Write("/etc/rancher/k3s/config.yaml",
        "token: x\nimage-credential-provider-config: /etc/a.yaml\n"
        "image-credential-provider-bin-dir: /etc/a-bin\n");
  Write("/etc/rancher/k3s/config.yaml.d/20-later.yaml",
        "image-credential-provider-config: /etc/c.yaml\n");
  Write("/etc/rancher/k3s/config.yaml.d/10-first.yaml",
        "image-credential-provider-config: /etc/b.yaml\n");
  K3sNode node = Read();
  EXPECT_EQ(node.provider_config.value, "/etc/c.yaml") << "drop-ins in name order";
  EXPECT_EQ(node.provider_config.origin, "/etc/rancher/k3s/config.yaml.d/20-later.yaml");
  EXPECT_EQ(node.provider_bin_dir.value, "/etc/a-bin");
  EXPECT_FALSE(node.installed);

  Write("/etc/systemd/system/k3s.service",
        "[Service]\nExecStart=/usr/local/bin/k3s server --image-credential-provider-config "
        "/etc/flag.yaml\n");
  node = Read();
  EXPECT_EQ(node.provider_config.value, "/etc/flag.yaml") << "flags beat config files";
  EXPECT_EQ(node.unit, "k3s");
}

TEST_F(K3sNodeTest, BothUnitsPresentPicksTheEnabledOne) {
  Write("/etc/systemd/system/k3s.service", "[Service]\n");
  Write("/etc/systemd/system/k3s-agent.service", "[Service]\n");
  EXPECT_EQ(Read().unit, "k3s");
  Write("/etc/systemd/system/multi-user.target.wants/k3s-agent.service", "");
  EXPECT_EQ(Read().unit, "k3s-agent");
}

TEST_F(K3sNodeTest, ABrokenK3sConfigIsNamed) {
  Write("/etc/rancher/k3s/config.yaml", "token: [\n");
  absl::StatusOr<K3sNode> node = ReadK3sNode(root_.path());
  ASSERT_FALSE(node.ok());
  EXPECT_THAT(std::string(node.status().message()),
              HasSubstr("K3s config /etc/rancher/k3s/config.yaml: line"));
}

}  // namespace
}  // namespace acrcp
