#include "plugin/kubelet/provider_config_check.h"

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "plugin/base/yaml.h"

namespace acrcp {
namespace {

constexpr char kRequestV1[] = "credentialprovider.kubelet.k8s.io/v1";
constexpr int kTokenAttributesMinor = 33;  // alpha behind a feature gate; on by default in 34
constexpr int kCacheTypeMinor = 34;

// The kubelet.config.k8s.io versions and the first kubelet minor that reads each.
constexpr std::pair<absl::string_view, int> kConfigVersions[] = {
    {"kubelet.config.k8s.io/v1", 26},
    {"kubelet.config.k8s.io/v1beta1", 24},
    {"kubelet.config.k8s.io/v1alpha1", 20}};
constexpr std::pair<absl::string_view, int> kRequestVersions[] = {
    {kRequestV1, 26},
    {"credentialprovider.kubelet.k8s.io/v1beta1", 24},
    {"credentialprovider.kubelet.k8s.io/v1alpha1", 20}};

// YAML 1.1 plain scalars that sigs.k8s.io/yaml turns into something other than a string.
bool IsPlainNonString(const YamlNode& node) {
  if (node.quoted) return false;
  const std::string lower = absl::AsciiStrToLower(node.value);
  for (const char* word : {"", "~", "null", "true", "false", "yes", "no", "on", "off"}) {
    if (lower == word) return true;
  }
  double number = 0;
  return absl::SimpleAtod(node.value, &number);
}

bool IsPlainBool(const YamlNode& node, bool& value) {
  if (!node.IsScalar() || node.quoted) return false;
  const std::string lower = absl::AsciiStrToLower(node.value);
  if (lower == "true" || lower == "yes" || lower == "on") {
    value = true;
    return true;
  }
  if (lower == "false" || lower == "no" || lower == "off") {
    value = false;
    return true;
  }
  return false;
}

bool IsNull(const YamlNode& node) {
  return node.IsScalar() && !node.quoted &&
         (node.value.empty() || node.value == "~" || absl::AsciiStrToLower(node.value) == "null");
}

// Collects findings for one file.
class Checker {
 public:
  Checker(std::string file, const std::optional<KubeletVersion>& version, ProviderConfigCheck& out)
      : file_(std::move(file)), version_(version), out_(out) {}

  void Error(const YamlNode& at, absl::string_view path, absl::string_view what) {
    out_.errors.push_back(Where(at, path, what));
  }
  void Warning(const YamlNode& at, absl::string_view path, absl::string_view what) {
    out_.warnings.push_back(Where(at, path, what));
  }

  // The mapping's entries that `known` names; an error for any other key, or one twice.
  bool Fields(const YamlNode& node, absl::string_view path,
              std::initializer_list<absl::string_view> known) {
    if (!node.IsMapping()) {
      Error(node, path, "must be a mapping of fields");
      return false;
    }
    if (std::optional<RepeatedKey> repeated = FindRepeatedKey(node)) {
      out_.errors.push_back(absl::StrCat(file_, ": line ", repeated->second.line, ": ", path,
                                         ": field '", repeated->key,
                                         "' appears twice (also on "
                                         "line ",
                                         repeated->first.line, "; keep one)"));
    }
    for (const auto& [key, value] : node.entries) {
      bool found = false;
      std::string near;
      for (absl::string_view field : known) {
        found |= key.value == field;
        if (absl::EqualsIgnoreCase(key.value, field)) near = std::string(field);
      }
      if (!found) {
        Error(key, path,
              absl::StrCat("unknown field '", key.value, "'",
                           near.empty()
                               ? " (the kubelet decodes strictly: remove it)"
                               : absl::StrCat(" (field names are case-sensitive: ", near, ")")));
      }
    }
    return true;
  }

  // A required or optional string field; nullopt when absent or wrong.
  std::optional<std::string> String(const YamlNode& parent, absl::string_view path,
                                    absl::string_view field, bool required) {
    const YamlNode* node = parent.Find(field);
    const std::string at = absl::StrCat(path, path.empty() ? "" : ".", field);
    if (node == nullptr || IsNull(*node)) {
      if (required) Error(parent, at, "required field missing");
      return std::nullopt;
    }
    if (!node->IsScalar() || IsPlainNonString(*node)) {
      Error(*node, at, "must be a string (quote it)");
      return std::nullopt;
    }
    return node->value;
  }

