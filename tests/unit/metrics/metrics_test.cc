#include "plugin/metrics/metrics.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/base/version.h"

namespace acrcp {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

constexpr char kHit[] =
    R"(acr_credential_provider_invocations_total{frontend="kubelet",result="hit"})";

TEST(MetricsTest, CountersAddAndGaugesReplace) {
  MetricsRecorder first;
  first.Invocation("kubelet", "hit");
  first.Token("myacr.azurecr.io", absl::FromUnixSeconds(2000), absl::FromUnixSeconds(1000));
  MetricsRecorder second;
  second.Invocation("kubelet", "hit");
  second.Token("myacr.azurecr.io", absl::FromUnixSeconds(3000), absl::FromUnixSeconds(1500));
  const MetricSeries merged =
      MergeMetrics(ParseMetrics(RenderMetrics(MergeMetrics({}, first))), second);
  EXPECT_EQ(merged.at(kHit), 2);
  EXPECT_EQ(
      merged.at(
          R"(acr_credential_provider_token_expiry_timestamp_seconds{registry="myacr.azurecr.io"})"),
      3000);
  EXPECT_EQ(
      merged.at(
          R"(acr_credential_provider_token_last_refresh_timestamp_seconds{registry="myacr.azurecr.io"})"),
      1500);
}

TEST(MetricsTest, RenderedFileHasHelpAndTypeOncePerMetric) {
  MetricsRecorder recorder;
  recorder.Invocation("kubelet", "hit");
  recorder.Invocation("docker", "miss");
  recorder.Request("entra", true);
  recorder.Error(absl::FromUnixSeconds(1234));
  const std::string text = RenderMetrics(MergeMetrics({}, recorder));
  EXPECT_THAT(
      text,
      HasSubstr("# TYPE acr_credential_provider_invocations_total counter\n"
                R"(acr_credential_provider_invocations_total{frontend="docker",result="miss"} 1)"
                "\n"));
  EXPECT_THAT(text, HasSubstr("acr_credential_provider_last_error_timestamp_seconds 1234\n"));
  EXPECT_THAT(text, HasSubstr(absl::StrCat(R"(acr_credential_provider_build_info{version=")",
                                           kVersion, R"(",libcurl=")", kCurlVersion,
                                           R"(",openssl=")", kOpenSslVersion, R"("} 1)")));
  size_t helps = 0;
  for (size_t at = text.find("# HELP acr_credential_provider_invocations_total");
       at != std::string::npos;
       at = text.find("# HELP acr_credential_provider_invocations_total", at + 1)) {
    ++helps;
  }
  EXPECT_EQ(helps, 1u);
}

TEST(MetricsTest, ForeignLinesAndOldBuildInfoAreDropped) {
  const MetricSeries parsed = ParseMetrics(absl::StrCat(
      "# HELP something else\n", "node_load1 3\n", kHit, " 7\n", kHit, " not-a-number\n",
      R"(acr_credential_provider_build_info{version="0.0.1",libcurl="1",openssl="1"} 1)", "\n",
      "acr_credential_provider_unknown_total 5\n"));
  EXPECT_THAT(parsed, UnorderedElementsAre(Pair(kHit, 7)));
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  MetricsRecorder recorder;
  recorder.Invocation("a\"b\\c\nd", "hit");
  EXPECT_THAT(RenderMetrics(MergeMetrics({}, recorder)),
              HasSubstr(R"({frontend="a\"b\\c\nd",result="hit"} 1)"));
}

TEST(MetricsTest, RefreshReplacesTheTokenGauges) {
  MetricsRecorder miss;
  miss.Token("gone.azurecr.io", absl::FromUnixSeconds(2000), absl::FromUnixSeconds(1000));
  miss.Invocation("kubelet", "miss");
  MetricsRecorder refresh;
  refresh.ReplaceTokenGauges();
  refresh.Token("kept.azurecr.io", absl::FromUnixSeconds(5000), absl::FromUnixSeconds(4000));
  const MetricSeries merged = MergeMetrics(MergeMetrics({}, miss), refresh);
  const std::string text = RenderMetrics(merged);
  EXPECT_THAT(text, Not(HasSubstr("gone.azurecr.io")));
  EXPECT_THAT(text,
              HasSubstr(R"(token_expiry_timestamp_seconds{registry="kept.azurecr.io"} 5000)"));
  EXPECT_THAT(text, HasSubstr(R"(result="miss"} 1)")) << "counters stay";
}

TEST(MetricsTest, AnsweredSaysWhatTheProviderDid) {
  MetricsRecorder recorder;
  EXPECT_STREQ(recorder.Answered(), "hit");
  recorder.MarkRefreshed();
  EXPECT_STREQ(recorder.Answered(), "miss");
  recorder.MarkStale();
  EXPECT_STREQ(recorder.Answered(), "stale");
}

}  // namespace
}  // namespace acrcp
