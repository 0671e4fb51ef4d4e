// Editing the kubelet's CredentialProviderConfig (YAML or JSON) one provider at a time.
//
// `setup` adds or updates its own provider and `setup --remove` takes it out again; every
// other provider, comment and blank line stays exactly as the operator wrote it, because
// the edit splices text at the positions base/yaml.h reports instead of re-serialising the
// document. Block-style files get a block-style entry indented like their neighbours;
// flow-style (JSON) files get a JSON object. Every edit is parsed again before it is
// returned, so a splice can never produce a file the kubelet would not read.
#ifndef ACRCP_PLUGIN_KUBELET_PROVIDER_CONFIG_EDIT_H_
#define ACRCP_PLUGIN_KUBELET_PROVIDER_CONFIG_EDIT_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace acrcp {

// An entry's tokenAttributes (KEP-4412): the kubelet then passes each pod's
// service-account token, for workload identity.
struct TokenAttributes {
  std::string audience;
  std::string cache_type;  // "" for kubelet 1.33, which does not know the field
  bool require_service_account = true;
  std::vector<std::string> required_annotation_keys;
  std::vector<std::string> optional_annotation_keys;
};

// One entry of `providers` (kubelet.config.k8s.io/v1 CredentialProvider), as setup writes it.
struct CredentialProviderEntry {
  std::string name;
  std::string api_version;
  std::vector<std::string> match_images;
  std::string default_cache_duration;
  std::vector<std::string> args;
  std::optional<TokenAttributes> token_attributes;
};

// A whole CredentialProviderConfig file holding only `entry`.
std::string NewProviderConfig(const CredentialProviderEntry& entry);

// Another provider whose matchImages overlap `entry`'s: the kubelet runs both for those
// images (the earlier entry first), which setup reports rather than changes.
struct ProviderOverlap {
  std::string provider;
  std::string theirs;  // their pattern
  std::string ours;    // ours it overlaps
};

struct ProviderConfigEdit {
  std::string text;
  std::vector<ProviderOverlap> overlaps;
};

// `text` with the provider named `entry.name` replaced by `entry` where it stands, or
// appended after the other providers. InvalidArgument (with the line) when `text` is not a
// CredentialProviderConfig that can be edited: not YAML, not a mapping, `providers` not a
// list, or two providers with that name.
absl::StatusOr<ProviderConfigEdit> UpsertProvider(absl::string_view text,
                                                  const CredentialProviderEntry& entry);

// `text` without the provider named `name`; nullopt when no provider would remain (the
// kubelet refuses an empty list, so the caller removes the file). `text` itself when no
// provider has that name. InvalidArgument as for UpsertProvider.
absl::StatusOr<std::optional<std::string>> RemoveProvider(absl::string_view text,
                                                          absl::string_view name);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_KUBELET_PROVIDER_CONFIG_EDIT_H_
