#include "plugin/docker/docker_credential_helper.h"

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/cache/file_token_cache.h"
#include "tests/unit/test_util.h"

namespace acrcp {
namespace {

using ::acrcp::testing::EnvFrom;
using ::acrcp::testing::FakeClock;
using ::acrcp::testing::ForwardTo;
using ::acrcp::testing::MakeJwt;
using ::acrcp::testing::ParseForm;
using ::acrcp::testing::ScriptedTransport;
using ::acrcp::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSecret[] = "docker-helper-unit-secret";
constexpr char kNotFound[] = "credentials not found in native keychain\n";

TEST(ParseStoreRequestTest, ReadsTheThreeFields) {
  absl::StatusOr<StoredCredentials> got =
      ParseStoreRequest(R"({"ServerURL":"myacr.azurecr.io","Username":"u","Secret":"s"})");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->server_url, "myacr.azurecr.io");
  EXPECT_EQ(got->username, "u");
  EXPECT_EQ(got->secret, "s");
}

TEST(ParseStoreRequestTest, MissingFieldsGetTheProtocolsMessages) {
  EXPECT_EQ(ParseStoreRequest(R"({"Username":"u","Secret":"s"})").status().message(),
            "no credentials server URL");
  EXPECT_EQ(ParseStoreRequest(R"({"ServerURL":"x","Username":7})").status().message(),
            "no credentials username");
  EXPECT_THAT(ParseStoreRequest("myacr.azurecr.io").status().message(), HasSubstr("JSON"));
}

TEST(DockerHelperConfigPathTest, PrefersTheVariableThenTheUserThenTheSystem) {
  std::set<std::string> existing;
  const auto exists = [&existing](const std::string& path) { return existing.count(path) > 0; };
  const EnvLookup env = EnvFrom({{"HOME", "/home/dev"}, {"XDG_CONFIG_HOME", "/xdg"}});
  EXPECT_EQ(DockerHelperConfigPath(env, exists), "") << "nothing: environment variables only";
  existing.insert("/etc/acr-credential-provider/config.json");
  EXPECT_EQ(DockerHelperConfigPath(env, exists), "/etc/acr-credential-provider/config.json");
  existing.insert("/home/dev/.config/acr-credential-provider/config.json");
  EXPECT_EQ(DockerHelperConfigPath(env, exists), "/etc/acr-credential-provider/config.json")
      << "XDG_CONFIG_HOME replaces ~/.config";
  EXPECT_EQ(DockerHelperConfigPath(EnvFrom({{"HOME", "/home/dev"}}), exists),
            "/home/dev/.config/acr-credential-provider/config.json");
  existing.insert("/xdg/acr-credential-provider/config.json");
  EXPECT_EQ(DockerHelperConfigPath(env, exists), "/xdg/acr-credential-provider/config.json");
  EXPECT_EQ(
      DockerHelperConfigPath(
          EnvFrom({{"HOME", "/home/dev"}, {"ACR_CREDENTIAL_PROVIDER_CONFIG", "/my.json"}}), exists),
      "/my.json")
      << "the variable wins even before the file exists, so a typo is reported";
}

TEST(DockerHelperCacheDirTest, RootSharesTheNodeCacheOthersUseTheirRuntimeDir) {
  NodeConfig config;
  const EnvLookup env = EnvFrom({{"XDG_RUNTIME_DIR", "/run/user/1000"}});
  EXPECT_EQ(DockerHelperCacheDir(config, /*root=*/true, env), kDefaultCacheDir);
  EXPECT_EQ(DockerHelperCacheDir(config, false, env), "/run/user/1000/acr-credential-provider");
  EXPECT_EQ(DockerHelperCacheDir(config, false, EnvFrom({})), "") << "no cache rather than /tmp";
  EXPECT_EQ(DockerHelperCacheDir(config, false, EnvFrom({{"XDG_RUNTIME_DIR", "relative"}})), "");
  config.cache_dir = "/home/dev/.cache/acr";
  EXPECT_EQ(DockerHelperCacheDir(config, false, env), "/home/dev/.cache/acr");
}

class DockerHelperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.identity.tenant_id = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    config_.identity.client_id = "11111111-2222-3333-4444-555555555555";
    ClientSecretSettings secret;
    secret.file = dir_.WriteFile("secret", kSecret, 0600);
    config_.identity.credential = secret;
    config_.cloud = *CloudByName("AzurePublicCloud");
    cache_ = OpenFileTokenCache(dir_.path() + "/cache", clock_);
    deps_.read_stdin = [this]() -> absl::StatusOr<std::string> {
      ++stdin_reads_;
      return stdin_;
    };
    deps_.load_config = [this]() -> absl::StatusOr<NodeConfig> { return config_; };
    deps_.provider_env = [this](const NodeConfig&) {
      ProviderEnv env;
      env.clock = &clock_;
      env.cache = cache_.get();
      env.jitter = [] { return 0.0; };
      env.start_helper = [this]() -> absl::StatusOr<std::unique_ptr<NetworkHelper>> {
        return ForwardTo(&transport_);
      };
      return env;
    };
  }

  DockerHelperResult Run(const std::vector<std::string>& args, const std::string& input = "") {
    stdin_ = input;
    return RunDockerCredentialHelper(args, deps_);
  }

  // Queues a sign-in and an exchange; returns the refresh token handed out.
  std::string PushColdRefresh() {
    transport_.PushJson(200, R"({"token_type":"Bearer","expires_in":3599,"access_token":"at"})");
    const std::string token =
        MakeJwt(absl::StrCat(R"({"exp":)", absl::ToUnixSeconds(clock_.Now() + absl::Hours(3)),
                             R"(,"n":)", ++tokens_issued_, "}"));
    transport_.PushJson(200, absl::StrCat(R"({"refresh_token":")", token, R"("})"));
    return token;
  }

  TempDir dir_;
  FakeClock clock_;
  ScriptedTransport transport_{&clock_};
  NodeConfig config_;
  std::unique_ptr<TokenCache> cache_;
  DockerHelperDeps deps_;
  std::string stdin_;
  int stdin_reads_ = 0;
  int tokens_issued_ = 0;
};

