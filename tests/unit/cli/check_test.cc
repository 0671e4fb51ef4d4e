#include "plugin/cli/check.h"

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/provider_fixture.h"

namespace acrcp::testing {
namespace {

using ::testing::HasSubstr;

// `check` runs the kubelet's own refresh path (provider.h) with no cache, so what it reports
// is what a pull would meet.
class CheckTest : public ProviderTest {
 protected:
  CheckInputs Inputs(const std::string& image) {
    CheckInputs inputs;
    inputs.config = config_;
    inputs.image = image;
    inputs.env = EnvFrom({});
    return inputs;
  }
  CheckReport Check(const std::string& image) { return RunChecks(Inputs(image), env_); }
  void PushRefresh(absl::Duration lifetime) {
    PushEntraSuccess();
    transport_.PushJson(200,
                        absl::StrCat(R"({"refresh_token":")", RefreshToken(lifetime), R"("})"));
  }
  // The pull check's two answers: the repository token, then the manifest's HEAD.
  void PushPull(int manifest_status, absl::string_view manifest_body = "") {
    transport_.PushJson(200, R"({"access_token":"repository-access-token"})");
    transport_.PushJson(manifest_status, manifest_body,
                        {{"docker-content-digest", "sha256:0123abcd"},
                         {"content-type", "application/vnd.oci.image.manifest.v1+json"}});
  }
};

TEST_F(CheckTest, ReportsTheClockSkewErrorOfTheKubeletPath) {
  PushRefresh(-absl::Minutes(5));
  absl::StatusOr<CredentialProviderResponse> kubelet = Provide("myacr.azurecr.io/app");
  ASSERT_FALSE(kubelet.ok());
  ASSERT_THAT(kubelet.status().message(), HasSubstr("check the node's clock"));

  PushRefresh(-absl::Minutes(5));
  const CheckReport report = Check("myacr.azurecr.io/app");
  EXPECT_FALSE(report.Passed());
  ASSERT_FALSE(report.lines.empty());
  EXPECT_EQ(report.lines.back().kind, CheckLine::Kind::kFail);
  EXPECT_EQ(report.lines.back().text, kubelet.status().message());
}

TEST_F(CheckTest, PassingCheckReportsWhatTheKubeletGets) {
  config_.max_cache_duration = absl::Hours(12);
  PushRefresh(absl::Hours(3));
  absl::StatusOr<CredentialProviderResponse> kubelet = Provide("myacr.azurecr.io/app");
  ASSERT_TRUE(kubelet.ok()) << kubelet.status();
  ASSERT_EQ(kubelet->cache_duration, absl::Minutes(90));

  PushRefresh(absl::Hours(3));
  PushPull(200);
  const CheckReport report = Check("myacr.azurecr.io/app:v1");
  EXPECT_TRUE(report.Passed()) << report.ToString();
  const std::string text = report.ToString();
  EXPECT_THAT(text, HasSubstr(absl::StrCat("Entra ID: signed in (app ", kClient, ", tenant ",
                                           kTenant, ")")));
  EXPECT_THAT(text, HasSubstr("ACR: myacr.azurecr.io issued a refresh token valid until"));
  EXPECT_THAT(text, HasSubstr("the kubelet may reuse it for 1h30m0s"));
  EXPECT_THAT(text, HasSubstr("pull: myacr.azurecr.io/app:v1 can be pulled (sha256:0123abcd, "
                              "application/vnd.oci.image.manifest.v1+json)"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr(kAccessToken)));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("repository-access-token")));
  ASSERT_EQ(transport_.sent.size(), 6u) << "check caches nothing, then proves the pull";
  const HttpRequest& token = transport_.sent[4];
  EXPECT_EQ(token.url, "https://myacr.azurecr.io/oauth2/token");
  EXPECT_EQ(ParseForm(token.body)["scope"], "repository:app:pull");
  EXPECT_EQ(ParseForm(token.body)["grant_type"], "refresh_token");
  const HttpRequest& head = transport_.sent[5];
  EXPECT_EQ(head.method, "HEAD");
  EXPECT_EQ(head.url, "https://myacr.azurecr.io/v2/app/manifests/v1");
  EXPECT_THAT(head.headers, ::testing::Contains(std::pair<std::string, std::string>(
                                "Authorization", "Bearer repository-access-token")));
}

