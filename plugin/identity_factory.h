// Chooses who signs in for one request: the pod's service-account token when the kubelet
// sent one (KEP-4412), otherwise the node's configured credential.
#ifndef ACRCP_PLUGIN_IDENTITY_FACTORY_H_
#define ACRCP_PLUGIN_IDENTITY_FACTORY_H_

#include <memory>

#include "absl/status/statusor.h"
#include "plugin/identity.h"
#include "plugin/kubelet_protocol.h"
#include "plugin/node_config.h"

namespace acrcp {

// FailedPrecondition when the request has no service-account token and the node has no
// credential configured; otherwise the chosen identity's own errors.
absl::StatusOr<std::unique_ptr<Identity>> CreateIdentity(const NodeConfig& config,
                                                         const CredentialProviderRequest& request);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_IDENTITY_FACTORY_H_
