#include "plugin/config/config_reader.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/algorithm/container.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "plugin/config/upstream_keys.h"

namespace acrcp {
namespace {

using nlohmann::json;

std::optional<absl::string_view> Canonical(absl::Span<const absl::string_view> keys,
                                           absl::string_view key) {
  for (absl::string_view k : keys) {
    if (absl::EqualsIgnoreCase(k, key)) return k;
  }
  return std::nullopt;
}

// Upstream's refused keys may stay in a config as long as they select nothing.
bool IsUnset(const json& value) {
  return value.is_null() || (value.is_string() && value.get<std::string>().empty()) ||
         (value.is_boolean() && !value.get<bool>());
}

}  // namespace

ConfigReader::ConfigReader(absl::string_view file, const EnvLookup& env,
                           absl::Span<const absl::string_view> known)
    : file_(file), source_(file), env_(env), known_(known), top_level_(true) {}

ConfigReader::ConfigReader(const ConfigReader& parent, absl::string_view where,
                           const EnvLookup& env, absl::Span<const absl::string_view> known)
    : file_(parent.file_),
      source_(absl::StrCat(parent.source_, ": ", where)),
      env_(env),
      known_(known),
      top_level_(false) {}

absl::Status ConfigReader::Error(absl::string_view what, absl::string_view fix) const {
  return absl::InvalidArgumentError(
      absl::StrCat("node config ", source_, ": ", what, " (", fix, ")"));
}

absl::StatusOr<json> ConfigReader::Parse(absl::string_view text, absl::string_view example) const {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    // e.byte is the 1-based offset at which parsing failed.
    const size_t end = std::min(e.byte == 0 ? 0 : e.byte - 1, text.size());
    const absl::string_view before = text.substr(0, end);
    const size_t line = 1 + static_cast<size_t>(absl::c_count(before, '\n'));
    const size_t line_start = before.rfind('\n');
    const size_t column = end - (line_start == absl::string_view::npos ? 0 : line_start + 1) + 1;
    // "... syntax error while parsing object key - invalid literal; last read: '...';
    // expected string literal": keep what went wrong and what was expected, but not what was
    // read, which may be part of a secret.
    absl::string_view what = e.what();
    const size_t syntax = what.find("syntax error");
    what = syntax == absl::string_view::npos ? "syntax error" : what.substr(syntax);
    std::string problem(what.substr(0, what.find("; last read:")));
    const size_t expected = what.find("; expected ");
    if (expected != absl::string_view::npos && !absl::StrContains(problem, "; expected ")) {
      absl::StrAppend(&problem, what.substr(expected));
    }
    return Error(absl::StrCat("line ", line, ", column ", column, ": ", problem),
                 absl::StrCat("fix the JSON: keys and strings in double quotes, commas between "
                              "entries but not after the last; ",
                              example, " is a valid example"));
  }
}

absl::Status ConfigReader::Index(const json& doc) {
  for (const auto& [key, value] : doc.items()) {
    if (top_level_ && IsIgnoredUpstreamKey(key)) continue;
    if (std::optional<std::string> replacement =
            top_level_ ? UnsupportedUpstreamKey(key) : std::nullopt) {
      if (IsUnset(value)) continue;
      return Error(absl::StrCat("key '", key, "' is not supported"), *replacement);
    }
    const std::optional<absl::string_view> known = Canonical(known_, key);
    if (!known) {
      return Error(absl::StrCat("unknown key '", key, "'"),
                   "remove it or fix its spelling; docs/configuration.md lists the keys");
    }
    if (!values_.emplace(*known, &value).second) {
      return Error(absl::StrCat("key '", *known, "' appears twice"), "keep one");
    }
  }
  return absl::OkStatus();
}

const json* ConfigReader::Find(absl::string_view key) const {
  const auto it = values_.find(key);
  return it == values_.end() || it->second->is_null() ? nullptr : it->second;
}

absl::StatusOr<std::string> ConfigReader::String(absl::string_view key) const {
  const json* v = Find(key);
  if (v == nullptr) return std::string();
  if (!v->is_string()) {
    return Error(absl::StrCat("'", key, "' must be a string"), "quote the value");
  }
  return v->get<std::string>();
}

absl::StatusOr<std::string> ConfigReader::StringOrEnv(absl::string_view key,
                                                      absl::string_view env_var) const {
  absl::StatusOr<std::string> value = String(key);
  if (!value.ok() || !value->empty()) return value;
  return env_(env_var).value_or("");
}

absl::StatusOr<int64_t> ConfigReader::Integer(absl::string_view key, int64_t min, int64_t max,
                                              int64_t fallback) const {
  const json* v = Find(key);
  if (v == nullptr) return fallback;
  if (!v->is_number_integer() || v->get<int64_t>() < min || v->get<int64_t>() > max) {
    return Error(absl::StrCat("'", key, "' must be a whole number from ", min, " to ", max),
                 "fix the value");
  }
  return v->get<int64_t>();
}

absl::StatusOr<std::string> ConfigReader::AbsolutePath(absl::string_view key) const {
  absl::StatusOr<std::string> path = String(key);
  if (path.ok() && !path->empty() && (*path)[0] != '/') {
    return Error(absl::StrCat("'", key, "' must be an absolute path, got '", *path, "'"),
                 "the kubelet's working directory is not defined");
  }
  return path;
}

}  // namespace acrcp
