// The Docker credential helper front end: docker, nerdctl, podman, buildah and skopeo ask it
// for credentials the way the kubelet asks the plugin, and get the same ACR refresh tokens
// from the same identity and cache (protocol: docker/docker-credential-helpers).
//
//   get     stdin: a server URL         stdout: {"ServerURL","Username","Secret"}
//   list    stdout: {"<registry>":"<username>",...} for the registries the config names
//   erase   stdin: a server URL         forgets the cached token for it
//   store   stdin: {"ServerURL",...}    refused: credentials come from the Azure identity
//   version stdout: "docker-credential-acr (acr-credential-provider) <version>"
// Errors are one line on stdout and exit 1, as the protocol requires. A server that gets no
// ACR token answers exactly "credentials not found in native keychain", which clients read
// as "no credentials here" and go on anonymously; an http:// server URL is refused outright,
// since the token would travel in the clear. Server URLs are parsed by registry_name.h.
#ifndef ACRCP_PLUGIN_DOCKER_DOCKER_CREDENTIAL_HELPER_H_
#define ACRCP_PLUGIN_DOCKER_DOCKER_CREDENTIAL_HELPER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "plugin/base/environment.h"
#include "plugin/config/node_config.h"
#include "plugin/provider.h"

namespace acrcp {

inline constexpr char kCredentialsNotFound[] = "credentials not found in native keychain";
// Names the config file; checked before the per-user and system locations.
inline constexpr char kConfigEnvVar[] = "ACR_CREDENTIAL_PROVIDER_CONFIG";

struct StoredCredentials {
  std::string server_url;
  std::string username;
  std::string secret;
};

// The credentials `store` receives. InvalidArgument with the protocol's messages ("no
// credentials server URL", "no credentials username") when a field is missing.
absl::StatusOr<StoredCredentials> ParseStoreRequest(absl::string_view json);

// The config file the helper reads: $ACR_CREDENTIAL_PROVIDER_CONFIG when set; else
// ${XDG_CONFIG_HOME:-$HOME/.config}/acr-credential-provider/config.json, else
// /etc/acr-credential-provider/config.json, whichever `exists` first; else "" (the Azure SDK
// environment variables alone).
std::string DockerHelperConfigPath(const EnvLookup& env,
                                   const std::function<bool(const std::string&)>& exists);

// The token cache directory: the config's for root, whose cache the kubelet shares. Other
// users cannot write that one, so theirs is $XDG_RUNTIME_DIR/acr-credential-provider (a
// per-user tmpfs) unless the config names a cacheDir; "" (no cache) without either.
std::string DockerHelperCacheDir(const NodeConfig& config, bool root, const EnvLookup& env);

struct DockerHelperResult {
  std::string out;  // everything for stdout, credentials or the error line
  int exit_code = 0;
};

// What an action needs from the process, called only by actions that use it (list and
// version must not wait for stdin, which is a terminal when a person runs them).
struct DockerHelperDeps {
  std::function<absl::StatusOr<std::string>()> read_stdin;
  std::function<absl::StatusOr<NodeConfig>()> load_config;
  // The provider environment for `config`, its cache opened; valid while deps lives.
  std::function<ProviderEnv(const NodeConfig&)> provider_env;
};

// Runs the helper with `args`, the arguments after the program name: one action. Any other
// count prints the usage and fails, as the protocol's reference implementation does.
DockerHelperResult RunDockerCredentialHelper(const std::vector<std::string>& args,
                                             const DockerHelperDeps& deps);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_DOCKER_DOCKER_CREDENTIAL_HELPER_H_
