// Reading JWT claims (tokens from Entra ID, ACR and service-account token files): base64url
// decoding round-trips, and the claim readers never crash and agree with each other. The
// input is tried as a whole token, and as a token's payload so the fuzzer reaches the JSON
// claims without having to learn base64.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "plugin/azure/jwt.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using acrcp::fuzz::Require;

// Returns the token's exp as JwtExpiry reads it.
absl::StatusOr<absl::Time> CheckToken(absl::string_view jwt) {
  const absl::StatusOr<acrcp::JwtIdentity> identity = acrcp::JwtIssuerAndSubject(jwt);
  const std::optional<std::string> iss = acrcp::JwtStringClaim(jwt, "iss");
  const std::optional<std::string> sub = acrcp::JwtStringClaim(jwt, "sub");
  Require(identity.ok() == (iss.has_value() && sub.has_value()),
          "iss+sub are found exactly when both string claims are");
  if (identity.ok()) {
    Require(identity->issuer == *iss && identity->subject == *sub, "the readers agree");
  } else {
    Require(absl::IsInvalidArgument(identity.status()), "an unreadable token is InvalidArgument");
  }
  const absl::StatusOr<absl::Time> expiry = acrcp::JwtExpiry(jwt);
  if (!expiry.ok()) {
    Require(absl::IsInvalidArgument(expiry.status()), "an unreadable exp is InvalidArgument");
  }
  return expiry;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input = acrcp::fuzz::AsText(data, size);

  const std::string encoded = acrcp::Base64UrlEncode(input);
  Require(acrcp::Base64UrlDecode(encoded) == std::string(input), "encode then decode is identity");
  if (const std::optional<std::string> decoded = acrcp::Base64UrlDecode(input)) {
    Require(acrcp::Base64UrlDecode(acrcp::Base64UrlEncode(*decoded)) == decoded,
            "decoded bytes re-encode to the same bytes");
  }

  CheckToken(input).IgnoreError();  // as a whole token; its claims are unknown here
  const absl::StatusOr<absl::Time> expiry =
      CheckToken(absl::StrCat("eyJhbGciOiJSUzI1NiJ9.", encoded, ".c2ln"));
  if (expiry.ok()) {
    // Whole seconds of the claim, within double's rounding (it may be a float).
    const double claim = nlohmann::json::parse(input).at("exp").get<double>();
    const double seconds = static_cast<double>(absl::ToUnixSeconds(*expiry));
    Require(std::fabs(seconds - claim) <= 1 + std::fabs(claim) * 1e-9, "exp is the claim's value");
  }
  return 0;
}
