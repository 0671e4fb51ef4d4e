// A service principal proving itself with a federated token kept in a file
// (`federatedTokenFile` or AZURE_FEDERATED_TOKEN_FILE), e.g. one that another system
// rotates. The file is read on every invocation, so a rotated token is used at the next
// sign-in without any restart. It must not be writable by group or others.
#ifndef ACRCP_PLUGIN_IDENTITY_FEDERATED_TOKEN_FILE_IDENTITY_H_
#define ACRCP_PLUGIN_IDENTITY_FEDERATED_TOKEN_FILE_IDENTITY_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "plugin/config/identity_settings.h"
#include "plugin/identity/assertion_identity.h"

namespace acrcp {

class FederatedTokenFileIdentity : public FederatedAssertionIdentity {
 public:
  static absl::StatusOr<std::unique_ptr<FederatedTokenFileIdentity>> Create(
      const IdentitySettings& identity, const FederatedTokenFileSettings& settings);

 private:
  FederatedTokenFileIdentity(const IdentitySettings& identity, const std::string& path,
                             std::string token, JwtIdentity subject);
};

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_IDENTITY_FEDERATED_TOKEN_FILE_IDENTITY_H_
