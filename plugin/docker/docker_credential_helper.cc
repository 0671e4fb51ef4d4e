#include "plugin/docker/docker_credential_helper.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"
#include "plugin/azure/registry_name.h"
#include "plugin/base/version.h"

namespace acrcp {
namespace {

constexpr char kUsage[] =
    "Usage: docker-credential-acr <store|get|erase|list|version>\n"
    "Docker credential helper for Azure Container Registry: credentials come from the\n"
    "machine's Azure identity (see acr-credential-provider(8)).\n";

DockerHelperResult Failure(absl::string_view message) { return {absl::StrCat(message, "\n"), 1}; }

DockerHelperResult Get(absl::string_view input, const DockerHelperDeps& deps) {
  const std::string server_url(absl::StripAsciiWhitespace(input));
  if (server_url.empty()) return Failure("no credentials server URL");
  absl::StatusOr<std::string> registry = RegistryOfServerUrl(server_url);
  if (absl::IsFailedPrecondition(registry.status())) return Failure(registry.status().message());
  if (!registry.ok()) return Failure(kCredentialsNotFound);
  absl::StatusOr<NodeConfig> config = deps.load_config();
  if (!config.ok()) return Failure(config.status().message());
  const ProviderEnv env = deps.provider_env(*config);
  absl::StatusOr<std::optional<RegistryCredentials>> credentials =
      CredentialsForRegistry(*registry, ServiceAccountToken{}, *config, env);
  if (!credentials.ok()) return Failure(credentials.status().message());
  if (!*credentials) return Failure(kCredentialsNotFound);
  // Field order as the Go encoder writes them; some clients compare output verbatim.
  const nlohmann::ordered_json out = {{"ServerURL", server_url},
                                      {"Username", kAcrTokenUsername},
                                      {"Secret", (*credentials)->token.token}};
  return {absl::StrCat(out.dump(), "\n"), 0};
}

DockerHelperResult Erase(absl::string_view input, const DockerHelperDeps& deps) {
  const std::string server_url(absl::StripAsciiWhitespace(input));
  if (server_url.empty()) return Failure("no credentials server URL");
  absl::StatusOr<std::string> registry = RegistryOfServerUrl(server_url);
  if (!registry.ok()) return {};  // nothing was ever stored for it
  absl::StatusOr<NodeConfig> config = deps.load_config();
  if (!config.ok()) return Failure(config.status().message());
  const absl::Status forgotten = ForgetCredentials(*registry, *config, deps.provider_env(*config));
  return forgotten.ok() ? DockerHelperResult{} : Failure(forgotten.message());
}

DockerHelperResult Store(absl::string_view input) {
  absl::StatusOr<StoredCredentials> credentials = ParseStoreRequest(input);
  if (!credentials.ok()) return Failure(credentials.status().message());
  // Accepting and discarding would make `docker login` look successful while the next pull
  // still used the Azure identity.
  return Failure(absl::StrCat(
      "credentials for ", credentials->server_url,
      " come from this machine's Azure identity and cannot be stored (for a registry that "
      "needs a password, remove it from \"credHelpers\" and use docker login)"));
}

// Only registries the config names: every other *.azurecr.io server is served too, but
// cannot be enumerated.
DockerHelperResult List(const DockerHelperDeps& deps) {
  absl::StatusOr<NodeConfig> config = deps.load_config();
  if (!config.ok()) return Failure(config.status().message());
  std::set<std::string> registries(config->registries.begin(), config->registries.end());
  for (const auto& [source, login_server] : config->mirrors) {
    registries.insert(source);
    registries.insert(login_server);
  }
  for (const RegistryIdentity& mapping : config->identities) {
    registries.insert(mapping.registries.begin(), mapping.registries.end());
  }
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const std::string& registry : registries) out[registry] = kAcrTokenUsername;
  return {absl::StrCat(out.dump(), "\n"), 0};
}

}  // namespace

absl::StatusOr<StoredCredentials> ParseStoreRequest(absl::string_view json) {
  const nlohmann::json doc = nlohmann::json::parse(json.begin(), json.end(), nullptr, false);
  if (!doc.is_object()) {
    return absl::InvalidArgumentError(
        "store expects {\"ServerURL\",\"Username\",\"Secret\"} as JSON on stdin");
  }
  const auto field = [&doc](const char* name) -> std::string {
    const auto it = doc.find(name);
    return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  StoredCredentials credentials{field("ServerURL"), field("Username"), field("Secret")};
  if (credentials.server_url.empty()) {
    return absl::InvalidArgumentError("no credentials server URL");
  }
  if (credentials.username.empty()) return absl::InvalidArgumentError("no credentials username");
  return credentials;
}

std::string DockerHelperConfigPath(const EnvLookup& env,
                                   const std::function<bool(const std::string&)>& exists) {
  if (std::optional<std::string> path = env(kConfigEnvVar); path && !path->empty()) return *path;
  std::string user_dir;
  if (std::optional<std::string> xdg = env("XDG_CONFIG_HOME"); xdg && absl::StartsWith(*xdg, "/")) {
    user_dir = *xdg;
  } else if (std::optional<std::string> home = env("HOME"); home && absl::StartsWith(*home, "/")) {
    user_dir = absl::StrCat(*home, "/.config");
  }
  if (!user_dir.empty()) {
    std::string path = absl::StrCat(user_dir, "/acr-credential-provider/config.json");
    if (exists(path)) return path;
  }
  return exists(kDefaultConfigPath) ? kDefaultConfigPath : "";
}

std::string DockerHelperCacheDir(const NodeConfig& config, bool root, const EnvLookup& env) {
  if (root || config.cache_dir != kDefaultCacheDir) return config.cache_dir;
  std::optional<std::string> runtime = env("XDG_RUNTIME_DIR");
  if (!runtime || !absl::StartsWith(*runtime, "/")) return "";
  return absl::StrCat(*runtime, "/acr-credential-provider");
}

DockerHelperResult RunDockerCredentialHelper(const std::vector<std::string>& args,
                                             const DockerHelperDeps& deps) {
  if (args.size() != 1) return {kUsage, 1};
  const std::string& action = args[0];
  if (action == "get" || action == "store" || action == "erase") {
    absl::StatusOr<std::string> input = deps.read_stdin();
    if (!input.ok()) {
      return Failure(absl::StrCat("cannot read stdin: ", input.status().message()));
    }
    if (action == "get") return Get(*input, deps);
    if (action == "store") return Store(*input);
    return Erase(*input, deps);
  }
  if (action == "list") return List(deps);
  if (action == "version" || action == "--version" || action == "-v") {
    return {absl::StrCat("docker-credential-acr (acr-credential-provider) ", kVersion, "\n"), 0};
  }
  if (action == "--help" || action == "-h") return {kUsage, 0};
  return {absl::StrCat("unknown credential action: ", action, "\n", kUsage), 1};
}

}  // namespace acrcp
