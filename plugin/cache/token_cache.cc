#include "plugin/cache/token_cache.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "plugin/base/log.h"

namespace acrcp {
namespace {

class NullTokenCache : public TokenCache {
 public:
  std::optional<CachedToken> Get(const std::string&) override { return std::nullopt; }
  void Put(const std::string&, const CachedToken&) override {}
  void Erase(const std::string&) override {}
  std::vector<CacheListing> List() override { return {}; }
  absl::StatusOr<std::unique_ptr<CacheLock>> Lock(const std::string&, absl::Time) override {
    return std::make_unique<CacheLock>();
  }
};

}  // namespace

std::unique_ptr<TokenCache> NewNullTokenCache() { return std::make_unique<NullTokenCache>(); }

absl::StatusOr<CachedToken> GetOrRefresh(TokenCache& cache, Clock& clock, const std::string& key,
                                         absl::string_view what, absl::Time deadline,
                                         absl::FunctionRef<absl::StatusOr<CachedToken>()> refresh,
                                         std::optional<CachedToken>& seen, Freshness freshness) {
  const auto will_do = [&](const CachedToken& entry) {
    const absl::Time now = clock.Now();
    return entry.FreshAt(now + freshness.ahead) || (freshness.back_off && entry.BackingOffAt(now));
  };
  seen = cache.Get(key);
  if (seen && will_do(*seen)) {
    log::Debug(1,
               absl::StrCat("using the cached ", what,
                            seen->FreshAt(clock.Now()) ? "" : " (a refresh failed just before)"));
    return *seen;
  }
  absl::StatusOr<std::unique_ptr<CacheLock>> lock = cache.Lock(key, deadline);
  if (!lock.ok()) return lock.status();
  if (std::optional<CachedToken> again = cache.Get(key)) {
    seen = std::move(again);
    if (will_do(*seen)) {
      log::Debug(1, absl::StrCat("another invocation just refreshed the ", what));
      return *seen;
    }
  }
  log::Debug(1, absl::StrCat(seen ? "refreshing the " : "no cached ", what));
  const absl::Time attempted = clock.Now();
  absl::StatusOr<CachedToken> fresh = refresh();
  if (fresh.ok()) {
    cache.Put(key, *fresh);
  } else if (seen) {
    if (seen->failing_since == absl::InfinitePast()) seen->failing_since = attempted;
    seen->last_failure = clock.Now();
    cache.Put(key, *seen);
  }
  return fresh;
}

}  // namespace acrcp
