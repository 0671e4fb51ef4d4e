// A cache of tokens shared by every invocation of the plugin on a node.
//
// Keys are opaque hex strings derived from everything that makes a token valid (identity,
// credential fingerprint, audience, login server; see provider.cc), so a rotated secret
// or a different registry can never be served a wrong token. Entries own their validity
// rule. Locks make concurrent invocations do the network work once: whoever holds a key's
// lock refreshes it, the others wait and then read. Implementations: a file cache
// (file_token_cache.h) and a null cache for when no usable cache directory exists.
// Instances are used by one thread.
#ifndef ACRCP_PLUGIN_CACHE_TOKEN_CACHE_H_
#define ACRCP_PLUGIN_CACHE_TOKEN_CACHE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "plugin/base/clock.h"

namespace acrcp {

// Never serve a token with less than this left: the kubelet and containerd still have to
// use it, and clocks drift.
inline constexpr absl::Duration kMinRemainingLifetime = absl::Seconds(60);
// After a failed refresh, a usable token is served without trying again for this long: during
// an Entra ID or registry outage, pulls answer at once instead of waiting out retries. The
// refresh timer (every 15 min, plus up to 5 min of random delay and 1 min of accuracy) keeps
// trying, so this covers its longest gap.
inline constexpr absl::Duration kRetryAfterFailure = absl::Minutes(25);

struct CachedToken {
  std::string token;
  absl::Time obtained_at;
  absl::Time expires_at;
  // The login server the token is for, and whether the node can renew it on its own (not a
  // per-pod service-account token): what `refresh` needs. Empty/false in older entries.
  std::string registry = {};
  bool renewable = false;
  // Since when every attempt to replace this token has failed, and the latest such failure
  // (InfinitePast: the last attempt worked), for the error once it can no longer be served and
  // for kRetryAfterFailure.
  absl::Time failing_since = absl::InfinitePast();
  absl::Time last_failure = absl::InfinitePast();

  // Fresh: younger than half its lifetime (then it is refreshed, as the ECR helper does),
  // with kMinRemainingLifetime left.
  bool FreshAt(absl::Time now) const {
    return now < obtained_at + (expires_at - obtained_at) / 2 && UsableAt(now);
  }
  // Usable: may still be served when a refresh fails (stale-while-down).
  bool UsableAt(absl::Time now) const { return now + kMinRemainingLifetime < expires_at; }
  // Usable, and a refresh failed so recently that trying again now would only make the
  // caller wait.
  bool BackingOffAt(absl::Time now) const {
    return UsableAt(now) && now < last_failure + kRetryAfterFailure;
  }
};

// One entry as `refresh` sees it: what it holds and when a front end last read it.
struct CacheListing {
  std::string key;
  CachedToken entry;
  absl::Time last_used;  // InfinitePast when never read since it was stored
};

// Held while a key is being refreshed; destruction releases it.
class CacheLock {
 public:
  virtual ~CacheLock() = default;
};

class TokenCache {
 public:
  virtual ~TokenCache() = default;

  // The entry for `key`, or nullopt if absent, unreadable, corrupt or not trustworthy
  // (such entries are ignored and will be replaced, never served).
  virtual std::optional<CachedToken> Get(const std::string& key) = 0;

  // Stores `entry` atomically: readers see the old entry or the new one, never a mix.
  // Best effort: a failure is logged at -v 1 and otherwise ignored, since the caller
  // already has its token. REQUIRES: the caller holds `key`'s lock.
  virtual void Put(const std::string& key, const CachedToken& entry) = 0;

  // Forgets `key`'s entry, if any (best effort, like Put). REQUIRES: the caller holds
  // `key`'s lock.
  virtual void Erase(const std::string& key) = 0;

  // Every well-formed entry, with when a front end last read it. Reading them here does not
  // count as a use.
  virtual std::vector<CacheListing> List() = 0;

  // Waits until this process holds `key`'s lock or `deadline` passes (DeadlineExceeded).
  // The lock is released when the returned object is destroyed or the process dies.
  virtual absl::StatusOr<std::unique_ptr<CacheLock>> Lock(const std::string& key,
                                                          absl::Time deadline) = 0;
};

// Remembers nothing and locks nothing.
std::unique_ptr<TokenCache> NewNullTokenCache();

// How GetOrRefresh decides that an entry will do.
struct Freshness {
  // Fresh now (the front ends), or still fresh this long from now (`refresh`, to its next run).
  absl::Duration ahead = absl::ZeroDuration();
  // Serve a usable entry while backing off after a failure (BackingOffAt); `refresh`, whose
  // job is to retry, does not.
  bool back_off = true;
};

// The single-flight read-through used for every cached token: returns `key`'s entry if it
// will do (`freshness`); otherwise takes the key's lock (waiting at most until `deadline`), checks
// again (the previous holder may just have refreshed it), and else calls `refresh` and stores its
// result; when `refresh` fails, the entry is stored again with the failure's time. `seen` receives
// the last entry read from the cache, fresh or not, so a caller whose refresh failed can still
// serve a usable one. `what` names the token at -v 1.
absl::StatusOr<CachedToken> GetOrRefresh(TokenCache& cache, Clock& clock, const std::string& key,
                                         absl::string_view what, absl::Time deadline,
                                         absl::FunctionRef<absl::StatusOr<CachedToken>()> refresh,
                                         std::optional<CachedToken>& seen,
                                         Freshness freshness = {});

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_CACHE_TOKEN_CACHE_H_
