#include "plugin/metrics/metrics.h"

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "plugin/base/version.h"

namespace acrcp {
namespace {

constexpr char kPrefix[] = "acr_credential_provider_";

struct MetricInfo {
  const char* name;  // without kPrefix
  const char* type;
  const char* help;
};

constexpr std::array<MetricInfo, 6> kMetrics = {{
    {"build_info", "gauge", "The plugin's version and the libcurl and OpenSSL compiled into it."},
    {"invocations_total", "counter",
     "Invocations by front end and result: hit (from the cache), miss (new token), stale "
     "(cached token served while a refresh failed), error."},
    {"last_error_timestamp_seconds", "gauge", "When an invocation last failed, Unix time."},
    {"requests_total", "counter",
     "Requests to the sign-in endpoint (entra) and the ACR token exchange (acr) by outcome."},
    {"token_expiry_timestamp_seconds", "gauge",
     "When the cached ACR refresh token of each registry expires, Unix time."},
    {"token_last_refresh_timestamp_seconds", "gauge",
     "When the cached ACR refresh token of each registry was obtained, Unix time."},
}};

// A label value as the text format wants it: backslash, quote and newline escaped.
std::string Escape(absl::string_view value) {
  std::string out;
  for (const char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string Series(absl::string_view name,
                   std::initializer_list<std::pair<absl::string_view, absl::string_view>> labels) {
  std::string out = absl::StrCat(kPrefix, name);
  if (labels.size() == 0) return out;
  out.push_back('{');
  bool first = true;
  for (const auto& [label, value] : labels) {
    absl::StrAppend(&out, first ? "" : ",", label, "=\"", Escape(value), "\"");
    first = false;
  }
  out.push_back('}');
  return out;
}

// The metric a series belongs to (its name without labels), if it is one of ours.
const MetricInfo* InfoOf(absl::string_view series) {
  absl::string_view name = series.substr(0, series.find('{'));
  if (!absl::ConsumePrefix(&name, kPrefix)) return nullptr;
  for (const MetricInfo& info : kMetrics) {
    if (name == info.name) return &info;
  }
  return nullptr;
}

}  // namespace

void MetricsRecorder::Invocation(absl::string_view frontend, absl::string_view result,
                                 int64_t count) {
  if (count == 0) return;
  counters_[Series("invocations_total", {{"frontend", frontend}, {"result", result}})] += count;
}

void MetricsRecorder::Request(absl::string_view service, bool success) {
  ++counters_[Series("requests_total",
                     {{"service", service}, {"outcome", success ? "success" : "error"}})];
}

void MetricsRecorder::Token(absl::string_view registry, absl::Time expires_at,
                            absl::Time refreshed_at) {
  gauges_[Series("token_expiry_timestamp_seconds", {{"registry", registry}})] =
      absl::ToUnixSeconds(expires_at);
  gauges_[Series("token_last_refresh_timestamp_seconds", {{"registry", registry}})] =
      absl::ToUnixSeconds(refreshed_at);
}

void MetricsRecorder::Error(absl::Time at) {
  gauges_[Series("last_error_timestamp_seconds", {})] = absl::ToUnixSeconds(at);
}

MetricSeries ParseMetrics(absl::string_view text) {
  MetricSeries series;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    int64_t value = 0;
    if (space == absl::string_view::npos || !absl::SimpleAtoi(line.substr(space + 1), &value)) {
      continue;
    }
    const absl::string_view key = line.substr(0, space);
    // build_info is rewritten from this binary; an older binary's labels must not linger.
    if (InfoOf(key) != nullptr && !absl::StartsWith(key, Series("build_info", {}))) {
      series[std::string(key)] = value;
    }
  }
  return series;
}

MetricSeries MergeMetrics(MetricSeries existing, const MetricsRecorder& recorder) {
  if (recorder.replaces_token_gauges()) {
    std::erase_if(existing, [](const auto& series) {
      return absl::StartsWith(series.first, absl::StrCat(kPrefix, "token_"));
    });
  }
  for (const auto& [key, delta] : recorder.counters()) existing[key] += delta;
  for (const auto& [key, value] : recorder.gauges()) existing[key] = value;
  existing[Series(
      "build_info",
      {{"version", kVersion}, {"libcurl", kCurlVersion}, {"openssl", kOpenSslVersion}})] = 1;
  return existing;
}

std::string RenderMetrics(const MetricSeries& series) {
  std::string out;
  for (const MetricInfo& info : kMetrics) {
    bool header = false;
    for (const auto& [key, value] : series) {
      if (InfoOf(key) != &info) continue;
      if (!header) {
        absl::StrAppend(&out, "# HELP ", kPrefix, info.name, " ", info.help, "\n# TYPE ", kPrefix,
                        info.name, " ", info.type, "\n");
        header = true;
      }
      absl::StrAppend(&out, key, " ", value, "\n");
    }
  }
  return out;
}

}  // namespace acrcp
