#include <map>
#include <memory>
#include <ostream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "plugin/identity/identity_factory.h"
#include "tests/unit/provider_fixture.h"

namespace acrcp::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

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
  ClientCertificateSettings certificate;
  certificate.file = dir_.WriteFile("cert.pem", kPem, 0600);
  certificate.password_file = dir_.WriteFile("pw", "key-password\n", 0600);
  certificate.algorithm = "RS256";
  config_.identity.credential = certificate;
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
  ClientCertificateSettings certificate;
  certificate.file = dir_.WriteFile("cert.pem", kPem, 0644);
  config_.identity.credential = certificate;
  absl::StatusOr<CredentialProviderResponse> response = Provide("myacr.azurecr.io/app");
  ASSERT_FALSE(response.ok());
  EXPECT_THAT(response.status().message(), HasSubstr("chmod 600"));
  Credential<ClientCertificateSettings>().file =
      dir_.WriteFile("only-cert.pem", "-----BEGIN CERTIFICATE-----\n", 0600);
  response = Provide("myacr.azurecr.io/app");
  ASSERT_FALSE(response.ok());
  EXPECT_THAT(response.status().message(),
              HasSubstr("needs a PEM certificate and its private key"));
  EXPECT_EQ(transports_made_, 0);
}

TEST_F(IdentityTest, UnregisteredCertificateExplainsTheFix) {
  ClientCertificateSettings certificate;
  certificate.file = dir_.WriteFile("cert.pem", kPem, 0600);
  config_.identity.credential = certificate;
  transport_.PushJson(401, EntraError("invalid_client", 700027));
  absl::StatusOr<CredentialProviderResponse> response = Provide("myacr.azurecr.io/app");
  ASSERT_FALSE(response.ok());
  EXPECT_THAT(response.status().message(), HasSubstr("AADSTS700027"));
  EXPECT_THAT(response.status().message(),
              HasSubstr(absl::StrCat("az ad app credential reset --id ", kClient, " --cert")));
  EXPECT_THAT(response.status().message(), HasSubstr(certificate.file));
}

TEST_F(IdentityTest, ServiceAccountTokenIsTheAssertionAndAnnotationsPickTheApp) {
  const std::string other_client = "22222222-3333-4444-5555-666666666666";
  const std::string other_tenant = "contoso.onmicrosoft.com";
  const std::string token = PodToken("system:serviceaccount:team:puller");
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
  ASSERT_TRUE(ProvideForPod(PodToken("system:serviceaccount:a:b")).ok());
  const std::map<std::string, std::string> form = ParseForm(transport_.sent[0].body);
  EXPECT_EQ(form.at("client_id"), kClient);
  EXPECT_THAT(transport_.sent[0].url, HasSubstr(kTenant));
}

TEST_F(IdentityTest, PodsOfDifferentServiceAccountsNeverShareCachedTokens) {
  const std::string first = PushColdRefresh();
  absl::StatusOr<CredentialProviderResponse> a =
      ProvideForPod(PodToken("system:serviceaccount:team-a:puller"));
  ASSERT_TRUE(a.ok()) << a.status();
  const std::string second = PushColdRefresh();
  absl::StatusOr<CredentialProviderResponse> b =
      ProvideForPod(PodToken("system:serviceaccount:team-b:puller"));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(a->auth.at("myacr.azurecr.io").password, first);
  EXPECT_EQ(b->auth.at("myacr.azurecr.io").password, second);
  EXPECT_EQ(transport_.sent.size(), 4u) << "team-b signed in itself";
  // The same service account again: served from the cache.
  absl::StatusOr<CredentialProviderResponse> again =
      ProvideForPod(PodToken("system:serviceaccount:team-a:puller"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->auth.at("myacr.azurecr.io").password, first);
  EXPECT_EQ(transport_.sent.size(), 4u);
}

TEST_F(IdentityTest, BadServiceAccountInputIsNamed) {
  absl::StatusOr<CredentialProviderResponse> response =
      ProvideForPod(PodToken("s"), {{"kubernetes.azure.com/acr-client-id", "app"}});
  ASSERT_FALSE(response.ok());
  EXPECT_THAT(response.status().message(),
              HasSubstr("service account annotation kubernetes.azure.com/acr-client-id: 'app' is "
                        "not a GUID"));
  response = ProvideForPod("not-a-jwt");
  ASSERT_FALSE(response.ok());
  EXPECT_THAT(response.status().message(), HasSubstr("serviceAccountToken"));
  config_.identity.client_id.clear();
  response = ProvideForPod(PodToken("s"));
  ASSERT_FALSE(response.ok());
  EXPECT_THAT(response.status().message(), HasSubstr("kubernetes.azure.com/acr-client-id"));
  EXPECT_EQ(transports_made_, 0);
}

TEST_F(IdentityTest, NoFederatedRecordNamesIssuerAndSubject) {
  transport_.PushJson(400, EntraError("invalid_grant", 70021));
  absl::StatusOr<CredentialProviderResponse> response =
      ProvideForPod(PodToken("system:serviceaccount:team:puller"));
  ASSERT_FALSE(response.ok());
  EXPECT_THAT(response.status().message(), HasSubstr("AADSTS70021"));
  EXPECT_THAT(response.status().message(), HasSubstr("issuer 'https://k3s.example' and subject "
                                                     "'system:serviceaccount:team:puller'"));
  EXPECT_THAT(response.status().message(), HasSubstr("az ad app federated-credential create"));
}

TEST_F(IdentityTest, FederatedTokenFileIsReadAtEachSignIn) {
  const std::string first = PodToken("system:serviceaccount:ci:runner");
  config_.identity.credential =
      FederatedTokenFileSettings{dir_.WriteFile("token", first + "\n", 0600)};
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
  config_.identity.credential = FederatedTokenFileSettings{dir_.WriteFile("token", "opaque", 0600)};
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
  ClientSecretSettings team_b_secret;
  team_b_secret.file = dir_.WriteFile("secret-b", "team-b-secret", 0600);
  team_b.identity.credential = team_b_secret;
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
  config_.identity.credential = NoCredential{};
  absl::StatusOr<CredentialProviderResponse> response = Provide("myacr.azurecr.io/app");
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(response.status().message(), HasSubstr("no credential configured"));
  PushColdRefresh();
  EXPECT_TRUE(ProvideForPod(PodToken("system:serviceaccount:a:b")).ok());
}

}  // namespace
}  // namespace acrcp::testing
