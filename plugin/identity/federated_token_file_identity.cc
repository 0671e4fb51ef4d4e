#include "plugin/identity/federated_token_file_identity.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "plugin/base/log.h"
#include "plugin/base/secure_file.h"

namespace acrcp {
namespace {

constexpr size_t kMaxTokenBytes = size_t{64} * 1024;

}  // namespace

absl::StatusOr<std::unique_ptr<FederatedTokenFileIdentity>> FederatedTokenFileIdentity::Create(
    const IdentitySettings& identity, const FederatedTokenFileSettings& settings) {
  const std::string& path = settings.file;
  absl::StatusOr<SecureFile> file =
      ReadSecureFile(path, "federated token file", FileAccess::kTrusted, kMaxTokenBytes);
  if (!file.ok()) return file.status();
  std::string token(absl::StripAsciiWhitespace(file->contents));
  log::RegisterSecret(token);
  absl::StatusOr<JwtIdentity> subject = JwtIssuerAndSubject(token);
  if (!subject.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("federated token file ", path, ": ",
                                                   subject.status().message(),
                                                   " (it must hold one JWT)"));
  }
  return std::unique_ptr<FederatedTokenFileIdentity>(
      new FederatedTokenFileIdentity(identity, path, std::move(token), *std::move(subject)));
}

FederatedTokenFileIdentity::FederatedTokenFileIdentity(const IdentitySettings& identity,
                                                       const std::string& path, std::string token,
                                                       JwtIdentity subject)
    : FederatedAssertionIdentity(identity.tenant_id, identity.client_id,
                                 absl::StrCat("federated token file ", path),
                                 "federated-token-file", std::move(token), std::move(subject)) {}

}  // namespace acrcp
