#include "plugin/cli/check.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "plugin/azure/pull_check.h"
#include "plugin/azure/registry_errors.h"
#include "plugin/azure/registry_name.h"
#include "plugin/base/log.h"
#include "plugin/base/secure_file.h"
#include "plugin/base/version.h"
#include "plugin/cli/kubelet_node.h"
#include "plugin/cli/setup.h"
#include "plugin/identity/identity_factory.h"
#include "plugin/identity/managed_identity.h"
#include "plugin/kubelet/go_duration.h"
#include "plugin/kubelet/match_images.h"
#include "plugin/net/retry.h"

namespace acrcp {
namespace {

std::string Time(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", t, absl::UTCTimeZone());
}

// One line per node credential type (config/identity_settings.h).
struct CredentialDescription {
  const IdentitySettings& identity;

  std::string App() const {
    return absl::StrCat("service principal ", identity.client_id, " in tenant ",
                        identity.tenant_id);
  }
  std::string operator()(const NoCredential&) const { return "none"; }
  std::string operator()(const ClientSecretSettings& s) const {
    return absl::StrCat(App(), ", client secret from ", s.file.empty() ? s.inline_origin : s.file);
  }
  std::string operator()(const ClientCertificateSettings& s) const {
    return absl::StrCat(App(), ", certificate ", s.file, " (", s.algorithm, ")");
  }
  std::string operator()(const FederatedTokenFileSettings& s) const {
    return absl::StrCat("app ", identity.client_id, " in tenant ", identity.tenant_id,
                        ", federated token file ", s.file);
  }
  std::string operator()(const ManagedIdentitySettings& s) const {
    const ManagedIdentityEndpoint where = ResolveManagedIdentity(s, ArcAgentInstalled());
    return absl::StrCat(where.source == ManagedIdentitySource::kArc ? "Azure Arc" : "Azure VM",
                        " managed identity ", s.id.empty() ? "(system-assigned)" : s.id, " at ",
                        where.url);
  }
};

// The file holding the identity's proof, if it has one.
struct CredentialFile {
  std::string operator()(const ClientSecretSettings& s) const { return s.file; }
  std::string operator()(const ClientCertificateSettings& s) const { return s.file; }
  std::string operator()(const FederatedTokenFileSettings& s) const { return s.file; }
  std::string operator()(const auto&) const { return ""; }
};

// The proxy an environment sets, with any user:password@ replaced, so the report can be
// pasted anywhere.
struct ProxySettings {
  std::string https_proxy;
  std::string no_proxy;

