// acr-credential-provider: parse, dispatch, print, exit. Everything else lives in the
// library; stdout carries only the protocol response, stderr one line on failure.
#include <sys/prctl.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "plugin/check.h"
#include "plugin/cli.h"
#include "plugin/clock.h"
#include "plugin/fd_io.h"
#include "plugin/file_token_cache.h"
#include "plugin/helper_transport.h"
#include "plugin/kubelet_protocol.h"
#include "plugin/log.h"
#include "plugin/node_config.h"
#include "plugin/provider.h"
#include "plugin/retry.h"
#include "plugin/setup.h"
#include "plugin/version.h"

namespace {

int Fail(const absl::Status& status) {
  acrcp::log::Error(status.message());
  return 1;
}

// How the plugin reaches the network: its helper process, started on first use.
absl::StatusOr<std::unique_ptr<acrcp::NetworkHelper>> StartHelper(const std::string& ca_bundle) {
  absl::StatusOr<std::string> helper = acrcp::LocateHttpHelper();
  if (!helper.ok()) return helper.status();
  return acrcp::StartHelperTransport({.helper_path = *helper, .ca_bundle_file = ca_bundle});
}

// check and setup: the report on stdout; exit 1 if it failed.
int Check(const acrcp::CommandLine& cl, acrcp::ProviderEnv& env) {
  const acrcp::EnvLookup environment = acrcp::ProcessEnvironment();
  absl::StatusOr<acrcp::NodeConfig> config = acrcp::LoadNodeConfig(cl.config_path, environment);
  const std::string ca_bundle = config.ok() ? config->ca_bundle_file : "";
  env.start_helper = [&ca_bundle] { return StartHelper(ca_bundle); };
  const acrcp::CheckReport report = acrcp::RunChecks({config, cl.image, environment}, env);
  acrcp::WriteAll(STDOUT_FILENO, report.ToString());
  if (!report.Passed()) return 1;
  if (cl.action == acrcp::CommandLine::Action::kCheck) return 0;

  std::string log;
  const absl::Status done =
      acrcp::RunSetup(cl.setup_target, *config, cl.root, cl.dry_run, env.clock->Now(), log);
  acrcp::WriteAll(STDOUT_FILENO, log);
  return done.ok() ? 0 : Fail(done);
}

int Provide(const acrcp::CommandLine& cl) {
  absl::StatusOr<std::string> input = acrcp::ReadAllBounded(STDIN_FILENO, acrcp::kMaxRequestBytes);
  if (!input.ok()) {
    return Fail(absl::InvalidArgumentError(absl::StrCat(
        "cannot read the CredentialProviderRequest on stdin: ", input.status().message())));
  }
  absl::StatusOr<acrcp::CredentialProviderRequest> request = acrcp::ParseRequest(*input);
  if (!request.ok()) return Fail(request.status());
  absl::StatusOr<acrcp::NodeConfig> config =
      acrcp::LoadNodeConfig(cl.config_path, acrcp::ProcessEnvironment());
  if (!config.ok()) return Fail(config.status());

  acrcp::Clock& clock = acrcp::RealClock();
  const std::unique_ptr<acrcp::TokenCache> cache =
      acrcp::OpenFileTokenCache(config->cache_dir, clock);
  acrcp::ProviderEnv env;
  env.clock = &clock;
  env.cache = cache.get();
  env.start_helper = [&config] { return StartHelper(config->ca_bundle_file); };
  env.jitter = acrcp::RandomJitter();
  absl::StatusOr<acrcp::CredentialProviderResponse> response =
      acrcp::ProvideCredentials(*request, *config, env);
  if (!response.ok()) return Fail(response.status());
  if (!acrcp::WriteAll(STDOUT_FILENO, acrcp::SerializeResponse(*response))) {
    return Fail(absl::UnavailableError("cannot write the response to stdout"));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Secrets and tokens live in this process's memory: no core dumps of it, and no ptrace
  // attach by other processes of the same user.
  prctl(PR_SET_DUMPABLE, 0);
  const std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<acrcp::CommandLine> cl = acrcp::ParseCommandLine(args);
  if (!cl.ok()) return Fail(cl.status());
  acrcp::log::SetVerbosity(cl->verbosity);
  switch (cl->action) {
    case acrcp::CommandLine::Action::kHelp:
      return acrcp::WriteAll(STDOUT_FILENO, acrcp::UsageText()) ? 0 : 1;
    case acrcp::CommandLine::Action::kVersion:
      return acrcp::WriteAll(STDOUT_FILENO,
                             absl::StrCat("acr-credential-provider ", acrcp::kVersion, "\n"))
                 ? 0
                 : 1;
    case acrcp::CommandLine::Action::kCheck:
    case acrcp::CommandLine::Action::kSetup: {
      acrcp::ProviderEnv env;
      env.clock = &acrcp::RealClock();
      env.jitter = acrcp::RandomJitter();
      return Check(*cl, env);
    }
    case acrcp::CommandLine::Action::kProvide:
      break;
  }
  return Provide(*cl);
}
