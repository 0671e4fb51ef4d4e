#include "plugin/identity/managed_identity.h"

#include <sys/stat.h>

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "plugin/azure/entra_client.h"
#include "plugin/azure/identifiers.h"
#include "plugin/azure/jwt.h"
#include "plugin/base/sha256.h"

namespace acrcp {
namespace {

// The `error_description` (or `error`) of a metadata endpoint's error answer.
std::string Description(absl::string_view body) {
  const nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
  if (!doc.is_object()) return "";
  for (const char* key : {"error_description", "error"}) {
    const auto it = doc.find(key);
    if (it != doc.end() && it->is_string()) return it->get<std::string>();
  }
  return "";
}

}  // namespace

ManagedIdentityEndpoint ResolveManagedIdentity(const ManagedIdentitySettings& settings,
                                               bool arc_agent_installed) {
  const ManagedIdentitySource source = settings.source.value_or(
      arc_agent_installed ? ManagedIdentitySource::kArc : ManagedIdentitySource::kImds);
  if (!settings.endpoint.empty()) return {source, settings.endpoint};
  return {source,
          source == ManagedIdentitySource::kArc ? kArcDefaultEndpoint : kImdsDefaultEndpoint};
}

bool ArcAgentInstalled() {
  struct stat st {};
  return stat(kArcAgentMarker, &st) == 0;
}

ManagedIdentity::ManagedIdentity(std::string tenant_id, std::string endpoint, std::string id,
                                 std::string what)
    : what_(std::move(what)),
      endpoint_(std::move(endpoint)),
      id_(id),
      tenant_id_(std::move(tenant_id)),
      client_id_(std::move(id)) {}

std::string ManagedIdentity::CacheKey() const {
  return Sha256Hex(absl::StrCat("managed-identity\n", what_, "\n", endpoint_, "\n", id_));
}

HttpRequest ManagedIdentity::TokenRequest(absl::string_view api_version, const Cloud& cloud) const {
  std::vector<std::pair<std::string, std::string>> query = {
      {"api-version", std::string(api_version)}, {"resource", cloud.audience}};
  if (!id_.empty()) query.emplace_back(IsGuid(id_) ? "client_id" : "msi_res_id", id_);
  HttpRequest request;
  request.method = "GET";
  request.url = absl::StrCat(endpoint_, "?", FormEncode(query));
  request.headers = {{"Metadata", "true"}, {"Accept", "application/json"}};
  request.bypass_proxy = true;
  return request;
}

absl::StatusOr<AccessToken> ManagedIdentity::TokenFromAnswer(const HttpResponse& response,
                                                             absl::Time now) {
  absl::StatusOr<AccessToken> token = ParseAccessTokenResponse(
      response.body, now, absl::StrCat(what_, " at ", HostOfUrl(endpoint_)));
  if (!token.ok()) return token.status();
  if (IsGuid(id_)) {
    const nlohmann::json doc = nlohmann::json::parse(response.body, nullptr, false);
    const std::string answered = doc.value("client_id", "");
    if (!absl::EqualsIgnoreCase(answered, id_)) {
      return absl::FailedPreconditionError(absl::StrCat(
          what_, " at ", HostOfUrl(endpoint_), " answered for identity '", answered,
          "' instead of ", id_,
          " (user-assigned identities need a current agent: update azcmagent, or use the "
          "system-assigned identity)"));
    }
  }
  if (tenant_id_.empty()) tenant_id_ = JwtStringClaim(token->value, "tid").value_or("");
  if (std::optional<std::string> app = JwtStringClaim(token->value, "appid")) client_id_ = *app;
  return token;
}

absl::Status ManagedIdentity::Failure(const absl::StatusOr<RetriedResponse>& result) const {
  const std::string head = absl::StrCat(what_, " at ", HostOfUrl(endpoint_), " failed: ");
  if (!result.ok()) {
    return absl::Status(result.status().code(), absl::StrCat(head, result.status().message()));
  }
  const std::string detail = Description(result->response.body);
  if (result->response.status == 400 &&
      absl::StrContains(absl::AsciiStrToLower(detail), "identity not found")) {
    return absl::NotFoundError(absl::StrCat(
        head, "identity ", id_.empty() ? "(system-assigned)" : id_,
        " is not assigned to this machine (assign it, or set managedIdentityClientId to one "
        "that is; see docs/identities.md)"));
  }
  return absl::Status(IsRetryableStatus(result->response.status)
                          ? absl::StatusCode::kUnavailable
                          : absl::StatusCode::kFailedPrecondition,
                      absl::StrCat(head, "HTTP ", result->response.status,
                                   detail.empty() ? "" : ": ", detail, " (after ", result->attempts,
                                   result->attempts == 1 ? " attempt)" : " attempts)"));
}

}  // namespace acrcp