  // A list of strings; empty when absent.
  std::vector<std::string> Strings(const YamlNode& parent, absl::string_view path,
                                   absl::string_view field) {
    std::vector<std::string> out;
    const YamlNode* node = parent.Find(field);
    const std::string at = absl::StrCat(path, ".", field);
    if (node == nullptr || IsNull(*node)) return out;
    if (!node->IsSequence()) {
      Error(*node, at, "must be a list of strings");
      return out;
    }
    for (size_t i = 0; i < node->items.size(); ++i) {
      const YamlNode& item = node->items[i];
      if (!item.IsScalar() || IsPlainNonString(item)) {
        Error(item, absl::StrCat(at, "[", i, "]"), "must be a string (quote it)");
      } else {
        out.push_back(item.value);
      }
    }
    return out;
  }

  bool VersionBelow(int minor) const { return version_ && version_->minor < minor; }
  const std::optional<KubeletVersion>& version() const { return version_; }
  const std::string& file() const { return file_; }

 private:
  std::string Where(const YamlNode& at, absl::string_view path, absl::string_view what) const {
    return absl::StrCat(file_, ": line ", at.start.line, ": ", path, path.empty() ? "" : ": ",
                        what);
  }

  std::string file_;
  const std::optional<KubeletVersion>& version_;
  ProviderConfigCheck& out_;
};

// An entry of matchImages as the kubelet parses it ("https://" + it as a URL).
bool ParsableImagePattern(absl::string_view pattern) {
  if (pattern.empty()) return false;
  for (char c : pattern) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c)) || c == '@' || c == '#' || c == '?') {
      return false;
    }
  }
  const absl::string_view authority = pattern.substr(0, pattern.find('/'));
  const size_t colon = authority.rfind(':');
  if (colon == absl::string_view::npos) return !authority.empty();
  int port = 0;
  return colon > 0 && absl::SimpleAtoi(authority.substr(colon + 1), &port) && port > 0 &&
         port < 65536;
}

void CheckTokenAttributes(Checker& c, const YamlNode& node, absl::string_view path,
                          absl::string_view api_version) {
  if (!c.Fields(node, path,
                {"serviceAccountTokenAudience", "cacheType", "requireServiceAccount",
                 "requiredServiceAccountAnnotationKeys", "optionalServiceAccountAnnotationKeys"})) {
    return;
  }
  if (api_version != kRequestV1) {
    c.Error(node, path, absl::StrCat("needs the provider's apiVersion to be ", kRequestV1));
  }
  if (c.VersionBelow(kTokenAttributesMinor)) {
    c.Error(node, path,
            absl::StrCat("needs kubelet 1.33 or later; this one is ", c.version()->text));
  } else if (c.version() && c.version()->minor == kTokenAttributesMinor) {
    c.Warning(node, path,
              "on kubelet 1.33 it needs the feature gate: "
              "--kubelet-arg=feature-gates=KubeletServiceAccountTokenForCredentialProviders=true");
  } else if (!c.version()) {
    c.Warning(node, path, "needs kubelet 1.33 or later (its version is unknown here)");
  }
  c.String(node, path, "serviceAccountTokenAudience", true);
  const std::optional<std::string> cache_type = c.String(node, path, "cacheType", false);
  if (cache_type && *cache_type != "Token" && *cache_type != "ServiceAccount") {
    c.Error(*node.Find("cacheType"), absl::StrCat(path, ".cacheType"),
            absl::StrCat("'", *cache_type, "' is neither Token nor ServiceAccount"));
  }
  if (!cache_type && !c.VersionBelow(kCacheTypeMinor)) {
    constexpr absl::string_view kWhy =
        "required from kubelet 1.34 (ServiceAccount shares credentials across a service "
        "account's pods; Token, per token)";
    if (c.version()) {
      c.Error(node, absl::StrCat(path, ".cacheType"), kWhy);
    } else {
      c.Warning(node, absl::StrCat(path, ".cacheType"), kWhy);
    }
  }
  if (cache_type && c.version() && c.version()->minor == kTokenAttributesMinor) {
    c.Error(*node.Find("cacheType"), absl::StrCat(path, ".cacheType"),
            "unknown to kubelet 1.33, which refuses it (remove it, or upgrade to 1.34)");
  }
  bool require = false;
  const YamlNode* require_node = node.Find("requireServiceAccount");
  if (require_node == nullptr || IsNull(*require_node)) {
    c.Error(node, absl::StrCat(path, ".requireServiceAccount"), "required field missing");
  } else if (!IsPlainBool(*require_node, require)) {
    c.Error(*require_node, absl::StrCat(path, ".requireServiceAccount"), "must be true or false");
  }
  const std::vector<std::string> required =
      c.Strings(node, path, "requiredServiceAccountAnnotationKeys");
  const std::vector<std::string> optional =
      c.Strings(node, path, "optionalServiceAccountAnnotationKeys");
  if (!required.empty() && !require) {
    c.Error(node, absl::StrCat(path, ".requiredServiceAccountAnnotationKeys"),
            "needs requireServiceAccount: true");
  }
  const std::set<std::string> required_set(required.begin(), required.end());
  for (const std::string& key : optional) {
    if (required_set.contains(key)) {
      c.Error(node, absl::StrCat(path, ".optionalServiceAccountAnnotationKeys"),
              absl::StrCat("'", key, "' is required too; a key may be one or the other"));
    }
  }
}