TEST_F(DockerHelperTest, GetAnswersAnAcrServerWithTheRefreshToken) {
  const std::string token = PushColdRefresh();
  const DockerHelperResult result = Run({"get"}, "https://myacr.azurecr.io\n");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, absl::StrCat(R"({"ServerURL":"https://myacr.azurecr.io",)",
                                     R"("Username":"00000000-0000-0000-0000-000000000000",)",
                                     R"("Secret":")", token, "\"}\n"));
  ASSERT_EQ(transport_.sent.size(), 2u);
  EXPECT_EQ(transport_.sent[1].url, "https://myacr.azurecr.io/oauth2/exchange");

  EXPECT_EQ(Run({"get"}, "myacr.azurecr.io").exit_code, 0);
  EXPECT_EQ(transport_.sent.size(), 2u) << "the second get is a cache hit";
}

TEST_F(DockerHelperTest, OtherServersAreNotFoundWithoutAnyRequest) {
  for (const char* server : {"https://index.docker.io/v1/", "ghcr.io",
                             "myacr.azurecr.io.attacker.example", "evil-azurecr.io", "ftp://x"}) {
    const DockerHelperResult result = Run({"get"}, server);
    EXPECT_EQ(result.exit_code, 1) << server;
    EXPECT_EQ(result.out, kNotFound) << server;
  }
  EXPECT_TRUE(transport_.sent.empty());
}

TEST_F(DockerHelperTest, PlainHttpServerIsRefusedWithoutAnyRequest) {
  const DockerHelperResult result = Run({"get"}, "http://myacr.azurecr.io\n");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.out, HasSubstr("refusing credentials for http://myacr.azurecr.io"));
  EXPECT_THAT(result.out, HasSubstr("in the clear"));
  EXPECT_TRUE(transport_.sent.empty());
}

// The default port is no part of the registry's name: one token, one exchange `service`.
TEST_F(DockerHelperTest, DefaultPortIsTheSameRegistry) {
  const std::string token = PushColdRefresh();
  const DockerHelperResult result = Run({"get"}, "https://MyAcr.azurecr.io:443/v2/\n");
  EXPECT_EQ(result.exit_code, 0) << result.out;
  EXPECT_THAT(result.out, HasSubstr(token));
  ASSERT_EQ(transport_.sent.size(), 2u);
  EXPECT_EQ(transport_.sent[1].url, "https://myacr.azurecr.io/oauth2/exchange");
  EXPECT_EQ(ParseForm(transport_.sent[1].body)["service"], "myacr.azurecr.io");
  EXPECT_EQ(Run({"get"}, "myacr.azurecr.io").exit_code, 0);
  EXPECT_EQ(transport_.sent.size(), 2u) << "served from the same cache entry";
}

