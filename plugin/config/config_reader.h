// Reading one JSON object of the node config: its keys (canonical spelling, matched
// case-insensitively as upstream's azure.json is; unknown and duplicate keys are errors
// that name them) and typed values, each error one line naming the file, the key and the fix.
//
// A reader is a view of a parsed document; it touches no file. The document must outlive it.
#ifndef ACRCP_PLUGIN_CONFIG_CONFIG_READER_H_
#define ACRCP_PLUGIN_CONFIG_CONFIG_READER_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "nlohmann/json.hpp"
#include "plugin/base/environment.h"

namespace acrcp {

class ConfigReader {
 public:
  // Reads the top level of the config at `file`: `known` keys, plus the upstream azure.json
  // keys (upstream_keys.h).
  ConfigReader(absl::string_view file, const EnvLookup& env,
               absl::Span<const absl::string_view> known);
  // Reads an object nested at `where` (e.g. "identities[1]") with its own `known` keys.
  ConfigReader(const ConfigReader& parent, absl::string_view where, const EnvLookup& env,
               absl::Span<const absl::string_view> known);

  const std::string& file() const { return file_; }
  // The file, and for a nested object where in it: "config.json: identities[1]".
  const std::string& source() const { return source_; }
  const EnvLookup& env() const { return env_; }

  // InvalidArgument "node config <source>: <what> (<fix>)".
  absl::Status Error(absl::string_view what, absl::string_view fix) const;

  // `text` as JSON. A syntax error names the line and column and what was expected, never
  // the text around it (which may be a secret); `example` is a valid config to point at.
  absl::StatusOr<nlohmann::json> Parse(absl::string_view text, absl::string_view example) const;

  // Canonicalises `doc`'s keys; rejects unknown and duplicate ones. REQUIRES: `doc` is an
  // object that outlives this reader.
  absl::Status Index(const nlohmann::json& doc);

  // The value of `key` (canonical spelling); nullptr when absent or null.
  const nlohmann::json* Find(absl::string_view key) const;

  // "" when absent.
  absl::StatusOr<std::string> String(absl::string_view key) const;
  // The file's value, else the environment variable's, else "".
  absl::StatusOr<std::string> StringOrEnv(absl::string_view key, absl::string_view env_var) const;
  absl::StatusOr<int64_t> Integer(absl::string_view key, int64_t min, int64_t max,
                                  int64_t fallback) const;
  // "" when absent; an error when not absolute (the kubelet's working directory is undefined).
  absl::StatusOr<std::string> AbsolutePath(absl::string_view key) const;

 private:
  std::string file_;
  std::string source_;
  const EnvLookup& env_;
  absl::Span<const absl::string_view> known_;
  bool top_level_;
  std::map<absl::string_view, const nlohmann::json*> values_;
};

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_CONFIG_CONFIG_READER_H_
