#include "plugin/base/log.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/net/http_transport.h"

namespace acrcp {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(RedactTest, RemovesRegisteredSecretsAndJwts) {
  log::RegisterSecret("hunter2-very-secret");
  const std::string out = log::Redact(
      "secret hunter2-very-secret and token eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjF9.c2ln here");
  EXPECT_THAT(out, Not(HasSubstr("hunter2-very-secret")));
  EXPECT_THAT(out, Not(HasSubstr("eyJhbGciOiJSUzI1NiJ9")));
  EXPECT_EQ(out, "secret [REDACTED] and token [REDACTED] here");
}

TEST(RedactTest, KeepsOrdinaryTextAndFoldsLines) {
  log::RegisterSecret("abc");  // too short to register: would redact ordinary words
  EXPECT_EQ(log::Redact("abc eyJ short\r\nnext"), "abc eyJ short  next");
}

TEST(FormEncodeTest, PercentEncodesReservedCharacters) {
  EXPECT_EQ(FormEncode({{"scope", "https://x/.default"}, {"s", "a+b&c=d e~"}}),
            "scope=https%3A%2F%2Fx%2F.default&s=a%2Bb%26c%3Dd%20e~");
}

TEST(HostOfUrlTest, ExtractsHostAndPort) {
  EXPECT_EQ(HostOfUrl("https://login.microsoftonline.com/t/oauth2"), "login.microsoftonline.com");
  EXPECT_EQ(HostOfUrl("https://localhost:8443/oauth2/exchange"), "localhost:8443");
}

}  // namespace
}  // namespace acrcp