TEST_F(DockerHelperTest, MirrorSourceGetsItsAcrToken) {
  config_.mirrors["registry.internal:5000"] = "myacr.azurecr.io";
  const std::string token = PushColdRefresh();
  const DockerHelperResult result = Run({"get"}, "registry.internal:5000");
  EXPECT_EQ(result.exit_code, 0) << result.out;
  EXPECT_THAT(result.out, HasSubstr(token));
  EXPECT_EQ(transport_.sent[1].url, "https://myacr.azurecr.io/oauth2/exchange");
}

TEST_F(DockerHelperTest, FailuresAreOneLineOnStdoutWithoutTheSecret) {
  transport_.PushJson(401, R"({"error":"invalid_client","error_description":"AADSTS7000215: )"
                           R"(Invalid client secret provided.","error_codes":[7000215]})");
  const DockerHelperResult result = Run({"get"}, "myacr.azurecr.io");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.out, HasSubstr("AADSTS7000215"));
  EXPECT_THAT(result.out, Not(HasSubstr(kSecret)));
  EXPECT_EQ(std::count(result.out.begin(), result.out.end(), '\n'), 1);
  EXPECT_EQ(Run({"get"}, " \n").out, "no credentials server URL\n");
}

TEST_F(DockerHelperTest, BadConfigIsReported) {
  deps_.load_config = []() -> absl::StatusOr<NodeConfig> {
    return absl::InvalidArgumentError("node config /x.json: unknown key \"tenant\"");
  };
  const DockerHelperResult result = Run({"get"}, "myacr.azurecr.io");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.out, "node config /x.json: unknown key \"tenant\"\n");
}

TEST_F(DockerHelperTest, StoreIsRefusedWithTheReason) {
  const DockerHelperResult result =
      Run({"store"}, R"({"ServerURL":"myacr.azurecr.io","Username":"u","Secret":"p"})");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.out, HasSubstr("come from this machine's Azure identity"));
  EXPECT_THAT(result.out, Not(HasSubstr("\"p\"")));
  EXPECT_EQ(Run({"store"}, R"({"ServerURL":"myacr.azurecr.io"})").out, "no credentials username\n");
  EXPECT_TRUE(transport_.sent.empty());
}

TEST_F(DockerHelperTest, EraseForgetsTheCachedToken) {
  const std::string first = PushColdRefresh();
  ASSERT_EQ(Run({"get"}, "myacr.azurecr.io").exit_code, 0);
  const DockerHelperResult erased = Run({"erase"}, "myacr.azurecr.io");
  EXPECT_EQ(erased.exit_code, 0) << erased.out;
  EXPECT_EQ(erased.out, "");
  const std::string second = PushColdRefresh();
  const DockerHelperResult again = Run({"get"}, "myacr.azurecr.io");
  EXPECT_THAT(again.out, HasSubstr(second));
  EXPECT_EQ(transport_.sent.size(), 4u);
  EXPECT_EQ(Run({"erase"}, "ghcr.io").exit_code, 0) << "nothing stored, nothing to do";
}

TEST_F(DockerHelperTest, ListNamesTheConfiguredRegistriesWithoutReadingStdin) {
  config_.registries = {"registry.example.com"};
  config_.mirrors["mirror.internal"] = "myacr.azurecr.io";
  const DockerHelperResult result = Run({"list"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, R"({"mirror.internal":"00000000-0000-0000-0000-000000000000",)"
                        R"("myacr.azurecr.io":"00000000-0000-0000-0000-000000000000",)"
                        R"("registry.example.com":"00000000-0000-0000-0000-000000000000"})"
                        "\n");
  EXPECT_EQ(stdin_reads_, 0);
}

TEST_F(DockerHelperTest, VersionHelpAndUsage) {
  EXPECT_THAT(Run({"version"}).out, HasSubstr("docker-credential-acr (acr-credential-provider) "));
  EXPECT_EQ(Run({"--version"}).out, Run({"version"}).out);
  EXPECT_EQ(Run({"-h"}).exit_code, 0);
  EXPECT_THAT(Run({"-h"}).out, HasSubstr("Usage: docker-credential-acr"));
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{}, std::vector<std::string>{"get", "extra"}}) {
    const DockerHelperResult usage = Run(args);
    EXPECT_EQ(usage.exit_code, 1);
    EXPECT_THAT(usage.out, HasSubstr("Usage: docker-credential-acr"));
  }
  const DockerHelperResult unknown = Run({"delete"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.out, HasSubstr("unknown credential action: delete"));
  EXPECT_EQ(stdin_reads_, 0);
}

}  // namespace
}  // namespace acrcp
