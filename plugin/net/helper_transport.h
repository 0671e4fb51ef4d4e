// NetworkHelper that hands each request, or signature, to the helper process.
//
// The helper (acr-credential-provider-http, linked against libcurl) is started on the first
// request of an invocation and ends when this transport is destroyed or the plugin dies.
// It receives only proxy variables (HTTPS_PROXY, NO_PROXY, ALL_PROXY and their lower-case
// forms; ours, unless the caller names others) and the CA bundle path in argv; requests, with their
// secrets, go over a socketpair (http_wire.h). A helper that stops answering is killed once the
// request's timeout has passed.
#ifndef ACRCP_PLUGIN_NET_HELPER_TRANSPORT_H_
#define ACRCP_PLUGIN_NET_HELPER_TRANSPORT_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "plugin/net/network_helper.h"

namespace acrcp {

inline constexpr char kHttpHelperName[] = "acr-credential-provider-http";

// The helper beside our own executable (symlinks resolved: the build tree), else where the
// install puts it relative to the plugin (<libexec>/acr-credential-provider/, whatever the
// prefix). FailedPrecondition naming both places if neither has it.
absl::StatusOr<std::string> LocateHttpHelper();

struct HelperTransportOptions {
  std::string helper_path;
  std::string ca_bundle_file;  // passed on; empty: the system store only
  // The proxy variables to give the helper ("NAME=value"); nullopt: those of our own
  // environment. `check` passes the ones K3s's kubelet runs with.
  std::optional<std::vector<std::string>> proxy_environment;
  // Called about once a second while an answer is awaited, with the host (or what is being
  // done) and how long it has been; may be empty.
  std::function<void(absl::string_view what, absl::Duration waited)> on_wait;
};

// The proxy variables the helper receives (HTTPS_PROXY, NO_PROXY, ALL_PROXY and their
// lower-case forms), picked from `environment` ("NAME=value" entries).
std::vector<std::string> ProxyVariables(const std::vector<std::string>& environment);

// Starts the helper. Unavailable if it cannot be started.
absl::StatusOr<std::unique_ptr<NetworkHelper>> StartHelperTransport(
    const HelperTransportOptions& options);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_NET_HELPER_TRANSPORT_H_
