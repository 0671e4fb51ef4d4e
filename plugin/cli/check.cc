#include "plugin/cli/check.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "plugin/azure/acr_exchange.h"
#include "plugin/azure/login_server.h"
#include "plugin/base/log.h"
#include "plugin/base/version.h"
#include "plugin/identity/identity_factory.h"
#include "plugin/kubelet/go_duration.h"
#include "plugin/net/retry.h"

namespace acrcp {
namespace {

std::string Time(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", t, absl::UTCTimeZone());
}

std::string DescribeIdentity(const IdentityConfig& identity) {
  switch (identity.credential) {
    case NodeCredential::kClientSecret:
      return absl::StrCat("service principal ", identity.client_id, " in tenant ",
                          identity.tenant_id, ", client secret from ",
                          identity.client_secret_file.empty() ? identity.inline_client_secret_origin
                                                              : identity.client_secret_file);
    case NodeCredential::kClientCertificate:
      return absl::StrCat("service principal ", identity.client_id, " in tenant ",
                          identity.tenant_id, ", certificate ", identity.client_certificate_file,
                          " (", identity.assertion_algorithm, ")");
    case NodeCredential::kFederatedTokenFile:
      return absl::StrCat("app ", identity.client_id, " in tenant ", identity.tenant_id,
                          ", federated token file ", identity.federated_token_file);
    case NodeCredential::kManagedIdentity:
      return absl::StrCat(
          identity.managed_identity_source == ManagedIdentitySource::kArc ? "Azure Arc"
                                                                          : "Azure VM",
          " managed identity ",
          identity.managed_identity_id.empty() ? "(system-assigned)" : identity.managed_identity_id,
          " at ", identity.managed_identity_endpoint);
    case NodeCredential::kNone:
      break;
  }
  return "none";
}

// HTTPS_PROXY with any user:password@ replaced, so the report can be pasted anywhere.
std::string ProxyLine(const EnvLookup& env) {
  std::string proxy = env("HTTPS_PROXY").value_or(env("https_proxy").value_or(""));
  if (proxy.empty()) return "proxy: none, direct connections (HTTPS_PROXY is not set)";
  const size_t at = proxy.rfind('@');
  if (at != std::string::npos) {
    const size_t scheme = proxy.find("://");
    const size_t start = scheme == std::string::npos ? 0 : scheme + 3;
    proxy.replace(start, at - start, "***");
  }
  const std::string no_proxy = env("NO_PROXY").value_or(env("no_proxy").value_or(""));
  return absl::StrCat("proxy: HTTPS_PROXY=", proxy,
                      no_proxy.empty() ? "" : absl::StrCat(", NO_PROXY=", no_proxy));
}

CheckLine CacheLine(const std::string& dir) {
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0) {
    return {CheckLine::Kind::kOk, absl::StrCat("cache: ", dir,
                                               " does not exist yet (created "
                                               "0700 on the first pull)")};
  }
  if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
    return {CheckLine::Kind::kWarning,
            absl::StrCat("cache: ", dir, " is not a directory owned by uid ", geteuid(),
                         "; pulls work but uncached (run: chown root:root ", dir, "; chmod 700 ",
                         dir, ")")};
  }
  int entries = 0;
  if (DIR* d = opendir(dir.c_str())) {
    while (const dirent* item = readdir(d)) entries += absl::EndsWith(item->d_name, ".json");
    closedir(d);
  }
  return {CheckLine::Kind::kOk,
          absl::StrCat("cache: ", dir, ", ", entries, " token entries (safe to delete)")};
}

// "owner root, mode 0600" for a credential file, or why it cannot be read (the identity's own
// checks then fail with the fix).
std::string Permissions(const std::string& path) {
  struct stat st {};
  if (path.empty() || stat(path.c_str(), &st) != 0) return "";
  return absl::StrFormat(" (owner uid %d, mode %04o)", st.st_uid, st.st_mode & 07777);
}

// The file holding the identity's proof, if it has one.
std::string CredentialFile(const IdentityConfig& identity) {
  switch (identity.credential) {
    case NodeCredential::kClientSecret:
      return identity.client_secret_file;
    case NodeCredential::kClientCertificate:
      return identity.client_certificate_file;
    case NodeCredential::kFederatedTokenFile:
      return identity.federated_token_file;
    default:
      return "";
  }
}

class Checker {
 public:
  Checker(const CheckInputs& inputs, const ProviderEnv& env) : inputs_(inputs), env_(env) {}

