#include "plugin/cli/setup.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "plugin/base/fd_io.h"
#include "plugin/cli/text_diff.h"
#include "plugin/kubelet/provider_config_edit.h"

namespace acrcp {
namespace {

constexpr size_t kMaxConfigFileBytes = size_t{1} << 20;
// Where kubeadm nodes keep the kubelet's extra flags; `setup kubeadm --remove` looks there
// for flags that would still name a removed config.
constexpr const char* kKubeletFlagFiles[] = {"/etc/default/kubelet", "/etc/sysconfig/kubelet",
                                             "/var/lib/kubelet/kubeadm-flags.env"};

using Kind = SetupStep::Kind;

SetupStep Step(Kind kind, std::string path, std::string content = "", std::string before = "",
               bool keep_copy = false) {
  return {kind, std::move(path), std::move(content), std::move(before), keep_copy};
}

std::string Under(const std::string& root, const std::string& path) {
  return root == "/" ? path : absl::StrCat(root, path);
}

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::UnavailableError(absl::StrCat("setup: cannot ", what, " ", path, ": ",
                                             std::strerror(errno), " (are you root?)"));
}

// A regular file's contents; nullopt when there is none.
absl::StatusOr<std::optional<std::string>> ReadIfPresent(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return Errno("read", path);
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return absl::FailedPreconditionError(
        absl::StrCat("setup: ", path, " is not a regular file (the kubelet needs a file here)"));
  }
  absl::StatusOr<std::string> contents = ReadAllBounded(fd, kMaxConfigFileBytes);
  close(fd);
  if (!contents.ok()) return Errno("read", path);
  return std::optional<std::string>(*std::move(contents));
}

bool Exists(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0;
}

// Whether `link` is a symbolic link that resolves to `program` (a real path).
bool LinksTo(const std::string& link, const std::string& program) {
  struct stat st {};
  if (lstat(link.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return false;
  char resolved[PATH_MAX];
  return realpath(link.c_str(), resolved) != nullptr && program == resolved;
}

// The refresh timer's unit file as the package installs it (systemctl enable links to it),
// or "" when it is not installed (the tarball).
std::string InstalledRefreshTimer(const std::string& root) {
  for (const char* dir : {"/usr/lib/systemd/system", "/lib/systemd/system"}) {
    std::string unit = absl::StrCat(dir, "/", kRefreshTimer);
    if (Exists(Under(root, unit))) return unit;
  }
  return "";
}

std::string TimerWantsLink() { return absl::StrCat(kTimerWantsDir, "/", kRefreshTimer); }

std::string Describe(const std::string& path) {
  std::error_code error;
  const auto status = std::filesystem::symlink_status(path, error);
  if (std::filesystem::is_symlink(status)) {
    return absl::StrCat("a link to ", std::filesystem::read_symlink(path, error).string());
  }
  return std::filesystem::is_directory(status) ? "a directory" : "a file";
}

// Where the provider's files go, and the notes saying where that came from.
struct TargetPaths {
  std::string provider_config;
  std::string bin_dir;  // k3s only: where the link goes
};

TargetPaths PathsFor(const SetupRequest& request, std::vector<std::string>& notes) {
  if (request.target != "k3s") {
    return {kKubeadmProviderConfig, std::filesystem::path(request.plugin_path).parent_path()};
  }
  const K3sNode& k3s = request.k3s;
  notes.push_back(
      absl::StrCat("K3s", k3s.unit.empty() ? "" : absl::StrCat(" (", k3s.unit, ".service)"),
                   " reads its credential provider config from ", k3s.provider_config.value, " (",
                   k3s.provider_config.origin, ") and plugins from ", k3s.provider_bin_dir.value,
                   " (", k3s.provider_bin_dir.origin, ")"));
  return {k3s.provider_config.value, k3s.provider_bin_dir.value};
}

std::string OverlapNote(const ProviderOverlap& overlap) {
  return absl::StrCat("provider ", overlap.provider, " also matches images of ", overlap.ours,
                      " (its pattern \"", overlap.theirs,
                      "\"); the kubelet runs both and uses the first that answers; it was left "
                      "as it is");
}

// The directories of the kubelet flags that still name `config`, for the removal's note.
std::vector<std::string> FlagFilesNaming(const std::string& root, const std::string& config) {
  std::vector<std::string> out;
  for (const char* file : kKubeletFlagFiles) {
    absl::StatusOr<std::optional<std::string>> text = ReadIfPresent(Under(root, file));
    if (text.ok() && text->has_value() && absl::StrContains(**text, config)) out.push_back(file);
  }
  return out;
}

// Whether directory `dir` holds nothing but what is `leaving`.
bool EmptyBut(const std::string& dir, const std::set<std::string>& leaving) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    if (!leaving.contains(entry.path().string())) return false;
  }
  return !error;
}

