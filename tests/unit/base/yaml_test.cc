#include "plugin/base/yaml.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace acrcp {
namespace {

using ::testing::HasSubstr;

TEST(YamlTest, BlockMappingWithPositions) {
  const std::string text =
      "apiVersion: kubelet.config.k8s.io/v1\n"
      "kind: CredentialProviderConfig\n"
      "providers:\n"
      "  - name: ecr-credential-provider\n"
      "    matchImages: [\"*.dkr.ecr.*.amazonaws.com\"]\n"
      "  - name: \"acr\"  # ours\n"
      "    defaultCacheDuration: 10m\n"
      "tail: x\n";
  absl::StatusOr<YamlNode> doc = ParseYaml(text);
  ASSERT_TRUE(doc.ok()) << doc.status();
  ASSERT_TRUE(doc->IsMapping());
  EXPECT_FALSE(doc->flow);
  ASSERT_EQ(doc->entries.size(), 4u);
  const YamlNode* providers = doc->Find("providers");
  ASSERT_NE(providers, nullptr);
  ASSERT_TRUE(providers->IsSequence());
  ASSERT_EQ(providers->items.size(), 2u);
  const YamlNode& first = providers->items[0];
  EXPECT_EQ(first.start.line, 4u);
  EXPECT_EQ(first.start.column, 5u);
  EXPECT_EQ(text.substr(first.start.offset, 4), "name");
  const YamlNode* images = first.Find("matchImages");
  ASSERT_NE(images, nullptr);
  EXPECT_TRUE(images->flow);
  ASSERT_EQ(images->items.size(), 1u);
  EXPECT_EQ(images->items[0].value, "*.dkr.ecr.*.amazonaws.com");
  EXPECT_TRUE(images->items[0].quoted);
  const YamlNode& second = providers->items[1];
  EXPECT_EQ(second.Find("name")->value, "acr");
  EXPECT_EQ(second.Find("defaultCacheDuration")->value, "10m");
  EXPECT_FALSE(second.Find("defaultCacheDuration")->quoted);
  EXPECT_EQ(providers->end.line, 8u) << "a block sequence ends where the next key starts";
}

TEST(YamlTest, JsonIsYamlToo) {
  absl::StatusOr<YamlNode> doc = ParseYaml(R"({"providers": [{"name": "x", "args": []}]})");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_TRUE(doc->flow);
  const YamlNode& item = doc->Find("providers")->items[0];
  EXPECT_EQ(item.start.offset, 15u);
  EXPECT_EQ(item.end.offset, 40u);
}

TEST(YamlTest, OffsetsCountBytesNotCharacters) {
  const std::string text = "a: \"\xc3\xa9t\xc3\xa9\"\nb: [1]\n";
  absl::StatusOr<YamlNode> doc = ParseYaml(text);
  ASSERT_TRUE(doc.ok()) << doc.status();
  const YamlNode* b = doc->Find("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(text.substr(b->start.offset, 3), "[1]");
  EXPECT_EQ(b->start.line, 2u);
}

TEST(YamlTest, ErrorsNameLineAndColumn) {
  absl::StatusOr<YamlNode> doc = ParseYaml("a: b\n  c: d\n");
  ASSERT_FALSE(doc.ok());
  EXPECT_THAT(std::string(doc.status().message()), HasSubstr("line 2, column"));
  doc = ParseYaml("a: &x [1]\nb: *x\n");
  ASSERT_FALSE(doc.ok());
  EXPECT_THAT(std::string(doc.status().message()), HasSubstr("line 2, column 4: aliases"));
  EXPECT_FALSE(ParseYaml(std::string(200, '[')).ok()) << "nesting is bounded";
}

TEST(YamlTest, EmptyTextIsAnEmptyMapping) {
  absl::StatusOr<YamlNode> doc = ParseYaml("");
  ASSERT_TRUE(doc.ok());
  EXPECT_TRUE(doc->IsMapping());
  EXPECT_TRUE(doc->entries.empty());
}

TEST(YamlTest, RepeatedKeysAreFound) {
  absl::StatusOr<YamlNode> doc = ParseYaml("a: 1\nb: 2\na: 3\n");
  ASSERT_TRUE(doc.ok());
  std::optional<RepeatedKey> repeated = FindRepeatedKey(*doc);
  ASSERT_TRUE(repeated.has_value());
  EXPECT_EQ(repeated->key, "a");
  EXPECT_EQ(repeated->first.line, 1u);
  EXPECT_EQ(repeated->second.line, 3u);
  EXPECT_FALSE(FindRepeatedKey(*ParseYaml("a: 1\nb: 2\n")).has_value());
}

}  // namespace
}  // namespace acrcp
