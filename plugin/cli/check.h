// `acr-credential-provider check`: everything a pull depends on, in the order it is needed,
// as a report an operator reads: the config, the identity and its files, the cloud, proxy
// and TLS settings, the cache, a real sign-in to Entra ID and, given an image, a real token
// exchange with its registry. Tokens are never printed. Each failure says how to fix it.
#ifndef ACRCP_PLUGIN_CLI_CHECK_H_
#define ACRCP_PLUGIN_CLI_CHECK_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "plugin/base/environment.h"
#include "plugin/config/node_config.h"
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
  // One line per check ("  ok    ...", "  warn  ...", "  FAIL  ..."), then the verdict.
  std::string ToString() const;
};

struct CheckInputs {
  absl::StatusOr<NodeConfig> config;  // as loaded; a load error is the first failure
  std::string image;                  // may be empty: then no registry is tried
  EnvLookup env;
};

// Runs the checks; stops early when a failure makes the later ones meaningless. A registry is
// tried through the provider core's own refresh path (provider.h) with `env`, which should
// carry the null cache: the report is about a real sign-in and exchange, and never reads or
// writes cached tokens.
CheckReport RunChecks(const CheckInputs& inputs, const ProviderEnv& env);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_CLI_CHECK_H_
