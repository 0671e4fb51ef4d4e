#include "plugin/config/node_config.h"

#include <sys/stat.h>

#include <array>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/types/span.h"
#include "nlohmann/json.hpp"
#include "plugin/azure/identifiers.h"
#include "plugin/azure/login_server.h"
#include "plugin/base/log.h"
#include "plugin/base/secure_file.h"

namespace acrcp {
namespace {

using nlohmann::json;

constexpr int64_t kMaxTimeoutSeconds = 55;  // the kubelet kills the plugin after 60 s
constexpr int64_t kMaxCacheDurationSeconds = int64_t{24} * 3600;
constexpr size_t kMaxRegistries = 256;

// Keys this plugin understands, in their canonical spelling. The upstream plugin matches
// azure.json keys case-insensitively, so we do too.
constexpr std::array<absl::string_view, 25> kKnownKeys = {"tenantId",
                                                          "managedIdentity",
                                                          "managedIdentityClientId",
                                                          "managedIdentityEndpoint",
                                                          "userAssignedIdentityID",
                                                          "identities",
                                                          "mirrors",
                                                          "acrSuffix",
                                                          "clientCertificateFile",
                                                          "clientCertificatePasswordFile",
                                                          "clientCertificateSignature",
                                                          "federatedTokenFile",
                                                          "clientId",
                                                          "clientSecretFile",
                                                          "cloud",
                                                          "authorityHost",
                                                          "audience",
                                                          "registries",
                                                          "caBundleFile",
                                                          "cacheDir",
                                                          "timeoutSeconds",
                                                          "maxCacheDurationSeconds",
                                                          "aadClientId",
                                                          "aadClientSecret",
                                                          "useManagedIdentityExtension"};

// Upstream azure.json keys that configure the cluster's Azure resources, not image pulls.
constexpr std::array<absl::string_view, 33> kIgnoredUpstreamKeys = {
    "subscriptionId",
    "resourceGroup",
    "location",
    "vnetName",
    "vnetResourceGroup",
    "subnetName",
    "securityGroupName",
    "securityGroupResourceGroup",
    "routeTableName",
    "routeTableResourceGroup",
    "primaryAvailabilitySetName",
    "primaryScaleSetName",
    "vmType",
    "cloudProviderBackoff",
    "cloudProviderBackoffRetries",
    "cloudProviderBackoffExponent",
    "cloudProviderBackoffDuration",
    "cloudProviderBackoffJitter",
    "cloudProviderRateLimit",
    "cloudProviderRateLimitQPS",
    "cloudProviderRateLimitBucket",
    "cloudProviderRateLimitQPSWrite",
    "cloudProviderRateLimitBucketWrite",
    "useInstanceMetadata",
    "loadBalancerSku",
    "excludeMasterFromStandardLB",
    "disableOutboundSNAT",
    "maximumLoadBalancerRuleCount",
    "networkResourceTenantId",
    "networkResourceSubscriptionId",
    "userAgent",
    "enableMigrateToIPBasedBackendPoolAPI",
    "putVMSSVMBatchSize"};

// Upstream keys that would select a different identity or cloud. Ignoring them would make
// the plugin silently sign in as something else, so a non-empty value is an error.
constexpr std::array<absl::string_view, 7> kUnsupportedUpstreamKeys = {
    "aadClientCertPath",
    "aadClientCertPassword",
    "aadFederatedTokenFile",
    "useFederatedWorkloadIdentityExtension",
    "aadMSIDataPlaneIdentityPath",
    "resourceManagerEndpoint",
    "identitySystem"};

// The keys of one entry of `identities`.
constexpr std::array<absl::string_view, 12> kIdentityKeys = {"managedIdentity",
                                                             "managedIdentityClientId",
                                                             "managedIdentityEndpoint",
                                                             "registries",
                                                             "tenantId",
                                                             "clientId",
                                                             "clientSecretFile",
                                                             "aadClientSecret",
                                                             "clientCertificateFile",
                                                             "clientCertificatePasswordFile",
                                                             "clientCertificateSignature",
                                                             "federatedTokenFile"};
constexpr size_t kMaxIdentities = 64;

std::optional<absl::string_view> Canonical(absl::Span<const absl::string_view> keys,
                                           absl::string_view key) {
  for (absl::string_view k : keys) {
    if (absl::EqualsIgnoreCase(k, key)) return k;
  }
  return std::nullopt;
}

// What to use instead of an upstream key this plugin refuses.
std::string Replacement(absl::string_view upstream_key) {
  if (upstream_key == "aadClientCertPath" || upstream_key == "aadClientCertPassword") {
    return "use clientCertificateFile with a PEM file; convert the PKCS#12 file with: openssl "
           "pkcs12 -in cert.pfx -out cert.pem -noenc";
  }
  if (upstream_key == "aadFederatedTokenFile" ||
      upstream_key == "useFederatedWorkloadIdentityExtension") {
    return "use federatedTokenFile";
  }
  return "see docs/identities.md for the identities this plugin supports";
}

class ConfigReader {
 public:
  // Reads the top level of the config at `file`.
  ConfigReader(absl::string_view file, const EnvLookup& env)
      : file_(file), source_(file), env_(env), known_(kKnownKeys), top_level_(true) {}
  // Reads an object nested at `where` (e.g. "identities[1]") with its own `known` keys.
  ConfigReader(const ConfigReader& parent, absl::string_view where, const EnvLookup& env,
               absl::Span<const absl::string_view> known)
      : file_(parent.file_),
        source_(absl::StrCat(parent.source_, ": ", where)),
        env_(env),
        known_(known),
        top_level_(false) {}

