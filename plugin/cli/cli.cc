#include "plugin/cli/cli.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "plugin/base/version.h"
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

// Splits "--name=value" into name and value; `has_value` tells whether '=' was present.
void SplitFlag(absl::string_view arg, absl::string_view& name, absl::string_view& value,
               bool& has_value) {
  const size_t eq = arg.find('=');
  has_value = eq != absl::string_view::npos;
  name = has_value ? arg.substr(0, eq) : arg;
  value = has_value ? arg.substr(eq + 1) : absl::string_view();
}

}  // namespace

absl::StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args) {
  CommandLine cl;
  if (!args.empty() && args[0] == "docker-credential") {
    cl.action = CommandLine::Action::kDockerCredential;
    cl.docker_args.assign(args.begin() + 1, args.end());
    return cl;
  }
  std::vector<std::string> positional;
  bool config_flag_seen = false;
  const bool subcommand = !args.empty() && (args[0] == "check" || args[0] == "setup");
  if (subcommand)
    cl.action = args[0] == "check" ? CommandLine::Action::kCheck : CommandLine::Action::kSetup;
  for (size_t i = subcommand ? 1 : 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.size() < 2 || arg[0] != '-') {
      positional.push_back(arg);
      continue;
    }
    absl::string_view name;
    absl::string_view value;
    bool has_value = false;
    SplitFlag(arg, name, value, has_value);
    if (name == "--help" || name == "-h") {
      cl.action = CommandLine::Action::kHelp;
      return cl;
    }
    if (name == "--version") {
      cl.action = CommandLine::Action::kPrintVersion;
      return cl;
    }
    if (name == "--dry-run" && cl.action == CommandLine::Action::kSetup && !has_value) {
      cl.dry_run = true;
      continue;
    }
    const bool operator_flag = name == "--image" || name == "--root";
    const bool takes_value =
        name == "--config" || name == "-v" || name == "--v" || (subcommand && operator_flag);
    if (!takes_value) return UsageError(absl::StrCat("unknown flag '", name, "'"));
    if (!has_value) {
      if (i + 1 >= args.size()) return UsageError(absl::StrCat(name, " needs a value"));
      value = args[++i];
    }
    if (value.empty()) return UsageError(absl::StrCat(name, " needs a value"));
    if (name == "--config") {
      cl.config_path = std::string(value);
      config_flag_seen = true;
    } else if (name == "--image") {
      cl.image = std::string(value);
    } else if (name == "--root") {
      cl.root = std::string(value);
    } else if (absl::Status s = ParseVerbosity(value, cl.verbosity); !s.ok()) {
      return s;
    }
  }
  if (cl.action == CommandLine::Action::kSetup) {
    if (positional.size() != 1 || (positional[0] != "k3s" && positional[0] != "kubeadm")) {
      return UsageError("setup needs the target: setup k3s or setup kubeadm");
    }
    if (cl.image.empty()) {
      return UsageError(
          "setup needs --image IMAGE: a private image to fetch credentials for "
          "before anything is changed");
    }
    cl.setup_target = positional[0];
    positional.clear();
  }
  if (positional.size() > 1) {
    return UsageError(absl::StrCat("expected at most one config file path, got ", positional.size(),
                                   " arguments"));
  }
  if (positional.size() == 1) {
    if (config_flag_seen) {
      return UsageError(
          "give the config file either with --config or as "
          "the argument, not both");
    }
    cl.config_path = positional[0];
  }
  if (subcommand && cl.config_path.empty()) cl.config_path = kDefaultConfigPath;
  return cl;
}

std::string UsageText() {
  return absl::StrCat(
      "acr-credential-provider ", kVersion,
      " - kubelet image credential provider for Azure Container Registry\n"
      "\n"
      "Usage:\n"
      "  acr-credential-provider [--config] PATH [-v N]   answer a CredentialProviderRequest\n"
      "                                                   read from stdin\n"
      "  acr-credential-provider check [--config PATH] [--image IMAGE]\n"
      "                                                   report on the node's setup\n"
      "  acr-credential-provider setup k3s|kubeadm [--config PATH] --image IMAGE\n"
      "                          [--root DIR] [--dry-run] wire the plugin into the kubelet\n"
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
      "  --image IMAGE  check, setup: get credentials for this image's registry\n"
      "  --root DIR     setup: the node's root directory (default /)\n"
      "  --dry-run      setup: print what would change, change nothing\n"
      "\n"
      "check and setup read /etc/acr-credential-provider/config.json unless --config is\n"
      "given.\n"
      "\n"
      "The kubelet runs this program; see docs/configuration.md and the README for the\n"
      "CredentialProviderConfig that wires it up.\n");
}

}  // namespace acrcp
