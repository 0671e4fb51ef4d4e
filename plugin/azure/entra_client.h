// Microsoft Entra ID's v2.0 token endpoint, for confidential clients.
//
// One POST to https://<authority>/<tenant>/oauth2/v2.0/token with grant_type
// client_credentials, the credential's form fields (a client secret, or a client assertion:
// a certificate-signed JWT or a federated token) and scope "<audience>/.default". Failures come
// back as statuses whose message says what failed, why (the AADSTS code), and what the operator
// should do; see entra_errors.h.
#ifndef ACRCP_PLUGIN_AZURE_ENTRA_CLIENT_H_
#define ACRCP_PLUGIN_AZURE_ENTRA_CLIENT_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "plugin/net/http_transport.h"
#include "plugin/net/retry.h"

namespace acrcp {

struct AccessToken {
  std::string value;
  absl::Time expires_at;
};

struct EntraTokenRequest {
  std::string authority_host;  // "https://login.microsoftonline.com"
  std::string tenant_id;
  std::string client_id;
  std::string audience;  // the scope requested is audience + "/.default"
  // The proof of identity, e.g. {{"client_secret", "..."}}.
  std::vector<std::pair<std::string, std::string>> credential_fields;
  // Where the credential lives, for messages ("client secret file /etc/...").
  std::string credential_origin;
  // For federated assertions, the token's issuer and subject, for messages.
  std::string assertion_issuer;
  std::string assertion_subject;
};

// The token in a 200 answer of Entra ID or a managed-identity endpoint: `access_token` and
// `expires_in` (a number, or a numeric string as IMDS and Arc send it), counted from `now`.
// Unavailable naming `source` when either is missing.
absl::StatusOr<AccessToken> ParseAccessTokenResponse(absl::string_view body, absl::Time now,
                                                     absl::string_view source);

// "<authority>/<tenant>/oauth2/v2.0/token", also the `aud` of client assertions.
std::string EntraTokenEndpoint(absl::string_view authority_host, absl::string_view tenant_id);

// Requests a token. `now` is when the request was sent (expires_in counts from there).
absl::StatusOr<AccessToken> RequestEntraToken(HttpTransport& transport, Retrier& retrier,
                                              const EntraTokenRequest& request, absl::Time now);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_AZURE_ENTRA_CLIENT_H_
