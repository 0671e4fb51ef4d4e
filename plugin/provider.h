// The provider core: credentials for one registry, whoever asks (the kubelet, the Docker
// credential helper, `check`).
//
//   registry -> normalised -> mirrored? -> genuine ACR host? no: nothing, no request at all
//            -> identity (reads its proof) -> cached ACR refresh token fresh? yes: answer
//            -> lock the key -> re-check (another process may have refreshed it)
//            -> Entra token -> ACR exchange -> the clock-skew check -> store
//            -> reuse_for = min(maxCacheDurationSeconds, remaining lifetime / 2)
// If refreshing fails while the cached token is still usable, that token is served.
// Only ACR refresh tokens, each good for one registry, are written to disk; the Entra token,
// which any registry the identity may pull from would accept, lives only in memory.
//
// `check` runs this same path with the null cache, so a passing check proves the kubelet's
// path. All I/O arrives through ProviderEnv, so the flow is unit-tested with a scripted
// transport, a fake clock and a temporary cache directory. The network stack is created only
// when a request must be sent: a cache hit never loads it.
#ifndef ACRCP_PLUGIN_PROVIDER_H_
#define ACRCP_PLUGIN_PROVIDER_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "plugin/base/clock.h"
#include "plugin/cache/token_cache.h"
#include "plugin/config/node_config.h"
#include "plugin/identity/identity.h"
#include "plugin/metrics/metrics.h"
#include "plugin/net/network_helper.h"

namespace acrcp {

inline constexpr char kAcrTokenUsername[] = "00000000-0000-0000-0000-000000000000";

// Told about each step of a refresh as it happens; `check` reports them.
class RefreshObserver {
 public:
  virtual ~RefreshObserver() = default;
  // `identity` obtained an Entra access token (it is not written anywhere).
  virtual void SignedIn(const Identity& identity, const AccessToken& token) = 0;
};

struct ProviderEnv {
  Clock* clock = nullptr;
  TokenCache* cache = nullptr;
  // Starts the network helper; called only when a request must be sent or signed.
  std::function<absl::StatusOr<std::unique_ptr<NetworkHelper>>()> start_helper;
  std::function<double()> jitter;
  RefreshObserver* observer = nullptr;  // may be null
  MetricsRecorder* metrics = nullptr;   // may be null
};

// Where the credentials for a registry come from.
struct RegistryTarget {
  std::string login_server;             // normalised: tokens are minted for and sent to it
  std::vector<std::string> registries;  // the names the credentials are given for
  bool mirrored = false;                // the registry is a mirror the login server serves
  bool allowed = false;                 // the login server passes the genuine-host rule
};

// The target of `registry` ("host[:port]" as the caller spelt it). The first of
// `registries` is the login server when mirrored, else `registry` as spelt (the kubelet
// matches it verbatim); a mirrored registry follows as spelt. InvalidArgument when
// `registry` is not a registry name (registry_name.h).
absl::StatusOr<RegistryTarget> TargetOf(absl::string_view registry, const NodeConfig& config);

// An ACR refresh token and the registries it is for.
struct RegistryCredentials {
  std::vector<std::string> registries;  // as in RegistryTarget
  CachedToken token;
  // How long a client may reuse it: min(maxCacheDurationSeconds, half its remaining life), so
  // the kubelet never holds a token close to its expiry.
  absl::Duration reuse_for;
};

// Credentials for `registry`, signing in as `pod` when it carries a token. nullopt when no
// token may be sent there (not a registry name, or not a genuine or listed login server).
// Errors carry the one line front ends print: "<what failed>: <cause> (<what to do>)".
absl::StatusOr<std::optional<RegistryCredentials>> CredentialsForRegistry(
    absl::string_view registry, const ServiceAccountToken& pod, const NodeConfig& config,
    const ProviderEnv& env);

enum class RenewOutcome {
  kRenewed,     // a new token is cached
  kStillFresh,  // the cached one stays fresh for the look-ahead (another process renewed it)
  kNotOurs,     // made with another identity or settings, or for a registry no longer
                // allowed: left to expire
};

// `refresh`'s step for one cache entry: renews `listing`'s token unless it is still fresh
// `ahead` from now, the kubelet path's refresh under the same per-key lock, as the node's
// identity (REQUIRES: listing.entry.renewable). Errors as CredentialsForRegistry's.
absl::StatusOr<RenewOutcome> RenewCredentials(const CacheListing& listing, absl::Duration ahead,
                                              const NodeConfig& config, const ProviderEnv& env);

// Signs in to Entra ID as the node's identity, the first step of every refresh, and tells
// `env.observer`. For `check` without an image.
absl::Status SignIn(const NodeConfig& config, const ProviderEnv& env);

// Drops the cached ACR refresh token for `registry`, so the next request gets a new one.
// Nothing to do (OK) when `registry` gets no tokens or nothing is cached.
absl::Status ForgetCredentials(absl::string_view registry, const NodeConfig& config,
                               const ProviderEnv& env);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_PROVIDER_H_
