#include "plugin/base/fd_io.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace acrcp {

absl::StatusOr<std::string> ReadAllBounded(int fd, size_t max_bytes) {
  std::string out;
  char buffer[16384];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::UnavailableError(absl::StrCat("read failed: ", std::strerror(errno)));
    if (n == 0) return out;
    if (out.size() + static_cast<size_t>(n) > max_bytes) {
      return absl::ResourceExhaustedError(absl::StrCat("more than ", max_bytes, " bytes"));
    }
    out.append(buffer, static_cast<size_t>(n));
  }
}

namespace {

template <typename WriteFn>
bool WriteAllWith(absl::string_view data, WriteFn write_some) {
  while (!data.empty()) {
    const ssize_t n = write_some(data);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

bool WriteAll(int fd, absl::string_view data) {
  return WriteAllWith(data, [fd](absl::string_view d) { return write(fd, d.data(), d.size()); });
}

bool SendAll(int socket_fd, absl::string_view data) {
  return WriteAllWith(data, [socket_fd](absl::string_view d) {
    return send(socket_fd, d.data(), d.size(), MSG_NOSIGNAL);
  });
}

}  // namespace acrcp
