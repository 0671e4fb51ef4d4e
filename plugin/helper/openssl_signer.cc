#include "plugin/helper/openssl_signer.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "plugin/azure/jwt.h"

namespace acrcp {
namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;

Bio ReadOnlyBio(const std::string& pem) {
  return Bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Hands the password to PEM_read_bio_PrivateKey; an empty one fails encrypted keys cleanly
// instead of prompting on a terminal.
int PasswordCallback(char* buffer, int size, int, void* user) {
  const auto* password = static_cast<const std::string*>(user);
  if (password->empty() || static_cast<int>(password->size()) > size) return -1;
  password->copy(buffer, password->size());
  return static_cast<int>(password->size());
}

absl::StatusOr<std::string> Digest(const EVP_MD* md, const X509* cert) {
  unsigned char* der = nullptr;
  const int size = i2d_X509(cert, &der);
  if (size <= 0) return absl::InvalidArgumentError("the certificate cannot be encoded");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  const int ok = EVP_Digest(der, static_cast<size_t>(size), digest, &digest_size, md, nullptr);
  OPENSSL_free(der);
  if (ok != 1) return absl::InternalError("digest failed");
  return Base64UrlEncode(absl::string_view(reinterpret_cast<const char*>(digest), digest_size));
}

absl::StatusOr<std::string> Sign(EVP_PKEY* key, bool pss, const std::string& input) {
  MdCtx ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key) != 1 ||
      (pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
               EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))) {
    return absl::InternalError("cannot set up the signature");
  }
  size_t size = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &size, data, input.size()) != 1) {
    return absl::InternalError("signing failed");
  }
  std::string signature(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size, data,
                     input.size()) != 1) {
    return absl::InternalError("signing failed");
  }
  signature.resize(size);
  return Base64UrlEncode(signature);
}

}  // namespace

absl::StatusOr<std::string> OpenSslSigner::SignAssertion(const AssertionSigningRequest& request) {
  const bool pss = request.algorithm == "PS256";
  if (!pss && request.algorithm != "RS256") {
    return absl::InvalidArgumentError(absl::StrCat("unsupported algorithm ", request.algorithm));
  }
  Bio cert_bio = ReadOnlyBio(request.pem);
  X509Ptr cert(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  Bio key_bio = ReadOnlyBio(request.pem);
  Key key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, PasswordCallback,
                                  const_cast<std::string*>(&request.password)));
  ERR_clear_error();  // the messages would name nothing useful; ours below do
  if (!cert) return absl::InvalidArgumentError("no readable PEM certificate");
  if (!key && !request.password.empty()) {
    return absl::InvalidArgumentError(
        "the private key cannot be read with the given password (check "
        "clientCertificatePasswordFile or AZURE_CLIENT_CERTIFICATE_PASSWORD)");
  }
  if (!key) {
    return absl::InvalidArgumentError(
        "no readable private key (is it encrypted? then set clientCertificatePasswordFile to "
        "its password)");
  }
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) {
    return absl::InvalidArgumentError("the private key is not RSA (Entra ID needs RSA)");
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("the private key does not belong to the certificate");
  }
  absl::StatusOr<std::string> thumbprint = Digest(pss ? EVP_sha256() : EVP_sha1(), cert.get());
  if (!thumbprint.ok()) return thumbprint.status();
  const nlohmann::json header = {
      {"alg", request.algorithm}, {"typ", "JWT"}, {pss ? "x5t#S256" : "x5t", *thumbprint}};
  const std::string input =
      absl::StrCat(Base64UrlEncode(header.dump()), ".", Base64UrlEncode(request.payload_json));
  absl::StatusOr<std::string> signature = Sign(key.get(), pss, input);
  if (!signature.ok()) return signature.status();
  return absl::StrCat(input, ".", *signature);
}

}  // namespace acrcp
