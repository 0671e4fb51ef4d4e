#include "plugin/config/node_config.h"

#include <ostream>
#include <string>
#include <variant>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/identity/managed_identity.h"
#include "tests/unit/test_util.h"

namespace acrcp {
namespace {

using ::acrcp::testing::EnvFrom;
using ::acrcp::testing::TempDir;
using ::testing::HasSubstr;

// The settings of `identity`'s credential if it is a T, else nullptr.
template <typename T>
const T* As(const IdentitySettings& identity) {
  return std::get_if<T>(&identity.credential);
}

constexpr char kTenant[] = "72f988bf-86f1-41af-91ab-2d7cd011db47";
constexpr char kClient[] = "11111111-2222-3333-4444-555555555555";

std::string Minimal(const std::string& extra = "") {
  return std::string(R"({"tenantId":")") + kTenant + R"(","clientId":")" + kClient +
         R"(","clientSecretFile":"/etc/acr/secret")" + extra + "}";
}

absl::StatusOr<NodeConfig> Parse(const std::string& json, bool is_private = true,
                                 std::map<std::string, std::string> env = {}) {
  return ParseNodeConfig(json, "/etc/acr/config.json", is_private, EnvFrom(std::move(env)));
}

TEST(NodeConfigTest, MinimalConfigGetsPublicCloudDefaults) {
  absl::StatusOr<NodeConfig> config = Parse(Minimal());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->identity.tenant_id, kTenant);
  EXPECT_EQ(config->identity.client_id, kClient);
  const auto* secret = As<ClientSecretSettings>(config->identity);
  ASSERT_NE(secret, nullptr);
  EXPECT_EQ(secret->file, "/etc/acr/secret");
  EXPECT_TRUE(secret->inline_secret.empty());
  EXPECT_EQ(config->cloud.name, "AzurePublicCloud");
  EXPECT_EQ(config->cloud.authority_host, "https://login.microsoftonline.com");
  EXPECT_EQ(config->cloud.acr_suffix, "azurecr.io");
  EXPECT_EQ(config->cloud.audience, "https://containerregistry.azure.net");
  EXPECT_EQ(config->cache_dir, "/run/acr-credential-provider");
  EXPECT_EQ(config->timeout, absl::Seconds(30));
  EXPECT_EQ(config->max_cache_duration, absl::Hours(1));
  EXPECT_TRUE(config->registries.empty());
}

TEST(NodeConfigTest, MetricsFileIsDefaultOffOrAPath) {
  absl::StatusOr<NodeConfig> config = Parse(Minimal());
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->metrics_file, std::nullopt) << "the textfile directory, if there is one";
  config = Parse(Minimal(R"(,"metricsFile":"off")"));
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->metrics_file, "");
  config = Parse(Minimal(R"(,"metricsFile":"/srv/metrics/acr.prom")"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->metrics_file, "/srv/metrics/acr.prom");
}

