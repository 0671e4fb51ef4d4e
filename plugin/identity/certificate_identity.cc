#include "plugin/identity/certificate_identity.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "plugin/azure/entra_client.h"
#include "plugin/azure/identifiers.h"
#include "plugin/base/log.h"
#include "plugin/base/secure_file.h"
#include "plugin/base/sha256.h"

namespace acrcp {
namespace {

constexpr size_t kMaxPemBytes = size_t{64} * 1024;
constexpr size_t kMaxPasswordBytes = size_t{4} * 1024;
constexpr absl::Duration kAssertionLifetime = absl::Minutes(10);

absl::StatusOr<std::string> ReadPassword(const ClientCertificateSettings& settings) {
  if (settings.password_file.empty()) return settings.inline_password;
  absl::StatusOr<SecureFile> file =
      ReadSecureFile(settings.password_file, "client certificate password file",
                     FileAccess::kPrivate, kMaxPasswordBytes);
  if (!file.ok()) return file.status();
  std::string password(absl::StripTrailingAsciiWhitespace(file->contents));
  log::RegisterSecret(password);
  return password;
}

}  // namespace

absl::StatusOr<std::unique_ptr<CertificateIdentity>> CertificateIdentity::Create(
    const IdentitySettings& identity, const ClientCertificateSettings& settings) {
  absl::StatusOr<SecureFile> file =
      ReadSecureFile(settings.file, "client certificate file", FileAccess::kPrivate, kMaxPemBytes);
  if (!file.ok()) return file.status();
  // Checked here, without OpenSSL, so an obviously wrong file fails before any request.
  if (!absl::StrContains(file->contents, "-----BEGIN CERTIFICATE-----") ||
      !absl::StrContains(file->contents, "PRIVATE KEY-----")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "client certificate file ", settings.file,
        ": needs a PEM certificate and its private key (concatenate them: cat cert.pem key.pem "
        "> FILE)"));
  }
  absl::StatusOr<std::string> password = ReadPassword(settings);
  if (!password.ok()) return password.status();
  return std::unique_ptr<CertificateIdentity>(
      new CertificateIdentity(identity, settings, std::move(file->contents), *std::move(password)));
}

CertificateIdentity::CertificateIdentity(const IdentitySettings& identity,
                                         const ClientCertificateSettings& settings, std::string pem,
                                         std::string password)
    : AssertionIdentity(identity.tenant_id, identity.client_id,
                        absl::StrCat("client certificate file ", settings.file)),
      pem_(std::move(pem)),
      password_(std::move(password)),
      algorithm_(settings.algorithm) {}

std::string CertificateIdentity::CacheKey() const {
  return Sha256Hex(
      absl::StrCat("client-certificate\n", tenant_id(), "\n", client_id(), "\n", Sha256Hex(pem_)));
}

absl::StatusOr<std::string> CertificateIdentity::Assertion(JwtSigner& signer, const Cloud& cloud,
                                                           absl::Time now) {
  const int64_t issued = absl::ToUnixSeconds(now);
  const nlohmann::json claims = {
      {"aud", EntraTokenEndpoint(cloud.authority_host, tenant_id())},
      {"iss", client_id()},
      {"sub", client_id()},
      {"jti", RandomGuid()},
      {"nbf", issued},
      {"iat", issued},
      {"exp", absl::ToUnixSeconds(now + kAssertionLifetime)},
  };
  absl::StatusOr<std::string> jwt =
      signer.SignAssertion({pem_, password_, algorithm_, claims.dump()});
  if (!jwt.ok()) {
    return absl::Status(jwt.status().code(), absl::StrCat(origin(), ": ", jwt.status().message()));
  }
  log::RegisterSecret(*jwt);
  return jwt;
}

}  // namespace acrcp
