#include "plugin/kubelet/kubelet_protocol.h"

#include <ostream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace acrcp {
namespace {

using ::testing::HasSubstr;

class ApiVersionTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ApiVersionTest, ParsesRequestAndEchoesVersionInResponse) {
  const std::string version = GetParam();
  const std::string input = R"({"kind":"CredentialProviderRequest","apiVersion":")" + version +
                            R"(","image":"myacr.azurecr.io/team/app"})" + "\n";
  absl::StatusOr<CredentialProviderRequest> request = ParseRequest(input);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->api_version, version);
  EXPECT_EQ(request->image, "myacr.azurecr.io/team/app");

  CredentialProviderResponse response;
  response.api_version = request->api_version;
  response.cache_duration = absl::Minutes(50);
  response.auth["myacr.azurecr.io"] = {"00000000-0000-0000-0000-000000000000", "tok"};
  const std::string out = SerializeResponse(response);
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.back(), '\n');
  EXPECT_EQ(out.find('\n'), out.size() - 1) << "one line";
  const nlohmann::json doc = nlohmann::json::parse(out);
  // The kubelet decodes strictly: exactly these keys, exactly these spellings.
  EXPECT_EQ(doc, nlohmann::json::parse(R"({"apiVersion":")" + version + R"(",
      "kind":"CredentialProviderResponse","cacheKeyType":"Registry","cacheDuration":"50m0s",
      "auth":{"myacr.azurecr.io":{"username":"00000000-0000-0000-0000-000000000000",
      "password":"tok"}}})"));
}

INSTANTIATE_TEST_SUITE_P(AllVersions, ApiVersionTest,
                         ::testing::Values("credentialprovider.kubelet.k8s.io/v1",
                                           "credentialprovider.kubelet.k8s.io/v1beta1",
                                           "credentialprovider.kubelet.k8s.io/v1alpha1"));

TEST(KubeletProtocolTest, EmptyAuthIsAnEmptyObject) {
  CredentialProviderResponse response;
  response.api_version = "credentialprovider.kubelet.k8s.io/v1";
  const nlohmann::json doc = nlohmann::json::parse(SerializeResponse(response));
  EXPECT_TRUE(doc["auth"].is_object());
  EXPECT_TRUE(doc["auth"].empty());
  EXPECT_EQ(doc["cacheDuration"], "0s");
}

TEST(KubeletProtocolTest, ReadsServiceAccountFieldsOfV1) {
  absl::StatusOr<CredentialProviderRequest> request = ParseRequest(
      R"({"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1",
          "image":"a.azurecr.io/x","serviceAccountToken":"sat",
          "serviceAccountAnnotations":{"kubernetes.azure.com/acr-client-id":"c"}})");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->service_account_token, "sat");
  EXPECT_EQ(request->service_account_annotations.at("kubernetes.azure.com/acr-client-id"), "c");
}

struct BadRequest {
  const char* json;
  const char* message;
};

void PrintTo(const BadRequest& c, std::ostream* os) { *os << c.message; }

class BadRequestTest : public ::testing::TestWithParam<BadRequest> {};

TEST_P(BadRequestTest, IsRejectedWithAMessageNamingTheProblem) {
  absl::StatusOr<CredentialProviderRequest> request = ParseRequest(GetParam().json);
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(request.status().message(), HasSubstr("stdin"));
  EXPECT_THAT(request.status().message(), HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadRequestTest,
    ::testing::Values(
        BadRequest{"", "not valid JSON"}, BadRequest{"{", "not valid JSON"},
        BadRequest{"[]", "not a JSON object"},
        BadRequest{R"({"kind":"CredentialProviderRequest","image":"a/b"})", "apiVersion ''"},
        BadRequest{R"({"kind":"CredentialProviderRequest","apiVersion":"v1","image":"a/b"})",
                   "apiVersion 'v1'"},
        BadRequest{R"({"apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"a/b"})",
                   "kind is ''"},
        BadRequest{R"({"kind":"CredentialProviderResponse",
                      "apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"a/b"})",
                   "kind is 'CredentialProviderResponse'"},
        BadRequest{R"({"kind":"CredentialProviderRequest",
                      "apiVersion":"credentialprovider.kubelet.k8s.io/v1"})",
                   "'image' is missing"},
        BadRequest{R"({"kind":"CredentialProviderRequest",
                      "apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":7})",
                   "'image' is not a string"},
        BadRequest{R"({"kind":"CredentialProviderRequest",
                      "apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"a/b",
                      "serviceAccountAnnotations":[]})",
                   "'serviceAccountAnnotations' is not an object"}));

}  // namespace
}  // namespace acrcp
