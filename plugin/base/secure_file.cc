#include "plugin/base/secure_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "plugin/base/fd_io.h"

namespace acrcp {
namespace {

// Closes the descriptor on every return path.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

absl::Status OpenError(const std::string& path, absl::string_view description, int err) {
  const std::string head = absl::StrCat(description, " ", path, ": ");
  if (err == ENOENT) {
    return absl::NotFoundError(absl::StrCat(head, "no such file (check the path in the config)"));
  }
  if (err == ELOOP) {
    return absl::InvalidArgumentError(absl::StrCat(head, "a symbolic link, not a file"));
  }
  if (err == EACCES) {
    return absl::PermissionDeniedError(
        absl::StrCat(head,
                     "permission denied (the kubelet runs this plugin as root; run it "
                     "as root)"));
  }
  return absl::UnavailableError(absl::StrCat(head, "cannot open: ", std::strerror(err)));
}

absl::Status TooLarge(const std::string& path, absl::string_view description, size_t max_bytes) {
  return absl::InvalidArgumentError(absl::StrCat(description, " ", path, ": larger than ",
                                                 max_bytes, " bytes (is this the right file?)"));
}

absl::Status CheckOwnerAndMode(const struct stat& st, const std::string& path,
                               absl::string_view description, FileAccess access) {
  const std::string head = absl::StrCat(description, " ", path, ": ");
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(head, "not a regular file"));
  }
  if (access == FileAccess::kAnyOwner) return absl::OkStatus();
  const uid_t me = geteuid();
  if (st.st_uid != 0 && st.st_uid != me) {
    return absl::PermissionDeniedError(absl::StrCat(
        head, "owned by uid ", st.st_uid, ", not root (run: chown root:root ", path, ")"));
  }
  const unsigned mode = st.st_mode & 07777;
  if (access == FileAccess::kPrivate && (mode & 077) != 0) {
    return absl::PermissionDeniedError(absl::StrFormat(
        "%sreadable by group or others (mode %04o) (run: chmod 600 %s)", head, mode, path));
  }
  if (access == FileAccess::kTrusted && (mode & 022) != 0) {
    return absl::PermissionDeniedError(absl::StrFormat(
        "%swritable by group or others (mode %04o) (run: chmod go-w %s)", head, mode, path));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SecureFile> ReadSecureFile(const std::string& path, absl::string_view description,
                                          FileAccess access, size_t max_bytes, Symlinks symlinks) {
  // O_NONBLOCK: opening a FIFO planted at the path must not hang until the deadline.
  const int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
                    (symlinks == Symlinks::kRefuse ? O_NOFOLLOW : 0);
  const Fd fd(open(path.c_str(), flags));
  if (fd.get() < 0) return OpenError(path, description, errno);
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return OpenError(path, description, errno);
  if (absl::Status s = CheckOwnerAndMode(st, path, description, access); !s.ok()) return s;
  if (static_cast<size_t>(st.st_size) > max_bytes) {
    return TooLarge(path, description, max_bytes);
  }
  absl::StatusOr<std::string> contents = ReadAllBounded(fd.get(), max_bytes);
  if (absl::IsResourceExhausted(contents.status())) return TooLarge(path, description, max_bytes);
  if (!contents.ok()) {
    return absl::UnavailableError(
        absl::StrCat(description, " ", path, ": ", contents.status().message()));
  }
  SecureFile file;
  file.private_to_owner = (st.st_mode & 077) == 0;
  file.contents = *std::move(contents);
  return file;
}

absl::Status CheckSecureFile(const std::string& path, absl::string_view description,
                             FileAccess access) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return OpenError(path, description, errno);
  return CheckOwnerAndMode(st, path, description, access);
}

}  // namespace acrcp
