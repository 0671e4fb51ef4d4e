#include "plugin/azure/entra_errors.h"

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "plugin/net/retry.h"

namespace acrcp {
namespace {

struct EntraErrorDoc {
  std::string error;
  int64_t code = 0;  // the first AADSTS code, 0 if none
  std::string trace_id;
  std::string correlation_id;
};

std::string StringField(const nlohmann::json& doc, const char* key) {
  const auto it = doc.find(key);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool ParseErrorDoc(absl::string_view body, EntraErrorDoc& out) {
  const nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return false;
  out.error = StringField(doc, "error");
  out.trace_id = StringField(doc, "trace_id");
  out.correlation_id = StringField(doc, "correlation_id");
  const auto codes = doc.find("error_codes");
  if (codes != doc.end() && codes->is_array() && !codes->empty() &&
      codes->front().is_number_integer()) {
    out.code = codes->front().get<int64_t>();
  }
  return !out.error.empty();
}

}  // namespace

absl::Status EntraError(const EntraTokenRequest& request, int http_status, absl::string_view body,
                        int attempts) {
  const std::string host(HostOfUrl(request.authority_host));
  const std::string head = absl::StrCat("Entra ID sign-in for client ", request.client_id,
                                        " in tenant ", request.tenant_id, " failed: ");
  if (IsRetryableStatus(http_status)) {
    return absl::UnavailableError(
        absl::StrCat(head, host, " answered HTTP ", http_status, " to ", RetriedAttempts(attempts),
                     " (Entra ID is throttling or unavailable; the kubelet retries on the next "
                     "pull)"));
  }
  EntraErrorDoc doc;
  if (!ParseErrorDoc(body, doc)) {
    return absl::FailedPreconditionError(
        absl::StrCat(head, host, " answered HTTP ", http_status,
                     " without an Entra error document (check "
                     "authorityHost and that no proxy is answering in its place)"));
  }
  const std::string code = absl::StrCat("AADSTS", doc.code);
  const std::string reset_secret =
      absl::StrCat("create one with: az ad app credential reset --id ", request.client_id,
                   " --append --query password -o tsv");
  switch (doc.code) {
    case 7000215:
      return absl::UnauthenticatedError(absl::StrCat(
          head, "invalid client secret (", code, ") (put the secret's value, not its ID, in ",
          request.credential_origin, ", or ", reset_secret, ")"));
    case 7000222:
      return absl::UnauthenticatedError(absl::StrCat(head, "the client secret has expired (", code,
                                                     ") (", reset_secret, ", and write it to ",
                                                     request.credential_origin, ")"));
    case 700016:
      return absl::NotFoundError(
          absl::StrCat(head, "no application with this client ID exists in the tenant (", code,
                       ") (check clientId and tenantId; az ad sp show --id ", request.client_id,
                       " must find it when signed in to that tenant)"));
    case 90002:
      return absl::NotFoundError(
          absl::StrCat(head, "the tenant does not exist (", code,
                       ") (check tenantId, e.g. az account show --query tenantId; for China or US "
                       "Government set \"cloud\")"));
    case 700027:
      return absl::UnauthenticatedError(
          absl::StrCat(head, "the client assertion's signature was not accepted (", code,
                       ") (the certificate in ", request.credential_origin,
                       " must be registered on the app: az ad app credential reset --id ",
                       request.client_id, " --cert @CERT.pem --append)"));
    case 700024:
      return absl::UnauthenticatedError(absl::StrCat(
          head, "the client assertion is outside its valid time range (", code,
          ") (check the node's clock with timedatectl status; a service-account token may "
          "have expired)"));
    case 70021:
      return absl::PermissionDeniedError(
          absl::StrCat(head, "no federated credential of the app matches issuer '",
                       request.assertion_issuer, "' and subject '", request.assertion_subject,
                       "' (", code, ") (add one: az ad app federated-credential create --id ",
                       request.client_id, " --parameters '{\"name\":\"NAME\",\"issuer\":\"",
                       request.assertion_issuer, "\",\"subject\":\"", request.assertion_subject,
                       "\",\"audiences\":[\"api://AzureADTokenExchange\"]}')"));
    case 50027:
      return absl::UnauthenticatedError(absl::StrCat(
          head, "Entra ID rejected the client assertion as malformed (", code, ") (from ",
          request.credential_origin, "; run with -v 2 and see docs/identities.md)"));
    case 70011:
      return absl::FailedPreconditionError(
          absl::StrCat(head, "the scope ", request.audience, "/.default is not valid (", code,
                       ") (remove or correct \"audience\" in the node config)"));
    default:
      break;
  }
  return absl::FailedPreconditionError(
      absl::StrCat(head, doc.error, " (", code, ", HTTP ", http_status,
                   ") (see https://login.microsoftonline.com/error?code=", doc.code, "; trace ID ",
                   doc.trace_id, ", correlation ID ", doc.correlation_id, ")"));
}

}  // namespace acrcp
