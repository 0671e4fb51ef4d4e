// The upstream plugin's command line (kubernetes-sigs/cloud-provider-azure's
// acr-credential-provider), so that a kubelet CredentialProviderConfig written for it works
// here unchanged: its positional azure.json path (cli.h), `-v N` (cli.h), its registry
// mirrors, and klog's logging flags, which this plugin accepts and ignores (it writes one
// line to stderr, and `check` says so).
#ifndef ACRCP_PLUGIN_CLI_UPSTREAM_FLAGS_H_
#define ACRCP_PLUGIN_CLI_UPSTREAM_FLAGS_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace acrcp {

// A klog flag, without its value: whether it takes one (`--log-dir DIR`), or is a switch
// that may carry `=true|false` (`--logtostderr`). nullopt for any other flag.
enum class KlogFlag { kSwitch, kTakesValue };
std::optional<KlogFlag> FindKlogFlag(absl::string_view name);

// The value of `--registry-mirror` / `-r`: "source:target[,source:target...]", spaces
// ignored. Upstream cannot express ports (it splits at the colon); here either side may be
// host:port, as long as exactly one split gives two registry names, and "source=target"
// says it unambiguously. The names are returned as written; the config validates them like
// the `mirrors` key. InvalidArgument naming the pair otherwise.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ParseRegistryMirrorFlag(
    absl::string_view value);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_CLI_UPSTREAM_FLAGS_H_
