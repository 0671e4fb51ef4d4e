#include "plugin/azure/pull_check.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace acrcp {
namespace {

using ::testing::HasSubstr;

struct Case {
  const char* image;
  const char* repository;
  const char* reference;
};

TEST(ParseImageReferenceTest, RegistryTagAndDigestAreSplitOff) {
  const Case cases[] = {
      {"myacr.azurecr.io/team/app:v1", "team/app", "v1"},
      {"myacr.azurecr.io/team/app", "team/app", "latest"},
      {"myacr.azurecr.io:443/team/app:v1", "team/app", "v1"},
      {"MyAcr.AzureCR.io/app:1.2.3", "app", "1.2.3"},
      {"localhost:5000/a/b/c:edge", "a/b/c", "edge"},
      {"localhost/app", "app", "latest"},
      {"myacr.azurecr.io/team/app@sha256:0123abcd", "team/app", "sha256:0123abcd"},
      {"myacr.azurecr.io/team/app:v1@sha256:0123abcd", "team/app", "sha256:0123abcd"},
      {"library/busybox:1", "library/busybox", "1"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.image);
    absl::StatusOr<ImageReference> parsed = ParseImageReference(c.image);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(parsed->repository, c.repository);
    EXPECT_EQ(parsed->reference, c.reference);
  }
}

TEST(ParseImageReferenceTest, NoRepositoryIsAnError) {
  for (const char* image : {"myacr.azurecr.io", "myacr.azurecr.io/",
                            "myacr.azurecr.io/app:", "myacr.azurecr.io/app@", ""}) {
    SCOPED_TRACE(image);
    absl::StatusOr<ImageReference> parsed = ParseImageReference(image);
    ASSERT_FALSE(parsed.ok());
    EXPECT_THAT(parsed.status().message(), HasSubstr("names no repository and tag"));
  }
}

}  // namespace
}  // namespace acrcp
