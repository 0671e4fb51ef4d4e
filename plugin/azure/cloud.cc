#include "plugin/azure/cloud.h"

#include <array>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace acrcp {
namespace {

struct CloudEntry {
  absl::string_view alias;
  absl::string_view name;
  absl::string_view authority_host;
  absl::string_view acr_suffix;
};

// The ACR audience is the same in every cloud: the upstream plugin requests
// https://containerregistry.azure.net for all of them (docs/configuration.md, `audience`).
constexpr absl::string_view kAcrAudience = "https://containerregistry.azure.net";

constexpr std::array<CloudEntry, 5> kClouds = {{
    {"AzurePublicCloud", "AzurePublicCloud", "https://login.microsoftonline.com", "azurecr.io"},
    {"AzureCloud", "AzurePublicCloud", "https://login.microsoftonline.com", "azurecr.io"},
    {"AzureChinaCloud", "AzureChinaCloud", "https://login.chinacloudapi.cn", "azurecr.cn"},
    {"AzureUSGovernmentCloud", "AzureUSGovernmentCloud", "https://login.microsoftonline.us",
     "azurecr.us"},
    {"AzureUSGovernment", "AzureUSGovernmentCloud", "https://login.microsoftonline.us",
     "azurecr.us"},
}};

}  // namespace

absl::StatusOr<Cloud> CloudByName(absl::string_view name) {
  if (name.empty()) name = "AzurePublicCloud";
  if (absl::EqualsIgnoreCase(name, kCustomCloud)) return Cloud{kCustomCloud, "", "", ""};
  for (const CloudEntry& entry : kClouds) {
    if (absl::EqualsIgnoreCase(entry.alias, name)) {
      return Cloud{std::string(entry.name), std::string(entry.authority_host),
                   std::string(entry.acr_suffix), std::string(kAcrAudience)};
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown cloud '", name,
      "' (use AzurePublicCloud, AzureChinaCloud, AzureUSGovernmentCloud or AzureCustomCloud)"));
}

}  // namespace acrcp
