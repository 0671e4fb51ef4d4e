#include "plugin/curl_transport.h"

#include <curl/curl.h>
#include <dlfcn.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "plugin/log.h"
#include "plugin/secure_file.h"
#include "plugin/version.h"

namespace acrcp {
namespace {

constexpr size_t kMaxResponseBytes = 1 << 20;
constexpr size_t kMaxCaBundleBytes = 8 << 20;
constexpr unsigned kMinCurlVersion = 0x074D00;  // 7.77.0: CURLOPT_CAINFO_BLOB
constexpr char kDefaultSystemBundle[] = "/etc/ssl/certs/ca-certificates.crt";
constexpr absl::Duration kMaxConnectTimeout = absl::Seconds(10);

// The libcurl entry points we use, resolved with dlsym.
struct CurlApi {
  CURLcode (*global_init)(long);
  CURL* (*easy_init)();
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
  CURLcode (*easy_perform)(CURL*);
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
  void (*easy_cleanup)(CURL*);
  const char* (*easy_strerror)(CURLcode);
  curl_slist* (*slist_append)(curl_slist*, const char*);
  void (*slist_free_all)(curl_slist*);
  curl_version_info_data* (*version_info)(CURLversion);
};

template <typename F>
bool Resolve(void* lib, const char* name, F& out) {
  out = reinterpret_cast<F>(dlsym(lib, name));
  return out != nullptr;
}

absl::StatusOr<const CurlApi*> LoadCurl() {
  static CurlApi api;
  static absl::Status status = [] {
    void* lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot load libcurl.so.4: ", dlerror(),
                       " (install libcurl4 on Debian/Ubuntu, libcurl on RHEL)"));
    }
    const bool ok = Resolve(lib, "curl_global_init", api.global_init) &&
                    Resolve(lib, "curl_easy_init", api.easy_init) &&
                    Resolve(lib, "curl_easy_setopt", api.easy_setopt) &&
                    Resolve(lib, "curl_easy_perform", api.easy_perform) &&
                    Resolve(lib, "curl_easy_getinfo", api.easy_getinfo) &&
                    Resolve(lib, "curl_easy_cleanup", api.easy_cleanup) &&
                    Resolve(lib, "curl_easy_strerror", api.easy_strerror) &&
                    Resolve(lib, "curl_slist_append", api.slist_append) &&
                    Resolve(lib, "curl_slist_free_all", api.slist_free_all) &&
                    Resolve(lib, "curl_version_info", api.version_info);
    if (!ok) return absl::FailedPreconditionError("libcurl.so.4 lacks an expected function");
    const curl_version_info_data* info = api.version_info(CURLVERSION_NOW);
    if (info->version_num < kMinCurlVersion) {
      return absl::FailedPreconditionError(
          absl::StrCat("libcurl ", info->version, " is too old (7.77.0 or newer is needed)"));
    }
    if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      return absl::FailedPreconditionError("libcurl failed to initialise");
    }
    return absl::OkStatus();
  }();
  if (!status.ok()) return status;
  return &api;
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
  CurlTransport(const CurlApi* api, std::string ca_blob)
      : api_(api), ca_blob_(std::move(ca_blob)) {}

  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override {
    std::unique_ptr<CURL, void (*)(CURL*)> curl(api_->easy_init(), api_->easy_cleanup);
    if (curl == nullptr) return absl::ResourceExhaustedError("libcurl could not allocate");
    curl_slist* headers = nullptr;
    for (const auto& [name, value] : request.headers) {
      headers = api_->slist_append(headers, absl::StrCat(name, ": ", value).c_str());
    }
    std::unique_ptr<curl_slist, void (*)(curl_slist*)> header_guard(headers, api_->slist_free_all);
    ResponseSink sink;
    char error_buffer[CURL_ERROR_SIZE] = {};
    CURL* h = curl.get();
    const long timeout_ms =
        std::max<long>(1, static_cast<long>(absl::ToInt64Milliseconds(request.timeout)));
    const long connect_ms = std::min<long>(
        timeout_ms, static_cast<long>(absl::ToInt64Milliseconds(kMaxConnectTimeout)));
    const std::string user_agent = absl::StrCat("acr-credential-provider/", kVersion);
    curl_blob blob{const_cast<char*>(ca_blob_.data()), ca_blob_.size(), CURL_BLOB_NOCOPY};

    api_->easy_setopt(h, CURLOPT_URL, request.url.c_str());
    api_->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    api_->easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
    api_->easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    api_->easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    api_->easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    api_->easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    api_->easy_setopt(h, CURLOPT_PROXY_SSL_VERIFYPEER, 1L);
    api_->easy_setopt(h, CURLOPT_PROXY_SSL_VERIFYHOST, 2L);
    api_->easy_setopt(h, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
    api_->easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    api_->easy_setopt(h, CURLOPT_USERAGENT, user_agent.c_str());
    api_->easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    api_->easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnBody);
    api_->easy_setopt(h, CURLOPT_WRITEDATA, &sink);
    api_->easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnHeader);
    api_->easy_setopt(h, CURLOPT_HEADERDATA, &sink);
    if (!ca_blob_.empty()) {
      api_->easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
      api_->easy_setopt(h, CURLOPT_PROXY_CAINFO_BLOB, &blob);
    }
    if (request.method == "POST") {
      api_->easy_setopt(h, CURLOPT_POST, 1L);
      api_->easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
      api_->easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                        static_cast<curl_off_t>(request.body.size()));
    } else {
      api_->easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }

    const CURLcode code = api_->easy_perform(h);
    if (code != CURLE_OK) return MapError(h, code, sink, error_buffer, request.url);
    long status = 0;
    api_->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    sink.response.status = static_cast<int>(status);
    return std::move(sink.response);
  }

 private:
  absl::Status MapError(CURL* h, CURLcode code, const ResponseSink& sink, const char* detail,
                        const std::string& url) const {
    const std::string host(HostOfUrl(url));
    const std::string reason =
        detail[0] != '\0' ? std::string(detail) : std::string(api_->easy_strerror(code));
    long connect_code = 0;
    api_->easy_getinfo(h, CURLINFO_HTTP_CONNECTCODE, &connect_code);
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
      case CURLE_UNSUPPORTED_PROTOCOL:
      case CURLE_URL_MALFORMAT:
        return absl::InvalidArgumentError(absl::StrCat("bad URL for ", host, ": ", reason));
      default:
        break;
    }
    return absl::UnavailableError(absl::StrCat("cannot reach ", host, ": ", reason));
  }

  const CurlApi* api_;
  std::string ca_blob_;
};

