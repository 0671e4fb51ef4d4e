#include "plugin/net/helper_transport.h"

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "plugin/base/fd_io.h"
#include "plugin/base/log.h"
#include "plugin/net/http_wire.h"

#ifndef ACRCP_HELPER_FROM_PLUGIN
#error "ACRCP_HELPER_FROM_PLUGIN must name the helper's install directory relative to the plugin's"
#endif

namespace acrcp {
namespace {

// How long past a request's own timeout the helper may take to report it.
constexpr absl::Duration kGrace = absl::Seconds(2);
// Signing is local CPU work: milliseconds.
constexpr absl::Duration kSignTimeout = absl::Seconds(5);

constexpr std::array<const char*, 6> kPassedVariables = {"HTTPS_PROXY", "https_proxy", "NO_PROXY",
                                                         "no_proxy",    "ALL_PROXY",   "all_proxy"};

bool IsExecutable(const std::string& path) { return access(path.c_str(), X_OK) == 0; }

// How often a caller waiting on the helper hears about it.
constexpr absl::Duration kWaitReport = absl::Seconds(1);

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

class HelperTransport : public NetworkHelper {
 public:
  HelperTransport(pid_t pid, int fd, std::function<void(absl::string_view, absl::Duration)> on_wait)
      : pid_(pid), fd_(fd), on_wait_(std::move(on_wait)) {}
  HelperTransport(const HelperTransport&) = delete;
  HelperTransport& operator=(const HelperTransport&) = delete;

  ~HelperTransport() override {
    // End of input tells the helper to exit; it has nothing in flight between requests.
    if (fd_ >= 0) close(fd_);
    if (pid_ > 0) waitpid(pid_, nullptr, 0);
  }

  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override {
    return Call(EncodeRequest(request), request.timeout, HostOfUrl(request.url));
  }

  absl::StatusOr<std::string> SignAssertion(const AssertionSigningRequest& request) override {
    absl::StatusOr<HttpResponse> signed_jwt =
        Call(EncodeSignRequest(request), kSignTimeout, "signing the client assertion");
    if (!signed_jwt.ok()) return signed_jwt.status();
    return std::move(signed_jwt->body);
  }

 private:
  // Sends one message and waits for its result, for at most `timeout` plus a grace period;
  // `what` is what the wait is for, for on_wait_.
  absl::StatusOr<HttpResponse> Call(const std::string& message, absl::Duration timeout,
                                    absl::string_view what) {
    if (fd_ < 0) return absl::InternalError("the HTTPS helper already failed");
    if (!SendAll(fd_, message)) {
      return Broken(
          absl::UnavailableError(absl::StrCat("cannot send to it: ", std::strerror(errno))));
    }
    const absl::Time started = absl::Now();
    const absl::Time deadline = started + timeout + kGrace;
    absl::Time next_report = started + kWaitReport;
    absl::StatusOr<absl::StatusOr<HttpResponse>> result =
        DecodeResult([&](char* buffer, size_t size) {
          return ReadExactly(buffer, size, deadline, [&] {
            if (!on_wait_) return deadline;
            const absl::Time now = absl::Now();
            if (now >= next_report) {
              on_wait_(what, absl::Floor(now - started, absl::Seconds(1)));
              next_report = now + kWaitReport;
            }
            return std::min(deadline, next_report);
          });
        });
    if (!result.ok()) return Broken(result.status());
    return *std::move(result);
  }

  // Reads `size` bytes by `deadline`; `tick` runs while waiting and says until when to wait
  // before it runs again.
  absl::Status ReadExactly(char* buffer, size_t size, absl::Time deadline,
                           const std::function<absl::Time()>& tick) const {
    size_t done = 0;
    while (done < size) {
      if (absl::Now() >= deadline) return absl::DeadlineExceededError("it did not answer in time");
      const int64_t wait_ms = std::max<int64_t>(1, absl::ToInt64Milliseconds(tick() - absl::Now()));
      pollfd pfd{fd_, POLLIN, 0};
      const int ready = poll(&pfd, 1, static_cast<int>(std::min<int64_t>(wait_ms, INT_MAX)));
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0) return absl::UnavailableError(std::strerror(errno));
      if (ready == 0) continue;
      const ssize_t n = recv(fd_, buffer + done, size - done, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return absl::UnavailableError(std::strerror(errno));
      if (n == 0) {
        return done == 0 ? absl::NotFoundError("it exited") : absl::DataLossError("it exited");
      }
      done += static_cast<size_t>(n);
    }
    return absl::OkStatus();
  }

