#include "plugin/azure/pull_check.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "plugin/azure/registry_errors.h"
#include "plugin/azure/registry_name.h"

namespace acrcp {
namespace {

// What a registry may answer a manifest request with: image indexes and manifests, OCI and
// Docker, as containerd asks.
constexpr const char* kManifestTypes[] = {
    "application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json"};

std::string Said(int status, absl::string_view body) {
  const std::string message = RegistryErrorMessage(body);
  return message.empty() ? absl::StrCat("HTTP ", status)
                         : absl::StrCat("HTTP ", status, ": ", message);
}

absl::Status Failed(absl::string_view what, const std::string& login_server,
                    const absl::Status& why) {
  return absl::Status(why.code(),
                      absl::StrCat(what, " at ", login_server, " failed: ", why.message()));
}

}  // namespace

absl::StatusOr<ImageReference> ParseImageReference(absl::string_view image) {
  // The first path component is the registry host when it looks like one (the rule docker
  // and containerd apply), whatever port or case it is written with.
  absl::string_view rest = image;
  if (const size_t slash = rest.find('/'); slash != absl::string_view::npos) {
    const absl::string_view first = rest.substr(0, slash);
    if (absl::StrContains(first, '.') || absl::StrContains(first, ':') || first == "localhost") {
      rest.remove_prefix(slash + 1);
    }
  } else if (absl::StrContains(rest, '.')) {
    rest = {};  // a bare host names no repository
  }
  // With the host gone, a ':' can only start the tag; a digest wins over a tag.
  ImageReference out;
  const size_t at = rest.find('@');
  if (at != absl::string_view::npos) {
    out.reference = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
  }
  if (const size_t colon = rest.find(':'); colon != absl::string_view::npos) {
    if (at == absl::string_view::npos) out.reference = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
  } else if (at == absl::string_view::npos) {
    out.reference = "latest";
  }
  out.repository = std::string(rest);
  if (out.repository.empty() || out.reference.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("image '", image, "' names no repository and tag"));
  }
  return out;
}

absl::StatusOr<PullCheck> CheckPull(HttpTransport& transport, Retrier& retrier,
                                    const std::string& login_server,
                                    const std::string& refresh_token, const ImageReference& image) {
  HttpRequest token_request;
  token_request.url = absl::StrCat("https://", login_server, "/oauth2/token");
  token_request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                           {"Accept", "application/json"}};
  token_request.body =
      FormEncode({{"grant_type", "refresh_token"},
                  {"service", login_server},
                  {"scope", absl::StrCat("repository:", image.repository, ":pull")},
                  {"refresh_token", refresh_token}});
  absl::StatusOr<RetriedResponse> token = retrier.Send(transport, std::move(token_request));
  if (!token.ok()) return Failed("the repository token request", login_server, token.status());
  const HttpResponse& answer = token->response;
  if (answer.status != 200) {
    return PullCheck{PullCheck::Outcome::kScopeRefused, Said(answer.status, answer.body)};
  }
  const nlohmann::json doc = nlohmann::json::parse(answer.body, nullptr, false);
  const auto access = doc.is_object() ? doc.find("access_token") : doc.end();
  if (access == doc.end() || !access->is_string() || access->get<std::string>().empty()) {
    return PullCheck{PullCheck::Outcome::kScopeRefused, "HTTP 200 without an access_token"};
  }

  HttpRequest head;
  head.method = "HEAD";
  head.url = absl::StrCat("https://", login_server, "/v2/", image.repository, "/manifests/",
                          image.reference);
  head.headers = {{"Authorization", absl::StrCat("Bearer ", access->get<std::string>())},
                  {"Accept", absl::StrJoin(kManifestTypes, ", ")}};
  absl::StatusOr<RetriedResponse> manifest = retrier.Send(transport, std::move(head));
  if (!manifest.ok()) return Failed("the manifest request", login_server, manifest.status());
  const HttpResponse& found = manifest->response;
  switch (found.status) {
    case 200:
      return PullCheck{PullCheck::Outcome::kPullable,
                       absl::StrCat(found.Header("docker-content-digest").value_or("no digest"),
                                    ", ", found.Header("content-type").value_or("no media type"))};
    case 401:
    case 403:
      return PullCheck{PullCheck::Outcome::kNotAuthorized, Said(found.status, found.body)};
    case 404:
      return PullCheck{PullCheck::Outcome::kNotFound, Said(found.status, found.body)};
    default:
      return absl::UnavailableError(absl::StrCat("the manifest request at ", login_server,
                                                 " failed: ", Said(found.status, found.body)));
  }
}

}  // namespace acrcp
