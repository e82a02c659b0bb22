#include "media/file_store.hpp"

#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>

#include <fstream>
#include <set>

#include "media/upload_sink.hpp"
#include "support/temp_dir.hpp"

namespace parley {
namespace {

namespace fs = std::filesystem;

class FileStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_GE(sodium_init(), 0); }
  testing::TempDir dir_;
  const fs::path& root_ = dir_.path();
};

TEST_F(FileStoreTest, NamesCarry128RandomBitsAndKeepTheirShape) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto name = FileStore::new_name(".png");
    EXPECT_EQ(name.size(), 22u + 4u);
    EXPECT_TRUE(FileStore::valid_name(name)) << name;
    seen.insert(name);
  }
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_TRUE(FileStore::valid_name(FileStore::new_name("")));
}

TEST_F(FileStoreTest, RefusesPathTricksAndForeignShapes) {
  FileStore store(root_ / "files");
  for (const char* bad : {"..", "../etc/passwd", "a/b", "%2e%2e%2fx", "abc", "AAAAAAAAAAAAAAAAAAAAA/.png",
                          "AAAAAAAAAAAAAAAAAAAAAA.PNG", "AAAAAAAAAAAAAAAAAAAAAA.png/..", "AAAAAAAAAAAAAAAAAAAAAA..png",
                          "AAAAAAAAAAAAAAAAAAAAAA.averyverylongext", ""}) {
    EXPECT_FALSE(store.path_of(bad).has_value()) << bad;
  }
  const auto ok = store.path_of("AAAAAAAAAAAAAAAAAAAAAA.png");
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->parent_path(), root_ / "files");
}

TEST_F(FileStoreTest, StartupClearsHalfWrittenUploadsAndKeepsStoredFiles) {
  fs::path temp;
  {
    FileStore store(root_ / "files");
    temp = store.temp_path();
    std::ofstream(temp) << "partial";
    std::ofstream(root_ / "files" / "AAAAAAAAAAAAAAAAAAAAAA.txt") << "kept";
  }
  FileStore reopened(root_ / "files");
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_TRUE(fs::exists(root_ / "files" / "AAAAAAAAAAAAAAAAAAAAAA.txt"));
  struct stat st {};
  ASSERT_EQ(::stat((root_ / "files").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(FileStoreTest, SinkHashesStopsAtTheLimitAndRemovesUnkeptFiles) {
  FileStore store(root_ / "files");
  fs::path path;
  {
    UploadSink sink(store.temp_path(), 10);
    path = sink.path();
    EXPECT_TRUE(sink.write("hello"));
    EXPECT_TRUE(sink.write("world"));
    EXPECT_FALSE(sink.write("!"));  // the 11th byte crosses the limit
    EXPECT_EQ(sink.size(), 10);
    // sha256("helloworld")
    EXPECT_EQ(sink.finish(), "936a185caaa266bb9cbe981e9e05cb78cd732b0b3280eb944412bb6f8f8f07af");
    EXPECT_EQ(fs::file_size(path), 10u);
  }
  EXPECT_FALSE(fs::exists(path)) << "not kept: removed";

  UploadSink kept(store.temp_path(), 100);
  ASSERT_TRUE(kept.write("x"));
  kept.finish();
  const auto name = FileStore::new_name(".txt");
  store.commit(kept.path(), name);
  kept.keep();
  EXPECT_TRUE(fs::exists(*store.path_of(name)));
}

}  // namespace
}  // namespace parley
