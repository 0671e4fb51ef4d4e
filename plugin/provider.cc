#include "plugin/provider.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "plugin/acr_exchange.h"
#include "plugin/client_secret_identity.h"
#include "plugin/jwt.h"
#include "plugin/log.h"
#include "plugin/login_server.h"
#include "plugin/retry.h"

namespace acrcp {
namespace {

absl::Status WithDeadlineHint(const absl::Status& status, const NodeConfig& config) {
  if (status.code() != absl::StatusCode::kDeadlineExceeded) return status;
  return absl::DeadlineExceededError(
      absl::StrCat(status.message(), " (timeoutSeconds is ", absl::ToInt64Seconds(config.timeout),
                   "; check the node's connectivity to Azure and HTTPS_PROXY / NO_PROXY)"));
}

// How long the kubelet may reuse the refresh token: half its remaining life, so a token is
// never handed out close to expiry, and never longer than the operator allows.
absl::StatusOr<absl::Duration> CacheDurationFor(const std::string& refresh_token,
                                                const std::string& login_server,
                                                const NodeConfig& config, absl::Time now) {
  absl::StatusOr<absl::Time> expiry = JwtExpiry(refresh_token);
  if (!expiry.ok()) {
    return absl::UnavailableError(
        absl::StrCat("ACR token exchange at ", login_server,
                     " returned an unreadable refresh token: ", expiry.status().message()));
  }
  const absl::Duration remaining = *expiry - now;
  if (remaining <= absl::Seconds(2)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "ACR token exchange at ", login_server, " returned a refresh token that expires at ",
        absl::FormatTime(*expiry, absl::UTCTimeZone()),
        " (check the node's clock: timedatectl status)"));
  }
  return std::min(config.max_cache_duration, remaining / 2);
}

}  // namespace

absl::StatusOr<CredentialProviderResponse> ProvideCredentials(
    const CredentialProviderRequest& request, const NodeConfig& config, const ProviderEnv& env) {
  CredentialProviderResponse response;
  response.api_version = request.api_version;
  const std::string registry = RegistryOfImage(request.image);
  const LoginServerPolicy policy(config.cloud.acr_suffix, config.registries);
  if (!policy.Allows(registry)) {
    log::Debug(
        1, absl::StrCat("registry ", registry, " is not an ACR login server of ", config.cloud.name,
                        " nor listed in \"registries\"; answering without credentials"));
    response.cache_duration = absl::ZeroDuration();
    return response;
  }

  absl::StatusOr<std::unique_ptr<ClientSecretIdentity>> identity =
      ClientSecretIdentity::Create(config);
  if (!identity.ok()) return identity.status();
  absl::StatusOr<std::unique_ptr<HttpTransport>> transport = env.make_transport();
  if (!transport.ok()) return transport.status();

  Retrier retrier(*env.clock, env.clock->Now() + config.timeout, RetryPolicy{}, env.jitter);
  absl::StatusOr<AccessToken> access =
      (*identity)->GetAccessToken(**transport, retrier, config.cloud, env.clock->Now());
  if (!access.ok()) return WithDeadlineHint(access.status(), config);

  const ExchangeRequest exchange{registry, (*identity)->tenant_id(), access->value,
                                 (*identity)->client_id()};
  absl::StatusOr<std::string> refresh_token =
      ExchangeForRefreshToken(**transport, retrier, exchange);
  if (!refresh_token.ok()) return WithDeadlineHint(refresh_token.status(), config);

  absl::StatusOr<absl::Duration> cache_duration =
      CacheDurationFor(*refresh_token, registry, config, env.clock->Now());
  if (!cache_duration.ok()) return cache_duration.status();
  response.cache_duration = *cache_duration;
  response.auth[registry] = AuthEntry{kAcrTokenUsername, *std::move(refresh_token)};
  log::Debug(1, absl::StrCat("credentials for ", registry, " valid for the kubelet for ",
                             absl::FormatDuration(*cache_duration)));
  return response;
}

}  // namespace acrcp
