#include "plugin/identity/arc_identity.h"

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "plugin/base/log.h"
#include "plugin/base/secure_file.h"

namespace acrcp {
namespace {

constexpr size_t kMaxKeyBytes = 4096;

}  // namespace

std::string RealmPath(absl::string_view header) {
  if (!absl::ConsumePrefix(&header, "Basic ") && !absl::ConsumePrefix(&header, "basic ")) {
    return "";
  }
  header = absl::StripAsciiWhitespace(header);
  if (!absl::ConsumePrefix(&header, "realm=")) return "";
  absl::ConsumePrefix(&header, "\"");
  absl::ConsumeSuffix(&header, "\"");
  return std::string(header);
}

bool IsAllowedKeyPath(absl::string_view path) {
  // open(2) stops at a NUL byte: "<dir>/x\0.key" would read "<dir>/x".
  if (path.find('\0') != absl::string_view::npos) return false;
  absl::string_view name = path;
  if (!absl::ConsumePrefix(&name, kArcTokenDirectory) || !absl::ConsumePrefix(&name, "/")) {
    return false;
  }
  return absl::EndsWith(name, ".key") && name.size() > 4 &&
         name.find('/') == absl::string_view::npos && name.find("..") == absl::string_view::npos;
}

ArcIdentity::ArcIdentity(std::string tenant_id, std::string endpoint, std::string id)
    : ManagedIdentity(std::move(tenant_id), std::move(endpoint), std::move(id),
                      "Azure Arc managed identity") {}

absl::StatusOr<AccessToken> ArcIdentity::GetAccessToken(NetworkHelper& helper, Retrier& retrier,
                                                        const Cloud& cloud, absl::Time now) {
  HttpRequest request = TokenRequest("2020-06-01", cloud);
  log::Debug(
      1, absl::StrCat("requesting a token from the Azure Arc agent at ", HostOfUrl(request.url)));
  absl::StatusOr<RetriedResponse> challenge = retrier.Send(helper, request);
  if (!challenge.ok() || challenge->response.status != 401) return Failure(challenge);

  const std::string path = RealmPath(challenge->response.Header("www-authenticate").value_or(""));
  if (!IsAllowedKeyPath(path)) {
    return absl::PermissionDeniedError(absl::StrCat(
        what(), ": the agent's challenge names '", path, "', not a .key file directly in ",
        kArcTokenDirectory, "; refused (is something else listening on the agent's port?)"));
  }
  absl::StatusOr<SecureFile> key = ReadSecureFile(path, "Azure Arc key file", FileAccess::kTrusted,
                                                  kMaxKeyBytes, Symlinks::kRefuse);
  if (!key.ok()) return key.status();
  const std::string secret(absl::StripAsciiWhitespace(key->contents));
  log::RegisterSecret(secret);
  request.headers.emplace_back("Authorization", absl::StrCat("Basic ", secret));
  absl::StatusOr<RetriedResponse> answer = retrier.Send(helper, request);
  if (!answer.ok() || answer->response.status != 200) return Failure(answer);
  return TokenFromAnswer(answer->response, now);
}

}  // namespace acrcp
