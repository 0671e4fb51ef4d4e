// What K3s on this node will use, read from K3s's own files rather than the operator's
// shell: the kubelet inside k3s gets its credential-provider paths from K3s's flags and
// config, and runs with the k3s service's environment, not the one `check` was started in.
//
//   paths: --image-credential-provider-config / --image-credential-provider-bin-dir from
//          /etc/rancher/k3s/config.yaml, then its drop-ins config.yaml.d/*.yaml in name order
//          (a later file wins), then the unit's ExecStart flags (flags win over files, as
//          in K3s); K3s's defaults otherwise.
//   environment: the unit's Environment= lines, then its EnvironmentFile= files
//          (k3s.service.env, /etc/default/k3s, ...; a file wins over Environment=, as in
//          systemd), including those of drop-ins in <unit>.service.d/*.conf.
// The unit is k3s.service (servers) or k3s-agent.service (agents), under /etc/systemd/system
// or /usr/lib/systemd/system; when both exist, the one enabled in multi-user.target.
// Every file is read under a root directory, so tests and `--root` see a node's tree.
#ifndef ACRCP_PLUGIN_CLI_K3S_NODE_H_
#define ACRCP_PLUGIN_CLI_K3S_NODE_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace acrcp {

inline constexpr char kK3sDefaultProviderConfig[] =
    "/var/lib/rancher/credentialprovider/config.yaml";
inline constexpr char kK3sDefaultProviderBinDir[] = "/var/lib/rancher/credentialprovider/bin";

// A value and where it came from: a file path, "<unit file> ExecStart", or "K3s's default".
struct K3sSetting {
  std::string value;
  std::string origin;
};

struct K3sNode {
  bool installed = false;      // a k3s unit or /usr/local/bin/k3s exists
  std::string unit;            // "k3s" or "k3s-agent"; empty without a unit
  K3sSetting provider_config;  // as seen on the node (without the root prefix)
  K3sSetting provider_bin_dir;
  std::map<std::string, K3sSetting> environment;  // the k3s service's variables
};

// K3s as installed under `root` ("/" for this machine). InvalidArgument naming the file and
// line when a K3s config file cannot be read as YAML; a missing file is no error.
absl::StatusOr<K3sNode> ReadK3sNode(const std::string& root);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_CLI_K3S_NODE_H_
