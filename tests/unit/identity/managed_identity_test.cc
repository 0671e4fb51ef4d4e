#include "plugin/identity/managed_identity.h"

#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/provider_fixture.h"

namespace acrcp::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ManagedIdentityTest : public CachingProviderTest {
 protected:
  void UseManagedIdentity(ManagedIdentitySource source, std::string id = "") {
    ManagedIdentitySettings managed;
    managed.source = source;
    managed.endpoint = "http://127.0.0.1:40342/metadata/identity/oauth2/token";
    managed.id = std::move(id);
    config_.identity = IdentitySettings{};
    config_.identity.credential = managed;
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
}  // namespace acrcp::testing
