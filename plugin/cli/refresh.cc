#include "plugin/cli/refresh.h"

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "plugin/cache/token_cache.h"

namespace acrcp {
namespace {

std::string Utc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

}  // namespace

bool RefreshCachedTokens(const NodeConfig& config, const ProviderEnv& env,
                         const RefreshPolicy& policy,
                         absl::FunctionRef<void(absl::string_view)> print) {
  bool ok = true;
  int considered = 0;
  if (env.metrics != nullptr) env.metrics->ReplaceTokenGauges();
  for (const CacheListing& listing : env.cache->List()) {
    const CachedToken& entry = listing.entry;
    if (entry.registry.empty()) continue;  // written before refresh existed; replaced on use
    ++considered;
    const absl::Time now = env.clock->Now();
    if (!entry.renewable) {
      print(absl::StrCat("skipped ", entry.registry,
                         ": signed in with a pod's service-account token, which only the "
                         "kubelet has (renewed on the next pull)"));
      continue;
    }
    if (listing.last_used < now - policy.used_within) {
      print(absl::StrCat(
          "skipped ", entry.registry, ": not used since ",
          listing.last_used == absl::InfinitePast() ? "it was cached" : Utc(listing.last_used),
          " (left to expire at ", Utc(entry.expires_at), ")"));
      continue;
    }
    absl::StatusOr<RenewOutcome> outcome = RenewCredentials(listing, policy.ahead, config, env);
    if (!outcome.ok()) {
      ok = false;
      if (env.metrics != nullptr) {
        env.metrics->Token(entry.registry, entry.expires_at, entry.obtained_at);
      }
      print(absl::StrCat("FAIL ", entry.registry, ": ", outcome.status().message(),
                         entry.UsableAt(now)
                             ? absl::StrCat(" (the cached token is still served until ",
                                            Utc(entry.expires_at), ")")
                             : ""));
    } else if (*outcome == RenewOutcome::kRenewed) {
      print(absl::StrCat("renewed ", entry.registry));
    } else if (*outcome == RenewOutcome::kStillFresh) {
      print(absl::StrCat("fresh ", entry.registry, " (valid until ", Utc(entry.expires_at), ")"));
    } else {
      print(absl::StrCat("skipped ", entry.registry,
                         ": cached for another identity or configuration (left to expire at ",
                         Utc(entry.expires_at), ")"));
    }
  }
  if (considered == 0) print("nothing to renew: no token is cached yet");
  return ok;
}

}  // namespace acrcp
