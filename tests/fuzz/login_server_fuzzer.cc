// The genuine-host rule (login_server.h) for the public cloud: whatever image a pod author
// writes, tokens go only to a registry that is a label-boundary "<name>.azurecr.io" on the
// default port or one the operator listed, and never to a name carrying characters that
// could make it mean another host. Normalised names (registry_name.h) are lower case,
// without ":443", and normalise to themselves.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "plugin/azure/login_server.h"
#include "plugin/azure/registry_name.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using acrcp::fuzz::Require;

const std::vector<std::string>& Listed() {
  static const std::vector<std::string> listed = {"registry.contoso.com", "localhost:5000"};
  return listed;
}

// Listed entries match exactly; one without a port also matches ":443".
bool IsListed(absl::string_view lower) {
  for (const std::string& entry : Listed()) {
    if (lower == entry) return true;
    if (entry.find(':') == std::string::npos && lower == entry + ":443") return true;
  }
  return false;
}

void CheckAllowed(const acrcp::LoginServerPolicy& policy, absl::string_view registry) {
  if (!policy.Allows(registry)) return;
  for (char c : registry) {
    const auto u = static_cast<unsigned char>(c);
    Require(c != '/' && c != '@' && c != '\\' && c != '?' && c != '#' && !std::isspace(u) &&
                !std::iscntrl(u) && u < 0x80,
            "an allowed registry has no character that could change the host");
  }
  const std::string lower = absl::AsciiStrToLower(registry);
  if (IsListed(lower)) return;
  absl::string_view host = lower;
  absl::ConsumeSuffix(&host, ":443");
  Require(absl::EndsWith(host, ".azurecr.io"), "an unlisted allowed registry ends in .azurecr.io");
  const absl::string_view name = host.substr(0, host.size() - std::string(".azurecr.io").size());
  Require(!name.empty() && name.front() != '.' && name.back() != '.' &&
              name.find("..") == absl::string_view::npos,
          "the suffix match is on whole, non-empty labels");
  Require(name.find(':') == absl::string_view::npos, "a suffix match uses the default port");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const acrcp::LoginServerPolicy policy("azurecr.io", Listed());
  const absl::string_view image = acrcp::fuzz::AsText(data, size);

  const std::string registry = acrcp::RegistryOfImage(image);
  Require(
      registry == "docker.io" || (absl::StartsWith(image, registry) &&
                                  image.size() > registry.size() && image[registry.size()] == '/'),
      "the registry is the image's first path component, or docker.io");
  Require(registry.find('/') == std::string::npos, "a registry has no '/'");
  CheckAllowed(policy, registry);
  // The fuzzer also tries registries directly, as a config's mirror targets are checked.
  CheckAllowed(policy, image);

  const absl::StatusOr<std::string> normalized = acrcp::NormalizeRegistry(image);
  if (normalized.ok()) {
    Require(*normalized == absl::AsciiStrToLower(*normalized), "a normalised name is lower case");
    Require(!absl::EndsWith(*normalized, ":443"), "a normalised name has no default port");
    const absl::StatusOr<std::string> again = acrcp::NormalizeRegistry(*normalized);
    Require(again.ok() && *again == *normalized, "normalising is idempotent");
    Require(policy.Allows(image) == policy.Allows(*normalized),
            "the rule judges a name and its normal form alike");
  }
  return 0;
}
