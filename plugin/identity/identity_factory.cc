#include "plugin/identity/identity_factory.h"

#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "plugin/identity/arc_identity.h"
#include "plugin/identity/certificate_identity.h"
#include "plugin/identity/client_secret_identity.h"
#include "plugin/identity/federated_token_file_identity.h"
#include "plugin/identity/imds_identity.h"
#include "plugin/identity/service_account_identity.h"

namespace acrcp {
namespace {

// Widens StatusOr<unique_ptr<Derived>> to StatusOr<unique_ptr<Identity>>.
template <typename T>
absl::StatusOr<std::unique_ptr<Identity>> Widen(absl::StatusOr<std::unique_ptr<T>> identity) {
  if (!identity.ok()) return identity.status();
  return std::unique_ptr<Identity>(*std::move(identity));
}

}  // namespace

const IdentityConfig& IdentityFor(const NodeConfig& config, absl::string_view login_server) {
  for (const RegistryIdentity& mapped : config.identities) {
    for (const std::string& registry : mapped.registries) {
      if (registry == login_server) return mapped.identity;
    }
  }
  return config.identity;
}

absl::StatusOr<std::unique_ptr<Identity>> CreateIdentity(const NodeConfig& config,
                                                         const CredentialProviderRequest& request,
                                                         absl::string_view login_server) {
  const IdentityConfig& identity = IdentityFor(config, login_server);
  if (!request.service_account_token.empty()) {
    return Widen(ServiceAccountIdentity::Create(identity, request));
  }
  switch (identity.credential) {
    case NodeCredential::kClientSecret:
      return Widen(ClientSecretIdentity::Create(identity));
    case NodeCredential::kClientCertificate:
      return Widen(CertificateIdentity::Create(identity));
    case NodeCredential::kFederatedTokenFile:
      return Widen(FederatedTokenFileIdentity::Create(identity));
    case NodeCredential::kManagedIdentity:
      if (identity.managed_identity_source == ManagedIdentitySource::kArc) {
        return std::unique_ptr<Identity>(new ArcIdentity(identity));
      }
      return std::unique_ptr<Identity>(new ImdsIdentity(identity));
    case NodeCredential::kNone:
      break;
  }
  return absl::FailedPreconditionError(
      absl::StrCat("no credential configured in ", config.source,
                   " and the request carries no service account token (set clientSecretFile, "
                   "clientCertificateFile or federatedTokenFile; see docs/configuration.md)"));
}

}  // namespace acrcp
