// `acr-credential-provider refresh`: renews the node's cached ACR refresh tokens before the
// kubelet would have to, so a kubelet exec finds a fresh token and answers without a request
// even while Entra ID or the registry is briefly down. The systemd timer runs it every 15
// minutes; it renews an entry that a front end read within `used_within` and that will not
// be fresh `ahead` from now, through the kubelet path's own refresh under its per-key lock.
// Entries made with a pod's service-account token are skipped: only the kubelet has one.
#ifndef ACRCP_PLUGIN_CLI_REFRESH_H_
#define ACRCP_PLUGIN_CLI_REFRESH_H_

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "plugin/config/node_config.h"
#include "plugin/provider.h"

namespace acrcp {

struct RefreshPolicy {
  // The timer's period plus its randomised delay, with room to spare.
  absl::Duration ahead = absl::Minutes(30);
  // Registries the node stopped pulling from are left to expire.
  absl::Duration used_within = absl::Hours(72);
};

// One pass over `env.cache`, one line per entry through `print` (never a token). True when
// no renewal failed. The metrics' token gauges become those of the entries it renews or tries
// to: a registry left to expire drops out of them.
bool RefreshCachedTokens(const NodeConfig& config, const ProviderEnv& env,
                         const RefreshPolicy& policy,
                         absl::FunctionRef<void(absl::string_view)> print);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_CLI_REFRESH_H_