  // The conversation is unusable: stop the helper and say so. A timeout stays
  // DeadlineExceeded so the caller can point at timeoutSeconds.
  absl::Status Broken(const absl::Status& why) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    close(fd_);
    pid_ = -1;
    fd_ = -1;
    const absl::StatusCode code = absl::IsDeadlineExceeded(why)
                                      ? absl::StatusCode::kDeadlineExceeded
                                      : absl::StatusCode::kInternal;
    return absl::Status(
        code, absl::StrCat("the HTTPS helper ", kHttpHelperName, " failed: ", why.message(),
                           " (reinstall the package if this persists)"));
  }

  pid_t pid_;
  int fd_;
  std::function<void(absl::string_view, absl::Duration)> on_wait_;
};

}  // namespace

std::vector<std::string> ProxyVariables(const std::vector<std::string>& environment) {
  // Reduced to what libcurl needs: nothing secret (AZURE_CLIENT_SECRET may be in ours)
  // reaches the child.
  std::vector<std::string> out;
  for (const std::string& item : environment) {
    for (const char* name : kPassedVariables) {
      if (absl::StartsWith(item, absl::StrCat(name, "="))) out.push_back(item);
    }
  }
  return out;
}

absl::StatusOr<std::string> LocateHttpHelper() {
  char self[PATH_MAX];
  if (realpath("/proc/self/exe", self) == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot find the HTTPS helper ", kHttpHelperName,
                     ": /proc/self/exe: ", std::strerror(errno), " (is /proc mounted?)"));
  }
  const std::string exe(self);
  const std::string dir = exe.substr(0, exe.rfind('/'));
  const std::string beside = absl::StrCat(dir, "/", kHttpHelperName);
  if (IsExecutable(beside)) return beside;
  const std::string installed =
      std::filesystem::path(absl::StrCat(dir, "/", ACRCP_HELPER_FROM_PLUGIN, "/", kHttpHelperName))
          .lexically_normal()
          .string();
  if (IsExecutable(installed)) return installed;
  return absl::FailedPreconditionError(absl::StrCat(
      "cannot find the HTTPS helper ", kHttpHelperName, " at ", beside, " or ", installed,
      " (reinstall the package; to put the plugin into a kubelet bin directory, symlink it "
      "instead of copying it)"));
}

absl::StatusOr<std::unique_ptr<NetworkHelper>> StartHelperTransport(
    const HelperTransportOptions& options) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return absl::UnavailableError(absl::StrCat("socketpair: ", std::strerror(errno)));
  }
  std::vector<std::string> args = {options.helper_path};
  if (!options.ca_bundle_file.empty()) {
    args.push_back("--ca-bundle-file");
    args.push_back(options.ca_bundle_file);
  }
  std::vector<std::string> ours;
  if (!options.proxy_environment) {
    for (char** entry = environ; *entry != nullptr; ++entry) ours.emplace_back(*entry);
  }
  std::vector<std::string> env = ProxyVariables(options.proxy_environment.value_or(ours));
  std::vector<char*> argv = Pointers(args);
  std::vector<char*> envp = Pointers(env);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  pid_t pid = -1;
  const int error =
      posix_spawn(&pid, options.helper_path.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (error != 0) {
    close(fds[0]);
    return absl::UnavailableError(
        absl::StrCat("cannot start ", options.helper_path, ": ", std::strerror(error)));
  }
  log::Debug(2, absl::StrCat("started ", options.helper_path, " (pid ", pid, ")"));
  return std::make_unique<HelperTransport>(pid, fds[0], options.on_wait);
}

}  // namespace acrcp
