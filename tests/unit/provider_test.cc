#include "plugin/provider.h"

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
#include "nlohmann/json.hpp"
#include "plugin/cache/file_token_cache.h"
#include "tests/unit/test_util.h"

namespace acrcp {
namespace {

using ::acrcp::testing::FakeClock;
using ::acrcp::testing::ForwardTo;
using ::acrcp::testing::MakeJwt;
using ::acrcp::testing::ParseForm;
using ::acrcp::testing::ScriptedTransport;
using ::acrcp::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kTenant[] = "72f988bf-86f1-41af-91ab-2d7cd011db47";
constexpr char kClient[] = "11111111-2222-3333-4444-555555555555";
constexpr char kSecret[] = "unit-test-secret-value";
constexpr char kAccessToken[] = "entra-access-token-value";

std::string EntraError(const std::string& error, int code) {
  return absl::StrCat(R"({"error":")", error, R"(","error_description":"AADSTS)", code,
                      R"(: text\r\nTrace ID: t","error_codes":[)", code,
                      R"(],"trace_id":"trace-1","correlation_id":"corr-1"})");
}

class ProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.identity.tenant_id = kTenant;
    config_.identity.client_id = kClient;
    config_.identity.credential = NodeCredential::kClientSecret;
    config_.identity.client_secret_file =
        dir_.WriteFile("secret", absl::StrCat(kSecret, "\n"), 0600);
    config_.cloud = *CloudByName("AzurePublicCloud");
    env_.clock = &clock_;
    env_.cache = cache_.get();
    env_.jitter = [] { return 0.0; };
    env_.start_helper = [this]() -> absl::StatusOr<std::unique_ptr<NetworkHelper>> {
      ++transports_made_;
      return ForwardTo(&transport_);
    };
  }

  absl::StatusOr<CredentialProviderResponse> Provide(const std::string& image) {
    CredentialProviderRequest request;
    request.api_version = "credentialprovider.kubelet.k8s.io/v1";
    request.image = image;
    return ProvideCredentials(request, config_, env_);
  }

  std::string RefreshToken(absl::Duration lifetime) {
    return MakeJwt(absl::StrCat(R"({"exp":)", absl::ToUnixSeconds(clock_.Now() + lifetime),
                                R"(,"iss":"Azure Container Registry"})"));
  }

  void PushEntraSuccess() {
    transport_.PushJson(200, absl::StrCat(R"({"token_type":"Bearer","expires_in":3599,)",
                                          R"("access_token":")", kAccessToken, R"("})"));
  }

  TempDir dir_;
  FakeClock clock_;
  ScriptedTransport transport_{&clock_};
  NodeConfig config_;
  std::unique_ptr<TokenCache> cache_ = NewNullTokenCache();
  ProviderEnv env_;
  int transports_made_ = 0;
};

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

TEST_F(ProviderTest, BadSecretFileStopsBeforeAnyRequest) {
  ASSERT_EQ(chmod(config_.identity.client_secret_file.c_str(), 0644), 0);
  absl::StatusOr<CredentialProviderResponse> response = Provide("myacr.azurecr.io/app");
  ASSERT_FALSE(response.ok());
  EXPECT_THAT(response.status().message(), HasSubstr("chmod 600"));
  EXPECT_EQ(transports_made_, 0);
}

struct EntraCase {
  int http_status;
  std::string body;
  absl::StatusCode code;
  std::string expected;
};

// Names the case in test output: its HTTP status and expected message.
void PrintTo(const EntraCase& c, std::ostream* os) { *os << c.http_status << " " << c.expected; }

class EntraErrorTest : public ProviderTest, public ::testing::WithParamInterface<EntraCase> {};

TEST_P(EntraErrorTest, MapsToAnActionableMessageWithoutRetrying) {
  transport_.PushJson(GetParam().http_status, GetParam().body);
  absl::StatusOr<CredentialProviderResponse> response = Provide("myacr.azurecr.io/app");
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), GetParam().code);
  EXPECT_THAT(response.status().message(), HasSubstr("Entra ID sign-in for client"));
  EXPECT_THAT(response.status().message(), HasSubstr(GetParam().expected));
  EXPECT_THAT(response.status().message(), Not(HasSubstr(kSecret)));
  EXPECT_EQ(transport_.sent.size(), 1u) << "terminal errors are not retried";
}

