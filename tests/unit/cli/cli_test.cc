#include "plugin/cli/cli.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/config/node_config.h"

namespace acrcp {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<CommandLine> Parse(std::vector<std::string> args) { return ParseCommandLine(args); }

TEST(CommandLineTest, ConfigAsFlagOrPositional) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--config", "/etc/c.json"}, {"--config=/etc/c.json"}, {"/etc/c.json"}}) {
    absl::StatusOr<CommandLine> cl = Parse(args);
    ASSERT_TRUE(cl.ok()) << cl.status();
    EXPECT_EQ(cl->action, CommandLine::Action::kProvide);
    EXPECT_EQ(cl->config_path, "/etc/c.json");
  }
}

TEST(CommandLineTest, NoArgumentsMeansEnvironmentOnly) {
  absl::StatusOr<CommandLine> cl = Parse({});
  ASSERT_TRUE(cl.ok());
  EXPECT_TRUE(cl->config_path.empty());
  EXPECT_EQ(cl->verbosity, 0);
}

TEST(CommandLineTest, Verbosity) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"-v", "2", "/c"}, {"-v=2", "/c"}, {"--v=2", "/c"}, {"/c", "--v", "2"}}) {
    absl::StatusOr<CommandLine> cl = Parse(args);
    ASSERT_TRUE(cl.ok()) << cl.status();
    EXPECT_EQ(cl->verbosity, 2);
    EXPECT_EQ(cl->config_path, "/c");
  }
}

TEST(CommandLineTest, VersionAndHelp) {
  EXPECT_EQ(Parse({"--version"})->action, CommandLine::Action::kPrintVersion);
  EXPECT_EQ(Parse({"--help"})->action, CommandLine::Action::kHelp);
  EXPECT_EQ(Parse({"-h"})->action, CommandLine::Action::kHelp);
  EXPECT_THAT(UsageText(), HasSubstr("--config PATH"));
}

TEST(CommandLineTest, Subcommands) {
  absl::StatusOr<CommandLine> cl = Parse({"check", "--image", "a.azurecr.io/x"});
  ASSERT_TRUE(cl.ok()) << cl.status();
  EXPECT_EQ(cl->action, CommandLine::Action::kCheck);
  EXPECT_EQ(cl->config_path, kDefaultConfigPath);
  EXPECT_EQ(cl->image, "a.azurecr.io/x");

  cl = Parse({"setup", "k3s", "--image=a.azurecr.io/x", "--root", "/tmp/r", "--dry-run", "--config",
              "/c.json"});
  ASSERT_TRUE(cl.ok()) << cl.status();
  EXPECT_EQ(cl->action, CommandLine::Action::kSetup);
  EXPECT_EQ(cl->setup_target, "k3s");
  EXPECT_EQ(cl->root, "/tmp/r");
  EXPECT_TRUE(cl->dry_run);
  EXPECT_EQ(cl->config_path, "/c.json");

  cl = Parse({"setup", "kubeadm", "--image", "a.azurecr.io/x"});
  ASSERT_TRUE(cl.ok()) << cl.status();
  EXPECT_EQ(cl->setup_target, "kubeadm");
  EXPECT_EQ(cl->root, "/");
  EXPECT_FALSE(cl->dry_run);
}

TEST(CommandLineTest, DockerCredentialPassesItsArgumentsOnUnparsed) {
  absl::StatusOr<CommandLine> cl = Parse({"docker-credential", "get", "--help"});
  ASSERT_TRUE(cl.ok()) << cl.status();
  EXPECT_EQ(cl->action, CommandLine::Action::kDockerCredential);
  EXPECT_EQ(cl->docker_args, (std::vector<std::string>{"get", "--help"}));
  EXPECT_THAT(UsageText(), HasSubstr("docker-credential get|list|erase|store|version"));
}

