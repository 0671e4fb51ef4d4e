// One HTTPS exchange, behind an interface: the flow logic is unit-tested with a scripted
// transport, and the real one (curl_transport.h) is tested against the project's fake
// Entra ID and ACR services.
#ifndef ACRCP_PLUGIN_NET_HTTP_TRANSPORT_H_
#define ACRCP_PLUGIN_NET_HTTP_TRANSPORT_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace acrcp {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "POST";
  std::string url;            // https://, or http:// for a local managed-identity endpoint
  bool bypass_proxy = false;  // metadata endpoints are local: never via HTTPS_PROXY
  HttpHeaders headers;
  std::string body;
  absl::Duration timeout;  // for this attempt, connection included
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;  // names lower-cased
  std::string body;

  // The first header named `name` (lower case), if any.
  std::optional<absl::string_view> Header(absl::string_view name) const;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;

  // Sends `request` and returns whatever HTTP status came back. Errors are statuses:
  // Unavailable for connection failures worth retrying (refused, reset, closed, DNS),
  // DeadlineExceeded when the attempt's timeout ran out, FailedPrecondition for failures a
  // retry cannot fix (TLS verification, proxy refusal), ResourceExhausted for an oversized
  // response. Messages name the host and never contain request bodies or headers.
  virtual absl::StatusOr<HttpResponse> Send(const HttpRequest& request) = 0;
};

// application/x-www-form-urlencoded encoding of `fields`, in order.
std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields);

// "host[:port]" of an https URL, for messages.
absl::string_view HostOfUrl(absl::string_view url);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_NET_HTTP_TRANSPORT_H_