  explicit ProxySettings(const EnvLookup& env)
      : https_proxy(env("HTTPS_PROXY").value_or(env("https_proxy").value_or(""))),
        no_proxy(env("NO_PROXY").value_or(env("no_proxy").value_or(""))) {
    const size_t at = https_proxy.rfind('@');
    if (at != std::string::npos) {
      const size_t scheme = https_proxy.find("://");
      const size_t start = scheme == std::string::npos ? 0 : scheme + 3;
      https_proxy.replace(start, at - start, "***");
    }
  }
  bool operator==(const ProxySettings& other) const {
    return https_proxy == other.https_proxy && no_proxy == other.no_proxy;
  }
  std::string Describe() const {
    if (https_proxy.empty()) return "none, direct connections (HTTPS_PROXY is not set)";
    return absl::StrCat("HTTPS_PROXY=", https_proxy,
                        no_proxy.empty() ? "" : absl::StrCat(", NO_PROXY=", no_proxy));
  }
};

EnvLookup LookupIn(const std::map<std::string, K3sSetting>& environment) {
  return [&environment](absl::string_view name) -> std::optional<std::string> {
    const auto it = environment.find(std::string(name));
    if (it == environment.end()) return std::nullopt;
    return it->second.value;
  };
}

// Where K3s's kubelet gets its proxy from: the files that set the variables.
std::string ProxyOrigin(const std::map<std::string, K3sSetting>& environment) {
  std::set<std::string> files;
  for (const char* name : {"HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"}) {
    const auto it = environment.find(name);
    if (it != environment.end()) files.insert(it->second.origin);
  }
  return files.empty() ? "no proxy variable in the k3s service's environment"
                       : absl::StrCat("from ", absl::StrJoin(files, ", "));
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

std::string OnRoot(const std::string& root, const std::string& path) {
  return root == "/" ? path : absl::StrCat(root, path);
}

// The image as the kubelet names it to providers: without tag or digest.
std::string ImageWithoutTag(absl::string_view image) {
  absl::string_view rest = image.substr(0, image.find('@'));
  const size_t slash = rest.rfind('/');
  const size_t colon = rest.rfind(':');
  if (colon != absl::string_view::npos && (slash == absl::string_view::npos || colon > slash)) {
    rest = rest.substr(0, colon);
  }
  return std::string(rest);
}

// A matchImages pattern for the image's registry: its first label replaced by '*', so the
// pattern serves every registry with the same shape (same label count, same port).
std::string PatternFor(absl::string_view image) {
  const std::string registry = RegistryOfImage(image);
  const size_t dot = registry.find('.');
  return dot == std::string::npos ? registry : absl::StrCat("*", registry.substr(dot));
}

class Checker : public RefreshObserver {
 public:
  Checker(const CheckInputs& inputs, const ProviderEnv& env,
          const std::function<void(const CheckLine&)>& on_line)
      : inputs_(inputs), env_(env), on_line_(on_line) {
    env_.observer = this;
  }

  CheckReport Run() {
    const absl::StatusOr<NodeConfig>& config = inputs_.config;
    if (!config.ok()) return Fail(config.status().message());
    Add(CheckLine::Kind::kOk, absl::StrCat("node config ", config->source, ": valid"));
    if (!inputs_.ignored_flags.empty()) {
      Add(CheckLine::Kind::kOk,
          absl::StrCat("ignored the upstream plugin's logging flags ",
                       absl::StrJoin(inputs_.ignored_flags, " "),
                       ": this plugin writes one line to stderr on failure (-v N for more)"));
    }
    K3sLines();

    absl::StatusOr<RegistryTarget> target = inputs_.image.empty()
                                                ? absl::NotFoundError("no image")
                                                : TargetOf(RegistryOfImage(inputs_.image), *config);
    const IdentitySettings& identity =
        IdentityFor(*config, target.ok() ? target->login_server : "");
    Add(CheckLine::Kind::kOk,
        absl::StrCat("identity: ", std::visit(CredentialDescription{identity}, identity.credential),
                     Permissions(std::visit(CredentialFile{}, identity.credential))));
    const Cloud& cloud = config->cloud;
    Add(CheckLine::Kind::kOk,
        absl::StrCat("cloud: ", cloud.name, ", Entra ID at ", cloud.authority_host,
                     ", ACR login servers *.", cloud.acr_suffix, ", audience ", cloud.audience));
    ProxyLines();
    Add(CheckLine::Kind::kOk,
        absl::StrCat("TLS: verified against the system trust store",
                     config->ca_bundle_file.empty()
                         ? std::string()
                         : absl::StrCat(" and caBundleFile ", config->ca_bundle_file)));
    if (!config->ca_bundle_file.empty()) {
      // Whoever can write the bundle can make the plugin trust their TLS interception; the
      // helper refuses such a bundle on every miss, so say it before trying one.
      if (absl::Status s =
              CheckSecureFile(config->ca_bundle_file, "caBundleFile", FileAccess::kTrusted);
          !s.ok()) {
        return Fail(s.message());
      }
    }
    const CheckLine cache = CacheLine(config->cache_dir);
    Add(cache.kind, cache.text);
    KubeletLines();

    if (std::holds_alternative<NoCredential>(identity.credential)) {
      Add(CheckLine::Kind::kWarning,
          "no node credential: only pods with service-account tokens can pull, so sign-in "
          "cannot be checked here");
      return report_;
    }
    if (inputs_.image.empty()) {
      if (absl::Status signed_in = SignIn(*config, env_); !signed_in.ok()) {
        return Fail(signed_in.message());
      }
      Add(CheckLine::Kind::kWarning, "no --image given: no registry was tried");
      return report_;
    }
    if (!target.ok()) {
      return Fail(absl::StrCat("image ", inputs_.image, ": ", target.status().message(),
                               ", so it never gets credentials (check the image name)"));
    }
    if (target->mirrored) {
      Add(CheckLine::Kind::kOk,
          absl::StrCat(target->registries.back(), " is mirrored by ", target->login_server));
    }
    if (!target->allowed) {
      return Fail(absl::StrCat("image ", inputs_.image, ": ", target->login_server,
                               " is not an ACR login server of ", cloud.name,
                               ", so it never gets credentials (check the name, or list it in "
                               "\"registries\")"));
    }
    // The kubelet's own path, with no cache: a real sign-in and exchange.
    absl::StatusOr<std::optional<RegistryCredentials>> credentials = CredentialsForRegistry(
        RegistryOfImage(inputs_.image), ServiceAccountToken{}, *config, env_);
    if (!credentials.ok()) return Fail(credentials.status().message());
    if (!*credentials) return Fail(absl::StrCat(target->login_server, " gets no credentials"));
    Add(CheckLine::Kind::kOk,
        absl::StrCat("ACR: ", target->login_server, " issued a refresh token valid until ",
                     Time((*credentials)->token.expires_at), "; the kubelet may reuse it for ",
                     FormatGoDuration((*credentials)->reuse_for)));
    PullLine(*config, target->login_server, (*credentials)->token.token);
    return report_;
  }

  // The proxy the checks use: K3s's kubelet's when K3s is installed, the shell's otherwise.
  void ProxyLines() {
    const ProxySettings shell(inputs_.env);
    if (!inputs_.k3s) {
      Add(CheckLine::Kind::kOk, absl::StrCat("proxy: ", shell.Describe()));
      return;
    }
    const ProxySettings k3s(LookupIn(inputs_.k3s->environment));
    Add(CheckLine::Kind::kOk, absl::StrCat("proxy: K3s's kubelet uses ", k3s.Describe(), " (",
                                           ProxyOrigin(inputs_.k3s->environment), ")"));
    if (!(shell == k3s)) {
      Add(CheckLine::Kind::kWarning,
          absl::StrCat("proxy: this shell has ", shell.Describe(),
                       ", which the kubelet does not; the checks below use K3s's (set the "
                       "kubelet's proxy in the k3s service's environment file)"));
    }
  }

  // Where K3s looks for the provider, and whether both paths exist, as K3s requires.
  void K3sLines() {
    if (!inputs_.k3s) return;
    const K3sNode& k3s = *inputs_.k3s;
    Add(CheckLine::Kind::kOk,
        absl::StrCat("K3s", k3s.unit.empty() ? "" : absl::StrCat(" (", k3s.unit, ".service)"),
                     ": credential provider config ", k3s.provider_config.value, " (",
                     k3s.provider_config.origin, "), plugins in ", k3s.provider_bin_dir.value, " (",
                     k3s.provider_bin_dir.origin, ")"));
  }

  // The kubelet's side, as strictly as the kubelet checks it when it starts. Failures here
  // do not stop the network checks below: both are worth knowing at once.
  void KubeletLines() {
    if (!inputs_.kubelet) return;
    const KubeletSide& side = *inputs_.kubelet;
    if (side.config_path.empty()) {
      Add(CheckLine::Kind::kWarning,
          absl::StrCat("kubelet: no credential provider config found (K3s is not installed here "
                       "and ",
                       kKubeadmProviderConfig,
                       " does not exist); check one with --kubelet-config FILE|DIR --bin-dir DIR"));
      return;
    }
    if (side.version) {
      Add(CheckLine::Kind::kOk,
          absl::StrCat("kubelet: ", side.version->text, " (", side.version_source, ")"));
    } else {
      Add(CheckLine::Kind::kWarning,
          "kubelet: version unknown (neither k3s --version nor kubelet --version answered here), "
          "so rules that depend on it are warnings");
    }
    const std::string config = OnRoot(side.root, side.config_path);
    const std::string bin = OnRoot(side.root, side.bin_dir);
    struct stat st {};
    const bool config_exists = stat(config.c_str(), &st) == 0;
    const bool config_is_dir = config_exists && S_ISDIR(st.st_mode);
    const bool bin_is_dir = stat(bin.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    if (!config_exists) {
      // Not wired yet (check runs before setup): nothing breaks, nothing pulls through it.
      Add(CheckLine::Kind::kWarning,
          absl::StrCat("kubelet: ", side.config_path,
                       " does not exist, so the kubelet does not run this plugin yet (run: "
                       "acr-credential-provider setup ",
                       side.k3s ? "k3s" : "kubeadm", " --image IMAGE)"));
      return;
    }
    if (side.k3s && (config_is_dir || !bin_is_dir)) {
      Add(CheckLine::Kind::kFail,
          absl::StrCat(
              "kubelet: K3s passes a credential provider to its kubelet only if ", side.config_path,
              " is a file and ", side.bin_dir, " a directory when it starts; ",
              config_is_dir ? "the config is a directory" : "the bin directory does not exist",
              " (run: acr-credential-provider setup k3s --image IMAGE)"));
      return;
    }
    absl::StatusOr<std::vector<std::pair<std::string, std::string>>> files =
        ReadProviderConfig(side.root, side.config_path);
    if (!files.ok()) {
      Add(CheckLine::Kind::kFail,
          absl::StrCat("kubelet: cannot read its credential provider config ",
                       files.status().message()));
      return;
    }
    const ProviderConfigCheck decoded = CheckProviderConfig(*files, side.version);
    for (const std::string& error : decoded.errors) {
      Add(CheckLine::Kind::kFail, absl::StrCat("kubelet: would not start: ", error));
    }
    for (const std::string& warning : decoded.warnings) {
      Add(CheckLine::Kind::kWarning, absl::StrCat("kubelet: ", warning));
    }
    if (decoded.errors.empty()) {
      std::vector<std::string> names;
      for (const CheckedProvider& p : decoded.providers) names.push_back(p.name);
      Add(CheckLine::Kind::kOk, absl::StrCat("kubelet: ", side.config_path,
                                             " decodes as the kubelet decodes it; providers ",
                                             absl::StrJoin(names, ", ")));
    }
    ProviderLines(side, bin, decoded.providers);
  }

  // Every provider's binary must be there (the kubelet does not start otherwise), and one
  // of them must be this program, matching the image.
  void ProviderLines(const KubeletSide& side, const std::string& bin,
                     const std::vector<CheckedProvider>& providers) {
    const CheckedProvider* ours = nullptr;
    for (const CheckedProvider& provider : providers) {
      const std::string path = absl::StrCat(bin, "/", provider.name);
      char resolved[PATH_MAX];
      if (access(path.c_str(), X_OK) != 0 || realpath(path.c_str(), resolved) == nullptr) {
        Add(CheckLine::Kind::kFail,
            absl::StrCat("kubelet: provider ", provider.name, " (", provider.file, ": line ",
                         provider.line, ") has no executable ", side.bin_dir, "/", provider.name,
                         ": the kubelet does not start (restore it, or take the provider out of "
                         "the config)"));
      } else if (side.self == resolved) {
        ours = &provider;
      }
    }
    if (ours == nullptr) {
      Add(CheckLine::Kind::kWarning,
          absl::StrCat("kubelet: no provider in ", side.config_path, " runs this program (",
                       side.self,
                       "), so the kubelet never asks it (run: acr-credential-provider "
                       "setup ",
                       side.k3s ? "k3s" : "kubeadm", " --image IMAGE)"));
      return;
    }
    Add(CheckLine::Kind::kOk, absl::StrCat("kubelet: provider ", ours->name, " runs ", side.bin_dir,
                                           "/", ours->name, " -> ", side.self));
    if (inputs_.image.empty()) return;
    const std::string image = ImageWithoutTag(inputs_.image);
    for (const std::string& pattern : ours->match_images) {
      if (ImageMatches(pattern, image)) {
        Add(CheckLine::Kind::kOk, absl::StrCat("kubelet: matchImages \"", pattern, "\" of ",
                                               ours->name, " matches ", image));
        return;
      }
    }
    Add(CheckLine::Kind::kFail,
        absl::StrCat("kubelet: no matchImages pattern of ", ours->name, " matches ", image,
                     ", so the kubelet never asks for its credentials (add \"", PatternFor(image),
                     "\": one '*' matches exactly one DNS label)"));
  }

  // Whether the image itself can be pulled with the token the kubelet would get.
  void PullLine(const NodeConfig& config, const std::string& login_server,
                const std::string& refresh_token) {
    absl::StatusOr<ImageReference> image = ParseImageReference(inputs_.image);
    if (!image.ok()) {
      Add(CheckLine::Kind::kWarning, absl::StrCat("pull: not tried: ", image.status().message()));
      return;
    }
    const bool tagged = inputs_.image.find('@') != std::string::npos ||
                        ImageWithoutTag(inputs_.image) != inputs_.image;
    absl::StatusOr<std::unique_ptr<NetworkHelper>> helper = env_.start_helper();
    if (!helper.ok()) {
      Add(CheckLine::Kind::kFail, absl::StrCat("pull: ", helper.status().message()));
      return;
    }
    Retrier retrier(*env_.clock, env_.clock->Now() + config.timeout, RetryPolicy{}, env_.jitter);
    absl::StatusOr<PullCheck> pull =
        CheckPull(**helper, retrier, login_server, refresh_token, *image);
    const std::string what =
        absl::StrCat(login_server, "/", image->repository,
                     image->reference.find(':') == std::string::npos ? ":" : "@", image->reference);
    if (!pull.ok()) {
      Add(CheckLine::Kind::kFail, absl::StrCat("pull: ", pull.status().message()));
      return;
    }
    const std::string name = RegistryName(login_server);
    switch (pull->outcome) {
      case PullCheck::Outcome::kPullable:
        Add(CheckLine::Kind::kOk,
            absl::StrCat("pull: ", what, " can be pulled (", pull->detail, ")"));
        return;
      case PullCheck::Outcome::kNotAuthorized:
        Add(CheckLine::Kind::kFail,
            absl::StrCat("pull: signed in, but this identity may not read repository ",
                         image->repository, " of ", login_server, " (", pull->detail,
                         "; a registry in ABAC mode ignores AcrPull: assign the role \"Container "
                         "Registry Repository Reader\", at repository scope with a condition on "
                         "its name: az role assignment create --role \"Container Registry "
                         "Repository Reader\" --scope $(az acr show --name ",
                         name, " --query id --output tsv) ...; see docs/troubleshooting.md)"));
        return;
      case PullCheck::Outcome::kNotFound:
        Add(tagged ? CheckLine::Kind::kFail : CheckLine::Kind::kWarning,
            absl::StrCat("pull: ", what, " does not exist (", pull->detail,
                         tagged ? "" : "; no tag was given, so \"latest\" was tried",
                         "; list the tags: az acr repository show-tags --name ", name,
                         " --repository ", image->repository, ")"));
        return;
      case PullCheck::Outcome::kScopeRefused:
        Add(CheckLine::Kind::kFail,
            absl::StrCat("pull: ", login_server, " refused a token for repository:",
                         image->repository, ":pull (", pull->detail,
                         "; check the repository name; see docs/troubleshooting.md)"));
        return;
    }
  }

  void SignedIn(const Identity& identity, const AccessToken& token) override {
    Add(CheckLine::Kind::kOk,
        absl::StrCat("Entra ID: signed in (app ", identity.client_id(), ", tenant ",
                     identity.tenant_id(), "); access token valid until ", Time(token.expires_at)));
  }

 private:
  void Add(CheckLine::Kind kind, std::string text) {
    report_.lines.push_back({kind, std::move(text)});
    if (on_line_) on_line_(report_.lines.back());
  }
  CheckReport Fail(absl::string_view text) {
    Add(CheckLine::Kind::kFail, std::string(text));
    return report_;
  }

  const CheckInputs& inputs_;
  ProviderEnv env_;
  const std::function<void(const CheckLine&)>& on_line_;
  CheckReport report_;
};

}  // namespace

bool CheckReport::Passed() const {
  return std::none_of(lines.begin(), lines.end(),
                      [](const CheckLine& l) { return l.kind == CheckLine::Kind::kFail; });
}

std::string CheckReport::Heading() {
  return absl::StrCat("acr-credential-provider ", kVersion, " check\n");
}

std::string CheckReport::Format(const CheckLine& line) {
  const char* mark = line.kind == CheckLine::Kind::kOk        ? "  ok    "
                     : line.kind == CheckLine::Kind::kWarning ? "  warn  "
                                                              : "  FAIL  ";
  return absl::StrCat(mark, log::Redact(line.text), "\n");
}

std::string CheckReport::Verdict() const {
  return Passed() ? "result: passed\n" : "result: FAILED\n";
}

std::string CheckReport::ToString() const {
  std::string out = Heading();
  for (const CheckLine& line : lines) out += Format(line);
  return out + Verdict();
}

CheckReport RunChecks(const CheckInputs& inputs, const ProviderEnv& env,
                      const std::function<void(const CheckLine&)>& on_line) {
  return Checker(inputs, env, on_line).Run();
}

}  // namespace acrcp
