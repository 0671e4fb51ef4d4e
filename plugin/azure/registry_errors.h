// What an ACR registry says when it refuses, and what the operator calls it: shared by the
// token exchange and the pull check, which both turn a registry's answer into one line.
#ifndef ACRCP_PLUGIN_AZURE_REGISTRY_ERRORS_H_
#define ACRCP_PLUGIN_AZURE_REGISTRY_ERRORS_H_

#include <string>

#include "absl/strings/string_view.h"

namespace acrcp {

// The registry's resource name for the az CLI: the first label of <name>.azurecr.io, with
// a domain-name-label hash ("-abc123") removed.
std::string RegistryName(absl::string_view login_server);

// The first `message` of a Docker registry error document ({"errors":[{"code","message"}]}),
// if any; "" otherwise.
std::string RegistryErrorMessage(absl::string_view body);

// The first `code` of such a document ("NAME_UNKNOWN", "MANIFEST_UNKNOWN", ...), if any.
std::string RegistryErrorCode(absl::string_view body);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_AZURE_REGISTRY_ERRORS_H_
