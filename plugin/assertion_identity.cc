#include "plugin/assertion_identity.h"

#include <string>
#include <utility>

#include "plugin/entra_client.h"

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

}  // namespace acrcp
