#include "plugin/cache/file_token_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "plugin/base/fd_io.h"
#include "plugin/base/log.h"
#include "plugin/base/secure_file.h"
#include "plugin/cache/cache_entry.h"

namespace acrcp {
namespace {

constexpr size_t kMaxEntryBytes = size_t{64} * 1024;
constexpr absl::Duration kFirstLockPoll = absl::Milliseconds(2);
constexpr absl::Duration kMaxLockPoll = absl::Milliseconds(50);

// Keys become file names: only [a-z0-9-] may pass, so no key can name a path elsewhere.
bool IsSafeKey(const std::string& key) {
  return !key.empty() && key.size() <= 128 && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

class FileLock : public CacheLock {
 public:
  explicit FileLock(int fd) : fd_(fd) {}
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock() override { close(fd_); }  // closing releases the flock

 private:
  int fd_;
};

class FileTokenCache : public TokenCache {
 public:
  FileTokenCache(std::string dir, Clock& clock, CacheUse use)
      : dir_(std::move(dir)), clock_(clock), use_(use) {}

  std::optional<CachedToken> Get(const std::string& key) override {
    std::optional<CachedToken> entry = Read(key);
    if (entry && use_ == CacheUse::kServe) MarkUsed(key);
    return entry;
  }

  std::vector<CacheListing> List() override {
    std::vector<CacheListing> listings;
    DIR* dir = opendir(dir_.c_str());
    if (dir == nullptr) return listings;
    while (const dirent* item = readdir(dir)) {
      absl::string_view name = item->d_name;
      if (!absl::ConsumeSuffix(&name, ".json")) continue;
      const std::string key(name);
      if (std::optional<CachedToken> entry = Read(key)) {
        listings.push_back(CacheListing{key, *std::move(entry), LastUsed(key)});
      }
    }
    closedir(dir);
    std::sort(listings.begin(), listings.end(),
              [](const CacheListing& a, const CacheListing& b) { return a.key < b.key; });
    return listings;
  }

  void Put(const std::string& key, const CachedToken& entry) override {
    if (!IsSafeKey(key)) return;
    RemoveLeftoverTemporaries(key);
    const std::string path = EntryPath(key);
    std::string temp = absl::StrCat(path, ".tmp.XXXXXX");
    const int fd = mkostemp(temp.data(), O_CLOEXEC);  // created 0600
    if (fd < 0) {
      Failed("create", temp);
      return;
    }
    const bool written = WriteAll(fd, SerializeCacheEntry(key, entry)) && fsync(fd) == 0;
    const bool closed = close(fd) == 0;
    // An (empty) directory squatting on the entry's name is removed so the entry can land.
    const bool renamed =
        written && closed &&
        (rename(temp.c_str(), path.c_str()) == 0 ||
         (errno == EISDIR && rmdir(path.c_str()) == 0 && rename(temp.c_str(), path.c_str()) == 0));
    if (!renamed) {
      Failed("write", path);
      unlink(temp.c_str());
      return;
    }
    SyncDirectory();
    if (use_ == CacheUse::kServe) MarkUsed(key);  // a front end's refresh serves the entry
  }

  void Erase(const std::string& key) override {
    if (!IsSafeKey(key)) return;
    const std::string path = EntryPath(key);
    if (unlink(path.c_str()) != 0 && errno != ENOENT) Failed("remove", path);
    unlink(absl::StrCat(dir_, "/", key, ".used").c_str());
  }

  absl::StatusOr<std::unique_ptr<CacheLock>> Lock(const std::string& key,
                                                  absl::Time deadline) override {
    const std::string path = absl::StrCat(dir_, "/", key, ".lock");
    const int fd =
        IsSafeKey(key) ? open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600) : -1;
    if (fd < 0) {
      // Without a lock file we lose only the de-duplication, not correctness.
      Failed("open lock", path);
      return std::make_unique<CacheLock>();
    }
    absl::Duration poll = kFirstLockPoll;
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR) {
        Failed("lock", path);
        close(fd);
        return std::make_unique<CacheLock>();
      }
      const absl::Duration left = deadline - clock_.Now();
      if (left <= absl::ZeroDuration()) {
        close(fd);
        return absl::DeadlineExceededError(
            absl::StrCat("another acr-credential-provider process held the cache lock ", path,
                         " until the deadline"));
      }
      clock_.SleepFor(std::min(poll, left));
      poll = std::min(poll * 2, kMaxLockPoll);
    }
    return std::make_unique<FileLock>(fd);
  }

