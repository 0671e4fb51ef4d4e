#include "plugin/cli/kubelet_node.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "plugin/base/fd_io.h"

namespace acrcp {
namespace {

constexpr absl::Duration kVersionTimeout = absl::Seconds(5);
constexpr size_t kMaxOutput = 4096;
constexpr size_t kMaxConfigBytes = size_t{1} << 20;

// What `program --version` prints within kVersionTimeout; nullopt if it cannot be run.
std::optional<std::string> VersionOutput(const char* program) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return std::nullopt;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  const char* argv[] = {program, "--version", nullptr};
  pid_t pid = 0;
  const int spawned =
      posix_spawnp(&pid, program, &actions, nullptr, const_cast<char**>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (spawned != 0) {
    close(fds[0]);
    return std::nullopt;
  }
  std::string out;
  const absl::Time deadline = absl::Now() + kVersionTimeout;
  for (;;) {
    const int64_t wait_ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    pollfd pfd{fds[0], POLLIN, 0};
    if (wait_ms <= 0 || poll(&pfd, 1, static_cast<int>(wait_ms)) <= 0) break;
    char buffer[512];
    const ssize_t n = read(fds[0], buffer, sizeof(buffer));
    if (n <= 0 || out.size() > kMaxOutput) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  close(fds[0]);
  kill(pid, SIGKILL);  // harmless once it has exited; bounds one that hangs
  waitpid(pid, nullptr, 0);
  return out;
}

}  // namespace

std::optional<KubeletVersion> DetectKubeletVersion(const std::string& root, bool k3s,
                                                   std::string& source) {
  if (root != "/") return std::nullopt;
  const std::array<const char*, 2> programs = k3s ? std::array<const char*, 2>{"k3s", "kubelet"}
                                                  : std::array<const char*, 2>{"kubelet", "k3s"};
  for (const char* program : programs) {
    std::optional<std::string> output = VersionOutput(program);
    if (!output) continue;
    if (std::optional<KubeletVersion> version = ParseKubeletVersion(*output)) {
      source = absl::StrCat(program, " --version");
      return version;
    }
  }
  return std::nullopt;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ReadProviderConfig(
    const std::string& root, const std::string& path) {
  const std::string full = root == "/" ? path : absl::StrCat(root, path);
  std::vector<std::string> files;
  std::error_code error;
  if (std::filesystem::is_directory(full, error)) {
    for (const auto& entry : std::filesystem::directory_iterator(full, error)) {
      const std::string name = entry.path().filename().string();
      if (absl::EndsWith(name, ".json") || absl::EndsWith(name, ".yaml") ||
          absl::EndsWith(name, ".yml")) {
        files.push_back(absl::StrCat(path, "/", name));
      }
    }
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(path);
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& file : files) {
    const std::string on_disk = root == "/" ? file : absl::StrCat(root, file);
    const int fd = open(on_disk.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return absl::NotFoundError(absl::StrCat(file, ": ", std::strerror(errno)));
    }
    absl::StatusOr<std::string> contents = ReadAllBounded(fd, kMaxConfigBytes);
    close(fd);
    if (!contents.ok())
      return absl::UnavailableError(absl::StrCat(file, ": ", contents.status().message()));
    out.emplace_back(file, *std::move(contents));
  }
  if (out.empty())
    return absl::NotFoundError(absl::StrCat(path, ": no *.yaml, *.yml or *.json in it"));
  return out;
}

}  // namespace acrcp
