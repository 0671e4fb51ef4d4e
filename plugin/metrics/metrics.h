// What one invocation tells the fleet's monitoring, in Prometheus text format for
// node_exporter's textfile collector (metrics_file.h writes it).
//
//   acr_credential_provider_invocations_total{frontend,result}        counter
//       frontend: kubelet | docker | refresh; result: hit | miss | stale | error
//   acr_credential_provider_requests_total{service,outcome}           counter
//       service: entra (sign-in, also IMDS/Arc) | acr (token exchange); outcome: success | error
//   acr_credential_provider_token_expiry_timestamp_seconds{registry}       gauge
//   acr_credential_provider_token_last_refresh_timestamp_seconds{registry} gauge
//   acr_credential_provider_last_error_timestamp_seconds                   gauge
//   acr_credential_provider_build_info{version,libcurl,openssl}             gauge, always 1
//
// Every value is an integer (counts, Unix seconds). A MetricsRecorder collects one
// invocation's changes; MergeMetrics applies them to the series already in the file:
// counters add, gauges replace.
#ifndef ACRCP_PLUGIN_METRICS_METRICS_H_
#define ACRCP_PLUGIN_METRICS_METRICS_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace acrcp {

// Series by their exposition text, `name{label="value",...}`, in sorted order.
using MetricSeries = std::map<std::string, int64_t>;

class MetricsRecorder {
 public:
  void Invocation(absl::string_view frontend, absl::string_view result, int64_t count = 1);
  void Request(absl::string_view service, bool success);
  void Token(absl::string_view registry, absl::Time expires_at, absl::Time refreshed_at);
  void Error(absl::Time at);

  // Set by the provider: the cache could not answer and a refresh was attempted; a cached
  // token was served because it failed.
  void MarkRefreshed() { refreshed_ = true; }
  void MarkStale() { stale_ = true; }
  // The token gauges of this recorder are all there are: those of other registries (no longer
  // cached, or no longer used) are dropped from the file. For `refresh`, which sees them all.
  void ReplaceTokenGauges() { replace_token_gauges_ = true; }
  bool replaces_token_gauges() const { return replace_token_gauges_; }

  // The invocation's result label for a front end that answered.
  const char* Answered() const { return stale_ ? "stale" : refreshed_ ? "miss" : "hit"; }

  const MetricSeries& counters() const { return counters_; }
  const MetricSeries& gauges() const { return gauges_; }

 private:
  MetricSeries counters_;
  MetricSeries gauges_;
  bool refreshed_ = false;
  bool stale_ = false;
  bool replace_token_gauges_ = false;
};

// The series of a file this program wrote; lines it does not know are dropped.
MetricSeries ParseMetrics(absl::string_view text);

// `existing` with `recorder`'s changes applied and build_info set.
MetricSeries MergeMetrics(MetricSeries existing, const MetricsRecorder& recorder);

// The exposition text: each metric's HELP and TYPE, then its series.
std::string RenderMetrics(const MetricSeries& series);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_METRICS_METRICS_H_
