#include "plugin/cache/file_token_cache.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace acrcp {
namespace {

using ::acrcp::testing::FakeClock;
using ::acrcp::testing::TempDir;
using ::testing::HasSubstr;

constexpr char kKey[] = "acr-0123456789abcdef";

class FileTokenCacheTest : public ::testing::Test {
 protected:
  std::string CacheDir() const { return dir_.path() + "/cache"; }
  std::string EntryPath() const { return CacheDir() + "/" + kKey + ".json"; }
  CachedToken Entry(absl::Duration lifetime = absl::Hours(3)) {
    return CachedToken{"token-value", clock_.Now(), clock_.Now() + lifetime};
  }
  static mode_t Mode(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  }
  void Overwrite(const std::string& contents, mode_t mode = 0600) {
    std::ofstream(EntryPath(), std::ios::trunc) << contents;
    ASSERT_EQ(chmod(EntryPath().c_str(), mode), 0);
  }

  TempDir dir_;
  FakeClock clock_;
};

TEST_F(FileTokenCacheTest, CreatesAPrivateDirectoryAndRoundTripsEntries) {
  std::unique_ptr<TokenCache> cache = OpenFileTokenCache(CacheDir(), clock_);
  EXPECT_EQ(Mode(CacheDir()), 0700u);
  EXPECT_FALSE(cache->Get(kKey).has_value());
  cache->Put(kKey, Entry());
  EXPECT_EQ(Mode(EntryPath()), 0600u);
  std::optional<CachedToken> got = cache->Get(kKey);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->token, "token-value");
  EXPECT_EQ(got->obtained_at, absl::FromUnixSeconds(absl::ToUnixSeconds(clock_.Now())));
  EXPECT_EQ(got->expires_at - got->obtained_at, absl::Hours(3));
}

TEST_F(FileTokenCacheTest, TightensTheModeOfAnExistingDirectory) {
  ASSERT_EQ(mkdir(CacheDir().c_str(), 0755), 0);
  ASSERT_EQ(chmod(CacheDir().c_str(), 0777), 0);
  OpenFileTokenCache(CacheDir(), clock_);
  EXPECT_EQ(Mode(CacheDir()), 0700u);
}

TEST_F(FileTokenCacheTest, ForeignDirectoryMeansNoCache) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  ASSERT_EQ(mkdir(CacheDir().c_str(), 0700), 0);
  ASSERT_EQ(chown(CacheDir().c_str(), 65534, 65534), 0);
  std::unique_ptr<TokenCache> cache = OpenFileTokenCache(CacheDir(), clock_);
  cache->Put(kKey, Entry());
  EXPECT_FALSE(std::filesystem::exists(EntryPath()));
  EXPECT_FALSE(cache->Get(kKey).has_value());
}

TEST_F(FileTokenCacheTest, UntrustworthyEntriesAreIgnoredAndReplaced) {
  std::unique_ptr<TokenCache> cache = OpenFileTokenCache(CacheDir(), clock_);
  const std::string valid = R"({"version":1,"key":"acr-0123456789abcdef","token":"t",)"
                            R"("obtainedAt":100,"expiresAt":200})";
  const std::vector<std::pair<std::string, mode_t>> bad = {
      {"", 0600},
      {"{\"version\":1,\"key\":", 0600},  // truncated
      {"not json at all", 0600},
      {R"({"version":2,"key":"acr-0123456789abcdef","token":"t","obtainedAt":1,"expiresAt":2})",
       0600},
      {R"({"version":1,"key":"acr-other","token":"t","obtainedAt":1,"expiresAt":2})", 0600},
      {R"({"version":1,"key":"acr-0123456789abcdef","token":"t","obtainedAt":5,"expiresAt":2})",
       0600},
      {R"({"version":1,"key":"acr-0123456789abcdef","token":"","obtainedAt":1,"expiresAt":2})",
       0600},
      {R"({"version":1,"key":"acr-0123456789abcdef","token":7,"obtainedAt":1,"expiresAt":2})",
       0600},
      {valid, 0644},  // readable by others: may have been tampered with or leaked
      {valid, 0660},
      {std::string(70 * 1024, ' ') + valid, 0600},
  };
  for (const auto& [contents, mode] : bad) {
    Overwrite(contents, mode);
    EXPECT_FALSE(cache->Get(kKey).has_value()) << contents.substr(0, 80) << " mode " << mode;
    cache->Put(kKey, Entry());
    EXPECT_TRUE(cache->Get(kKey).has_value()) << "replaced";
    EXPECT_EQ(Mode(EntryPath()), 0600u);
  }
  Overwrite(valid);
  EXPECT_TRUE(cache->Get(kKey).has_value()) << "the control case is accepted";
}

