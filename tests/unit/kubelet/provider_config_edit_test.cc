#include "plugin/kubelet/provider_config_edit.h"

#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "plugin/base/yaml.h"

namespace acrcp {
namespace {

using ::testing::HasSubstr;

CredentialProviderEntry Ours() {
  return {"acr-credential-provider",
          "credentialprovider.kubelet.k8s.io/v1",
          {"*.*.geo.azurecr.io", "*.azurecr.io"},
          "10m",
          {"--config", "/etc/acr-credential-provider/config.json"},
          std::nullopt};
}

// An ECR provider as its docs write it, with the operator's comments.
constexpr char kEcrOnly[] =
    "apiVersion: kubelet.config.k8s.io/v1\n"
    "kind: CredentialProviderConfig\n"
    "providers:\n"
    "  # ECR for the build cluster\n"
    "  - name: ecr-credential-provider\n"
    "    matchImages:\n"
    "      - \"*.dkr.ecr.*.amazonaws.com\"\n"
    "    defaultCacheDuration: \"12h\"\n"
    "    apiVersion: credentialprovider.kubelet.k8s.io/v1\n"
    "    env:\n"
    "      - name: AWS_PROFILE\n"
    "        value: pull\n";

TEST(UpsertProviderTest, NewFileHoldsOnlyOurs) {
  const std::string text = NewProviderConfig(Ours());
  absl::StatusOr<YamlNode> doc = ParseYaml(text);
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(doc->Find("kind")->value, "CredentialProviderConfig");
  ASSERT_EQ(doc->Find("providers")->items.size(), 1u);
  const YamlNode& ours = doc->Find("providers")->items[0];
  EXPECT_EQ(ours.Find("name")->value, "acr-credential-provider");
  EXPECT_EQ(ours.Find("args")->items[1].value, "/etc/acr-credential-provider/config.json");
}

TEST(UpsertProviderTest, OtherProvidersStayExactlyAsWritten) {
  absl::StatusOr<ProviderConfigEdit> edit = UpsertProvider(kEcrOnly, Ours());
  ASSERT_TRUE(edit.ok()) << edit.status();
  EXPECT_EQ(edit->text.substr(0, std::string(kEcrOnly).size()), kEcrOnly)
      << "ours is appended; the ECR entry and its comment are untouched";
  absl::StatusOr<YamlNode> doc = ParseYaml(edit->text);
  ASSERT_TRUE(doc.ok()) << doc.status();
  const YamlNode* providers = doc->Find("providers");
  ASSERT_EQ(providers->items.size(), 2u);
  EXPECT_EQ(providers->items[0].Find("name")->value, "ecr-credential-provider");
  EXPECT_EQ(providers->items[1].Find("name")->value, "acr-credential-provider");
  EXPECT_EQ(providers->items[1].start.column, providers->items[0].start.column)
      << "indented like its neighbour";
  EXPECT_TRUE(edit->overlaps.empty());

  // Again: ours is replaced in place, nothing else moves.
  CredentialProviderEntry changed = Ours();
  changed.args = {"--config", "/etc/other.json"};
  absl::StatusOr<ProviderConfigEdit> again = UpsertProvider(edit->text, changed);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->text.substr(0, std::string(kEcrOnly).size()), kEcrOnly);
  EXPECT_THAT(again->text, HasSubstr("/etc/other.json"));
  EXPECT_THAT(again->text, ::testing::Not(HasSubstr("/etc/acr-credential-provider/config.json")));
  EXPECT_EQ(ParseYaml(again->text)->Find("providers")->items.size(), 2u);
}

TEST(UpsertProviderTest, OursInTheMiddleIsReplacedWhereItStands) {
  const std::string before = std::string(kEcrOnly);
  absl::StatusOr<ProviderConfigEdit> both = UpsertProvider(before, Ours());
  ASSERT_TRUE(both.ok());
  const std::string third =
      "  - name: gcp\n    matchImages: [\"*.gcr.io\"]\n    defaultCacheDuration: 1m\n"
      "    apiVersion: credentialprovider.kubelet.k8s.io/v1\n";
  const std::string three = both->text + third;
  CredentialProviderEntry changed = Ours();
  changed.default_cache_duration = "5m";
  absl::StatusOr<ProviderConfigEdit> edit = UpsertProvider(three, changed);
  ASSERT_TRUE(edit.ok()) << edit.status();
  absl::StatusOr<YamlNode> doc = ParseYaml(edit->text);
  ASSERT_TRUE(doc.ok()) << doc.status();
  const YamlNode* providers = doc->Find("providers");
  ASSERT_EQ(providers->items.size(), 3u);
  EXPECT_EQ(providers->items[1].Find("defaultCacheDuration")->value, "5m");
  EXPECT_EQ(edit->text.substr(edit->text.size() - third.size()), third);
}

TEST(UpsertProviderTest, OverlappingProvidersAreReportedNotChanged) {
  const std::string text =
      "apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n"
      "- name: other-acr-helper\n  matchImages: [\"*.azurecr.io\"]\n"
      "  defaultCacheDuration: 1m\n  apiVersion: credentialprovider.kubelet.k8s.io/v1\n";
  absl::StatusOr<ProviderConfigEdit> edit = UpsertProvider(text, Ours());
  ASSERT_TRUE(edit.ok()) << edit.status();
  ASSERT_EQ(edit->overlaps.size(), 1u);
  EXPECT_EQ(edit->overlaps[0].provider, "other-acr-helper");
  EXPECT_EQ(edit->overlaps[0].theirs, "*.azurecr.io");
  EXPECT_EQ(edit->text.substr(0, text.size()), text);
  EXPECT_EQ(ParseYaml(edit->text)->Find("providers")->items[1].start.column, 3u)
      << "a list written at column 1 gets ours at column 1";
}

TEST(UpsertProviderTest, JsonFilesGetJson) {
  const std::string text =
      R"({"apiVersion":"kubelet.config.k8s.io/v1","kind":"CredentialProviderConfig",)"
      R"("providers":[{"name":"ecr","matchImages":["*.dkr.ecr.*.amazonaws.com"],)"
      R"("defaultCacheDuration":"12h","apiVersion":"credentialprovider.kubelet.k8s.io/v1"}]})";
  absl::StatusOr<ProviderConfigEdit> edit = UpsertProvider(text, Ours());
  ASSERT_TRUE(edit.ok()) << edit.status();
  const nlohmann::json parsed = nlohmann::json::parse(edit->text);  // still JSON
  ASSERT_EQ(parsed["providers"].size(), 2u);
  EXPECT_EQ(parsed["providers"][1]["name"], "acr-credential-provider");
  absl::StatusOr<std::optional<std::string>> removed =
      RemoveProvider(edit->text, "acr-credential-provider");
  ASSERT_TRUE(removed.ok()) << removed.status();
  ASSERT_TRUE(removed->has_value());
  EXPECT_EQ(**removed, text) << "removal gives back the operator's file byte for byte";
}

TEST(UpsertProviderTest, EmptyProvidersKeyGetsAList) {
  absl::StatusOr<ProviderConfigEdit> edit = UpsertProvider(
      "apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n", Ours());
  ASSERT_TRUE(edit.ok()) << edit.status();
  EXPECT_EQ(ParseYaml(edit->text)->Find("providers")->items.size(), 1u);
}

TEST(UpsertProviderTest, UneditableFilesAreRefusedWithTheLine) {
  for (const char* text : {"providers: {}\n", "- a\n- b\n", "providers:\n  - name: [\n",
                           "providers:\n  - name: acr-credential-provider\n"
                           "  - name: acr-credential-provider\n"}) {
    absl::StatusOr<ProviderConfigEdit> edit = UpsertProvider(text, Ours());
    ASSERT_FALSE(edit.ok()) << text;
    EXPECT_THAT(std::string(edit.status().message()), HasSubstr("line ")) << text;
  }
}

TEST(RemoveProviderTest, TakesOutOnlyOurs) {
  absl::StatusOr<ProviderConfigEdit> added = UpsertProvider(kEcrOnly, Ours());
  ASSERT_TRUE(added.ok());
  absl::StatusOr<std::optional<std::string>> removed =
      RemoveProvider(added->text, "acr-credential-provider");
  ASSERT_TRUE(removed.ok()) << removed.status();
  ASSERT_TRUE(removed->has_value());
  EXPECT_EQ(**removed, kEcrOnly) << "the operator's file, byte for byte";
  EXPECT_EQ(*RemoveProvider(kEcrOnly, "acr-credential-provider"), std::string(kEcrOnly))
      << "nothing of ours: unchanged";
}

TEST(RemoveProviderTest, TheLastProviderLeavesNoFile) {
  absl::StatusOr<std::optional<std::string>> removed =
      RemoveProvider(NewProviderConfig(Ours()), "acr-credential-provider");
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_FALSE(removed->has_value()) << "the kubelet refuses an empty list";
}

TEST(UpsertProviderTest, WorkloadIdentityWritesTokenAttributes) {
  CredentialProviderEntry entry = Ours();
  entry.token_attributes = TokenAttributes{"api://AzureADTokenExchange",
                                           "ServiceAccount",
                                           true,
                                           {"kubernetes.azure.com/acr-client-id"},
                                           {"kubernetes.azure.com/acr-tenant-id"}};
  for (const std::string& text : {NewProviderConfig(entry), UpsertProvider(R"({"apiVersion":
           "kubelet.config.k8s.io/v1","kind":"CredentialProviderConfig","providers":[]})",
                                                                           entry)
                                                                ->text}) {
    absl::StatusOr<YamlNode> doc = ParseYaml(text);
    ASSERT_TRUE(doc.ok()) << doc.status();
    const YamlNode* attributes = doc->Find("providers")->items[0].Find("tokenAttributes");
    ASSERT_NE(attributes, nullptr) << text;
    EXPECT_EQ(attributes->Find("serviceAccountTokenAudience")->value, "api://AzureADTokenExchange");
    EXPECT_EQ(attributes->Find("cacheType")->value, "ServiceAccount");
    EXPECT_EQ(attributes->Find("requireServiceAccount")->value, "true");
    EXPECT_FALSE(attributes->Find("requireServiceAccount")->quoted) << "a bool, not a string";
    EXPECT_EQ(attributes->Find("requiredServiceAccountAnnotationKeys")->items[0].value,
              "kubernetes.azure.com/acr-client-id");
  }
  entry.token_attributes->cache_type.clear();  // kubelet 1.33
  EXPECT_THAT(NewProviderConfig(entry), ::testing::Not(HasSubstr("cacheType")));
}

}  // namespace
}  // namespace acrcp
