#include "plugin/helper/curl_transport.h"

#include <curl/curl.h>
#include <dirent.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "plugin/base/secure_file.h"
#include "plugin/base/version.h"

namespace acrcp {
namespace {

constexpr size_t kMaxResponseBytes = 1 << 20;
constexpr size_t kMaxCaBundleBytes = 8 << 20;
constexpr absl::Duration kMaxConnectTimeout = absl::Seconds(10);

// Hashed certificate directories (Debian/Ubuntu/SUSE, then RHEL/Fedora). With one of them
// OpenSSL reads only the certificates a handshake needs instead of parsing the whole system
// bundle, which costs several MB of memory on every miss.
constexpr std::array<const char*, 2> kHashedCaDirectories = {
    "/etc/ssl/certs", "/etc/pki/ca-trust/extracted/pem/directory-hash"};

bool IsHashName(const char* name) {
  // "<8 hex digits>.<digit>", as c_rehash / update-ca-trust write them.
  for (int i = 0; i < 8; ++i) {
    if (!std::isxdigit(static_cast<unsigned char>(name[i]))) return false;
  }
  return name[8] == '.' && std::isdigit(static_cast<unsigned char>(name[9])) != 0;
}

std::optional<std::string> HashedSystemCaDirectory() {
  for (const char* path : kHashedCaDirectories) {
    DIR* dir = opendir(path);
    if (dir == nullptr) continue;
    bool hashed = false;
    while (const dirent* item = readdir(dir)) {
      if (std::char_traits<char>::length(item->d_name) >= 10 && IsHashName(item->d_name)) {
        hashed = true;
        break;
      }
    }
    closedir(dir);
    if (hashed) return std::string(path);
  }
  return std::nullopt;
}

// How this transport trusts servers (and HTTPS proxies).
struct TrustStore {
  std::optional<std::string> ca_directory;  // the system store, hashed
  std::string ca_file;                      // the operator's bundle, if any
  std::string ca_blob;  // without a hashed directory: system bundle + operator's bundle

  void Apply(CURL* h, curl_blob* blob) const {
    if (ca_directory) {
      curl_easy_setopt(h, CURLOPT_CAPATH, ca_directory->c_str());
      curl_easy_setopt(h, CURLOPT_PROXY_CAPATH, ca_directory->c_str());
      // NULL switches off libcurl's default bundle file, so it is not parsed in full.
      const char* file = ca_file.empty() ? nullptr : ca_file.c_str();
      curl_easy_setopt(h, CURLOPT_CAINFO, file);
      curl_easy_setopt(h, CURLOPT_PROXY_CAINFO, file);
    } else if (!ca_blob.empty()) {
      curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, blob);
      curl_easy_setopt(h, CURLOPT_PROXY_CAINFO_BLOB, blob);
    }
  }
};

absl::StatusOr<TrustStore> MakeTrustStore(const std::string& extra) {
  TrustStore store;
  store.ca_directory = HashedSystemCaDirectory();
  if (extra.empty()) return store;
  absl::StatusOr<SecureFile> custom =
      ReadSecureFile(extra, "caBundleFile", FileAccess::kTrusted, kMaxCaBundleBytes);
  if (!custom.ok()) return custom.status();
  if (store.ca_directory) {
    store.ca_file = extra;
    return store;
  }
  // No hashed directory: append the operator's bundle to libcurl's default one.
  const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  if (info->cainfo != nullptr) {
    absl::StatusOr<SecureFile> system =
        ReadSecureFile(info->cainfo, "system CA bundle", FileAccess::kAnyOwner, kMaxCaBundleBytes);
    if (system.ok()) store.ca_blob = absl::StrCat(system->contents, "\n");
  }
  store.ca_blob.append(custom->contents);
  return store;
}

struct ResponseSink {
  HttpResponse response;
  bool too_large = false;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<ResponseSink*>(user);
  const size_t n = size * count;
  if (sink->response.body.size() + n > kMaxResponseBytes) {
    sink->too_large = true;
    return 0;  // makes libcurl abort with CURLE_WRITE_ERROR
  }
  sink->response.body.append(data, n);
  return n;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<ResponseSink*>(user);
  const size_t n = size * count;
  const absl::string_view line(data, n);
  // A proxy's CONNECT answer arrives first; only the final response's headers count.
  if (absl::StartsWith(line, "HTTP/")) {
    sink->response.headers.clear();
    return n;
  }
  const size_t colon = line.find(':');
  if (colon != absl::string_view::npos && sink->response.headers.size() < 100) {
    sink->response.headers.emplace_back(
        absl::AsciiStrToLower(absl::StripAsciiWhitespace(line.substr(0, colon))),
        std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
  }
  return n;
}

class CurlTransport : public HttpTransport {
 public:
  explicit CurlTransport(TrustStore trust) : trust_(std::move(trust)) {}

  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override {
    std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
    if (curl == nullptr) return absl::ResourceExhaustedError("libcurl could not allocate");
    curl_slist* headers = nullptr;
    for (const auto& [name, value] : request.headers) {
      headers = curl_slist_append(headers, absl::StrCat(name, ": ", value).c_str());
    }
    std::unique_ptr<curl_slist, void (*)(curl_slist*)> header_guard(headers, curl_slist_free_all);
    ResponseSink sink;
    char error_buffer[CURL_ERROR_SIZE] = {};
    CURL* h = curl.get();
    const long timeout_ms =
        std::max<long>(1, static_cast<long>(absl::ToInt64Milliseconds(request.timeout)));
    const long connect_ms = std::min<long>(
        timeout_ms, static_cast<long>(absl::ToInt64Milliseconds(kMaxConnectTimeout)));
    const std::string user_agent = absl::StrCat("acr-credential-provider/", kVersion);
    curl_blob blob{const_cast<char*>(trust_.ca_blob.data()), trust_.ca_blob.size(),
                   CURL_BLOB_NOCOPY};

    curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_PROXY_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_PROXY_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    if (request.bypass_proxy) curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_USERAGENT, user_agent.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &sink);
    trust_.Apply(h, &blob);
    if (request.method == "POST") {
      curl_easy_setopt(h, CURLOPT_POST, 1L);
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    } else if (request.method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);  // a manifest's existence, not its bytes
    } else {
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }

