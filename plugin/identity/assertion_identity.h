// The identities that prove themselves with a client assertion (a JWT) instead of a secret:
// a certificate-signed assertion, a pod's service-account token, a federated token file.
// They share the token request; each says how its assertion is made and what it stands for.
#ifndef ACRCP_PLUGIN_IDENTITY_ASSERTION_IDENTITY_H_
#define ACRCP_PLUGIN_IDENTITY_ASSERTION_IDENTITY_H_

#include <string>

#include "absl/status/statusor.h"
#include "plugin/azure/jwt.h"
#include "plugin/identity/identity.h"

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

// An identity whose assertion is a token issued elsewhere (a Kubernetes service-account token,
// a federated token file): Entra ID trusts it through a federated credential on the app that
// names the token's issuer and subject. Those two, not the token, identify it in the cache,
// so a renewed token reuses cached access while another subject never does.
class FederatedAssertionIdentity : public AssertionIdentity {
 public:
  std::string CacheKey() const override;

 protected:
  // `kind` distinguishes the modes in cache keys.
  FederatedAssertionIdentity(std::string tenant_id, std::string client_id, std::string origin,
                             std::string kind, std::string token, JwtIdentity subject);

  absl::StatusOr<std::string> Assertion(JwtSigner& signer, const Cloud& cloud,
                                        absl::Time now) override;
  JwtIdentity FederatedIdentity() const override { return subject_; }

 private:
  std::string kind_;
  std::string token_;
  JwtIdentity subject_;
};

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_IDENTITY_ASSERTION_IDENTITY_H_
