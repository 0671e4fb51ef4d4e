// The metrics textfile (metrics.h) on disk, shared by every invocation on the node.
//
// node_exporter's textfile collector reads every *.prom file in its directory, so the file is
// replaced by rename(2) (a scrape sees the old or the new file, never half of one), mode
// 0644 (no secret is in it). Concurrent invocations serialise on <file>.lock (flock), read,
// add their changes and write, so no count is lost. Metrics never hold up a pull: if the
// lock is not had within a bound, or anything fails, the invocation's changes are dropped,
// said at -v 1.
//
// A cache hit, the invocation that must stay close to the cost of an exec, does not rewrite
// the file: it adds 1 to its front end's slot in <file>.pending (shared memory, an atomic
// add), and only rewrites when the file is older than kHitBatchWindow. Every rewrite moves
// the pending counts into the file, so none is lost and none is counted twice; the file lags
// by at most kHitBatchWindow while pulls go on, or until the refresh timer's next run.
#ifndef ACRCP_PLUGIN_METRICS_METRICS_FILE_H_
#define ACRCP_PLUGIN_METRICS_METRICS_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "plugin/config/node_config.h"
#include "plugin/metrics/metrics.h"

namespace acrcp {

// Where node_exporter's textfile collector looks by default: Debian/Ubuntu's
// prometheus-node-exporter, then the directory of the RHEL/SUSE packages and guides.
inline constexpr const char* kTextfileDirectories[] = {"/var/lib/prometheus/node-exporter",
                                                       "/var/lib/node_exporter/textfile_collector"};
inline constexpr char kMetricsFileName[] = "acr_credential_provider.prom";

// The file `config` says to write: metricsFile, else the default name in the first textfile
// directory that exists, else "" (metrics off).
std::string MetricsPathFor(const NodeConfig& config);

inline constexpr absl::Duration kHitBatchWindow = absl::Seconds(10);

// Adds `recorder`'s changes, and the pending hits, to the file at `path`.
absl::Status WriteMetrics(const std::string& path, const MetricsRecorder& recorder);

// Counts a cache hit of `frontend` ("kubelet" or "docker"; others are written at once), and
// rewrites the file when it is older than kHitBatchWindow at `now`.
absl::Status CountHit(const std::string& path, absl::string_view frontend, absl::Time now);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_METRICS_METRICS_FILE_H_
