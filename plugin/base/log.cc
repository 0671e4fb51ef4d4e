#include "plugin/base/log.h"

#include <unistd.h>

#include <cctype>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "plugin/base/fd_io.h"

namespace acrcp::log {
namespace {

int g_verbosity = 0;

std::vector<std::string>& Secrets() {
  static std::vector<std::string> secrets;
  return secrets;
}

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
         c == '=';
}

// JWTs (and Entra/ACR tokens generally) start with a base64url-encoded '{"' = "eyJ".
std::string RedactJwts(absl::string_view text) {
  constexpr absl::string_view kMarker = "eyJ";
  constexpr size_t kMinTokenLength = 16;
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t start = text.find(kMarker, pos);
    if (start == absl::string_view::npos) break;
    size_t end = start;
    while (end < text.size() && IsTokenChar(text[end])) ++end;
    absl::StrAppend(&out, text.substr(pos, start - pos));
    if (end - start >= kMinTokenLength) {
      out.append("[REDACTED]");
    } else {
      absl::StrAppend(&out, text.substr(start, end - start));
    }
    pos = end;
  }
  absl::StrAppend(&out, text.substr(pos));
  return out;
}

void ReplaceAll(std::string& text, absl::string_view needle, absl::string_view replacement) {
  size_t pos = 0;
  while ((pos = text.find(needle.data(), pos, needle.size())) != std::string::npos) {
    text.replace(pos, needle.size(), replacement.data(), replacement.size());
    pos += replacement.size();
  }
}

void WriteLine(absl::string_view text) {
  std::string line(kPrefix);
  absl::StrAppend(&line, Redact(text));
  line.push_back('\n');
  // A failed write to stderr is not worth failing over; there is nowhere else to report it.
  WriteAll(STDERR_FILENO, line);
}

}  // namespace

void SetVerbosity(int verbosity) { g_verbosity = verbosity; }

void RegisterSecret(absl::string_view secret) {
  if (secret.size() >= 4) Secrets().emplace_back(secret);
}

std::string Redact(absl::string_view text) {
  std::string out(text);
  for (const std::string& secret : Secrets()) ReplaceAll(out, secret, "[REDACTED]");
  out = RedactJwts(out);
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

void Debug(int level, absl::string_view text) {
  if (level <= g_verbosity) WriteLine(text);
}

void Error(absl::string_view text) { WriteLine(text); }

}  // namespace acrcp::log
