#include "plugin/azure/jwt.h"

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace acrcp {
namespace {

int DecodeChar(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

}  // namespace

std::optional<std::string> Base64UrlDecode(absl::string_view in) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : in) {
    const int value = DecodeChar(c);
    if (value < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

std::string Base64UrlEncode(absl::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((in.size() * 4 + 2) / 3);
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : in) {
    buffer = (buffer << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(buffer >> bits) & 0x3F]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (6 - bits)) & 0x3F]);
  return out;
}

namespace {

absl::StatusOr<nlohmann::json> Claims(absl::string_view jwt) {
  const std::vector<absl::string_view> parts = absl::StrSplit(jwt, '.');
  if (parts.size() != 3) return absl::InvalidArgumentError("token is not a JWT");
  const std::optional<std::string> payload = Base64UrlDecode(parts[1]);
  if (!payload) return absl::InvalidArgumentError("token payload is not base64url");
  nlohmann::json claims = nlohmann::json::parse(*payload, nullptr, false);
  if (claims.is_discarded() || !claims.is_object()) {
    return absl::InvalidArgumentError("token payload is not a JSON object");
  }
  return claims;
}

}  // namespace

std::optional<std::string> JwtStringClaim(absl::string_view jwt, absl::string_view claim) {
  absl::StatusOr<nlohmann::json> claims = Claims(jwt);
  if (!claims.ok()) return std::nullopt;
  const auto it = claims->find(std::string(claim));
  if (it == claims->end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

absl::StatusOr<JwtIdentity> JwtIssuerAndSubject(absl::string_view jwt) {
  absl::StatusOr<nlohmann::json> claims = Claims(jwt);
  if (!claims.ok()) return claims.status();
  const auto iss = claims->find("iss");
  const auto sub = claims->find("sub");
  if (iss == claims->end() || !iss->is_string() || sub == claims->end() || !sub->is_string()) {
    return absl::InvalidArgumentError("token has no iss and sub claims");
  }
  return JwtIdentity{iss->get<std::string>(), sub->get<std::string>()};
}

absl::StatusOr<absl::Time> JwtExpiry(absl::string_view jwt) {
  absl::StatusOr<nlohmann::json> parsed = Claims(jwt);
  if (!parsed.ok()) return parsed.status();
  const nlohmann::json& claims = *parsed;
  const auto exp = claims.find("exp");
  if (exp == claims.end() || !exp->is_number()) {
    return absl::InvalidArgumentError("token has no numeric exp claim");
  }
  // Beyond int64 (about 2^63 s), converting is undefined for a float and wraps into the past
  // for an unsigned; no real token expires that late.
  if (!(std::fabs(exp->get<double>()) < 9.2e18)) {
    return absl::InvalidArgumentError("token's exp claim is out of range");
  }
  return absl::FromUnixSeconds(exp->get<int64_t>());
}

}  // namespace acrcp
