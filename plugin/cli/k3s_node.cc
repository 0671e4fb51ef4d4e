#include "plugin/cli/k3s_node.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "plugin/base/fd_io.h"
#include "plugin/base/yaml.h"

namespace acrcp {
namespace {

constexpr size_t kMaxFileBytes = size_t{1} << 20;
constexpr char kConfigFlag[] = "image-credential-provider-config";
constexpr char kBinDirFlag[] = "image-credential-provider-bin-dir";

// The contents of `path` under `root`; nullopt when it is missing or unreadable.
std::optional<std::string> ReadUnder(const std::string& root, const std::string& path) {
  const std::string full = root == "/" ? path : absl::StrCat(root, path);
  const int fd = open(full.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  absl::StatusOr<std::string> contents = ReadAllBounded(fd, kMaxFileBytes);
  close(fd);
  if (!contents.ok()) return std::nullopt;
  return *std::move(contents);
}

bool ExistsUnder(const std::string& root, const std::string& path) {
  struct stat st {};
  return stat((root == "/" ? path : absl::StrCat(root, path)).c_str(), &st) == 0;
}

// The files in directory `dir` (under `root`) whose names end in one of `suffixes`, sorted.
std::vector<std::string> FilesIn(const std::string& root, const std::string& dir,
                                 std::initializer_list<absl::string_view> suffixes) {
  std::vector<std::string> out;
  std::error_code error;
  for (const auto& entry :
       std::filesystem::directory_iterator(root == "/" ? dir : absl::StrCat(root, dir), error)) {
    const std::string name = entry.path().filename().string();
    for (absl::string_view suffix : suffixes) {
      if (absl::EndsWith(name, suffix)) out.push_back(absl::StrCat(dir, "/", name));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Splits a command line as systemd does for ExecStart= and Environment=: words separated
// by white space, single or double quotes grouping, a backslash escaping one character.
std::vector<std::string> SplitWords(absl::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '\\' && i + 1 < line.size()) {
      word.push_back(line[++i]);
      in_word = true;
    } else if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else {
        word.push_back(c);
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word.push_back(c);
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

// The logical lines of a unit file ("Key=value", continuation lines joined).
std::vector<std::pair<std::string, std::string>> UnitSettings(absl::string_view text) {
  const std::string joined = absl::StrReplaceAll(text, {{"\\\n", " "}});
  std::vector<std::pair<std::string, std::string>> out;
  for (absl::string_view line : absl::StrSplit(joined, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#' || line.front() == ';' || line.front() == '[') {
      continue;
    }
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) continue;
    out.emplace_back(absl::StripAsciiWhitespace(line.substr(0, eq)),
                     absl::StripAsciiWhitespace(line.substr(eq + 1)));
  }
  return out;
}

// Parses an EnvironmentFile: KEY=VALUE lines, '#' comments, values optionally quoted.
void ReadEnvironmentFile(absl::string_view text, const std::string& origin,
                         std::map<std::string, K3sSetting>& environment) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) continue;
    const std::string name(absl::StripAsciiWhitespace(line.substr(0, eq)));
    absl::string_view value = absl::StripAsciiWhitespace(line.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    environment[name] = {std::string(value), origin};
  }
}

// Where the kubelet's two credential-provider paths come from in K3s's config files.
absl::Status ReadConfigFiles(const std::string& root, K3sNode& node) {
  std::vector<std::string> files = {"/etc/rancher/k3s/config.yaml"};
  for (std::string& dropin : FilesIn(root, "/etc/rancher/k3s/config.yaml.d", {".yaml", ".yml"})) {
    files.push_back(std::move(dropin));
  }
  for (const std::string& file : files) {
    const std::optional<std::string> text = ReadUnder(root, file);
    if (!text) continue;
    absl::StatusOr<YamlNode> doc = ParseYaml(*text);
    if (!doc.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("K3s config ", file, ": ",
                                                     doc.status().message(),
                                                     " (K3s cannot read it either; fix it)"));
    }
    for (const auto& [key, setting] :
         {std::pair{kConfigFlag, &node.provider_config}, {kBinDirFlag, &node.provider_bin_dir}}) {
      if (const YamlNode* value = doc->Find(key); value != nullptr && value->IsScalar()) {
        *setting = {value->value, file};
      }
    }
  }
  return absl::OkStatus();
}

// The unit K3s runs as, and its file; empty when none is installed.
std::pair<std::string, std::string> FindUnit(const std::string& root) {
  std::vector<std::pair<std::string, std::string>> found;
  for (const char* unit : {"k3s", "k3s-agent"}) {
    for (const char* dir :
         {"/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"}) {
      const std::string file = absl::StrCat(dir, "/", unit, ".service");
      if (ExistsUnder(root, file)) {
        found.emplace_back(unit, file);
        break;
      }
    }
  }
  if (found.size() > 1) {
    for (const auto& [unit, file] : found) {
      if (ExistsUnder(root, absl::StrCat("/etc/systemd/system/multi-user.target.wants/", unit,
                                         ".service"))) {
        return {unit, file};
      }
    }
  }
  return found.empty() ? std::pair<std::string, std::string>() : found.front();
}

void ReadUnit(const std::string& root, const std::string& unit, const std::string& unit_file,
              K3sNode& node) {
  std::vector<std::string> files = {unit_file};
  for (std::string& dropin :
       FilesIn(root, absl::StrCat("/etc/systemd/system/", unit, ".service.d"), {".conf"})) {
    files.push_back(std::move(dropin));
  }
  std::vector<std::string> environment_files;
  for (const std::string& file : files) {
    const std::optional<std::string> text = ReadUnder(root, file);
    if (!text) continue;
    for (const auto& [key, value] : UnitSettings(*text)) {
      if (key == "Environment") {
        for (const std::string& word : SplitWords(value)) {
          const size_t eq = word.find('=');
          if (eq != std::string::npos) {
            node.environment[word.substr(0, eq)] = {word.substr(eq + 1), file};
          }
        }
      } else if (key == "EnvironmentFile") {
        std::string path(absl::StripPrefix(value, "-"));
        environment_files.push_back(absl::StrReplaceAll(path, {{"%N", unit}}));
      } else if (key == "ExecStart") {
        const std::vector<std::string> words = SplitWords(value);
        for (size_t i = 0; i < words.size(); ++i) {
          for (const auto& [flag, setting] : {std::pair{kConfigFlag, &node.provider_config},
                                              {kBinDirFlag, &node.provider_bin_dir}}) {
            const std::string name = absl::StrCat("--", flag);
            if (absl::StartsWith(words[i], name + "=")) {
              *setting = {words[i].substr(name.size() + 1), absl::StrCat(file, " ExecStart")};
            } else if (words[i] == name && i + 1 < words.size()) {
              *setting = {words[i + 1], absl::StrCat(file, " ExecStart")};
            }
          }
        }
      }
    }
  }
  // systemd: a variable set by both wins from EnvironmentFile=.
  for (const std::string& file : environment_files) {
    if (const std::optional<std::string> text = ReadUnder(root, file)) {
      ReadEnvironmentFile(*text, file, node.environment);
    }
  }
}

}  // namespace

absl::StatusOr<K3sNode> ReadK3sNode(const std::string& root) {
  K3sNode node;
  node.provider_config = {kK3sDefaultProviderConfig, "K3s's default"};
  node.provider_bin_dir = {kK3sDefaultProviderBinDir, "K3s's default"};
  if (absl::Status s = ReadConfigFiles(root, node); !s.ok()) return s;
  const auto [unit, unit_file] = FindUnit(root);
  node.unit = unit;
  if (!unit.empty()) ReadUnit(root, unit, unit_file, node);
  node.installed =
      !unit.empty() || ExistsUnder(root, "/usr/local/bin/k3s") || ExistsUnder(root, "/usr/bin/k3s");
  return node;
}

}  // namespace acrcp