 private:
  std::optional<CachedToken> Read(const std::string& key) {
    if (!IsSafeKey(key)) return std::nullopt;
    const std::string path = EntryPath(key);
    absl::StatusOr<SecureFile> file = ReadSecureFile(path, "cache entry", FileAccess::kPrivate,
                                                     kMaxEntryBytes, Symlinks::kRefuse);
    if (!file.ok()) {
      if (!absl::IsNotFound(file.status())) {
        log::Debug(1, absl::StrCat("ignoring ", file.status().message()));
      }
      return std::nullopt;
    }
    absl::StatusOr<CachedToken> entry = ParseCacheEntry(file->contents, key);
    if (!entry.ok()) {
      Ignore(path, entry.status().message());
      return std::nullopt;
    }
    log::RegisterSecret(entry->token);
    return *std::move(entry);
  }

  // A front end's read: <key>.used's mtime says when, for `refresh` (a file of its own, so
  // neither atime mount options nor refresh's own reads and writes blur it).
  void MarkUsed(const std::string& key) const {
    const std::string path = absl::StrCat(dir_, "/", key, ".used");
    const timespec now = absl::ToTimespec(clock_.Now());
    const timespec times[2] = {now, now};
    if (utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0) return;
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return;
    futimens(fd, times);
    close(fd);
  }

  absl::Time LastUsed(const std::string& key) const {
    struct stat st {};
    const std::string path = absl::StrCat(dir_, "/", key, ".used");
    if (lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return absl::InfinitePast();
    return absl::TimeFromTimespec(st.st_mtim);
  }

  std::string EntryPath(const std::string& key) const {
    return absl::StrCat(dir_, "/", key, ".json");
  }

  // A writer killed between mkstemp and rename leaves its temporary behind. Only the lock
  // holder writes a key, so every temporary of that key is such a leftover.
  void RemoveLeftoverTemporaries(const std::string& key) const {
    DIR* dir = opendir(dir_.c_str());
    if (dir == nullptr) return;
    const std::string prefix = absl::StrCat(key, ".json.tmp.");
    while (const dirent* item = readdir(dir)) {
      if (absl::StartsWith(item->d_name, prefix)) unlinkat(dirfd(dir), item->d_name, 0);
    }
    closedir(dir);
  }

  void SyncDirectory() const {
    const int fd = open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    fsync(fd);
    close(fd);
  }

  static void Ignore(const std::string& path, absl::string_view why) {
    log::Debug(1, absl::StrCat("ignoring cache entry ", path, ": ", why));
  }

  static void Failed(absl::string_view what, const std::string& path) {
    log::Debug(1,
               absl::StrCat("token cache: cannot ", what, " ", path, ": ", std::strerror(errno)));
  }

  std::string dir_;
  Clock& clock_;
  CacheUse use_;
};

// Why `dir` cannot hold the cache, or OK after making sure only we can use it. Missing
// parents are created like `mkdir -p` would; a symlink is followed, since what it points to
// is what gets checked.
absl::Status PrepareDirectory(const std::string& dir) {
  std::error_code ignored;  // mkdir below reports what matters
  std::filesystem::create_directories(std::filesystem::path(dir).parent_path(), ignored);
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::UnavailableError(absl::StrCat("cannot create it: ", std::strerror(errno)));
  }
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("not a directory we can open: ", std::strerror(errno)));
  }
  struct stat st {};
  const bool stat_ok = fstat(fd, &st) == 0;
  absl::Status status;
  if (!stat_ok) {
    status = absl::UnavailableError(std::strerror(errno));
  } else if (st.st_uid != geteuid()) {
    status = absl::PermissionDeniedError(absl::StrCat(
        "owned by uid ", st.st_uid, " (run: chown root:root ", dir, "; chmod 700 ", dir, ")"));
  } else if ((st.st_mode & 077) != 0 && fchmod(fd, 0700) != 0) {
    status = absl::PermissionDeniedError(
        absl::StrCat("cannot restrict its mode: ", std::strerror(errno)));
  }
  close(fd);
  return status;
}

}  // namespace

std::unique_ptr<TokenCache> OpenFileTokenCache(const std::string& dir, Clock& clock, CacheUse use) {
  if (absl::Status status = PrepareDirectory(dir); !status.ok()) {
    log::Debug(1,
               absl::StrCat("token cache disabled: cache directory ", dir, ": ", status.message()));
    return NewNullTokenCache();
  }
  return std::make_unique<FileTokenCache>(dir, clock, use);
}

}  // namespace acrcp
