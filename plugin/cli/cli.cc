#include "plugin/cli/cli.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "plugin/base/version.h"
#include "plugin/cli/upstream_flags.h"
#include "plugin/config/node_config.h"

namespace acrcp {
namespace {

constexpr int kMaxVerbosity = 10;

absl::Status UsageError(absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid command line: ", what, " (see acr-credential-provider --help)"));
}

absl::Status ParseVerbosity(absl::string_view value, int& out) {
  int v = 0;
  if (!absl::SimpleAtoi(value, &v) || v < 0 || v > kMaxVerbosity) {
    return UsageError(
        absl::StrCat("-v takes a number from 0 to ", kMaxVerbosity, ", got '", value, "'"));
  }
  out = v;
  return absl::OkStatus();
}

using Action = CommandLine::Action;

// One argument that starts with '-': its name, and its value if written "--name=value".
struct Flag {
  absl::string_view name;
  std::optional<absl::string_view> value;
};

Flag SplitFlag(absl::string_view arg) {
  const size_t eq = arg.find('=');
  if (eq == absl::string_view::npos) return {arg, std::nullopt};
  return {arg.substr(0, eq), arg.substr(eq + 1)};
}

class Parser {
 public:
  explicit Parser(const std::vector<std::string>& args) : args_(args) {}

  absl::StatusOr<CommandLine> Parse() {
    if (!args_.empty() && args_[0] == "docker-credential") {
      cl_.action = Action::kDockerCredential;
      cl_.docker_args.assign(args_.begin() + 1, args_.end());
      return cl_;
    }
    const bool subcommand =
        !args_.empty() && (args_[0] == "check" || args_[0] == "setup" || args_[0] == "refresh");
    if (subcommand) {
      cl_.action = args_[0] == "check"   ? Action::kCheck
                   : args_[0] == "setup" ? Action::kSetup
                                         : Action::kRefresh;
    }
    for (next_ = subcommand ? 1 : 0; next_ < args_.size();) {
      const std::string& arg = args_[next_++];
      if (arg.size() < 2 || arg[0] != '-') {
        positional_.push_back(arg);
        continue;
      }
      if (absl::Status s = OneFlag(SplitFlag(arg)); !s.ok()) return s;
      if (cl_.action == Action::kHelp || cl_.action == Action::kPrintVersion) return cl_;
    }
    return Finish(subcommand);
  }

 private:
  absl::Status OneFlag(const Flag& flag) {
    if (flag.name == "--help" || flag.name == "-h") {
      cl_.action = Action::kHelp;
      return absl::OkStatus();
    }
    if (flag.name == "--version") {
      cl_.action = Action::kPrintVersion;
      return absl::OkStatus();
    }
    const bool setup = cl_.action == Action::kSetup;
    if (setup && !flag.value) {
      for (auto [name, field] : {std::pair{"--dry-run", &cl_.dry_run},
                                 {"--remove", &cl_.remove},
                                 {"--workload-identity", &cl_.workload_identity}}) {
        if (flag.name == name) {
          *field = true;
          return absl::OkStatus();
        }
      }
    }
    if (std::optional<KlogFlag> klog = FindKlogFlag(flag.name)) {
      // A valued klog flag written "--log-dir DIR" owns the next argument.
      if (*klog == KlogFlag::kTakesValue && !flag.value && next_ < args_.size()) ++next_;
      cl_.ignored_flags.emplace_back(flag.name);
      return absl::OkStatus();
    }
    const bool operator_flag = cl_.action == Action::kCheck || setup;
    const bool takes_value = flag.name == "--config" || flag.name == "-v" || flag.name == "--v" ||
                             flag.name == "--registry-mirror" || flag.name == "-r" ||
                             (operator_flag && (flag.name == "--image" || flag.name == "--root")) ||
                             (cl_.action == Action::kCheck &&
                              (flag.name == "--kubelet-config" || flag.name == "--bin-dir"));
    if (!takes_value) return UsageError(absl::StrCat("unknown flag '", flag.name, "'"));
    absl::StatusOr<absl::string_view> value = Value(flag);
    if (!value.ok()) return value.status();
    if (flag.name == "--config") {
      cl_.config_path = std::string(*value);
      config_flag_seen_ = true;
    } else if (flag.name == "--image") {
      cl_.image = std::string(*value);
    } else if (flag.name == "--root") {
      cl_.root = std::string(*value);
    } else if (flag.name == "--kubelet-config") {
      cl_.kubelet_config = std::string(*value);
    } else if (flag.name == "--bin-dir") {
      cl_.bin_dir = std::string(*value);
    } else if (flag.name == "--registry-mirror" || flag.name == "-r") {
      absl::StatusOr<std::vector<std::pair<std::string, std::string>>> mirrors =
          ParseRegistryMirrorFlag(*value);
      if (!mirrors.ok()) return UsageError(mirrors.status().message());
      cl_.registry_mirrors.insert(cl_.registry_mirrors.end(), mirrors->begin(), mirrors->end());
    } else {
      return ParseVerbosity(*value, cl_.verbosity);
    }
    return absl::OkStatus();
  }

  // The flag's value: after '=', else the next argument.
  absl::StatusOr<absl::string_view> Value(const Flag& flag) {
    absl::string_view value;
    if (flag.value) {
      value = *flag.value;
    } else if (next_ < args_.size()) {
      value = args_[next_++];
    }
    if (value.empty()) return UsageError(absl::StrCat(flag.name, " needs a value"));
    return value;
  }

