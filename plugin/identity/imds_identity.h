// The managed identity of an Azure VM, from the instance metadata service at
// 169.254.169.254, for hybrid fleets that mix VMs and on-premises machines. IMDS asks
// clients to retry 404 and 410 (the identity is being set up) as well as 429 and 5xx.
#ifndef ACRCP_PLUGIN_IDENTITY_IMDS_IDENTITY_H_
#define ACRCP_PLUGIN_IDENTITY_IMDS_IDENTITY_H_

#include <string>

#include "plugin/identity/managed_identity.h"

namespace acrcp {

class ImdsIdentity : public ManagedIdentity {
 public:
  ImdsIdentity(std::string tenant_id, std::string endpoint, std::string id);

  absl::StatusOr<AccessToken> GetAccessToken(NetworkHelper& helper, Retrier& retrier,
                                             const Cloud& cloud, absl::Time now) override;
};

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_IDENTITY_IMDS_IDENTITY_H_
