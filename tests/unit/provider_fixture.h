// The provider core's test fixtures: a node config with a client secret, a scripted
// transport behind the network helper, a fake clock, and the null cache (ProviderTest) or a
// file cache in a temporary directory (CachingProviderTest). Requests go through the kubelet
// front end, the path every pull takes.
#ifndef ACRCP_TESTS_UNIT_PROVIDER_FIXTURE_H_
#define ACRCP_TESTS_UNIT_PROVIDER_FIXTURE_H_

#include <memory>
#include <string>
#include <variant>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/cache/file_token_cache.h"
#include "plugin/kubelet/kubelet_front_end.h"
#include "plugin/provider.h"
#include "tests/unit/test_util.h"

namespace acrcp::testing {

constexpr char kTenant[] = "72f988bf-86f1-41af-91ab-2d7cd011db47";
constexpr char kClient[] = "11111111-2222-3333-4444-555555555555";
constexpr char kSecret[] = "unit-test-secret-value";
constexpr char kAccessToken[] = "entra-access-token-value";

inline std::string EntraError(const std::string& error, int code) {
  return absl::StrCat(R"({"error":")", error, R"(","error_description":"AADSTS)", code,
                      R"(: text\r\nTrace ID: t","error_codes":[)", code,
                      R"(],"trace_id":"trace-1","correlation_id":"corr-1"})");
}

class ProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.identity.tenant_id = kTenant;
    config_.identity.client_id = kClient;
    ClientSecretSettings secret;
    secret.file = dir_.WriteFile("secret", absl::StrCat(kSecret, "\n"), 0600);
    config_.identity.credential = secret;
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

  // The node credential's settings, which must be a T.
  template <typename T>
  T& Credential() {
    return std::get<T>(config_.identity.credential);
  }

  TempDir dir_;
  FakeClock clock_;
  ScriptedTransport transport_{&clock_};
  NodeConfig config_;
  std::unique_ptr<TokenCache> cache_ = NewNullTokenCache();
  ProviderEnv env_;
  int transports_made_ = 0;
};

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

constexpr char kPem[] =
    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";

// A pod's service-account token (KEP-4412) for `subject`.
inline std::string PodToken(const std::string& subject) {
  return MakeJwt(absl::StrCat(R"({"iss":"https://k3s.example","sub":")", subject,
                              R"(","aud":"api://AzureADTokenExchange","exp":1900000000})"));
}

}  // namespace acrcp::testing

#endif  // ACRCP_TESTS_UNIT_PROVIDER_FIXTURE_H_