  const std::string& file() const { return file_; }
  const std::string& source() const { return source_; }

  absl::Status Error(absl::string_view what, absl::string_view fix) const {
    return absl::InvalidArgumentError(
        absl::StrCat("node config ", source_, ": ", what, " (", fix, ")"));
  }

  // Canonicalises the document's keys; rejects unknown and duplicate ones.
  absl::Status Index(const json& doc) {
    for (const auto& [key, value] : doc.items()) {
      if (top_level_ && Canonical(kIgnoredUpstreamKeys, key)) continue;
      if (const auto unsupported =
              top_level_ ? Canonical(kUnsupportedUpstreamKeys, key) : std::nullopt) {
        if (IsUnset(value)) continue;
        return Error(absl::StrCat("key '", key, "' is not supported"), Replacement(*unsupported));
      }
      const auto known = Canonical(known_, key);
      if (!known) {
        return Error(absl::StrCat("unknown key '", key, "'"),
                     "remove it or fix its spelling; docs/configuration.md lists the keys");
      }
      if (!values_.emplace(*known, &value).second) {
        return Error(absl::StrCat("key '", *known, "' appears twice"), "keep one");
      }
    }
    return absl::OkStatus();
  }

  const json* Find(absl::string_view key) const {
    const auto it = values_.find(key);
    return it == values_.end() || it->second->is_null() ? nullptr : it->second;
  }

  absl::StatusOr<std::string> String(absl::string_view key) const {
    const json* v = Find(key);
    if (v == nullptr) return std::string();
    if (!v->is_string()) {
      return Error(absl::StrCat("'", key, "' must be a string"), "quote the value");
    }
    return v->get<std::string>();
  }

  // The file's value, else the environment variable's, else "".
  absl::StatusOr<std::string> StringOrEnv(absl::string_view key, absl::string_view env_var) const {
    absl::StatusOr<std::string> value = String(key);
    if (!value.ok() || !value->empty()) return value;
    return env_(env_var).value_or("");
  }

  absl::StatusOr<int64_t> Integer(absl::string_view key, int64_t min, int64_t max,
                                  int64_t fallback) const {
    const json* v = Find(key);
    if (v == nullptr) return fallback;
    if (!v->is_number_integer() || v->get<int64_t>() < min || v->get<int64_t>() > max) {
      return Error(absl::StrCat("'", key, "' must be a whole number from ", min, " to ", max),
                   "fix the value");
    }
    return v->get<int64_t>();
  }

