#include "tests/unit/test_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "plugin/azure/jwt.h"

namespace acrcp::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string templ = absl::StrCat(base != nullptr ? base : "/tmp", "/acrcp-unit-XXXXXX");
  if (mkdtemp(templ.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::WriteFile(absl::string_view name, absl::string_view contents, mode_t mode) {
  const std::string path = absl::StrCat(path_, "/", name);
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  EXPECT_GE(fd, 0) << path;
  EXPECT_EQ(write(fd, contents.data(), contents.size()), static_cast<ssize_t>(contents.size()));
  fchmod(fd, mode);  // not subject to the umask
  close(fd);
  return path;
}

void ScriptedTransport::Push(absl::StatusOr<HttpResponse> answer, absl::Duration takes) {
  answers_.push_back({std::move(answer), takes});
}

void ScriptedTransport::PushJson(int status, absl::string_view body, HttpHeaders headers) {
  HttpResponse response;
  response.status = status;
  response.body = std::string(body);
  response.headers = std::move(headers);
  Push(response);
}

absl::StatusOr<HttpResponse> ScriptedTransport::Send(const HttpRequest& request) {
  sent.push_back(request);
  if (answers_.empty()) return absl::InternalError("scripted transport: no answer queued");
  Answer answer = std::move(answers_.front());
  answers_.pop_front();
  if (clock_ != nullptr) clock_->Advance(answer.takes);
  return std::move(answer.response);
}

absl::StatusOr<std::string> ScriptedTransport::SignAssertion(
    const AssertionSigningRequest& request) {
  signed_requests.push_back(request);
  return absl::StrCat(request.algorithm, ".", request.payload_json, ".signed");
}

std::map<std::string, std::string> ParseForm(absl::string_view body) {
  std::map<std::string, std::string> out;
  for (absl::string_view pair : absl::StrSplit(body, '&', absl::SkipEmpty())) {
    const size_t eq = pair.find('=');
    auto decode = [](absl::string_view s) {
      std::string r;
      for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
          r.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
          i += 2;
        } else {
          r.push_back(s[i] == '+' ? ' ' : s[i]);
        }
      }
      return r;
    };
    out[decode(pair.substr(0, eq))] =
        eq == absl::string_view::npos ? "" : decode(pair.substr(eq + 1));
  }
  return out;
}

namespace {

class Forwarding : public NetworkHelper {
 public:
  explicit Forwarding(ScriptedTransport* target) : target_(target) {}
  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override {
    return target_->Send(request);
  }
  absl::StatusOr<std::string> SignAssertion(const AssertionSigningRequest& request) override {
    return target_->SignAssertion(request);
  }

 private:
  ScriptedTransport* target_;
};

}  // namespace

std::unique_ptr<NetworkHelper> ForwardTo(ScriptedTransport* target) {
  return std::make_unique<Forwarding>(target);
}

std::string MakeJwt(absl::string_view payload_json) {
  return absl::StrCat(Base64UrlEncode(R"({"alg":"RS256","typ":"JWT"})"), ".",
                      Base64UrlEncode(payload_json), ".c2lnbmF0dXJl");
}

EnvLookup EnvFrom(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](absl::string_view name) -> std::optional<std::string> {
    const auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace acrcp::testing
