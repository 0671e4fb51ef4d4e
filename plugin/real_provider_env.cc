#include "plugin/real_provider_env.h"

#include <memory>
#include <string>
#include <utility>

#include "plugin/base/clock.h"
#include "plugin/base/log.h"
#include "plugin/cache/file_token_cache.h"
#include "plugin/metrics/metrics_file.h"
#include "plugin/net/helper_transport.h"
#include "plugin/net/retry.h"

namespace acrcp {

RealProviderEnv::RealProviderEnv(const NodeConfig& config, const std::string& cache_dir,
                                 HelperSettings helper, CacheUse use)
    : cache_(cache_dir.empty() ? NewNullTokenCache()
                               : OpenFileTokenCache(cache_dir, RealClock(), use)),
      metrics_path_(MetricsPathFor(config)) {
  env_.clock = &RealClock();
  if (!metrics_path_.empty()) env_.metrics = &metrics_;
  env_.cache = cache_.get();
  env_.jitter = RandomJitter();
  env_.start_helper = [ca_bundle = config.ca_bundle_file,
                       helper =
                           std::move(helper)]() -> absl::StatusOr<std::unique_ptr<NetworkHelper>> {
    absl::StatusOr<std::string> path = LocateHttpHelper();
    if (!path.ok()) return path.status();
    HelperTransportOptions options;
    options.helper_path = *path;
    options.ca_bundle_file = ca_bundle;
    options.proxy_environment = helper.proxy_environment;
    options.on_wait = helper.on_wait;
    return StartHelperTransport(options);
  };
}

void RealProviderEnv::RecordInvocation(absl::string_view frontend, const absl::Status& outcome) {
  if (metrics_path_.empty()) return;
  absl::Status written;
  if (outcome.ok() && absl::string_view(metrics_.Answered()) == "hit") {
    written = CountHit(metrics_path_, frontend, RealClock().Now());
  } else {
    if (outcome.ok()) {
      metrics_.Invocation(frontend, metrics_.Answered());
    } else {
      metrics_.Invocation(frontend, "error");
      metrics_.Error(RealClock().Now());
    }
    written = WriteMetrics(metrics_path_, metrics_);
  }
  if (!written.ok()) log::Debug(1, written.message());
}

}  // namespace acrcp
