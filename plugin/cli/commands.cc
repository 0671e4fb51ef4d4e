#include "plugin/cli/commands.h"

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "plugin/base/clock.h"
#include "plugin/base/fd_io.h"
#include "plugin/base/log.h"
#include "plugin/cli/check.h"
#include "plugin/cli/k3s_node.h"
#include "plugin/cli/kubelet_node.h"
#include "plugin/cli/refresh.h"
#include "plugin/cli/setup.h"
#include "plugin/net/helper_transport.h"
#include "plugin/real_provider_env.h"

namespace acrcp {
namespace {

void Print(absl::string_view text) { WriteAll(STDOUT_FILENO, text); }

int Failed(const absl::Status& status) {
  log::Error(status.message());
  return 1;
}

// K3s's view of the node under `root`, when K3s is installed there.
absl::StatusOr<std::optional<K3sNode>> InstalledK3s(const std::string& root) {
  absl::StatusOr<K3sNode> k3s = ReadK3sNode(root);
  if (!k3s.ok()) return k3s.status();
  if (!k3s->installed) return std::optional<K3sNode>();
  return std::optional<K3sNode>(*std::move(k3s));
}

// What the kubelet will load: the paths the command line names, else K3s's, else kubeadm's
// when its config exists. An empty config path when none is found.
KubeletSide KubeletSideFor(const CommandLine& cl, const std::optional<K3sNode>& k3s,
                           const std::string& self) {
  KubeletSide side;
  side.root = cl.root;
  side.self = self;
  const std::string self_dir = std::filesystem::path(self).parent_path().string();
  if (!cl.kubelet_config.empty()) {
    side.config_path = cl.kubelet_config;
    side.bin_dir = cl.bin_dir.empty() ? self_dir : cl.bin_dir;
  } else if (k3s) {
    side.config_path = k3s->provider_config.value;
    side.bin_dir = k3s->provider_bin_dir.value;
    side.k3s = true;
  } else if (std::error_code error;
             std::filesystem::exists(cl.root == "/" ? kKubeadmProviderConfig
                                                    : absl::StrCat(cl.root, kKubeadmProviderConfig),
                                     error)) {
    side.config_path = kKubeadmProviderConfig;
    side.bin_dir = cl.bin_dir.empty() ? self_dir : cl.bin_dir;
  }
  side.version = DetectKubeletVersion(cl.root, k3s.has_value(), side.version_source);
  return side;
}

// The checks, printed line by line as they are known; true when they passed.
bool Check(const CommandLine& cl, const absl::StatusOr<NodeConfig>& config,
           const std::optional<K3sNode>& k3s, std::optional<KubeletSide> kubelet) {
  HelperSettings helper;
  if (k3s) {
    std::vector<std::string> variables;
    for (const auto& [name, setting] : k3s->environment) {
      variables.push_back(absl::StrCat(name, "=", setting.value));
    }
    helper.proxy_environment = ProxyVariables(variables);
  }
  helper.on_wait = [](absl::string_view what, absl::Duration waited) {
    Print(absl::StrCat("        waiting for ", what, " (", absl::ToInt64Seconds(waited), " s)\n"));
  };
  // No cache: the report is about a real sign-in and exchange.
  const NodeConfig none;
  const RealProviderEnv real(config.ok() ? *config : none, "", std::move(helper));
  Print(CheckReport::Heading());
  const CheckReport report =
      RunChecks({config, cl.image, ProcessEnvironment(), k3s, cl.ignored_flags, std::move(kubelet)},
                real.env(), [](const CheckLine& line) { Print(CheckReport::Format(line)); });
  Print(report.Verdict());
  return report.Passed();
}

// The real path of this program, which setup links and --remove recognises.
absl::StatusOr<std::string> Self() {
  char self[PATH_MAX];
  if (realpath("/proc/self/exe", self) == nullptr) {
    return absl::UnavailableError("setup: cannot find this program's own path (is /proc mounted?)");
  }
  return std::string(self);
}

// `path` made absolute and, when it lies under `root`, as the node sees it.
std::string OnNode(const std::string& path, const std::string& root) {
  std::error_code error;
  std::string absolute = std::filesystem::absolute(path, error).lexically_normal().string();
  const std::string prefix = std::filesystem::path(root).lexically_normal().string();
  if (prefix != "/" && absl::StartsWith(absolute, absl::StrCat(prefix, "/"))) {
    absolute.erase(0, prefix.size());
  }
  return absolute;
}

}  // namespace

int RunCheckCommand(const CommandLine& cl) {
  absl::StatusOr<std::optional<K3sNode>> k3s = InstalledK3s(cl.root);
  if (!k3s.ok()) return Failed(k3s.status());
  absl::StatusOr<std::string> self = Self();
  if (!self.ok()) return Failed(self.status());
  return Check(cl, LoadConfigFor(cl, ProcessEnvironment()), *k3s, KubeletSideFor(cl, *k3s, *self))
             ? 0
             : 1;
}

int RunSetupCommand(const CommandLine& cl) {
  absl::StatusOr<std::string> self = Self();
  if (!self.ok()) return Failed(self.status());
  SetupRequest request;
  request.target = cl.setup_target;
  request.root = cl.root;
  request.plugin_path = *self;
  request.workload_identity = cl.workload_identity;
  if (cl.setup_target == "k3s") {
    absl::StatusOr<K3sNode> k3s = ReadK3sNode(cl.root);
    if (!k3s.ok()) return Failed(k3s.status());
    request.k3s = *std::move(k3s);
  }
  std::string version_source;
  request.kubelet_version = DetectKubeletVersion(cl.root, cl.setup_target == "k3s", version_source);
  absl::StatusOr<SetupPlan> plan;
  if (cl.remove) {
    plan = PlanRemove(request);
  } else {
    const absl::StatusOr<NodeConfig> config = LoadConfigFor(cl, ProcessEnvironment());
    std::optional<K3sNode> k3s;
    if (cl.setup_target == "k3s" && request.k3s.installed) k3s = request.k3s;
    // Before anything is written the kubelet's side is not ours yet: setup validates what
    // it writes instead.
    if (!Check(cl, config, k3s, std::nullopt)) return 1;
    plan = PlanSetup(request, *config, OnNode(config->source, cl.root));
  }
  if (!plan.ok()) return Failed(plan.status());
  std::string log;
  const absl::Status done = ApplySetup(*plan, cl.root, cl.dry_run, RealClock().Now(), log);
  Print(log);
  return done.ok() ? 0 : Failed(done);
}

int RunRefreshCommand(const CommandLine& cl) {
  const absl::StatusOr<NodeConfig> config = LoadConfigFor(cl, ProcessEnvironment());
  if (!config.ok()) return Failed(config.status());
  RealProviderEnv real(*config, config->cache_dir, {}, CacheUse::kRenew);
  const bool ok =
      RefreshCachedTokens(*config, real.env(), RefreshPolicy{},
                          [](absl::string_view line) { Print(absl::StrCat(line, "\n")); });
  real.RecordInvocation("refresh",
                        ok ? absl::OkStatus() : absl::UnavailableError("refresh failed"));
  return ok ? 0 : 1;
}

}  // namespace acrcp
