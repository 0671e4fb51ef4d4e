// The real HTTPS transport: libcurl with its OpenSSL backend. Linked only into the HTTPS
// helper (http_helper_main.cc), never into the plugin itself (docs/performance.md).
//
// TLS peers are always verified against the system store plus, optionally, an
// operator-supplied CA bundle; there is no way to turn verification off. HTTPS_PROXY /
// NO_PROXY are honoured by libcurl. Redirects are never followed, so a token cannot be sent
// anywhere the caller did not name.
#ifndef ACRCP_PLUGIN_HELPER_CURL_TRANSPORT_H_
#define ACRCP_PLUGIN_HELPER_CURL_TRANSPORT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "plugin/net/http_transport.h"

namespace acrcp {

struct CurlTransportOptions {
  std::string ca_bundle_file;  // trusted in addition to the system store; empty: none
};

// FailedPrecondition when libcurl cannot be initialised; errors reading the CA bundle
// name the file.
absl::StatusOr<std::unique_ptr<HttpTransport>> NewCurlTransport(
    const CurlTransportOptions& options);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_HELPER_CURL_TRANSPORT_H_
