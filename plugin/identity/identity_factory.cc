#include "plugin/identity/identity_factory.h"

#include <memory>
#include <utility>
#include <variant>

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

using IdentityOrError = absl::StatusOr<std::unique_ptr<Identity>>;

// Widens StatusOr<unique_ptr<Derived>> to StatusOr<unique_ptr<Identity>>.
template <typename T>
IdentityOrError Widen(absl::StatusOr<std::unique_ptr<T>> identity) {
  if (!identity.ok()) return identity.status();
  return std::unique_ptr<Identity>(*std::move(identity));
}

// One overload per node credential type (config/identity_settings.h).
struct NodeIdentityMaker {
  const NodeConfig& config;
  const IdentitySettings& identity;

  IdentityOrError operator()(const NoCredential&) const {
    return absl::FailedPreconditionError(
        absl::StrCat("no credential configured in ", config.source,
                     " and the request carries no service account token (set clientSecretFile, "
                     "clientCertificateFile or federatedTokenFile; see docs/configuration.md)"));
  }
  IdentityOrError operator()(const ClientSecretSettings& settings) const {
    return Widen(ClientSecretIdentity::Create(identity, settings));
  }
  IdentityOrError operator()(const ClientCertificateSettings& settings) const {
    return Widen(CertificateIdentity::Create(identity, settings));
  }
  IdentityOrError operator()(const FederatedTokenFileSettings& settings) const {
    return Widen(FederatedTokenFileIdentity::Create(identity, settings));
  }
  IdentityOrError operator()(const ManagedIdentitySettings& settings) const {
    ManagedIdentityEndpoint where = ResolveManagedIdentity(settings, ArcAgentInstalled());
    if (where.source == ManagedIdentitySource::kArc) {
      return std::make_unique<ArcIdentity>(identity.tenant_id, std::move(where.url), settings.id);
    }
    return std::make_unique<ImdsIdentity>(identity.tenant_id, std::move(where.url), settings.id);
  }
};

}  // namespace

const IdentitySettings& IdentityFor(const NodeConfig& config, absl::string_view login_server) {
  for (const RegistryIdentity& mapped : config.identities) {
    for (const std::string& registry : mapped.registries) {
      if (registry == login_server) return mapped.identity;
    }
  }
  return config.identity;
}

absl::StatusOr<std::unique_ptr<Identity>> CreateIdentity(const NodeConfig& config,
                                                         const ServiceAccountToken& pod,
                                                         absl::string_view login_server) {
  const IdentitySettings& identity = IdentityFor(config, login_server);
  if (!pod.token.empty()) return Widen(ServiceAccountIdentity::Create(identity, pod));
  return std::visit(NodeIdentityMaker{config, identity}, identity.credential);
}

}  // namespace acrcp