  absl::StatusOr<std::string> AbsolutePath(absl::string_view key) const {
    absl::StatusOr<std::string> path = String(key);
    if (path.ok() && !path->empty() && (*path)[0] != '/') {
      return Error(absl::StrCat("'", key, "' must be an absolute path, got '", *path, "'"),
                   "the kubelet's working directory is not defined");
    }
    return path;
  }

  const EnvLookup& env() const { return env_; }

 private:
  static bool IsUnset(const json& value) {
    return value.is_null() || (value.is_string() && value.get<std::string>().empty()) ||
           (value.is_boolean() && !value.get<bool>());
  }

  std::string file_;
  std::string source_;
  const EnvLookup& env_;
  absl::Span<const absl::string_view> known_;
  bool top_level_;
  std::map<absl::string_view, const json*> values_;
};

// "host" or "host:port", as a registry appears in an image reference.
bool IsRegistryEntry(absl::string_view s) {
  const size_t colon = s.find(':');
  const absl::string_view host = s.substr(0, colon);
  if (host.empty() || host.front() == '.' || host.back() == '.') return false;
  for (char c : host) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') return false;
  }
  if (colon == absl::string_view::npos) return true;
  const absl::string_view port = s.substr(colon + 1);
  if (port.empty() || port.size() > 5) return false;
  for (char c : port) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// "https://host[:port]" with an optional trailing slash; returns it without the slash.
std::optional<std::string> NormalizeHttpsOrigin(absl::string_view url) {
  if (!absl::ConsumePrefix(&url, "https://")) return std::nullopt;
  absl::ConsumeSuffix(&url, "/");
  if (url.empty() || !IsRegistryEntry(absl::AsciiStrToLower(url))) return std::nullopt;
  return absl::StrCat("https://", absl::AsciiStrToLower(url));
}

absl::Status ReadTenantAndClient(const ConfigReader& r, IdentityConfig& config) {
  absl::StatusOr<std::string> tenant = r.StringOrEnv("tenantId", "AZURE_TENANT_ID");
  if (!tenant.ok()) return tenant.status();
  if (!tenant->empty() && !IsTenantId(*tenant)) {
    return r.Error(absl::StrCat("tenant ID '", *tenant, "' is not a GUID or domain name"),
                   "copy it from: az account show --query tenantId");
  }
  config.tenant_id = *tenant;

  absl::StatusOr<std::string> client = r.String("clientId");
  absl::StatusOr<std::string> aad_client = r.String("aadClientId");
  if (!client.ok()) return client.status();
  if (!aad_client.ok()) return aad_client.status();
  if (!client->empty() && !aad_client->empty() && *client != *aad_client) {
    return r.Error("clientId and aadClientId differ", "keep one of them");
  }
  std::string client_id = client->empty() ? *aad_client : *client;
  if (client_id.empty()) client_id = r.env()("AZURE_CLIENT_ID").value_or("");
  if (!client_id.empty() && !IsGuid(client_id)) {
    return r.Error(absl::StrCat("client ID '", client_id, "' is not a GUID"),
                   "use the appId shown by: az ad sp list --display-name NAME");
  }
  config.client_id = client_id;
  return absl::OkStatus();
}

// The node credential named in the file; at most one may be.
absl::Status ReadFileCredential(const ConfigReader& r, bool source_private,
                                IdentityConfig& config) {
  absl::StatusOr<std::string> secret_file = r.AbsolutePath("clientSecretFile");
  absl::StatusOr<std::string> inline_secret = r.String("aadClientSecret");
  absl::StatusOr<std::string> certificate = r.AbsolutePath("clientCertificateFile");
  absl::StatusOr<std::string> password_file = r.AbsolutePath("clientCertificatePasswordFile");
  absl::StatusOr<std::string> signature = r.String("clientCertificateSignature");
  absl::StatusOr<std::string> federated = r.AbsolutePath("federatedTokenFile");
  for (const auto* value :
       {&secret_file, &inline_secret, &certificate, &password_file, &signature, &federated}) {
    if (!value->ok()) return value->status();
  }
  const int named =
      !secret_file->empty() + !inline_secret->empty() + !certificate->empty() + !federated->empty();
  if (named > 1) {
    return r.Error("more than one credential is set",
                   "keep exactly one of clientSecretFile, aadClientSecret, "
                   "clientCertificateFile, federatedTokenFile");
  }
  if (certificate->empty() && (!password_file->empty() || !signature->empty())) {
    return r.Error(
        "clientCertificatePasswordFile and clientCertificateSignature need "
        "clientCertificateFile",
        "set clientCertificateFile or remove them");
  }
  if (!inline_secret->empty()) {
    // Register first: even the refusal below must not be able to echo it.
    log::RegisterSecret(*inline_secret);
    if (!source_private) {
      return r.Error(
          "aadClientSecret is set but the file is readable by group or others",
          absl::StrCat("run: chmod 600 ", r.file(), ", or move the secret to a clientSecretFile"));
    }
    config.credential = NodeCredential::kClientSecret;
    config.inline_client_secret = *inline_secret;
    config.inline_client_secret_origin = absl::StrCat("aadClientSecret in ", r.source());
  } else if (!secret_file->empty()) {
    config.credential = NodeCredential::kClientSecret;
    config.client_secret_file = *secret_file;
  } else if (!certificate->empty()) {
    if (!signature->empty() && *signature != "PS256" && *signature != "RS256") {
      return r.Error(absl::StrCat("clientCertificateSignature '", *signature,
                                  "' is not PS256 "
                                  "or RS256"),
                     "PS256 is what Entra ID documents today; RS256 suits older setups");
    }
    config.credential = NodeCredential::kClientCertificate;
    config.client_certificate_file = *certificate;
    config.client_certificate_password_file = *password_file;
    if (!signature->empty()) config.assertion_algorithm = *signature;
  } else if (!federated->empty()) {
    config.credential = NodeCredential::kFederatedTokenFile;
    config.federated_token_file = *federated;
  }
  return absl::OkStatus();
}

bool IsLocalMetadataHost(absl::string_view host) {
  return host == "localhost" || host == "[::1]" || host == "169.254.169.254" ||
         absl::StartsWith(host, "127.");
}

// "http://<loopback or 169.254.169.254>[:port]/path": managed-identity endpoints are local,
// and what they are sent (Arc's key file contents) must not leave the machine.
bool IsLocalMetadataUrl(absl::string_view url) {
  if (!absl::ConsumePrefix(&url, "http://")) return false;
  const absl::string_view authority = url.substr(0, url.find('/'));
  const size_t colon = authority.rfind(':');
  const absl::string_view host = colon == absl::string_view::npos || absl::EndsWith(authority, "]")
                                     ? authority
                                     : authority.substr(0, colon);
  return IsLocalMetadataHost(absl::AsciiStrToLower(host)) &&
         url.find_first_of("?#@") == absl::string_view::npos;
}

// `managedIdentity` (or the upstream useManagedIdentityExtension) and its settings.
absl::Status ReadManagedIdentity(const ConfigReader& r, IdentityConfig& config) {
  absl::StatusOr<std::string> mode = r.String("managedIdentity");
  absl::StatusOr<std::string> id = r.String("managedIdentityClientId");
  absl::StatusOr<std::string> upstream_id = r.String("userAssignedIdentityID");
  absl::StatusOr<std::string> endpoint = r.String("managedIdentityEndpoint");
  for (const auto* value : {&mode, &id, &upstream_id, &endpoint}) {
    if (!value->ok()) return value->status();
  }
  if (const json* upstream = r.Find("useManagedIdentityExtension")) {
    if (!upstream->is_boolean()) {
      return r.Error("useManagedIdentityExtension must be true or false", "fix the value");
    }
    if (upstream->get<bool>() && mode->empty()) *mode = "auto";
  }
  if (id->empty()) *id = *upstream_id;
  if (mode->empty()) {
    if (!id->empty() || !endpoint->empty()) {
      return r.Error("managedIdentityClientId and managedIdentityEndpoint need managedIdentity",
                     "set \"managedIdentity\": \"auto\", \"arc\" or \"imds\"");
    }
    return absl::OkStatus();
  }
  if (config.credential != NodeCredential::kNone) {
    return r.Error("more than one credential is set",
                   "a managed identity needs no clientSecretFile, clientCertificateFile or "
                   "federatedTokenFile");
  }
  if (*mode != "auto" && *mode != "arc" && *mode != "imds") {
    return r.Error(absl::StrCat("managedIdentity '", *mode, "' is not auto, arc or imds"),
                   "auto picks Azure Arc when its agent is installed, else the VM's IMDS");
  }
  if (!id->empty() && !IsGuid(*id) && !absl::StartsWithIgnoreCase(*id, "/subscriptions/")) {
    return r.Error(
        absl::StrCat("managed identity '", *id, "' is neither a client ID nor an ARM resource ID"),
        "use the identity's clientId, or its id starting with /subscriptions/");
  }
  if (!endpoint->empty() && !IsLocalMetadataUrl(*endpoint)) {
    return r.Error(absl::StrCat("managedIdentityEndpoint '", *endpoint,
                                "' is not an http:// URL on this machine"),
                   "only loopback addresses and 169.254.169.254 are allowed");
  }
  struct stat st {};
  const bool arc_agent = stat(kArcAgentMarker, &st) == 0;
  auto [source, url] = ResolveManagedIdentity(*mode, *endpoint, r.env(), arc_agent);
  if (!IsLocalMetadataUrl(url)) {
    return r.Error(absl::StrCat("IDENTITY_ENDPOINT '", url,
                                "' is not an http:// URL on this "
                                "machine"),
                   "the Arc agent listens on localhost:40342");
  }
  config.credential = NodeCredential::kManagedIdentity;
  config.managed_identity_source = source;
  config.managed_identity_endpoint = url;
  config.managed_identity_id = *id;
  return absl::OkStatus();
}

// The Azure SDK's environment variables, when the file names no credential.
void ReadEnvironmentCredential(const ConfigReader& r, IdentityConfig& config) {
  const EnvLookup& env = r.env();
  if (std::optional<std::string> secret = env("AZURE_CLIENT_SECRET"); secret && !secret->empty()) {
    log::RegisterSecret(*secret);
    config.credential = NodeCredential::kClientSecret;
    config.inline_client_secret = *secret;
    config.inline_client_secret_origin = "AZURE_CLIENT_SECRET";
  } else if (std::optional<std::string> path = env("AZURE_CLIENT_CERTIFICATE_PATH");
             path && !path->empty()) {
    config.credential = NodeCredential::kClientCertificate;
    config.client_certificate_file = *path;
    if (std::optional<std::string> password = env("AZURE_CLIENT_CERTIFICATE_PASSWORD")) {
      log::RegisterSecret(*password);
      config.inline_certificate_password = *password;
    }
  } else if (std::optional<std::string> file = env("AZURE_FEDERATED_TOKEN_FILE");
             file && !file->empty()) {
    config.credential = NodeCredential::kFederatedTokenFile;
    config.federated_token_file = *file;
  }
}

// The identity in the document `r` reads; `nested` ones (entries of `identities`) take
// nothing from the environment and must name a credential.
absl::Status ReadIdentity(const ConfigReader& r, bool source_private, bool nested,
                          IdentityConfig& config) {
  if (absl::Status s = ReadTenantAndClient(r, config); !s.ok()) return s;
  if (absl::Status s = ReadFileCredential(r, source_private, config); !s.ok()) return s;
  if (absl::Status s = ReadManagedIdentity(r, config); !s.ok()) return s;
  if (config.credential == NodeCredential::kManagedIdentity) {
    // The tenant is in the token; no app registration is involved.
    return absl::OkStatus();
  }
  if (config.credential == NodeCredential::kNone && !nested) ReadEnvironmentCredential(r, config);
  if (config.credential == NodeCredential::kNone) {
    if (!nested) return absl::OkStatus();
    return r.Error("no credential",
                   "set clientSecretFile, clientCertificateFile or "
                   "federatedTokenFile");
  }
  // Entries of `identities` never read the environment, so only the top level mentions it.
  const absl::string_view or_env = nested ? "" : " (or AZURE_TENANT_ID / AZURE_CLIENT_ID)";
  if (config.tenant_id.empty()) {
    return r.Error("no tenant ID", absl::StrCat("set \"tenantId\"", or_env,
                                                " to the directory (tenant) ID of the app"));
  }
  if (config.client_id.empty()) {
    return r.Error("no client ID", absl::StrCat("set \"clientId\"", or_env,
                                                " to the application (client) ID of the app"));
  }
  return absl::OkStatus();
}

// A custom cloud names its own ACR suffix, authority and audience; the known clouds have
// theirs built in, and letting a config redefine which hosts are "ACR" would weaken the
// genuine-host rule for no gain.
absl::Status ReadAcrSuffix(const ConfigReader& r, NodeConfig& config) {
  absl::StatusOr<std::string> suffix = r.String("acrSuffix");
  if (!suffix.ok()) return suffix.status();
  const bool custom = config.cloud.name == kCustomCloud;
  if (!custom) {
    if (suffix->empty()) return absl::OkStatus();
    return r.Error("acrSuffix is only for \"cloud\": \"AzureCustomCloud\"",
                   "remove it, or list extra login servers in \"registries\"");
  }
  const std::string lower = absl::AsciiStrToLower(*suffix);
  if (lower.find('.') == std::string::npos || !IsRegistryEntry(lower) ||
      lower.find(':') != std::string::npos) {
    return r.Error(absl::StrCat("acrSuffix '", *suffix, "' is not a DNS suffix"),
                   "AzureCustomCloud needs acrSuffix, e.g. \"azurecr.example.com\"");
  }
  if (config.cloud.authority_host.empty() || config.cloud.audience.empty()) {
    return r.Error("AzureCustomCloud needs authorityHost and audience",
                   "set both, with acrSuffix, from your cloud's endpoints");
  }
  config.cloud.acr_suffix = lower;
  return absl::OkStatus();
}

absl::Status ReadCloud(const ConfigReader& r, NodeConfig& config) {
  absl::StatusOr<std::string> cloud_name = r.String("cloud");
  if (!cloud_name.ok()) return cloud_name.status();
  absl::StatusOr<Cloud> cloud = CloudByName(*cloud_name);
  if (!cloud.ok()) return r.Error(cloud.status().message(), "fix \"cloud\"");
  config.cloud = *cloud;

  absl::StatusOr<std::string> authority = r.StringOrEnv("authorityHost", "AZURE_AUTHORITY_HOST");
  if (!authority.ok()) return authority.status();
  if (!authority->empty()) {
    std::optional<std::string> origin = NormalizeHttpsOrigin(*authority);
    if (!origin) {
      return r.Error(
          absl::StrCat("authority host '", *authority, "' is not an https://host[:port] URL"),
          "e.g. https://login.microsoftonline.com");
    }
    config.cloud.authority_host = *origin;
  }

  absl::StatusOr<std::string> audience = r.String("audience");
  if (!audience.ok()) return audience.status();
  if (!audience->empty()) {
    absl::string_view value = *audience;
    absl::ConsumeSuffix(&value, "/.default");
    if (!absl::StartsWith(value, "https://")) {
      return r.Error(absl::StrCat("audience '", *audience, "' is not an https:// URI"),
                     "e.g. https://containerregistry.azure.net");
    }
    config.cloud.audience = std::string(value);
  }
  return ReadAcrSuffix(r, config);
}

absl::Status ReadRegistries(const ConfigReader& r, NodeConfig& config) {
  const json* list = r.Find("registries");
  if (list == nullptr) return absl::OkStatus();
  if (!list->is_array() || list->size() > kMaxRegistries) {
    return r.Error("'registries' must be a list of login servers",
                   "e.g. [\"registry.contoso.com\"]");
  }
  for (const json& entry : *list) {
    const std::string value =
        entry.is_string() ? absl::AsciiStrToLower(entry.get<std::string>()) : std::string();
    if (!IsRegistryEntry(value)) {
      return r.Error(absl::StrCat("registries entry ", entry.dump(),
                                  " is not a host name with an optional :port"),
                     "no scheme or path, e.g. \"registry.contoso.com\"");
    }
    config.registries.push_back(value);
  }
  return absl::OkStatus();
}

// REQUIRES: cloud and registries are read, so targets can be checked against them.
absl::Status ReadMirrors(const ConfigReader& r, NodeConfig& config) {
  const json* mirrors = r.Find("mirrors");
  if (mirrors == nullptr) return absl::OkStatus();
  if (!mirrors->is_object() || mirrors->size() > kMaxRegistries) {
    return r.Error("'mirrors' must map source registries to ACR login servers",
                   "e.g. {\"mcr.microsoft.com\": \"myacr.azurecr.io\"}");
  }
  const LoginServerPolicy policy(config.cloud.acr_suffix, config.registries);
  for (const auto& [source, target] : mirrors->items()) {
    const std::string from = absl::AsciiStrToLower(source);
    const std::string to =
        target.is_string() ? absl::AsciiStrToLower(target.get<std::string>()) : std::string();
    if (!IsRegistryEntry(from)) {
      return r.Error(absl::StrCat("mirror source '", source, "' is not a host[:port]"),
                     "no scheme or path, e.g. \"registry.local:5000\"");
    }
    if (!policy.Allows(to)) {
      return r.Error(absl::StrCat("mirror target for '", source,
                                  "' is not an ACR login server "
                                  "of the cloud: ",
                                  target.dump()),
                     "use NAME.azurecr.io, or list the target in \"registries\"");
    }
    if (!config.mirrors.emplace(from, to).second) {
      return r.Error(absl::StrCat("mirror source '", source, "' appears twice"), "keep one");
    }
  }
  return absl::OkStatus();
}

// REQUIRES: cloud and registries are read, so login servers can be checked against them.
absl::Status ReadIdentities(const ConfigReader& r, bool source_private, NodeConfig& config) {
  const json* list = r.Find("identities");
  if (list == nullptr) return absl::OkStatus();
  if (!list->is_array() || list->size() > kMaxIdentities) {
    return r.Error("'identities' must be a list of identities with their registries",
                   "see docs/identities.md");
  }
  const EnvLookup no_environment = [](absl::string_view) { return std::nullopt; };
  const LoginServerPolicy policy(config.cloud.acr_suffix, config.registries);
  std::set<std::string> taken;
  for (size_t i = 0; i < list->size(); ++i) {
    ConfigReader entry(r, absl::StrCat("identities[", i, "]"), no_environment, kIdentityKeys);
    if (!(*list)[i].is_object()) return entry.Error("not an object", "see docs/identities.md");
    if (absl::Status s = entry.Index((*list)[i]); !s.ok()) return s;
    RegistryIdentity mapped;
    const json* registries = entry.Find("registries");
    if (registries == nullptr || !registries->is_array() || registries->empty()) {
      return entry.Error("'registries' must list the login servers this identity is for",
                         "e.g. [\"teama.azurecr.io\"]");
    }
    for (const json& registry : *registries) {
      const std::string name =
          registry.is_string() ? absl::AsciiStrToLower(registry.get<std::string>()) : "";
      if (!policy.Allows(name)) {
        return entry.Error(absl::StrCat(registry.dump(),
                                        " is not an ACR login server of the "
                                        "cloud"),
                           "use NAME.azurecr.io, or list it in the top-level \"registries\"");
      }
      if (!taken.insert(name).second) {
        return entry.Error(absl::StrCat(registry.dump(), " is mapped to more than one identity"),
                           "keep it in one entry");
      }
      mapped.registries.push_back(name);
    }
    if (absl::Status s = ReadIdentity(entry, source_private, true, mapped.identity); !s.ok()) {
      return s;
    }
    config.identities.push_back(std::move(mapped));
  }
  return absl::OkStatus();
}

absl::Status ReadLimitsAndPaths(const ConfigReader& r, NodeConfig& config) {
  absl::StatusOr<int64_t> timeout = r.Integer("timeoutSeconds", 1, kMaxTimeoutSeconds, 30);
  if (!timeout.ok()) return timeout.status();
  config.timeout = absl::Seconds(*timeout);

  absl::StatusOr<int64_t> max_cache =
      r.Integer("maxCacheDurationSeconds", 0, kMaxCacheDurationSeconds, 3600);
  if (!max_cache.ok()) return max_cache.status();
  config.max_cache_duration = absl::Seconds(*max_cache);

  absl::StatusOr<std::string> cache_dir = r.AbsolutePath("cacheDir");
  if (!cache_dir.ok()) return cache_dir.status();
  if (!cache_dir->empty()) config.cache_dir = *cache_dir;

  absl::StatusOr<std::string> ca_bundle = r.AbsolutePath("caBundleFile");
  if (!ca_bundle.ok()) return ca_bundle.status();
  if (!ca_bundle->empty()) {
    // Whoever can write the bundle can make the plugin trust their TLS interception.
    if (absl::Status s = CheckSecureFile(*ca_bundle, "caBundleFile", FileAccess::kTrusted);
        !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("node config ", r.source(), ": ", s.message()));
    }
    config.ca_bundle_file = *ca_bundle;
  }
  return absl::OkStatus();
}

}  // namespace

