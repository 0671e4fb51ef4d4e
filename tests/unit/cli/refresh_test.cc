#include "plugin/cli/refresh.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/provider_fixture.h"

namespace acrcp::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class RefreshTest : public CachingProviderTest {
 protected:
  // The kubelet's invocation for `image`, with `token` as the pod's service-account token.
  void Pull(const std::string& image, const std::string& pod_token = "") {
    CredentialProviderRequest request;
    request.api_version = "credentialprovider.kubelet.k8s.io/v1";
    request.image = image;
    request.service_account_token = pod_token;
    ASSERT_TRUE(ProvideCredentials(request, config_, env_).ok());
  }

  // One refresh pass as the command runs it: its own reader of the same cache directory.
  std::vector<std::string> RunRefresh(bool* ok = nullptr) {
    std::unique_ptr<TokenCache> cache =
        OpenFileTokenCache(dir_.path() + "/cache", clock_, CacheUse::kRenew);
    ProviderEnv env = env_;
    env.cache = cache.get();
    std::vector<std::string> lines;
    const bool passed = RefreshCachedTokens(config_, env, RefreshPolicy{},
                                            [&](absl::string_view l) { lines.emplace_back(l); });
    if (ok != nullptr) *ok = passed;
    return lines;
  }
};

TEST_F(RefreshTest, RenewsOnlyWhatWillNotBeFreshAtTheNextRun) {
  PushColdRefresh();
  Pull("myacr.azurecr.io/app");
  EXPECT_THAT(RunRefresh(), ElementsAre(StartsWith("fresh myacr.azurecr.io (valid until ")));
  EXPECT_EQ(transport_.sent.size(), 2u);

  clock_.Advance(absl::Minutes(61));  // fresh until 90 min, so not at 61 + 30
  const std::string renewed = PushColdRefresh();
  EXPECT_THAT(RunRefresh(), ElementsAre("renewed myacr.azurecr.io"));
  EXPECT_EQ(transport_.sent.size(), 4u);

  // The kubelet's next exec is a hit on the renewed token.
  clock_.Advance(absl::Minutes(40));
  Pull("myacr.azurecr.io/app");
  EXPECT_EQ(transport_.sent.size(), 4u);
  EXPECT_EQ(transports_made_, 2) << "only the refresh pass started the network helper";
  EXPECT_EQ(cache_->Get(cache_->List().front().key)->token, renewed);
}

TEST_F(RefreshTest, RegistriesNotUsedForThreeDaysAreLeftToExpire) {
  PushColdRefresh(absl::Hours(100));
  Pull("myacr.azurecr.io/app");
  clock_.Advance(absl::Hours(73));
  EXPECT_THAT(RunRefresh(), ElementsAre(StartsWith("skipped myacr.azurecr.io: not used since ")));
  EXPECT_EQ(transport_.sent.size(), 2u);
}

TEST_F(RefreshTest, RefreshingIsNotAUseOfTheEntry) {
  PushColdRefresh();
  Pull("myacr.azurecr.io/app");
  const absl::Time used = clock_.Now();
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(absl::Minutes(61));
    PushColdRefresh();
    ASSERT_THAT(RunRefresh(), ElementsAre("renewed myacr.azurecr.io"));
  }
  EXPECT_EQ(cache_->List().front().last_used, used);
}

TEST_F(RefreshTest, PodTokensAreSkippedAndSaidSo) {
  PushColdRefresh();
  Pull("myacr.azurecr.io/app", PodToken("system:serviceaccount:team:puller"));
  clock_.Advance(absl::Minutes(61));
  EXPECT_THAT(RunRefresh(), ElementsAre(HasSubstr("skipped myacr.azurecr.io: signed in with a "
                                                  "pod's service-account token")));
  EXPECT_EQ(transport_.sent.size(), 2u);
}

TEST_F(RefreshTest, AFailureKeepsTheCachedTokenAndRecordsSinceWhen) {
  PushColdRefresh();
  Pull("myacr.azurecr.io/app");
  clock_.Advance(absl::Minutes(61));
  const absl::Time outage = clock_.Now();
  for (int i = 0; i < 4; ++i) transport_.PushJson(503, "{}");
  bool ok = true;
  const std::vector<std::string> lines = RunRefresh(&ok);
  EXPECT_FALSE(ok);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], StartsWith("FAIL myacr.azurecr.io: "));
  EXPECT_THAT(lines[0], HasSubstr("(the cached token is still served until "));
  const std::vector<CacheListing> listed = cache_->List();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].entry.failing_since, outage);

  // Still served while usable; once it is not, the error says since when nothing worked.
  Pull("myacr.azurecr.io/app");
  clock_.Advance(absl::Hours(2));
  for (int i = 0; i < 4; ++i) transport_.PushJson(503, "{}");
  CredentialProviderRequest request;
  request.api_version = "credentialprovider.kubelet.k8s.io/v1";
  request.image = "myacr.azurecr.io/app";
  absl::StatusOr<CredentialProviderResponse> response = ProvideCredentials(request, config_, env_);
  ASSERT_FALSE(response.ok());
  EXPECT_THAT(
      response.status().message(),
      HasSubstr(absl::StrCat("[no refresh has succeeded since ",
                             absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", outage, absl::UTCTimeZone()))));
}

TEST_F(RefreshTest, AfterAFailureTheKubeletServesTheStaleTokenWithoutTrying) {
  PushColdRefresh();
  Pull("myacr.azurecr.io/app");
  clock_.Advance(absl::Minutes(100));  // stale: past half its life
  for (int i = 0; i < 4; ++i) transport_.PushJson(503, "{}");
  Pull("myacr.azurecr.io/app");  // tries, fails, serves the stale token
  const size_t sent = transport_.sent.size();
  const int started = transports_made_;
  clock_.Advance(absl::Minutes(24));
  Pull("myacr.azurecr.io/app");
  EXPECT_EQ(transport_.sent.size(), sent) << "within kRetryAfterFailure: no request";
  EXPECT_EQ(transports_made_, started);
  clock_.Advance(absl::Minutes(2));
  PushColdRefresh();
  Pull("myacr.azurecr.io/app");
  EXPECT_EQ(transport_.sent.size(), sent + 2) << "then it tries again, and succeeds";
  EXPECT_EQ(cache_->List().front().entry.failing_since, absl::InfinitePast());
}

TEST_F(RefreshTest, AnEmptyCacheSaysSo) {
  EXPECT_THAT(RunRefresh(), ElementsAre("nothing to renew: no token is cached yet"));
  EXPECT_EQ(transports_made_, 0);
}

}  // namespace
}  // namespace acrcp::testing
