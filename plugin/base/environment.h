// The process environment behind a function, so that config parsing is a pure function of
// its inputs and tests give each case its own environment instead of changing the process's.
#ifndef ACRCP_PLUGIN_BASE_ENVIRONMENT_H_
#define ACRCP_PLUGIN_BASE_ENVIRONMENT_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace acrcp {

// Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(absl::string_view)>;

// The environment of this process (getenv).
EnvLookup ProcessEnvironment();

// An environment with nothing set.
EnvLookup EmptyEnvironment();

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_BASE_ENVIRONMENT_H_
