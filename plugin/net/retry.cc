#include "plugin/net/retry.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "plugin/base/log.h"

namespace acrcp {
namespace {

std::optional<absl::Duration> ParseMilliseconds(absl::string_view value) {
  int64_t ms = 0;
  if (!absl::SimpleAtoi(value, &ms) || ms < 0) return std::nullopt;
  return absl::Milliseconds(ms);
}

// A connection failure that survived every retry: say how hard we tried and where to look.
absl::Status GaveUp(const absl::Status& status, int attempts) {
  return absl::Status(status.code(),
                      absl::StrCat(status.message(), " (gave up after ", attempts,
                                   attempts == 1 ? " attempt" : " attempts",
                                   "; check the node's network, DNS, HTTPS_PROXY and NO_PROXY)"));
}

}  // namespace

bool IsRetryableStatus(int http_status) {
  return http_status == 408 || http_status == 429 ||
         (http_status >= 500 && http_status <= 599 && http_status != 501 && http_status != 505);
}

std::string RetriedAttempts(int attempts) {
  if (attempts == 1) return "1 attempt, the only one that fit in timeoutSeconds";
  return absl::StrCat("all ", attempts, " attempts");
}

std::optional<absl::Duration> RetryAfter(const HttpResponse& response, absl::Time now) {
  for (const char* name : {"retry-after-ms", "x-ms-retry-after-ms"}) {
    if (auto value = response.Header(name)) {
      if (auto ms = ParseMilliseconds(*value)) return ms;
    }
  }
  const std::optional<absl::string_view> value = response.Header("retry-after");
  if (!value) return std::nullopt;
  int64_t seconds = 0;
  if (absl::SimpleAtoi(*value, &seconds)) {
    return seconds < 0 ? std::nullopt : std::optional(absl::Seconds(seconds));
  }
  absl::Time when;
  std::string error;
  if (absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", std::string(*value), absl::UTCTimeZone(), &when,
                      &error)) {
    return std::max(absl::ZeroDuration(), when - now);
  }
  return std::nullopt;
}

absl::Duration BackoffDelay(const RetryPolicy& policy, int attempt, double jitter) {
  absl::Duration full = policy.base_delay;
  for (int i = 1; i < attempt && full < policy.max_delay; ++i) full *= 2;
  full = std::min(full, policy.max_delay);
  return full * (0.5 + 0.5 * std::clamp(jitter, 0.0, 1.0));
}

Retrier::Retrier(Clock& clock, absl::Time deadline, RetryPolicy policy,
                 std::function<double()> jitter)
    : clock_(clock), deadline_(deadline), policy_(policy), jitter_(std::move(jitter)) {}

absl::StatusOr<RetriedResponse> Retrier::Send(HttpTransport& transport, HttpRequest request,
                                              absl::Span<const int> also_retry) {
  const std::string host(HostOfUrl(request.url));
  for (int attempt = 1;; ++attempt) {
    const absl::Duration left = deadline_ - clock_.Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(
          absl::StrCat("no answer from ", host, " before the deadline"));
    }
    request.timeout = left;
    log::Debug(2, absl::StrCat(request.method, " ", request.url, " (attempt ", attempt, ")"));
    absl::StatusOr<HttpResponse> result = transport.Send(request);
    if (result.ok()) {
      log::Debug(2, absl::StrCat(host, " answered HTTP ", result->status));
      const bool retryable =
          IsRetryableStatus(result->status) ||
          std::find(also_retry.begin(), also_retry.end(), result->status) != also_retry.end();
      if (!retryable) return RetriedResponse{*std::move(result), attempt};
    } else {
      log::Debug(2, result.status().message());
      if (result.status().code() != absl::StatusCode::kUnavailable) return result.status();
    }
    std::optional<absl::Duration> wait;
    if (result.ok()) wait = RetryAfter(*result, clock_.Now());
    if (!wait) wait = BackoffDelay(policy_, attempt, jitter_());
    const bool out_of_time = clock_.Now() + *wait >= deadline_;
    if (attempt >= policy_.max_attempts || out_of_time) {
      if (!result.ok()) return GaveUp(result.status(), attempt);
      return RetriedResponse{*std::move(result), attempt};
    }
    log::Debug(1, absl::StrCat("retrying ", host, " in ", absl::FormatDuration(*wait)));
    clock_.SleepFor(*wait);
  }
}

std::function<double()> RandomJitter() {
  // Seeded on first use: a cache hit never retries and should not pay for the seed.
  return [engine = std::optional<std::mt19937_64>()]() mutable {
    if (!engine) engine.emplace(std::random_device{}());
    return std::uniform_real_distribution<double>(0.0, 1.0)(*engine);
  };
}

}  // namespace acrcp