INSTANTIATE_TEST_SUITE_P(
    Codes, EntraErrorTest,
    ::testing::Values(
        EntraCase{401, EntraError("invalid_client", 7000215), absl::StatusCode::kUnauthenticated,
                  "invalid client secret (AADSTS7000215)"},
        EntraCase{401, EntraError("invalid_client", 7000222), absl::StatusCode::kUnauthenticated,
                  "the client secret has expired (AADSTS7000222)"},
        EntraCase{400, EntraError("unauthorized_client", 700016), absl::StatusCode::kNotFound,
                  "no application with this client ID exists in the tenant (AADSTS700016)"},
        EntraCase{400, EntraError("invalid_request", 90002), absl::StatusCode::kNotFound,
                  "the tenant does not exist (AADSTS90002)"},
        EntraCase{400, EntraError("invalid_scope", 70011), absl::StatusCode::kFailedPrecondition,
                  "AADSTS70011"},
        EntraCase{400, EntraError("invalid_request", 123456), absl::StatusCode::kFailedPrecondition,
                  "invalid_request (AADSTS123456, HTTP 400) (see "
                  "https://login.microsoftonline.com/error?code=123456; trace ID trace-1"},
        EntraCase{403, "<html>blocked by proxy</html>", absl::StatusCode::kFailedPrecondition,
                  "answered HTTP 403 without an Entra error document"}));

TEST_F(ProviderTest, SecretMessagesNameTheSecretFile) {
  transport_.PushJson(401, EntraError("invalid_client", 7000215));
  absl::StatusOr<CredentialProviderResponse> response = Provide("myacr.azurecr.io/app");
  ASSERT_FALSE(response.ok());
  EXPECT_THAT(response.status().message(),
              HasSubstr("client secret file " + config_.identity.client_secret_file));
}

TEST_F(ProviderTest, EntraOutageIsRetriedThenReported) {
  for (int i = 0; i < 4; ++i) transport_.PushJson(503, "{}");
  absl::StatusOr<CredentialProviderResponse> response = Provide("myacr.azurecr.io/app");
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(response.status().message(), HasSubstr("answered HTTP 503 to all 4 attempts"));
  EXPECT_EQ(transport_.sent.size(), 4u);
}

TEST_F(ProviderTest, DeadlineMessageNamesTimeoutSeconds) {
  config_.timeout = absl::Seconds(5);
  transport_.Push(absl::DeadlineExceededError("login.microsoftonline.com did not answer in time"),
                  absl::Seconds(5));
  absl::StatusOr<CredentialProviderResponse> response = Provide("myacr.azurecr.io/app");
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(response.status().message(), HasSubstr("timeoutSeconds is 5"));
}

TEST_F(ProviderTest, ExchangeRefusalExplainsAcrPull) {
  PushEntraSuccess();
  transport_.PushJson(401, R"({"errors":[{"code":"UNAUTHORIZED","message":"not allowed"}]})");
  absl::StatusOr<CredentialProviderResponse> response = Provide("myacr-abc123.azurecr.io/app");
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(response.status().message(),
              HasSubstr("ACR token exchange at myacr-abc123.azurecr.io failed: HTTP 401: not "
                        "allowed"));
  EXPECT_THAT(response.status().message(),
              HasSubstr(absl::StrCat("az role assignment create --assignee ", kClient,
                                     " --role AcrPull --scope $(az acr show --name myacr ")));
  EXPECT_THAT(response.status().message(), Not(HasSubstr(kAccessToken)));
  EXPECT_EQ(transport_.sent.size(), 2u);
}

TEST_F(ProviderTest, ExchangeForbiddenPointsAtTheFirewallToo) {
  PushEntraSuccess();
  transport_.PushJson(403, R"({"errors":[{"code":"DENIED","message":"client IP not allowed"}]})");
  absl::StatusOr<CredentialProviderResponse> response = Provide("myacr.azurecr.io/app");
  ASSERT_FALSE(response.ok());
  EXPECT_THAT(response.status().message(), HasSubstr("HTTP 403: client IP not allowed"));
  EXPECT_THAT(response.status().message(), HasSubstr("az acr network-rule add"));
}

