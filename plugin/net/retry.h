// Retrying one HTTPS request inside a fixed deadline.
//
// Policy (docs/configuration.md, "Retries"): 408, 429 and 5xx answers and connection
// failures are retried with exponential backoff and jitter, honouring Retry-After (and
// Azure's retry-after-ms / x-ms-retry-after-ms); everything else is returned at once,
// because a wrong secret or a missing role does not get better by asking again. No attempt
// starts or sleeps past the deadline: the kubelet kills the plugin at 60 s.
#ifndef ACRCP_PLUGIN_NET_RETRY_H_
#define ACRCP_PLUGIN_NET_RETRY_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "plugin/base/clock.h"
#include "plugin/net/http_transport.h"

namespace acrcp {

struct RetryPolicy {
  int max_attempts = 4;
  absl::Duration base_delay = absl::Milliseconds(500);
  absl::Duration max_delay = absl::Seconds(8);
};

struct RetriedResponse {
  HttpResponse response;  // the last answer; may still be a retryable status
  int attempts = 0;
};

bool IsRetryableStatus(int http_status);

// How a message counts the attempts that all got a retryable answer: "all 4 attempts", or
// "1 attempt, the only one that fit in timeoutSeconds" when the deadline (or a Retry-After
// reaching past it) left no room for another.
std::string RetriedAttempts(int attempts);

// The server's requested wait, if it sent one: retry-after-ms, x-ms-retry-after-ms, or
// Retry-After as seconds or an HTTP date (relative to `now`).
std::optional<absl::Duration> RetryAfter(const HttpResponse& response, absl::Time now);

// The wait before attempt `attempt + 1`, for jitter in [0, 1): half to all of
// base * 2^(attempt-1), capped at max_delay.
absl::Duration BackoffDelay(const RetryPolicy& policy, int attempt, double jitter);

class Retrier {
 public:
  // `jitter` returns values in [0, 1). REQUIRES: `clock` outlives the Retrier.
  Retrier(Clock& clock, absl::Time deadline, RetryPolicy policy, std::function<double()> jitter);

  // Sends `request` (its timeout is set to what is left of the deadline) until an answer
  // that is not retryable (IsRetryableStatus, or one of `also_retry`), the attempts run out, or the
  // deadline would be passed. Returns the last HTTP answer, or the last transport error with the
  // attempt count appended; DeadlineExceeded when time ran out.
  absl::StatusOr<RetriedResponse> Send(HttpTransport& transport, HttpRequest request,
                                       absl::Span<const int> also_retry = {});

  absl::Time deadline() const { return deadline_; }

 private:
  Clock& clock_;
  absl::Time deadline_;
  RetryPolicy policy_;
  std::function<double()> jitter_;
};

// A jitter source seeded from the OS.
std::function<double()> RandomJitter();

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_NET_RETRY_H_
