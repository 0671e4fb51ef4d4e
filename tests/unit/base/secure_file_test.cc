#include "plugin/base/secure_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace acrcp {
namespace {

using ::acrcp::testing::TempDir;
using ::testing::HasSubstr;

TEST(SecureFileTest, ReadsAPrivateFile) {
  TempDir dir;
  const std::string path = dir.WriteFile("secret", "s3cret\n", 0600);
  absl::StatusOr<SecureFile> file =
      ReadSecureFile(path, "client secret file", FileAccess::kPrivate, 1024);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->contents, "s3cret\n");
  EXPECT_TRUE(file->private_to_owner);
}

TEST(SecureFileTest, RefusesGroupOrOtherAccessAndNamesTheChmod) {
  TempDir dir;
  for (mode_t mode : {0644, 0640, 0604, 0620, 0602}) {
    const std::string path = dir.WriteFile("secret", "s3cret", mode);
    absl::StatusOr<SecureFile> file =
        ReadSecureFile(path, "client secret file", FileAccess::kPrivate, 1024);
    ASSERT_FALSE(file.ok()) << std::oct << mode;
    EXPECT_EQ(file.status().code(), absl::StatusCode::kPermissionDenied);
    EXPECT_THAT(file.status().message(), HasSubstr("client secret file " + path));
    EXPECT_THAT(file.status().message(), HasSubstr("chmod 600 " + path));
    EXPECT_THAT(file.status().message(), ::testing::Not(HasSubstr("s3cret")));
  }
}

TEST(SecureFileTest, TrustedFilesMayBeReadableButNotWritableByOthers) {
  TempDir dir;
  const std::string path = dir.WriteFile("config.json", "{}", 0644);
  absl::StatusOr<SecureFile> file = ReadSecureFile(path, "node config", FileAccess::kTrusted, 64);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_FALSE(file->private_to_owner);
  ASSERT_EQ(chmod(path.c_str(), 0664), 0);
  file = ReadSecureFile(path, "node config", FileAccess::kTrusted, 64);
  ASSERT_FALSE(file.ok());
  EXPECT_THAT(file.status().message(), HasSubstr("chmod go-w " + path));
}

TEST(SecureFileTest, RefusesFilesOwnedBySomeoneElse) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  TempDir dir;
  const std::string path = dir.WriteFile("secret", "s3cret", 0600);
  ASSERT_EQ(chown(path.c_str(), 65534, 65534), 0);
  absl::StatusOr<SecureFile> file =
      ReadSecureFile(path, "client secret file", FileAccess::kPrivate, 1024);
  ASSERT_FALSE(file.ok());
  EXPECT_THAT(file.status().message(), HasSubstr("owned by uid 65534"));
  EXPECT_THAT(file.status().message(), HasSubstr("chown root:root " + path));
}

TEST(SecureFileTest, RefusesDirectoriesFifosAndOversizedFiles) {
  TempDir dir;
  absl::StatusOr<SecureFile> file =
      ReadSecureFile(dir.path(), "client secret file", FileAccess::kAnyOwner, 1024);
  ASSERT_FALSE(file.ok());
  EXPECT_THAT(file.status().message(), HasSubstr("not a regular file"));

  const std::string fifo = dir.path() + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  file = ReadSecureFile(fifo, "client secret file", FileAccess::kPrivate, 1024);
  ASSERT_FALSE(file.ok()) << "a FIFO must neither be read nor block";
  EXPECT_THAT(file.status().message(), HasSubstr("not a regular file"));

  const std::string big = dir.WriteFile("big", std::string(2000, 'x'), 0600);
  file = ReadSecureFile(big, "client secret file", FileAccess::kPrivate, 1024);
  ASSERT_FALSE(file.ok());
  EXPECT_THAT(file.status().message(), HasSubstr("larger than 1024 bytes"));
}

TEST(SecureFileTest, MissingFile) {
  absl::StatusOr<SecureFile> file =
      ReadSecureFile("/nonexistent/secret", "client secret file", FileAccess::kPrivate, 10);
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(file.status().message(), HasSubstr("/nonexistent/secret: no such file"));
}

}  // namespace
}  // namespace acrcp
