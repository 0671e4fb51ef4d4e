// The upstream plugin's azure.json keys (kubernetes-sigs/cloud-provider-azure), so that a
// config written for it works here unchanged, or fails with the key to use instead.
//
// Keys that configure the cluster's Azure resources, not image pulls, are ignored. Keys that
// would select a different identity or cloud are refused when set: ignoring them would make
// the plugin silently sign in as something else. The upstream keys this plugin does
// understand (aadClientId, aadClientSecret, useManagedIdentityExtension, ...) are ordinary
// keys of node_config.h.
#ifndef ACRCP_PLUGIN_CONFIG_UPSTREAM_KEYS_H_
#define ACRCP_PLUGIN_CONFIG_UPSTREAM_KEYS_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace acrcp {

// True for an upstream key without meaning here (matched case-insensitively, as upstream).
bool IsIgnoredUpstreamKey(absl::string_view key);

// For an upstream key this plugin refuses, what to use instead; nullopt for other keys.
std::optional<std::string> UnsupportedUpstreamKey(absl::string_view key);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_CONFIG_UPSTREAM_KEYS_H_
