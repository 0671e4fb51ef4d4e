#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <ostream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/provider_fixture.h"

namespace acrcp::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST_F(CachingProviderTest, WarmInvocationIsServedWithoutTheNetwork) {
  const std::string token = PushColdRefresh();
  ASSERT_TRUE(Provide("myacr.azurecr.io/app").ok());
  ASSERT_EQ(transports_made_, 1);
  clock_.Advance(absl::Minutes(30));
  absl::StatusOr<CredentialProviderResponse> warm = Provide("myacr.azurecr.io/other");
  ASSERT_TRUE(warm.ok()) << warm.status();
  EXPECT_EQ(warm->auth.at("myacr.azurecr.io").password, token);
  EXPECT_EQ(warm->cache_duration, absl::Hours(1));
  EXPECT_EQ(transports_made_, 1) << "a hit must not create the network stack";
  EXPECT_EQ(transport_.sent.size(), 2u);
}

// One registry, one cache entry, however the image spells it.
TEST_F(CachingProviderTest, EverySpellingOfARegistryHitsTheSameEntry) {
  const std::string token = PushColdRefresh();
  ASSERT_TRUE(Provide("myacr.azurecr.io/app").ok());
  for (const char* image : {"MyAcr.AzureCR.io/app", "myacr.azurecr.io:443/other"}) {
    absl::StatusOr<CredentialProviderResponse> warm = Provide(image);
    ASSERT_TRUE(warm.ok()) << image << ": " << warm.status();
    EXPECT_EQ(warm->auth.begin()->second.password, token) << image;
  }
  EXPECT_EQ(transport_.sent.size(), 2u) << "served from the one cached entry";
}

TEST_F(CachingProviderTest, CacheDurationShrinksWithTheCachedTokensRemainingLife) {
  config_.max_cache_duration = absl::Hours(12);
  PushColdRefresh();
  ASSERT_TRUE(Provide("myacr.azurecr.io/app").ok());
  clock_.Advance(absl::Minutes(60));
  absl::StatusOr<CredentialProviderResponse> warm = Provide("myacr.azurecr.io/app");
  ASSERT_TRUE(warm.ok());
  EXPECT_EQ(warm->cache_duration, absl::Hours(1)) << "2 h left, half of it";
}

// The Entra token would be accepted by every registry the identity may pull from, so it is
// never written to disk: each registry's refresh signs in again.
TEST_F(CachingProviderTest, EntraTokenIsNeverStoredOnDisk) {
  PushColdRefresh();
  ASSERT_TRUE(Provide("myacr.azurecr.io/app").ok());
  PushColdRefresh();
  absl::StatusOr<CredentialProviderResponse> second = Provide("otheracr.azurecr.io/app");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(SentTo("/oauth2/v2.0/token"), 2u);
  EXPECT_EQ(transport_.sent.back().url, "https://otheracr.azurecr.io/oauth2/exchange");
  size_t entries = 0;
  for (const auto& file : std::filesystem::directory_iterator(dir_.path() + "/cache")) {
    std::ifstream in(file.path());
    const std::string contents((std::istreambuf_iterator<char>(in)), {});
    EXPECT_THAT(contents, Not(HasSubstr(kAccessToken))) << file.path();
    entries += file.path().extension() == ".json";
  }
  EXPECT_EQ(entries, 2u) << "one ACR refresh token per registry";
}

TEST_F(CachingProviderTest, RotatedSecretNeverReusesTheOldTokens) {
  PushColdRefresh();
  ASSERT_TRUE(Provide("myacr.azurecr.io/app").ok());
  dir_.WriteFile("secret", "rotated-secret-value\n", 0600);
  const std::string token = PushColdRefresh();
  absl::StatusOr<CredentialProviderResponse> after = Provide("myacr.azurecr.io/app");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->auth.at("myacr.azurecr.io").password, token);
  EXPECT_EQ(SentTo("/oauth2/v2.0/token"), 2u);
  EXPECT_EQ(ParseForm(transport_.sent[2].body)["client_secret"], "rotated-secret-value");
}

TEST_F(CachingProviderTest, TokensPastHalfLifeAreRefreshed) {
  PushColdRefresh();
  ASSERT_TRUE(Provide("myacr.azurecr.io/app").ok());
  clock_.Advance(absl::Minutes(91));  // ACR token past half of 3 h; Entra token (1 h) stale
  const std::string token = PushColdRefresh();
  absl::StatusOr<CredentialProviderResponse> refreshed = Provide("myacr.azurecr.io/app");
  ASSERT_TRUE(refreshed.ok()) << refreshed.status();
  EXPECT_EQ(refreshed->auth.at("myacr.azurecr.io").password, token);
  EXPECT_EQ(transport_.sent.size(), 4u);
}

TEST_F(CachingProviderTest, StaleTokenIsServedWhileEntraIsDown) {
  const std::string token = PushColdRefresh();
  ASSERT_TRUE(Provide("myacr.azurecr.io/app").ok());
  clock_.Advance(absl::Minutes(120));
  for (int i = 0; i < 4; ++i) transport_.PushJson(503, "{}");
  absl::StatusOr<CredentialProviderResponse> served = Provide("myacr.azurecr.io/app");
  ASSERT_TRUE(served.ok()) << served.status();
  EXPECT_EQ(served->auth.at("myacr.azurecr.io").password, token);
  // Half of the hour left, less half of the time spent retrying.
  EXPECT_GT(served->cache_duration, absl::Minutes(29));
  EXPECT_LE(served->cache_duration, absl::Minutes(30));
  EXPECT_EQ(SentTo("/oauth2/exchange"), 1u) << "no exchange after the failed sign-in";
}

TEST_F(CachingProviderTest, NearlyExpiredTokenIsNotServedEvenWhenDown) {
  PushColdRefresh();
  ASSERT_TRUE(Provide("myacr.azurecr.io/app").ok());
  clock_.Advance(absl::Minutes(179) + absl::Seconds(30));
  for (int i = 0; i < 4; ++i) transport_.PushJson(503, "{}");
  absl::StatusOr<CredentialProviderResponse> response = Provide("myacr.azurecr.io/app");
  ASSERT_FALSE(response.ok());
  EXPECT_THAT(response.status().message(), HasSubstr("503"));
}

TEST_F(CachingProviderTest, NewRegistryFailsWhileEntraIsDown) {
  PushColdRefresh();
  ASSERT_TRUE(Provide("myacr.azurecr.io/app").ok());
  for (int i = 0; i < 4; ++i) transport_.PushJson(503, "{}");
  absl::StatusOr<CredentialProviderResponse> response = Provide("otheracr.azurecr.io/app");
  ASSERT_FALSE(response.ok());
  EXPECT_THAT(response.status().message(), HasSubstr("503"));
  EXPECT_EQ(SentTo("/oauth2/exchange"), 1u) << "no Entra token, no exchange";
}

TEST_F(CachingProviderTest, ExchangeFailureServesTheStaleTokenToo) {
  const std::string token = PushColdRefresh();
  ASSERT_TRUE(Provide("myacr.azurecr.io/app").ok());
  clock_.Advance(absl::Minutes(100));
  PushEntraSuccess();
  for (int i = 0; i < 4; ++i) transport_.PushJson(429, "{}", {{"retry-after", "1"}});
  absl::StatusOr<CredentialProviderResponse> served = Provide("myacr.azurecr.io/app");
  ASSERT_TRUE(served.ok()) << served.status();
  EXPECT_EQ(served->auth.at("myacr.azurecr.io").password, token);
}

}  // namespace
}  // namespace acrcp::testing
