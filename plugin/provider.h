// The provider core: one CredentialProviderRequest in, one response out.
//
//   image -> registry -> genuine ACR host? no: empty auth, "0s", no request at all
//         -> identity (reads its proof) -> cached ACR refresh token fresh? yes: answer
//         -> lock the key -> re-check (another process may have refreshed it)
//         -> Entra token -> ACR exchange -> store
//         -> cacheDuration = min(maxCacheDurationSeconds, remaining lifetime / 2)
// If refreshing fails while the cached token is still usable, that token is served.
// Only ACR refresh tokens, each good for one registry, are written to disk; the Entra token,
// which any registry the identity may pull from would accept, lives only in memory.
//
// All I/O arrives through ProviderEnv, so the flow is unit-tested with a scripted transport,
// a fake clock and a temporary cache directory. The network stack is created only when a
// request must be sent: a cache hit never loads it.
#ifndef ACRCP_PLUGIN_PROVIDER_H_
#define ACRCP_PLUGIN_PROVIDER_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "plugin/base/clock.h"
#include "plugin/cache/token_cache.h"
#include "plugin/config/node_config.h"
#include "plugin/kubelet/kubelet_protocol.h"
#include "plugin/net/network_helper.h"

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

// An ACR refresh token and the registry names it is for: the login server, and the registry
// it mirrors, if any, spelt as the caller did.
struct RegistryCredentials {
  std::vector<std::string> registries;
  CachedToken token;
};

// The same for a registry ("host[:port]") named directly rather than by an image, as the
// Docker credential helper is asked. nullopt when no token may be sent to it. `request`
// supplies a service-account token, if any.
absl::StatusOr<std::optional<RegistryCredentials>> CredentialsForRegistry(
    absl::string_view registry, const CredentialProviderRequest& request, const NodeConfig& config,
    const ProviderEnv& env);

// Drops the cached ACR refresh token for `registry`, so the next request gets a new one.
// Nothing to do (OK) when `registry` gets no tokens or nothing is cached.
absl::Status ForgetCredentials(absl::string_view registry, const NodeConfig& config,
                               const ProviderEnv& env);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_PROVIDER_H_
