#include "plugin/kubelet/go_duration.h"

#include "gtest/gtest.h"

namespace acrcp {
namespace {

TEST(FormatGoDurationTest, MatchesGoTimeDurationString) {
  EXPECT_EQ(FormatGoDuration(absl::ZeroDuration()), "0s");
  EXPECT_EQ(FormatGoDuration(absl::Seconds(1)), "1s");
  EXPECT_EQ(FormatGoDuration(absl::Seconds(59)), "59s");
  EXPECT_EQ(FormatGoDuration(absl::Seconds(60)), "1m0s");
  EXPECT_EQ(FormatGoDuration(absl::Seconds(90)), "1m30s");
  EXPECT_EQ(FormatGoDuration(absl::Hours(1)), "1h0m0s");
  EXPECT_EQ(FormatGoDuration(absl::Seconds(5399)), "1h29m59s");
  EXPECT_EQ(FormatGoDuration(absl::Hours(72)), "72h0m0s");
}

TEST(FormatGoDurationTest, TruncatesFractionsAndClampsNegatives) {
  EXPECT_EQ(FormatGoDuration(absl::Milliseconds(1999)), "1s");
  EXPECT_EQ(FormatGoDuration(absl::Milliseconds(400)), "0s");
  EXPECT_EQ(FormatGoDuration(absl::Seconds(-5)), "0s");
}

}  // namespace
}  // namespace acrcp
