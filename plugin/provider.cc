#include "plugin/provider.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "plugin/azure/acr_exchange.h"
#include "plugin/azure/login_server.h"
#include "plugin/base/log.h"
#include "plugin/base/sha256.h"
#include "plugin/identity/identity_factory.h"
#include "plugin/net/retry.h"

namespace acrcp {
namespace {

absl::Status WithDeadlineHint(const absl::Status& status, const NodeConfig& config) {
  if (status.code() != absl::StatusCode::kDeadlineExceeded) return status;
  return absl::DeadlineExceededError(
      absl::StrCat(status.message(), " (timeoutSeconds is ", absl::ToInt64Seconds(config.timeout),
                   "; check the node's connectivity to Azure and HTTPS_PROXY / NO_PROXY)"));
}

// One invocation's refresh work: the network stack, the deadline and the Entra sign-in,
// created only once a cached token was not enough.
class Refresher {
 public:
  Refresher(const NodeConfig& config, const ProviderEnv& env, Identity& identity)
      : config_(config),
        env_(env),
        identity_(identity),
        retrier_(*env.clock, env.clock->Now() + config.timeout, RetryPolicy{}, env.jitter) {}

  absl::Time deadline() const { return retrier_.deadline(); }

  // A new ACR refresh token for `login_server`.
  absl::StatusOr<CachedToken> RefreshToken(const std::string& login_server) {
    absl::StatusOr<NetworkHelper*> helper = Helper();
    if (!helper.ok()) return helper.status();
    absl::StatusOr<acrcp::AccessToken> access =
        identity_.GetAccessToken(**helper, retrier_, config_.cloud, env_.clock->Now());
    if (!access.ok()) return access.status();
    const ExchangeRequest exchange{login_server, identity_.tenant_id(), access->value,
                                   identity_.client_id()};
    const absl::Time sent = env_.clock->Now();
    absl::StatusOr<AcrRefreshToken> token = ExchangeForRefreshToken(**helper, retrier_, exchange);
    if (!token.ok()) return token.status();
    CachedToken entry{std::move(token->token), sent, token->expires_at};
    if (!entry.UsableAt(env_.clock->Now())) {
      return absl::FailedPreconditionError(absl::StrCat(
          "ACR token exchange at ", login_server, " returned a refresh token that expires at ",
          absl::FormatTime(entry.expires_at, absl::UTCTimeZone()),
          " (check the node's clock: timedatectl status)"));
    }
    log::RegisterSecret(entry.token);
    return entry;
  }

 private:
  // The network helper, started for the first request this invocation really has to send.
  absl::StatusOr<NetworkHelper*> Helper() {
    if (helper_ == nullptr) {
      absl::StatusOr<std::unique_ptr<NetworkHelper>> helper = env_.start_helper();
      if (!helper.ok()) return helper.status();
      helper_ = *std::move(helper);
    }
    return helper_.get();
  }

