// Proving that an image can be pulled, without pulling it (`check --image`): with the ACR
// refresh token the kubelet would get, ask the registry's token service for a token scoped to
// the image's repository (POST /oauth2/token, grant_type=refresh_token,
// scope=repository:<repo>:pull), then HEAD the image's manifest with it, accepting the OCI
// and Docker manifest and index media types. A token that signs in can still be unable to
// read a repository: a registry in ACR's ABAC mode ignores AcrPull and grants repository by
// repository. The outcome is sorted the way an operator fixes it; tokens never appear in it.
#ifndef ACRCP_PLUGIN_AZURE_PULL_CHECK_H_
#define ACRCP_PLUGIN_AZURE_PULL_CHECK_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "plugin/net/http_transport.h"
#include "plugin/net/retry.h"

namespace acrcp {

// The repository and the tag or digest an image reference names:
// "myacr.azurecr.io/team/app:v1" -> ("team/app", "v1"); "...@sha256:..." -> the digest;
// no tag -> "latest". InvalidArgument when it names no repository.
struct ImageReference {
  std::string repository;
  std::string reference;
};
absl::StatusOr<ImageReference> ParseImageReference(absl::string_view image);

struct PullCheck {
  enum class Outcome {
    kPullable,       // the manifest is there and may be read
    kNotAuthorized,  // signed in, but this identity may not read the repository
    kNotFound,       // no such repository, or no such tag or digest in it
    kScopeRefused,   // the token service refused a token for the repository
  };
  Outcome outcome;
  std::string detail;  // the digest and media type, or what the registry said
};

// Checks that `image` can be pulled from `login_server` with `refresh_token`. Errors are
// what the transport could not do (the registry unreachable, throttling that outlasted the
// retries); refusals are outcomes.
absl::StatusOr<PullCheck> CheckPull(HttpTransport& transport, Retrier& retrier,
                                    const std::string& login_server,
                                    const std::string& refresh_token, const ImageReference& image);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_AZURE_PULL_CHECK_H_
