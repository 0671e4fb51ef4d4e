// The on-disk form of one token cache entry (file_token_cache.h): a small JSON document
// that names its own key, so an entry renamed or copied to another key's file is refused.
//
//   {"version":1,"key":"<key>","token":"<token>","obtainedAt":<unix s>,"expiresAt":<unix s>,
//    "registry":"<login server>","renewable":<bool>,
//    "refreshFailingSince":<unix s>,"refreshFailedAt":<unix s>}
//
// The last four are optional, in pairs (entries written before `refresh` existed lack them;
// the failure times are there only while refreshing fails).
//
// Parsing is strict because cache files are input: anything but this exact shape, with a
// non-empty token and expiresAt after obtainedAt, is rejected and later replaced.
#ifndef ACRCP_PLUGIN_CACHE_CACHE_ENTRY_H_
#define ACRCP_PLUGIN_CACHE_CACHE_ENTRY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "plugin/cache/token_cache.h"

namespace acrcp {

std::string SerializeCacheEntry(absl::string_view key, const CachedToken& entry);

// The entry in `text` if it is a well-formed entry of the current version for `key`;
// otherwise InvalidArgument saying what is wrong (never quoting the token).
absl::StatusOr<CachedToken> ParseCacheEntry(absl::string_view text, absl::string_view key);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_CACHE_CACHE_ENTRY_H_
