#include "plugin/azure/identifiers.h"

#include <cctype>
#include <cstdint>
#include <random>
#include <string>

#include "absl/strings/str_format.h"

namespace acrcp {

bool IsGuid(absl::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

bool IsTenantId(absl::string_view s) {
  if (IsGuid(s)) return true;
  if (s.empty() || s.size() > 253 || s.find('.') == absl::string_view::npos) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') return false;
  }
  return s.front() != '.' && s.back() != '.';
}

std::string RandomGuid() {
  std::random_device random;  // the kernel's CSPRNG on Linux
  uint32_t words[4];
  for (uint32_t& word : words) word = random();
  words[1] = (words[1] & 0xFFFF0FFFu) | 0x00004000u;  // version 4
  words[2] = (words[2] & 0x3FFFFFFFu) | 0x80000000u;  // RFC 4122 variant
  return absl::StrFormat("%08x-%04x-%04x-%04x-%04x%08x", words[0], words[1] >> 16,
                         words[1] & 0xFFFF, words[2] >> 16, words[2] & 0xFFFF, words[3]);
}

}  // namespace acrcp
