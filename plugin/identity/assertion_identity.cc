#include "plugin/identity/assertion_identity.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "plugin/azure/entra_client.h"
#include "plugin/base/sha256.h"

namespace acrcp {

AssertionIdentity::AssertionIdentity(std::string tenant_id, std::string client_id,
                                     std::string origin)
    : tenant_id_(std::move(tenant_id)),
      client_id_(std::move(client_id)),
      origin_(std::move(origin)) {}

absl::StatusOr<AccessToken> AssertionIdentity::GetAccessToken(NetworkHelper& helper,
                                                              Retrier& retrier, const Cloud& cloud,
                                                              absl::Time now) {
  absl::StatusOr<std::string> assertion = Assertion(helper, cloud, now);
  if (!assertion.ok()) return assertion.status();
  EntraTokenRequest request;
  request.authority_host = cloud.authority_host;
  request.tenant_id = tenant_id_;
  request.client_id = client_id_;
  request.audience = cloud.audience;
  request.credential_fields = {
      {"client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
      {"client_assertion", *std::move(assertion)}};
  request.credential_origin = origin_;
  const JwtIdentity federated = FederatedIdentity();
  request.assertion_issuer = federated.issuer;
  request.assertion_subject = federated.subject;
  return RequestEntraToken(helper, retrier, request, now);
}

FederatedAssertionIdentity::FederatedAssertionIdentity(std::string tenant_id, std::string client_id,
                                                       std::string origin, std::string kind,
                                                       std::string token, JwtIdentity subject)
    : AssertionIdentity(std::move(tenant_id), std::move(client_id), std::move(origin)),
      kind_(std::move(kind)),
      token_(std::move(token)),
      subject_(std::move(subject)) {}

std::string FederatedAssertionIdentity::CacheKey() const {
  return Sha256Hex(absl::StrCat(kind_, "\n", tenant_id(), "\n", client_id(), "\n", subject_.issuer,
                                "\n", subject_.subject));
}

absl::StatusOr<std::string> FederatedAssertionIdentity::Assertion(JwtSigner&, const Cloud&,
                                                                  absl::Time) {
  return token_;
}

}  // namespace acrcp
