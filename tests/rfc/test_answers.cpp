// The RFC answers' generator (report/rfc/answers.cpp): its rows follow the model, not the text.
#include "report/rfc/answers.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

namespace ptmc::rfc {
namespace {

// Bound 2 keeps each check under a second; the committed answers use the report's bound.
AnswerInputs inputs(std::vector<Profile> with, std::vector<std::string> questions = {}) {
  AnswerInputs in;
  in.source_dir = std::string(PTMC_SOURCE_DIR) + "/report/rfc";
  in.data_dir = std::string(PTMC_SOURCE_DIR) + "/reports/data/rfc";
  in.scenario_dir = std::string(PTMC_SOURCE_DIR) + "/scenarios";
  in.bound = 2;
  in.profiles = std::move(with);
  in.questions = std::move(questions);
  in.check = [](const Profile& p) { return check_at(p, 2); };
  return in;
}

const Json& row(const Json& computed, const std::string& question, const std::string& variant) {
  for (const Json& v : computed[question]["variants"])
    if (v["name"] == variant) return v;
  throw std::runtime_error("no row " + variant + " in " + question);
}

Profile& named(std::vector<Profile>& all, const std::string& name) {
  const auto it =
      std::find_if(all.begin(), all.end(), [&](const Profile& p) { return p.name == name; });
  if (it == all.end()) throw std::runtime_error("no profile " + name);
  return *it;
}

// Undoing one variant's delta turns its row into Linux's and leaves every other row alone.
void expect_flip_changes_only(const std::string& question, const std::string& variant,
                              const std::function<void(Profile&)>& undo) {
  std::vector<Profile> all = profiles();
  const Json before = computed_data(inputs(all, {question}));
  undo(named(all, variant));
  const Json after = computed_data(inputs(all, {question}));
  EXPECT_NE(row(before, question, variant), row(after, question, variant)) << variant;
  const Json& linux = row(after, question, "linux-x86_64");
  EXPECT_EQ(row(after, question, variant)["verdicts"], linux["verdicts"]) << variant;
  for (const Json& v : before[question]["variants"])
    if (v["name"] != variant)
      EXPECT_EQ(v, row(after, question, v["name"].get<std::string>())) << v["name"];
}

TEST(Answers, FlippingTheRestoredFrameDeltaChangesItsRowOnly) {
  expect_flip_changes_only("q1", "variant-write-restored-frame",
                           [](Profile& p) { p.register_write_target = RegisterWriteTarget::live; });
}

TEST(Answers, FlippingTheStepAtEntryDeltaChangesItsRowOnly) {
  expect_flip_changes_only("q2", "variant-step-at-entry",
                           [](Profile& p) { p.step_around_syscall = StepAroundSyscall::after; });
}

TEST(Answers, FlippingTheSysemuExitDeltaChangesItsRowOnly) {
  const Profile* linux = find_profile("linux-x86_64");
  ASSERT_NE(linux, nullptr);
  expect_flip_changes_only("q3", "variant-sysemu-step-exit", [&](Profile& p) {
    p.sysemu_step_reports_exit = false;
    p.expected = linux->expected; // the variant also dropped Linux's explanation of the quirk
  });
}

// The kernels' recorded traces are compared with the model's linux-x86_64 as it is now.
TEST(Answers, RecordedKernelTracesAreComparedWithTheModel) {
  const Json computed = computed_data(inputs(profiles(), {"q1", "q2", "q3"}));
  for (const char* q : {"q1", "q2", "q3"})
    for (const Json& s : computed[q]["scenarios"])
      for (const char* kernel : {"host", "qemu"}) {
        EXPECT_TRUE(s[kernel]["agrees"].get<bool>())
            << q << " " << s["file"] << " on " << kernel << ": " << s[kernel]["trace"]
            << " vs the model's " << s["model"];
      }
  EXPECT_EQ(computed["proved"], "not proved");
}

TEST(Answers, TheWholeDocumentRendersWithoutLoosePlaceholders) {
  const std::string doc = write_rfc_answers(inputs(profiles()));
  EXPECT_EQ(doc.find("{{"), std::string::npos);
  for (const char* heading : {"## 1.", "## 2.", "## 3.", "## 4.", "## 5."})
    EXPECT_NE(doc.find(heading), std::string::npos) << heading;
}

} // namespace
} // namespace ptmc::rfc
