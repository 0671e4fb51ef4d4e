// The managed identity of an Azure Arc-enabled server, from the Arc agent's HIMDS endpoint
// (localhost:40342). The agent first answers 401 naming a key file; whoever can read that
// file (root, or group himds) proves it is local and privileged by sending its contents
// back. The file is read only if it lies directly in /var/opt/azcmagent/tokens, ends in
// ".key", is not a symlink and holds at most 4 KiB, so a rogue answer cannot make the plugin
// read, and send, any other file.
#ifndef ACRCP_PLUGIN_IDENTITY_ARC_IDENTITY_H_
#define ACRCP_PLUGIN_IDENTITY_ARC_IDENTITY_H_

#include <string>

#include "absl/strings/string_view.h"
#include "plugin/identity/managed_identity.h"

namespace acrcp {

inline constexpr char kArcTokenDirectory[] = "/var/opt/azcmagent/tokens";

// The path in the agent's challenge "Basic realm=<path>" (quotes tolerated), or "" if the
// Www-Authenticate header is not that.
std::string RealmPath(absl::string_view header);

// True when `path` names a ".key" file directly in kArcTokenDirectory: the only file the
// challenge may make the plugin read and send.
bool IsAllowedKeyPath(absl::string_view path);

class ArcIdentity : public ManagedIdentity {
 public:
  ArcIdentity(std::string tenant_id, std::string endpoint, std::string id);

  absl::StatusOr<AccessToken> GetAccessToken(NetworkHelper& helper, Retrier& retrier,
                                             const Cloud& cloud, absl::Time now) override;
};

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_IDENTITY_ARC_IDENTITY_H_
