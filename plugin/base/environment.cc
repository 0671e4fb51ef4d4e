#include "plugin/base/environment.h"

#include <cstdlib>
#include <optional>
#include <string>

namespace acrcp {

EnvLookup ProcessEnvironment() {
  return [](absl::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

EnvLookup EmptyEnvironment() {
  return [](absl::string_view) -> std::optional<std::string> { return std::nullopt; };
}

}  // namespace acrcp