TEST(NodeConfigTest, ReadsEveryKey) {
  TempDir dir;
  const std::string ca = dir.WriteFile("ca.pem", "pem", 0644);
  absl::StatusOr<NodeConfig> config = Parse(Minimal(
      R"(,"cloud":"AzureChinaCloud","authorityHost":"https://login.example.cn/",
      "audience":"https://acr.example/.default","registries":["Registry.Contoso.com","localhost:8443"],
      "caBundleFile":")" +
      ca + R"(","cacheDir":"/var/cache/acr","timeoutSeconds":12,
      "maxCacheDurationSeconds":600)"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->cloud.name, "AzureChinaCloud");
  EXPECT_EQ(config->cloud.acr_suffix, "azurecr.cn");
  EXPECT_EQ(config->cloud.authority_host, "https://login.example.cn");
  EXPECT_EQ(config->cloud.audience, "https://acr.example");
  EXPECT_EQ(config->registries,
            (std::vector<std::string>{"registry.contoso.com", "localhost:8443"}));
  EXPECT_EQ(config->ca_bundle_file, ca);
  EXPECT_EQ(config->cache_dir, "/var/cache/acr");
  EXPECT_EQ(config->timeout, absl::Seconds(12));
  EXPECT_EQ(config->max_cache_duration, absl::Minutes(10));
}

TEST(NodeConfigTest, CustomCloud) {
  absl::StatusOr<NodeConfig> config = Parse(Minimal(
      R"(,"cloud":"AzureCustomCloud","authorityHost":"https://login.example.net",
      "acrSuffix":"AzureCR.Example.NET","audience":"https://acr.example.net")"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->cloud.name, "AzureCustomCloud");
  EXPECT_EQ(config->cloud.authority_host, "https://login.example.net");
  EXPECT_EQ(config->cloud.acr_suffix, "azurecr.example.net");
  EXPECT_EQ(config->cloud.audience, "https://acr.example.net");
}

TEST(NodeConfigTest, Mirrors) {
  absl::StatusOr<NodeConfig> config = Parse(Minimal(
      R"(,"registries":["registry.contoso.com"],"mirrors":{"MCR.microsoft.com":"MyAcr.azurecr.io",
      "registry.local:5000":"registry.contoso.com"})"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->mirrors,
            (std::map<std::string, std::string>{{"mcr.microsoft.com", "myacr.azurecr.io"},
                                                {"registry.local:5000", "registry.contoso.com"}}));
}

TEST(NodeConfigTest, IdentitiesMapRegistriesToOtherTenants) {
  absl::StatusOr<NodeConfig> config = Parse(Minimal(R"(,"identities":[
      {"registries":["TeamB.azurecr.io","teamb2.azurecr.io"],"tenantId":"contoso.onmicrosoft.com",
       "clientId":"99999999-2222-3333-4444-555555555555","clientCertificateFile":"/etc/b.pem"}])"));
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->identities.size(), 1u);
  const RegistryIdentity& b = config->identities[0];
  EXPECT_EQ(b.registries, (std::vector<std::string>{"teamb.azurecr.io", "teamb2.azurecr.io"}));
  EXPECT_EQ(b.identity.tenant_id, "contoso.onmicrosoft.com");
  EXPECT_NE(As<ClientCertificateSettings>(b.identity), nullptr);
  EXPECT_NE(As<ClientSecretSettings>(config->identity), nullptr) << "the default stays";
}

TEST(NodeConfigTest, ManagedIdentityNeedsNoAppRegistration) {
  absl::StatusOr<NodeConfig> config = Parse(
      R"({"managedIdentity":"arc","managedIdentityClientId":"11111111-2222-3333-4444-555555555555",
          "managedIdentityEndpoint":"http://127.0.0.1:40342/metadata/identity/oauth2/token"})");
  ASSERT_TRUE(config.ok()) << config.status();
  const auto* managed = As<ManagedIdentitySettings>(config->identity);
  ASSERT_NE(managed, nullptr);
  EXPECT_EQ(managed->source, ManagedIdentitySource::kArc);
  EXPECT_EQ(managed->id, "11111111-2222-3333-4444-555555555555");
  EXPECT_TRUE(config->identity.tenant_id.empty());

  config = Parse(R"({"useManagedIdentityExtension":true,
      "userAssignedIdentityID":"/subscriptions/s/resourceGroups/g/providers/x/id"})");
  ASSERT_TRUE(config.ok()) << config.status();
  managed = As<ManagedIdentitySettings>(config->identity);
  ASSERT_NE(managed, nullptr);
  EXPECT_EQ(managed->id, "/subscriptions/s/resourceGroups/g/providers/x/id");
}

