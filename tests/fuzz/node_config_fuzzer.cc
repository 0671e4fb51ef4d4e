// The node config (a JSON file an operator writes, plus the Azure SDK environment
// variables): ParseNodeConfig never crashes, every problem is a Status, and an accepted
// config keeps the limits and the genuine-host rule that the rest of the plugin relies on.
//
// Input: the config JSON, optionally followed by a form feed and environment variables as
// NAME=VALUE lines (no form feed: the environment is empty).
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "plugin/azure/login_server.h"
#include "plugin/azure/registry_name.h"
#include "plugin/config/node_config.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using acrcp::fuzz::Require;

std::map<std::string, std::string, std::less<>> ParseEnvironment(absl::string_view lines) {
  std::map<std::string, std::string, std::less<>> env;
  for (absl::string_view line : absl::StrSplit(lines, '\n', absl::SkipEmpty())) {
    const std::pair<std::string, std::string> variable =
        absl::StrSplit(line, absl::MaxSplits('=', 1));
    env.insert(variable);
  }
  return env;
}

void CheckAccepted(const acrcp::NodeConfig& config) {
  Require(config.timeout >= absl::Seconds(1) && config.timeout <= absl::Seconds(55),
          "timeoutSeconds is within 1..55");
  Require(config.max_cache_duration >= absl::ZeroDuration() &&
              config.max_cache_duration <= absl::Hours(24),
          "maxCacheDurationSeconds is within 0..86400");
  Require(absl::StartsWith(config.cache_dir, "/"), "cacheDir is absolute");
  const acrcp::LoginServerPolicy policy(config.cloud.acr_suffix, config.registries);
  for (const auto& [source, target] : config.mirrors) {
    Require(policy.Allows(target), "every mirror target passes the genuine-host rule");
    const absl::StatusOr<std::string> normalized = acrcp::NormalizeRegistry(source);
    Require(normalized.ok() && *normalized == source, "every mirror source is normalised");
  }
  for (const acrcp::RegistryIdentity& mapped : config.identities) {
    Require(!std::holds_alternative<acrcp::NoCredential>(mapped.identity.credential),
            "every entry of identities has a credential");
    for (const std::string& registry : mapped.registries) {
      Require(policy.Allows(registry), "every mapped registry passes the genuine-host rule");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto [json, environment] = acrcp::fuzz::SplitAtFormFeed(acrcp::fuzz::AsText(data, size));
  const auto variables = ParseEnvironment(environment);
  const acrcp::EnvLookup env = [&variables](absl::string_view name) -> std::optional<std::string> {
    const auto it = variables.find(name);
    if (it == variables.end()) return std::nullopt;
    return it->second;
  };
  // As a root-only file and as a group-readable one: privacy only ever permits more.
  const absl::StatusOr<acrcp::NodeConfig> shared =
      acrcp::ParseNodeConfig(json, "/etc/fuzz/config.json", false, env);
  const absl::StatusOr<acrcp::NodeConfig> private_file =
      acrcp::ParseNodeConfig(json, "/etc/fuzz/config.json", true, env);
  for (const auto* result : {&shared, &private_file}) {
    if (result->ok()) {
      CheckAccepted(**result);
    } else {
      Require(!result->status().message().empty(), "a refusal says why");
    }
  }
  Require(!shared.ok() || private_file.ok(),
          "a config valid in a shared file is valid in a private one");
  return 0;
}