absl::Status WriteAtomically(const std::string& path, const SetupStep& step) {
  const std::string temp = absl::StrCat(path, ".tmp-acr-credential-provider");
  unlink(temp.c_str());
  if (step.kind == Kind::kLink) {
    if (symlink(step.content.c_str(), temp.c_str()) != 0) return Errno("create", temp);
  } else {
    struct stat st {};
    const mode_t mode = stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0644;
    const int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return Errno("create", temp);
    const bool ok = fchmod(fd, mode) == 0 && WriteAll(fd, step.content) && fsync(fd) == 0;
    if (close(fd) != 0 || !ok) return Errno("write", temp);
  }
  if (rename(temp.c_str(), path.c_str()) != 0) return Errno("rename", temp);
  return absl::OkStatus();
}

// Whether `path` already is what `step` wants.
bool IsDone(const std::string& path, const SetupStep& step) {
  std::error_code error;
  if (step.kind == Kind::kLink) {
    return std::filesystem::is_symlink(std::filesystem::symlink_status(path, error)) &&
           std::filesystem::read_symlink(path, error).string() == step.content;
  }
  absl::StatusOr<std::optional<std::string>> current = ReadIfPresent(path);
  return current.ok() && current->has_value() && **current == step.content;
}

// Whether the kubelet would start with `text` as its config: decoded as it decodes it, and
// every provider but ours (which setup links) with an executable in the bin dir.
absl::Status Validate(const SetupRequest& request, const TargetPaths& paths,
                      const std::string& text) {
  const ProviderConfigCheck check =
      CheckProviderConfig({{paths.provider_config, text}}, request.kubelet_version);
  if (!check.errors.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "setup: the kubelet would not start with the config setup would write: ",
        check.errors.front(), " (nothing was written; fix the file's other entries first)"));
  }
  for (const CheckedProvider& provider : check.providers) {
    if (provider.name == kProviderName) continue;
    const std::string binary = Under(request.root, absl::StrCat(paths.bin_dir, "/", provider.name));
    if (access(binary.c_str(), X_OK) != 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "setup: provider ", provider.name, " in ", paths.provider_config, " has no executable ",
          paths.bin_dir, "/", provider.name,
          ", so the kubelet would not start with it (nothing was written; restore the binary "
          "or take the provider out)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CredentialProviderEntry> ProviderEntryFor(
    const NodeConfig& config, const std::string& config_path, bool workload_identity,
    const std::optional<KubeletVersion>& version) {
  std::set<std::string> patterns = {absl::StrCat("*.", config.cloud.acr_suffix),
                                    absl::StrCat("*.*.geo.", config.cloud.acr_suffix)};
  patterns.insert(config.registries.begin(), config.registries.end());
  for (const auto& [source, target] : config.mirrors) patterns.insert(source);
  CredentialProviderEntry entry{kProviderName,
                                "credentialprovider.kubelet.k8s.io/v1",
                                {patterns.begin(), patterns.end()},
                                "10m",
                                {"--config", config_path},
                                std::nullopt};
  if (workload_identity) {
    if (version && version->minor < 33) {
      return absl::InvalidArgumentError(
          absl::StrCat("setup: --workload-identity needs kubelet 1.33 or later; this one is ",
                       version->text, " (upgrade K3s or the kubelet first)"));
    }
    entry.token_attributes =
        TokenAttributes{"api://AzureADTokenExchange",
                        version && version->minor == 33 ? "" : "ServiceAccount",
                        true,
                        {"kubernetes.azure.com/acr-client-id"},
                        {"kubernetes.azure.com/acr-tenant-id"}};
  }
  return entry;
}

absl::StatusOr<SetupPlan> PlanSetup(const SetupRequest& request, const NodeConfig& config,
                                    const std::string& config_path) {
  SetupPlan plan;
  const TargetPaths paths = PathsFor(request, plan.notes);
  const std::string parent = std::filesystem::path(paths.provider_config).parent_path().string();
  plan.steps.push_back(Step(Kind::kCreateDirectory, parent));
  if (request.target == "k3s") {
    plan.steps.push_back(Step(Kind::kCreateDirectory, paths.bin_dir));
    plan.steps.push_back(Step(Kind::kLink, absl::StrCat(paths.bin_dir, "/", kProviderName),
                              request.plugin_path, ""));
  }
  // `systemctl enable` of the refresh timer, done as the link it makes, so it works under
  // --root and --dry-run and --remove can undo it.
  const std::string timer = InstalledRefreshTimer(request.root);
  if (!timer.empty()) {
    plan.steps.push_back(Step(Kind::kCreateDirectory, kTimerWantsDir));
    plan.steps.push_back(Step(Kind::kLink, TimerWantsLink(), timer, ""));
  } else {
    plan.notes.push_back(absl::StrCat(
        "no systemd unit ", kRefreshTimer,
        " is installed (a tarball install): run `acr-credential-provider refresh` every 15 "
        "minutes another way (docs/k3s.md), so that pulls never wait on Entra ID"));
  }
  absl::StatusOr<CredentialProviderEntry> entry =
      ProviderEntryFor(config, config_path, request.workload_identity, request.kubelet_version);
  if (!entry.ok()) return entry.status();
  if (entry->token_attributes && !request.kubelet_version) {
    plan.notes.push_back(
        "the kubelet's version is unknown here: tokenAttributes are written for 1.34 and later "
        "(a 1.33 kubelet refuses cacheType; rerun setup where k3s --version answers)");
  } else if (entry->token_attributes && request.kubelet_version->minor == 33) {
    plan.notes.push_back(
        "kubelet 1.33 needs the feature gate KubeletServiceAccountTokenForCredentialProviders=true "
        "before it restarts with this config (K3s: --kubelet-arg=feature-gates=...)");
  }
  absl::StatusOr<std::optional<std::string>> current =
      ReadIfPresent(Under(request.root, paths.provider_config));
  if (!current.ok()) return current.status();
  std::string text;
  if (!current->has_value()) {
    text = NewProviderConfig(*entry);
    plan.steps.push_back(Step(Kind::kWriteFile, paths.provider_config, text, ""));
  } else {
    absl::StatusOr<ProviderConfigEdit> edit = UpsertProvider(**current, *entry);
    if (!edit.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("setup: ", paths.provider_config, ": ", edit.status().message()));
    }
    for (const ProviderOverlap& overlap : edit->overlaps) {
      plan.notes.push_back(OverlapNote(overlap));
    }
    text = edit->text;
    plan.steps.push_back(Step(Kind::kWriteFile, paths.provider_config, text, **current, true));
  }
  if (absl::Status s = Validate(request, paths, text); !s.ok()) return s;
  const std::string start_timer =
      timer.empty() ? "" : absl::StrCat("systemctl start ", kRefreshTimer, "; ");
  if (request.target == "k3s") {
    plan.next_step = absl::StrCat(
        start_timer, "restart K3s so its kubelet loads the provider: systemctl restart ",
        request.k3s.unit.empty() ? "k3s (servers) or k3s-agent (agents)" : request.k3s.unit,
        "; for RKE2: rke2-server or rke2-agent");
  } else {
    plan.next_step = absl::StrCat(
        start_timer,
        "add these kubelet flags (e.g. KUBELET_EXTRA_ARGS in /etc/default/kubelet), then "
        "systemctl restart kubelet: --image-credential-provider-config=",
        paths.provider_config, " --image-credential-provider-bin-dir=", paths.bin_dir);
  }
  return plan;
}

