// A YAML document (JSON is YAML too) as a tree that remembers where each node is in the
// text, for the files the operator commands read and edit: the kubelet's
// CredentialProviderConfig and K3s's config.yaml. Positions let errors name a line and let
// `setup` splice its own provider into a file without reformatting anyone else's.
//
// Built on libyaml's event parser. Only the first document of a stream is read; aliases
// are refused (neither the kubelet's configs nor K3s's need them, and expanding them would
// be a way to make a small file huge). Never used on the kubelet's hit path.
#ifndef ACRCP_PLUGIN_BASE_YAML_H_
#define ACRCP_PLUGIN_BASE_YAML_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace acrcp {

// A position in the text: `offset` in bytes from its start, `line` and `column` from 1
// (columns count characters).
struct YamlMark {
  size_t offset = 0;
  size_t line = 1;
  size_t column = 1;
};

struct YamlEntry;

struct YamlNode {
  enum class Kind { kScalar, kSequence, kMapping };
  Kind kind = Kind::kScalar;
  // Written in flow style: [a, b] or {a: b} (JSON), as opposed to block style.
  bool flow = false;
  std::string value;    // kScalar: the value, quotes and escapes resolved
  bool quoted = false;  // kScalar: written in quotes or as a block scalar, so always a string
  YamlMark start;       // where the node begins
  YamlMark end;         // just after it ends
  std::vector<YamlNode> items;     // kSequence
  std::vector<YamlEntry> entries;  // kMapping, in the order written

  bool IsScalar() const { return kind == Kind::kScalar; }
  bool IsSequence() const { return kind == Kind::kSequence; }
  bool IsMapping() const { return kind == Kind::kMapping; }
  // kMapping: the value of the first entry whose key is the scalar `key`; nullptr if none.
  const YamlNode* Find(absl::string_view key) const;
};

// One key and its value in a mapping.
struct YamlEntry {
  YamlNode key;
  YamlNode value;
};

// The first document of `text`. InvalidArgument "line L, column C: <problem>" for a syntax
// error, an alias, or a document nested deeper than a config plausibly is. An empty text is
// an empty mapping.
absl::StatusOr<YamlNode> ParseYaml(absl::string_view text);

// A key that a mapping has twice, and where both are.
struct RepeatedKey {
  std::string key;
  YamlMark first;
  YamlMark second;
};

// The first key that `mapping` has twice; nullopt when none is repeated (or `mapping` is no
// mapping). Strict decoders (the kubelet's) refuse such documents.
std::optional<RepeatedKey> FindRepeatedKey(const YamlNode& mapping);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_BASE_YAML_H_
