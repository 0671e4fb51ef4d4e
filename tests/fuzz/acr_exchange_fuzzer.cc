// ACR's answer to the token exchange: ParseExchangeResponse never crashes, succeeds only on
// HTTP 200 with a refresh token whose exp is readable, and never quotes the Entra access
// token it sent unless the body itself carries it.
//
// Input: the HTTP status in decimal, a form feed, then the body (no form feed: status 200).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "plugin/azure/acr_exchange.h"
#include "plugin/azure/jwt.h"
#include "tests/fuzz/fuzz_check.h"

using acrcp::fuzz::Require;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr absl::string_view kAccessToken = "fuzz-entra-access-token";
  const std::optional<acrcp::fuzz::HttpAnswer> answer =
      acrcp::fuzz::AsHttpAnswer(data, size, /*default_status=*/200);
  if (!answer) return 0;
  const auto [http_status, body] = *answer;

  const acrcp::ExchangeRequest request{"myacr.azurecr.io", "72f988bf-86f1-41af-91ab-2d7cd011db47",
                                       std::string(kAccessToken),
                                       "04b07795-8ddb-461a-bbee-02f9e1bf7b46"};
  const absl::StatusOr<acrcp::AcrRefreshToken> token =
      acrcp::ParseExchangeResponse(request, http_status, body, 2);
  if (token.ok()) {
    Require(http_status == 200, "only HTTP 200 yields a token");
    Require(!token->token.empty(), "an accepted answer has a refresh token");
    const absl::StatusOr<absl::Time> exp = acrcp::JwtExpiry(token->token);
    Require(exp.ok() && *exp == token->expires_at, "expires_at is the token's exp");
    return 0;
  }
  const absl::Status& error = token.status();
  Require(absl::IsPermissionDenied(error) || absl::IsUnavailable(error) ||
              absl::IsFailedPrecondition(error),
          "a failed exchange has one of the documented codes");
  Require(
      absl::StrContains(body, kAccessToken) || !absl::StrContains(error.message(), kAccessToken),
      "the Entra access token never appears in the message");
  return 0;
}
