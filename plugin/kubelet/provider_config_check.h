// The kubelet's CredentialProviderConfig checked the way the kubelet itself decodes and
// validates it at start-up (k8s.io/kubernetes pkg/credentialprovider/plugin/config.go, with
// the strict codec), so that a mistake is found by `check` or `setup`, not by a kubelet that
// refuses to start (and takes K3s down with it):
//   - YAML or JSON; an unknown field, a field twice, or a wrong-case field is an error;
//   - apiVersion kubelet.config.k8s.io/v1|v1beta1|v1alpha1, kind CredentialProviderConfig,
//     at least one provider;
//   - each provider: a name (no '/', no space, not "." or "..", unique), matchImages (at
//     least one, each parsable), defaultCacheDuration (a Go duration, not negative), an
//     apiVersion the kubelet speaks; args and env as lists;
//   - tokenAttributes only with credentialprovider.kubelet.k8s.io/v1 and kubelet 1.33 or later;
//     serviceAccountTokenAudience and requireServiceAccount required, cacheType (Token or
//     ServiceAccount) required from 1.34 and unknown to 1.33; required and optional annotation
//     keys disjoint, required ones only with requireServiceAccount: true;
//   - a directory of configs (kubelet 1.34+): its *.json, *.yaml and *.yml files in name order,
//     one provider name at most once across them.
// Every finding names the file and, where it can, the line and the field.
#ifndef ACRCP_PLUGIN_KUBELET_PROVIDER_CONFIG_CHECK_H_
#define ACRCP_PLUGIN_KUBELET_PROVIDER_CONFIG_CHECK_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace acrcp {

// A kubelet's minor version within 1.x, when it is known.
struct KubeletVersion {
  int minor = 0;
  std::string text;  // as the kubelet printed it, e.g. "v1.31.4+k3s1"
};

// The kubelet version a `--version` output names ("Kubernetes v1.31.2", "k3s version
// v1.31.4+k3s1 (a1b2c3d4)"); nullopt when it names none.
std::optional<KubeletVersion> ParseKubeletVersion(absl::string_view version_output);

// One provider, as decoded.
struct CheckedProvider {
  std::string name;
  std::string api_version;
  std::vector<std::string> match_images;
  std::vector<std::string> args;
  bool token_attributes = false;
  std::string file;  // where it is written
  size_t line = 0;
};

struct ProviderConfigCheck {
  std::vector<CheckedProvider> providers;
  std::vector<std::string> errors;    // each makes the kubelet refuse to start
  std::vector<std::string> warnings;  // accepted, but probably not what was meant
};

// Checks the config made of `files` ((path, contents), in the order the kubelet merges
// them: one file, or a directory's in name order) for a kubelet of `version` (nullopt:
// unknown, so version-dependent rules are warnings).
ProviderConfigCheck CheckProviderConfig(
    const std::vector<std::pair<std::string, std::string>>& files,
    const std::optional<KubeletVersion>& version);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_KUBELET_PROVIDER_CONFIG_CHECK_H_
