#include "plugin/azure/registry_name.h"

#include <string>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace acrcp {
namespace {

constexpr absl::string_view kDefaultPort = "443";
constexpr size_t kMaxHostLength = 253;  // DNS

absl::Status Invalid(absl::string_view name, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("'", name, "' is not a registry name: ", why));
}

bool IsHostChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
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

absl::StatusOr<std::string> NormalizeRegistry(absl::string_view name) {
  if (absl::StartsWith(name, "[")) {
    return Invalid(name, "IPv6 addresses are not supported, use a host name");
  }
  const size_t colon = name.find(':');
  const absl::string_view host = name.substr(0, colon);
  if (host.empty() || host.size() > kMaxHostLength) return Invalid(name, "no host");
  for (char c : host) {
    if (!IsHostChar(c)) return Invalid(name, "a host has only letters, digits, '-' and '.'");
  }
  if (host.front() == '.' || host.back() == '.' || absl::StrContains(host, "..")) {
    return Invalid(name, "empty DNS label");
  }
  std::string normalized = absl::AsciiStrToLower(host);
  if (colon == absl::string_view::npos) return normalized;
  const absl::string_view port = name.substr(colon + 1);
  int number = 0;
  if (port.empty() || port.size() > 5 || !absl::c_all_of(port, absl::ascii_isdigit) ||
      !absl::SimpleAtoi(port, &number) || number < 1 || number > 65535) {
    return Invalid(name, "the port must be a number from 1 to 65535");
  }
  if (port != kDefaultPort) absl::StrAppend(&normalized, ":", port);
  return normalized;
}

std::pair<absl::string_view, absl::string_view> SplitRegistry(absl::string_view normalized) {
  const size_t colon = normalized.find(':');
  if (colon == absl::string_view::npos) return {normalized, {}};
  return {normalized.substr(0, colon), normalized.substr(colon + 1)};
}

absl::StatusOr<std::string> RegistryOfServerUrl(absl::string_view server_url) {
  absl::string_view rest = absl::StripAsciiWhitespace(server_url);
  const size_t scheme_end = rest.find("://");
  if (scheme_end != absl::string_view::npos) {
    const std::string scheme = absl::AsciiStrToLower(rest.substr(0, scheme_end));
    if (scheme == "http") {
      return absl::FailedPreconditionError(
          absl::StrCat("refusing credentials for ", rest,
                       ": plain HTTP would send the token in the clear (use https://)"));
    }
    if (scheme != "https") {
      return absl::InvalidArgumentError(absl::StrCat("unsupported scheme '", scheme, "'"));
    }
    rest.remove_prefix(scheme_end + 3);
  }
  return NormalizeRegistry(rest.substr(0, rest.find('/')));
}

absl::StatusOr<std::string> NormalizeHttpsOrigin(absl::string_view url) {
  absl::string_view rest = url;
  if (!absl::ConsumePrefix(&rest, "https://")) {
    return absl::InvalidArgumentError(absl::StrCat("'", url, "' is not an https:// URL"));
  }
  absl::ConsumeSuffix(&rest, "/");
  absl::StatusOr<std::string> host = NormalizeRegistry(rest);
  if (!host.ok()) return host.status();
  return absl::StrCat("https://", *host);
}

}  // namespace acrcp
