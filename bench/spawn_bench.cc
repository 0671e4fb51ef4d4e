// Times whole processes, exec to exit, the way the kubelet runs the plugin.
//
//   spawn_bench serial N STDIN_FILE -- COMMAND [ARGS...]
//       runs COMMAND N times one after another; prints one JSON object with the median and
//       95th percentile wall time in milliseconds, the largest peak RSS (KiB) and failures.
//   spawn_bench concurrent N STDIN_FILE -- COMMAND [ARGS...]
//       starts N copies at once and waits for all; prints the wall time from the first
//       start to the last exit, the largest peak RSS and failures.
// stdin of each child is STDIN_FILE, stdout and stderr are /dev/null. Written in C++ with
// posix_spawn so the measuring process adds as little as possible to what it measures.
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

struct Child {
  pid_t pid = -1;
  long max_rss_kb = 0;
  bool ok = false;
};

pid_t Spawn(const char* stdin_file, char** argv) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, stdin_file, O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &actions, nullptr, argv, environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

Child Wait(pid_t pid) {
  Child child;
  child.pid = pid;
  int status = 0;
  rusage usage{};
  if (pid > 0 && wait4(pid, &status, 0, &usage) == pid) {
    child.max_rss_kb = usage.ru_maxrss;
    child.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  return child;
}

double Millis(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

int Usage() {
  std::fprintf(stderr, "usage: spawn_bench serial|concurrent N STDIN_FILE -- COMMAND [ARGS...]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6 || std::string(argv[4]) != "--") return Usage();
  const std::string mode = argv[1];
  const int n = std::atoi(argv[2]);
  const char* stdin_file = argv[3];
  char** command = argv + 5;
  if (n <= 0 || n > 100000) return Usage();

  long max_rss_kb = 0;
  int failures = 0;
  if (mode == "serial") {
    std::vector<double> times;
    times.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      const Clock::time_point start = Clock::now();
      const Child child = Wait(Spawn(stdin_file, command));
      times.push_back(Millis(Clock::now() - start));
      max_rss_kb = std::max(max_rss_kb, child.max_rss_kb);
      failures += child.ok ? 0 : 1;
    }
    std::sort(times.begin(), times.end());
    const double median = times[times.size() / 2];
    const double p95 = times[std::min(times.size() - 1, times.size() * 95 / 100)];
    std::printf(
        "{\"runs\":%d,\"median_ms\":%.3f,\"p95_ms\":%.3f,\"max_rss_kb\":%ld,"
        "\"failures\":%d}\n",
        n, median, p95, max_rss_kb, failures);
    return 0;
  }
  if (mode == "concurrent") {
    std::vector<pid_t> pids;
    const Clock::time_point start = Clock::now();
    for (int i = 0; i < n; ++i) pids.push_back(Spawn(stdin_file, command));
    for (pid_t pid : pids) {
      const Child child = Wait(pid);
      max_rss_kb = std::max(max_rss_kb, child.max_rss_kb);
      failures += child.ok ? 0 : 1;
    }
    std::printf("{\"procs\":%d,\"wall_ms\":%.3f,\"max_rss_kb\":%ld,\"failures\":%d}\n", n,
                Millis(Clock::now() - start), max_rss_kb, failures);
    return 0;
  }
  return Usage();
}
