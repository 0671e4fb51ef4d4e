#include "plugin/azure/jwt.h"

#include <string>

#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace acrcp {
namespace {

using ::acrcp::testing::MakeJwt;

TEST(Base64UrlDecodeTest, DecodesWithAndWithoutPadding) {
  EXPECT_EQ(Base64UrlDecode("aGVsbG8"), "hello");
  EXPECT_EQ(Base64UrlDecode("aGVsbG8="), "hello");
  EXPECT_EQ(Base64UrlDecode("_-8"), std::string("\xff\xef"));
  EXPECT_EQ(Base64UrlDecode(""), "");
  EXPECT_FALSE(Base64UrlDecode("a").has_value());
  EXPECT_FALSE(Base64UrlDecode("aGV+bG8").has_value()) << "'+' is not base64url";
}

TEST(JwtExpiryTest, ReadsExp) {
  absl::StatusOr<absl::Time> exp = JwtExpiry(MakeJwt(R"({"exp":1767225600,"iss":"x"})"));
  ASSERT_TRUE(exp.ok()) << exp.status();
  EXPECT_EQ(absl::ToUnixSeconds(*exp), 1767225600);
}

TEST(JwtExpiryTest, AcceptsPayloadsThatNeedPadding) {
  for (const char* pad : {"", "a", "ab"}) {
    const std::string payload = std::string(R"({"exp":42,"p":")") + pad + R"("})";
    absl::StatusOr<absl::Time> exp = JwtExpiry(MakeJwt(payload));
    ASSERT_TRUE(exp.ok()) << payload;
    EXPECT_EQ(absl::ToUnixSeconds(*exp), 42);
  }
}

TEST(JwtExpiryTest, RejectsMalformedTokens) {
  EXPECT_FALSE(JwtExpiry("").ok());
  EXPECT_FALSE(JwtExpiry("abc").ok());
  EXPECT_FALSE(JwtExpiry("a.b").ok());
  EXPECT_FALSE(JwtExpiry("a.!!!.c").ok());
  EXPECT_FALSE(JwtExpiry(MakeJwt("not json")).ok());
  EXPECT_FALSE(JwtExpiry(MakeJwt(R"({"iss":"x"})")).ok());
  EXPECT_FALSE(JwtExpiry(MakeJwt(R"({"exp":"soon"})")).ok());
  EXPECT_FALSE(JwtExpiry(MakeJwt("[1]")).ok());
}

}  // namespace
}  // namespace acrcp
