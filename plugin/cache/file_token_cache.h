// The token cache on disk, shared by all invocations on a node.
//
// Layout of the cache directory (0700, owned by the running user, default under /run so
// tokens never reach persistent storage):
//   <key>.json              one entry, mode 0600, replaced by rename(2)
//   <key>.lock              empty, flock(2)ed while <key> is being refreshed
//   <key>.used              empty; its mtime is when a front end last read <key>.json
//   <key>.json.tmp.XXXXXX   a write in progress; a crashed writer's leftovers are removed by
//                           the next writer of that key
// An entry that is not a regular 0600 file owned by us, is too large, is not valid JSON of
// the current version, or names another key is ignored (and later replaced), never trusted.
// A process killed at any point leaves either the old or the new entry and no held lock.
#ifndef ACRCP_PLUGIN_CACHE_FILE_TOKEN_CACHE_H_
#define ACRCP_PLUGIN_CACHE_FILE_TOKEN_CACHE_H_

#include <memory>
#include <string>

#include "plugin/base/clock.h"
#include "plugin/cache/token_cache.h"

namespace acrcp {

// Who reads: a front end (each read is a use, which `refresh` goes by) or `refresh`.
enum class CacheUse { kServe, kRenew };

// Opens (creating it 0700 if missing, tightening its mode if we own it) the cache in `dir`.
// Returns the null cache, after saying why at -v 1, when the directory cannot be used
// safely: not a directory, owned by another user, or not creatable. Caching is an
// optimisation; pulls keep working without it. REQUIRES: `clock` outlives the cache.
std::unique_ptr<TokenCache> OpenFileTokenCache(const std::string& dir, Clock& clock,
                                               CacheUse use = CacheUse::kServe);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_CACHE_FILE_TOKEN_CACHE_H_
