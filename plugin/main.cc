// acr-credential-provider: parse, dispatch, print, exit. Everything else lives in the
// library; stdout carries only the protocol response, stderr one line on failure.
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "plugin/base/environment.h"
#include "plugin/base/fd_io.h"
#include "plugin/base/log.h"
#include "plugin/base/version.h"
#include "plugin/cli/cli.h"
#include "plugin/cli/commands.h"
#include "plugin/config/node_config.h"
#include "plugin/docker/docker_credential_helper.h"
#include "plugin/kubelet/kubelet_front_end.h"
#include "plugin/kubelet/kubelet_protocol.h"
#include "plugin/real_provider_env.h"

namespace {

int Fail(const absl::Status& status) {
  acrcp::log::Error(status.message());
  return 1;
}

int DockerCredentialHelper(const std::vector<std::string>& args) {
  const acrcp::EnvLookup environment = acrcp::ProcessEnvironment();
  std::unique_ptr<acrcp::RealProviderEnv> real;
  acrcp::DockerHelperDeps deps;
  deps.read_stdin = [] { return acrcp::ReadAllBounded(STDIN_FILENO, acrcp::kMaxRequestBytes); };
  deps.load_config = [&environment] {
    const std::string path =
        acrcp::DockerHelperConfigPath(environment, [](const std::string& candidate) {
          struct stat st {};
          return stat(candidate.c_str(), &st) == 0;
        });
    return acrcp::LoadNodeConfig(path, environment);
  };
  deps.provider_env = [&](const acrcp::NodeConfig& config) {
    real = std::make_unique<acrcp::RealProviderEnv>(
        config, acrcp::DockerHelperCacheDir(config, geteuid() == 0, environment));
    return real->env();
  };
  const acrcp::DockerHelperResult result = acrcp::RunDockerCredentialHelper(args, deps);
  const bool written = acrcp::WriteAll(STDOUT_FILENO, result.out);
  if (real) {  // a credential was looked up
    real->RecordInvocation("docker", written && result.exit_code == 0
                                         ? absl::OkStatus()
                                         : absl::UnknownError("docker helper failed"));
  }
  return written ? result.exit_code : 1;
}

int Provide(const acrcp::CommandLine& cl) {
  absl::StatusOr<std::string> input = acrcp::ReadAllBounded(STDIN_FILENO, acrcp::kMaxRequestBytes);
  if (!input.ok()) {
    return Fail(absl::InvalidArgumentError(absl::StrCat(
        "cannot read the CredentialProviderRequest on stdin: ", input.status().message())));
  }
  absl::StatusOr<acrcp::CredentialProviderRequest> request = acrcp::ParseRequest(*input);
  if (!request.ok()) return Fail(request.status());
  absl::StatusOr<acrcp::NodeConfig> config = acrcp::LoadConfigFor(cl, acrcp::ProcessEnvironment());
  if (!config.ok()) return Fail(config.status());

  acrcp::RealProviderEnv real(*config, config->cache_dir);
  absl::StatusOr<acrcp::CredentialProviderResponse> response =
      acrcp::ProvideCredentials(*request, *config, real.env());
  absl::Status outcome = response.status();
  if (outcome.ok() && !acrcp::WriteAll(STDOUT_FILENO, acrcp::SerializeResponse(*response))) {
    outcome = absl::UnavailableError("cannot write the response to stdout");
  }
  real.RecordInvocation("kubelet", outcome);
  return outcome.ok() ? 0 : Fail(outcome);
}

}  // namespace

int main(int argc, char** argv) {
  // Secrets and tokens live in this process's memory: no core dumps of it, and no ptrace
  // attach by other processes of the same user.
  prctl(PR_SET_DUMPABLE, 0);
  const std::vector<std::string> args(argv + 1, argv + argc);
  // Installed as docker-credential-acr (a link), the binary speaks only that protocol.
  const absl::string_view name = argc > 0 ? argv[0] : "";
  if (absl::StartsWith(name.substr(name.rfind('/') + 1), "docker-credential-")) {
    return DockerCredentialHelper(args);
  }
  absl::StatusOr<acrcp::CommandLine> cl = acrcp::ParseCommandLine(args);
  if (!cl.ok()) return Fail(cl.status());
  acrcp::log::SetVerbosity(cl->verbosity);
  switch (cl->action) {
    case acrcp::CommandLine::Action::kHelp:
      return acrcp::WriteAll(STDOUT_FILENO, acrcp::UsageText()) ? 0 : 1;
    case acrcp::CommandLine::Action::kPrintVersion:
      return acrcp::WriteAll(STDOUT_FILENO,
                             absl::StrCat("acr-credential-provider ", acrcp::kVersion, "\n"))
                 ? 0
                 : 1;
    case acrcp::CommandLine::Action::kCheck:
      return acrcp::RunCheckCommand(*cl);
    case acrcp::CommandLine::Action::kSetup:
      return acrcp::RunSetupCommand(*cl);
    case acrcp::CommandLine::Action::kRefresh:
      return acrcp::RunRefreshCommand(*cl);
    case acrcp::CommandLine::Action::kDockerCredential:
      return DockerCredentialHelper(cl->docker_args);
    case acrcp::CommandLine::Action::kProvide:
      break;
  }
  return Provide(*cl);
}