  absl::StatusOr<CommandLine> Finish(bool subcommand) {
    if (cl_.action == Action::kSetup) {
      if (positional_.empty() || (positional_[0] != "k3s" && positional_[0] != "kubeadm")) {
        return UsageError("setup needs the target: setup k3s or setup kubeadm");
      }
      cl_.setup_target = positional_[0];
      positional_.erase(positional_.begin());
      if (cl_.remove && (!cl_.image.empty() || cl_.workload_identity)) {
        return UsageError(
            "setup --remove takes no --image or --workload-identity: it only undoes what setup "
            "did");
      }
      if (!cl_.remove && cl_.image.empty()) {
        return UsageError(
            "setup needs --image IMAGE: a private image to fetch credentials for "
            "before anything is changed");
      }
    }
    if (cl_.action == Action::kRefresh && !positional_.empty()) {
      return UsageError("refresh takes no arguments, only --config PATH and -v N");
    }
    if (positional_.size() > 1) {
      return UsageError(absl::StrCat("expected at most one config file path, got ",
                                     positional_.size(), " arguments"));
    }
    if (positional_.size() == 1) {
      if (config_flag_seen_) {
        return UsageError(
            "give the config file either with --config or as "
            "the argument, not both");
      }
      cl_.config_path = positional_[0];
    }
    if (subcommand && cl_.config_path.empty()) cl_.config_path = kDefaultConfigPath;
    return cl_;
  }

  const std::vector<std::string>& args_;
  size_t next_ = 0;
  CommandLine cl_;
  std::vector<std::string> positional_;
  bool config_flag_seen_ = false;
};

}  // namespace

absl::StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args) {
  return Parser(args).Parse();
}

absl::StatusOr<NodeConfig> LoadConfigFor(const CommandLine& cl, const EnvLookup& env) {
  absl::StatusOr<NodeConfig> config = LoadNodeConfig(cl.config_path, env);
  if (!config.ok()) return config;
  if (absl::Status s = AddRegistryMirrors(cl.registry_mirrors, "--registry-mirror", *config);
      !s.ok()) {
    return s;
  }
  return config;
}

std::string UsageText() {
  return absl::StrCat(
      "acr-credential-provider ", kVersion,
      " - kubelet image credential provider for Azure Container Registry\n"
      "\n"
      "Usage:\n"
      "  acr-credential-provider [--config] PATH [-v N]   answer a CredentialProviderRequest\n"
      "                                                   read from stdin\n"
      "  acr-credential-provider check [--config PATH] [--image IMAGE] [--root DIR]\n"
      "                          [--kubelet-config PATH --bin-dir DIR]\n"
      "                                                   report on the node's setup\n"
      "  acr-credential-provider setup k3s|kubeadm [--config PATH] --image IMAGE\n"
      "                          [--root DIR] [--dry-run] [--workload-identity]\n"
      "                                                   wire the plugin into the kubelet\n"
      "  acr-credential-provider setup k3s|kubeadm --remove [--root DIR] [--dry-run]\n"
      "                                                   undo it\n"
      "  acr-credential-provider refresh [--config PATH]  renew cached tokens before they\n"
      "                                                   age (run by the systemd timer)\n"
      "  acr-credential-provider docker-credential get|list|erase|store|version\n"
      "                                                   Docker credential helper (also run\n"
      "                                                   as docker-credential-acr)\n"
      "  acr-credential-provider --version\n"
      "  acr-credential-provider --help\n"
      "\n"
      "Flags:\n"
      "  --config PATH  node configuration (JSON); without it, settings come from the\n"
      "                 Azure SDK environment variables (AZURE_TENANT_ID, AZURE_CLIENT_ID,\n"
      "                 AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH,\n"
      "                 AZURE_FEDERATED_TOKEN_FILE, ...; see docs/configuration.md)\n"
      "  -v N           diagnostics on stderr (0 errors only, 1 steps, 2 HTTP attempts);\n"
      "                 secrets and tokens are never written\n"
      "  --registry-mirror SOURCE:TARGET[,...], -r\n"
      "                 images of SOURCE are pulled from the ACR login server TARGET (as the\n"
      "                 upstream plugin's flag; SOURCE=TARGET allows ports on both sides)\n"
      "  --image IMAGE  check, setup: get credentials for this image's registry\n"
      "  --root DIR     check, setup: the node's root directory (default /)\n"
      "  --kubelet-config PATH, --bin-dir DIR\n"
      "                 check: the kubelet's CredentialProviderConfig (a file, or a directory\n"
      "                 for kubelet 1.34+) and plugin directory (default: K3s's, else\n"
      "                 /etc/kubernetes/credential-provider.yaml and this program's directory)\n"
      "  --dry-run      setup: print what would change, as a diff; change nothing\n"
      "  --remove       setup: remove what setup added, keep every other provider\n"
      "  --workload-identity\n"
      "                 setup: have the kubelet pass each pod's service-account token\n"
      "                 (tokenAttributes, kubelet 1.33+; see docs/identities.md)\n"
      "\n"
      "The upstream plugin's klog flags (--logtostderr, --log-dir, ...) are accepted and\n"
      "ignored. check, setup and refresh read /etc/acr-credential-provider/config.json\n"
      "unless --config is given.\n"
      "\n"
      "The kubelet runs this program; see docs/configuration.md and the README for the\n"
      "CredentialProviderConfig that wires it up.\n");
}

}  // namespace acrcp
