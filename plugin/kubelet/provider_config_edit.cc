#include "plugin/kubelet/provider_config_edit.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "plugin/base/yaml.h"
#include "plugin/kubelet/match_images.h"

namespace acrcp {
namespace {

// A YAML scalar: JSON's string syntax is valid YAML and quotes everything that needs it.
std::string Quoted(const std::string& value) { return nlohmann::json(value).dump(); }

std::string List(const std::vector<std::string>& values, absl::string_view indent) {
  std::string out;
  for (const std::string& value : values) absl::StrAppend(&out, indent, "- ", Quoted(value), "\n");
  return out;
}

// tokenAttributes as the fields of a block mapping indented by `key`.
std::string TokenAttributesBlock(const TokenAttributes& attributes, const std::string& key) {
  const std::string field = absl::StrCat(key, "  ");
  const std::string item = absl::StrCat(field, "  ");
  std::string out = absl::StrCat(
      key, "# The kubelet passes each pod's service-account token for workload identity.\n", key,
      "tokenAttributes:\n", field, "serviceAccountTokenAudience: ", Quoted(attributes.audience),
      "\n");
  if (!attributes.cache_type.empty()) {
    absl::StrAppend(&out, field, "cacheType: ", attributes.cache_type, "\n");
  }
  absl::StrAppend(&out, field,
                  "requireServiceAccount: ", attributes.require_service_account ? "true" : "false",
                  "\n");
  if (!attributes.required_annotation_keys.empty()) {
    absl::StrAppend(&out, field, "requiredServiceAccountAnnotationKeys:\n",
                    List(attributes.required_annotation_keys, item));
  }
  if (!attributes.optional_annotation_keys.empty()) {
    absl::StrAppend(&out, field, "optionalServiceAccountAnnotationKeys:\n",
                    List(attributes.optional_annotation_keys, item));
  }
  return out;
}

// The entry as a block sequence item whose '-' is at column `indent` + 1.
std::string BlockItem(const CredentialProviderEntry& entry, size_t indent) {
  const std::string pad(indent, ' ');
  const std::string key = absl::StrCat(pad, "  ");
  return absl::StrCat(
      pad, "- name: ", entry.name, "\n",  //
      key, "apiVersion: ", entry.api_version, "\n", key,
      "# One '*' matches exactly one DNS label: geo-replicas need their own pattern.\n", key,
      "matchImages:\n", List(entry.match_images, absl::StrCat(key, "  ")), key,
      "# The plugin answers with its own, shorter-lived cacheDuration.\n", key,
      "defaultCacheDuration: ", Quoted(entry.default_cache_duration), "\n", key, "args:\n",
      List(entry.args, absl::StrCat(key, "  ")),
      entry.token_attributes ? TokenAttributesBlock(*entry.token_attributes, key) : "");
}

// The entry as a JSON object, for flow-style (JSON) files.
std::string FlowItem(const CredentialProviderEntry& entry) {
  nlohmann::ordered_json item = {{"name", entry.name},
                                 {"apiVersion", entry.api_version},
                                 {"matchImages", entry.match_images},
                                 {"defaultCacheDuration", entry.default_cache_duration},
                                 {"args", entry.args}};
  if (const std::optional<TokenAttributes>& a = entry.token_attributes) {
    nlohmann::ordered_json attributes = {{"serviceAccountTokenAudience", a->audience}};
    if (!a->cache_type.empty()) attributes["cacheType"] = a->cache_type;
    attributes["requireServiceAccount"] = a->require_service_account;
    if (!a->required_annotation_keys.empty()) {
      attributes["requiredServiceAccountAnnotationKeys"] = a->required_annotation_keys;
    }
    if (!a->optional_annotation_keys.empty()) {
      attributes["optionalServiceAccountAnnotationKeys"] = a->optional_annotation_keys;
    }
    item["tokenAttributes"] = std::move(attributes);
  }
  return item.dump();
}

absl::Status Invalid(const YamlMark& at, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("line ", at.line, ": ", what, " (fix it by hand, or move the file away)"));
}

// The start of the line that holds `offset`.
size_t LineStart(absl::string_view text, size_t offset) {
  const size_t newline = text.rfind('\n', offset == 0 ? 0 : offset - 1);
  return newline == absl::string_view::npos || offset == 0 ? 0 : newline + 1;
}

// Where a block node that ends at `end` stops owning lines: the start of that line if only
// indentation precedes `end` on it (the next item or key begins there), else the next line.
size_t BlockEnd(absl::string_view text, const YamlMark& end) {
  const size_t line = LineStart(text, end.offset);
  if (text.substr(line, end.offset - line).find_first_not_of(' ') == absl::string_view::npos) {
    return line;
  }
  const size_t newline = text.find('\n', end.offset);
  return newline == absl::string_view::npos ? text.size() : newline + 1;
}

// The parsed file and its `providers` list.
struct Document {
  YamlNode root;
  const YamlNode* providers = nullptr;  // nullptr when there is no list
  const YamlNode* empty_key = nullptr;  // the key of a "providers:" with nothing after it
  std::optional<size_t> index;          // our entry's position in `providers`, if there
};

absl::StatusOr<Document> Load(absl::string_view text, absl::string_view name) {
  absl::StatusOr<YamlNode> root = ParseYaml(text);
  if (!root.ok()) return absl::InvalidArgumentError(absl::StrCat(root.status().message()));
  Document doc{*std::move(root), nullptr, nullptr, std::nullopt};
  if (!doc.root.IsMapping()) return Invalid(doc.root.start, "not a CredentialProviderConfig");
  doc.providers = doc.root.Find("providers");
  if (doc.providers == nullptr) return doc;
  if (doc.providers->IsScalar() && doc.providers->value.empty() && !doc.providers->quoted) {
    for (const auto& [key, value] : doc.root.entries) {
      if (&value == doc.providers) doc.empty_key = &key;
    }
    doc.providers = nullptr;
    return doc;
  }
  if (!doc.providers->IsSequence()) return Invalid(doc.providers->start, "providers is not a list");
  for (size_t i = 0; i < doc.providers->items.size(); ++i) {
    const YamlNode* item_name = doc.providers->items[i].Find("name");
    if (item_name == nullptr || item_name->value != name) continue;
    if (doc.index) {
      return Invalid(doc.providers->items[i].start, absl::StrCat("a second provider named ", name));
    }
    doc.index = i;
  }
  return doc;
}

// The byte range [first, second) that item `i` of a block sequence owns: from the line of
// its '-' to where it stops owning lines.
std::pair<size_t, size_t> BlockRange(absl::string_view text, const YamlNode& list, size_t i) {
  const size_t begin = LineStart(text, list.items[i].start.offset);
  const size_t end = i + 1 < list.items.size() ? LineStart(text, list.items[i + 1].start.offset)
                                               : BlockEnd(text, list.items[i].end);
  return {begin, end};
}

// The column (from 0) of the '-' before item `i`.
size_t DashIndent(absl::string_view text, const YamlNode& list, size_t i) {
  const size_t line = LineStart(text, list.items[i].start.offset);
  return text.substr(line).find_first_not_of(' ');
}

std::string Splice(absl::string_view text, size_t begin, size_t end, absl::string_view with) {
  return absl::StrCat(text.substr(0, begin), with, text.substr(end));
}

std::vector<ProviderOverlap> Overlaps(const Document& doc, const CredentialProviderEntry& entry) {
  std::vector<ProviderOverlap> out;
  if (doc.providers == nullptr) return out;
  for (size_t i = 0; i < doc.providers->items.size(); ++i) {
    if (doc.index == i) continue;
    const YamlNode& item = doc.providers->items[i];
    const YamlNode* name = item.Find("name");
    const YamlNode* images = item.Find("matchImages");
    if (images == nullptr || !images->IsSequence()) continue;
    for (const YamlNode& theirs : images->items) {
      for (const std::string& ours : entry.match_images) {
        if (PatternsOverlap(theirs.value, ours)) {
          out.push_back({name != nullptr ? name->value : "(unnamed)", theirs.value, ours});
        }
      }
    }
  }
  return out;
}

// The edit, parsed again: it must still be a config whose other providers are all there.
absl::Status Verify(absl::string_view edited, size_t expected_providers) {
  absl::StatusOr<YamlNode> root = ParseYaml(edited);
  const YamlNode* providers = root.ok() ? root->Find("providers") : nullptr;
  if (providers == nullptr || !providers->IsSequence() ||
      providers->items.size() != expected_providers) {
    return absl::InternalError(
        "editing the credential provider config gave an unreadable file; nothing was written "
        "(please report this with the file)");
  }
  return absl::OkStatus();
}

}  // namespace

