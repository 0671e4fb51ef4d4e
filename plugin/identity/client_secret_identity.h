// A service principal proving itself with a client secret (OAuth client_credentials).
//
// The secret comes from a root-only file (clientSecretFile, the recommended place), from
// `aadClientSecret` in a root-only config, or from AZURE_CLIENT_SECRET. It is registered
// with the log redactor the moment it is read and is only ever sent to the authority host.
#ifndef ACRCP_PLUGIN_IDENTITY_CLIENT_SECRET_IDENTITY_H_
#define ACRCP_PLUGIN_IDENTITY_CLIENT_SECRET_IDENTITY_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "plugin/config/identity_settings.h"
#include "plugin/identity/identity.h"

namespace acrcp {

inline constexpr size_t kMaxSecretFileBytes = size_t{16} * 1024;

class ClientSecretIdentity : public Identity {
 public:
  // Reads the secret named by `config`. Errors name the file and the fix (chmod, chown).
  static absl::StatusOr<std::unique_ptr<ClientSecretIdentity>> Create(
      const IdentitySettings& identity, const ClientSecretSettings& settings);

  const std::string& tenant_id() const override { return tenant_id_; }
  const std::string& client_id() const override { return client_id_; }
  std::string CacheKey() const override;
  absl::StatusOr<AccessToken> GetAccessToken(NetworkHelper& helper, Retrier& retrier,
                                             const Cloud& cloud, absl::Time now) override;

 private:
  ClientSecretIdentity(std::string tenant_id, std::string client_id, std::string secret,
                       std::string origin);

  std::string tenant_id_;
  std::string client_id_;
  std::string secret_;
  std::string origin_;  // where the secret came from, for messages
};

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_IDENTITY_CLIENT_SECRET_IDENTITY_H_