TEST_F(ProviderTest, ExchangeConnectionResetIsRetried) {
  PushEntraSuccess();
  transport_.Push(absl::UnavailableError("cannot reach myacr.azurecr.io: Connection reset"));
  transport_.PushJson(200,
                      absl::StrCat(R"({"refresh_token":")", RefreshToken(absl::Hours(3)), R"("})"));
  absl::StatusOr<CredentialProviderResponse> response = Provide("myacr.azurecr.io/app");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(transport_.sent.size(), 3u);
}

TEST_F(ProviderTest, UnreadableOrExpiredRefreshTokensAreErrors) {
  PushEntraSuccess();
  transport_.PushJson(200, R"({"refresh_token":"opaque"})");
  absl::StatusOr<CredentialProviderResponse> response = Provide("myacr.azurecr.io/app");
  ASSERT_FALSE(response.ok());
  EXPECT_THAT(response.status().message(), HasSubstr("unreadable refresh token"));

  PushEntraSuccess();
  transport_.PushJson(
      200, absl::StrCat(R"({"refresh_token":")", RefreshToken(-absl::Minutes(5)), R"("})"));
  response = Provide("myacr.azurecr.io/app");
  ASSERT_FALSE(response.ok());
  EXPECT_THAT(response.status().message(), HasSubstr("check the node's clock"));
}

TEST_F(ProviderTest, MalformedSuccessAnswersAreErrors) {
  transport_.PushJson(200, R"({"token_type":"Bearer"})");
  absl::StatusOr<CredentialProviderResponse> response = Provide("myacr.azurecr.io/app");
  ASSERT_FALSE(response.ok());
  EXPECT_THAT(response.status().message(), HasSubstr("without access_token"));

  PushEntraSuccess();
  transport_.PushJson(200, R"({"access_token":"x"})");
  response = Provide("myacr.azurecr.io/app");
  ASSERT_FALSE(response.ok());
  EXPECT_THAT(response.status().message(), HasSubstr("without a refresh_token"));
}

TEST_F(ProviderTest, ExpiresInMayBeAString) {
  transport_.PushJson(200, R"({"expires_in":"3599","access_token":"tok-string-expiry"})");
  transport_.PushJson(200,
                      absl::StrCat(R"({"refresh_token":")", RefreshToken(absl::Hours(3)), R"("})"));
  EXPECT_TRUE(Provide("myacr.azurecr.io/app").ok());
}

class CachingProviderTest : public ProviderTest {
 protected:
  void SetUp() override {
    ProviderTest::SetUp();
    cache_ = OpenFileTokenCache(dir_.path() + "/cache", clock_);
    env_.cache = cache_.get();
  }

  // Queues a full cold refresh and returns the refresh token it will hand out.
  std::string PushColdRefresh(absl::Duration lifetime = absl::Hours(3)) {
    PushEntraSuccess();
    return PushExchange(lifetime);
  }
  std::string PushExchange(absl::Duration lifetime = absl::Hours(3)) {
    const std::string token = RefreshToken(lifetime);
    transport_.PushJson(200, absl::StrCat(R"({"refresh_token":")", token, R"("})"));
    return token;
  }
  size_t SentTo(absl::string_view path_part) const {
    size_t n = 0;
    for (const HttpRequest& r : transport_.sent) n += absl::StrContains(r.url, path_part);
    return n;
  }
};

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

// --- Identity modes -------------------------------------------------------------------

constexpr char kPem[] =
    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";

std::string ServiceAccountToken(const std::string& subject) {
  return MakeJwt(absl::StrCat(R"({"iss":"https://k3s.example","sub":")", subject,
                              R"(","aud":"api://AzureADTokenExchange","exp":1900000000})"));
}

class IdentityTest : public CachingProviderTest {
 protected:
  absl::StatusOr<CredentialProviderResponse> ProvideForPod(
      const std::string& token, std::map<std::string, std::string> annotations = {}) {
    CredentialProviderRequest request;
    request.api_version = "credentialprovider.kubelet.k8s.io/v1";
    request.image = "myacr.azurecr.io/team/app";
    request.service_account_token = token;
    request.service_account_annotations = std::move(annotations);
    return ProvideCredentials(request, config_, env_);
  }
};