std::string NewProviderConfig(const CredentialProviderEntry& entry) {
  return absl::StrCat(
      "# Written by `acr-credential-provider setup`; `setup --remove` takes its entry out again.\n"
      "apiVersion: kubelet.config.k8s.io/v1\n"
      "kind: CredentialProviderConfig\n"
      "providers:\n",
      BlockItem(entry, 2));
}

absl::StatusOr<ProviderConfigEdit> UpsertProvider(absl::string_view text,
                                                  const CredentialProviderEntry& entry) {
  absl::StatusOr<Document> doc = Load(text, entry.name);
  if (!doc.ok()) return doc.status();
  ProviderConfigEdit edit{std::string(), Overlaps(*doc, entry)};
  const YamlNode* list = doc->providers;
  size_t expected = 1;
  if (list == nullptr) {
    // No list yet: add one at the end, after taking out an empty "providers:" line.
    std::string body(text);
    if (doc->empty_key != nullptr) {
      const size_t line = LineStart(text, doc->empty_key->start.offset);
      const size_t newline = text.find('\n', doc->empty_key->start.offset);
      body = Splice(text, line, newline == absl::string_view::npos ? text.size() : newline + 1, "");
    }
    if (!body.empty() && body.back() != '\n') body.push_back('\n');
    edit.text = absl::StrCat(body, "providers:\n", BlockItem(entry, 2));
  } else if (list->flow) {
    expected = list->items.size() + (doc->index ? 0 : 1);
    if (doc->index) {
      const YamlNode& item = list->items[*doc->index];
      edit.text = Splice(text, item.start.offset, item.end.offset, FlowItem(entry));
    } else {
      const size_t close = list->end.offset - 1;  // the ']'
      edit.text = Splice(text, close, close,
                         absl::StrCat(list->items.empty() ? "" : ", ", FlowItem(entry)));
    }
  } else {
    expected = list->items.size() + (doc->index ? 0 : 1);
    const size_t at = doc->index.value_or(list->items.size() - 1);
    const auto [begin, end] = BlockRange(text, *list, at);
    std::string item = BlockItem(entry, DashIndent(text, *list, at));
    if (doc->index) {
      edit.text = Splice(text, begin, end, item);
    } else {
      const bool newline = end > 0 && text[end - 1] != '\n';
      edit.text = Splice(text, end, end, absl::StrCat(newline ? "\n" : "", item));
    }
  }
  if (absl::Status s = Verify(edit.text, expected); !s.ok()) return s;
  return edit;
}

absl::StatusOr<std::optional<std::string>> RemoveProvider(absl::string_view text,
                                                          absl::string_view name) {
  absl::StatusOr<Document> doc = Load(text, name);
  if (!doc.ok()) return doc.status();
  if (!doc->index) return std::string(text);
  const YamlNode& list = *doc->providers;
  if (list.items.size() == 1) return std::nullopt;
  const size_t i = *doc->index;
  std::string edited;
  if (list.flow) {
    // Take one separating comma with the item: the one before it, or after the first.
    const size_t begin = i > 0 ? list.items[i - 1].end.offset : list.items[i].start.offset;
    const size_t end = i > 0 ? list.items[i].end.offset : list.items[i + 1].start.offset;
    edited = Splice(text, begin, end, "");
  } else {
    const auto [begin, end] = BlockRange(text, list, i);
    edited = Splice(text, begin, end, "");
  }
  if (absl::Status s = Verify(edited, list.items.size() - 1); !s.ok()) return s;
  return edited;
}

}  // namespace acrcp
