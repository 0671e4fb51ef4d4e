// Which registries may receive tokens.
//
// The genuine-host rule (docs/configuration.md, "Which registries get credentials"): an Entra or
// ACR token is only ever sent to a login server whose name matches the cloud's ACR suffix label by
// label, or that the operator listed explicitly. `myacr.azurecr.io.evil.test` and `evil-azurecr.io`
// get nothing. Names are compared as registry_name.h normalises them, so matching is
// case-insensitive, as DNS is, and ":443" is the default port.
#ifndef ACRCP_PLUGIN_AZURE_LOGIN_SERVER_H_
#define ACRCP_PLUGIN_AZURE_LOGIN_SERVER_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace acrcp {

// True when `host` (no port) is an ACR login server under `acr_suffix`:
//   <name>.<suffix>, <name>-<hash>.<suffix> (domain name label scope),
//   <name>.<region>.geo.<suffix>, <name>-<hash>.<region>.geo.<suffix> (geo-replicas).
bool IsAcrLoginServerName(absl::string_view host, absl::string_view acr_suffix);

class LoginServerPolicy {
 public:
  // `extra` are "host[:port]" entries from the config's `registries`.
  LoginServerPolicy(std::string acr_suffix, const std::vector<std::string>& extra);

  // True when tokens may be sent to `registry` ("host[:port]" in any spelling that
  // NormalizeRegistry accepts). Suffix matches are allowed on the default port only; listed
  // entries must match exactly once both are normalised.
  bool Allows(absl::string_view registry) const;

 private:
  std::string acr_suffix_;
  std::vector<std::string> extra_;
};

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_AZURE_LOGIN_SERVER_H_
