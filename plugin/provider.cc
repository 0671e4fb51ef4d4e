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
#include "plugin/acr_exchange.h"
#include "plugin/identity_factory.h"
#include "plugin/log.h"
#include "plugin/login_server.h"
#include "plugin/retry.h"
#include "plugin/sha256.h"

namespace acrcp {
namespace {

absl::Status WithDeadlineHint(const absl::Status& status, const NodeConfig& config) {
  if (status.code() != absl::StatusCode::kDeadlineExceeded) return status;
  return absl::DeadlineExceededError(
      absl::StrCat(status.message(), " (timeoutSeconds is ", absl::ToInt64Seconds(config.timeout),
                   "; check the node's connectivity to Azure and HTTPS_PROXY / NO_PROXY)"));
}

// One invocation's refresh work: the network stack, the deadline and the keys, created
// only once a cached token was not enough.
class Refresher {
 public:
  Refresher(const NodeConfig& config, const ProviderEnv& env, Identity& identity,
            std::string entra_key)
      : config_(config),
        env_(env),
        identity_(identity),
        entra_key_(std::move(entra_key)),
        retrier_(*env.clock, env.clock->Now() + config.timeout, RetryPolicy{}, env.jitter) {}

  absl::Time deadline() const { return retrier_.deadline(); }

  // A new ACR refresh token for `login_server`.
  absl::StatusOr<CachedToken> RefreshToken(const std::string& login_server) {
    std::optional<CachedToken> seen;
    absl::StatusOr<CachedToken> access = GetOrRefresh(
        *env_.cache, *env_.clock, entra_key_, "Entra ID token", deadline(),
        [this] { return NewAccessToken(); }, seen);
    if (!access.ok()) {
      // Entra ID is unreachable, but a token it issued earlier is still good for the exchange.
      if (!seen || !seen->UsableAt(env_.clock->Now())) return access.status();
      log::Debug(1, absl::StrCat("Entra ID sign-in failed, using the cached Entra ID token: ",
                                 access.status().message()));
      access = *seen;
    }
    const ExchangeRequest exchange{login_server, identity_.tenant_id(), access->token,
                                   identity_.client_id()};
    absl::StatusOr<NetworkHelper*> helper = Helper();
    if (!helper.ok()) return helper.status();
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

  absl::StatusOr<CachedToken> NewAccessToken() {
    absl::StatusOr<NetworkHelper*> helper = Helper();
    if (!helper.ok()) return helper.status();
    const absl::Time sent = env_.clock->Now();
    absl::StatusOr<acrcp::AccessToken> token =
        identity_.GetAccessToken(**helper, retrier_, config_.cloud, sent);
    if (!token.ok()) return token.status();
    return CachedToken{std::move(token->value), sent, token->expires_at};
  }

  const NodeConfig& config_;
  const ProviderEnv& env_;
  Identity& identity_;
  std::string entra_key_;
  Retrier retrier_;
  std::unique_ptr<NetworkHelper> helper_;
};

// The response giving `token` for each of `registries` (a login server, and the registry it
// mirrors, if any).
CredentialProviderResponse Respond(const std::string& api_version,
                                   const std::vector<std::string>& registries,
                                   const CachedToken& token, const NodeConfig& config,
                                   absl::Time now) {
  CredentialProviderResponse response;
  response.api_version = api_version;
  // Half the remaining life: the kubelet never holds a token close to its expiry.
  response.cache_duration = std::min(config.max_cache_duration, (token.expires_at - now) / 2);
  for (const std::string& registry : registries) {
    response.auth[registry] = AuthEntry{kAcrTokenUsername, token.token};
  }
  log::Debug(1, absl::StrCat("credentials for ", absl::StrJoin(registries, " and "),
                             " may be cached by the kubelet for ",
                             absl::FormatDuration(response.cache_duration)));
  return response;
}

}  // namespace

absl::StatusOr<CredentialProviderResponse> ProvideCredentials(
    const CredentialProviderRequest& request, const NodeConfig& config, const ProviderEnv& env) {
  const std::string image_registry = RegistryOfImage(request.image);
  // A mirrored registry is served by its ACR: tokens are minted for, and sent to, the ACR.
  const std::string login_server = LoginServerFor(config, absl::AsciiStrToLower(image_registry));
  const bool mirrored = login_server != absl::AsciiStrToLower(image_registry);
  // Unmirrored, the auth key keeps the image's spelling: the kubelet matches it verbatim.
  const std::string registry = mirrored ? login_server : image_registry;
  std::vector<std::string> auth_keys = {registry};
  if (mirrored) {
    log::Debug(1, absl::StrCat(image_registry, " is mirrored by ", registry));
    auth_keys.push_back(image_registry);
  }
  const LoginServerPolicy policy(config.cloud.acr_suffix, config.registries);
  if (!policy.Allows(registry)) {
    log::Debug(
        1, absl::StrCat("registry ", registry, " is not an ACR login server of ", config.cloud.name,
                        " nor listed in \"registries\"; answering without credentials"));
    CredentialProviderResponse response;
    response.api_version = request.api_version;
    response.cache_duration = absl::ZeroDuration();
    return response;
  }

  absl::StatusOr<std::unique_ptr<Identity>> identity =
      CreateIdentity(config, request, login_server);
  if (!identity.ok()) return identity.status();
  const std::string entra_key = Sha256Hex(absl::StrCat(
      (*identity)->CacheKey(), "\n", config.cloud.authority_host, "\n", config.cloud.audience));
  const std::string acr_key =
      absl::StrCat("acr-", Sha256Hex(absl::StrCat(entra_key, "\n", login_server)));

  Refresher refresher(config, env, **identity, absl::StrCat("entra-", entra_key));
  std::optional<CachedToken> cached;
  absl::StatusOr<CachedToken> token = GetOrRefresh(
      *env.cache, *env.clock, acr_key, absl::StrCat("ACR refresh token for ", registry),
      refresher.deadline(), [&] { return refresher.RefreshToken(registry); }, cached);
  if (token.ok()) return Respond(request.api_version, auth_keys, *token, config, env.clock->Now());
  if (cached && cached->UsableAt(env.clock->Now())) {
    log::Debug(
        1, absl::StrCat("refresh failed, serving the cached token for ", registry, " (valid until ",
                        absl::FormatTime(cached->expires_at, absl::UTCTimeZone()),
                        "): ", token.status().message()));
    return Respond(request.api_version, auth_keys, *cached, config, env.clock->Now());
  }
  return WithDeadlineHint(token.status(), config);
}

}  // namespace acrcp
