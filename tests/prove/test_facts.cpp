// The register facts: proved for linux-x86_64 with a non-empty core, refuted for the seeded bugs
// they are about, and each rule of each core is needed: its mutant refutes the fact.
#include "model/profile.hpp"
#include "prove/facts.hpp"

#include <gtest/gtest.h>

#include <string>

namespace ptmc::prove {
namespace {

// Bound 0: the program is the exit tail, with the handler and every stop they reach (bound 1
// takes about 6 times as long).
constexpr int kBound = 0;

const Profile& linux_profile() {
  return *find_profile("linux-x86_64");
}

class Fact : public ::testing::TestWithParam<std::string> {};

TEST_P(Fact, ProvedForLinuxAndEachCoreRuleItsMutantRefutes) {
  const FactResult r = prove_fact(linux_profile(), GetParam(), kBound);
  ASSERT_EQ(r.verdict, Verdict::proved) << r.reason;
  ASSERT_FALSE(r.core.empty()) << "a proof that rests on no rule";
  std::printf("%s: %.3f s, %zu cases, %zu paths, core:", r.fact.c_str(), r.seconds, r.cases,
              r.paths);
  for (const std::string& rule : r.core) {
    std::printf(" %s", rule.c_str());
    const Profile mutant = mutant_profile(linux_profile(), *rule_by_name(rule));
    const FactResult m = prove_fact(mutant, GetParam(), kBound);
    EXPECT_EQ(m.verdict, Verdict::refuted) << "the mutant of " << rule << ": " << m.reason;
  }
  std::printf("\n");
}

INSTANTIATE_TEST_SUITE_P(Linux, Fact, ::testing::ValuesIn([] {
                           std::vector<std::string> names;
                           for (const FactInfo& f : register_facts()) names.emplace_back(f.name);
                           return names;
                         }()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

TEST(SeededBugs, AreRefutedWithRegisterValues) {
  const struct {
    const char* profile;
    const char* fact;
  } kCases[] = {{"bug-rflags-assign", "arm-step-changes-only-tf"},
                {"bug-no-fmask", "syscall-entry-clears-tf"},
                {"bug-signal-frame", "written-rax-persists"},
                {"bug-signal-frame", "getregs-after-setregs"}};
  for (const auto& k : kCases) {
    const FactResult r = prove_fact(*find_profile(k.profile), k.fact, kBound);
    EXPECT_EQ(r.verdict, Verdict::refuted) << k.profile << " " << k.fact << ": " << r.reason;
    EXPECT_TRUE(r.counterexample.count("rflags")) << k.profile;
    EXPECT_FALSE(r.from.empty());
  }
}

} // namespace
} // namespace ptmc::prove
