// Reading (not verifying) JWT claims, and base64url. The plugin never trusts a token's claims
// for authorisation: it reads `exp` from tokens it just received over verified TLS, to know
// how long they may be reused, and `iss` and `sub` of federated assertions, to name them in
// messages and cache keys. Signing is the helper's (net/jwt_signer.h).
#ifndef ACRCP_PLUGIN_AZURE_JWT_H_
#define ACRCP_PLUGIN_AZURE_JWT_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace acrcp {

// Decodes base64url (RFC 4648 §5), padding optional. nullopt on invalid input.
std::optional<std::string> Base64UrlDecode(absl::string_view in);

// Encodes base64url without padding, as JWTs do.
std::string Base64UrlEncode(absl::string_view in);

struct JwtIdentity {
  std::string issuer;   // the `iss` claim
  std::string subject;  // the `sub` claim
};

// A string claim of a compact JWT; nullopt if the token or the claim is unreadable.
std::optional<std::string> JwtStringClaim(absl::string_view jwt, absl::string_view claim);

// The `iss` and `sub` claims of a compact JWT; InvalidArgument if either is missing.
absl::StatusOr<JwtIdentity> JwtIssuerAndSubject(absl::string_view jwt);

// The `exp` claim of a compact JWT. InvalidArgument if the token is not three dot-separated
// parts, the payload is not base64url JSON, or `exp` is missing or not a number.
absl::StatusOr<absl::Time> JwtExpiry(absl::string_view jwt);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_AZURE_JWT_H_
