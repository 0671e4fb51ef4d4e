// The provider environment of a real invocation (provider.h's ProviderEnv): the real clock,
// the file token cache (or none), and the HTTPS helper, started only when a request must be
// sent, trusting the config's CA bundle. The kubelet and Docker front ends and the operator
// commands all build theirs here, so they differ only in what they pass.
#ifndef ACRCP_PLUGIN_REAL_PROVIDER_ENV_H_
#define ACRCP_PLUGIN_REAL_PROVIDER_ENV_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "plugin/cache/file_token_cache.h"
#include "plugin/cache/token_cache.h"
#include "plugin/config/node_config.h"
#include "plugin/metrics/metrics.h"
#include "plugin/provider.h"

namespace acrcp {

// How the HTTPS helper is started (net/helper_transport.h): the proxy variables it gets
// (nullopt: ours) and who hears about slow answers.
struct HelperSettings {
  std::optional<std::vector<std::string>> proxy_environment;
  std::function<void(absl::string_view what, absl::Duration waited)> on_wait;
};

class RealProviderEnv {
 public:
  // Caches in `cache_dir`, or nowhere when it is "", reading it as `use` says.
  // REQUIRES: `config` outlives this.
  RealProviderEnv(const NodeConfig& config, const std::string& cache_dir,
                  HelperSettings helper = {}, CacheUse use = CacheUse::kServe);
  RealProviderEnv(const RealProviderEnv&) = delete;
  RealProviderEnv& operator=(const RealProviderEnv&) = delete;

  const ProviderEnv& env() const { return env_; }

  // Counts this invocation of `frontend` (kubelet, docker, refresh) in the metrics textfile,
  // if metrics are on (metrics/metrics_file.h): its result is `outcome`'s error or what the
  // provider saw. Best effort; a failure is said at -v 1.
  void RecordInvocation(absl::string_view frontend, const absl::Status& outcome);

 private:
  std::unique_ptr<TokenCache> cache_;
  std::string metrics_path_;
  MetricsRecorder metrics_;
  ProviderEnv env_;
};

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_REAL_PROVIDER_ENV_H_
