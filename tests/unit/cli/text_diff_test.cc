#include "plugin/cli/text_diff.h"

#include <string>

#include "gtest/gtest.h"

namespace acrcp {
namespace {

TEST(UnifiedDiffTest, EqualTextsHaveNoDiff) { EXPECT_EQ(UnifiedDiff("a\nb\n", "a\nb\n", "f"), ""); }

TEST(UnifiedDiffTest, OneHunkWithContext) {
  const std::string before = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
  const std::string after = "1\n2\n3\n4\nfive\n6\n7\n8\n9\nten\n";
  EXPECT_EQ(UnifiedDiff(before, after, "/etc/x.yaml"),
            "--- /etc/x.yaml\n+++ /etc/x.yaml\n"
            "@@ -2,8 +2,9 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n 9\n+ten\n");
}

TEST(UnifiedDiffTest, FarApartChangesGetTheirOwnHunks) {
  std::string before;
  for (int i = 1; i <= 20; ++i) before += std::to_string(i) + "\n";
  std::string after = before;
  after.replace(0, 2, "one\n");
  after += "21\n";
  const std::string diff = UnifiedDiff(before, after, "f");
  EXPECT_EQ(diff,
            "--- f\n+++ f\n@@ -1,4 +1,4 @@\n-1\n+one\n 2\n 3\n 4\n"
            "@@ -18,3 +18,4 @@\n 18\n 19\n 20\n+21\n");
}

TEST(UnifiedDiffTest, CreatedAndRemovedFiles) {
  EXPECT_EQ(UnifiedDiff("", "a\n", "f"), "--- /dev/null\n+++ f\n@@ -0,0 +1,1 @@\n+a\n");
  EXPECT_EQ(UnifiedDiff("a\n", "", "f"), "--- f\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-a\n");
}

}  // namespace
}  // namespace acrcp
