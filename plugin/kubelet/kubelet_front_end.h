// The kubelet front end: one CredentialProviderRequest in, one CredentialProviderResponse
// out, through the provider core (provider.h).
//
// An image whose registry gets no token is answered with an empty `auth` and cacheDuration
// "0s": the kubelet caches that answer and asks no more, and no request is sent anywhere.
// Otherwise `auth` holds the ACR refresh token under every name the kubelet may match it by,
// cacheKeyType "Registry", and the core's reuse time as cacheDuration.
#ifndef ACRCP_PLUGIN_KUBELET_KUBELET_FRONT_END_H_
#define ACRCP_PLUGIN_KUBELET_KUBELET_FRONT_END_H_

#include "absl/status/statusor.h"
#include "plugin/config/node_config.h"
#include "plugin/kubelet/kubelet_protocol.h"
#include "plugin/provider.h"

namespace acrcp {

// Answers `request` for the node described by `config`. Errors carry the one line main()
// prints: "<what failed>: <cause> (<what to do>)".
absl::StatusOr<CredentialProviderResponse> ProvideCredentials(
    const CredentialProviderRequest& request, const NodeConfig& config, const ProviderEnv& env);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_KUBELET_KUBELET_FRONT_END_H_
