// How the node, or a pod, proves who it is to Entra ID.
//
// One implementation per mode, each in its own file, so adding a mode touches no other:
// client secret, client certificate, service-account token (KEP-4412), federated token
// file. identity_factory.h picks one. Implementations read their proof when created, so a
// bad secret file is reported before any request leaves the machine.
#ifndef ACRCP_PLUGIN_IDENTITY_IDENTITY_H_
#define ACRCP_PLUGIN_IDENTITY_IDENTITY_H_

#include <string>

#include "absl/status/statusor.h"
#include "plugin/azure/cloud.h"
#include "plugin/azure/entra_client.h"
#include "plugin/net/network_helper.h"
#include "plugin/net/retry.h"

namespace acrcp {

class Identity {
 public:
  virtual ~Identity() = default;

  virtual const std::string& tenant_id() const = 0;
  virtual const std::string& client_id() const = 0;

  // Identifies this identity and its current proof for caching: a hash over the mode,
  // tenant, client and a fingerprint of the credential, so a rotated secret starts afresh.
  // Contains nothing from which the credential could be recovered.
  virtual std::string CacheKey() const = 0;

  // An Entra access token for `cloud.audience`, from `cloud.authority_host`.
  virtual absl::StatusOr<AccessToken> GetAccessToken(NetworkHelper& helper, Retrier& retrier,
                                                     const Cloud& cloud, absl::Time now) = 0;
};

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_IDENTITY_IDENTITY_H_
