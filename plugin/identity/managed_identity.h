// What the Azure Arc and Azure VM managed identities share: the token request to a local
// metadata endpoint (never through a proxy), the answer's format, and who the identity
// turned out to be. The tenant and app are read from the token, so no app registration
// details are configured; with a user-assigned identity the answer must say it is for that
// identity (old Arc agents answer for the system identity instead: fail closed).
#ifndef ACRCP_PLUGIN_IDENTITY_MANAGED_IDENTITY_H_
#define ACRCP_PLUGIN_IDENTITY_MANAGED_IDENTITY_H_

#include <string>

#include "absl/status/statusor.h"
#include "plugin/config/identity_settings.h"
#include "plugin/identity/identity.h"

namespace acrcp {

inline constexpr char kArcDefaultEndpoint[] =
    "http://127.0.0.1:40342/metadata/identity/oauth2/token";
inline constexpr char kImdsDefaultEndpoint[] =
    "http://169.254.169.254/metadata/identity/oauth2/token";
// Present on every Azure Arc-enabled server, even when the IDENTITY_ENDPOINT variables are
// not in the kubelet's environment.
inline constexpr char kArcAgentMarker[] = "/opt/azcmagent/bin/himds";

// Where a managed identity answers.
struct ManagedIdentityEndpoint {
  ManagedIdentitySource source;
  std::string url;
};

// `settings`' source, or for "auto" Arc when `arc_agent_installed`, else IMDS; at `settings`'
// endpoint, or that source's default one.
ManagedIdentityEndpoint ResolveManagedIdentity(const ManagedIdentitySettings& settings,
                                               bool arc_agent_installed);

// Whether kArcAgentMarker exists.
bool ArcAgentInstalled();

class ManagedIdentity : public Identity {
 public:
  // The configured tenant, else the one of the last token obtained (empty before).
  const std::string& tenant_id() const override { return tenant_id_; }
  // The app behind the identity once a token was obtained; else the configured ID.
  const std::string& client_id() const override { return client_id_; }
  std::string CacheKey() const override;

 protected:
  // `id` as in ManagedIdentitySettings; `tenant_id` the configured one, if any.
  ManagedIdentity(std::string tenant_id, std::string endpoint, std::string id, std::string what);

  // GET <endpoint>?api-version=...&resource=<audience>[&client_id|msi_res_id=...].
  HttpRequest TokenRequest(absl::string_view api_version, const Cloud& cloud) const;

  // The token of a 200 answer, checked to be for the requested identity.
  absl::StatusOr<AccessToken> TokenFromAnswer(const HttpResponse& response, absl::Time now);

  // Why a request failed: a transport error, or a non-200 answer.
  absl::Status Failure(const absl::StatusOr<RetriedResponse>& result) const;

  const std::string& what() const { return what_; }

 private:
  std::string what_;  // "Azure Arc managed identity", for messages
  std::string endpoint_;
  std::string id_;  // user-assigned identity, empty for the system-assigned one
  std::string tenant_id_;
  std::string client_id_;
};

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_IDENTITY_MANAGED_IDENTITY_H_
