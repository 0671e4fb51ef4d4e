#include "plugin/cli/text_diff.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace acrcp {
namespace {

constexpr size_t kContext = 3;
// Past this many line pairs the LCS table would be large: the diff shows the files whole.
constexpr size_t kMaxCells = size_t{4} << 20;

std::vector<absl::string_view> Lines(absl::string_view text) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();  // the final newline
  return lines;
}

// One line of the edit script: ' ' kept, '-' removed, '+' added.
struct Op {
  char kind;
  absl::string_view line;
  size_t a;  // line numbers (from 0) in before and after, where the op stands
  size_t b;
};

std::vector<Op> EditScript(const std::vector<absl::string_view>& a,
                           const std::vector<absl::string_view>& b) {
  std::vector<Op> ops;
  if (a.size() * b.size() > kMaxCells) {
    for (size_t i = 0; i < a.size(); ++i) ops.push_back({'-', a[i], i, 0});
    for (size_t j = 0; j < b.size(); ++j) ops.push_back({'+', b[j], a.size(), j});
    return ops;
  }
  // lcs[i][j]: the longest common subsequence of a[i:] and b[j:].
  std::vector<std::vector<size_t>> lcs(a.size() + 1, std::vector<size_t>(b.size() + 1, 0));
  for (size_t i = a.size(); i-- > 0;) {
    for (size_t j = b.size(); j-- > 0;) {
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  size_t i = 0;
  size_t j = 0;
  while (i < a.size() || j < b.size()) {
    if (i < a.size() && j < b.size() && a[i] == b[j]) {
      ops.push_back({' ', a[i], i, j});
      ++i;
      ++j;
    } else if (i < a.size() && (j == b.size() || lcs[i + 1][j] >= lcs[i][j + 1])) {
      ops.push_back({'-', a[i], i, j});  // removals first, as diff -u writes them
      ++i;
    } else {
      ops.push_back({'+', b[j], i, j});
      ++j;
    }
  }
  return ops;
}

}  // namespace

std::string UnifiedDiff(absl::string_view before, absl::string_view after, absl::string_view path) {
  if (before == after) return "";
  const std::vector<Op> ops = EditScript(Lines(before), Lines(after));
  std::string out = absl::StrCat("--- ", before.empty() ? "/dev/null" : path, "\n+++ ",
                                 after.empty() ? "/dev/null" : path, "\n");
  size_t k = 0;
  while (k < ops.size()) {
    if (ops[k].kind == ' ') {
      ++k;
      continue;
    }
    // A hunk: from kContext kept lines before this change to kContext after the last change
    // that is no further than 2 * kContext kept lines from the previous one.
    const size_t first = k >= kContext ? k - kContext : 0;
    size_t last = k;
    for (size_t kept = 0, m = k; m < ops.size(); ++m) {
      kept = ops[m].kind == ' ' ? kept + 1 : 0;
      if (ops[m].kind != ' ') last = m;
      if (kept > 2 * kContext) break;
    }
    const size_t end = std::min(ops.size(), last + 1 + kContext);
    size_t removed = 0;
    size_t added = 0;
    for (size_t m = first; m < end; ++m) {
      removed += ops[m].kind != '+';
      added += ops[m].kind != '-';
    }
    absl::StrAppend(&out, "@@ -", removed == 0 ? ops[first].a : ops[first].a + 1, ",", removed,
                    " +", added == 0 ? ops[first].b : ops[first].b + 1, ",", added, " @@\n");
    for (size_t m = first; m < end; ++m)
      absl::StrAppend(&out, std::string(1, ops[m].kind), ops[m].line, "\n");
    k = end;
  }
  return out;
}

}  // namespace acrcp