void CheckProvider(Checker& c, const YamlNode& node, size_t index, std::set<std::string>& names,
                   ProviderConfigCheck& out) {
  const std::string path = absl::StrCat("providers[", index, "]");
  if (!c.Fields(node, path,
                {"name", "matchImages", "defaultCacheDuration", "apiVersion", "args", "env",
                 "tokenAttributes"})) {
    return;
  }
  CheckedProvider provider;
  provider.file = c.file();
  provider.line = node.start.line;
  if (std::optional<std::string> name = c.String(node, path, "name", true)) {
    provider.name = *name;
    if (name->empty() || *name == "." || *name == ".." ||
        name->find_first_of("/ \t") != std::string::npos) {
      c.Error(*node.Find("name"), path + ".name",
              absl::StrCat("'", *name, "' is not a file name in the bin directory"));
    } else if (!names.insert(*name).second) {
      c.Error(*node.Find("name"), path + ".name",
              absl::StrCat("a second provider named ", *name, " (names must be unique)"));
    }
  }
  if (node.Find("matchImages") == nullptr) {
    c.Error(node, path + ".matchImages", "required field missing");
  }
  provider.match_images = c.Strings(node, path, "matchImages");
  if (node.Find("matchImages") != nullptr && provider.match_images.empty()) {
    c.Error(*node.Find("matchImages"), path + ".matchImages", "needs at least one pattern");
  }
  for (const std::string& pattern : provider.match_images) {
    if (!ParsableImagePattern(pattern)) {
      c.Error(*node.Find("matchImages"), path + ".matchImages",
              absl::StrCat("'", pattern, "' is not an image pattern (host[:port][/path])"));
    }
  }
  if (std::optional<std::string> duration = c.String(node, path, "defaultCacheDuration", true)) {
    absl::Duration d;
    if (!absl::ParseDuration(*duration, &d) || absl::StartsWith(*duration, "inf") ||
        absl::StartsWith(*duration, "-inf")) {
      c.Error(*node.Find("defaultCacheDuration"), path + ".defaultCacheDuration",
              absl::StrCat("'", *duration, "' is not a duration such as 10m or 1h30m"));
    } else if (d < absl::ZeroDuration()) {
      c.Error(*node.Find("defaultCacheDuration"), path + ".defaultCacheDuration",
              "must not be negative");
    }
  }
  if (std::optional<std::string> api = c.String(node, path, "apiVersion", true)) {
    provider.api_version = *api;
    bool known = false;
    for (const auto& [version, minor] : kRequestVersions) {
      if (*api != version) continue;
      known = true;
      if (c.VersionBelow(minor)) {
        c.Error(*node.Find("apiVersion"), path + ".apiVersion",
                absl::StrCat(*api, " needs kubelet 1.", minor, " or later; this one is ",
                             c.version()->text));
      }
    }
    if (!known) {
      c.Error(*node.Find("apiVersion"), path + ".apiVersion",
              absl::StrCat("'", *api, "' is not ", kRequestV1, ", v1beta1 or v1alpha1"));
    }
  }
  provider.args = c.Strings(node, path, "args");
  if (const YamlNode* env = node.Find("env"); env != nullptr && !IsNull(*env)) {
    if (!env->IsSequence()) {
      c.Error(*env, path + ".env", "must be a list of {name, value}");
    } else {
      for (size_t i = 0; i < env->items.size(); ++i) {
        const std::string at = absl::StrCat(path, ".env[", i, "]");
        if (c.Fields(env->items[i], at, {"name", "value"})) {
          c.String(env->items[i], at, "name", true);
          c.String(env->items[i], at, "value", false);
        }
      }
    }
  }
  if (const YamlNode* attributes = node.Find("tokenAttributes");
      attributes != nullptr && !IsNull(*attributes)) {
    provider.token_attributes = true;
    CheckTokenAttributes(c, *attributes, path + ".tokenAttributes", provider.api_version);
  }
  out.providers.push_back(std::move(provider));
}

}  // namespace