    const CURLcode code = curl_easy_perform(h);
    if (code != CURLE_OK) return MapError(h, code, sink, error_buffer, request.url);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    sink.response.status = static_cast<int>(status);
    return std::move(sink.response);
  }

 private:
  static absl::Status MapError(CURL* h, CURLcode code, const ResponseSink& sink, const char* detail,
                               const std::string& url) {
    const std::string host(HostOfUrl(url));
    const std::string reason =
        detail[0] != '\0' ? std::string(detail) : std::string(curl_easy_strerror(code));
    long connect_code = 0;
    curl_easy_getinfo(h, CURLINFO_HTTP_CONNECTCODE, &connect_code);
    if (connect_code != 0 && connect_code != 200) {
      return absl::FailedPreconditionError(
          absl::StrCat("the HTTPS proxy refused to connect to ", host, " (HTTP ", connect_code,
                       ") (allow it in the proxy, or add it to NO_PROXY)"));
    }
    switch (code) {
      case CURLE_WRITE_ERROR:
        if (sink.too_large) {
          return absl::ResourceExhaustedError(
              absl::StrCat(host, " sent a response larger than ", kMaxResponseBytes, " bytes"));
        }
        break;
      case CURLE_OPERATION_TIMEDOUT:
        return absl::DeadlineExceededError(absl::StrCat(host, " did not answer in time: ", reason));
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CACERT_BADFILE:
      case CURLE_SSL_CERTPROBLEM:
        return absl::FailedPreconditionError(
            absl::StrCat("the TLS certificate of ", host, " could not be verified: ", reason,
                         " (if a proxy inspects TLS, set caBundleFile to its CA certificate)"));
      // The server was reached: naming DNS or the proxy would send the operator the wrong way.
      case CURLE_PARTIAL_FILE:
        return absl::UnavailableError(absl::StrCat(host, " broke off its answer: ", reason));
      case CURLE_GOT_NOTHING:
        return absl::UnavailableError(
            absl::StrCat(host, " closed the connection without answering: ", reason));
      case CURLE_UNSUPPORTED_PROTOCOL:
      case CURLE_URL_MALFORMAT:
        return absl::InvalidArgumentError(absl::StrCat("bad URL for ", host, ": ", reason));
      default:
        break;
    }
    return absl::UnavailableError(absl::StrCat("cannot reach ", host, ": ", reason));
  }

  TrustStore trust_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<HttpTransport>> NewCurlTransport(
    const CurlTransportOptions& options) {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    return absl::FailedPreconditionError("libcurl failed to initialise");
  }
  absl::StatusOr<TrustStore> trust = MakeTrustStore(options.ca_bundle_file);
  if (!trust.ok()) return trust.status();
  return std::make_unique<CurlTransport>(*std::move(trust));
}

}  // namespace acrcp
