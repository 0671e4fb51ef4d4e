#include "plugin/net/retry.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace acrcp {
namespace {

using ::acrcp::testing::FakeClock;
using ::acrcp::testing::ScriptedTransport;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

HttpRequest Request() {
  HttpRequest r;
  r.url = "https://login.example/t/oauth2/v2.0/token";
  return r;
}

TEST(RetryTest, RetryableStatuses) {
  for (int s : {408, 429, 500, 502, 503, 504}) EXPECT_TRUE(IsRetryableStatus(s)) << s;
  for (int s : {200, 400, 401, 403, 404, 501, 505}) EXPECT_FALSE(IsRetryableStatus(s)) << s;
}

TEST(RetryTest, RetryAfterHeaders) {
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  HttpResponse r;
  EXPECT_FALSE(RetryAfter(r, now).has_value());
  r.headers = {{"retry-after", "7"}};
  EXPECT_EQ(RetryAfter(r, now), absl::Seconds(7));
  r.headers = {{"retry-after", "7"}, {"retry-after-ms", "1500"}};
  EXPECT_EQ(RetryAfter(r, now), absl::Milliseconds(1500));
  r.headers = {{"x-ms-retry-after-ms", "250"}};
  EXPECT_EQ(RetryAfter(r, now), absl::Milliseconds(250));
  // 1800000000 is Fri, 15 Jan 2027 08:00:00 GMT.
  r.headers = {{"retry-after", "Fri, 15 Jan 2027 08:00:09 GMT"}};
  EXPECT_EQ(RetryAfter(r, now), absl::Seconds(9));
  r.headers = {{"retry-after", "Fri, 15 Jan 2027 07:00:00 GMT"}};
  EXPECT_EQ(RetryAfter(r, now), absl::ZeroDuration()) << "a date in the past means now";
  r.headers = {{"retry-after", "soon"}};
  EXPECT_FALSE(RetryAfter(r, now).has_value());
  r.headers = {{"retry-after", "-3"}};
  EXPECT_FALSE(RetryAfter(r, now).has_value());
}

TEST(RetryTest, BackoffDoublesWithJitterAndIsCapped) {
  const RetryPolicy policy;
  EXPECT_EQ(BackoffDelay(policy, 1, 0.0), absl::Milliseconds(250));
  EXPECT_EQ(BackoffDelay(policy, 1, 1.0), absl::Milliseconds(500));
  EXPECT_EQ(BackoffDelay(policy, 2, 1.0), absl::Seconds(1));
  EXPECT_EQ(BackoffDelay(policy, 3, 0.5), absl::Milliseconds(1500));
  EXPECT_EQ(BackoffDelay(policy, 10, 1.0), absl::Seconds(8));
  EXPECT_EQ(BackoffDelay(policy, 100, 1.0), absl::Seconds(8));
}

TEST(RetryTest, ReturnsTerminalAnswersAtOnce) {
  FakeClock clock;
  ScriptedTransport transport(&clock);
  transport.PushJson(401, "{}");
  Retrier retrier(clock, clock.Now() + absl::Seconds(30), RetryPolicy{}, [] { return 1.0; });
  absl::StatusOr<RetriedResponse> r = retrier.Send(transport, Request());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->response.status, 401);
  EXPECT_EQ(r->attempts, 1);
  EXPECT_TRUE(clock.sleeps.empty());
}

TEST(RetryTest, HonoursRetryAfterThenSucceeds) {
  FakeClock clock;
  ScriptedTransport transport(&clock);
  transport.PushJson(429, "{}", {{"retry-after", "2"}});
  transport.PushJson(200, "{}");
  Retrier retrier(clock, clock.Now() + absl::Seconds(30), RetryPolicy{}, [] { return 1.0; });
  absl::StatusOr<RetriedResponse> r = retrier.Send(transport, Request());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->response.status, 200);
  EXPECT_EQ(r->attempts, 2);
  EXPECT_THAT(clock.sleeps, ElementsAre(absl::Seconds(2)));
}

TEST(RetryTest, BacksOffOnConnectionErrorsAndGivesUpAfterMaxAttempts) {
  FakeClock clock;
  ScriptedTransport transport(&clock);
  for (int i = 0; i < 4; ++i) transport.Push(absl::UnavailableError("cannot reach h: reset"));
  Retrier retrier(clock, clock.Now() + absl::Seconds(30), RetryPolicy{}, [] { return 1.0; });
  absl::StatusOr<RetriedResponse> r = retrier.Send(transport, Request());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(),
              HasSubstr("(gave up after 4 attempts; check the node's network"));
  EXPECT_EQ(transport.sent.size(), 4u);
  EXPECT_THAT(clock.sleeps,
              ElementsAre(absl::Milliseconds(500), absl::Seconds(1), absl::Seconds(2)));
}

TEST(RetryTest, NeverSleepsPastTheDeadline) {
  FakeClock clock;
  ScriptedTransport transport(&clock);
  transport.PushJson(503, "{}");
  transport.PushJson(429, "{}", {{"retry-after", "60"}});
  Retrier retrier(clock, clock.Now() + absl::Seconds(10), RetryPolicy{}, [] { return 1.0; });
  absl::StatusOr<RetriedResponse> r = retrier.Send(transport, Request());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->response.status, 429) << "the last answer is returned for the caller to explain";
  EXPECT_EQ(r->attempts, 2);
  EXPECT_THAT(clock.sleeps, ElementsAre(absl::Milliseconds(500)));
}

TEST(RetryTest, EachAttemptGetsWhatIsLeftOfTheDeadline) {
  FakeClock clock;
  ScriptedTransport transport(&clock);
  transport.Push(absl::UnavailableError("x"), absl::Seconds(3));
  transport.PushJson(200, "{}");
  Retrier retrier(clock, clock.Now() + absl::Seconds(10), RetryPolicy{}, [] { return 1.0; });
  ASSERT_TRUE(retrier.Send(transport, Request()).ok());
  ASSERT_EQ(transport.sent.size(), 2u);
  EXPECT_EQ(transport.sent[0].timeout, absl::Seconds(10));
  EXPECT_EQ(transport.sent[1].timeout, absl::Milliseconds(6500));
}

TEST(RetryTest, TimeoutOfTheLastAttemptIsDeadlineExceeded) {
  FakeClock clock;
  ScriptedTransport transport(&clock);
  transport.Push(absl::DeadlineExceededError("h did not answer in time"), absl::Seconds(5));
  Retrier retrier(clock, clock.Now() + absl::Seconds(5), RetryPolicy{}, [] { return 1.0; });
  absl::StatusOr<RetriedResponse> r = retrier.Send(transport, Request());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(transport.sent.size(), 1u);
}

TEST(RetryTest, TerminalTransportErrorsAreNotRetried) {
  FakeClock clock;
  ScriptedTransport transport(&clock);
  transport.Push(absl::FailedPreconditionError("TLS certificate could not be verified"));
  Retrier retrier(clock, clock.Now() + absl::Seconds(30), RetryPolicy{}, [] { return 1.0; });
  absl::StatusOr<RetriedResponse> r = retrier.Send(transport, Request());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(transport.sent.size(), 1u);
}

TEST(RetryTest, NoAttemptStartsAfterTheDeadline) {
  FakeClock clock;
  ScriptedTransport transport(&clock);
  Retrier retrier(clock, clock.Now() - absl::Seconds(1), RetryPolicy{}, [] { return 1.0; });
  absl::StatusOr<RetriedResponse> r = retrier.Send(transport, Request());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(transport.sent.empty());
}

}  // namespace
}  // namespace acrcp
