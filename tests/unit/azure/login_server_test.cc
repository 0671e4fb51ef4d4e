#include "plugin/azure/login_server.h"

#include <ostream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace acrcp {
namespace {

struct HostCase {
  const char* registry;
  bool allowed;
};

void PrintTo(const HostCase& c, std::ostream* os) {
  *os << c.registry << (c.allowed ? " allowed" : " refused");
}

class PublicCloudPolicyTest : public ::testing::TestWithParam<HostCase> {};

TEST_P(PublicCloudPolicyTest, AllowsOnlyGenuineOrListedLoginServers) {
  const LoginServerPolicy policy("azurecr.io", {"registry.contoso.com", "localhost:8443"});
  EXPECT_EQ(policy.Allows(GetParam().registry), GetParam().allowed) << GetParam().registry;
}

INSTANTIATE_TEST_SUITE_P(
    Table, PublicCloudPolicyTest,
    ::testing::Values(
        // Genuine login servers.
        HostCase{"myacr.azurecr.io", true}, HostCase{"MyAcr.AzureCR.io", true},
        HostCase{"myacr01.azurecr.io", true}, HostCase{"a.azurecr.io", true},
        HostCase{"myacr-abc123xyz.azurecr.io", true},   // domain name label scope
        HostCase{"myacr.eastus.geo.azurecr.io", true},  // geo-replica endpoint
        HostCase{"myacr-abc123.westeurope.geo.azurecr.io", true},
        HostCase{"myacr.azurecr.io:443", true},
        // Listed in "registries".
        HostCase{"registry.contoso.com", true}, HostCase{"REGISTRY.contoso.com", true},
        HostCase{"registry.contoso.com:443", true}, HostCase{"localhost:8443", true},
        // Spoofing attempts and look-alikes.
        HostCase{"myacr.azurecr.io.evil.test", false}, HostCase{"evil-azurecr.io", false},
        HostCase{"evilazurecr.io", false}, HostCase{"azurecr.io", false},
        HostCase{".azurecr.io", false}, HostCase{"my_acr.azurecr.io", false},
        HostCase{"my.acr.azurecr.io", false},             // 4 labels, not geo
        HostCase{"myacr.eastus.data.azurecr.io", false},  // data endpoint, not a login server
        HostCase{"myacr.geo.azurecr.io", false}, HostCase{"myacr.east_us.geo.azurecr.io", false},
        HostCase{"myacr.azurecr.io.", false}, HostCase{"myacr.azurecr.cn", false},
        HostCase{"myacr.azurecr.us", false}, HostCase{"myacr.azurecr.io:8443", false},
        HostCase{"myacr.azurecr.io:", false}, HostCase{"myacr.azurecr.io:44x", false},
        HostCase{"user@myacr.azurecr.io", false}, HostCase{"myacr-.azurecr.io", false},
        HostCase{"-myacr.azurecr.io", false}, HostCase{"myacr--x.azurecr.io", false},
        HostCase{"docker.io", false}, HostCase{"localhost", false},
        HostCase{"localhost:8444", false}, HostCase{"registry.contoso.com:5000", false},
        HostCase{"contoso.com", false}, HostCase{"x.registry.contoso.com", false},
        HostCase{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.azurecr.io", false}));

TEST(LoginServerPolicyTest, CustomCloudSuffixMatchesLabelByLabel) {
  const LoginServerPolicy custom("azurecr.example.net", {});
  EXPECT_TRUE(custom.Allows("reg.azurecr.example.net"));
  EXPECT_TRUE(custom.Allows("reg.westus.geo.azurecr.example.net"));
  EXPECT_FALSE(custom.Allows("reg.azurecr.example.net.evil.test"));
  EXPECT_FALSE(custom.Allows("reg.evilazurecr.example.net"));
  EXPECT_FALSE(custom.Allows("reg.azurecr.io"));
}

TEST(LoginServerPolicyTest, SovereignCloudsUseTheirOwnSuffix) {
  const LoginServerPolicy china("azurecr.cn", {});
  EXPECT_TRUE(china.Allows("myacr.azurecr.cn"));
  EXPECT_FALSE(china.Allows("myacr.azurecr.io"));
  const LoginServerPolicy gov("azurecr.us", {});
  EXPECT_TRUE(gov.Allows("myacr.usgovvirginia.geo.azurecr.us"));
  EXPECT_FALSE(gov.Allows("myacr.azurecr.us.evil.io"));
}

}  // namespace
}  // namespace acrcp
