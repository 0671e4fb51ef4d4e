// Signing client-assertion JWTs with a certificate's private key.
//
// The plugin links no crypto library (docs/performance.md), so signing is done by the HTTPS
// helper, which already has OpenSSL loaded: NetworkHelper (network_helper.h) offers both.
#ifndef ACRCP_PLUGIN_NET_JWT_SIGNER_H_
#define ACRCP_PLUGIN_NET_JWT_SIGNER_H_

#include <string>

#include "absl/status/statusor.h"

namespace acrcp {

struct AssertionSigningRequest {
  std::string pem;           // the certificate and its private key, PEM
  std::string password;      // for an encrypted private key; empty otherwise
  std::string algorithm;     // "PS256" (header carries x5t#S256) or "RS256" (x5t)
  std::string payload_json;  // the claims
};

class JwtSigner {
 public:
  virtual ~JwtSigner() = default;

  // The compact JWT. InvalidArgument (message without the key material) when the PEM has no
  // certificate or no private key, the password is wrong, the key is not RSA, or the key
  // does not belong to the certificate.
  virtual absl::StatusOr<std::string> SignAssertion(const AssertionSigningRequest& request) = 0;
};

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_NET_JWT_SIGNER_H_
