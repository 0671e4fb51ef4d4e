#include "plugin/config/node_config.h"

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"
#include "plugin/azure/login_server.h"
#include "plugin/azure/registry_name.h"
#include "plugin/base/secure_file.h"
#include "plugin/config/config_reader.h"

namespace acrcp {
namespace {

using nlohmann::json;

constexpr int64_t kMaxTimeoutSeconds = 55;  // the kubelet kills the plugin after 60 s
constexpr int64_t kMaxCacheDurationSeconds = int64_t{24} * 3600;
constexpr size_t kMaxRegistries = 256;
constexpr size_t kMaxIdentities = 64;

// Keys this plugin understands, in their canonical spelling. The upstream plugin matches
// azure.json keys case-insensitively, so we do too.
constexpr std::array<absl::string_view, 26> kKnownKeys = {"tenantId",
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
                                                          "metricsFile",
                                                          "timeoutSeconds",
                                                          "maxCacheDurationSeconds",
                                                          "aadClientId",
                                                          "aadClientSecret",
                                                          "useManagedIdentityExtension"};

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
  const absl::StatusOr<std::string> lower = NormalizeRegistry(*suffix);
  if (!lower.ok() || lower->find('.') == std::string::npos ||
      lower->find(':') != std::string::npos) {
    return r.Error(absl::StrCat("acrSuffix '", *suffix, "' is not a DNS suffix"),
                   "AzureCustomCloud needs acrSuffix, e.g. \"azurecr.example.com\"");
  }
  if (config.cloud.authority_host.empty() || config.cloud.audience.empty()) {
    return r.Error("AzureCustomCloud needs authorityHost and audience",
                   "set both, with acrSuffix, from your cloud's endpoints");
  }
  config.cloud.acr_suffix = *lower;
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
    absl::StatusOr<std::string> origin = NormalizeHttpsOrigin(*authority);
    if (!origin.ok()) {
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
    const absl::StatusOr<std::string> value =
        NormalizeRegistry(entry.is_string() ? entry.get<std::string>() : std::string());
    if (!value.ok()) {
      return r.Error(absl::StrCat("registries entry ", entry.dump(),
                                  " is not a host name with an optional :port"),
                     "no scheme or path, e.g. \"registry.contoso.com\"");
    }
    config.registries.push_back(*value);
  }
  return absl::OkStatus();
}

using ErrorFn = absl::FunctionRef<absl::Status(absl::string_view what, absl::string_view fix)>;

// Adds the mirror `source` -> `target` (as written) to `config`; `error` makes the message.
// REQUIRES: cloud and registries are read, so the target can be checked against them.
absl::Status AddMirror(absl::string_view source, absl::string_view target, ErrorFn error,
                       NodeConfig& config) {
  const absl::StatusOr<std::string> from = NormalizeRegistry(source);
  const absl::StatusOr<std::string> to = NormalizeRegistry(target);
  if (!from.ok()) {
    return error(absl::StrCat("mirror source '", source, "' is not a host[:port]"),
                 "no scheme or path, e.g. \"registry.local:5000\"");
  }
  if (!to.ok() || !LoginServerPolicy(config.cloud.acr_suffix, config.registries).Allows(*to)) {
    return error(absl::StrCat("mirror target for '", source,
                              "' is not an ACR login server of the cloud: '", target, "'"),
                 "use NAME.azurecr.io, or list the target in \"registries\"");
  }
  if (!config.mirrors.emplace(*from, *to).second) {
    return error(absl::StrCat("mirror source '", source, "' appears twice"), "keep one");
  }
  return absl::OkStatus();
}

absl::Status ReadMirrors(const ConfigReader& r, NodeConfig& config) {
  const json* mirrors = r.Find("mirrors");
  if (mirrors == nullptr) return absl::OkStatus();
  if (!mirrors->is_object() || mirrors->size() > kMaxRegistries) {
    return r.Error("'mirrors' must map source registries to ACR login servers",
                   "e.g. {\"mcr.microsoft.com\": \"myacr.azurecr.io\"}");
  }
  for (const auto& [source, target] : mirrors->items()) {
    const std::string to = target.is_string() ? target.get<std::string>() : target.dump();
    const auto error = [&r](absl::string_view what, absl::string_view fix) {
      return r.Error(what, fix);
    };
    if (absl::Status s = AddMirror(source, to, error, config); !s.ok()) return s;
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
  const EnvLookup no_environment = EmptyEnvironment();
  const LoginServerPolicy policy(config.cloud.acr_suffix, config.registries);
  std::set<std::string> taken;
  for (size_t i = 0; i < list->size(); ++i) {
    ConfigReader entry(r, absl::StrCat("identities[", i, "]"), no_environment, kNestedIdentityKeys);
    if (!(*list)[i].is_object()) return entry.Error("not an object", "see docs/identities.md");
    if (absl::Status s = entry.Index((*list)[i]); !s.ok()) return s;
    RegistryIdentity mapped;
    const json* registries = entry.Find("registries");
    if (registries == nullptr || !registries->is_array() || registries->empty()) {
      return entry.Error("'registries' must list the login servers this identity is for",
                         "e.g. [\"teama.azurecr.io\"]");
    }
    for (const json& registry : *registries) {
      const absl::StatusOr<std::string> name =
          NormalizeRegistry(registry.is_string() ? registry.get<std::string>() : "");
      if (!name.ok() || !policy.Allows(*name)) {
        return entry.Error(absl::StrCat(registry.dump(),
                                        " is not an ACR login server of the "
                                        "cloud"),
                           "use NAME.azurecr.io, or list it in the top-level \"registries\"");
      }
      if (!taken.insert(*name).second) {
        return entry.Error(absl::StrCat(registry.dump(), " is mapped to more than one identity"),
                           "keep it in one entry");
      }
      mapped.registries.push_back(*name);
    }
    if (absl::Status s = ReadIdentitySettings(entry, source_private, true, mapped.identity);
        !s.ok()) {
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

  absl::StatusOr<std::string> metrics = r.String("metricsFile");
  if (!metrics.ok()) return metrics.status();
  if (*metrics == "off") {
    config.metrics_file = "";
  } else if (!metrics->empty()) {
    absl::StatusOr<std::string> path = r.AbsolutePath("metricsFile");
    if (!path.ok()) return path.status();
    if (!absl::EndsWith(*path, ".prom")) {
      return r.Error(absl::StrCat("metricsFile ", *path, " does not end in .prom"),
                     "node_exporter's textfile collector reads only *.prom files; or \"off\"");
    }
    config.metrics_file = *path;
  }

  absl::StatusOr<std::string> ca_bundle = r.AbsolutePath("caBundleFile");
  if (!ca_bundle.ok()) return ca_bundle.status();
  // Checked where it is opened (the HTTPS helper), as every file the config names.
  config.ca_bundle_file = *ca_bundle;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<NodeConfig> ParseNodeConfig(absl::string_view json_text, absl::string_view source,
                                           bool source_private, const EnvLookup& env) {
  ConfigReader reader(source, env, kKnownKeys);
  absl::StatusOr<json> doc = reader.Parse(json_text, kExampleConfigPath);
  if (!doc.ok()) return doc.status();
  if (!doc->is_object()) {
    return reader.Error("not a JSON object",
                        absl::StrCat("the file holds one {...} object; see ", kExampleConfigPath));
  }
  if (absl::Status s = reader.Index(*doc); !s.ok()) return s;

  NodeConfig config;
  config.source = std::string(source);
  for (auto* step : {ReadCloud, ReadRegistries, ReadMirrors, ReadLimitsAndPaths}) {
    if (absl::Status s = step(reader, config); !s.ok()) return s;
  }
  if (absl::Status s = ReadIdentitySettings(reader, source_private, false, config.identity);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadIdentities(reader, source_private, config); !s.ok()) return s;
  return config;
}

absl::Status AddRegistryMirrors(const std::vector<std::pair<std::string, std::string>>& mirrors,
                                absl::string_view origin, NodeConfig& config) {
  const auto error = [origin](absl::string_view what, absl::string_view fix) {
    return absl::InvalidArgumentError(absl::StrCat(origin, ": ", what, " (", fix, ")"));
  };
  for (const auto& [source, target] : mirrors) {
    if (absl::Status s = AddMirror(source, target, error, config); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<NodeConfig> LoadNodeConfig(const std::string& path, const EnvLookup& env) {
  if (path.empty()) return ParseNodeConfig("{}", "environment", false, env);
  absl::StatusOr<SecureFile> file =
      ReadSecureFile(path, "node config", FileAccess::kTrusted, kMaxConfigBytes);
  if (!file.ok()) return file.status();
  return ParseNodeConfig(file->contents, path, file->private_to_owner, env);
}

}  // namespace acrcp
