// JwtSigner with OpenSSL: RSA keys only (what Entra ID accepts for certificate
// credentials). Linked into the helper only.
#ifndef ACRCP_PLUGIN_HELPER_OPENSSL_SIGNER_H_
#define ACRCP_PLUGIN_HELPER_OPENSSL_SIGNER_H_

#include <string>

#include "absl/status/statusor.h"
#include "plugin/net/jwt_signer.h"

namespace acrcp {

class OpenSslSigner : public JwtSigner {
 public:
  // PS256: RSA-PSS with SHA-256 and a 32-byte salt, header `x5t#S256` (SHA-256 of the
  // certificate's DER). RS256: PKCS#1 v1.5 with SHA-256, header `x5t` (SHA-1 of the DER).
  absl::StatusOr<std::string> SignAssertion(const AssertionSigningRequest& request) override;
};

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_HELPER_OPENSSL_SIGNER_H_