TEST_F(IdentityTest, CertificateSignsAFreshAssertionForTheTokenEndpoint) {
  config_.identity.credential = NodeCredential::kClientCertificate;
  config_.identity.client_certificate_file = dir_.WriteFile("cert.pem", kPem, 0600);
  config_.identity.client_certificate_password_file = dir_.WriteFile("pw", "key-password\n", 0600);
  config_.identity.assertion_algorithm = "RS256";
  PushColdRefresh();
  ASSERT_TRUE(Provide("myacr.azurecr.io/app").ok());

  ASSERT_EQ(transport_.signed_requests.size(), 1u);
  const AssertionSigningRequest& signing = transport_.signed_requests[0];
  EXPECT_EQ(signing.pem, kPem);
  EXPECT_EQ(signing.password, "key-password");
  EXPECT_EQ(signing.algorithm, "RS256");
  const nlohmann::json claims = nlohmann::json::parse(signing.payload_json);
  EXPECT_EQ(claims["aud"],
            absl::StrCat("https://login.microsoftonline.com/", kTenant, "/oauth2/v2.0/token"));
  EXPECT_EQ(claims["iss"], kClient);
  EXPECT_EQ(claims["sub"], kClient);
  EXPECT_THAT(claims["jti"].get<std::string>(),
              ::testing::MatchesRegex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                                      "[0-9a-f]{12}"));
  EXPECT_EQ(claims["nbf"], absl::ToUnixSeconds(clock_.Now()));
  EXPECT_EQ(claims["exp"].get<int64_t>() - claims["nbf"].get<int64_t>(), 600);

  const std::map<std::string, std::string> form = ParseForm(transport_.sent[0].body);
  EXPECT_EQ(form.at("client_assertion_type"),
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  EXPECT_EQ(form.at("client_assertion"), absl::StrCat("RS256.", signing.payload_json, ".signed"));
  EXPECT_FALSE(form.contains("client_secret"));
}

TEST_F(IdentityTest, CertificateFileIsCheckedBeforeAnyRequest) {
  config_.identity.credential = NodeCredential::kClientCertificate;
  config_.identity.client_certificate_file = dir_.WriteFile("cert.pem", kPem, 0644);
  absl::StatusOr<CredentialProviderResponse> response = Provide("myacr.azurecr.io/app");
  ASSERT_FALSE(response.ok());
  EXPECT_THAT(response.status().message(), HasSubstr("chmod 600"));
  config_.identity.client_certificate_file =
      dir_.WriteFile("only-cert.pem", "-----BEGIN CERTIFICATE-----\n", 0600);
  response = Provide("myacr.azurecr.io/app");
  ASSERT_FALSE(response.ok());
  EXPECT_THAT(response.status().message(),
              HasSubstr("needs a PEM certificate and its private key"));
  EXPECT_EQ(transports_made_, 0);
}

TEST_F(IdentityTest, UnregisteredCertificateExplainsTheFix) {
  config_.identity.credential = NodeCredential::kClientCertificate;
  config_.identity.client_certificate_file = dir_.WriteFile("cert.pem", kPem, 0600);
  transport_.PushJson(401, EntraError("invalid_client", 700027));
  absl::StatusOr<CredentialProviderResponse> response = Provide("myacr.azurecr.io/app");
  ASSERT_FALSE(response.ok());
  EXPECT_THAT(response.status().message(), HasSubstr("AADSTS700027"));
  EXPECT_THAT(response.status().message(),
              HasSubstr(absl::StrCat("az ad app credential reset --id ", kClient, " --cert")));
  EXPECT_THAT(response.status().message(), HasSubstr(config_.identity.client_certificate_file));
}

