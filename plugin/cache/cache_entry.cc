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
  nlohmann::json doc = {{"version", kFormatVersion},
                        {"key", std::string(key)},
                        {"token", entry.token},
                        {"obtainedAt", absl::ToUnixSeconds(entry.obtained_at)},
                        {"expiresAt", absl::ToUnixSeconds(entry.expires_at)}};
  if (!entry.registry.empty()) {
    doc["registry"] = entry.registry;
    doc["renewable"] = entry.renewable;
  }
  if (entry.failing_since != absl::InfinitePast()) {
    doc["refreshFailingSince"] = absl::ToUnixSeconds(entry.failing_since);
    doc["refreshFailedAt"] = absl::ToUnixSeconds(entry.last_failure);
  }
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
  // Optional, added later in version 1: entries without them are still served.
  const bool has_registry = doc.contains("registry");
  if ((has_registry && (!doc["registry"].is_string() || !doc.contains("renewable") ||
                        !doc["renewable"].is_boolean())) ||
      doc.contains("refreshFailingSince") != doc.contains("refreshFailedAt") ||
      (doc.contains("refreshFailingSince") &&
       (!is_int("refreshFailingSince") || !is_int("refreshFailedAt")))) {
    return absl::InvalidArgumentError("not a cache entry of this version");
  }
  CachedToken entry;
  entry.token = doc["token"].get<std::string>();
  entry.obtained_at = absl::FromUnixSeconds(doc["obtainedAt"].get<int64_t>());
  entry.expires_at = absl::FromUnixSeconds(doc["expiresAt"].get<int64_t>());
  if (has_registry) {
    entry.registry = doc["registry"].get<std::string>();
    entry.renewable = doc["renewable"].get<bool>();
  }
  if (doc.contains("refreshFailingSince")) {
    entry.failing_since = absl::FromUnixSeconds(doc["refreshFailingSince"].get<int64_t>());
    entry.last_failure = absl::FromUnixSeconds(doc["refreshFailedAt"].get<int64_t>());
  }
  if (entry.token.empty() || entry.expires_at <= entry.obtained_at) {
    return absl::InvalidArgumentError("inconsistent times or empty token");
  }
  return entry;
}

}  // namespace acrcp
