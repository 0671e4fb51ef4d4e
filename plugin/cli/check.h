// `acr-credential-provider check`: everything a pull depends on, in the order it is needed,
// as a report an operator reads: the config, the identity and its files, the cloud, proxy
// and TLS settings, the cache, a real sign-in to Entra ID and, given an image, a real token
// exchange with its registry. Tokens are never printed. Each failure says how to fix it.
#ifndef ACRCP_PLUGIN_CLI_CHECK_H_
#define ACRCP_PLUGIN_CLI_CHECK_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "plugin/base/environment.h"
#include "plugin/cli/k3s_node.h"
#include "plugin/config/node_config.h"
#include "plugin/kubelet/provider_config_check.h"
#include "plugin/provider.h"

namespace acrcp {

struct CheckLine {
  enum class Kind { kOk, kWarning, kFail };
  Kind kind;
  std::string text;
};

struct CheckReport {
  std::vector<CheckLine> lines;

  bool Passed() const;
  // The heading, one line per check (Format), then the verdict (Verdict).
  std::string ToString() const;

  static std::string Heading();
  // "  ok    ...", "  warn  ..." or "  FAIL  ...", secrets redacted, newline-terminated.
  static std::string Format(const CheckLine& line);
  std::string Verdict() const;
};

// What the kubelet will load, for checking it as strictly as the kubelet does: its
// CredentialProviderConfig (a file or a directory) and bin dir, on the node under `root`.
struct KubeletSide {
  std::string root = "/";
  std::string config_path;
  std::string bin_dir;
  std::string self;  // this program's real path: the provider that runs it is ours
  std::optional<KubeletVersion> version;
  std::string version_source;  // "k3s --version"
  bool k3s = false;            // K3s's rules apply (both paths must exist at its start)
};

struct CheckInputs {
  absl::StatusOr<NodeConfig> config;  // as loaded; a load error is the first failure
  std::string image;                  // may be empty: then no registry is tried
  EnvLookup env;                      // the operator's shell
  // K3s's view of the node, when K3s is installed: its kubelet's proxy settings are the ones
  // that count (and `env` should carry them to the helper), and its provider paths are shown.
  std::optional<K3sNode> k3s;
  std::vector<std::string> ignored_flags;  // the upstream plugin's flags that are ignored
  std::optional<KubeletSide> kubelet;      // nullopt: the kubelet's side is not checked
};

// Runs the checks; stops early when a failure makes the later ones meaningless. A registry is
// tried through the provider core's own refresh path (provider.h) with `env`, which should
// carry the null cache: the report is about a real sign-in and exchange, and never reads or
// writes cached tokens.
// Each line is also passed to `on_line` as soon as it is known (may be empty), so a slow
// network step never leaves the operator looking at a blank terminal.
CheckReport RunChecks(const CheckInputs& inputs, const ProviderEnv& env,
                      const std::function<void(const CheckLine&)>& on_line = {});

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_CLI_CHECK_H_