TEST_F(FileTokenCacheTest, WrongOwnerIsIgnored) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  std::unique_ptr<TokenCache> cache = OpenFileTokenCache(CacheDir(), clock_);
  cache->Put(kKey, Entry());
  ASSERT_EQ(chown(EntryPath().c_str(), 65534, 65534), 0);
  EXPECT_FALSE(cache->Get(kKey).has_value());
}

TEST_F(FileTokenCacheTest, SymlinkedEntryIsNotFollowed) {
  std::unique_ptr<TokenCache> cache = OpenFileTokenCache(CacheDir(), clock_);
  cache->Put("acr-elsewhere", Entry());
  ASSERT_EQ(symlink((CacheDir() + "/acr-elsewhere.json").c_str(), EntryPath().c_str()), 0);
  EXPECT_FALSE(cache->Get(kKey).has_value());
  cache->Put(kKey, Entry());
  EXPECT_TRUE(std::filesystem::is_regular_file(std::filesystem::symlink_status(EntryPath())));
}

TEST_F(FileTokenCacheTest, DirectoryAtTheEntrysNameIsReplaced) {
  std::unique_ptr<TokenCache> cache = OpenFileTokenCache(CacheDir(), clock_);
  ASSERT_EQ(mkdir(EntryPath().c_str(), 0700), 0);
  EXPECT_FALSE(cache->Get(kKey).has_value());
  cache->Put(kKey, Entry());
  EXPECT_TRUE(cache->Get(kKey).has_value());
}

TEST_F(FileTokenCacheTest, CreatesMissingParents) {
  const std::string nested = dir_.path() + "/a/b/cache";
  std::unique_ptr<TokenCache> cache = OpenFileTokenCache(nested, clock_);
  EXPECT_EQ(Mode(nested), 0700u);
  cache->Put(kKey, Entry());
  EXPECT_TRUE(cache->Get(kKey).has_value());
}

TEST_F(FileTokenCacheTest, UnsafeKeysAreRefused) {
  std::unique_ptr<TokenCache> cache = OpenFileTokenCache(CacheDir(), clock_);
  for (const char* key : {"../escape", "a/b", "UPPER", "", "dot.name"}) {
    cache->Put(key, Entry());
    EXPECT_FALSE(cache->Get(key).has_value()) << key;
  }
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/escape.json"));
}

TEST_F(FileTokenCacheTest, WriterRemovesLeftoverTemporariesOfItsKey) {
  std::unique_ptr<TokenCache> cache = OpenFileTokenCache(CacheDir(), clock_);
  std::ofstream(EntryPath() + ".tmp.AAAAAA") << "partial";
  std::ofstream(CacheDir() + "/acr-other.json.tmp.BBBBBB") << "another key's write";
  cache->Put(kKey, Entry());
  EXPECT_FALSE(std::filesystem::exists(EntryPath() + ".tmp.AAAAAA"));
  EXPECT_TRUE(std::filesystem::exists(CacheDir() + "/acr-other.json.tmp.BBBBBB"));
}

TEST_F(FileTokenCacheTest, LockIsExclusiveAndWaitsAtMostUntilTheDeadline) {
  std::unique_ptr<TokenCache> holder = OpenFileTokenCache(CacheDir(), clock_);
  std::unique_ptr<TokenCache> waiter = OpenFileTokenCache(CacheDir(), clock_);
  absl::StatusOr<std::unique_ptr<CacheLock>> held = holder->Lock(kKey, clock_.Now());
  ASSERT_TRUE(held.ok()) << held.status();
  const absl::Time start = clock_.Now();
  absl::StatusOr<std::unique_ptr<CacheLock>> second = waiter->Lock(kKey, start + absl::Seconds(2));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(second.status().message(), HasSubstr("cache lock"));
  EXPECT_EQ(clock_.Now() - start, absl::Seconds(2)) << "slept exactly until the deadline";
  EXPECT_LE(clock_.sleeps.size(), 60u) << "polls back off";

  held->reset();
  EXPECT_TRUE(waiter->Lock(kKey, clock_.Now()).ok()) << "released by destruction";
}

TEST(CachedTokenTest, FreshUntilHalfLifeUsableUntilTheLastMinute) {
  const absl::Time t0 = absl::FromUnixSeconds(1'000'000);
  const CachedToken token{"t", t0, t0 + absl::Hours(3)};
  EXPECT_TRUE(token.FreshAt(t0));
  EXPECT_TRUE(token.FreshAt(t0 + absl::Minutes(89)));
  EXPECT_FALSE(token.FreshAt(t0 + absl::Minutes(90)));
  EXPECT_TRUE(token.UsableAt(t0 + absl::Minutes(178)));
  EXPECT_FALSE(token.UsableAt(t0 + absl::Minutes(179)));
  const CachedToken short_lived{"t", t0, t0 + absl::Seconds(100)};
  EXPECT_FALSE(short_lived.FreshAt(t0 + absl::Seconds(41))) << "needs 60 s left";
}

}  // namespace
}  // namespace acrcp
