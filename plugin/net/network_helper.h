// Everything the plugin asks of its helper process: HTTPS requests and assertion
// signatures. The real one is the helper (helper_transport.h); tests script their own.
#ifndef ACRCP_PLUGIN_NET_NETWORK_HELPER_H_
#define ACRCP_PLUGIN_NET_NETWORK_HELPER_H_

#include "plugin/net/http_transport.h"
#include "plugin/net/jwt_signer.h"

namespace acrcp {

class NetworkHelper : public HttpTransport, public JwtSigner {};

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_NET_NETWORK_HELPER_H_
