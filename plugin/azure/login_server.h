// Which registries may receive tokens.
//
// The genuine-host rule (docs/configuration.md, "Which registries get credentials"): an Entra or
// ACR token is only ever sent to a login server whose name matches the cloud's ACR suffix label by
// label, or that the operator listed explicitly. `myacr.azurecr.io.evil.test` and `evil-azurecr.io`
// get nothing. Matching is case-insensitive, as DNS is.
#ifndef ACRCP_PLUGIN_AZURE_LOGIN_SERVER_H_
#define ACRCP_PLUGIN_AZURE_LOGIN_SERVER_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace acrcp {

// The registry part ("host[:port]") of an image reference, normalised as Docker does:
// "nginx" and "library/nginx" belong to "docker.io"; the first path component is a registry
// only if it contains '.' or ':' or is "localhost".
std::string RegistryOfImage(absl::string_view image);

// True when `host` (no port) is an ACR login server under `acr_suffix`:
//   <name>.<suffix>, <name>-<hash>.<suffix> (domain name label scope),
//   <name>.<region>.geo.<suffix>, <name>-<hash>.<region>.geo.<suffix> (geo-replicas).
bool IsAcrLoginServerName(absl::string_view host, absl::string_view acr_suffix);

class LoginServerPolicy {
 public:
  // `extra` are "host[:port]" entries from the config's `registries`, already validated.
  LoginServerPolicy(std::string acr_suffix, std::vector<std::string> extra);

  // True when tokens may be sent to `registry` ("host[:port]" as in the image). Suffix
  // matches are allowed on the default port only; listed entries must match exactly (an
  // entry without a port also matches ":443").
  bool Allows(absl::string_view registry) const;

 private:
  std::string acr_suffix_;
  std::vector<std::string> extra_;
};

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_AZURE_LOGIN_SERVER_H_