// A registry in ABAC mode ignores AcrPull: the exchange works, the repository does not.
TEST_F(CheckTest, AnIdentityThatMayNotReadTheRepositoryIsToldWhy) {
  PushRefresh(absl::Hours(3));
  PushPull(401, R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})");
  const CheckReport report = Check("myacr.azurecr.io/team/app:v1");
  EXPECT_FALSE(report.Passed());
  EXPECT_THAT(report.lines.back().text,
              HasSubstr("pull: signed in, but this identity may not read repository team/app of "
                        "myacr.azurecr.io (HTTP 401: authentication required; a registry in ABAC "
                        "mode ignores AcrPull: assign the role \"Container Registry Repository "
                        "Reader\""));
}

TEST_F(CheckTest, AMissingTagIsNotFound) {
  PushRefresh(absl::Hours(3));
  PushPull(404);
  CheckReport report = Check("myacr.azurecr.io/team/app:v9");
  EXPECT_FALSE(report.Passed());
  EXPECT_THAT(report.lines.back().text,
              HasSubstr("pull: myacr.azurecr.io/team/app:v9 does not exist (HTTP 404; list the "
                        "tags: az acr repository show-tags --name myacr --repository team/app)"));
  PushRefresh(absl::Hours(3));
  PushPull(404);
  report = Check("myacr.azurecr.io/team/app");
  EXPECT_TRUE(report.Passed()) << "without a tag, a missing latest is only a warning";
  EXPECT_EQ(report.lines.back().kind, CheckLine::Kind::kWarning);
  EXPECT_THAT(report.lines.back().text, HasSubstr("no tag was given, so \"latest\" was tried"));
}

TEST_F(CheckTest, ARefusedScopeIsItsOwnOutcome) {
  PushRefresh(absl::Hours(3));
  transport_.PushJson(400, R"({"errors":[{"code":"DENIED","message":"invalid scope"}]})");
  const CheckReport report = Check("myacr.azurecr.io/team/app@sha256:0123abcd");
  EXPECT_FALSE(report.Passed());
  EXPECT_THAT(report.lines.back().text,
              HasSubstr("pull: myacr.azurecr.io refused a token for repository:team/app:pull "
                        "(HTTP 400: invalid scope"));
}

TEST_F(CheckTest, WithoutAnImageSignsInOnly) {
  PushEntraSuccess();
  const CheckReport report = Check("");
  EXPECT_TRUE(report.Passed()) << report.ToString();
  EXPECT_THAT(report.ToString(), HasSubstr("Entra ID: signed in"));
  EXPECT_THAT(report.ToString(), HasSubstr("no --image given"));
  EXPECT_EQ(transport_.sent.size(), 1u);
}

TEST_F(CheckTest, RegistryThatGetsNoTokenFailsWithoutARequest) {
  const CheckReport report = Check("myacr.azurecr.io.evil.test/app");
  EXPECT_FALSE(report.Passed());
  EXPECT_THAT(report.lines.back().text, HasSubstr("is not an ACR login server"));
  EXPECT_EQ(transports_made_, 0);
}

