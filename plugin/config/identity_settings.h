// Who signs in, and with what: the identity part of the node config, one settings type per
// sign-in mode. The identity factory (identity/identity_factory.h) turns each type into its
// Identity; adding a mode is a settings type and its keys here, one identity file, and one
// line in the factory (docs/architecture.md).
//
// Reading settings touches no file: paths are kept as written and checked when the identity
// opens them, so a config naming a file that does not exist yet still parses.
#ifndef ACRCP_PLUGIN_CONFIG_IDENTITY_SETTINGS_H_
#define ACRCP_PLUGIN_CONFIG_IDENTITY_SETTINGS_H_

#include <array>
#include <optional>
#include <string>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "plugin/config/config_reader.h"

namespace acrcp {

// No node credential: only requests that carry a pod's service-account token (KEP-4412) can
// sign in.
struct NoCredential {};

// client_credentials with a secret: a root-only file (the recommended place), or the secret
// itself from `aadClientSecret` in a root-only config or from AZURE_CLIENT_SECRET.
struct ClientSecretSettings {
  std::string file;
  std::string inline_secret;
  std::string inline_origin;  // where the inline secret came from, for messages
};

// client_credentials with an assertion signed by a certificate's key: a root-only PEM file
// (certificate and key) and the key's password, if it is encrypted (a root-only file, or
// AZURE_CLIENT_CERTIFICATE_PASSWORD).
struct ClientCertificateSettings {
  std::string file;
  std::string password_file;
  std::string inline_password;
  std::string algorithm = "PS256";  // or "RS256"
};

// client_credentials with a federated token read from a file at every sign-in, so rotation
// needs no restart.
struct FederatedTokenFileSettings {
  std::string file;
};

enum class ManagedIdentitySource { kArc, kImds };

// Azure Arc's agent (HIMDS) or an Azure VM's metadata service (IMDS).
struct ManagedIdentitySettings {
  // Arc or IMDS when configured, or Arc when Arc's variables (IDENTITY_ENDPOINT and
  // IMDS_ENDPOINT) are set; nullopt for "auto" without them: then Arc if its agent is
  // installed, which only the identity factory looks at.
  std::optional<ManagedIdentitySource> source;
  std::string endpoint;  // managedIdentityEndpoint, or IDENTITY_ENDPOINT; "": the default
  std::string id;        // "": the system-assigned identity; a client ID or an ARM resource ID
};

using NodeCredential = std::variant<NoCredential, ClientSecretSettings, ClientCertificateSettings,
                                    FederatedTokenFileSettings, ManagedIdentitySettings>;

struct IdentitySettings {
  // Required with a credential other than a managed identity; otherwise the app that
  // service-account tokens sign in as, unless their annotations name one.
  std::string tenant_id;
  std::string client_id;
  NodeCredential credential;
};

// The keys of one entry of `identities`.
inline constexpr std::array<absl::string_view, 12> kNestedIdentityKeys = {
    "managedIdentity",
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

// Reads the identity in the object `r` reads into `out`. `source_private` tells whether the
// config file is readable by its owner only (an inline secret requires it). A `nested` one
// (an entry of `identities`) takes nothing from the environment and must name a credential;
// the top level falls back to the Azure SDK's variables.
absl::Status ReadIdentitySettings(const ConfigReader& r, bool source_private, bool nested,
                                  IdentitySettings& out);

// True for "http://<loopback or 169.254.169.254>[:port][/path]": managed-identity endpoints
// are local, and what they are sent (Arc's key file contents) must not leave the machine.
bool IsLocalMetadataUrl(absl::string_view url);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_CONFIG_IDENTITY_SETTINGS_H_
