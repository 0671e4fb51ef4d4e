// Entra ID's answers to a token request: EntraError (any non-200 status and body) always
// fails with one of its documented codes and never quotes the request's secret unless the
// body itself carries it; ParseAccessTokenResponse (the 200 body) never crashes.
//
// Input: the HTTP status in decimal, a form feed, then the body (no form feed: status 400).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "plugin/azure/entra_client.h"
#include "plugin/azure/entra_errors.h"
#include "tests/fuzz/fuzz_check.h"

using acrcp::fuzz::Require;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr absl::string_view kSecret = "fuzz-client-secret-value";
  const std::optional<acrcp::fuzz::HttpAnswer> answer =
      acrcp::fuzz::AsHttpAnswer(data, size, /*default_status=*/400);
  if (!answer) return 0;
  const auto [http_status, body] = *answer;

  acrcp::EntraTokenRequest request;
  request.authority_host = "https://login.microsoftonline.com";
  request.tenant_id = "72f988bf-86f1-41af-91ab-2d7cd011db47";
  request.client_id = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
  request.audience = "https://containerregistry.azure.net";
  request.credential_fields = {{"client_secret", std::string(kSecret)}};
  request.credential_origin = "client secret file /etc/kubernetes/acr/secret";
  request.assertion_issuer = "https://issuer.example";
  request.assertion_subject = "system:serviceaccount:default:app";

  const absl::Status error = acrcp::EntraError(request, http_status, body, 3);
  Require(absl::IsUnauthenticated(error) || absl::IsNotFound(error) || absl::IsUnavailable(error) ||
              absl::IsFailedPrecondition(error) || absl::IsPermissionDenied(error),
          "EntraError returns one of its documented codes (never OK)");
  Require(absl::StrContains(body, kSecret) || !absl::StrContains(error.message(), kSecret),
          "the client secret never appears in the message");

  const absl::Time now = absl::FromUnixSeconds(1767225600);
  const absl::StatusOr<acrcp::AccessToken> token =
      acrcp::ParseAccessTokenResponse(body, now, "Entra ID");
  if (token.ok()) {
    Require(!token->value.empty(), "an accepted answer has a token");
  } else {
    Require(absl::IsUnavailable(token.status()), "an unreadable answer is Unavailable");
  }
  return 0;
}
