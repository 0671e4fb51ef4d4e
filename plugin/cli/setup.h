// `acr-credential-provider setup k3s|kubeadm [--remove]`: wires the plugin into a node's
// kubelet, and takes it out again, without ever leaving the kubelet pointing at something
// that is not there.
//
// K3s and RKE2 pass a credential provider to their kubelet only if, when the agent starts,
// the provider bin directory is a directory and the provider config a file; a broken config
// there crash-loops the agent. So setup first proves the node config works (check.h, with a
// real token for --image), then, at the paths K3s itself will use (k3s_node.h):
//   - links the plugin into the bin directory;
//   - adds its provider to the CredentialProviderConfig, or updates it where it stands,
//     keeping every other provider exactly as written (kubelet/provider_config_edit.h) and
//     reporting any whose matchImages overlap ours.
// For kubeadm it edits /etc/kubernetes/credential-provider.yaml the same way and prints the
// kubelet flags to add (it does not edit kubelet unit files). For both it enables the
// refresh timer when the package installed it (what `systemctl enable` does: a link in
// timers.target.wants), and its last line says to start it.
//
// `--remove` undoes only what setup did, and only while it still points at this program:
// the link if it resolves to us, our provider entry, and the config file, the refresh
// timer's enablement and the empty directories when no other provider is left (the kubelet refuses
// an empty list). Files are written atomically; setup keeps a file it changes as <path>.bak-<UTC
// time> (removal, which only takes our own entry out, does not). With --dry-run nothing changes and
// each file's change is printed as a unified diff.
#ifndef ACRCP_PLUGIN_CLI_SETUP_H_
#define ACRCP_PLUGIN_CLI_SETUP_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "plugin/cli/k3s_node.h"
#include "plugin/config/node_config.h"
#include "plugin/kubelet/provider_config_check.h"
#include "plugin/kubelet/provider_config_edit.h"

namespace acrcp {

inline constexpr char kKubeadmProviderConfig[] = "/etc/kubernetes/credential-provider.yaml";
inline constexpr char kProviderName[] = "acr-credential-provider";
// The timer that runs `refresh` (packaging/systemd/), and where `systemctl enable` links it.
inline constexpr char kRefreshTimer[] = "acr-credential-provider-refresh.timer";
inline constexpr char kTimerWantsDir[] = "/etc/systemd/system/timers.target.wants";

// One change to the node's files (paths without the root prefix).
struct SetupStep {
  enum class Kind { kCreateDirectory, kWriteFile, kLink, kRemoveFile, kRemoveDirectory };
  Kind kind;
  std::string path;
  std::string content;     // kWriteFile: the new content; kLink: the link's target
  std::string before;      // kWriteFile, kRemoveFile: what is there now ("" when nothing)
  bool keep_copy = false;  // kWriteFile: keep what it replaces as <path>.bak-<UTC time>
};

struct SetupPlan {
  std::vector<SetupStep> steps;
  std::vector<std::string> notes;  // where settings came from, overlaps, what was left alone
  std::string next_step;           // printed last: the restart, or the kubelet flags
};

struct SetupRequest {
  std::string target;       // "k3s" or "kubeadm"
  std::string root = "/";   // the node's root directory
  std::string plugin_path;  // this program's real path
  K3sNode k3s;              // K3s's view of the node (k3s only)
  // The kubelet's version, when known: what setup writes is checked against it, and decides
  // the form of tokenAttributes.
  std::optional<KubeletVersion> kubelet_version;
  bool workload_identity = false;  // write tokenAttributes (KEP-4412, kubelet 1.33+)
};

// The kubelet CredentialProviderConfig entry for `config`, whose file is at `config_path`:
// matchImages covers the cloud's login servers (and geo-replicas), `registries` and mirror
// sources. With `workload_identity`, tokenAttributes for a kubelet of `version`: the pod's
// service account names the app (kubernetes.azure.com/acr-client-id, required) and maybe
// its tenant; cacheType ServiceAccount from 1.34, none on 1.33 (which refuses the field).
// InvalidArgument for workload identity on a kubelet older than 1.33.
absl::StatusOr<CredentialProviderEntry> ProviderEntryFor(
    const NodeConfig& config, const std::string& config_path, bool workload_identity = false,
    const std::optional<KubeletVersion>& version = std::nullopt);

// What setup does for `config`, whose file is at `config_path` on the node. The config it
// would leave is checked as the kubelet will check it (kubelet/provider_config_check.h), with
// every provider's binary in the bin dir: InvalidArgument naming the problem, and nothing
// written, when the kubelet would not start with it.
absl::StatusOr<SetupPlan> PlanSetup(const SetupRequest& request, const NodeConfig& config,
                                    const std::string& config_path);

// What `setup --remove` does.
absl::StatusOr<SetupPlan> PlanRemove(const SetupRequest& request);

// Carries out `plan` under `root`, appending one line per action (with --dry-run, the
// diffs) and then the notes and the next step to `log`.
absl::Status ApplySetup(const SetupPlan& plan, const std::string& root, bool dry_run,
                        absl::Time now, std::string& log);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_CLI_SETUP_H_
