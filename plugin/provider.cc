#include "plugin/provider.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "plugin/azure/acr_exchange.h"
#include "plugin/azure/login_server.h"
#include "plugin/azure/registry_name.h"
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

// Once the cached token ran out during an outage, says since when refreshing has failed:
// `refresh` kept the token alive until then, and the operator wants the outage's start.
absl::Status WithOutageSince(const absl::Status& status, const std::optional<CachedToken>& cached) {
  if (!cached || cached->failing_since == absl::InfinitePast()) return status;
  return absl::Status(
      status.code(),
      absl::StrCat(
          status.message(), " [no refresh has succeeded since ",
          absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", cached->failing_since, absl::UTCTimeZone()),
          "; the cached token expired at ",
          absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", cached->expires_at, absl::UTCTimeZone()), "]"));
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

  // An Entra access token for the cloud's ACR audience.
  absl::StatusOr<AccessToken> SignIn() {
    absl::StatusOr<NetworkHelper*> helper = Helper();
    if (!helper.ok()) return helper.status();
    absl::StatusOr<AccessToken> access =
        identity_.GetAccessToken(**helper, retrier_, config_.cloud, env_.clock->Now());
    if (env_.metrics != nullptr) env_.metrics->Request("entra", access.ok());
    if (access.ok() && env_.observer != nullptr) env_.observer->SignedIn(identity_, *access);
    return access;
  }

  // A new ACR refresh token for `login_server` (normalised); `renewable` when the node can get
  // another on its own (`refresh`), not with a pod's token.
  absl::StatusOr<CachedToken> RefreshToken(const std::string& login_server, bool renewable) {
    if (env_.metrics != nullptr) env_.metrics->MarkRefreshed();
    absl::StatusOr<AccessToken> access = SignIn();
    if (!access.ok()) return access.status();
    const ExchangeRequest exchange{login_server, identity_.tenant_id(), access->value,
                                   identity_.client_id()};
    const absl::Time sent = env_.clock->Now();
    absl::StatusOr<AcrRefreshToken> token = ExchangeForRefreshToken(*helper_, retrier_, exchange);
    if (env_.metrics != nullptr) env_.metrics->Request("acr", token.ok());
    if (!token.ok()) return token.status();
    CachedToken entry;
    entry.token = std::move(token->token);
    entry.obtained_at = sent;
    entry.expires_at = token->expires_at;
    entry.registry = login_server;
    entry.renewable = renewable;
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

// The ACR login server that serves `registry` (normalised): its mirror target if `mirrors`
// maps it, else `registry` itself.
std::string LoginServerFor(const NodeConfig& config, const std::string& registry) {
  const auto mirror = config.mirrors.find(registry);
  return mirror == config.mirrors.end() ? registry : mirror->second;
}

// The allowed target of `registry`, or nullopt (said at -v 1) when no token may go there.
std::optional<RegistryTarget> AllowedTargetOf(absl::string_view registry,
                                              const NodeConfig& config) {
  absl::StatusOr<RegistryTarget> target = TargetOf(registry, config);
  if (!target.ok()) {
    log::Debug(1, absl::StrCat(target.status().message(), "; no credentials for it"));
    return std::nullopt;
  }
  if (!target->allowed) {
    log::Debug(
        1, absl::StrCat("registry ", target->login_server, " is not an ACR login server of ",
                        config.cloud.name, " nor listed in \"registries\"; no credentials for it"));
    return std::nullopt;
  }
  if (target->mirrored) {
    log::Debug(1, absl::StrCat(registry, " is mirrored by ", target->login_server));
  }
  return *std::move(target);
}

// The cache key of the ACR refresh token that `identity` gets for `login_server`.
std::string AcrCacheKey(const Identity& identity, const NodeConfig& config,
                        const std::string& login_server) {
  const std::string identity_key = Sha256Hex(absl::StrCat(
      identity.CacheKey(), "\n", config.cloud.authority_host, "\n", config.cloud.audience));
  return absl::StrCat("acr-", Sha256Hex(absl::StrCat(identity_key, "\n", login_server)));
}

}  // namespace

absl::StatusOr<RegistryTarget> TargetOf(absl::string_view registry, const NodeConfig& config) {
  absl::StatusOr<std::string> name = NormalizeRegistry(registry);
  if (!name.ok()) return name.status();
  RegistryTarget target;
  target.login_server = LoginServerFor(config, *name);
  target.mirrored = target.login_server != *name;
  target.registries.push_back(target.mirrored ? target.login_server : std::string(registry));
  if (target.mirrored) target.registries.push_back(std::string(registry));
  target.allowed =
      LoginServerPolicy(config.cloud.acr_suffix, config.registries).Allows(target.login_server);
  return target;
}

absl::StatusOr<std::optional<RegistryCredentials>> CredentialsForRegistry(
    absl::string_view registry, const ServiceAccountToken& pod, const NodeConfig& config,
    const ProviderEnv& env) {
  std::optional<RegistryTarget> target = AllowedTargetOf(registry, config);
  if (!target) return std::nullopt;
  const std::string& login_server = target->login_server;
  absl::StatusOr<std::unique_ptr<Identity>> identity = CreateIdentity(config, pod, login_server);
  if (!identity.ok()) return identity.status();

  Refresher refresher(config, env, **identity);
  std::optional<CachedToken> cached;
  absl::StatusOr<CachedToken> token = GetOrRefresh(
      *env.cache, *env.clock, AcrCacheKey(**identity, config, login_server),
      absl::StrCat("ACR refresh token for ", login_server), refresher.deadline(),
      [&] { return refresher.RefreshToken(login_server, pod.token.empty()); }, cached);
  if (!token.ok()) {
    if (!cached || !cached->UsableAt(env.clock->Now())) {
      return WithOutageSince(WithDeadlineHint(token.status(), config), cached);
    }
    log::Debug(
        1, absl::StrCat("refresh failed, serving the cached token for ", login_server,
                        " (valid until ", absl::FormatTime(cached->expires_at, absl::UTCTimeZone()),
                        "): ", token.status().message()));
    token = *std::move(cached);
    if (env.metrics != nullptr) env.metrics->MarkStale();
  }
  if (env.metrics != nullptr)
    env.metrics->Token(login_server, token->expires_at, token->obtained_at);
  const absl::Duration reuse_for =
      std::min(config.max_cache_duration, (token->expires_at - env.clock->Now()) / 2);
  return RegistryCredentials{std::move(target->registries), *std::move(token), reuse_for};
}

absl::StatusOr<RenewOutcome> RenewCredentials(const CacheListing& listing, absl::Duration ahead,
                                              const NodeConfig& config, const ProviderEnv& env) {
  std::optional<RegistryTarget> target = AllowedTargetOf(listing.entry.registry, config);
  if (!target || target->login_server != listing.entry.registry) return RenewOutcome::kNotOurs;
  absl::StatusOr<std::unique_ptr<Identity>> identity =
      CreateIdentity(config, ServiceAccountToken{}, target->login_server);
  if (!identity.ok()) return identity.status();
  const std::string key = AcrCacheKey(**identity, config, target->login_server);
  if (key != listing.key) return RenewOutcome::kNotOurs;

  Refresher refresher(config, env, **identity);
  bool renewed = false;
  std::optional<CachedToken> cached;
  absl::StatusOr<CachedToken> token = GetOrRefresh(
      *env.cache, *env.clock, key, absl::StrCat("ACR refresh token for ", target->login_server),
      refresher.deadline(),
      [&] {
        renewed = true;
        return refresher.RefreshToken(target->login_server, true);
      },
      cached, Freshness{ahead, false});
  if (!token.ok()) return WithDeadlineHint(token.status(), config);
  if (env.metrics != nullptr) {
    env.metrics->Token(target->login_server, token->expires_at, token->obtained_at);
  }
  return renewed ? RenewOutcome::kRenewed : RenewOutcome::kStillFresh;
}

absl::Status SignIn(const NodeConfig& config, const ProviderEnv& env) {
  absl::StatusOr<std::unique_ptr<Identity>> identity =
      CreateIdentity(config, ServiceAccountToken{}, "");
  if (!identity.ok()) return identity.status();
  absl::StatusOr<AccessToken> access = Refresher(config, env, **identity).SignIn();
  return access.ok() ? absl::OkStatus() : WithDeadlineHint(access.status(), config);
}

absl::Status ForgetCredentials(absl::string_view registry, const NodeConfig& config,
                               const ProviderEnv& env) {
  std::optional<RegistryTarget> target = AllowedTargetOf(registry, config);
  if (!target) return absl::OkStatus();
  absl::StatusOr<std::unique_ptr<Identity>> identity =
      CreateIdentity(config, ServiceAccountToken{}, target->login_server);
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
