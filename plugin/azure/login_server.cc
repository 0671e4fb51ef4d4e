#include "plugin/azure/login_server.h"

#include <cctype>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

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

bool AllDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
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

// Splits "host[:port]" (no brackets: ACR hosts are names, not IPv6 literals).
std::pair<absl::string_view, absl::string_view> SplitPort(absl::string_view registry) {
  const size_t colon = registry.rfind(':');
  if (colon == absl::string_view::npos) return {registry, {}};
  return {registry.substr(0, colon), registry.substr(colon + 1)};
}

}  // namespace

std::string RegistryOfImage(absl::string_view image) {
  const size_t slash = image.find('/');
  if (slash == absl::string_view::npos) return "docker.io";
  const absl::string_view first = image.substr(0, slash);
  if (first.find('.') == absl::string_view::npos && first.find(':') == absl::string_view::npos &&
      first != "localhost") {
    return "docker.io";
  }
  return std::string(first);
}

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

LoginServerPolicy::LoginServerPolicy(std::string acr_suffix, std::vector<std::string> extra)
    : acr_suffix_(std::move(acr_suffix)), extra_(std::move(extra)) {
  for (std::string& entry : extra_) absl::AsciiStrToLower(&entry);
}

bool LoginServerPolicy::Allows(absl::string_view registry) const {
  const std::string lower = absl::AsciiStrToLower(registry);
  const auto [host, port] = SplitPort(lower);
  if (lower.find(':') != std::string::npos && !AllDigits(port)) return false;
  // "a:5000:443" would match the entry "a:5000" as if it were a port-less "a".
  if (host.find(':') != absl::string_view::npos) return false;
  const bool default_port = port.empty() || port == "443";
  for (const std::string& entry : extra_) {
    if (entry == lower) return true;
    if (default_port && entry == host) return true;
  }
  return default_port && IsAcrLoginServerName(host, acr_suffix_);
}

}  // namespace acrcp
