// `acr-credential-provider setup k3s|kubeadm`: wires the plugin into a node's kubelet.
//
// K3s and RKE2 pass a credential provider to their kubelet only if, when the agent starts,
// /var/lib/rancher/credentialprovider/bin is a directory and .../config.yaml a file; a broken
// config there crash-loops the agent. So setup first proves the node config works (check.h,
// with a real token for --image) and only then links the binary and writes the config. It is
// idempotent, keeps a timestamped backup of anything it replaces, writes atomically, and with
// --dry-run only prints. For kubeadm it writes /etc/kubernetes/credential-provider.yaml and
// prints the kubelet flags to add (it does not edit kubelet unit files).
#ifndef ACRCP_PLUGIN_CLI_SETUP_H_
#define ACRCP_PLUGIN_CLI_SETUP_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "plugin/config/node_config.h"

namespace acrcp {

struct SetupFile {
  std::string path;     // absolute, on the node (without the root prefix)
  std::string content;  // for a file
  std::string link_to;  // for a symbolic link; then content is empty
};

struct SetupPlan {
  std::vector<SetupFile> files;
  std::vector<std::string> directories;  // created first, 0755
  std::string next_step;                 // printed last: the restart, or the kubelet flags
};

// The kubelet CredentialProviderConfig for `config`, whose file is at `config_path`:
// matchImages covers the cloud's login servers (and geo-replicas), `registries` and mirror
// sources.
std::string CredentialProviderConfigYaml(const NodeConfig& config, const std::string& config_path);

// What `target` ("k3s" or "kubeadm") needs, for the plugin binary at `plugin_path`.
SetupPlan PlanSetup(const std::string& target, const NodeConfig& config,
                    const std::string& config_path, const std::string& plugin_path);

// Applies `plan` under `root`, appending one line per action to `log`. Files already as
// planned are left alone; others are renamed to <path>.bak-<UTC time> first. With `dry_run`
// nothing is changed and the lines say what would be.
absl::Status ApplySetup(const SetupPlan& plan, const std::string& root, bool dry_run,
                        absl::Time now, std::string& log);

// The `setup` command once the checks passed: plans for this running binary (its real path)
// and `config` (its path made absolute, and seen from inside `root`), then applies.
absl::Status RunSetup(const std::string& target, const NodeConfig& config, const std::string& root,
                      bool dry_run, absl::Time now, std::string& log);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_CLI_SETUP_H_
