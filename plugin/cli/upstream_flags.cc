#include "plugin/cli/upstream_flags.h"

#include <array>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "plugin/azure/registry_name.h"

namespace acrcp {
namespace {

// k8s.io/klog/v2's flags (klog.InitFlags), in both spellings k8s components accept.
constexpr std::array<absl::string_view, 10> kKlogSwitches = {
    "--logtostderr",      "--alsologtostderr",  "--skip-headers",   "--skip_headers",
    "--skip-log-headers", "--skip_log_headers", "--add-dir-header", "--add_dir_header",
    "--one-output",       "--one_output"};
constexpr std::array<absl::string_view, 12> kKlogValued = {"--log-dir",
                                                           "--log_dir",
                                                           "--log-file",
                                                           "--log_file",
                                                           "--log-file-max-size",
                                                           "--log_file_max_size",
                                                           "--stderrthreshold",
                                                           "--vmodule",
                                                           "--log-backtrace-at",
                                                           "--log_backtrace_at",
                                                           "--log-flush-frequency",
                                                           "--logging-format"};

absl::Status BadPair(absl::string_view pair, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("--registry-mirror: '", pair, "' ", why,
                   " (write source:target or source=target, e.g. "
                   "mcr.microsoft.com:myacr.azurecr.io or registry.local:5000=myacr.azurecr.io)"));
}

bool IsRegistry(absl::string_view name) { return NormalizeRegistry(name).ok(); }

}  // namespace

std::optional<KlogFlag> FindKlogFlag(absl::string_view name) {
  for (absl::string_view flag : kKlogSwitches) {
    if (name == flag) return KlogFlag::kSwitch;
  }
  for (absl::string_view flag : kKlogValued) {
    if (name == flag) return KlogFlag::kTakesValue;
  }
  return std::nullopt;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ParseRegistryMirrorFlag(
    absl::string_view value) {
  const std::string compact = absl::StrReplaceAll(value, {{" ", ""}, {"\t", ""}});
  std::vector<std::pair<std::string, std::string>> mirrors;
  for (absl::string_view pair : absl::StrSplit(compact, ',', absl::SkipEmpty())) {
    const size_t equals = pair.find('=');
    if (equals != absl::string_view::npos) {
      const absl::string_view source = pair.substr(0, equals);
      const absl::string_view target = pair.substr(equals + 1);
      if (!IsRegistry(source) || !IsRegistry(target)) {
        return BadPair(pair, "is not two registry names");
      }
      mirrors.emplace_back(source, target);
      continue;
    }
    std::vector<std::pair<std::string, std::string>> splits;
    for (size_t colon = pair.find(':'); colon != absl::string_view::npos;
         colon = pair.find(':', colon + 1)) {
      const absl::string_view source = pair.substr(0, colon);
      const absl::string_view target = pair.substr(colon + 1);
      if (IsRegistry(source) && IsRegistry(target)) splits.emplace_back(source, target);
    }
    if (splits.empty()) return BadPair(pair, "is not two registry names joined by ':'");
    if (splits.size() > 1) {
      return BadPair(pair,
                     absl::StrCat("can be read as ", splits[0].first, " -> ", splits[0].second,
                                  " or as ", splits[1].first, " -> ", splits[1].second));
    }
    mirrors.push_back(std::move(splits[0]));
  }
  if (mirrors.empty()) return BadPair(value, "names no mirror");
  return mirrors;
}

}  // namespace acrcp
