// The kubelet's exec credential provider protocol (credentialprovider.kubelet.k8s.io
// v1, v1beta1, v1alpha1): a CredentialProviderRequest on stdin, a CredentialProviderResponse
// on stdout.
//
// The kubelet decodes the response strictly: an unknown field, a wrong-case key or an
// apiVersion other than the request's makes it discard the answer. SerializeResponse() is
// therefore the only code that produces stdout, and it emits exactly apiVersion, kind,
// cacheKeyType, cacheDuration and auth.
#ifndef ACRCP_PLUGIN_KUBELET_KUBELET_PROTOCOL_H_
#define ACRCP_PLUGIN_KUBELET_KUBELET_PROTOCOL_H_

#include <cstddef>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace acrcp {

inline constexpr size_t kMaxRequestBytes = 1 << 20;

struct CredentialProviderRequest {
  std::string api_version;
  std::string image;  // repository without tag or digest, e.g. "myacr.azurecr.io/team/app"
  std::string service_account_token;  // v1 only (KEP-4412); empty when absent
  std::map<std::string, std::string> service_account_annotations;
};

struct AuthEntry {
  std::string username;
  std::string password;
};

struct CredentialProviderResponse {
  std::string api_version;
  std::string cache_key_type = "Registry";
  absl::Duration cache_duration;
  std::map<std::string, AuthEntry> auth;  // key: registry as the kubelet matches it
};

// Parses and validates a request. Returns InvalidArgument naming the offending field.
absl::StatusOr<CredentialProviderRequest> ParseRequest(absl::string_view text);

// The response as one line of JSON, newline-terminated.
std::string SerializeResponse(const CredentialProviderResponse& response);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_KUBELET_KUBELET_PROTOCOL_H_
