// Diagnostics on stderr.
//
// stdout belongs to the kubelet protocol; stderr is copied by the kubelet into its own log
// and into pod events, so it is the only place an operator sees what went wrong. Everything
// written here passes through Redact() first: secrets registered with RegisterSecret() and
// anything shaped like a JWT are replaced, so a careless message cannot leak a credential.
// Not thread-safe: the plugin is single-threaded.
#ifndef ACRCP_PLUGIN_BASE_LOG_H_
#define ACRCP_PLUGIN_BASE_LOG_H_

#include <string>

#include "absl/strings/string_view.h"

namespace acrcp::log {

inline constexpr absl::string_view kPrefix = "acr-credential-provider: ";

// Diagnostics at level <= verbosity are written; 0 (the default) writes only errors.
void SetVerbosity(int verbosity);

// From now on every occurrence of `secret` in logged text is replaced. Values shorter than
// 4 bytes are ignored (they would redact ordinary words, and no real secret is that short).
void RegisterSecret(absl::string_view secret);

// `text` with registered secrets and JWT-shaped tokens replaced by "[REDACTED]" and line
// breaks folded into spaces, so one message is always one line.
std::string Redact(absl::string_view text);

// Writes "acr-credential-provider: <text>" as one line when level <= the verbosity.
void Debug(int level, absl::string_view text);

// Writes "acr-credential-provider: <text>" as one line, whatever the verbosity.
void Error(absl::string_view text);

}  // namespace acrcp::log

#endif  // ACRCP_PLUGIN_BASE_LOG_H_
