// The identities that prove themselves with a client assertion (a JWT) instead of a secret:
// a certificate-signed assertion, a pod's service-account token, a federated token file.
// They share the token request; each says how its assertion is made and what it stands for.
#ifndef ACRCP_PLUGIN_ASSERTION_IDENTITY_H_
#define ACRCP_PLUGIN_ASSERTION_IDENTITY_H_

#include <string>

#include "absl/status/statusor.h"
#include "plugin/identity.h"
#include "plugin/jwt.h"

namespace acrcp {

class AssertionIdentity : public Identity {
 public:
  const std::string& tenant_id() const override { return tenant_id_; }
  const std::string& client_id() const override { return client_id_; }
  absl::StatusOr<AccessToken> GetAccessToken(NetworkHelper& helper, Retrier& retrier,
                                             const Cloud& cloud, absl::Time now) final;

 protected:
  AssertionIdentity(std::string tenant_id, std::string client_id, std::string origin);

  // The assertion to present to `cloud`'s token endpoint at `now`.
  virtual absl::StatusOr<std::string> Assertion(JwtSigner& signer, const Cloud& cloud,
                                                absl::Time now) = 0;

  // Issuer and subject of a federated assertion, for messages; empty for certificates.
  virtual JwtIdentity FederatedIdentity() const { return {}; }

  // Where the assertion comes from, for messages ("client certificate file /etc/...").
  const std::string& origin() const { return origin_; }

 private:
  std::string tenant_id_;
  std::string client_id_;
  std::string origin_;
};

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_ASSERTION_IDENTITY_H_