absl::StatusOr<SetupPlan> PlanRemove(const SetupRequest& request) {
  SetupPlan plan;
  const TargetPaths paths = PathsFor(request, plan.notes);
  const std::string link = absl::StrCat(paths.bin_dir, "/", kProviderName);
  const std::string full_link = Under(request.root, link);
  if (request.target == "k3s" && Exists(full_link)) {
    if (!LinksTo(full_link, request.plugin_path)) {
      plan.notes.push_back(absl::StrCat("left ", link, " and its provider entry alone: it is ",
                                        Describe(full_link), ", not a link to this program (",
                                        request.plugin_path, ")"));
      plan.next_step = "nothing of this program's was found to remove";
      return plan;
    }
    plan.steps.push_back(Step(Kind::kRemoveFile, link));
  }
  absl::StatusOr<std::optional<std::string>> current =
      ReadIfPresent(Under(request.root, paths.provider_config));
  if (!current.ok()) return current.status();
  bool config_gone = !current->has_value();
  if (current->has_value()) {
    absl::StatusOr<std::optional<std::string>> edited = RemoveProvider(**current, kProviderName);
    if (!edited.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("setup: ", paths.provider_config, ": ", edited.status().message()));
    }
    if (!edited->has_value()) {
      plan.steps.push_back(Step(Kind::kRemoveFile, paths.provider_config, "", **current));
      config_gone = true;
    } else if (**edited != **current) {
      plan.steps.push_back(Step(Kind::kWriteFile, paths.provider_config, **edited, **current));
      plan.notes.push_back(
          absl::StrCat("the other providers in ", paths.provider_config, " stay as they are"));
    }
  }
  if (request.target == "k3s" && config_gone) {
    // K3s wires no provider once the config is gone; take away the directories setup made
    // for it, as long as they hold nothing else.
    const std::string bin = Under(request.root, paths.bin_dir);
    if (Exists(bin) && EmptyBut(bin, {full_link})) {
      plan.steps.push_back(Step(Kind::kRemoveDirectory, paths.bin_dir));
      const std::string parent = std::filesystem::path(paths.bin_dir).parent_path().string();
      if (paths.bin_dir == kK3sDefaultProviderBinDir &&
          EmptyBut(Under(request.root, parent),
                   {bin, Under(request.root, paths.provider_config)})) {
        plan.steps.push_back(Step(Kind::kRemoveDirectory, parent));
      }
    }
  }
  // The refresh timer goes with the provider it serves.
  std::error_code error;
  const std::string timer =
      std::filesystem::read_symlink(Under(request.root, TimerWantsLink()), error).string();
  if (!plan.steps.empty() && !error && absl::EndsWith(timer, absl::StrCat("/", kRefreshTimer))) {
    plan.steps.push_back(Step(Kind::kRemoveFile, TimerWantsLink()));
  }
  if (plan.steps.empty()) {
    plan.next_step = "nothing of this program's was found to remove";
  } else if (request.target == "k3s") {
    plan.next_step = absl::StrCat(
        "restart K3s so its kubelet stops using the provider: systemctl restart ",
        request.k3s.unit.empty() ? "k3s (servers) or k3s-agent (agents)" : request.k3s.unit);
  } else {
    const std::vector<std::string> flags = FlagFilesNaming(request.root, paths.provider_config);
    plan.next_step = config_gone && !flags.empty()
                         ? absl::StrCat(
                               "remove --image-credential-provider-config and "
                               "--image-credential-provider-bin-dir from ",
                               absl::StrJoin(flags, " and "),
                               " before the kubelet restarts: it will not start while they name "
                               "a file that is gone")
                         : "systemctl restart kubelet, so it stops using the provider";
  }
  return plan;
}

