#include "plugin/identity_factory.h"

#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "plugin/certificate_identity.h"
#include "plugin/client_secret_identity.h"
#include "plugin/federated_token_file_identity.h"
#include "plugin/service_account_identity.h"

namespace acrcp {
namespace {

// Widens StatusOr<unique_ptr<Derived>> to StatusOr<unique_ptr<Identity>>.
template <typename T>
absl::StatusOr<std::unique_ptr<Identity>> Widen(absl::StatusOr<std::unique_ptr<T>> identity) {
  if (!identity.ok()) return identity.status();
  return std::unique_ptr<Identity>(*std::move(identity));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Identity>> CreateIdentity(const NodeConfig& config,
                                                         const CredentialProviderRequest& request) {
  if (!request.service_account_token.empty()) {
    return Widen(ServiceAccountIdentity::Create(config, request));
  }
  switch (config.credential) {
    case NodeCredential::kClientSecret:
      return Widen(ClientSecretIdentity::Create(config));
    case NodeCredential::kClientCertificate:
      return Widen(CertificateIdentity::Create(config));
    case NodeCredential::kFederatedTokenFile:
      return Widen(FederatedTokenFileIdentity::Create(config));
    case NodeCredential::kNone:
      break;
  }
  return absl::FailedPreconditionError(
      absl::StrCat("no credential configured in ", config.source,
                   " and the request carries no service account token (set clientSecretFile, "
                   "clientCertificateFile or federatedTokenFile; see docs/configuration.md)"));
}

}  // namespace acrcp
