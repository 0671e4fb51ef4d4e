// The Azure clouds: where Entra ID lives, which DNS suffix ACR login servers have, and the
// audience to request Entra tokens for.
#ifndef ACRCP_PLUGIN_AZURE_CLOUD_H_
#define ACRCP_PLUGIN_AZURE_CLOUD_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace acrcp {

struct Cloud {
  std::string name;            // canonical, e.g. "AzurePublicCloud"
  std::string authority_host;  // "https://login.microsoftonline.com"
  std::string acr_suffix;      // "azurecr.io"
  std::string audience;        // "https://containerregistry.azure.net"
};

inline constexpr char kCustomCloud[] = "AzureCustomCloud";

// Looks a cloud up by name, case-insensitively; accepts the upstream azure.json spellings
// (AzurePublicCloud, AzureCloud, AzureChinaCloud, AzureUSGovernmentCloud,
// AzureUSGovernment). Empty means AzurePublicCloud. AzureCustomCloud comes back with only
// its name set: the config must supply the rest. Unknown names are InvalidArgument.
absl::StatusOr<Cloud> CloudByName(absl::string_view name);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_AZURE_CLOUD_H_
