// A pod proving who it is with the service-account token the kubelet minted for it
// (KEP-4412, `tokenAttributes` in the CredentialProviderConfig): the token is the client
// assertion of a workload identity federation.
//
// The app comes from the service account's annotations kubernetes.azure.com/acr-client-id
// and kubernetes.azure.com/acr-tenant-id (as the upstream plugin reads them), else from the
// identity configured for the registry. The cache key holds the token's issuer and subject, so pods
// of different service accounts never share a cached token, even when they name the same app.
#ifndef ACRCP_PLUGIN_IDENTITY_SERVICE_ACCOUNT_IDENTITY_H_
#define ACRCP_PLUGIN_IDENTITY_SERVICE_ACCOUNT_IDENTITY_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "plugin/config/identity_settings.h"
#include "plugin/identity/assertion_identity.h"

namespace acrcp {

inline constexpr char kClientIdAnnotation[] = "kubernetes.azure.com/acr-client-id";
inline constexpr char kTenantIdAnnotation[] = "kubernetes.azure.com/acr-tenant-id";

class ServiceAccountIdentity : public FederatedAssertionIdentity {
 public:
  // `identity` supplies the app when the annotations name none.
  // REQUIRES: `pod.token` is not empty.
  static absl::StatusOr<std::unique_ptr<ServiceAccountIdentity>> Create(
      const IdentitySettings& identity, const ServiceAccountToken& pod);

 private:
  ServiceAccountIdentity(std::string tenant_id, std::string client_id, std::string token,
                         JwtIdentity subject);
};

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_IDENTITY_SERVICE_ACCOUNT_IDENTITY_H_
