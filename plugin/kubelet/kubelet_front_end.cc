#include "plugin/kubelet/kubelet_front_end.h"

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "plugin/azure/registry_name.h"
#include "plugin/base/log.h"

namespace acrcp {

absl::StatusOr<CredentialProviderResponse> ProvideCredentials(
    const CredentialProviderRequest& request, const NodeConfig& config, const ProviderEnv& env) {
  const ServiceAccountToken pod{request.service_account_token, request.service_account_annotations};
  absl::StatusOr<std::optional<RegistryCredentials>> credentials =
      CredentialsForRegistry(RegistryOfImage(request.image), pod, config, env);
  if (!credentials.ok()) return credentials.status();
  CredentialProviderResponse response;
  response.api_version = request.api_version;
  if (!*credentials) {
    response.cache_duration = absl::ZeroDuration();
    return response;
  }
  response.cache_duration = (*credentials)->reuse_for;
  for (const std::string& registry : (*credentials)->registries) {
    response.auth[registry] = AuthEntry{kAcrTokenUsername, (*credentials)->token.token};
  }
  log::Debug(1, absl::StrCat("credentials for ", absl::StrJoin((*credentials)->registries, " and "),
                             " may be cached by the kubelet for ",
                             absl::FormatDuration(response.cache_duration)));
  return response;
}

}  // namespace acrcp
