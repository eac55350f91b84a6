// write_report on a chosen list of profiles: a profile whose transition function `with_model`
// does not provide gets a page that says so (not a crash), the documents registered through
// ReportOptions::documents (report/documents.hpp, the seam for generated Markdown) are written,
// and a report that cannot be written whole leaves the earlier one in place.
#include "model/profile.hpp"
#include "report/report.hpp"
#include "tests/common/file_size_limit.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace fs = std::filesystem;
using namespace ptmc;

namespace {

std::string read(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct ReportDir : ::testing::Test {
  fs::path root;
  void SetUp() override {
    root =
        fs::temp_directory_path() /
        ("ptmc-report-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root);
    fs::create_directories(root / "scenarios");
  }
  void TearDown() override { fs::remove_all(root); }

  report::ReportOptions options() const {
    report::ReportOptions o;
    o.out_dir = (root / "html").string();
    o.data_dir = (root / "no-data").string();
    o.scenarios_dir = (root / "scenarios").string();
    o.bound = 1;
    o.documents.clear();
    // linux-x86_64, and a profile of a kernel no model type runs (as a concurrent Redox was).
    Profile linux = *find_profile("linux-x86_64");
    Profile unmodelled = linux;
    unmodelled.name = "unmodelled-kernel";
    unmodelled.kernel = "no-such-kernel";
    o.profiles = {linux, unmodelled};
    return o;
  }
};

TEST_F(ReportDir, ProfileWithoutModelGetsAPageSayingSo) {
  const auto summary = report::write_report(options());
  ASSERT_EQ(summary.profiles.size(), 2u);
  EXPECT_TRUE(summary.profiles[0].no_model.empty());
  EXPECT_GT(summary.profiles[0].nodes, 0u);
  EXPECT_NE(summary.profiles[1].no_model.find("no model for kernel no-such-kernel"),
            std::string::npos);
  const std::string page = read(root / "html" / "profile-unmodelled-kernel.html");
  EXPECT_NE(page.find("draws no protocol graph"), std::string::npos);
  EXPECT_NE(page.find("no-such-kernel"), std::string::npos);
  const std::string index = read(root / "html" / "index.html");
  EXPECT_NE(index.find("not explored here: profile unmodelled-kernel"), std::string::npos);
  EXPECT_TRUE(fs::exists(root / "html" / "witnesses" / "linux-x86_64.ptmc"));
  EXPECT_FALSE(fs::exists(root / "html" / "witnesses" / "unmodelled-kernel.ptmc"));
}

// The Redox SMP profiles are at the concurrent level: interleavings of kernel threads, with a
// model and checker of their own that `with_model` does not run.
TEST_F(ReportDir, ConcurrentProfileGetsAPageSayingSo) {
  auto o = options();
  const Profile* smp = find_profile("redox-2019-smp");
  ASSERT_NE(smp, nullptr);
  ASSERT_EQ(smp->level, Level::concurrent);
  o.profiles = {*find_profile("linux-x86_64"), *smp};
  const auto summary = report::write_report(o);
  ASSERT_EQ(summary.profiles.size(), 2u);
  EXPECT_NE(summary.profiles[1].no_model.find("concurrent level"), std::string::npos)
      << summary.profiles[1].no_model;
  const std::string page = read(root / "html" / "profile-redox-2019-smp.html");
  EXPECT_NE(page.find("draws no protocol graph"), std::string::npos);
  EXPECT_NE(page.find("ptmc check --profile redox-2019-smp"), std::string::npos);
  EXPECT_NE(read(root / "html" / "index.html").find("not explored here: profile redox-2019-smp"),
            std::string::npos);
}

// RLIMIT_FSIZE in a child with SIGXFSZ ignored, as ptmc runs (cli/main.cpp): the second report
// cannot be written whole, so it fails with a write error and the first stays as it was.
TEST_F(ReportDir, FileSizeLimitKeepsTheEarlierReport) {
  auto o = options();
  o.profiles.resize(1);
  report::write_report(o);
  const std::string index = read(root / "html" / "index.html");
  uintmax_t largest = 0, smallest = UINTMAX_MAX;
  for (const auto& e : fs::recursive_directory_iterator(root / "html"))
    if (e.is_regular_file() && e.path().extension() == ".html") {
      largest = std::max(largest, e.file_size());
      smallest = std::min(smallest, e.file_size());
    }
  ASSERT_LT(smallest + 1, largest);
  // dot's temporary files are smaller than the largest page.
  const std::string message = ptmc::testing::in_child_with_file_size_limit(largest - 1, [&] {
    try {
      report::write_report(o);
      return std::string("written");
    } catch (const report::ReportWriteError& e) {
      return std::string(e.what()) + (e.error.out_of_space ? " [space]" : "");
    } catch (const std::exception& e) {
      return std::string("other error: ") + e.what();
    }
  });
  EXPECT_NE(message.find("File too large"), std::string::npos) << message;
  EXPECT_NE(message.find("[space]"), std::string::npos) << message;
  EXPECT_EQ(read(root / "html" / "index.html"), index);
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(root)) left.push_back(e.path().filename().string());
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"html", "scenarios"}));
}

TEST_F(ReportDir, RegisteredDocumentsAreWrittenFromTheInputs) {
  auto o = options();
  o.documents_dir = (root / "docs").string();
  o.documents.push_back({"profiles.md", "Profiles explored", [](const report::DocumentInputs& in) {
                           std::string text =
                               "# explored at bound " + std::to_string(in.bound) + "\n";
                           for (const auto& [name, r] : in.protocol) text += "- " + name + "\n";
                           return text;
                         }});
  report::write_report(o);
  const std::string expected = "# explored at bound 1\n- linux-x86_64\n";
  EXPECT_EQ(read(root / "html" / "documents" / "profiles.md"), expected);
  EXPECT_EQ(read(root / "docs" / "profiles.md"), expected);
  EXPECT_NE(read(root / "html" / "index.html").find("href=\"documents/profiles.md\""),
            std::string::npos);
}

TEST_F(ReportDir, DocumentWithAPathIsRefused) {
  auto o = options();
  o.profiles.resize(1);
  o.documents.push_back({"../escape.md", "bad", [](const report::DocumentInputs&) { return ""; }});
  EXPECT_THROW(report::write_report(o), report::ReportError);
}

} // namespace