  CheckReport Run() {
    const absl::StatusOr<NodeConfig>& config = inputs_.config;
    if (!config.ok()) return Fail(config.status().message());
    Add(CheckLine::Kind::kOk, absl::StrCat("node config ", config->source, ": valid"));

    const std::string registry =
        inputs_.image.empty() ? "" : absl::AsciiStrToLower(RegistryOfImage(inputs_.image));
    const std::string login_server = LoginServerFor(*config, registry);
    const IdentityConfig& identity = IdentityFor(*config, login_server);
    Add(CheckLine::Kind::kOk, absl::StrCat("identity: ", DescribeIdentity(identity),
                                           Permissions(CredentialFile(identity))));
    const Cloud& cloud = config->cloud;
    Add(CheckLine::Kind::kOk,
        absl::StrCat("cloud: ", cloud.name, ", Entra ID at ", cloud.authority_host,
                     ", ACR login servers *.", cloud.acr_suffix, ", audience ", cloud.audience));
    Add(CheckLine::Kind::kOk, ProxyLine(inputs_.env));
    Add(CheckLine::Kind::kOk,
        absl::StrCat("TLS: verified against the system trust store",
                     config->ca_bundle_file.empty()
                         ? std::string()
                         : absl::StrCat(" and caBundleFile ", config->ca_bundle_file)));
    report_.lines.push_back(CacheLine(config->cache_dir));

    if (identity.credential == NodeCredential::kNone) {
      Add(CheckLine::Kind::kWarning,
          "no node credential: only pods with service-account tokens can pull, so sign-in "
          "cannot be checked here");
      return report_;
    }
    if (!login_server.empty()) {
      if (login_server != registry) {
        Add(CheckLine::Kind::kOk, absl::StrCat(registry, " is mirrored by ", login_server));
      }
      const LoginServerPolicy policy(cloud.acr_suffix, config->registries);
      if (!policy.Allows(login_server)) {
        return Fail(absl::StrCat("image ", inputs_.image, ": ", login_server,
                                 " is not an ACR login server of ", cloud.name,
                                 ", so it never gets credentials (check the name, or list it in "
                                 "\"registries\")"));
      }
    }
    return SignInAndExchange(*config, login_server);
  }

 private:
  CheckReport SignInAndExchange(const NodeConfig& config, const std::string& login_server) {
    CredentialProviderRequest request;
    request.api_version = "credentialprovider.kubelet.k8s.io/v1";
    request.image = inputs_.image;
    absl::StatusOr<std::unique_ptr<Identity>> identity =
        CreateIdentity(config, request, login_server);
    if (!identity.ok()) return Fail(identity.status().message());
    absl::StatusOr<std::unique_ptr<NetworkHelper>> helper = env_.start_helper();
    if (!helper.ok()) return Fail(helper.status().message());
    Retrier retrier(*env_.clock, env_.clock->Now() + config.timeout, RetryPolicy{}, env_.jitter);
    absl::StatusOr<AccessToken> access =
        (*identity)->GetAccessToken(**helper, retrier, config.cloud, env_.clock->Now());
    if (!access.ok()) return Fail(access.status().message());
    Add(CheckLine::Kind::kOk,
        absl::StrCat("Entra ID: signed in (app ", (*identity)->client_id(), ", tenant ",
                     (*identity)->tenant_id(), "); access token valid until ",
                     Time(access->expires_at)));
    if (login_server.empty()) {
      Add(CheckLine::Kind::kWarning, "no --image given: no registry was tried");
      return report_;
    }
    const ExchangeRequest exchange{login_server, (*identity)->tenant_id(), access->value,
                                   (*identity)->client_id()};
    absl::StatusOr<AcrRefreshToken> refresh = ExchangeForRefreshToken(**helper, retrier, exchange);
    if (!refresh.ok()) return Fail(refresh.status().message());
    const absl::Duration kubelet =
        std::min(config.max_cache_duration, (refresh->expires_at - env_.clock->Now()) / 2);
    Add(CheckLine::Kind::kOk,
        absl::StrCat("ACR: ", login_server, " issued a refresh token valid until ",
                     Time(refresh->expires_at), "; the kubelet may reuse it for ",
                     FormatGoDuration(kubelet)));
    return report_;
  }

  void Add(CheckLine::Kind kind, std::string text) {
    report_.lines.push_back({kind, std::move(text)});
  }
  CheckReport Fail(absl::string_view text) {
    Add(CheckLine::Kind::kFail, std::string(text));
    return report_;
  }

  const CheckInputs& inputs_;
  const ProviderEnv& env_;
  CheckReport report_;
};

}  // namespace

bool CheckReport::Passed() const {
  return std::none_of(lines.begin(), lines.end(),
                      [](const CheckLine& l) { return l.kind == CheckLine::Kind::kFail; });
}

std::string CheckReport::ToString() const {
  std::string out = absl::StrCat("acr-credential-provider ", kVersion, " check\n");
  for (const CheckLine& line : lines) {
    const char* mark = line.kind == CheckLine::Kind::kOk        ? "  ok    "
                       : line.kind == CheckLine::Kind::kWarning ? "  warn  "
                                                                : "  FAIL  ";
    absl::StrAppend(&out, mark, log::Redact(line.text), "\n");
  }
  absl::StrAppend(&out, Passed() ? "result: passed\n" : "result: FAILED\n");
  return out;
}

CheckReport RunChecks(const CheckInputs& inputs, const ProviderEnv& env) {
  return Checker(inputs, env).Run();
}

}  // namespace acrcp