TEST_F(IdentityTest, ServiceAccountTokenIsTheAssertionAndAnnotationsPickTheApp) {
  const std::string other_client = "22222222-3333-4444-5555-666666666666";
  const std::string other_tenant = "contoso.onmicrosoft.com";
  const std::string token = ServiceAccountToken("system:serviceaccount:team:puller");
  PushColdRefresh();
  ASSERT_TRUE(ProvideForPod(token, {{"kubernetes.azure.com/acr-client-id", other_client},
                                    {"kubernetes.azure.com/acr-tenant-id", other_tenant}})
                  .ok());
  EXPECT_EQ(transport_.sent[0].url,
            absl::StrCat("https://login.microsoftonline.com/", other_tenant, "/oauth2/v2.0/token"));
  const std::map<std::string, std::string> form = ParseForm(transport_.sent[0].body);
  EXPECT_EQ(form.at("client_id"), other_client);
  EXPECT_EQ(form.at("client_assertion"), token);
  EXPECT_FALSE(form.contains("client_secret")) << "the node's secret is not used for pods";
  EXPECT_EQ(ParseForm(transport_.sent[1].body).at("tenant"), other_tenant);
}

TEST_F(IdentityTest, ServiceAccountWithoutAnnotationsFallsBackToTheConfig) {
  PushColdRefresh();
  ASSERT_TRUE(ProvideForPod(ServiceAccountToken("system:serviceaccount:a:b")).ok());
  const std::map<std::string, std::string> form = ParseForm(transport_.sent[0].body);
  EXPECT_EQ(form.at("client_id"), kClient);
  EXPECT_THAT(transport_.sent[0].url, HasSubstr(kTenant));
}

