// The node configuration: who we are in Entra ID, which cloud, which registries, and the
// limits we run under.
//
// One JSON file (path from the command line) whose keys are documented in
// docs/configuration.md. The upstream plugin's azure.json keys are accepted so existing
// kubelet configs keep working; any other unknown key is an error that names it, because
// a misspelt key silently ignored is an outage found at 3 a.m. The Azure SDK environment
// variables fill in what the file leaves out.
#ifndef ACRCP_PLUGIN_CONFIG_NODE_CONFIG_H_
#define ACRCP_PLUGIN_CONFIG_NODE_CONFIG_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "plugin/azure/cloud.h"

namespace acrcp {

inline constexpr char kDefaultCacheDir[] = "/run/acr-credential-provider";
inline constexpr size_t kMaxConfigBytes = size_t{64} * 1024;

// How the node itself proves who it is. Pods that come with a service-account token
// (KEP-4412) use that instead, whatever is configured here.
enum class NodeCredential {
  kNone,                // no node identity: only requests carrying a service-account token work
  kClientSecret,        // client_credentials with a secret
  kClientCertificate,   // client_credentials with an assertion signed by a certificate's key
  kFederatedTokenFile,  // client_credentials with a federated token read from a file
  kManagedIdentity,     // Azure Arc's agent (HIMDS) or an Azure VM's metadata service
};

enum class ManagedIdentitySource { kArc, kImds };

inline constexpr char kArcDefaultEndpoint[] =
    "http://127.0.0.1:40342/metadata/identity/oauth2/token";
inline constexpr char kImdsDefaultEndpoint[] =
    "http://169.254.169.254/metadata/identity/oauth2/token";
// Present on every Azure Arc-enabled server, even when the IDENTITY_ENDPOINT variables are
// not in the kubelet's environment.
inline constexpr char kArcAgentMarker[] = "/opt/azcmagent/bin/himds";

// Who signs in, and with what.
struct IdentityConfig {
  // Required with a credential; otherwise defaults for service-account tokens.
  std::string tenant_id;
  std::string client_id;
  NodeCredential credential = NodeCredential::kNone;
  // kClientSecret: a root-only file holding the secret, or the secret itself (from
  // `aadClientSecret` in a root-only config, or from AZURE_CLIENT_SECRET).
  std::string client_secret_file;
  std::string inline_client_secret;
  std::string inline_client_secret_origin;  // names where it came from, for messages
  // kClientCertificate: a root-only PEM file with the certificate and its private key, and
  // the key's password, if it is encrypted (a root-only file, or the environment).
  std::string client_certificate_file;
  std::string client_certificate_password_file;
  std::string inline_certificate_password;
  std::string assertion_algorithm = "PS256";  // or "RS256"
  // kFederatedTokenFile: re-read on every sign-in, so rotation needs no restart.
  std::string federated_token_file;
  // kManagedIdentity: where to ask, and which identity (empty: the system-assigned one;
  // a GUID is a client ID, "/subscriptions/..." an ARM resource ID).
  ManagedIdentitySource managed_identity_source = ManagedIdentitySource::kImds;
  std::string managed_identity_endpoint;
  std::string managed_identity_id;
};

// An identity used for some registries only (`identities` in the config), e.g. registries
// in another tenant.
struct RegistryIdentity {
  std::vector<std::string> registries;  // login servers, lower case
  IdentityConfig identity;
};

struct NodeConfig {
  std::string source;       // the config path, or "environment" when there is no file
  IdentityConfig identity;  // for every registry not listed below
  std::vector<RegistryIdentity> identities;  // each login server in at most one
  Cloud cloud;                               // with authorityHost and audience overrides applied
  std::vector<std::string> registries;       // extra allowed login servers, lower case
  // Registry mirrors: a source registry ("host[:port]", lower case) whose pulls are served by
  // an ACR login server (lower case, which passes the genuine-host rule).
  std::map<std::string, std::string> mirrors;
  std::string ca_bundle_file;  // empty: the system store only
  std::string cache_dir = kDefaultCacheDir;
  absl::Duration timeout = absl::Seconds(30);
  absl::Duration max_cache_duration = absl::Hours(1);
};

// The ACR login server that serves `registry` (lower case): its mirror target if `mirrors`
// maps it, else `registry` itself.
std::string LoginServerFor(const NodeConfig& config, absl::string_view registry);

// Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(absl::string_view)>;
EnvLookup ProcessEnvironment();

// Where a managed identity answers, for `mode` "auto", "arc" or "imds", an explicit
// `endpoint` (may be empty), the environment and whether the Arc agent is installed:
// Arc when asked for, or when IDENTITY_ENDPOINT and IMDS_ENDPOINT are set or the agent's
// binary exists; IMDS otherwise.
std::pair<ManagedIdentitySource, std::string> ResolveManagedIdentity(absl::string_view mode,
                                                                     absl::string_view endpoint,
                                                                     const EnvLookup& env,
                                                                     bool arc_agent_installed);

// Reads and validates the config at `path` (empty: environment only). The file must be a
// regular file not writable by group/other; an inline secret additionally requires it to
// be readable by its owner only. Errors name the file and the key.
absl::StatusOr<NodeConfig> LoadNodeConfig(const std::string& path, const EnvLookup& env);

// Validates `json_text` as if read from `source`; `source_private` tells whether the file
// is readable by its owner only. Exposed for tests.
absl::StatusOr<NodeConfig> ParseNodeConfig(absl::string_view json_text, absl::string_view source,
                                           bool source_private, const EnvLookup& env);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_CONFIG_NODE_CONFIG_H_
