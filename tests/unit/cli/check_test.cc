#include "plugin/cli/check.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/provider_fixture.h"

namespace acrcp::testing {
namespace {

using ::testing::HasSubstr;

// `check` runs the kubelet's own refresh path (provider.h) with no cache, so what it reports
// is what a pull would meet.
class CheckTest : public ProviderTest {
 protected:
  CheckReport Check(const std::string& image) {
    return RunChecks({config_, image, EnvFrom({})}, env_);
  }
  void PushRefresh(absl::Duration lifetime) {
    PushEntraSuccess();
    transport_.PushJson(200,
                        absl::StrCat(R"({"refresh_token":")", RefreshToken(lifetime), R"("})"));
  }
};

TEST_F(CheckTest, ReportsTheClockSkewErrorOfTheKubeletPath) {
  PushRefresh(-absl::Minutes(5));
  absl::StatusOr<CredentialProviderResponse> kubelet = Provide("myacr.azurecr.io/app");
  ASSERT_FALSE(kubelet.ok());
  ASSERT_THAT(kubelet.status().message(), HasSubstr("check the node's clock"));

  PushRefresh(-absl::Minutes(5));
  const CheckReport report = Check("myacr.azurecr.io/app");
  EXPECT_FALSE(report.Passed());
  ASSERT_FALSE(report.lines.empty());
  EXPECT_EQ(report.lines.back().kind, CheckLine::Kind::kFail);
  EXPECT_EQ(report.lines.back().text, kubelet.status().message());
}

TEST_F(CheckTest, PassingCheckReportsWhatTheKubeletGets) {
  config_.max_cache_duration = absl::Hours(12);
  PushRefresh(absl::Hours(3));
  absl::StatusOr<CredentialProviderResponse> kubelet = Provide("myacr.azurecr.io/app");
  ASSERT_TRUE(kubelet.ok()) << kubelet.status();
  ASSERT_EQ(kubelet->cache_duration, absl::Minutes(90));

  PushRefresh(absl::Hours(3));
  const CheckReport report = Check("myacr.azurecr.io/app");
  EXPECT_TRUE(report.Passed()) << report.ToString();
  const std::string text = report.ToString();
  EXPECT_THAT(text, HasSubstr(absl::StrCat("Entra ID: signed in (app ", kClient, ", tenant ",
                                           kTenant, ")")));
  EXPECT_THAT(text, HasSubstr("ACR: myacr.azurecr.io issued a refresh token valid until"));
  EXPECT_THAT(text, HasSubstr("the kubelet may reuse it for 1h30m0s"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr(kAccessToken)));
  EXPECT_EQ(transport_.sent.size(), 4u) << "two requests each: check caches nothing";
}

TEST_F(CheckTest, WithoutAnImageSignsInOnly) {
  PushEntraSuccess();
  const CheckReport report = Check("");
  EXPECT_TRUE(report.Passed()) << report.ToString();
  EXPECT_THAT(report.ToString(), HasSubstr("Entra ID: signed in"));
  EXPECT_THAT(report.ToString(), HasSubstr("no --image given"));
  EXPECT_EQ(transport_.sent.size(), 1u);
}

TEST_F(CheckTest, RegistryThatGetsNoTokenFailsWithoutARequest) {
  const CheckReport report = Check("myacr.azurecr.io.evil.test/app");
  EXPECT_FALSE(report.Passed());
  EXPECT_THAT(report.lines.back().text, HasSubstr("is not an ACR login server"));
  EXPECT_EQ(transports_made_, 0);
}

}  // namespace
}  // namespace acrcp::testing
