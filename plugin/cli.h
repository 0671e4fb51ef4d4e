// Command-line parsing for the kubelet front end.
//
// The kubelet passes only the `args` of its CredentialProviderConfig, so the grammar is
// small: `--config PATH` or one positional PATH (drop-in for configs written for the upstream
// plugin), `-v N`, `--version`, `--help`. A hand-written parser keeps start-up free of flag
// registries and lets every mistake become one actionable line.
#ifndef ACRCP_PLUGIN_CLI_H_
#define ACRCP_PLUGIN_CLI_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace acrcp {

struct CommandLine {
  enum class Action { kProvide, kVersion, kHelp };
  Action action = Action::kProvide;
  std::string config_path;  // empty: configuration comes from the environment only
  int verbosity = 0;
};

// Parses the arguments after argv[0]. On a mistake returns InvalidArgument naming it.
absl::StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args);

// The text printed by --help.
std::string UsageText();

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_CLI_H_
