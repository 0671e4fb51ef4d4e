#include "plugin/identity/imds_identity.h"

#include <array>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "plugin/base/log.h"

namespace acrcp {
namespace {

constexpr std::array<int, 2> kAlsoRetry = {404, 410};

}  // namespace

ImdsIdentity::ImdsIdentity(std::string tenant_id, std::string endpoint, std::string id)
    : ManagedIdentity(std::move(tenant_id), std::move(endpoint), std::move(id),
                      "Azure VM managed identity") {}

absl::StatusOr<AccessToken> ImdsIdentity::GetAccessToken(NetworkHelper& helper, Retrier& retrier,
                                                         const Cloud& cloud, absl::Time now) {
  const HttpRequest request = TokenRequest("2018-02-01", cloud);
  log::Debug(1, absl::StrCat("requesting a token from IMDS at ", HostOfUrl(request.url)));
  absl::StatusOr<RetriedResponse> answer = retrier.Send(helper, request, kAlsoRetry);
  if (!answer.ok() || answer->response.status != 200) return Failure(answer);
  return TokenFromAnswer(answer->response, now);
}

}  // namespace acrcp
