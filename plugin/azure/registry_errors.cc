#include "plugin/azure/registry_errors.h"

#include <string>

#include "nlohmann/json.hpp"

namespace acrcp {
namespace {

// Field `name` of the first entry of `errors`, if it is a string.
std::string FirstError(absl::string_view body, const char* name) {
  const nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
  if (!doc.is_object()) return "";
  const auto errors = doc.find("errors");
  if (errors == doc.end() || !errors->is_array() || errors->empty()) return "";
  const nlohmann::json& first = errors->front();
  if (!first.is_object()) return "";
  const auto field = first.find(name);
  return field != first.end() && field->is_string() ? field->get<std::string>() : "";
}

}  // namespace

std::string RegistryName(absl::string_view login_server) {
  absl::string_view name = login_server.substr(0, login_server.find('.'));
  return std::string(name.substr(0, name.find('-')));
}

std::string RegistryErrorMessage(absl::string_view body) { return FirstError(body, "message"); }

std::string RegistryErrorCode(absl::string_view body) { return FirstError(body, "code"); }

}  // namespace acrcp
