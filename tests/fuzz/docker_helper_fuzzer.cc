// What Docker-style clients send the credential helper on stdin: a server URL (get, erase)
// or a store request. RegistryOfServerUrl (registry_name.h) yields only a plain lower-case
// "host[:port]" without the default port that maps to itself, refuses http://, and
// ParseStoreRequest never crashes and insists on its fields.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "plugin/azure/registry_name.h"
#include "plugin/docker/docker_credential_helper.h"
#include "tests/fuzz/fuzz_check.h"

using acrcp::fuzz::Require;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input = acrcp::fuzz::AsText(data, size);

  const absl::StatusOr<std::string> registry = acrcp::RegistryOfServerUrl(input);
  if (registry.ok()) {
    Require(!registry->empty(), "a registry is never empty");
    for (char c : *registry) {
      Require(absl::ascii_islower(c) || absl::ascii_isdigit(c) ||
                  absl::string_view(".-:").find(c) != absl::string_view::npos,
              "a registry is lower-case host characters only (no '/', '@', space, query)");
    }
    Require(!absl::EndsWith(*registry, ":443"), "the default port is dropped");
    const absl::StatusOr<std::string> again = acrcp::RegistryOfServerUrl(*registry);
    Require(again.ok() && *again == *registry, "a registry is its own server URL");
  } else {
    Require(absl::IsInvalidArgument(registry.status()) ||
                (absl::IsFailedPrecondition(registry.status()) &&
                 absl::StartsWithIgnoreCase(absl::StripLeadingAsciiWhitespace(input), "http://")),
            "a bad server URL is InvalidArgument, a plain-HTTP one FailedPrecondition");
  }

  const absl::StatusOr<acrcp::StoredCredentials> stored = acrcp::ParseStoreRequest(input);
  if (stored.ok()) {
    Require(!stored->server_url.empty() && !stored->username.empty(),
            "a store request has a server URL and a username");
  } else {
    Require(absl::IsInvalidArgument(stored.status()), "a bad store request is InvalidArgument");
  }
  return 0;
}
