#include "plugin/kubelet/provider_config_check.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace acrcp {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kFile[] = "/var/lib/rancher/credentialprovider/config.yaml";

constexpr char kValid[] =
    "apiVersion: kubelet.config.k8s.io/v1\n"
    "kind: CredentialProviderConfig\n"
    "providers:\n"
    "  - name: acr-credential-provider\n"
    "    apiVersion: credentialprovider.kubelet.k8s.io/v1\n"
    "    matchImages:\n"
    "      - \"*.azurecr.io\"\n"
    "    defaultCacheDuration: \"10m\"\n"
    "    args: [\"--config\", \"/etc/acr-credential-provider/config.json\"]\n"
    "    env:\n"
    "      - name: HTTPS_PROXY\n"
    "        value: http://proxy:3128\n";

ProviderConfigCheck Check(const std::string& text, std::optional<KubeletVersion> version = {}) {
  return CheckProviderConfig({{kFile, text}}, version);
}

KubeletVersion V(int minor) { return {minor, absl::StrCat("v1.", minor, ".2")}; }

TEST(ParseKubeletVersionTest, K3sAndKubelet) {
  EXPECT_EQ(ParseKubeletVersion("k3s version v1.31.4+k3s1 (a1b2c3d4)\ngo version go1.22")->minor,
            31);
  EXPECT_EQ(ParseKubeletVersion("k3s version v1.31.4+k3s1 (a1b2c3d4)")->text, "v1.31.4+k3s1");
  EXPECT_EQ(ParseKubeletVersion("Kubernetes v1.34.0")->minor, 34);
  EXPECT_FALSE(ParseKubeletVersion("command not found").has_value());
}

TEST(CheckProviderConfigTest, AValidConfigHasNoFindings) {
  const ProviderConfigCheck check = Check(kValid, V(31));
  EXPECT_THAT(check.errors, IsEmpty());
  EXPECT_THAT(check.warnings, IsEmpty());
  ASSERT_EQ(check.providers.size(), 1u);
  EXPECT_EQ(check.providers[0].name, "acr-credential-provider");
  EXPECT_THAT(check.providers[0].match_images, ElementsAre("*.azurecr.io"));
  EXPECT_EQ(check.providers[0].args[1], "/etc/acr-credential-provider/config.json");
  EXPECT_EQ(check.providers[0].line, 4u);
}

struct Mistake {
  std::string from;  // replaced in kValid ...
  std::string to;    // ... by this
  std::string error;
};

void PrintTo(const Mistake& m, std::ostream* os) { *os << m.error; }

class ProviderConfigMistakeTest : public ::testing::TestWithParam<Mistake> {};

// The mistakes users of every credential provider make (k3s-io/k3s#14039, kind#4185), each
// named with its file, line and field, as the kubelet would refuse them.
TEST_P(ProviderConfigMistakeTest, IsAnErrorNamingFileLineAndField) {
  std::string text = kValid;
  const size_t at = text.find(GetParam().from);
  ASSERT_NE(at, std::string::npos) << GetParam().from;
  text.replace(at, GetParam().from.size(), GetParam().to);
  const ProviderConfigCheck check = Check(text, V(34));
  ASSERT_FALSE(check.errors.empty()) << text;
  EXPECT_THAT(check.errors[0], HasSubstr(GetParam().error)) << text;
  EXPECT_THAT(check.errors[0], HasSubstr(absl::StrCat(kFile, ": line ")));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ProviderConfigMistakeTest,
    ::testing::Values(
        Mistake{"    defaultCacheDuration: \"10m\"\n", "",
                "line 4: providers[0].defaultCacheDuration: required field missing"},
        Mistake{"    apiVersion: credentialprovider.kubelet.k8s.io/v1\n", "",
                "providers[0].apiVersion: required field missing"},
        Mistake{"    matchImages:\n      - \"*.azurecr.io\"\n", "",
                "providers[0].matchImages: required field missing"},
        Mistake{"matchImages:", "matchimages:",
                "unknown field 'matchimages' (field names are case-sensitive: matchImages)"},
        Mistake{"    args:", "    cacheDuration: 10m\n    args:",
                "line 9: providers[0]: unknown field 'cacheDuration'"},
        Mistake{"    args:", "    name: twice\n    args:", "field 'name' appears twice"},
        Mistake{"\"10m\"", "10", "providers[0].defaultCacheDuration: must be a string"},
        Mistake{"\"10m\"", "\"10 minutes\"", "'10 minutes' is not a duration"},
        Mistake{"\"10m\"", "\"-1m\"", "must not be negative"},
        Mistake{"kind: CredentialProviderConfig", "kind: CredentialProviderConfiguration",
                "kind: 'CredentialProviderConfiguration' is not CredentialProviderConfig"},
        Mistake{"apiVersion: kubelet.config.k8s.io/v1\n", "apiVersion: kubelet.config.k8s.io/v2\n",
                "'kubelet.config.k8s.io/v2' is not"},
        Mistake{"credentialprovider.kubelet.k8s.io/v1\n", "credentialprovider.kubelet.k8s.io/v2\n",
                "'credentialprovider.kubelet.k8s.io/v2' is not"},
        Mistake{"name: acr-credential-provider", "name: bin/acr-credential-provider",
                "is not a file name in the bin directory"},
        Mistake{"\"*.azurecr.io\"", "\"*.azurecr.io:https\"", "is not an image pattern"},
        Mistake{"        value: http://proxy:3128\n", "        valu: x\n",
                "providers[0].env[0]: unknown field 'valu'"},
        Mistake{"    env:\n",
                "    tokenAttributes:\n      serviceAccountTokenAudience: a\n"
                "      requireServiceAccount: true\n    env:\n",
                "tokenAttributes.cacheType: required from kubelet 1.34"},
        Mistake{"credentialprovider.kubelet.k8s.io/v1\n",
                "credentialprovider.kubelet.k8s.io/v1beta1\n    tokenAttributes:\n"
                "      serviceAccountTokenAudience: a\n      cacheType: Token\n"
                "      requireServiceAccount: true\n",
                "tokenAttributes: needs the provider's apiVersion to be "
                "credentialprovider.kubelet.k8s.io/v1"},
        Mistake{"    env:\n",
                "    tokenAttributes:\n      serviceAccountTokenAudience: a\n"
                "      cacheType: ServiceAccount\n      requireServiceAccount: false\n"
                "      requiredServiceAccountAnnotationKeys: [k]\n    env:\n",
                "requiredServiceAccountAnnotationKeys: needs requireServiceAccount: true"},
        Mistake{"    env:\n",
                "    tokenAttributes:\n      serviceAccountTokenAudience: a\n"
                "      cacheType: ServiceAccount\n      requireServiceAccount: true\n"
                "      requiredServiceAccountAnnotationKeys: [k]\n"
                "      optionalServiceAccountAnnotationKeys: [k]\n    env:\n",
                "'k' is required too"}));

