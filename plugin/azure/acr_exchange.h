// ACR's token exchange: an Entra access token in, an ACR refresh token out.
//
// POST https://<login server>/oauth2/exchange with grant_type=access_token, service,
// tenant and access_token (Azure/acr docs/AAD-OAuth.md). The refresh token that comes back
// is what the kubelet hands to containerd as the password of the null-GUID user. The
// caller guarantees the login server passed the genuine-host rule (login_server.h): this
// function sends the Entra token wherever it is told.
#ifndef ACRCP_PLUGIN_AZURE_ACR_EXCHANGE_H_
#define ACRCP_PLUGIN_AZURE_ACR_EXCHANGE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "plugin/net/http_transport.h"
#include "plugin/net/retry.h"

namespace acrcp {

struct ExchangeRequest {
  std::string login_server;  // "host[:port]"
  std::string tenant_id;     // may be empty (a managed identity's): then not sent
  std::string access_token;  // Entra token for the ACR audience
  std::string client_id;     // for messages only
};

struct AcrRefreshToken {
  std::string token;
  absl::Time expires_at;  // the token's `exp`
};

// Returns the refresh token and its expiry. PermissionDenied (with the `az role assignment
// create` that fixes it) when ACR refuses the principal, Unavailable when ACR is throttling
// or down or answers with a token whose `exp` cannot be read.
absl::StatusOr<AcrRefreshToken> ExchangeForRefreshToken(HttpTransport& transport, Retrier& retrier,
                                                        const ExchangeRequest& request);

// The refresh token in ACR's answer (`http_status`, `body`) to `request`, which took
// `attempts`; the errors are those of ExchangeForRefreshToken. No I/O (fuzzed on its own).
absl::StatusOr<AcrRefreshToken> ParseExchangeResponse(const ExchangeRequest& request,
                                                      int http_status, absl::string_view body,
                                                      int attempts);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_AZURE_ACR_EXCHANGE_H_
