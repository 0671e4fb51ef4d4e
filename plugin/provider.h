// The provider core: one CredentialProviderRequest in, one response out.
//
//   image -> registry -> genuine ACR host? no: empty auth, "0s", no request at all
//         -> identity (reads its proof) -> cached ACR refresh token fresh? yes: answer
//         -> lock the key -> re-check (another process may have refreshed it)
//         -> Entra token (cached per identity, same locking) -> ACR exchange -> store
//         -> cacheDuration = min(maxCacheDurationSeconds, remaining lifetime / 2)
// If refreshing fails while the cached token is still usable, that token is served.
//
// All I/O arrives through ProviderEnv, so the flow is unit-tested with a scripted transport,
// a fake clock and a temporary cache directory. The network stack is created only when a
// request must be sent: a cache hit never loads it.
#ifndef ACRCP_PLUGIN_PROVIDER_H_
#define ACRCP_PLUGIN_PROVIDER_H_

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "plugin/clock.h"
#include "plugin/kubelet_protocol.h"
#include "plugin/network_helper.h"
#include "plugin/node_config.h"
#include "plugin/token_cache.h"

namespace acrcp {

inline constexpr char kAcrTokenUsername[] = "00000000-0000-0000-0000-000000000000";

struct ProviderEnv {
  Clock* clock = nullptr;
  TokenCache* cache = nullptr;
  // Starts the network helper; called only when a request must be sent or signed.
  std::function<absl::StatusOr<std::unique_ptr<NetworkHelper>>()> start_helper;
  std::function<double()> jitter;
};

// Answers `request` for the node described by `config`. Errors carry the one line main()
// prints: "<what failed>: <cause> (<what to do>)".
absl::StatusOr<CredentialProviderResponse> ProvideCredentials(
    const CredentialProviderRequest& request, const NodeConfig& config, const ProviderEnv& env);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_PROVIDER_H_