// The system bundle followed by the operator's, so both are trusted.
absl::StatusOr<std::string> CombinedCaBundle(const CurlApi& api, const std::string& extra) {
  const curl_version_info_data* info = api.version_info(CURLVERSION_NOW);
  const std::string system_path =
      info->cainfo != nullptr ? info->cainfo : std::string(kDefaultSystemBundle);
  std::string blob;
  // A node without a system bundle (minimal images) can still trust the operator's CA.
  if (absl::StatusOr<SecureFile> system =
          ReadSecureFile(system_path, "system CA bundle", FileAccess::kAnyOwner, kMaxCaBundleBytes);
      system.ok()) {
    blob = std::move(system->contents);
    blob.push_back('\n');
  } else {
    log::Debug(1, system.status().message());
  }
  absl::StatusOr<SecureFile> custom =
      ReadSecureFile(extra, "caBundleFile", FileAccess::kAnyOwner, kMaxCaBundleBytes);
  if (!custom.ok()) return custom.status();
  blob.append(custom->contents);
  return blob;
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpTransport>> NewCurlTransport(
    const CurlTransportOptions& options) {
  absl::StatusOr<const CurlApi*> api = LoadCurl();
  if (!api.ok()) return api.status();
  std::string ca_blob;
  if (!options.ca_bundle_file.empty()) {
    absl::StatusOr<std::string> combined = CombinedCaBundle(**api, options.ca_bundle_file);
    if (!combined.ok()) return combined.status();
    ca_blob = std::move(*combined);
  }
  return std::make_unique<CurlTransport>(*api, std::move(ca_blob));
}

}  // namespace acrcp
