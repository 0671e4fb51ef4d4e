#include "plugin/cli/check.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
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
    return RunChecks({config_, image, EnvFrom({}), std::nullopt, {}}, env_);
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

// Each line reaches the operator as soon as it is known, not when the last check is done.
TEST_F(CheckTest, EveryLineIsPassedOnAsItIsKnown) {
  PushRefresh(absl::Hours(3));
  std::vector<std::string> seen;
  size_t requests_when_signed_in = 0;
  const CheckReport report =
      RunChecks({config_, "myacr.azurecr.io/app", EnvFrom({}), std::nullopt, {"--logtostderr"}},
                env_, [&](const CheckLine& line) {
                  seen.push_back(line.text);
                  if (absl::StartsWith(line.text, "Entra ID: signed in")) {
                    requests_when_signed_in = transport_.sent.size();
                  }
                });
  ASSERT_EQ(seen.size(), report.lines.size());
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], report.lines[i].text);
  EXPECT_EQ(requests_when_signed_in, 1u) << "reported before the exchange was sent";
  EXPECT_THAT(report.ToString(), HasSubstr("ignored the upstream plugin's logging flags "
                                           "--logtostderr"));
}

// With K3s installed, its kubelet's environment is what counts, not the operator's shell.
TEST_F(CheckTest, K3sEnvironmentIsWhatCounts) {
  K3sNode k3s;
  k3s.installed = true;
  k3s.unit = "k3s-agent";
  k3s.provider_config = {"/etc/p.yaml", "/etc/rancher/k3s/config.yaml"};
  k3s.provider_bin_dir = {"/opt/bin", "K3s's default"};
  k3s.environment["HTTPS_PROXY"] = {"http://user:pw@proxy.corp:3128",
                                    "/etc/systemd/system/k3s-agent.service.env"};
  PushEntraSuccess();
  const CheckReport report =
      RunChecks({config_, "", EnvFrom({{"HTTPS_PROXY", "http://other:8080"}}), k3s, {}}, env_);
  const std::string text = report.ToString();
  EXPECT_THAT(text, HasSubstr("K3s (k3s-agent.service): credential provider config /etc/p.yaml "
                              "(/etc/rancher/k3s/config.yaml), plugins in /opt/bin"));
  EXPECT_THAT(text, HasSubstr("proxy: K3s's kubelet uses HTTPS_PROXY=http://***@proxy.corp:3128 "
                              "(from /etc/systemd/system/k3s-agent.service.env)"));
  EXPECT_THAT(text, HasSubstr("warn  proxy: this shell has HTTPS_PROXY=http://other:8080"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("user:pw")));
}

}  // namespace
}  // namespace acrcp::testing
