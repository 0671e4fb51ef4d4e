// The operator commands as main runs them: `check`, `setup` (which checks first, except
// for --remove) and `refresh` (refresh.h). Each writes its report to stdout as it goes and returns
// the exit status: 0 when everything passed, 1 otherwise (the last line says why).
#ifndef ACRCP_PLUGIN_CLI_COMMANDS_H_
#define ACRCP_PLUGIN_CLI_COMMANDS_H_

#include "plugin/cli/cli.h"

namespace acrcp {

int RunCheckCommand(const CommandLine& cl);
int RunSetupCommand(const CommandLine& cl);
int RunRefreshCommand(const CommandLine& cl);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_CLI_COMMANDS_H_
