// The kubelet's rules for a provider's `matchImages` (k8s.io/kubernetes
// pkg/credentialprovider/keyring.go, URLsMatch): a pattern matches an image when both, read
// as "https://" URLs, have the same number of host labels and each label matches as a
// filepath.Match glob (so one '*' never spans a dot: "*.azurecr.io" does not match
// "a.b.azurecr.io"), the ports are equal as strings (none is not ":443"), and the pattern's
// path is a string prefix of the image's.
#ifndef ACRCP_PLUGIN_KUBELET_MATCH_IMAGES_H_
#define ACRCP_PLUGIN_KUBELET_MATCH_IMAGES_H_

#include "absl/strings/string_view.h"

namespace acrcp {

// Whether `pattern` (a matchImages entry) matches `image` (the image without its tag, as the
// kubelet sends it).
bool ImageMatches(absl::string_view pattern, absl::string_view image);

// Whether some image could match both patterns, so that the kubelet would run both
// providers for it. Errs towards true when wildcards meet.
bool PatternsOverlap(absl::string_view a, absl::string_view b);

// Go's filepath.Match for one label: '*' any run of characters, '?' one character,
// "[a-z]" / "[^a-z]" a class, '\' escapes. A malformed pattern matches nothing.
bool GlobMatches(absl::string_view pattern, absl::string_view text);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_KUBELET_MATCH_IMAGES_H_