// Each line reaches the operator as soon as it is known, not when the last check is done.
TEST_F(CheckTest, EveryLineIsPassedOnAsItIsKnown) {
  PushRefresh(absl::Hours(3));
  std::vector<std::string> seen;
  size_t requests_when_signed_in = 0;
  CheckInputs inputs = Inputs("myacr.azurecr.io/app");
  inputs.ignored_flags = {"--logtostderr"};
  const CheckReport report = RunChecks(inputs, env_, [&](const CheckLine& line) {
    seen.push_back(line.text);
    if (absl::StartsWith(line.text, "Entra ID: signed in")) {
      requests_when_signed_in = transport_.sent.size();
    }
  });
  ASSERT_EQ(seen.size(), report.lines.size());
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], report.lines[i].text);
  EXPECT_EQ(requests_when_signed_in, 1u) << "reported before the exchange was sent";
  EXPECT_THAT(report.ToString(), HasSubstr("ignored the upstream plugin's logging flags "
                                           "--logtostderr"));
}

// With K3s installed, its kubelet's environment is what counts, not the operator's shell.
TEST_F(CheckTest, K3sEnvironmentIsWhatCounts) {
  K3sNode k3s;
  k3s.installed = true;
  k3s.unit = "k3s-agent";
  k3s.provider_config = {"/etc/p.yaml", "/etc/rancher/k3s/config.yaml"};
  k3s.provider_bin_dir = {"/opt/bin", "K3s's default"};
  k3s.environment["HTTPS_PROXY"] = {"http://user:pw@proxy.corp:3128",
                                    "/etc/systemd/system/k3s-agent.service.env"};
  PushEntraSuccess();
  CheckInputs inputs = Inputs("");
  inputs.env = EnvFrom({{"HTTPS_PROXY", "http://other:8080"}});
  inputs.k3s = k3s;
  const CheckReport report = RunChecks(inputs, env_);
  const std::string text = report.ToString();
  EXPECT_THAT(text, HasSubstr("K3s (k3s-agent.service): credential provider config /etc/p.yaml "
                              "(/etc/rancher/k3s/config.yaml), plugins in /opt/bin"));
  EXPECT_THAT(text, HasSubstr("proxy: K3s's kubelet uses HTTPS_PROXY=http://***@proxy.corp:3128 "
                              "(from /etc/systemd/system/k3s-agent.service.env)"));
  EXPECT_THAT(text, HasSubstr("warn  proxy: this shell has HTTPS_PROXY=http://other:8080"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("user:pw")));
}

// The kubelet's side, from real files under a temporary root, as the kubelet reads them.
class KubeletSideTest : public CheckTest {
 protected:
  void SetUp() override {
    CheckTest::SetUp();
    self_ = programs_.WriteFile("acr-credential-provider", "#!\n", 0755);
    std::filesystem::create_directories(root_.path() + "/k3s/bin");
    std::filesystem::create_symlink(self_, root_.path() + "/k3s/bin/acr-credential-provider");
  }
  void WriteConfig(const std::string& yaml) {
    std::ofstream(root_.path() + "/k3s/config.yaml") << yaml;
  }
  std::string Report(const std::string& image, std::optional<KubeletVersion> version = {}) {
    CheckInputs inputs = Inputs(image);
    KubeletSide side;
    side.root = root_.path();
    side.config_path = "/k3s/config.yaml";
    side.bin_dir = "/k3s/bin";
    side.self = self_;
    side.version = std::move(version);
    side.version_source = "k3s --version";
    side.k3s = true;
    inputs.kubelet = side;
    if (!image.empty()) {
      PushRefresh(absl::Hours(3));
      PushPull(200);
    }
    return RunChecks(inputs, env_).ToString();
  }
  static std::string Config(const std::string& images) {
    return absl::StrCat(
        "apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n"
        "  - name: acr-credential-provider\n"
        "    apiVersion: credentialprovider.kubelet.k8s.io/v1\n"
        "    matchImages: [",
        images, "]\n    defaultCacheDuration: 10m\n");
  }
  TempDir root_;
  TempDir programs_;
  std::string self_;
};

