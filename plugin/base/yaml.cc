#include "plugin/base/yaml.h"

#include <yaml.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace acrcp {
namespace {

// Deeper than any config; bounds the recursion a hostile file could cause.
constexpr size_t kMaxDepth = 64;

// libyaml counts characters; splicing needs bytes. Maps a character index of UTF-8 `text`
// to its byte offset, walking forward from the last answer (marks come in order).
class OffsetMap {
 public:
  explicit OffsetMap(absl::string_view text) : text_(text) {}

  YamlMark At(const yaml_mark_t& mark) {
    if (mark.index < chars_) {
      chars_ = 0;
      bytes_ = 0;
    }
    while (chars_ < mark.index && bytes_ < text_.size()) {
      ++bytes_;
      while (bytes_ < text_.size() && (static_cast<unsigned char>(text_[bytes_]) & 0xC0) == 0x80) {
        ++bytes_;
      }
      ++chars_;
    }
    return {bytes_, mark.line + 1, mark.column + 1};
  }

 private:
  absl::string_view text_;
  size_t chars_ = 0;
  size_t bytes_ = 0;
};

class Builder {
 public:
  explicit Builder(absl::string_view text) : offsets_(text) {
    yaml_parser_initialize(&parser_);
    yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()),
                                 text.size());
  }
  Builder(const Builder&) = delete;
  Builder& operator=(const Builder&) = delete;
  ~Builder() {
    if (have_event_) yaml_event_delete(&event_);
    yaml_parser_delete(&parser_);
  }

  absl::StatusOr<YamlNode> Document() {
    // STREAM-START, then DOCUMENT-START or (empty text) STREAM-END.
    if (absl::Status s = Next(); !s.ok()) return s;
    if (absl::Status s = Next(); !s.ok()) return s;
    if (event_.type == YAML_STREAM_END_EVENT) {
      YamlNode empty;
      empty.kind = YamlNode::Kind::kMapping;
      return empty;
    }
    // Collections being built, innermost last, each with the key that awaits its value. A
    // stack rather than recursion, so a hostile file's depth costs memory only up to the cap.
    std::vector<std::pair<YamlNode, std::optional<YamlNode>>> open;
    for (;;) {
      if (absl::Status s = Next(); !s.ok()) return s;
      YamlNode node;
      node.start = offsets_.At(event_.start_mark);
      switch (event_.type) {
        case YAML_SCALAR_EVENT:
          node.value.assign(reinterpret_cast<const char*>(event_.data.scalar.value),
                            event_.data.scalar.length);
          node.quoted = event_.data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
          node.end = offsets_.At(event_.end_mark);
          break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
          if (open.size() >= kMaxDepth) return Error(node.start, "nested too deeply", "");
          node.kind = event_.type == YAML_SEQUENCE_START_EVENT ? YamlNode::Kind::kSequence
                                                               : YamlNode::Kind::kMapping;
          node.flow = event_.type == YAML_SEQUENCE_START_EVENT
                          ? event_.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE
                          : event_.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;
          open.emplace_back(std::move(node), std::nullopt);
          continue;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
          node = std::move(open.back().first);
          node.end = offsets_.At(event_.end_mark);
          open.pop_back();
          break;
        case YAML_ALIAS_EVENT:
          return Error(node.start, "aliases (*name) are not supported", "");
        default:
          return Error(node.start, "unexpected YAML event", "");
      }
      if (open.empty()) return node;
      auto& [parent, key] = open.back();
      if (parent.IsSequence()) {
        parent.items.push_back(std::move(node));
      } else if (!key) {
        key = std::move(node);
      } else {
        std::optional<YamlNode> taken;
        taken.swap(key);  // leaves `key` empty for the next entry
        parent.entries.push_back({*std::move(taken), std::move(node)});
      }
    }
  }

 private:
  absl::Status Next() {
    if (have_event_) yaml_event_delete(&event_);
    have_event_ = yaml_parser_parse(&parser_, &event_) != 0;
    if (!have_event_) {
      const YamlMark at = offsets_.At(parser_.problem_mark);
      return Error(at, parser_.problem != nullptr ? parser_.problem : "not YAML",
                   parser_.context != nullptr ? parser_.context : "");
    }
    return absl::OkStatus();
  }

  static absl::Status Error(const YamlMark& at, absl::string_view problem,
                            absl::string_view context) {
    return absl::InvalidArgumentError(
        absl::StrCat("line ", at.line, ", column ", at.column, ": ", problem,
                     context.empty() ? "" : absl::StrCat(" ", context)));
  }

  OffsetMap offsets_;
  yaml_parser_t parser_{};
  yaml_event_t event_{};
  bool have_event_ = false;
};

}  // namespace

const YamlNode* YamlNode::Find(absl::string_view key) const {
  for (const YamlEntry& entry : entries) {
    if (entry.key.IsScalar() && entry.key.value == key) return &entry.value;
  }
  return nullptr;
}

absl::StatusOr<YamlNode> ParseYaml(absl::string_view text) { return Builder(text).Document(); }

std::optional<RepeatedKey> FindRepeatedKey(const YamlNode& mapping) {
  std::map<std::string, YamlMark> seen;
  for (const auto& [key, value] : mapping.entries) {
    if (!key.IsScalar()) continue;
    const auto [it, inserted] = seen.emplace(key.value, key.start);
    if (!inserted) return RepeatedKey{key.value, it->second, key.start};
  }
  return std::nullopt;
}

}  // namespace acrcp
