#include "plugin/metrics/metrics_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "plugin/base/fd_io.h"

namespace acrcp {
namespace {

constexpr size_t kMaxMetricsBytes = size_t{1} << 20;
// A pull may wait this long for other invocations' metric updates, no longer.
constexpr absl::Duration kLockWait = absl::Seconds(2);

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::UnavailableError(
      absl::StrCat("metrics: cannot ", what, " ", path, ": ", std::strerror(errno)));
}

// Holds the flock of `path` until destroyed.
class LockedFile {
 public:
  LockedFile() = default;
  LockedFile(const LockedFile&) = delete;
  LockedFile& operator=(const LockedFile&) = delete;
  ~LockedFile() {
    if (fd_ >= 0) close(fd_);
  }

  absl::Status Lock(const std::string& path) {
    fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd_ < 0) return Errno("open", path);
    const absl::Time deadline = absl::Now() + kLockWait;
    absl::Duration poll = absl::Microseconds(200);
    while (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR) return Errno("lock", path);
      if (absl::Now() > deadline) {
        return absl::DeadlineExceededError(absl::StrCat("metrics: ", path, " stayed locked for ",
                                                        absl::FormatDuration(kLockWait)));
      }
      absl::SleepFor(poll);
      poll = std::min(poll * 2, absl::Milliseconds(20));
    }
    return absl::OkStatus();
  }

 private:
  int fd_ = -1;
};

// The front ends whose hits are batched, by their slot in <file>.pending.
constexpr std::array<absl::string_view, 2> kBatchedFrontEnds = {"kubelet", "docker"};
constexpr size_t kPendingBytes = 64;  // room to grow without changing the layout

// <file>.pending mapped shared: one 64-bit counter per batched front end.
class PendingHits {
 public:
  PendingHits() = default;
  PendingHits(const PendingHits&) = delete;
  PendingHits& operator=(const PendingHits&) = delete;
  ~PendingHits() {
    if (slots_ != nullptr) munmap(slots_, kPendingBytes);
  }

  absl::Status Map(const std::string& path) {
    const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return Errno("open", path);
    struct stat st {};
    // Growing it zero-fills; a concurrent grow to the same size changes nothing.
    const bool sized =
        fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        (st.st_size >= static_cast<off_t>(kPendingBytes) || ftruncate(fd, kPendingBytes) == 0);
    void* mapped = sized ? mmap(nullptr, kPendingBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
                         : MAP_FAILED;
    close(fd);
    if (mapped == MAP_FAILED) return Errno("map", path);
    slots_ = static_cast<uint64_t*>(mapped);
    return absl::OkStatus();
  }

  void Add(size_t slot) { __atomic_fetch_add(&slots_[slot], 1, __ATOMIC_RELAXED); }
  uint64_t Take(size_t slot) { return __atomic_exchange_n(&slots_[slot], 0, __ATOMIC_RELAXED); }

 private:
  uint64_t* slots_ = nullptr;
};

std::optional<size_t> SlotOf(absl::string_view frontend) {
  for (size_t i = 0; i < kBatchedFrontEnds.size(); ++i) {
    if (kBatchedFrontEnds[i] == frontend) return i;
  }
  return std::nullopt;
}

}  // namespace

std::string MetricsPathFor(const NodeConfig& config) {
  if (config.metrics_file) return *config.metrics_file;
  for (const char* dir : kTextfileDirectories) {
    struct stat st {};
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) return absl::StrCat(dir, "/", kMetricsFileName);
  }
  return "";
}

absl::Status WriteMetrics(const std::string& path, const MetricsRecorder& recorder) {
  LockedFile lock;
  if (absl::Status s = lock.Lock(absl::StrCat(path, ".lock")); !s.ok()) return s;

  std::string current;
  const int in = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (in >= 0) {
    absl::StatusOr<std::string> text = ReadAllBounded(in, kMaxMetricsBytes);
    close(in);
    if (text.ok()) current = *std::move(text);  // an oversized file is started afresh
  } else if (errno != ENOENT) {
    return Errno("read", path);
  }

  MetricsRecorder changes = recorder;
  PendingHits pending;
  if (pending.Map(absl::StrCat(path, ".pending")).ok()) {
    for (size_t slot = 0; slot < kBatchedFrontEnds.size(); ++slot) {
      changes.Invocation(kBatchedFrontEnds[slot], "hit", static_cast<int64_t>(pending.Take(slot)));
    }
  }
  const std::string text = RenderMetrics(MergeMetrics(ParseMetrics(current), changes));
  const std::string temp = absl::StrCat(path, ".tmp");  // only the lock holder writes it
  unlink(temp.c_str());
  const int out = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (out < 0) return Errno("create", temp);
  // node_exporter runs as its own user: readable whatever the umask.
  const bool written = fchmod(out, 0644) == 0 && WriteAll(out, text);
  if (close(out) != 0 || !written || rename(temp.c_str(), path.c_str()) != 0) {
    absl::Status status = Errno("write", path);
    unlink(temp.c_str());
    return status;
  }
  return absl::OkStatus();
}

absl::Status CountHit(const std::string& path, absl::string_view frontend, absl::Time now) {
  const std::optional<size_t> slot = SlotOf(frontend);
  MetricsRecorder hit;
  if (!slot) {
    hit.Invocation(frontend, "hit");
    return WriteMetrics(path, hit);
  }
  {
    PendingHits pending;
    if (absl::Status s = pending.Map(absl::StrCat(path, ".pending")); !s.ok()) return s;
    pending.Add(*slot);
  }
  struct stat st {};
  if (stat(path.c_str(), &st) == 0 && absl::TimeFromTimespec(st.st_mtim) + kHitBatchWindow > now) {
    return absl::OkStatus();
  }
  return WriteMetrics(path, hit);
}

}  // namespace acrcp