absl::Status ApplySetup(const SetupPlan& plan, const std::string& root, bool dry_run,
                        absl::Time now, std::string& log) {
  const std::string would = dry_run ? "would " : "";
  for (const std::string& note : plan.notes) absl::StrAppend(&log, note, "\n");
  const std::string stamp = absl::FormatTime("%Y%m%dT%H%M%SZ", now, absl::UTCTimeZone());
  for (const SetupStep& step : plan.steps) {
    const std::string path = Under(root, step.path);
    std::error_code error;
    switch (step.kind) {
      case Kind::kCreateDirectory:
        if (std::filesystem::is_directory(path, error)) break;
        absl::StrAppend(&log, would, "create directory ", path, "\n");
        if (dry_run) break;
        std::filesystem::create_directories(path, error);
        // 0755 whatever the umask: the kubelet and K3s read it as root, others may look.
        if (error || chmod(path.c_str(), 0755) != 0) return Errno("create", path);
        break;
      case Kind::kLink:
      case Kind::kWriteFile:
        if (IsDone(path, step)) {
          absl::StrAppend(&log, "unchanged ", path, "\n");
          break;
        }
        if (Exists(path) && step.kind == Kind::kLink) {
          const std::string backup = absl::StrCat(path, ".bak-", stamp);
          absl::StrAppend(&log, would, "back up ", path, " to ", backup, "\n");
          if (!dry_run && rename(path.c_str(), backup.c_str()) != 0) return Errno("back up", path);
        } else if (step.keep_copy && !step.before.empty()) {
          const std::string backup = absl::StrCat(path, ".bak-", stamp);
          absl::StrAppend(&log, would, "keep a copy of ", path, " as ", backup, "\n");
          if (!dry_run) {
            if (absl::Status s =
                    WriteAtomically(backup, Step(Kind::kWriteFile, backup, step.before));
                !s.ok()) {
              return s;
            }
          }
        }
        absl::StrAppend(&log, would,
                        step.kind == Kind::kLink ? absl::StrCat("link ", path, " -> ", step.content)
                                                 : absl::StrCat("write ", path),
                        "\n");
        if (dry_run && step.kind == Kind::kWriteFile) {
          absl::StrAppend(&log, UnifiedDiff(step.before, step.content, step.path));
        }
        if (!dry_run) {
          if (absl::Status s = WriteAtomically(path, step); !s.ok()) return s;
        }
        break;
      case Kind::kRemoveFile:
        absl::StrAppend(&log, would, "remove ", path, "\n");
        if (dry_run && !step.before.empty()) {
          absl::StrAppend(&log, UnifiedDiff(step.before, "", step.path));
        }
        if (!dry_run && unlink(path.c_str()) != 0 && errno != ENOENT) return Errno("remove", path);
        break;
      case Kind::kRemoveDirectory:
        absl::StrAppend(&log, would, "remove directory ", path, "\n");
        if (!dry_run && rmdir(path.c_str()) != 0 && errno != ENOENT) {
          absl::StrAppend(&log, "left ", path, ": ", std::strerror(errno), "\n");
        }
        break;
    }
  }
  absl::StrAppend(&log, dry_run ? "dry run: nothing was changed\n" : "", "next: ", plan.next_step,
                  "\n");
  return absl::OkStatus();
}

}  // namespace acrcp
