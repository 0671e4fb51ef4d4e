// Whole reads and writes on file descriptors, with a size cap on reads so no input can
// make the plugin allocate without bound.
#ifndef ACRCP_PLUGIN_BASE_FD_IO_H_
#define ACRCP_PLUGIN_BASE_FD_IO_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace acrcp {

// Reads `fd` to end of file. ResourceExhausted if it holds more than `max_bytes`;
// Unavailable (with strerror) on a read error.
absl::StatusOr<std::string> ReadAllBounded(int fd, size_t max_bytes);

// Writes all of `data`, retrying short writes and EINTR. False on error.
bool WriteAll(int fd, absl::string_view data);

// WriteAll for a socket whose peer may be gone: fails with EPIPE instead of raising SIGPIPE.
bool SendAll(int socket_fd, absl::string_view data);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_BASE_FD_IO_H_
