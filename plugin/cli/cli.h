// Command-line parsing for every front end but the Docker helper's.
//
// The kubelet passes only the `args` of its CredentialProviderConfig, so the plugin's own
// grammar is small: `--config PATH` or one positional PATH, `-v N`, `--version`, `--help`,
// plus the upstream plugin's flags so that its kubelet configs work unchanged
// (upstream_flags.h: `--registry-mirror`/`-r`, klog's logging flags). Operators also run:
//   check [--config PATH] [--image IMAGE] [--root DIR] [--kubelet-config PATH --bin-dir DIR]
//   setup k3s|kubeadm [--config PATH] --image IMAGE [--root DIR] [--dry-run]
//         [--workload-identity]
//   setup k3s|kubeadm --remove [--root DIR] [--dry-run]
// and tools that speak the Docker credential helper protocol run
//   docker-credential ACTION   (the same as running the binary as docker-credential-acr)
// A hand-written parser keeps start-up free of flag registries and lets every mistake become
// one actionable line.
#ifndef ACRCP_PLUGIN_CLI_CLI_H_
#define ACRCP_PLUGIN_CLI_CLI_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "plugin/base/environment.h"
#include "plugin/config/node_config.h"

namespace acrcp {

struct CommandLine {
  enum class Action { kProvide, kPrintVersion, kHelp, kCheck, kSetup, kRefresh, kDockerCredential };
  Action action = Action::kProvide;
  // kProvide: empty means the environment only. check, setup and refresh default to
  // kDefaultConfigPath (node_config.h).
  std::string config_path;
  int verbosity = 0;
  // `--registry-mirror` pairs (source, target), as written; added to the config's mirrors.
  std::vector<std::pair<std::string, std::string>> registry_mirrors;
  // The upstream plugin's logging flags that were given and are ignored, for `check` to say.
  std::vector<std::string> ignored_flags;
  std::string image;               // check, setup: the image whose registry to test
  std::string setup_target;        // setup: "k3s" or "kubeadm"
  std::string root = "/";          // check, setup: where the node's file system is
  std::string kubelet_config;      // check: the kubelet's CredentialProviderConfig (file or dir)
  std::string bin_dir;             // check: the kubelet's credential provider bin dir
  bool dry_run = false;            // setup: print, change nothing
  bool remove = false;             // setup: undo what setup did
  bool workload_identity = false;  // setup: write tokenAttributes (KEP-4412)
  // docker-credential: the arguments after it, interpreted by the helper protocol itself.
  std::vector<std::string> docker_args;
};

// Parses the arguments after argv[0]. On a mistake returns InvalidArgument naming it.
absl::StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args);

// The node config `cl` names (LoadNodeConfig), with its --registry-mirror pairs added.
absl::StatusOr<NodeConfig> LoadConfigFor(const CommandLine& cl, const EnvLookup& env);

// The text printed by --help.
std::string UsageText();

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_CLI_CLI_H_
