#include "plugin/azure/acr_exchange.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "plugin/azure/jwt.h"
#include "plugin/azure/registry_errors.h"
#include "plugin/base/log.h"

namespace acrcp {
namespace {

absl::Status ExchangeError(const ExchangeRequest& request, int status, absl::string_view body,
                           int attempts) {
  const std::string head =
      absl::StrCat("ACR token exchange at ", request.login_server, " failed: ");
  std::string detail = RegistryErrorMessage(body);
  if (!detail.empty()) detail = absl::StrCat(": ", detail);
  if (status == 403) {
    return absl::PermissionDeniedError(absl::StrCat(
        head, "HTTP 403", detail,
        " (the registry refused this node: its firewall or private endpoint may not allow the "
        "node's address (az acr network-rule add), or the principal ",
        request.client_id, " lacks AcrPull)"));
  }
  if (status == 401) {
    return absl::PermissionDeniedError(absl::StrCat(
        head, "HTTP ", status, detail, " (the service principal ", request.client_id,
        " lacks the AcrPull role on this registry; grant it: az role assignment create "
        "--assignee ",
        request.client_id, " --role AcrPull --scope $(az acr show --name ",
        RegistryName(request.login_server), " --query id --output tsv))"));
  }
  if (IsRetryableStatus(status)) {
    return absl::UnavailableError(
        absl::StrCat(head, "HTTP ", status, " to ", RetriedAttempts(attempts),
                     " (the registry is throttling or unavailable; the kubelet retries on the "
                     "next pull)"));
  }
  if (status == 404) {
    return absl::FailedPreconditionError(
        absl::StrCat(head, "HTTP 404 (is ", request.login_server, " an ACR login server?)"));
  }
  return absl::FailedPreconditionError(
      absl::StrCat(head, "HTTP ", status, detail,
                   " (check that tenantId is the registry's tenant and that the Entra token's "
                   "audience is accepted; see docs/troubleshooting.md)"));
}

}  // namespace

absl::StatusOr<AcrRefreshToken> ExchangeForRefreshToken(HttpTransport& transport, Retrier& retrier,
                                                        const ExchangeRequest& request) {
  HttpRequest http;
  http.url = absl::StrCat("https://", request.login_server, "/oauth2/exchange");
  http.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                  {"Accept", "application/json"}};
  std::vector<std::pair<std::string, std::string>> form = {{"grant_type", "access_token"},
                                                           {"service", request.login_server}};
  // A managed identity's tenant may be unknown here; ACR then reads it from the token.
  if (!request.tenant_id.empty()) form.emplace_back("tenant", request.tenant_id);
  form.emplace_back("access_token", request.access_token);
  http.body = FormEncode(form);
  log::Debug(1, absl::StrCat("exchanging the Entra token at ", request.login_server));

  absl::StatusOr<RetriedResponse> result = retrier.Send(transport, std::move(http));
  if (!result.ok()) {
    return absl::Status(result.status().code(),
                        absl::StrCat("ACR token exchange at ", request.login_server,
                                     " failed: ", result.status().message()));
  }
  return ParseExchangeResponse(request, result->response.status, result->response.body,
                               result->attempts);
}

absl::StatusOr<AcrRefreshToken> ParseExchangeResponse(const ExchangeRequest& request,
                                                      int http_status, absl::string_view body,
                                                      int attempts) {
  if (http_status != 200) return ExchangeError(request, http_status, body, attempts);
  const nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
  const auto token = doc.is_object() ? doc.find("refresh_token") : doc.end();
  if (!doc.is_object() || token == doc.end() || !token->is_string() ||
      token->get<std::string>().empty()) {
    return absl::UnavailableError(
        absl::StrCat("ACR token exchange at ", request.login_server,
                     " failed: HTTP 200 without a refresh_token (is a proxy answering in "
                     "its place?)"));
  }
  AcrRefreshToken out{token->get<std::string>(), absl::InfinitePast()};
  absl::StatusOr<absl::Time> expiry = JwtExpiry(out.token);
  if (!expiry.ok()) {
    return absl::UnavailableError(
        absl::StrCat("ACR token exchange at ", request.login_server,
                     " returned an unreadable refresh token: ", expiry.status().message()));
  }
  out.expires_at = *expiry;
  return out;
}

}  // namespace acrcp
