// Command-line parsing for the kubelet front end.
//
// The kubelet passes only the `args` of its CredentialProviderConfig, so the grammar is
// small: `--config PATH` or one positional PATH (drop-in for configs written for the upstream
// plugin), `-v N`, `--version`, `--help`. Operators also run two subcommands by hand:
//   check [--config PATH] [--image IMAGE]
//   setup k3s|kubeadm [--config PATH] --image IMAGE [--root DIR] [--dry-run]
// and tools that speak the Docker credential helper protocol run
//   docker-credential ACTION   (the same as running the binary as docker-credential-acr)
// A hand-written parser keeps start-up free of flag registries and lets every mistake become
// one actionable line.
#ifndef ACRCP_PLUGIN_CLI_CLI_H_
#define ACRCP_PLUGIN_CLI_CLI_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace acrcp {

struct CommandLine {
  enum class Action { kProvide, kPrintVersion, kHelp, kCheck, kSetup, kDockerCredential };
  Action action = Action::kProvide;
  // kProvide: empty means the environment only. check and setup default to
  // kDefaultConfigPath (node_config.h).
  std::string config_path;
  int verbosity = 0;
  std::string image;         // check, setup: the image whose registry to test
  std::string setup_target;  // setup: "k3s" or "kubeadm"
  std::string root = "/";    // setup: where the node's file system is
  bool dry_run = false;      // setup: print, change nothing
  // docker-credential: the arguments after it, interpreted by the helper protocol itself.
  std::vector<std::string> docker_args;
};

// Parses the arguments after argv[0]. On a mistake returns InvalidArgument naming it.
absl::StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args);

// The text printed by --help.
std::string UsageText();

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_CLI_CLI_H_