TEST(CheckProviderConfigTest, AnEmptyListIsRefused) {
  EXPECT_THAT(Check("apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\n"
                    "providers: []\n")
                  .errors,
              ElementsAre(HasSubstr("providers: needs at least one provider")));
}

TEST(CheckProviderConfigTest, TwoProvidersWithOneName) {
  const std::string text = std::string(kValid) +
                           "  - name: acr-credential-provider\n"
                           "    apiVersion: credentialprovider.kubelet.k8s.io/v1\n"
                           "    matchImages: [\"x.io\"]\n    defaultCacheDuration: 1m\n";
  EXPECT_THAT(Check(text, V(31)).errors,
              ElementsAre(HasSubstr("line 13: providers[1].name: a second provider named")));
}

TEST(CheckProviderConfigTest, TokenAttributesFollowTheKubeletVersion) {
  const std::string with_cache_type =
      std::string(kValid) +
      "    tokenAttributes:\n"
      "      serviceAccountTokenAudience: api://AzureADTokenExchange\n"
      "      cacheType: ServiceAccount\n"
      "      requireServiceAccount: true\n";
  EXPECT_THAT(Check(with_cache_type, V(34)).errors, IsEmpty());
  EXPECT_THAT(Check(with_cache_type, V(33)).errors,
              ElementsAre(HasSubstr("cacheType: unknown to kubelet 1.33")));
  EXPECT_THAT(Check(with_cache_type, V(33)).warnings, ElementsAre(HasSubstr("feature gate")));
  EXPECT_THAT(Check(with_cache_type, V(32)).errors,
              ElementsAre(HasSubstr("needs kubelet 1.33 or later; this one is v1.32.2")));
  EXPECT_THAT(Check(with_cache_type).warnings,
              ElementsAre(HasSubstr("needs kubelet 1.33 or later (its version is unknown")));
}

TEST(CheckProviderConfigTest, ADirectoryMergesFilesAndNeeds134) {
  const std::string other =
      "apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n"
      "- name: acr-credential-provider\n  matchImages: [a.io]\n  defaultCacheDuration: 1m\n"
      "  apiVersion: credentialprovider.kubelet.k8s.io/v1\n";
  const ProviderConfigCheck check =
      CheckProviderConfig({{"/etc/p/10.yaml", kValid}, {"/etc/p/20.yaml", other}}, V(33));
  EXPECT_THAT(check.errors, ElementsAre(HasSubstr("a directory of configs needs kubelet 1.34"),
                                        HasSubstr("/etc/p/20.yaml: line 4: providers[0].name: a "
                                                  "second provider named")));
}

TEST(CheckProviderConfigTest, OldKubeletsDoNotKnowV1) {
  EXPECT_THAT(Check(kValid, V(25)).errors,
              ElementsAre(HasSubstr("kubelet.config.k8s.io/v1 needs kubelet 1.26 or later"),
                          HasSubstr("credentialprovider.kubelet.k8s.io/v1 needs kubelet 1.26")));
}

TEST(CheckProviderConfigTest, JsonToo) {
  const ProviderConfigCheck check = Check(
      R"({"apiVersion":"kubelet.config.k8s.io/v1","kind":"CredentialProviderConfig",
          "providers":[{"name":"p","matchImages":["*.azurecr.io"],"defaultCacheDuration":"1h",
          "apiVersion":"credentialprovider.kubelet.k8s.io/v1","arg":[]}]})",
      V(31));
  EXPECT_THAT(check.errors, ElementsAre(HasSubstr("line 3: providers[0]: unknown field 'arg'")));
}

TEST(CheckProviderConfigTest, NotYamlIsNamed) {
  EXPECT_THAT(Check("providers: [\n").errors,
              ElementsAre(HasSubstr(absl::StrCat(kFile, ": line"))));
}

}  // namespace
}  // namespace acrcp