TEST(CommandLineTest, MistakesAreNamed) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--bogus"}, "unknown flag '--bogus'"},
      {{"--config"}, "--config needs a value"},
      {{"--config="}, "--config needs a value"},
      {{"--image", "x"}, "unknown flag '--image'"},
      {{"check", "--dry-run"}, "unknown flag '--dry-run'"},
      {{"setup", "--image", "a.azurecr.io/x"}, "setup needs the target"},
      {{"setup", "k8s", "--image", "a.azurecr.io/x"}, "setup needs the target"},
      {{"setup", "k3s"}, "setup needs --image IMAGE"},
      {{"-v", "x"}, "-v takes a number"},
      {{"-v", "11"}, "-v takes a number"},
      {{"/a", "/b"}, "at most one config file path"},
      {{"--config", "/a", "/b"}, "not both"},
  };
  for (const auto& [args, message] : cases) {
    absl::StatusOr<CommandLine> cl = Parse(args);
    ASSERT_FALSE(cl.ok()) << message;
    EXPECT_THAT(cl.status().message(), HasSubstr(message));
    EXPECT_THAT(cl.status().message(), HasSubstr("--help"));
  }
}

TEST(CommandLineTest, SetupRemoveNeedsNoImage) {
  absl::StatusOr<CommandLine> cl = Parse({"setup", "k3s", "--remove", "--dry-run"});
  ASSERT_TRUE(cl.ok()) << cl.status();
  EXPECT_TRUE(cl->remove);
  EXPECT_TRUE(cl->dry_run);
  EXPECT_EQ(cl->setup_target, "k3s");
  EXPECT_FALSE(Parse({"setup", "k3s", "--remove", "--image", "a.azurecr.io/x"}).ok());
  EXPECT_FALSE(Parse({"check", "--remove"}).ok()) << "--remove belongs to setup";
}

// A kubelet config written for kubernetes-sigs/cloud-provider-azure's plugin works unchanged.
TEST(CommandLineTest, UpstreamPluginArgumentsAreAccepted) {
  absl::StatusOr<CommandLine> cl = Parse(
      {"/etc/kubernetes/azure.json", "--registry-mirror=mcr.microsoft.com:myacr.azurecr.io", "-r",
       "registry.local:5000=myacr.azurecr.io,quay.io:other.azurecr.io", "--v=2", "--logtostderr",
       "--log-dir", "/var/log/x", "--alsologtostderr=false", "--vmodule=x=1"});
  ASSERT_TRUE(cl.ok()) << cl.status();
  EXPECT_EQ(cl->config_path, "/etc/kubernetes/azure.json");
  EXPECT_EQ(cl->verbosity, 2);
  EXPECT_EQ(cl->registry_mirrors, (std::vector<std::pair<std::string, std::string>>{
                                      {"mcr.microsoft.com", "myacr.azurecr.io"},
                                      {"registry.local:5000", "myacr.azurecr.io"},
                                      {"quay.io", "other.azurecr.io"}}));
  EXPECT_EQ(cl->ignored_flags, (std::vector<std::string>{"--logtostderr", "--log-dir",
                                                         "--alsologtostderr", "--vmodule"}));
}

TEST(CommandLineTest, RegistryMirrorPairsMayHavePorts) {
  absl::StatusOr<CommandLine> cl = Parse({"--registry-mirror", "reg.local:5000:myacr.azurecr.io"});
  ASSERT_TRUE(cl.ok()) << cl.status();
  EXPECT_EQ(cl->registry_mirrors[0],
            std::make_pair(std::string("reg.local:5000"), std::string("myacr.azurecr.io")));
  for (const char* bad :
       {"mcr.microsoft.com", "a:1:2", "https://mcr.microsoft.com:x.azurecr.io", ","}) {
    absl::StatusOr<CommandLine> refused = Parse({"--registry-mirror", bad});
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_THAT(std::string(refused.status().message()), HasSubstr("--registry-mirror")) << bad;
  }
  EXPECT_THAT(std::string(Parse({"-r", "a:1:2"}).status().message()),
              HasSubstr("can be read as a -> 1:2 or as a:1 -> 2"));
}

TEST(CommandLineTest, UnknownFlagsAreStillRefused) {
  EXPECT_THAT(std::string(Parse({"--ib-sni-name=x"}).status().message()),
              HasSubstr("unknown flag '--ib-sni-name'"));
}

}  // namespace
}  // namespace acrcp