std::pair<ManagedIdentitySource, std::string> ResolveManagedIdentity(absl::string_view mode,
                                                                     absl::string_view endpoint,
                                                                     const EnvLookup& env,
                                                                     bool arc_agent_installed) {
  const std::optional<std::string> identity_endpoint = env("IDENTITY_ENDPOINT");
  const bool arc_environment = identity_endpoint && env("IMDS_ENDPOINT");
  const bool arc = mode == "arc" || (mode == "auto" && (arc_environment || arc_agent_installed));
  if (!endpoint.empty()) {
    return {arc ? ManagedIdentitySource::kArc : ManagedIdentitySource::kImds,
            std::string(endpoint)};
  }
  if (arc) {
    return {ManagedIdentitySource::kArc,
            arc_environment ? *identity_endpoint : std::string(kArcDefaultEndpoint)};
  }
  return {ManagedIdentitySource::kImds, kImdsDefaultEndpoint};
}

std::string LoginServerFor(const NodeConfig& config, absl::string_view registry) {
  const auto mirror = config.mirrors.find(std::string(registry));
  return mirror == config.mirrors.end() ? std::string(registry) : mirror->second;
}

EnvLookup ProcessEnvironment() {
  return [](absl::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

absl::StatusOr<NodeConfig> ParseNodeConfig(absl::string_view json_text, absl::string_view source,
                                           bool source_private, const EnvLookup& env) {
  ConfigReader reader(source, env);
  const json doc = json::parse(json_text.begin(), json_text.end(), nullptr,
                               /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return reader.Error("not a JSON object", "see config/config.json for an example");
  }
  if (absl::Status s = reader.Index(doc); !s.ok()) return s;

  NodeConfig config;
  config.source = std::string(source);
  for (auto* step : {ReadCloud, ReadRegistries, ReadMirrors, ReadLimitsAndPaths}) {
    if (absl::Status s = step(reader, config); !s.ok()) return s;
  }
  if (absl::Status s = ReadIdentity(reader, source_private, false, config.identity); !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadIdentities(reader, source_private, config); !s.ok()) return s;
  return config;
}

absl::StatusOr<NodeConfig> LoadNodeConfig(const std::string& path, const EnvLookup& env) {
  if (path.empty()) return ParseNodeConfig("{}", "environment", false, env);
  absl::StatusOr<SecureFile> file =
      ReadSecureFile(path, "node config", FileAccess::kTrusted, kMaxConfigBytes);
  if (!file.ok()) return file.status();
  return ParseNodeConfig(file->contents, path, file->private_to_owner, env);
}

}  // namespace acrcp
