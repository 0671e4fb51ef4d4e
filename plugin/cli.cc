#include "plugin/cli.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "plugin/version.h"

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
  std::vector<std::string> positional;
  bool config_flag_seen = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.size() < 2 || arg[0] != '-') {
      positional.push_back(arg);
      continue;
    }
    absl::string_view name, value;
    bool has_value = false;
    SplitFlag(arg, name, value, has_value);
    if (name == "--help" || name == "-h") {
      cl.action = CommandLine::Action::kHelp;
      return cl;
    }
    if (name == "--version") {
      cl.action = CommandLine::Action::kVersion;
      return cl;
    }
    const bool takes_value = name == "--config" || name == "-v" || name == "--v";
    if (!takes_value) return UsageError(absl::StrCat("unknown flag '", name, "'"));
    if (!has_value) {
      if (i + 1 >= args.size()) return UsageError(absl::StrCat(name, " needs a value"));
      value = args[++i];
    }
    if (name == "--config") {
      if (value.empty()) return UsageError("--config needs a file path");
      cl.config_path = std::string(value);
      config_flag_seen = true;
    } else if (absl::Status s = ParseVerbosity(value, cl.verbosity); !s.ok()) {
      return s;
    }
  }
  if (positional.size() > 1) {
    return UsageError(absl::StrCat("expected at most one config file path, got ", positional.size(),
                                   " arguments"));
  }
  if (positional.size() == 1) {
    if (config_flag_seen)
      return UsageError(
          "give the config file either with --config or as "
          "the argument, not both");
    cl.config_path = positional[0];
  }
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
      "\n"
      "The kubelet runs this program; see docs/configuration.md and the README for the\n"
      "CredentialProviderConfig that wires it up.\n");
}

}  // namespace acrcp