// Where a managed identity answers: the config decides what the environment tells; only
// "auto" without Arc's variables is left to the identity factory, which looks for the agent.
TEST(ResolveManagedIdentityTest, PicksArcWhenItsAgentIsThere) {
  const std::map<std::string, std::string> arc_env = {
      {"IDENTITY_ENDPOINT", "http://localhost:40342/metadata/identity/oauth2/token"},
      {"IMDS_ENDPOINT", "http://localhost:40342"}};
  const auto settings = [](const std::string& json, std::map<std::string, std::string> env) {
    absl::StatusOr<NodeConfig> config = Parse(json, true, std::move(env));
    EXPECT_TRUE(config.ok()) << config.status();
    const auto* managed = config.ok() ? As<ManagedIdentitySettings>(config->identity) : nullptr;
    EXPECT_NE(managed, nullptr);
    return managed != nullptr ? *managed : ManagedIdentitySettings{};
  };
  const auto resolve = [](const ManagedIdentitySettings& s, bool agent) {
    const ManagedIdentityEndpoint where = ResolveManagedIdentity(s, agent);
    return std::make_pair(where.source, where.url);
  };
  const ManagedIdentitySettings automatic = settings(R"({"managedIdentity":"auto"})", {});
  EXPECT_EQ(resolve(automatic, false),
            std::make_pair(ManagedIdentitySource::kImds, std::string(kImdsDefaultEndpoint)));
  EXPECT_EQ(resolve(automatic, true),
            std::make_pair(ManagedIdentitySource::kArc, std::string(kArcDefaultEndpoint)))
      << "the agent is installed but its variables are not in the kubelet's environment";
  EXPECT_EQ(resolve(settings(R"({"managedIdentity":"auto"})", arc_env), false).second,
            "http://localhost:40342/metadata/identity/oauth2/token");
  EXPECT_EQ(resolve(settings(R"({"managedIdentity":"imds"})", arc_env), true).first,
            ManagedIdentitySource::kImds);
  EXPECT_EQ(resolve(settings(R"({"managedIdentity":"arc",
                                 "managedIdentityEndpoint":"http://127.0.0.1:9/x"})",
                             {}),
                    false),
            std::make_pair(ManagedIdentitySource::kArc, std::string("http://127.0.0.1:9/x")));
}

TEST(NodeConfigTest, AcceptsUpstreamAzureJson) {
  absl::StatusOr<NodeConfig> config =
      Parse(std::string(R"({"cloud":"AzureUSGovernment","tenantID":")") + kTenant +
            R"(","aadClientId":")" + kClient + R"(","aadClientSecret":"s3cr3t-value",
      "subscriptionId":"x","resourceGroup":"rg","location":"eastus","vmType":"standard",
      "useManagedIdentityExtension":false,"userAssignedIdentityID":"","useInstanceMetadata":true})");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->cloud.name, "AzureUSGovernmentCloud");
  EXPECT_EQ(config->identity.client_id, kClient);
  const auto* secret = As<ClientSecretSettings>(config->identity);
  ASSERT_NE(secret, nullptr);
  EXPECT_EQ(secret->inline_secret, "s3cr3t-value");
  EXPECT_THAT(secret->inline_origin, HasSubstr("aadClientSecret"));
}

TEST(NodeConfigTest, InlineSecretRequiresAPrivateFile) {
  absl::StatusOr<NodeConfig> config =
      Parse(std::string(R"({"tenantId":")") + kTenant + R"(","aadClientId":")" + kClient +
                R"(","aadClientSecret":"s3cr3t-value"})",
            /*is_private=*/false);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("chmod 600 /etc/acr/config.json"));
  EXPECT_THAT(config.status().message(), ::testing::Not(HasSubstr("s3cr3t-value")));
}

