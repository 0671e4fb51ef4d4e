// The node configuration: who we are in Entra ID, which cloud, which registries, and the
// limits we run under.
//
// One JSON file (path from the command line) whose keys are documented in
// docs/configuration.md. The upstream plugin's azure.json keys are accepted so existing
// kubelet configs keep working (upstream_keys.h); any other unknown key is an error that
// names it, because a misspelt key silently ignored is an outage found at 3 a.m. The Azure
// SDK environment variables fill in what the file leaves out.
//
// Parsing is a pure function of the JSON text and the environment: it opens, stats and
// checks no file. Files the config names (secrets, certificates, the CA bundle, the cache
// directory) are checked where they are opened, with errors that name them.
#ifndef ACRCP_PLUGIN_CONFIG_NODE_CONFIG_H_
#define ACRCP_PLUGIN_CONFIG_NODE_CONFIG_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "plugin/azure/cloud.h"
#include "plugin/base/environment.h"
#include "plugin/config/identity_settings.h"

namespace acrcp {

// Where operators keep the config; `check`, `setup` and the Docker credential helper look
// here when no path is given.
inline constexpr char kDefaultConfigPath[] = "/etc/acr-credential-provider/config.json";
inline constexpr char kDefaultCacheDir[] = "/run/acr-credential-provider";
// Installed by the packages; named in config errors.
inline constexpr char kExampleConfigPath[] =
    "/usr/share/doc/acr-credential-provider/examples/config.json";
inline constexpr size_t kMaxConfigBytes = size_t{64} * 1024;

// An identity used for some registries only (`identities` in the config), e.g. registries
// in another tenant.
struct RegistryIdentity {
  std::vector<std::string> registries;  // normalised login servers (registry_name.h)
  IdentitySettings identity;
};

struct NodeConfig {
  std::string source;                        // the config path, or "environment"
  IdentitySettings identity;                 // for every registry not listed below
  std::vector<RegistryIdentity> identities;  // each login server in at most one
  Cloud cloud;                               // with authorityHost and audience overrides applied
  std::vector<std::string> registries;       // extra allowed login servers, normalised
  // Registry mirrors: a source registry whose pulls are served by an ACR login server that
  // passes the genuine-host rule; both normalised.
  std::map<std::string, std::string> mirrors;
  std::string ca_bundle_file;  // empty: the system store only
  std::string cache_dir = kDefaultCacheDir;
  // metricsFile: nullopt, node_exporter's textfile directory when there is one
  // (metrics/metrics_file.h); "" off; else the file's absolute path.
  std::optional<std::string> metrics_file;
  absl::Duration timeout = absl::Seconds(30);
  absl::Duration max_cache_duration = absl::Hours(1);
};

// Validates `json_text` as if read from `source`; `source_private` tells whether that file
// is readable by its owner only (an inline secret requires it). Errors name the source and
// the key. Performs no system call.
absl::StatusOr<NodeConfig> ParseNodeConfig(absl::string_view json_text, absl::string_view source,
                                           bool source_private, const EnvLookup& env);

// Adds mirrors given outside the file (the upstream plugin's `--registry-mirror`), each
// (source, target) as written, validated as the `mirrors` key is; `origin` begins errors.
absl::Status AddRegistryMirrors(const std::vector<std::pair<std::string, std::string>>& mirrors,
                                absl::string_view origin, NodeConfig& config);

// Reads and validates the config at `path` (empty: environment only). The file must be a
// regular file not writable by group/other.
absl::StatusOr<NodeConfig> LoadNodeConfig(const std::string& path, const EnvLookup& env);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_CONFIG_NODE_CONFIG_H_