std::optional<KubeletVersion> ParseKubeletVersion(absl::string_view output) {
  for (size_t at = output.find("v1."); at != absl::string_view::npos;
       at = output.find("v1.", at + 1)) {
    absl::string_view rest = output.substr(at + 3);
    const size_t digits = rest.find_first_not_of("0123456789");
    int minor = 0;
    if (digits == 0 || !absl::SimpleAtoi(rest.substr(0, digits), &minor)) continue;
    const size_t end = output.find_first_of(" \t\n()", at);
    return KubeletVersion{minor, std::string(output.substr(at, end - at))};
  }
  return std::nullopt;
}

ProviderConfigCheck CheckProviderConfig(
    const std::vector<std::pair<std::string, std::string>>& files,
    const std::optional<KubeletVersion>& version) {
  ProviderConfigCheck out;
  std::set<std::string> names;
  if (files.size() > 1 && version && version->minor < kCacheTypeMinor) {
    out.errors.push_back(
        absl::StrCat("a directory of configs needs kubelet 1.34 or later; this "
                     "one is ",
                     version->text, " (use one file)"));
  }
  for (const auto& [file, text] : files) {
    absl::StatusOr<YamlNode> doc = ParseYaml(text);
    if (!doc.ok()) {
      out.errors.push_back(absl::StrCat(file, ": ", doc.status().message()));
      continue;
    }
    Checker c(file, version, out);
    if (!c.Fields(*doc, "", {"apiVersion", "kind", "providers"})) continue;
    if (std::optional<std::string> api = c.String(*doc, "", "apiVersion", true)) {
      bool known = false;
      for (const auto& [config_version, minor] : kConfigVersions) {
        if (*api != config_version) continue;
        known = true;
        if (c.VersionBelow(minor)) {
          c.Error(*doc->Find("apiVersion"), "apiVersion",
                  absl::StrCat(*api, " needs kubelet 1.", minor, " or later"));
        }
      }
      if (!known) {
        c.Error(*doc->Find("apiVersion"), "apiVersion",
                absl::StrCat("'", *api, "' is not kubelet.config.k8s.io/v1, v1beta1 or v1alpha1"));
      }
    }
    if (std::optional<std::string> kind = c.String(*doc, "", "kind", true);
        kind && *kind != "CredentialProviderConfig") {
      c.Error(*doc->Find("kind"), "kind",
              absl::StrCat("'", *kind, "' is not CredentialProviderConfig"));
    }
    const YamlNode* providers = doc->Find("providers");
    if (providers == nullptr || IsNull(*providers) ||
        (providers->IsSequence() && providers->items.empty())) {
      c.Error(*doc, "providers", "needs at least one provider (the kubelet refuses an empty list)");
      continue;
    }
    if (!providers->IsSequence()) {
      c.Error(*providers, "providers", "must be a list");
      continue;
    }
    for (size_t i = 0; i < providers->items.size(); ++i) {
      CheckProvider(c, providers->items[i], i, names, out);
    }
  }
  return out;
}

}  // namespace acrcp