  const NodeConfig& config_;
  const ProviderEnv& env_;
  Identity& identity_;
  Retrier retrier_;
  std::unique_ptr<NetworkHelper> helper_;
};

// Where the credentials for a registry named `registry` come from.
struct Target {
  std::string login_server;             // lower case: tokens are minted for and sent to it
  std::vector<std::string> registries;  // the names the credentials are given for
};

// nullopt when `registry` is not served by a login server that may receive tokens.
std::optional<Target> TargetFor(absl::string_view registry, const NodeConfig& config) {
  // A mirrored registry is served by its ACR: tokens are minted for, and sent to, the ACR.
  Target target{LoginServerFor(config, absl::AsciiStrToLower(registry)), {}};
  const bool mirrored = target.login_server != absl::AsciiStrToLower(registry);
  // Unmirrored, the name keeps the caller's spelling: the kubelet matches it verbatim.
  target.registries.push_back(mirrored ? target.login_server : std::string(registry));
  if (mirrored) {
    log::Debug(1, absl::StrCat(registry, " is mirrored by ", target.login_server));
    target.registries.push_back(std::string(registry));
  }
  const LoginServerPolicy policy(config.cloud.acr_suffix, config.registries);
  if (!policy.Allows(target.registries.front())) {
    log::Debug(
        1, absl::StrCat("registry ", target.registries.front(), " is not an ACR login server of ",
                        config.cloud.name, " nor listed in \"registries\"; no credentials for it"));
    return std::nullopt;
  }
  return target;
}

// The cache key of the ACR refresh token that `identity` gets for `login_server`.
std::string AcrCacheKey(const Identity& identity, const NodeConfig& config,
                        const std::string& login_server) {
  const std::string identity_key = Sha256Hex(absl::StrCat(
      identity.CacheKey(), "\n", config.cloud.authority_host, "\n", config.cloud.audience));
  return absl::StrCat("acr-", Sha256Hex(absl::StrCat(identity_key, "\n", login_server)));
}

}  // namespace

absl::StatusOr<std::optional<RegistryCredentials>> CredentialsForRegistry(
    absl::string_view registry, const CredentialProviderRequest& request, const NodeConfig& config,
    const ProviderEnv& env) {
  std::optional<Target> target = TargetFor(registry, config);
  if (!target) return std::nullopt;
  absl::StatusOr<std::unique_ptr<Identity>> identity =
      CreateIdentity(config, request, target->login_server);
  if (!identity.ok()) return identity.status();
  const std::string& name = target->registries.front();

  Refresher refresher(config, env, **identity);
  std::optional<CachedToken> cached;
  absl::StatusOr<CachedToken> token = GetOrRefresh(
      *env.cache, *env.clock, AcrCacheKey(**identity, config, target->login_server),
      absl::StrCat("ACR refresh token for ", name), refresher.deadline(),
      [&] { return refresher.RefreshToken(name); }, cached);
  if (!token.ok()) {
    if (!cached || !cached->UsableAt(env.clock->Now())) {
      return WithDeadlineHint(token.status(), config);
    }
    log::Debug(1,
               absl::StrCat("refresh failed, serving the cached token for ", name, " (valid until ",
                            absl::FormatTime(cached->expires_at, absl::UTCTimeZone()),
                            "): ", token.status().message()));
    token = *std::move(cached);
  }
  return RegistryCredentials{std::move(target->registries), *std::move(token)};
}

absl::StatusOr<CredentialProviderResponse> ProvideCredentials(
    const CredentialProviderRequest& request, const NodeConfig& config, const ProviderEnv& env) {
  absl::StatusOr<std::optional<RegistryCredentials>> credentials =
      CredentialsForRegistry(RegistryOfImage(request.image), request, config, env);
  if (!credentials.ok()) return credentials.status();
  CredentialProviderResponse response;
  response.api_version = request.api_version;
  if (!*credentials) {  // not an ACR: the kubelet caches the empty answer and asks no more
    response.cache_duration = absl::ZeroDuration();
    return response;
  }
  const CachedToken& token = (*credentials)->token;
  // Half the remaining life: the kubelet never holds a token close to its expiry.
  response.cache_duration =
      std::min(config.max_cache_duration, (token.expires_at - env.clock->Now()) / 2);
  for (const std::string& registry : (*credentials)->registries) {
    response.auth[registry] = AuthEntry{kAcrTokenUsername, token.token};
  }
  log::Debug(1, absl::StrCat("credentials for ", absl::StrJoin((*credentials)->registries, " and "),
                             " may be cached by the kubelet for ",
                             absl::FormatDuration(response.cache_duration)));
  return response;
}

absl::Status ForgetCredentials(absl::string_view registry, const NodeConfig& config,
                               const ProviderEnv& env) {
  std::optional<Target> target = TargetFor(registry, config);
  if (!target) return absl::OkStatus();
  absl::StatusOr<std::unique_ptr<Identity>> identity =
      CreateIdentity(config, CredentialProviderRequest{}, target->login_server);
  if (!identity.ok()) return identity.status();
  const std::string key = AcrCacheKey(**identity, config, target->login_server);
  absl::StatusOr<std::unique_ptr<CacheLock>> lock =
      env.cache->Lock(key, env.clock->Now() + config.timeout);
  if (!lock.ok()) return lock.status();
  env.cache->Erase(key);
  log::Debug(1, absl::StrCat("forgot the cached ACR refresh token for ", target->login_server));
  return absl::OkStatus();
}

}  // namespace acrcp
