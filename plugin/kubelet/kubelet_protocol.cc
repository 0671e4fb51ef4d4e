#include "plugin/kubelet/kubelet_protocol.h"

#include <array>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "plugin/kubelet/go_duration.h"

namespace acrcp {
namespace {

using nlohmann::json;

constexpr std::array<absl::string_view, 3> kApiVersions = {
    "credentialprovider.kubelet.k8s.io/v1",
    "credentialprovider.kubelet.k8s.io/v1beta1",
    "credentialprovider.kubelet.k8s.io/v1alpha1",
};

absl::Status RequestError(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid CredentialProviderRequest on stdin: ", what,
      " (the kubelet writes this request; check the provider's apiVersion in the kubelet's "
      "CredentialProviderConfig)"));
}

// Reads an optional string field; absent and null both mean "".
absl::Status OptionalString(const json& doc, const char* key, std::string& out) {
  const auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_string()) return RequestError(absl::StrCat("field '", key, "' is not a string"));
  out = it->get<std::string>();
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CredentialProviderRequest> ParseRequest(absl::string_view text) {
  const json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return RequestError("not valid JSON");
  if (!doc.is_object()) return RequestError("not a JSON object");

  CredentialProviderRequest request;
  std::string kind;
  for (const auto& [key, out] :
       {std::pair<const char*, std::string*>{"apiVersion", &request.api_version},
        {"kind", &kind},
        {"image", &request.image},
        {"serviceAccountToken", &request.service_account_token}}) {
    if (absl::Status s = OptionalString(doc, key, *out); !s.ok()) return s;
  }
  bool known_version = false;
  for (absl::string_view v : kApiVersions) known_version |= request.api_version == v;
  if (!known_version) {
    return RequestError(absl::StrCat("apiVersion '", request.api_version,
                                     "' is not one of credentialprovider.kubelet.k8s.io/v1, "
                                     "v1beta1, v1alpha1"));
  }
  if (kind != "CredentialProviderRequest") {
    return RequestError(absl::StrCat("kind is '", kind, "', expected CredentialProviderRequest"));
  }
  if (request.image.empty()) return RequestError("field 'image' is missing or empty");

  const auto annotations = doc.find("serviceAccountAnnotations");
  if (annotations != doc.end() && !annotations->is_null()) {
    if (!annotations->is_object()) {
      return RequestError("field 'serviceAccountAnnotations' is not an object");
    }
    for (const auto& [key, value] : annotations->items()) {
      if (!value.is_string()) {
        return RequestError(absl::StrCat("annotation '", key, "' is not a string"));
      }
      request.service_account_annotations[key] = value.get<std::string>();
    }
  }
  return request;
}

std::string SerializeResponse(const CredentialProviderResponse& response) {
  // Ordered so the output reads like the kubelet's own examples; the kubelet ignores order.
  using ordered = nlohmann::ordered_json;
  ordered auth = ordered::object();
  for (const auto& [registry, entry] : response.auth) {
    auth[registry] = {{"username", entry.username}, {"password", entry.password}};
  }
  const ordered doc = {
      {"apiVersion", response.api_version},
      {"kind", "CredentialProviderResponse"},
      {"cacheKeyType", response.cache_key_type},
      {"cacheDuration", FormatGoDuration(response.cache_duration)},
      {"auth", auth},
  };
  // Replace rather than throw on invalid UTF-8: the values came from parsed JSON or from
  // ASCII tokens, so this only guards against a future caller.
  return doc.dump(-1, ' ', false, ordered::error_handler_t::replace) + "\n";
}

}  // namespace acrcp
