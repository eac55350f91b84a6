// AtomicFile (common/atomic_file.hpp): a file is replaced whole or not at all. The failures are
// the real ones: RLIMIT_FSIZE (EFBIG) in a child process, /dev/full (ENOSPC), a missing
// directory.
#include "common/atomic_file.hpp"
#include "tests/common/file_size_limit.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <dirent.h>
#include <fstream>
#include <sstream>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ptmc {
namespace {

class AtomicFileTest : public ::testing::Test {
protected:
  void SetUp() override {
    char pattern[] = "/tmp/ptmc-atomic.XXXXXX";
    ASSERT_TRUE(mkdtemp(pattern));
    dir_ = pattern;
  }
  void TearDown() override {
    for (const std::string& name : entries()) unlink((dir_ + "/" + name).c_str());
    rmdir(dir_.c_str());
  }
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    DIR* d = opendir(dir_.c_str());
    while (d) {
      const dirent* e = readdir(d);
      if (!e) break;
      const std::string name = e->d_name;
      if (name != "." && name != "..") out.push_back(name);
    }
    if (d) closedir(d);
    return out;
  }
  static std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::string dir_;
};

TEST_F(AtomicFileTest, WritesAndReplaces) {
  const std::string path = dir_ + "/report.md";
  ASSERT_FALSE(write_file_atomically(path, "first\n"));
  EXPECT_EQ(read(path), "first\n");
  AtomicFile f(path);
  for (int i = 0; i < 100000; ++i) f.out() << "line " << i << '\n'; // more than one buffer
  EXPECT_EQ(read(path), "first\n");                                 // untouched until commit
  ASSERT_FALSE(f.commit());
  const std::string text = read(path);
  EXPECT_EQ(text.substr(0, 7), "line 0\n");
  EXPECT_EQ(text.size(), 1088890u);
  EXPECT_EQ(entries(), std::vector<std::string>{"report.md"}); // no temporary left
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  const mode_t mask = umask(0);
  umask(mask);
  EXPECT_EQ(st.st_mode & 0777, 0666 & ~mask); // as open(2) would have made it
}

TEST_F(AtomicFileTest, UncommittedLeavesNothing) {
  const std::string path = dir_ + "/graph.dot";
  {
    AtomicFile f(path);
    f.out() << "digraph {}\n";
  }
  EXPECT_TRUE(entries().empty());
}

// RLIMIT_FSIZE in a child with SIGXFSZ ignored, as ptmc runs (cli/main.cpp): the write fails
// with EFBIG, the old file stays whole, and no temporary is left.
TEST_F(AtomicFileTest, FileSizeLimitKeepsTheOldFile) {
  const std::string path = dir_ + "/report.md";
  ASSERT_FALSE(write_file_atomically(path, "the good report\n"));
  const std::string message = testing::in_child_with_file_size_limit(4096, [&] {
    const auto e = write_file_atomically(path, std::string(100000, 'x'));
    return e ? e->message + (e->out_of_space ? " [space]" : "") : "none";
  });
  EXPECT_NE(message.find("File too large"), std::string::npos) << message;
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("[space]"), std::string::npos) << message;
  EXPECT_EQ(read(path), "the good report\n");
  EXPECT_EQ(entries(), std::vector<std::string>{"report.md"});
}

// A device is written in place (it cannot be renamed over), and its errors still count.
TEST_F(AtomicFileTest, DevFullIsAnErrorAndStaysADevice) {
  const auto e = write_file_atomically("/dev/full", "anything\n");
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("No space left on device"), std::string::npos) << e->message;
  EXPECT_TRUE(e->out_of_space);
  struct stat st {};
  ASSERT_EQ(stat("/dev/full", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_FALSE(write_file_atomically("/dev/null", "anything\n"));
}

TEST_F(AtomicFileTest, MissingDirectoryIsBadInputNotALimit) {
  const auto e = write_file_atomically(dir_ + "/no/such/dir/report.md", "x");
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("No such file or directory"), std::string::npos) << e->message;
  EXPECT_FALSE(e->out_of_space);
}

} // namespace
} // namespace ptmc
