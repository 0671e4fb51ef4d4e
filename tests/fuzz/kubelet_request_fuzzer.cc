// The kubelet's CredentialProviderRequest (stdin): ParseRequest never crashes, refuses with
// InvalidArgument, and what it accepts round-trips through SerializeResponse into the one
// line of strict JSON the kubelet decodes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "plugin/azure/registry_name.h"
#include "plugin/kubelet/kubelet_protocol.h"
#include "tests/fuzz/fuzz_check.h"

using acrcp::fuzz::Require;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::StatusOr<acrcp::CredentialProviderRequest> request =
      acrcp::ParseRequest(acrcp::fuzz::AsText(data, size));
  if (!request.ok()) {
    Require(absl::IsInvalidArgument(request.status()), "a bad request is InvalidArgument");
    return 0;
  }
  Require(!request->image.empty(), "an accepted request names an image");

  // A response as the provider builds one: the request's apiVersion, an entry keyed by the
  // image's registry, request strings as credentials.
  acrcp::CredentialProviderResponse response;
  response.api_version = request->api_version;
  response.cache_duration = absl::Seconds(static_cast<int64_t>(size));
  const std::string registry = acrcp::RegistryOfImage(request->image);
  response.auth[registry] = {request->image, request->service_account_token};
  for (const auto& [key, value] : request->service_account_annotations) {
    response.auth[key] = {key, value};
  }
  const std::string line = acrcp::SerializeResponse(response);
  Require(!line.empty() && line.back() == '\n' && line.find('\n') == line.size() - 1,
          "the response is exactly one line");

  // at() throws on a missing field, and an uncaught exception is a crash too.
  const nlohmann::json doc = nlohmann::json::parse(line, nullptr, false);
  Require(doc.is_object() && doc.size() == 5, "the response has exactly its five fields");
  Require(doc.at("apiVersion") == request->api_version, "the response echoes the apiVersion");
  Require(doc.at("kind") == "CredentialProviderResponse", "the response's kind");
  Require(doc.at("auth").size() == response.auth.size(), "every auth entry is serialised");
  const nlohmann::json& entry = doc.at("auth").at(registry);
  Require(entry.is_object() && entry.size() == 2, "an auth entry is username and password");
  Require(entry.at("password") == response.auth[registry].password &&
              entry.at("username") == response.auth[registry].username,
          "credentials survive serialisation unchanged");
  return 0;
}
