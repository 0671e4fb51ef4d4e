// Reading files whose integrity or secrecy matters, with the checks an operator expects.
//
// A node's client secret must be readable by root alone, and a config file that others can
// write could redirect the secret to another authority host, so both are checked on the
// open descriptor (no check-then-open race) before a byte is used. Every refusal names the
// file and the command that fixes it.
#ifndef ACRCP_PLUGIN_BASE_SECURE_FILE_H_
#define ACRCP_PLUGIN_BASE_SECURE_FILE_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace acrcp {

enum class FileAccess {
  kPrivate,   // secrets: owned by root (or the running user), no group/other access at all
  kTrusted,   // config, CA bundles: owned by root (or the running user), not writable by
              // group/other
  kAnyOwner,  // anything readable (the system CA bundle, which the OS maintains)
};

enum class Symlinks {
  kFollow,  // config and secret files: the target is what is checked
  kRefuse,  // cache entries: only ever written as regular files by us
};

struct SecureFile {
  std::string contents;
  bool private_to_owner = false;  // mode has no group/other bits
};

// Reads at most `max_bytes` of the regular file at `path`, which `description` names in
// errors ("client secret file"). Symlinks are followed (the target is what is checked)
// unless `symlinks` is kRefuse.
// NotFound, PermissionDenied (ownership, mode) and InvalidArgument (not a regular file,
// too large) carry a message of the form "<description> <path>: <cause> (<fix>)".
absl::StatusOr<SecureFile> ReadSecureFile(const std::string& path, absl::string_view description,
                                          FileAccess access, size_t max_bytes,
                                          Symlinks symlinks = Symlinks::kFollow);

// The same checks as ReadSecureFile, without reading: for files another program reads
// later (a CA bundle handed to libcurl), where reading them here would only cost time.
absl::Status CheckSecureFile(const std::string& path, absl::string_view description,
                             FileAccess access);

}  // namespace acrcp

#endif  // ACRCP_PLUGIN_BASE_SECURE_FILE_H_
