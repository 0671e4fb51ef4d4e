// How the node, or a pod, proves who it is to Entra ID.
//
// One implementation per sign-in mode, each in its own file: client secret, client
// certificate, federated token file, Azure Arc and Azure VM managed identity (the node's
// modes, one settings type each in config/identity_settings.h), and a pod's
// service-account token (KEP-4412). identity_factory.h picks one. Implementations read
// their proof when created, so a bad secret file is reported before any request leaves
// the machine.
#ifndef ACRCP_PLUGIN_IDENTITY_IDENTITY_H_
#define ACRCP_PLUGIN_IDENTITY_IDENTITY_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "plugin/azure/cloud.h"
#include "plugin/azure/entra_client.h"
#include "plugin/net/network_helper.h"
#include "plugin/net/retry.h"

namespace acrcp {

// What a pod brings to sign in with (KEP-4412): the service-account token the kubelet minted
// for it, and the service account's annotations the kubelet passed on. An empty token means
// none: the node's own identity signs in.
struct ServiceAccountToken {
  std::string token;
  std::map<std::string, std::string> annotations;
};

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