TEST(NodeConfigTest, EnvironmentFillsGaps) {
  absl::StatusOr<NodeConfig> config =
      Parse("{}", false,
            {{"AZURE_TENANT_ID", kTenant},
             {"AZURE_CLIENT_ID", kClient},
             {"AZURE_CLIENT_SECRET", "from-env-secret"},
             {"AZURE_AUTHORITY_HOST", "https://login.microsoftonline.us/"}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->identity.tenant_id, kTenant);
  EXPECT_EQ(config->identity.client_id, kClient);
  const auto* secret = As<ClientSecretSettings>(config->identity);
  ASSERT_NE(secret, nullptr);
  EXPECT_EQ(secret->inline_secret, "from-env-secret");
  EXPECT_EQ(secret->inline_origin, "AZURE_CLIENT_SECRET");
  EXPECT_EQ(config->cloud.authority_host, "https://login.microsoftonline.us");
}

TEST(NodeConfigTest, FileWinsOverEnvironment) {
  absl::StatusOr<NodeConfig> config = Parse(
      Minimal(), true,
      {{"AZURE_TENANT_ID", "contoso.onmicrosoft.com"}, {"AZURE_CLIENT_SECRET", "from-env-secret"}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->identity.tenant_id, kTenant);
  const auto* secret = As<ClientSecretSettings>(config->identity);
  ASSERT_NE(secret, nullptr);
  EXPECT_EQ(secret->file, "/etc/acr/secret");
  EXPECT_TRUE(secret->inline_secret.empty());
}

TEST(NodeConfigTest, CertificateAndFederatedCredentials) {
  absl::StatusOr<NodeConfig> config =
      Parse(std::string(R"({"tenantId":")") + kTenant + R"(","clientId":")" + kClient +
            R"(","clientCertificateFile":"/etc/acr/cert.pem",
      "clientCertificatePasswordFile":"/etc/acr/pw","clientCertificateSignature":"RS256"})");
  ASSERT_TRUE(config.ok()) << config.status();
  const auto* certificate = As<ClientCertificateSettings>(config->identity);
  ASSERT_NE(certificate, nullptr);
  EXPECT_EQ(certificate->file, "/etc/acr/cert.pem");
  EXPECT_EQ(certificate->password_file, "/etc/acr/pw");
  EXPECT_EQ(certificate->algorithm, "RS256");

  config = Parse(std::string(R"({"tenantId":")") + kTenant + R"(","clientId":")" + kClient +
                 R"(","federatedTokenFile":"/var/run/token"})");
  ASSERT_TRUE(config.ok()) << config.status();
  const auto* federated = As<FederatedTokenFileSettings>(config->identity);
  ASSERT_NE(federated, nullptr);
  EXPECT_EQ(federated->file, "/var/run/token");
}

TEST(NodeConfigTest, EnvironmentCredentialsInAzureSdkOrder) {
  const std::map<std::string, std::string> ids = {{"AZURE_TENANT_ID", kTenant},
                                                  {"AZURE_CLIENT_ID", kClient}};
  auto with = [&](std::map<std::string, std::string> extra) {
    extra.insert(ids.begin(), ids.end());
    return Parse("{}", false, extra);
  };
  absl::StatusOr<NodeConfig> config = with({{"AZURE_CLIENT_CERTIFICATE_PATH", "/c.pem"},
                                            {"AZURE_CLIENT_CERTIFICATE_PASSWORD", "pw-1234"},
                                            {"AZURE_FEDERATED_TOKEN_FILE", "/t"}});
  ASSERT_TRUE(config.ok()) << config.status();
  const auto* certificate = As<ClientCertificateSettings>(config->identity);
  ASSERT_NE(certificate, nullptr);
  EXPECT_EQ(certificate->inline_password, "pw-1234");
  config = with({{"AZURE_FEDERATED_TOKEN_FILE", "/t"}});
  ASSERT_TRUE(config.ok());
  EXPECT_NE(As<FederatedTokenFileSettings>(config->identity), nullptr);
}

TEST(NodeConfigTest, NoCredentialMeansServiceAccountTokensOnly) {
  absl::StatusOr<NodeConfig> config = Parse(std::string(R"({"tenantId":")") + kTenant + R"("})");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_NE(As<NoCredential>(config->identity), nullptr);
  EXPECT_EQ(config->identity.tenant_id, kTenant);
  EXPECT_TRUE(config->identity.client_id.empty());
}

TEST(NodeConfigTest, TenantMayBeADomain) {
  absl::StatusOr<NodeConfig> config = Parse(std::string(R"({"tenantId":"contoso.onmicrosoft.com",
      "clientId":")") + kClient + R"(","clientSecretFile":"/s"})");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->identity.tenant_id, "contoso.onmicrosoft.com");
}

struct ConfigError {
  std::string json;
  std::string message;
};

void PrintTo(const ConfigError& c, std::ostream* os) { *os << c.message; }

class ConfigErrorTest : public ::testing::TestWithParam<ConfigError> {};