TEST_F(IdentityTest, PodsOfDifferentServiceAccountsNeverShareCachedTokens) {
  const std::string first = PushColdRefresh();
  absl::StatusOr<CredentialProviderResponse> a =
      ProvideForPod(ServiceAccountToken("system:serviceaccount:team-a:puller"));
  ASSERT_TRUE(a.ok()) << a.status();
  const std::string second = PushColdRefresh();
  absl::StatusOr<CredentialProviderResponse> b =
      ProvideForPod(ServiceAccountToken("system:serviceaccount:team-b:puller"));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(a->auth.at("myacr.azurecr.io").password, first);
  EXPECT_EQ(b->auth.at("myacr.azurecr.io").password, second);
  EXPECT_EQ(transport_.sent.size(), 4u) << "team-b signed in itself";
  // The same service account again: served from the cache.
  absl::StatusOr<CredentialProviderResponse> again =
      ProvideForPod(ServiceAccountToken("system:serviceaccount:team-a:puller"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->auth.at("myacr.azurecr.io").password, first);
  EXPECT_EQ(transport_.sent.size(), 4u);
}

TEST_F(IdentityTest, BadServiceAccountInputIsNamed) {
  absl::StatusOr<CredentialProviderResponse> response =
      ProvideForPod(ServiceAccountToken("s"), {{"kubernetes.azure.com/acr-client-id", "app"}});
  ASSERT_FALSE(response.ok());
  EXPECT_THAT(response.status().message(),
              HasSubstr("service account annotation kubernetes.azure.com/acr-client-id: 'app' is "
                        "not a GUID"));
  response = ProvideForPod("not-a-jwt");
  ASSERT_FALSE(response.ok());
  EXPECT_THAT(response.status().message(), HasSubstr("serviceAccountToken"));
  config_.identity.client_id.clear();
  response = ProvideForPod(ServiceAccountToken("s"));
  ASSERT_FALSE(response.ok());
  EXPECT_THAT(response.status().message(), HasSubstr("kubernetes.azure.com/acr-client-id"));
  EXPECT_EQ(transports_made_, 0);
}

TEST_F(IdentityTest, NoFederatedRecordNamesIssuerAndSubject) {
  transport_.PushJson(400, EntraError("invalid_grant", 70021));
  absl::StatusOr<CredentialProviderResponse> response =
      ProvideForPod(ServiceAccountToken("system:serviceaccount:team:puller"));
  ASSERT_FALSE(response.ok());
  EXPECT_THAT(response.status().message(), HasSubstr("AADSTS70021"));
  EXPECT_THAT(response.status().message(), HasSubstr("issuer 'https://k3s.example' and subject "
                                                     "'system:serviceaccount:team:puller'"));
  EXPECT_THAT(response.status().message(), HasSubstr("az ad app federated-credential create"));
}

TEST_F(IdentityTest, FederatedTokenFileIsReadAtEachSignIn) {
  config_.identity.credential = NodeCredential::kFederatedTokenFile;
  const std::string first = ServiceAccountToken("system:serviceaccount:ci:runner");
  config_.identity.federated_token_file = dir_.WriteFile("token", first + "\n", 0600);
  PushColdRefresh();
  ASSERT_TRUE(Provide("myacr.azurecr.io/app").ok());
  EXPECT_EQ(ParseForm(transport_.sent[0].body).at("client_assertion"), first);

  // Rotated by whoever maintains it; the next sign-in (here: a fresh cache) uses the new one.
  const std::string rotated =
      MakeJwt(R"({"iss":"https://k3s.example","sub":"system:serviceaccount:ci:runner","n":2})");
  dir_.WriteFile("token", rotated, 0600);
  cache_ = NewNullTokenCache();
  env_.cache = cache_.get();
  PushColdRefresh();
  ASSERT_TRUE(Provide("myacr.azurecr.io/app").ok());
  EXPECT_EQ(ParseForm(transport_.sent[2].body).at("client_assertion"), rotated);
}

TEST_F(IdentityTest, FederatedTokenFileMustHoldAJwt) {
  config_.identity.credential = NodeCredential::kFederatedTokenFile;
  config_.identity.federated_token_file = dir_.WriteFile("token", "opaque", 0600);
  absl::StatusOr<CredentialProviderResponse> response = Provide("myacr.azurecr.io/app");
  ASSERT_FALSE(response.ok());
  EXPECT_THAT(response.status().message(), HasSubstr("federated token file"));
  EXPECT_THAT(response.status().message(), HasSubstr("it must hold one JWT"));
}

TEST_F(IdentityTest, EachRegistrySignsInWithItsMappedIdentity) {
  const std::string other_client = "22222222-3333-4444-5555-666666666666";
  RegistryIdentity team_b;
  team_b.registries = {"teamb.azurecr.io"};
  team_b.identity.tenant_id = "fabrikam.onmicrosoft.com";
  team_b.identity.client_id = other_client;
  team_b.identity.credential = NodeCredential::kClientSecret;
  team_b.identity.client_secret_file = dir_.WriteFile("secret-b", "team-b-secret", 0600);
  config_.identities = {team_b};

  PushColdRefresh();
  ASSERT_TRUE(Provide("TeamB.azurecr.io/app").ok());
  EXPECT_THAT(transport_.sent[0].url, HasSubstr("/fabrikam.onmicrosoft.com/oauth2/v2.0/token"));
  EXPECT_EQ(ParseForm(transport_.sent[0].body).at("client_secret"), "team-b-secret");
  EXPECT_EQ(ParseForm(transport_.sent[1].body).at("tenant"), "fabrikam.onmicrosoft.com");

  PushColdRefresh();
  ASSERT_TRUE(Provide("myacr.azurecr.io/app").ok()) << "other registries: the default identity";
  EXPECT_THAT(transport_.sent[2].url, HasSubstr(kTenant));
  EXPECT_EQ(ParseForm(transport_.sent[2].body).at("client_secret"), kSecret);
}

TEST_F(IdentityTest, NodeWithoutCredentialServesOnlyServiceAccountRequests) {
  config_.identity.credential = NodeCredential::kNone;
  absl::StatusOr<CredentialProviderResponse> response = Provide("myacr.azurecr.io/app");
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(response.status().message(), HasSubstr("no credential configured"));
  PushColdRefresh();
  EXPECT_TRUE(ProvideForPod(ServiceAccountToken("system:serviceaccount:a:b")).ok());
}

// --- Managed identities -----------------------------------------------------------------

class ManagedIdentityTest : public CachingProviderTest {
 protected:
  void UseManagedIdentity(ManagedIdentitySource source, std::string id = "") {
    config_.identity = IdentityConfig{};
    config_.identity.credential = NodeCredential::kManagedIdentity;
    config_.identity.managed_identity_source = source;
    config_.identity.managed_identity_endpoint =
        "http://127.0.0.1:40342/metadata/identity/oauth2/token";
    config_.identity.managed_identity_id = std::move(id);
  }
  static std::string MiToken(const std::string& client_id = "") {
    const std::string access = MakeJwt(R"({"tid":"arc-tenant.example","appid":"mi-app"})");
    return absl::StrCat(R"({"access_token":")", access, R"(","expires_in":"3599")",
                        client_id.empty() ? "" : absl::StrCat(R"(,"client_id":")", client_id, "\""),
                        "}");
  }
};

TEST_F(ManagedIdentityTest, ArcRefusesKeyFilesOutsideItsDirectory) {
  UseManagedIdentity(ManagedIdentitySource::kArc);
  for (const char* realm :
       {"Basic realm=/etc/shadow", "Basic realm=/var/opt/azcmagent/tokens/x.txt",
        "Basic realm=/var/opt/azcmagent/tokens/../../../etc/x.key",
        "Basic realm=/var/opt/azcmagent/tokens/sub/x.key", "Bearer realm=x"}) {
    transport_.PushJson(401, "", {{"www-authenticate", realm}});
    absl::StatusOr<CredentialProviderResponse> response = Provide("myacr.azurecr.io/app");
    ASSERT_FALSE(response.ok()) << realm;
    EXPECT_EQ(response.status().code(), absl::StatusCode::kPermissionDenied) << realm;
    EXPECT_THAT(response.status().message(), HasSubstr("refused")) << realm;
  }
  EXPECT_EQ(transport_.sent.size(), 5u) << "only the challenges; nothing was read or sent";
  for (const HttpRequest& request : transport_.sent) {
    EXPECT_EQ(request.method, "GET");
    EXPECT_TRUE(request.bypass_proxy);
    EXPECT_THAT(
        request.url,
        HasSubstr("?api-version=2020-06-01&resource=https%3A%2F%2Fcontainerregistry.azure.net"));
    EXPECT_EQ(request.headers[0], (std::pair<std::string, std::string>{"Metadata", "true"}));
  }
}

TEST_F(ManagedIdentityTest, ImdsRetriesWhileTheIdentityIsBeingSetUp) {
  UseManagedIdentity(ManagedIdentitySource::kImds);
  transport_.PushJson(404, "{}");
  transport_.PushJson(410, "{}");
  transport_.PushJson(200, MiToken());
  transport_.PushJson(200,
                      absl::StrCat(R"({"refresh_token":")", RefreshToken(absl::Hours(3)), R"("})"));
  absl::StatusOr<CredentialProviderResponse> response = Provide("myacr.azurecr.io/app");
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(transport_.sent.size(), 4u);
  EXPECT_THAT(transport_.sent[0].url, HasSubstr("api-version=2018-02-01"));
  EXPECT_EQ(ParseForm(transport_.sent[3].body).at("tenant"), "arc-tenant.example")
      << "the tenant comes from the token";
}

TEST_F(ManagedIdentityTest, UserAssignedIdentityMustBeTheOneThatAnswers) {
  const std::string wanted = "33333333-4444-5555-6666-777777777777";
  UseManagedIdentity(ManagedIdentitySource::kImds, wanted);
  transport_.PushJson(200, MiToken("99999999-4444-5555-6666-777777777777"));
  absl::StatusOr<CredentialProviderResponse> response = Provide("myacr.azurecr.io/app");
  ASSERT_FALSE(response.ok());
  EXPECT_THAT(response.status().message(), HasSubstr("instead of " + wanted));
  EXPECT_THAT(transport_.sent[0].url, HasSubstr("&client_id=" + wanted));
}

TEST_F(ManagedIdentityTest, UnassignedIdentityIsExplained) {
  UseManagedIdentity(ManagedIdentitySource::kImds, "33333333-4444-5555-6666-777777777777");
  transport_.PushJson(400,
                      R"({"error":"invalid_request","error_description":"Identity not found"})");
  absl::StatusOr<CredentialProviderResponse> response = Provide("myacr.azurecr.io/app");
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(response.status().message(), HasSubstr("is not assigned to this machine"));
}

}  // namespace
}  // namespace acrcp
