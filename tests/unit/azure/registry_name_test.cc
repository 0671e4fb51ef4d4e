#include "plugin/azure/registry_name.h"

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace acrcp {
namespace {

using ::testing::HasSubstr;

TEST(RegistryOfImageTest, NormalisesLikeDocker) {
  EXPECT_EQ(RegistryOfImage("myacr.azurecr.io/team/app"), "myacr.azurecr.io");
  EXPECT_EQ(RegistryOfImage("myacr.azurecr.io:443/app"), "myacr.azurecr.io:443");
  EXPECT_EQ(RegistryOfImage("localhost:5000/app"), "localhost:5000");
  EXPECT_EQ(RegistryOfImage("localhost/app"), "localhost");
  EXPECT_EQ(RegistryOfImage("nginx"), "docker.io");
  EXPECT_EQ(RegistryOfImage("library/nginx"), "docker.io");
  EXPECT_EQ(RegistryOfImage("docker.io/library/nginx"), "docker.io");
  EXPECT_EQ(RegistryOfImage("evil.com/myacr.azurecr.io/x"), "evil.com");
}

TEST(NormalizeRegistryTest, LowerCaseWithoutTheDefaultPort) {
  const std::pair<const char*, const char*> cases[] = {
      {"myacr.azurecr.io", "myacr.azurecr.io"},
      {"MyAcr.AzureCR.io", "myacr.azurecr.io"},
      {"myacr.azurecr.io:443", "myacr.azurecr.io"},
      {"MyAcr.azurecr.io:443", "myacr.azurecr.io"},
      {"localhost:5000", "localhost:5000"},
      {"Registry.Contoso.com:8443", "registry.contoso.com:8443"},
      {"10.0.0.5:5000", "10.0.0.5:5000"},
      {"myacr-abc123.westeurope.geo.azurecr.io", "myacr-abc123.westeurope.geo.azurecr.io"},
  };
  for (const auto& [name, normalized] : cases) {
    absl::StatusOr<std::string> got = NormalizeRegistry(name);
    ASSERT_TRUE(got.ok()) << name << ": " << got.status();
    EXPECT_EQ(*got, normalized) << name;
  }
}

// Names that could mean another host than they seem to, or no host: each refused, so nothing
// after this parser ever sees them.
TEST(NormalizeRegistryTest, RefusesWhatIsNoPlainHostAndPort) {
  for (const char* name : {"",
                           ":443",
                           "myacr.azurecr.io:",
                           "myacr.azurecr.io:44x",
                           "myacr.azurecr.io:0",
                           "myacr.azurecr.io:65536",
                           "myacr.azurecr.io:443:5000",
                           "myacr.azurecr.io:5000:443",
                           "user@myacr.azurecr.io",
                           "myacr.azurecr.io@evil.test",
                           "myacr.azurecr.io/x",
                           "myacr.azurecr.io?x",
                           "myacr.azurecr.io#x",
                           "my acr.azurecr.io",
                           "my_acr.azurecr.io",
                           "myacr.azurecr.io.",
                           ".azurecr.io",
                           "myacr..azurecr.io",
                           "myacr.azurecr.io\\evil",
                           "myacr.azurecr.io\n",
                           "[::1]",
                           "[::1]:5000",
                           "[fe80::1%eth0]:443",
                           "myacr.azurecr.io%2eevil.test",
                           "https://myacr.azurecr.io"}) {
    EXPECT_FALSE(NormalizeRegistry(name).ok()) << name;
  }
  EXPECT_THAT(NormalizeRegistry("[::1]:5000").status().message(), HasSubstr("IPv6"));
}

TEST(SplitRegistryTest, HostAndPort) {
  EXPECT_EQ(SplitRegistry("localhost:5000"),
            std::make_pair(absl::string_view("localhost"), absl::string_view("5000")));
  EXPECT_EQ(SplitRegistry("myacr.azurecr.io"),
            std::make_pair(absl::string_view("myacr.azurecr.io"), absl::string_view()));
}

TEST(RegistryOfServerUrlTest, AcceptsWhatClientsSend) {
  const std::pair<const char*, const char*> cases[] = {
      {"myacr.azurecr.io", "myacr.azurecr.io"},
      {"  myacr.azurecr.io\n", "myacr.azurecr.io"},
      {"https://MyAcr.azurecr.io", "myacr.azurecr.io"},
      {"https://myacr.azurecr.io/v2/", "myacr.azurecr.io"},
      {"HTTPS://localhost:5000/", "localhost:5000"},
      {"https://index.docker.io/v1/", "index.docker.io"},
      {"myacr.azurecr.io:443", "myacr.azurecr.io"},  // the default port is no part of the name
      {"https://MyAcr.azurecr.io:443/v2/", "myacr.azurecr.io"},
  };
  for (const auto& [url, registry] : cases) {
    absl::StatusOr<std::string> got = RegistryOfServerUrl(url);
    ASSERT_TRUE(got.ok()) << url << ": " << got.status();
    EXPECT_EQ(*got, registry) << url;
  }
}

TEST(RegistryOfServerUrlTest, RefusesWhatNamesNoHost) {
  for (const char* url :
       {"", "   ", "https://", "ftp://myacr.azurecr.io", "user:pass@myacr.azurecr.io",
        "myacr.azurecr.io?x=1", "my acr.io", "https:///v2/"}) {
    EXPECT_FALSE(RegistryOfServerUrl(url).ok()) << url;
  }
}

TEST(RegistryOfServerUrlTest, RefusesPlainHttp) {
  for (const char* url : {"http://myacr.azurecr.io", "HTTP://localhost:5000/"}) {
    const absl::Status status = RegistryOfServerUrl(url).status();
    EXPECT_TRUE(absl::IsFailedPrecondition(status)) << url << ": " << status;
    EXPECT_THAT(status.message(), HasSubstr("in the clear")) << url;
  }
}

TEST(NormalizeHttpsOriginTest, OriginOnly) {
  EXPECT_EQ(*NormalizeHttpsOrigin("https://login.microsoftonline.com/"),
            "https://login.microsoftonline.com");
  EXPECT_EQ(*NormalizeHttpsOrigin("https://Login.Example.com:8443"),
            "https://login.example.com:8443");
  EXPECT_EQ(*NormalizeHttpsOrigin("https://login.example.com:443"), "https://login.example.com");
  for (const char* url : {"http://login.example.com", "https://", "https://a.example/path",
                          "https://user@login.example.com", "login.example.com"}) {
    EXPECT_FALSE(NormalizeHttpsOrigin(url).ok()) << url;
  }
}

}  // namespace
}  // namespace acrcp