TEST_P(ConfigErrorTest, NamesTheFileAndTheProblem) {
  absl::StatusOr<NodeConfig> config = Parse(GetParam().json);
  ASSERT_FALSE(config.ok()) << GetParam().json;
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(config.status().message(), HasSubstr("node config /etc/acr/config.json: "));
  EXPECT_THAT(config.status().message(), HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ConfigErrorTest,
    ::testing::Values(
        ConfigError{"not json", "line 1, column 2: syntax error"},
        ConfigError{"[]", "not a JSON object"},
        ConfigError{Minimal(R"(,"tenantid2":"x")"), "unknown key 'tenantid2'"},
        ConfigError{Minimal(R"(,"TENANTID":"x")"), "'tenantId' appears twice"},
        ConfigError{R"({"clientId":"11111111-2222-3333-4444-555555555555",
                       "clientSecretFile":"/s"})",
                    "no tenant ID"},
        ConfigError{R"({"tenantId":"a/b","clientId":"11111111-2222-3333-4444-555555555555"})",
                    "not a GUID or domain name"},
        ConfigError{std::string(R"({"tenantId":")") + kTenant + R"(","clientSecretFile":"/s"})",
                    "no client ID"},
        ConfigError{std::string(R"({"tenantId":")") + kTenant + R"(","clientId":"app"})",
                    "client ID 'app' is not a GUID"},
        ConfigError{Minimal(R"(,"clientCertificateFile":"/c.pem")"),
                    "more than one credential is set"},
        ConfigError{Minimal(R"(,"federatedTokenFile":"/t")"), "more than one credential is set"},
        ConfigError{Minimal(R"(,"clientCertificatePasswordFile":"/p")"),
                    "need clientCertificateFile"},
        ConfigError{
            std::string(R"({"tenantId":")") + kTenant + R"(","clientId":")" + kClient +
                R"(","clientCertificateFile":"/c.pem","clientCertificateSignature":"ES256"})",
            "clientCertificateSignature 'ES256' is not PS256 or RS256"},
        ConfigError{Minimal(R"(,"aadClientId":"99999999-2222-3333-4444-555555555555")"),
                    "clientId and aadClientId differ"},
        ConfigError{Minimal(R"(,"aadClientSecret":"x-y-z-w")"), "more than one credential is set"},
        ConfigError{Minimal(R"(,"cloud":"AzureGermanCloud")"), "unknown cloud 'AzureGermanCloud'"},
        ConfigError{Minimal(R"(,"cloud":7)"), "'cloud' must be a string"},
        ConfigError{Minimal(R"(,"mirrors":["a"])"), "'mirrors' must map source registries"},
        ConfigError{Minimal(R"(,"identities":{})"), "'identities' must be a list"},
        ConfigError{Minimal(R"(,"identities":[{"registries":["b.azurecr.io"],"cloud":"x"}])"),
                    "identities[0]: unknown key 'cloud'"},
        ConfigError{Minimal(R"(,"identities":[{"tenantId":"t.example","clientSecretFile":"/s",
                    "clientId":"99999999-2222-3333-4444-555555555555"}])"),
                    "identities[0]: 'registries' must list the login servers"},
        ConfigError{Minimal(R"(,"identities":[{"registries":["evil.example.com"]}])"),
                    "identities[0]: \"evil.example.com\" is not an ACR login server"},
        ConfigError{Minimal(R"(,"identities":[{"registries":["b.azurecr.io"],
                    "tenantId":"t.example","clientId":"99999999-2222-3333-4444-555555555555"}])"),
                    "identities[0]: no credential"},
        ConfigError{Minimal(R"(,"identities":[{"registries":["b.azurecr.io"],
                    "clientId":"99999999-2222-3333-4444-555555555555","clientSecretFile":"/s"}])"),
                    "identities[0]: no tenant ID (set \"tenantId\" to the directory"},
        ConfigError{Minimal(R"(,"identities":[
                    {"registries":["b.azurecr.io"],"tenantId":"t.example","clientSecretFile":"/s",
                     "clientId":"99999999-2222-3333-4444-555555555555"},
                    {"registries":["B.azurecr.io"],"tenantId":"u.example","clientSecretFile":"/s",
                     "clientId":"99999999-2222-3333-4444-555555555555"}])"),
                    "identities[1]: \"B.azurecr.io\" is mapped to more than one identity"},
        ConfigError{Minimal(R"(,"mirrors":{"mcr.microsoft.com":"evil.example.com"})"),
                    "mirror target for 'mcr.microsoft.com' is not an ACR login server"},
        ConfigError{Minimal(R"(,"mirrors":{"mcr.microsoft.com":"a.azurecr.io.evil.test"})"),
                    "is not an ACR login server"},
        ConfigError{Minimal(R"(,"mirrors":{"https://mcr.microsoft.com":"a.azurecr.io"})"),
                    "mirror source 'https://mcr.microsoft.com' is not a host[:port]"},
        ConfigError{Minimal(R"(,"mirrors":{"MCR.microsoft.com":"a.azurecr.io",
                    "mcr.microsoft.com":"b.azurecr.io"})"),
                    "appears twice"},
        ConfigError{Minimal(R"(,"acrSuffix":"azurecr.io")"),
                    "acrSuffix is only for \"cloud\": \"AzureCustomCloud\""},
        ConfigError{Minimal(R"(,"cloud":"AzureCustomCloud","acrSuffix":"azurecr.example")"),
                    "AzureCustomCloud needs authorityHost and audience"},
        ConfigError{Minimal(R"(,"cloud":"AzureCustomCloud","authorityHost":"https://l.example",
                    "audience":"https://a.example")"),
                    "acrSuffix '' is not a DNS suffix"},
        ConfigError{Minimal(R"(,"cloud":"AzureCustomCloud","authorityHost":"https://l.example",
                    "audience":"https://a.example","acrSuffix":"localhost:443")"),
                    "is not a DNS suffix"},
        ConfigError{Minimal(R"(,"authorityHost":"http://login.microsoftonline.com")"),
                    "not an https://host[:port] URL"},
        ConfigError{Minimal(R"(,"authorityHost":"https://login.microsoftonline.com/x")"),
                    "not an https://host[:port] URL"},
        ConfigError{Minimal(R"(,"audience":"containerregistry")"), "not an https:// URI"},
        ConfigError{Minimal(R"(,"registries":"myacr.azurecr.io")"), "must be a list"},
        ConfigError{Minimal(R"(,"registries":["https://r.example.com"])"), "is not a host name"},
        ConfigError{Minimal(R"(,"registries":["r.example.com/path"])"), "is not a host name"},
        ConfigError{Minimal(R"(,"timeoutSeconds":0)"), "from 1 to 55"},
        ConfigError{Minimal(R"(,"timeoutSeconds":60)"), "from 1 to 55"},
        ConfigError{Minimal(R"(,"timeoutSeconds":"30")"), "from 1 to 55"},
        ConfigError{Minimal(R"(,"maxCacheDurationSeconds":-1)"), "from 0 to 86400"},
        ConfigError{Minimal(R"(,"cacheDir":"relative/dir")"), "must be an absolute path"},
        ConfigError{Minimal(R"(,"metricsFile":"acr.prom")"), "must be an absolute path"},
        ConfigError{Minimal(R"(,"metricsFile":"/var/lib/node-exporter/acr.txt")"),
                    "does not end in .prom (node_exporter's textfile collector reads only"},
        ConfigError{Minimal(R"(,"useManagedIdentityExtension":true)"),
                    "more than one credential is set"},
        ConfigError{R"({"managedIdentity":"msi"})",
                    "managedIdentity 'msi' is not auto, arc or imds"},
        ConfigError{
            R"({"managedIdentity":"arc","managedIdentityEndpoint":"http://10.0.0.5:40342/x"})",
            "is not an http:// URL on this machine"},
        ConfigError{R"({"managedIdentity":"imds","managedIdentityClientId":"some-name"})",
                    "neither a client ID nor an ARM resource ID"},
        ConfigError{R"({"managedIdentityClientId":"11111111-2222-3333-4444-555555555555"})",
                    "need managedIdentity"},
        ConfigError{
            Minimal(R"(,"aadClientCertPath":"/etc/cert.pem")"),
            "key 'aadClientCertPath' is not supported (use clientCertificateFile with a PEM file"},
        ConfigError{Minimal(R"(,"aadFederatedTokenFile":"/t")"),
                    "key 'aadFederatedTokenFile' is not supported (use federatedTokenFile)"}));

// A typo names the line and column and what was expected, and points at the installed example.
TEST(NodeConfigTest, JsonSyntaxErrorsNameLineAndColumn) {
  const std::pair<const char*, const char*> cases[] = {
      {"{\n  \"tenantId\": \"t.example\",\n}\n",
       "line 3, column 1: syntax error while parsing object key - unexpected '}'; expected string "
       "literal"},
      {"{\n  \"tenantId\": \"t.example\"\n  \"clientId\": \"x\"\n}\n",
       "line 3, column 12: syntax error while parsing object - unexpected string literal; expected "
       "'}'"},
      {"{'tenantId': 't.example'}", "line 1, column 2: syntax error while parsing object key"},
  };
  for (const auto& [json, message] : cases) {
    absl::StatusOr<NodeConfig> config = Parse(json);
    ASSERT_FALSE(config.ok()) << json;
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(config.status().message()), HasSubstr(message)) << json;
    EXPECT_THAT(config.status().message(),
                HasSubstr("/usr/share/doc/acr-credential-provider/examples/config.json"));
  }
}

TEST(NodeConfigTest, JsonSyntaxErrorsNeverQuoteTheText) {
  absl::StatusOr<NodeConfig> config = Parse(R"({"aadClientSecret": "Sup3r-secret-value-9876" x})");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("line 1, column"));
  EXPECT_THAT(config.status().message(), ::testing::Not(HasSubstr("Sup3r")));
}

