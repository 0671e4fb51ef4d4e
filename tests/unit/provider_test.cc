#include "plugin/provider.h"

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

TEST_F(ProviderTest, BadSecretFileStopsBeforeAnyRequest) {
  ASSERT_EQ(chmod(Credential<ClientSecretSettings>().file.c_str(), 0644), 0);
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
              HasSubstr("client secret file " + Credential<ClientSecretSettings>().file));
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

}  // namespace
}  // namespace acrcp::testing
