#include "plugin/kubelet/match_images.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace acrcp {
namespace {

// An image reference or pattern read as the kubelet reads "https://" + it.
struct Parsed {
  std::vector<absl::string_view> labels;
  absl::string_view port;
  absl::string_view path;
};

Parsed Parse(absl::string_view s) {
  const size_t slash = s.find('/');
  const absl::string_view authority = s.substr(0, slash);
  Parsed out;
  out.path = slash == absl::string_view::npos ? absl::string_view() : s.substr(slash);
  const size_t colon = authority.rfind(':');
  const absl::string_view host =
      colon == absl::string_view::npos ? authority : authority.substr(0, colon);
  if (colon != absl::string_view::npos) out.port = authority.substr(colon + 1);
  out.labels = absl::StrSplit(host, '.');
  return out;
}

// Matches one character class at the start of `pattern` ("[...]") against `c`; advances
// `pattern` past it. False, with `pattern` emptied, if the class is malformed.
bool ClassMatches(absl::string_view& pattern, char c) {
  pattern.remove_prefix(1);  // '['
  const bool negated = !pattern.empty() && pattern.front() == '^';
  if (negated) pattern.remove_prefix(1);
  bool matched = false;
  bool first = true;
  while (!pattern.empty() && (first || pattern.front() != ']')) {
    first = false;
    char lo = pattern.front();
    if (lo == '\\' && pattern.size() > 1) {
      pattern.remove_prefix(1);
      lo = pattern.front();
    }
    pattern.remove_prefix(1);
    char hi = lo;
    if (pattern.size() > 1 && pattern.front() == '-' && pattern[1] != ']') {
      hi = pattern[1];
      pattern.remove_prefix(2);
    }
    if (lo <= c && c <= hi) matched = true;
  }
  if (pattern.empty()) return false;  // no closing ']'
  pattern.remove_prefix(1);
  return matched != negated;
}

// Whether the one pattern element at the front of `pattern` ('?', a class or a character)
// matches `c`; advances `pattern` past it.
bool ElementMatches(absl::string_view& pattern, char c) {
  const char p = pattern.front();
  if (p == '?') {
    pattern.remove_prefix(1);
    return true;
  }
  if (p == '[') return ClassMatches(pattern, c);
  if (p == '\\' && pattern.size() > 1) pattern.remove_prefix(1);
  const bool same = pattern.front() == c;
  pattern.remove_prefix(1);
  return same;
}

}  // namespace

// The classic linear wildcard match: on a mismatch, only the most recent '*' is widened by
// one character, so no pattern costs more than |pattern| x |text| steps.
bool GlobMatches(absl::string_view pattern, absl::string_view text) {
  absl::string_view star_pattern;  // the pattern just after the last '*'
  absl::string_view star_text;     // the text that '*' has not absorbed yet
  bool have_star = false;
  while (!text.empty()) {
    if (!pattern.empty() && pattern.front() == '*') {
      pattern.remove_prefix(1);
      star_pattern = pattern;
      star_text = text;
      have_star = true;
      continue;
    }
    absl::string_view rest = pattern;
    if (!pattern.empty() && ElementMatches(rest, text.front())) {
      pattern = rest;
      text.remove_prefix(1);
      continue;
    }
    if (!have_star) return false;
    star_text.remove_prefix(1);
    pattern = star_pattern;
    text = star_text;
  }
  while (!pattern.empty() && pattern.front() == '*') pattern.remove_prefix(1);
  return pattern.empty();
}

bool ImageMatches(absl::string_view pattern, absl::string_view image) {
  const Parsed glob = Parse(pattern);
  const Parsed target = Parse(image);
  if (glob.labels.size() != target.labels.size() || glob.port != target.port) return false;
  for (size_t i = 0; i < glob.labels.size(); ++i) {
    if (!GlobMatches(glob.labels[i], target.labels[i])) return false;
  }
  return absl::StartsWith(target.path, glob.path);
}

bool PatternsOverlap(absl::string_view a, absl::string_view b) {
  const Parsed x = Parse(a);
  const Parsed y = Parse(b);
  if (x.labels.size() != y.labels.size() || x.port != y.port) return false;
  const auto wild = [](absl::string_view label) {
    return label.find_first_of("*?[") != absl::string_view::npos;
  };
  for (size_t i = 0; i < x.labels.size(); ++i) {
    const absl::string_view l = x.labels[i];
    const absl::string_view r = y.labels[i];
    if (!GlobMatches(l, r) && !GlobMatches(r, l) && !(wild(l) && wild(r))) return false;
  }
  return absl::StartsWith(x.path, y.path) || absl::StartsWith(y.path, x.path);
}

}  // namespace acrcp
