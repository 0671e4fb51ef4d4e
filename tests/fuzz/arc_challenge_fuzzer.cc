// The Azure Arc agent's 401 challenge (Www-Authenticate: Basic realm=<key file>), which
// anything listening on the agent's port can send: whatever the header says, the only
// file the plugin may then read and send is a ".key" file directly in the token directory,
// as the operating system will resolve the path.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "plugin/identity/arc_identity.h"
#include "tests/fuzz/fuzz_check.h"

using acrcp::fuzz::Require;

namespace {

void CheckPath(const std::string& path) {
  if (!acrcp::IsAllowedKeyPath(path)) return;
  // open(2) sees the path up to its first NUL byte.
  const absl::string_view opened(path.c_str(), std::strlen(path.c_str()));
  const std::string directory = absl::StrCat(acrcp::kArcTokenDirectory, "/");
  Require(absl::StartsWith(opened, directory), "the key file is in the token directory");
  const absl::string_view name = opened.substr(directory.size());
  Require(absl::EndsWith(name, ".key") && name.size() > 4, "the key file ends in .key");
  Require(name.find('/') == absl::string_view::npos, "the key file is directly in the directory");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view header = acrcp::fuzz::AsText(data, size);
  const std::string path = acrcp::RealmPath(header);
  Require(path.empty() || absl::StartsWithIgnoreCase(header, "basic "),
          "only a Basic challenge names a path");
  CheckPath(path);
  // The fuzzer also tries paths directly, without having to learn the header's syntax.
  CheckPath(std::string(header));
  return 0;
}
