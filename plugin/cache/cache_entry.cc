#include "plugin/cache/cache_entry.h"

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace acrcp {
namespace {

constexpr int kFormatVersion = 1;

}  // namespace

std::string SerializeCacheEntry(absl::string_view key, const CachedToken& entry) {
  const nlohmann::json doc = {{"version", kFormatVersion},
                              {"key", std::string(key)},
                              {"token", entry.token},
                              {"obtainedAt", absl::ToUnixSeconds(entry.obtained_at)},
                              {"expiresAt", absl::ToUnixSeconds(entry.expires_at)}};
  return doc.dump();
}

absl::StatusOr<CachedToken> ParseCacheEntry(absl::string_view text, absl::string_view key) {
  const nlohmann::json doc = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  const auto is_int = [&doc](const char* name) {
    return doc.contains(name) && doc[name].is_number_integer();
  };
  if (!doc.is_object() || !is_int("version") || doc["version"].get<int64_t>() != kFormatVersion ||
      !doc.contains("key") || !doc["key"].is_string() ||
      doc["key"].get_ref<const std::string&>() != key || !doc.contains("token") ||
      !doc["token"].is_string() || !is_int("obtainedAt") || !is_int("expiresAt")) {
    return absl::InvalidArgumentError("not a cache entry of this version");
  }
  CachedToken entry{doc["token"].get<std::string>(),
                    absl::FromUnixSeconds(doc["obtainedAt"].get<int64_t>()),
                    absl::FromUnixSeconds(doc["expiresAt"].get<int64_t>())};
  if (entry.token.empty() || entry.expires_at <= entry.obtained_at) {
    return absl::InvalidArgumentError("inconsistent times or empty token");
  }
  return entry;
}

}  // namespace acrcp
