#include "plugin/identity/client_secret_identity.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "plugin/base/log.h"
#include "plugin/base/secure_file.h"
#include "plugin/base/sha256.h"

namespace acrcp {

absl::StatusOr<std::unique_ptr<ClientSecretIdentity>> ClientSecretIdentity::Create(
    const IdentitySettings& identity, const ClientSecretSettings& settings) {
  std::string secret = settings.inline_secret;
  std::string origin = settings.inline_origin;
  if (!settings.file.empty()) {
    absl::StatusOr<SecureFile> file = ReadSecureFile(settings.file, "client secret file",
                                                     FileAccess::kPrivate, kMaxSecretFileBytes);
    if (!file.ok()) return file.status();
    // Editors and `echo` add a trailing newline that is not part of the secret.
    secret = std::string(absl::StripAsciiWhitespace(file->contents));
    log::RegisterSecret(secret);
    origin = absl::StrCat("client secret file ", settings.file);
    if (secret.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          origin, ": empty (write the secret's value into it: az ad app credential reset --id ",
          identity.client_id, " --append --query password -o tsv > ", settings.file, ")"));
    }
  }
  return std::unique_ptr<ClientSecretIdentity>(new ClientSecretIdentity(
      identity.tenant_id, identity.client_id, std::move(secret), std::move(origin)));
}

ClientSecretIdentity::ClientSecretIdentity(std::string tenant_id, std::string client_id,
                                           std::string secret, std::string origin)
    : tenant_id_(std::move(tenant_id)),
      client_id_(std::move(client_id)),
      secret_(std::move(secret)),
      origin_(std::move(origin)) {}

std::string ClientSecretIdentity::CacheKey() const {
  return Sha256Hex(
      absl::StrCat("client-secret\n", tenant_id_, "\n", client_id_, "\n", Sha256Hex(secret_)));
}

absl::StatusOr<AccessToken> ClientSecretIdentity::GetAccessToken(NetworkHelper& helper,
                                                                 Retrier& retrier,
                                                                 const Cloud& cloud,
                                                                 absl::Time now) {
  EntraTokenRequest request;
  request.authority_host = cloud.authority_host;
  request.tenant_id = tenant_id_;
  request.client_id = client_id_;
  request.audience = cloud.audience;
  request.credential_fields = {{"client_secret", secret_}};
  request.credential_origin = origin_;
  return RequestEntraToken(helper, retrier, request, now);
}

}  // namespace acrcp
