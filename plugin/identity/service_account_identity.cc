#include "plugin/identity/service_account_identity.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "plugin/azure/identifiers.h"
#include "plugin/base/log.h"

namespace acrcp {
namespace {

std::string Annotation(const ServiceAccountToken& pod, const char* key) {
  const auto it = pod.annotations.find(key);
  return it == pod.annotations.end() ? std::string() : it->second;
}

absl::Status AnnotationError(const char* key, absl::string_view value, absl::string_view shape) {
  return absl::InvalidArgumentError(
      absl::StrCat("service account annotation ", key, ": '", value, "' is not ", shape,
                   " (fix the annotation on the pod's service account)"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServiceAccountIdentity>> ServiceAccountIdentity::Create(
    const IdentitySettings& identity, const ServiceAccountToken& pod) {
  log::RegisterSecret(pod.token);
  std::string client_id = Annotation(pod, kClientIdAnnotation);
  if (!client_id.empty() && !IsGuid(client_id)) {
    return AnnotationError(kClientIdAnnotation, client_id, "a GUID");
  }
  std::string tenant_id = Annotation(pod, kTenantIdAnnotation);
  if (!tenant_id.empty() && !IsTenantId(tenant_id)) {
    return AnnotationError(kTenantIdAnnotation, tenant_id, "a tenant GUID or domain");
  }
  if (client_id.empty()) client_id = identity.client_id;
  if (tenant_id.empty()) tenant_id = identity.tenant_id;
  if (client_id.empty() || tenant_id.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "service account token without an app to sign in as: no ",
        client_id.empty() ? "client" : "tenant", " ID (annotate the service account with ",
        client_id.empty() ? kClientIdAnnotation : kTenantIdAnnotation, ", or set ",
        client_id.empty() ? "clientId" : "tenantId", " in the node config)"));
  }
  absl::StatusOr<JwtIdentity> subject = JwtIssuerAndSubject(pod.token);
  if (!subject.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid CredentialProviderRequest on stdin: serviceAccountToken: ",
        subject.status().message(), " (the kubelet mints this token; check tokenAttributes)"));
  }
  return std::unique_ptr<ServiceAccountIdentity>(
      new ServiceAccountIdentity(std::move(tenant_id), std::move(client_id), pod.token, *subject));
}

ServiceAccountIdentity::ServiceAccountIdentity(std::string tenant_id, std::string client_id,
                                               std::string token, JwtIdentity subject)
    : FederatedAssertionIdentity(std::move(tenant_id), std::move(client_id),
                                 absl::StrCat("the service account token of ", subject.subject),
                                 "service-account", std::move(token), std::move(subject)) {}

}  // namespace acrcp
