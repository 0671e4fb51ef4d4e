#include "plugin/kubelet/kubelet_front_end.h"

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

TEST_F(ProviderTest, ColdInvocationMakesExactlyTwoRequests) {
  const std::string refresh = RefreshToken(absl::Hours(3));
  PushEntraSuccess();
  transport_.PushJson(200, absl::StrCat(R"({"refresh_token":")", refresh, R"("})"));

  absl::StatusOr<CredentialProviderResponse> response = Provide("myacr.azurecr.io/team/app");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->api_version, "credentialprovider.kubelet.k8s.io/v1");
  EXPECT_EQ(response->cache_key_type, "Registry");
  EXPECT_EQ(response->cache_duration, absl::Hours(1)) << "capped by maxCacheDurationSeconds";
  ASSERT_EQ(response->auth.size(), 1u);
  EXPECT_EQ(response->auth.at("myacr.azurecr.io").username, "00000000-0000-0000-0000-000000000000");
  EXPECT_EQ(response->auth.at("myacr.azurecr.io").password, refresh);

  ASSERT_EQ(transport_.sent.size(), 2u);
  const HttpRequest& entra = transport_.sent[0];
  EXPECT_EQ(entra.method, "POST");
  EXPECT_EQ(entra.url,
            absl::StrCat("https://login.microsoftonline.com/", kTenant, "/oauth2/v2.0/token"));
  EXPECT_EQ(ParseForm(entra.body), (std::map<std::string, std::string>{
                                       {"grant_type", "client_credentials"},
                                       {"client_id", kClient},
                                       {"client_secret", kSecret},
                                       {"scope", "https://containerregistry.azure.net/.default"}}));
  const HttpRequest& exchange = transport_.sent[1];
  EXPECT_EQ(exchange.url, "https://myacr.azurecr.io/oauth2/exchange");
  EXPECT_EQ(ParseForm(exchange.body),
            (std::map<std::string, std::string>{{"grant_type", "access_token"},
                                                {"service", "myacr.azurecr.io"},
                                                {"tenant", kTenant},
                                                {"access_token", kAccessToken}}));
}

TEST_F(ProviderTest, CacheDurationIsHalfTheRemainingLifetimeWhenShorter) {
  config_.max_cache_duration = absl::Hours(12);
  PushEntraSuccess();
  transport_.PushJson(200,
                      absl::StrCat(R"({"refresh_token":")", RefreshToken(absl::Hours(3)), R"("})"));
  absl::StatusOr<CredentialProviderResponse> response = Provide("myacr.azurecr.io/app");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->cache_duration, absl::Minutes(90));
}

TEST_F(ProviderTest, ListedRegistryWithPortGetsCredentialsUnderItsOwnKey) {
  config_.registries = {"localhost:8443"};
  PushEntraSuccess();
  transport_.PushJson(200,
                      absl::StrCat(R"({"refresh_token":")", RefreshToken(absl::Hours(3)), R"("})"));
  absl::StatusOr<CredentialProviderResponse> response = Provide("localhost:8443/team/app");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_TRUE(response->auth.contains("localhost:8443"));
  EXPECT_EQ(transport_.sent[1].url, "https://localhost:8443/oauth2/exchange");
  EXPECT_EQ(ParseForm(transport_.sent[1].body)["service"], "localhost:8443");
}

TEST_F(ProviderTest, MirrorGetsTheAcrsCredentialsUnderBothKeys) {
  config_.mirrors = {{"registry.local:5000", "myacr.azurecr.io"}};
  PushEntraSuccess();
  const std::string token = RefreshToken(absl::Hours(3));
  transport_.PushJson(200, absl::StrCat(R"({"refresh_token":")", token, R"("})"));
  absl::StatusOr<CredentialProviderResponse> response = Provide("Registry.Local:5000/team/app");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->auth.size(), 2u);
  EXPECT_EQ(response->auth.at("myacr.azurecr.io").password, token);
  EXPECT_EQ(response->auth.at("Registry.Local:5000").password, token);
  ASSERT_EQ(transport_.sent.size(), 2u);
  EXPECT_EQ(transport_.sent[1].url, "https://myacr.azurecr.io/oauth2/exchange")
      << "tokens go to the ACR, never to the mirrored host";
}

TEST_F(ProviderTest, NonAcrImagesGetNoCredentialsAndNoNetwork) {
  for (const char* image : {"docker.io/library/nginx", "nginx", "myacr.azurecr.io.evil.test/x",
                            "evil.com/myacr.azurecr.io/x", "quay.io/a/b"}) {
    absl::StatusOr<CredentialProviderResponse> response = Provide(image);
    ASSERT_TRUE(response.ok()) << image;
    EXPECT_TRUE(response->auth.empty()) << image;
    EXPECT_EQ(response->cache_duration, absl::ZeroDuration()) << image;
  }
  EXPECT_EQ(transports_made_, 0) << "the network stack must not even be loaded";
}

// The exchange goes to the normalised login server (registry_name.h): an image spelt with
// capitals or with the default port ":443" must not be sent as `service=...:443`, which ACR
// refuses. The kubelet still gets the credentials under the name as spelt.
TEST_F(ProviderTest, ExchangeGoesToTheNormalisedLoginServer) {
  for (const char* image : {"MyAcr.azurecr.io/team/app", "myacr.azurecr.io:443/team/app"}) {
    transport_.sent.clear();
    PushEntraSuccess();
    const std::string token = RefreshToken(absl::Hours(3));
    transport_.PushJson(200, absl::StrCat(R"({"refresh_token":")", token, R"("})"));
    absl::StatusOr<CredentialProviderResponse> response = Provide(image);
    ASSERT_TRUE(response.ok()) << image << ": " << response.status();
    const std::string spelt(absl::string_view(image).substr(0, std::string(image).find('/')));
    ASSERT_EQ(response->auth.size(), 1u) << image;
    EXPECT_EQ(response->auth.at(spelt).password, token) << image;
    ASSERT_EQ(transport_.sent.size(), 2u) << image;
    EXPECT_EQ(transport_.sent[1].url, "https://myacr.azurecr.io/oauth2/exchange") << image;
    EXPECT_EQ(ParseForm(transport_.sent[1].body)["service"], "myacr.azurecr.io") << image;
  }
}

TEST_F(ProviderTest, UnparsableRegistriesGetNoCredentialsAndNoNetwork) {
  for (const char* image : {"[::1]:5000/app", "myacr.azurecr.io:0/app", "my_acr.azurecr.io/app",
                            "myacr.azurecr.io:443:443/app"}) {
    absl::StatusOr<CredentialProviderResponse> response = Provide(image);
    ASSERT_TRUE(response.ok()) << image << ": " << response.status();
    EXPECT_TRUE(response->auth.empty()) << image;
    EXPECT_EQ(response->cache_duration, absl::ZeroDuration()) << image;
  }
  EXPECT_EQ(transports_made_, 0);
}

}  // namespace
}  // namespace acrcp::testing
