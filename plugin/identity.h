// How the node proves who it is to Entra ID.
//
// One implementation per mode (a client secret today; certificates, workload identity and
// managed identities later), each in its own file, so adding a mode touches no other.
// Implementations read their proof when created, so a bad secret file is reported before
// any request leaves the machine.
#ifndef ACRCP_PLUGIN_IDENTITY_H_
#define ACRCP_PLUGIN_IDENTITY_H_

#include <string>

#include "absl/status/statusor.h"
#include "plugin/cloud.h"
#include "plugin/entra_client.h"
#include "plugin/http_transport.h"
#include "plugin/retry.h"

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
  virtual absl::StatusOr<AccessToken> GetAccessToken(HttpTransport& transport, Retrier& retrier,
                                                     const Cloud& cloud, absl::Time now) = 0;
};

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_IDENTITY_H_
