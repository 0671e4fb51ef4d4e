// acr-credential-provider-http: the plugin's network helper. Reads requests from the socket
// on stdin/stdout (http_wire.h), performs each (HTTPS with libcurl, assertion signatures with
// OpenSSL), answers, and exits at end of input. Started only by the plugin, on a cache miss;
// never writes to stderr.
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "plugin/base/fd_io.h"
#include "plugin/helper/curl_transport.h"
#include "plugin/helper/openssl_signer.h"
#include "plugin/net/http_wire.h"

namespace {

absl::Status ReadExactly(char* buffer, size_t size) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = read(STDIN_FILENO, buffer + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::UnavailableError("read failed");
    if (n == 0) return done == 0 ? absl::NotFoundError("end of input") : absl::DataLossError("eof");
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  // Secrets and tokens live in this process's memory: no core dumps of it, and no ptrace
  // attach by other processes of the same user.
  prctl(PR_SET_DUMPABLE, 0);
  // Die with the plugin: the kubelet kills it at its deadline, and we must not linger.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) return 1;

  acrcp::CurlTransportOptions options;
  if (argc == 3 && std::string(argv[1]) == "--ca-bundle-file") {
    options.ca_bundle_file = argv[2];
  } else if (argc != 1) {
    return 2;
  }
  // A transport that cannot be set up (e.g. an unreadable CA bundle) answers every request
  // with the reason, so the operator sees it in the plugin's one-line error.
  absl::StatusOr<std::unique_ptr<acrcp::HttpTransport>> transport =
      acrcp::NewCurlTransport(options);
  acrcp::OpenSslSigner signer;
  for (;;) {
    absl::StatusOr<acrcp::HelperRequest> request = acrcp::DecodeRequest(ReadExactly);
    if (absl::IsNotFound(request.status())) return 0;
    if (!request.ok()) return 2;
    absl::StatusOr<acrcp::HttpResponse> result;
    if (const auto* sign = std::get_if<acrcp::AssertionSigningRequest>(&*request)) {
      absl::StatusOr<std::string> jwt = signer.SignAssertion(*sign);
      result = jwt.ok() ? absl::StatusOr<acrcp::HttpResponse>(acrcp::HttpResponse{200, {}, *jwt})
                        : absl::StatusOr<acrcp::HttpResponse>(jwt.status());
    } else if (transport.ok()) {
      result = (*transport)->Send(std::get<acrcp::HttpRequest>(*request));
    } else {
      result = transport.status();
    }
    if (!acrcp::SendAll(STDOUT_FILENO, acrcp::EncodeResult(result))) return 2;
  }
}