TEST(LoadNodeConfigTest, RefusesAConfigOthersCanWrite) {
  TempDir dir;
  const std::string path = dir.WriteFile("config.json", Minimal(), 0666);
  absl::StatusOr<NodeConfig> config = LoadNodeConfig(path, EnvFrom({}));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(config.status().message(), HasSubstr("chmod go-w " + path));
}

TEST(LoadNodeConfigTest, ReadsAReadableConfigAndTellsItIsNotPrivate) {
  TempDir dir;
  const std::string path =
      dir.WriteFile("config.json",
                    std::string(R"({"tenantId":")") + kTenant + R"(","aadClientId":")" + kClient +
                        R"(","aadClientSecret":"abcd-secret"})",
                    0644);
  absl::StatusOr<NodeConfig> config = LoadNodeConfig(path, EnvFrom({}));
  ASSERT_FALSE(config.ok()) << "inline secret in a world-readable file";
  EXPECT_THAT(config.status().message(), HasSubstr("chmod 600 " + path));
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  config = LoadNodeConfig(path, EnvFrom({}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->source, path);
}

// Parsing looks at no file: every path is checked where it is opened (the identity, the
// HTTPS helper, the cache), so a config naming files that do not exist yet still parses.
TEST(ParseNodeConfigTest, TouchesNoFileItNames) {
  const std::string missing = "/nonexistent/acr-credential-provider-test";
  for (const std::string& credential :
       {absl::StrCat(R"("clientSecretFile":")", missing, R"(/secret")"),
        absl::StrCat(R"("clientCertificateFile":")", missing, R"(/cert.pem",
                      "clientCertificatePasswordFile":")",
                     missing, R"(/pw")"),
        absl::StrCat(R"("federatedTokenFile":")", missing, R"(/token")")}) {
    absl::StatusOr<NodeConfig> config = Parse(absl::StrCat(
        R"({"tenantId":")", kTenant, R"(","clientId":")", kClient, R"(",)", credential,
        R"(,"caBundleFile":")", missing, R"(/ca.pem","cacheDir":")", missing, R"(/cache"})"));
    ASSERT_TRUE(config.ok()) << credential << ": " << config.status();
    EXPECT_EQ(config->ca_bundle_file, missing + "/ca.pem");
    EXPECT_EQ(config->cache_dir, missing + "/cache");
  }
  // Whether the Arc agent is installed is looked at by the identity factory, not here.
  absl::StatusOr<NodeConfig> config = Parse(R"({"managedIdentity":"auto"})");
  ASSERT_TRUE(config.ok()) << config.status();
  const auto* managed = As<ManagedIdentitySettings>(config->identity);
  ASSERT_NE(managed, nullptr);
  EXPECT_FALSE(managed->source.has_value());
  EXPECT_TRUE(managed->endpoint.empty());
}

TEST(LoadNodeConfigTest, MissingFileIsNamed) {
  absl::StatusOr<NodeConfig> config = LoadNodeConfig("/nonexistent/config.json", EnvFrom({}));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(config.status().message(), HasSubstr("node config /nonexistent/config.json"));
}

}  // namespace
}  // namespace acrcp
