#include "plugin/azure/login_server.h"

#include <cctype>
#include <string>
#include <utility>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "plugin/azure/registry_name.h"

namespace acrcp {
namespace {

constexpr size_t kMaxRegistryNameLength = 50;
constexpr size_t kMaxLabelLength = 63;

bool AllAlnum(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// "<name>" or "<name>-<hash>" (ACR's domain name label scope appends a dash and a hash).
bool IsRegistryLabel(absl::string_view label) {
  if (label.size() > kMaxLabelLength) return false;
  const size_t dash = label.find('-');
  const absl::string_view name = label.substr(0, dash);
  if (name.size() > kMaxRegistryNameLength || !AllAlnum(name)) return false;
  return dash == absl::string_view::npos || AllAlnum(label.substr(dash + 1));
}

}  // namespace

bool IsAcrLoginServerName(absl::string_view host, absl::string_view acr_suffix) {
  const std::string lower_host = absl::AsciiStrToLower(host);
  const std::string lower_suffix = absl::AsciiStrToLower(acr_suffix);
  const std::vector<absl::string_view> labels = absl::StrSplit(lower_host, '.');
  const std::vector<absl::string_view> suffix = absl::StrSplit(lower_suffix, '.');
  if (labels.size() <= suffix.size()) return false;
  const size_t prefix_count = labels.size() - suffix.size();
  for (size_t i = 0; i < suffix.size(); ++i) {
    if (suffix[i].empty() || labels[prefix_count + i] != suffix[i]) return false;
  }
  if (!IsRegistryLabel(labels[0])) return false;
  if (prefix_count == 1) return true;
  // <name>.<region>.geo.<suffix>
  return prefix_count == 3 && AllAlnum(labels[1]) && labels[1].size() <= kMaxLabelLength &&
         labels[2] == "geo";
}

LoginServerPolicy::LoginServerPolicy(std::string acr_suffix, const std::vector<std::string>& extra)
    : acr_suffix_(std::move(acr_suffix)) {
  for (const std::string& entry : extra) {
    if (absl::StatusOr<std::string> name = NormalizeRegistry(entry); name.ok()) {
      extra_.push_back(*std::move(name));
    }
  }
}

bool LoginServerPolicy::Allows(absl::string_view registry) const {
  const absl::StatusOr<std::string> name = NormalizeRegistry(registry);
  if (!name.ok()) return false;
  if (absl::c_linear_search(extra_, *name)) return true;
  const auto [host, port] = SplitRegistry(*name);
  return port.empty() && IsAcrLoginServerName(host, acr_suffix_);
}

}  // namespace acrcp
