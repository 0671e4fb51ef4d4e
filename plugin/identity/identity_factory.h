// Chooses who signs in for one request to one login server: the identity configured for that
// registry (an `identities` entry, else the top-level one), and within it the pod's
// service-account token when it brings one (KEP-4412), else the configured node credential.
#ifndef ACRCP_PLUGIN_IDENTITY_IDENTITY_FACTORY_H_
#define ACRCP_PLUGIN_IDENTITY_IDENTITY_FACTORY_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "plugin/config/node_config.h"
#include "plugin/identity/identity.h"

namespace acrcp {

// The identity configured for `login_server` (normalised).
const IdentitySettings& IdentityFor(const NodeConfig& config, absl::string_view login_server);

// FailedPrecondition when `pod` has no token and the identity has no credential; otherwise
// the chosen identity's own errors (its proof is read here).
absl::StatusOr<std::unique_ptr<Identity>> CreateIdentity(const NodeConfig& config,
                                                         const ServiceAccountToken& pod,
                                                         absl::string_view login_server);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_IDENTITY_IDENTITY_FACTORY_H_
