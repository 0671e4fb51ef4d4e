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

}  // namespace
}  // namespace acrcp
