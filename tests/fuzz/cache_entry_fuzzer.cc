// Token cache files (cache_entry.h), which are input like any other file: ParseCacheEntry
// never crashes, accepts only consistent entries, and every entry it accepts serialises
// back to a document that parses to the same entry.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "plugin/cache/cache_entry.h"
#include "plugin/cache/token_cache.h"
#include "tests/fuzz/fuzz_check.h"

using acrcp::fuzz::Require;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The key the seeds are written for; another key must never parse them.
  constexpr absl::string_view kKey = "myacr.azurecr.io|04b07795-8ddb-461a-bbee-02f9e1bf7b46";
  const absl::string_view text = acrcp::fuzz::AsText(data, size);
  const absl::StatusOr<acrcp::CachedToken> entry = acrcp::ParseCacheEntry(text, kKey);
  if (!entry.ok()) {
    Require(absl::IsInvalidArgument(entry.status()), "a bad entry is InvalidArgument");
    return 0;
  }
  Require(!entry->token.empty() && entry->expires_at > entry->obtained_at,
          "an accepted entry has a token and a positive lifetime");
  Require(!acrcp::ParseCacheEntry(text, "other.azurecr.io|key").ok(),
          "an entry parses only under its own key");

  const std::string again = acrcp::SerializeCacheEntry(kKey, *entry);
  const absl::StatusOr<acrcp::CachedToken> reparsed = acrcp::ParseCacheEntry(again, kKey);
  Require(reparsed.ok(), "a serialised entry parses");
  Require(reparsed->token == entry->token && reparsed->obtained_at == entry->obtained_at &&
              reparsed->expires_at == entry->expires_at && reparsed->registry == entry->registry &&
              reparsed->renewable == entry->renewable &&
              reparsed->failing_since == entry->failing_since &&
              reparsed->last_failure == entry->last_failure,
          "an entry survives serialisation unchanged");
  return 0;
}
