#include "plugin/kubelet/match_images.h"

#include "gtest/gtest.h"

namespace acrcp {
namespace {

TEST(GlobMatchesTest, GoFilepathMatch) {
  EXPECT_TRUE(GlobMatches("*", "myacr"));
  EXPECT_TRUE(GlobMatches("my*", "myacr"));
  EXPECT_TRUE(GlobMatches("*acr", "myacr"));
  EXPECT_TRUE(GlobMatches("m?acr", "myacr"));
  EXPECT_TRUE(GlobMatches("[a-z]yacr", "myacr"));
  EXPECT_FALSE(GlobMatches("[^m]yacr", "myacr"));
  EXPECT_TRUE(GlobMatches("\\*", "*"));
  EXPECT_FALSE(GlobMatches("my", "myacr"));
  EXPECT_FALSE(GlobMatches("[a-", "a")) << "a malformed class matches nothing";
  EXPECT_FALSE(GlobMatches(std::string(40, '*') + "b", std::string(60, 'a')))
      << "linear, whatever the stars";
}

TEST(ImageMatchesTest, KubeletRules) {
  EXPECT_TRUE(ImageMatches("*.azurecr.io", "myacr.azurecr.io/team/app"));
  EXPECT_FALSE(ImageMatches("*.azurecr.io", "myacr.westeurope.geo.azurecr.io/app"))
      << "one '*' is one label";
  EXPECT_TRUE(ImageMatches("*.*.geo.azurecr.io", "myacr.westeurope.geo.azurecr.io/app"));
  EXPECT_FALSE(ImageMatches("*.azurecr.io", "myacr.azurecr.io:443/app")) << "ports as strings";
  EXPECT_TRUE(ImageMatches("registry.local:5000", "registry.local:5000/x"));
  EXPECT_TRUE(ImageMatches("myacr.azurecr.io/team", "myacr.azurecr.io/team/app"));
  EXPECT_FALSE(ImageMatches("myacr.azurecr.io/team", "myacr.azurecr.io/other/app"));
  EXPECT_FALSE(ImageMatches("*.azurecr.io", "myacr.azurecr.io.evil.test/app"));
}

TEST(PatternsOverlapTest, WhenOneImageCouldMatchBoth) {
  EXPECT_TRUE(PatternsOverlap("*.azurecr.io", "myacr.azurecr.io"));
  EXPECT_TRUE(PatternsOverlap("*.azurecr.io", "*.azurecr.io"));
  EXPECT_TRUE(PatternsOverlap("my*.azurecr.io", "*acr.azurecr.io"));
  EXPECT_FALSE(PatternsOverlap("*.azurecr.io", "*.dkr.ecr.*.amazonaws.com"));
  EXPECT_FALSE(PatternsOverlap("*.azurecr.io", "*.*.geo.azurecr.io"));
  EXPECT_FALSE(PatternsOverlap("registry.local:5000", "registry.local"));
  EXPECT_TRUE(PatternsOverlap("myacr.azurecr.io/team", "myacr.azurecr.io"));
  EXPECT_FALSE(PatternsOverlap("myacr.azurecr.io/team", "myacr.azurecr.io/other"));
}

}  // namespace
}  // namespace acrcp
