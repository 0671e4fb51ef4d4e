// Chooses who signs in for one request to one login server: the identity configured for that
// registry (an `identities` entry, else the top-level one), and within it the pod's
// service-account token when the kubelet sent one (KEP-4412), else the configured credential.
#ifndef ACRCP_PLUGIN_IDENTITY_IDENTITY_FACTORY_H_
#define ACRCP_PLUGIN_IDENTITY_IDENTITY_FACTORY_H_

#include <memory>

#include "absl/status/statusor.h"
#include "plugin/config/node_config.h"
#include "plugin/identity/identity.h"
#include "plugin/kubelet/kubelet_protocol.h"

namespace acrcp {

// The identity configured for `login_server` (lower case).
const IdentityConfig& IdentityFor(const NodeConfig& config, absl::string_view login_server);

// FailedPrecondition when the request has no service-account token and the identity has no
// credential; otherwise the chosen identity's own errors.
absl::StatusOr<std::unique_ptr<Identity>> CreateIdentity(const NodeConfig& config,
                                                         const CredentialProviderRequest& request,
                                                         absl::string_view login_server);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_IDENTITY_IDENTITY_FACTORY_H_
