#include "plugin/azure/entra_client.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "plugin/azure/entra_errors.h"
#include "plugin/base/log.h"

namespace acrcp {
namespace {

// expires_in is a number, or a numeric string in some Entra and managed-identity answers.
bool ReadExpiresIn(const nlohmann::json& doc, int64_t& seconds) {
  const auto it = doc.find("expires_in");
  if (it == doc.end()) return false;
  if (it->is_number_integer()) {
    seconds = it->get<int64_t>();
    return true;
  }
  return it->is_string() && absl::SimpleAtoi(it->get<std::string>(), &seconds);
}

}  // namespace

std::string EntraTokenEndpoint(absl::string_view authority_host, absl::string_view tenant_id) {
  return absl::StrCat(authority_host, "/", tenant_id, "/oauth2/v2.0/token");
}

absl::StatusOr<AccessToken> RequestEntraToken(HttpTransport& transport, Retrier& retrier,
                                              const EntraTokenRequest& request, absl::Time now) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"grant_type", "client_credentials"},
      {"client_id", request.client_id},
  };
  fields.insert(fields.end(), request.credential_fields.begin(), request.credential_fields.end());
  fields.emplace_back("scope", absl::StrCat(request.audience, "/.default"));

  HttpRequest http;
  http.url = EntraTokenEndpoint(request.authority_host, request.tenant_id);
  http.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                  {"Accept", "application/json"}};
  http.body = FormEncode(fields);
  log::Debug(
      1, absl::StrCat("requesting an Entra ID token for client ", request.client_id, " in tenant ",
                      request.tenant_id, " from ", HostOfUrl(request.authority_host)));

  absl::StatusOr<RetriedResponse> result = retrier.Send(transport, std::move(http));
  if (!result.ok()) {
    return absl::Status(result.status().code(),
                        absl::StrCat("Entra ID sign-in for client ", request.client_id,
                                     " failed: ", result.status().message()));
  }
  const HttpResponse& response = result->response;
  if (response.status != 200) {
    return EntraError(request, response.status, response.body, result->attempts);
  }
  return ParseAccessTokenResponse(response.body, now,
                                  absl::StrCat("Entra ID sign-in for client ", request.client_id,
                                               " failed: ", HostOfUrl(request.authority_host)));
}

absl::StatusOr<AccessToken> ParseAccessTokenResponse(absl::string_view body, absl::Time now,
                                                     absl::string_view source) {
  const nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
  int64_t expires_in = 0;
  const auto token = doc.is_object() ? doc.find("access_token") : doc.end();
  if (!doc.is_object() || token == doc.end() || !token->is_string() ||
      token->get<std::string>().empty() || !ReadExpiresIn(doc, expires_in)) {
    return absl::UnavailableError(
        absl::StrCat(source,
                     " answered 200 without access_token and expires_in (is a proxy answering in "
                     "its place?)"));
  }
  AccessToken out{token->get<std::string>(), now + absl::Seconds(expires_in)};
  log::RegisterSecret(out.value);
  return out;
}

}  // namespace acrcp
