// The wire format between the plugin and its HTTPS helper (acr-credential-provider-http).
//
// The plugin is linked statically so a cache hit costs little more than an exec; the helper
// is linked against libcurl and OpenSSL and runs only when a request must be sent. They talk
// over a socketpair: secrets travel in these messages, never in argv or the environment.
//
// Every message is two frames, each a 4-byte big-endian length and that many bytes: first a
// JSON header, then the raw body. Requests:
//   HTTP: {"kind":"http","method","url","headers","bypassProxy","timeoutMs"}, body = request body
//   sign: {"kind":"sign","algorithm","password","payload"}, body = the PEM to sign with
// A result header is {"status","headers"} or {"error":{"code","message"}}; a signature comes
// back as a result whose body is the compact JWT.
#ifndef ACRCP_PLUGIN_NET_HTTP_WIRE_H_
#define ACRCP_PLUGIN_NET_HTTP_WIRE_H_

#include <cstddef>
#include <string>
#include <variant>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "plugin/net/http_transport.h"
#include "plugin/net/jwt_signer.h"

namespace acrcp {

inline constexpr size_t kMaxWireFrameBytes = 4 << 20;

std::string EncodeRequest(const HttpRequest& request);
std::string EncodeSignRequest(const AssertionSigningRequest& request);
std::string EncodeResult(const absl::StatusOr<HttpResponse>& result);

// Fills `buffer` with exactly `size` bytes or fails. NotFound means the peer closed the
// connection before the first byte (a clean end of the conversation).
using ReadExactly = absl::FunctionRef<absl::Status(char* buffer, size_t size)>;

using HelperRequest = std::variant<HttpRequest, AssertionSigningRequest>;

// DataLoss for malformed messages; the reader's own errors pass through unchanged.
absl::StatusOr<HelperRequest> DecodeRequest(ReadExactly read);
// The outer status is about the conversation; the inner one is the helper's answer.
absl::StatusOr<absl::StatusOr<HttpResponse>> DecodeResult(ReadExactly read);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_NET_HTTP_WIRE_H_