TEST_F(KubeletSideTest, AWorkingSetupPasses) {
  WriteConfig(Config(R"("*.azurecr.io")"));
  const std::string report =
      Report("myacr.azurecr.io/team/app:v1", KubeletVersion{31, "v1.31.4+k3s1"});
  EXPECT_THAT(report, HasSubstr("ok    kubelet: v1.31.4+k3s1 (k3s --version)"));
  EXPECT_THAT(report,
              HasSubstr("ok    kubelet: /k3s/config.yaml decodes as the kubelet decodes it; "
                        "providers acr-credential-provider"));
  EXPECT_THAT(report, HasSubstr("ok    kubelet: matchImages \"*.azurecr.io\" of "
                                "acr-credential-provider matches myacr.azurecr.io/team/app"));
  EXPECT_THAT(report, HasSubstr("result: passed"));
}

TEST_F(KubeletSideTest, APatternThatMissesTheImageSaysWhichWould) {
  WriteConfig(Config(R"("*.azurecr.io", "myacr.azurecr.io/other")"));
  const std::string report = Report("myacr.westeurope.geo.azurecr.io/team/app");
  EXPECT_THAT(report,
              HasSubstr("FAIL  kubelet: no matchImages pattern of acr-credential-provider "
                        "matches myacr.westeurope.geo.azurecr.io/team/app, so the kubelet "
                        "never asks for its credentials (add \"*.westeurope.geo.azurecr.io\""));
  EXPECT_THAT(report, HasSubstr("warn  kubelet: version unknown"));
}

TEST_F(KubeletSideTest, ADecodeErrorIsNamedAndTheNetworkIsStillTried) {
  WriteConfig(Config(R"("*.azurecr.io")") + "    extra: 1\n");
  const std::string report = Report("myacr.azurecr.io/team/app");
  EXPECT_THAT(report, HasSubstr("FAIL  kubelet: would not start: /k3s/config.yaml: line 8: "
                                "providers[0]: unknown field 'extra'"));
  EXPECT_THAT(report, HasSubstr("ACR: myacr.azurecr.io issued a refresh token"));
  EXPECT_THAT(report, HasSubstr("result: FAILED"));
}

TEST_F(KubeletSideTest, ADanglingProviderIsFound) {
  WriteConfig(Config(R"("*.azurecr.io")") +
              "  - name: ecr-credential-provider\n"
              "    apiVersion: credentialprovider.kubelet.k8s.io/v1\n"
              "    matchImages: [\"*.dkr.ecr.*.amazonaws.com\"]\n    defaultCacheDuration: 1h\n");
  EXPECT_THAT(Report(""), HasSubstr("FAIL  kubelet: provider ecr-credential-provider "
                                    "(/k3s/config.yaml: line 8) has no executable "
                                    "/k3s/bin/ecr-credential-provider"));
}

TEST_F(KubeletSideTest, AProviderOfAnotherProgramIsNotOurs) {
  WriteConfig(Config(R"("*.azurecr.io")"));
  std::filesystem::remove(root_.path() + "/k3s/bin/acr-credential-provider");
  std::filesystem::create_symlink(programs_.WriteFile("other", "#!\n", 0755),
                                  root_.path() + "/k3s/bin/acr-credential-provider");
  EXPECT_THAT(Report(""), HasSubstr("warn  kubelet: no provider in /k3s/config.yaml runs this "
                                    "program"));
}

TEST_F(KubeletSideTest, K3sNeedsBothPaths) {
  EXPECT_THAT(Report(""),
              HasSubstr("warn  kubelet: /k3s/config.yaml does not exist, so the kubelet "
                        "does not run this plugin yet (run: acr-credential-provider "
                        "setup k3s --image IMAGE)"));
  WriteConfig(Config(R"("*.azurecr.io")"));
  std::filesystem::remove_all(root_.path() + "/k3s/bin");
  EXPECT_THAT(Report(""),
              HasSubstr("FAIL  kubelet: K3s passes a credential provider to its kubelet "
                        "only if /k3s/config.yaml is a file and /k3s/bin a directory "
                        "when it starts; the bin directory does not exist"));
}

}  // namespace
}  // namespace acrcp::testing
