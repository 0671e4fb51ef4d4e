// NetworkHelper that hands each request, or signature, to the helper process.
//
// The helper (acr-credential-provider-http, linked against libcurl) is started on the first
// request of an invocation and ends when this transport is destroyed or the plugin dies.
// It receives only the proxy variables of our environment (HTTPS_PROXY, NO_PROXY, ALL_PROXY
// and their lower-case forms) and the CA bundle path in argv; requests, with their secrets,
// go over a socketpair (http_wire.h). A helper that stops answering is killed once the
// request's timeout has passed.
#ifndef ACRCP_PLUGIN_NET_HELPER_TRANSPORT_H_
#define ACRCP_PLUGIN_NET_HELPER_TRANSPORT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "plugin/net/network_helper.h"

namespace acrcp {

inline constexpr char kHttpHelperName[] = "acr-credential-provider-http";

// The helper beside our own executable (symlinks resolved), else in the install's libexec
// directory. FailedPrecondition naming both places if neither has it.
absl::StatusOr<std::string> LocateHttpHelper();

struct HelperTransportOptions {
  std::string helper_path;
  std::string ca_bundle_file;  // passed on; empty: the system store only
};

// Starts the helper. Unavailable if it cannot be started.
absl::StatusOr<std::unique_ptr<NetworkHelper>> StartHelperTransport(
    const HelperTransportOptions& options);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_NET_HELPER_TRANSPORT_H_
