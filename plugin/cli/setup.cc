#include "plugin/cli/setup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "plugin/base/fd_io.h"

namespace acrcp {
namespace {

constexpr char kK3sDirectory[] = "/var/lib/rancher/credentialprovider";
constexpr char kKubeadmConfig[] = "/etc/kubernetes/credential-provider.yaml";

// A YAML scalar: JSON's string syntax is valid YAML and quotes everything that needs it.
std::string Quoted(const std::string& value) { return nlohmann::json(value).dump(); }

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::UnavailableError(absl::StrCat("setup: cannot ", what, " ", path, ": ",
                                             std::strerror(errno), " (are you root?)"));
}

// Whether `path` already is what `file` wants.
bool IsAsPlanned(const std::string& path, const SetupFile& file) {
  std::error_code error;
  if (!file.link_to.empty()) {
    return std::filesystem::is_symlink(std::filesystem::symlink_status(path, error)) &&
           std::filesystem::read_symlink(path, error).string() == file.link_to;
  }
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return false;
  absl::StatusOr<std::string> content = ReadAllBounded(fd, file.content.size() + 1);
  close(fd);
  return content.ok() && *content == file.content;
}

absl::Status Write(const std::string& path, const SetupFile& file) {
  const std::string temp = absl::StrCat(path, ".tmp-acr-credential-provider");
  unlink(temp.c_str());
  if (!file.link_to.empty()) {
    if (symlink(file.link_to.c_str(), temp.c_str()) != 0) return Errno("create", temp);
  } else {
    const int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return Errno("create", temp);
    const bool ok = WriteAll(fd, file.content) && fsync(fd) == 0;
    if (close(fd) != 0 || !ok) return Errno("write", temp);
  }
  if (rename(temp.c_str(), path.c_str()) != 0) return Errno("rename", temp);
  return absl::OkStatus();
}

}  // namespace

std::string CredentialProviderConfigYaml(const NodeConfig& config, const std::string& config_path) {
  std::set<std::string> patterns = {absl::StrCat("*.", config.cloud.acr_suffix),
                                    absl::StrCat("*.*.geo.", config.cloud.acr_suffix)};
  patterns.insert(config.registries.begin(), config.registries.end());
  for (const auto& [source, target] : config.mirrors) patterns.insert(source);
  std::string out =
      "# Written by `acr-credential-provider setup`; rerun it rather than editing by hand.\n"
      "apiVersion: kubelet.config.k8s.io/v1\n"
      "kind: CredentialProviderConfig\n"
      "providers:\n"
      "  - name: acr-credential-provider\n"
      "    apiVersion: credentialprovider.kubelet.k8s.io/v1\n"
      "    # One '*' matches exactly one DNS label: geo-replicas need their own pattern.\n"
      "    matchImages:\n";
  for (const std::string& pattern : patterns)
    absl::StrAppend(&out, "      - ", Quoted(pattern), "\n");
  absl::StrAppend(&out,
                  "    # The plugin answers with its own, shorter-lived cacheDuration.\n"
                  "    defaultCacheDuration: \"10m\"\n"
                  "    args:\n"
                  "      - \"--config\"\n"
                  "      - ",
                  Quoted(config_path), "\n");
  return out;
}

SetupPlan PlanSetup(const std::string& target, const NodeConfig& config,
                    const std::string& config_path, const std::string& plugin_path) {
  SetupPlan plan;
  const std::string yaml = CredentialProviderConfigYaml(config, config_path);
  if (target == "k3s") {
    const std::string bin = absl::StrCat(kK3sDirectory, "/bin");
    plan.directories = {bin};
    plan.files = {{absl::StrCat(bin, "/acr-credential-provider"), "", plugin_path},
                  {absl::StrCat(kK3sDirectory, "/config.yaml"), yaml, ""}};
    plan.next_step =
        "restart K3s so its kubelet loads the provider: systemctl restart k3s (servers) or "
        "systemctl restart k3s-agent (agents); for RKE2: rke2-server or rke2-agent";
    return plan;
  }
  const std::string bin_dir = std::filesystem::path(plugin_path).parent_path().string();
  plan.directories = {"/etc/kubernetes"};
  plan.files = {{kKubeadmConfig, yaml, ""}};
  plan.next_step = absl::StrCat(
      "add these kubelet flags (e.g. KUBELET_EXTRA_ARGS in /etc/default/kubelet), then "
      "systemctl restart kubelet: --image-credential-provider-config=",
      kKubeadmConfig, " --image-credential-provider-bin-dir=", bin_dir);
  return plan;
}

absl::Status ApplySetup(const SetupPlan& plan, const std::string& root, bool dry_run,
                        absl::Time now, std::string& log) {
  const std::string prefix = root == "/" ? "" : root;
  const std::string would = dry_run ? "would " : "";
  for (const std::string& dir : plan.directories) {
    const std::string path = prefix + dir;
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) continue;
    absl::StrAppend(&log, would, "create directory ", path, "\n");
    if (!dry_run && !std::filesystem::create_directories(path, error)) {
      return absl::UnavailableError(
          absl::StrCat("setup: cannot create ", path, ": ", error.message()));
    }
  }
  const std::string stamp = absl::FormatTime("%Y%m%dT%H%M%SZ", now, absl::UTCTimeZone());
  for (const SetupFile& file : plan.files) {
    const std::string path = prefix + file.path;
    if (IsAsPlanned(path, file)) {
      absl::StrAppend(&log, "unchanged ", path, "\n");
      continue;
    }
    std::error_code error;
    if (std::filesystem::exists(std::filesystem::symlink_status(path, error))) {
      const std::string backup = absl::StrCat(path, ".bak-", stamp);
      absl::StrAppend(&log, would, "back up ", path, " to ", backup, "\n");
      if (!dry_run && rename(path.c_str(), backup.c_str()) != 0) return Errno("back up", path);
    }
    absl::StrAppend(&log, would,
                    file.link_to.empty() ? absl::StrCat("write ", path)
                                         : absl::StrCat("link ", path, " -> ", file.link_to),
                    "\n");
    if (dry_run && file.link_to.empty()) absl::StrAppend(&log, file.content);
    if (!dry_run) {
      if (absl::Status s = Write(path, file); !s.ok()) return s;
    }
  }
  absl::StrAppend(&log, dry_run ? "dry run: nothing was changed\n" : "", "next: ", plan.next_step,
                  "\n");
  return absl::OkStatus();
}

absl::Status RunSetup(const std::string& target, const NodeConfig& config, const std::string& root,
                      bool dry_run, absl::Time now, std::string& log) {
  std::error_code error;
  const std::string self = std::filesystem::read_symlink("/proc/self/exe", error).string();
  if (error) return absl::UnavailableError("setup: cannot find this program's own path");
  std::string config_path = std::filesystem::absolute(config.source, error).string();
  const std::string prefix = std::filesystem::path(root).lexically_normal().string();
  if (prefix != "/" && absl::StartsWith(config_path, absl::StrCat(prefix, "/"))) {
    config_path.erase(0, prefix.size());
  }
  return ApplySetup(PlanSetup(target, config, config_path, self), root, dry_run, now, log);
}

}  // namespace acrcp
