// A unified diff of two texts, for `setup --dry-run`: what it would change in each file,
// the way operators already read changes.
#ifndef ACRCP_PLUGIN_CLI_TEXT_DIFF_H_
#define ACRCP_PLUGIN_CLI_TEXT_DIFF_H_

#include <string>

#include "absl/strings/string_view.h"

namespace acrcp {

// "--- <path>\n+++ <path>\n@@ ... @@" hunks with three lines of context, as `diff -u`
// writes them; "" when the texts are equal. An empty `before` is a file being created, an
// empty `after` one being removed. Files too large to compare line by line are shown whole.
std::string UnifiedDiff(absl::string_view before, absl::string_view after, absl::string_view path);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_CLI_TEXT_DIFF_H_
