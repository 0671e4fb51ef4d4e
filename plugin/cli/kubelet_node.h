// What the kubelet on this node will load, for `check` and `setup`: its version, asked of
// the k3s or kubelet binary, and its CredentialProviderConfig, a file or (kubelet 1.34+) a
// directory of them, read from disk as the kubelet would read it.
#ifndef ACRCP_PLUGIN_CLI_KUBELET_NODE_H_
#define ACRCP_PLUGIN_CLI_KUBELET_NODE_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "plugin/kubelet/provider_config_check.h"

namespace acrcp {

// The kubelet version: `k3s --version` when K3s is installed, else `kubelet --version`, each
// given a few seconds. Where it came from goes into `source` ("k3s --version"). nullopt
// when neither answers, or when `root` is not "/": another root's binaries are not run.
std::optional<KubeletVersion> DetectKubeletVersion(const std::string& root, bool k3s,
                                                   std::string& source);

// The config at `path` under `root`, as the kubelet reads it: the file, or a directory's
// *.json, *.yaml and *.yml files in name order; each (path on the node, contents).
// NotFound when nothing is there.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ReadProviderConfig(
    const std::string& root, const std::string& path);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_CLI_KUBELET_NODE_H_
