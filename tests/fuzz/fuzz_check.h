// Shared by the fuzz targets: a violated invariant traps, which libFuzzer reports as a crash
// (saving the input) and the replay test (replay_main.cc) as a failure.
#ifndef ACRCP_TESTS_FUZZ_FUZZ_CHECK_H_
#define ACRCP_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"

namespace acrcp::fuzz {

// Traps unless `condition`, naming the invariant first so a crash report says which one.
inline void Require(bool condition, const char* invariant) {
  if (condition) return;
  std::fprintf(stderr, "fuzz invariant violated: %s\n", invariant);
  __builtin_trap();
}

inline absl::string_view AsText(const uint8_t* data, size_t size) {
  return absl::string_view(reinterpret_cast<const char*>(data), size);
}

// Splits an input that carries two values at its first form feed (which is not valid JSON
// anywhere, so JSON inputs without one stay whole); the second part is empty without one.
inline std::pair<absl::string_view, absl::string_view> SplitAtFormFeed(absl::string_view input) {
  const size_t at = input.find('\f');
  if (at == absl::string_view::npos) return {input, absl::string_view()};
  return {input.substr(0, at), input.substr(at + 1)};
}

struct HttpAnswer {
  int status;
  absl::string_view body;
};

// An HTTP answer: "<status>\f<body>", or a body alone with `default_status`. nullopt when the
// status is not a number, so the target skips the input.
inline std::optional<HttpAnswer> AsHttpAnswer(const uint8_t* data, size_t size,
                                              int default_status) {
  const auto [first, second] = SplitAtFormFeed(AsText(data, size));
  if (second.empty()) return HttpAnswer{default_status, first};
  HttpAnswer answer{0, second};
  if (!absl::SimpleAtoi(first, &answer.status)) return std::nullopt;
  return answer;
}

}  // namespace acrcp::fuzz

#endif  // ACRCP_TESTS_FUZZ_FUZZ_CHECK_H_
