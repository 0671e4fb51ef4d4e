// The real HTTPS transport: libcurl with its OpenSSL backend, loaded on first use.
//
// libcurl is dlopen()ed rather than linked because loading it and its ~30 dependencies
// costs several milliseconds per exec, which would dominate a cache hit that never touches
// the network (docs/performance.md). TLS peers are always verified against the system store
// plus, optionally, an operator-supplied CA bundle; there is no way to turn verification
// off. HTTPS_PROXY / NO_PROXY are honoured by libcurl itself. Redirects are never followed,
// so a token cannot be sent anywhere the caller did not name.
#ifndef ACRCP_PLUGIN_CURL_TRANSPORT_H_
#define ACRCP_PLUGIN_CURL_TRANSPORT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "plugin/http_transport.h"

namespace acrcp {

struct CurlTransportOptions {
  std::string ca_bundle_file;  // added to the system trust store; empty: system store only
};

// Loads libcurl (once per process) and returns a transport. FailedPrecondition when
// libcurl cannot be loaded or is too old; errors reading the CA bundle name the file.
absl::StatusOr<std::unique_ptr<HttpTransport>> NewCurlTransport(
    const CurlTransportOptions& options);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_CURL_TRANSPORT_H_
