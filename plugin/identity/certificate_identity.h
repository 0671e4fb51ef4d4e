// A service principal proving itself with a certificate: each sign-in presents a fresh
// client assertion (aud = the token endpoint, iss = sub = client ID, a random jti, valid for
// 10 minutes) signed with the certificate's private key, PS256 by default or RS256.
//
// The PEM file (certificate and key) and the optional password file must be root-only, like
// a secret file. The cache key includes a hash of the PEM, so a renewed certificate starts
// afresh.
#ifndef ACRCP_PLUGIN_IDENTITY_CERTIFICATE_IDENTITY_H_
#define ACRCP_PLUGIN_IDENTITY_CERTIFICATE_IDENTITY_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "plugin/config/identity_settings.h"
#include "plugin/identity/assertion_identity.h"

namespace acrcp {

class CertificateIdentity : public AssertionIdentity {
 public:
  // Reads the PEM and the password. Errors name the file and the fix.
  static absl::StatusOr<std::unique_ptr<CertificateIdentity>> Create(
      const IdentitySettings& identity, const ClientCertificateSettings& settings);

  std::string CacheKey() const override;

 protected:
  absl::StatusOr<std::string> Assertion(JwtSigner& signer, const Cloud& cloud,
                                        absl::Time now) override;

 private:
  CertificateIdentity(const IdentitySettings& identity, const ClientCertificateSettings& settings,
                      std::string pem, std::string password);

  std::string pem_;
  std::string password_;
  std::string algorithm_;
};

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_IDENTITY_CERTIFICATE_IDENTITY_H_
