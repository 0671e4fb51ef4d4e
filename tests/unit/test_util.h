// Helpers shared by the unit tests: temporary directories and files, a fake clock, and a
// scripted HTTP transport that records what it was asked to send.
#ifndef ACRCP_TESTS_UNIT_TEST_UTIL_H_
#define ACRCP_TESTS_UNIT_TEST_UTIL_H_

#include <sys/stat.h>

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "plugin/base/clock.h"
#include "plugin/config/node_config.h"
#include "plugin/net/network_helper.h"

namespace acrcp::testing {

// A directory under $TEST_TMPDIR or /tmp, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  const std::string& path() const { return path_; }
  // Writes `contents` to path()/name with `mode` and returns the full path.
  std::string WriteFile(absl::string_view name, absl::string_view contents, mode_t mode = 0600);

 private:
  std::string path_;
};

class FakeClock : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'800'000'000)) : now_(start) {}
  absl::Time Now() override { return now_; }
  void SleepFor(absl::Duration d) override {
    sleeps.push_back(d);
    now_ += d;
  }
  void Advance(absl::Duration d) { now_ += d; }
  std::vector<absl::Duration> sleeps;

 private:
  absl::Time now_;
};

// Answers requests from a queue and records each request; an empty queue fails the send.
// Signs assertions as "<algorithm>.<payload>.signed-with-<first line of the PEM>", so tests
// can read what would have been signed.
class ScriptedTransport : public NetworkHelper {
 public:
  explicit ScriptedTransport(FakeClock* clock = nullptr) : clock_(clock) {}
  absl::StatusOr<std::string> SignAssertion(const AssertionSigningRequest& request) override;
  std::vector<AssertionSigningRequest> signed_requests;
  void Push(absl::StatusOr<HttpResponse> answer, absl::Duration takes = absl::ZeroDuration());
  void PushJson(int status, absl::string_view body, HttpHeaders headers = {});
  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override;
  std::vector<HttpRequest> sent;

 private:
  struct Answer {
    absl::StatusOr<HttpResponse> response;
    absl::Duration takes;
  };
  FakeClock* clock_;
  std::deque<Answer> answers_;
};

// A helper that forwards to `target`, for code that takes ownership of the helper it starts
// while the test keeps the script.
std::unique_ptr<NetworkHelper> ForwardTo(ScriptedTransport* target);

// Decodes an x-www-form-urlencoded body into a map.
std::map<std::string, std::string> ParseForm(absl::string_view body);

// A compact JWT with the given JSON payload (unsigned; only claims are read).
std::string MakeJwt(absl::string_view payload_json);

// An environment lookup backed by a map.
EnvLookup EnvFrom(std::map<std::string, std::string> vars);

}  // namespace acrcp::testing

#endif  // ACRCP_TESTS_UNIT_TEST_UTIL_H_
