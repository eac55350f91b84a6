// The layer registry: every rule belongs to one layer, names are unique, and a profile counts
// only its own layers' rules (docs/model-layers.md).
#include "engine/runner.hpp"
#include "model/linux/aarch64/arch.hpp"
#include "model/profile.hpp"
#include "model/rules.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace ptmc {
namespace {

TEST(Layers, RuleNamesAreUniqueAcrossLayers) {
  std::set<std::string> names;
  for (const RuleInfo& r : rule_table())
    EXPECT_TRUE(names.insert(std::string(r.name)).second) << r.name;
}

TEST(Layers, EachRuleIsFoundByItsNameAndKeepsItsLayer) {
  for (const RuleInfo& r : rule_table()) {
    const auto id = rule_by_name(r.name);
    ASSERT_TRUE(id.has_value()) << r.name;
    EXPECT_EQ(rule_info(*id).layer, r.layer);
    EXPECT_FALSE(r.source.empty()) << r.name << " cites no source";
  }
}

// How many rules of each layer a profile counts.
std::vector<size_t> rules_per_layer(const Profile& p) {
  const RuleSet own = p.rules();
  std::vector<size_t> per_layer(kLayerCount, 0);
  for (const RuleInfo& r : rule_table())
    if (own.test(static_cast<size_t>(r.id))) ++per_layer[static_cast<size_t>(r.layer)];
  return per_layer;
}

TEST(Layers, LinuxX86_64IsItsFourLayersAndTheirRulesOnly) {
  const Profile& p = *find_profile("linux-x86_64");
  const auto per_layer = rules_per_layer(p);
  EXPECT_EQ(per_layer[static_cast<size_t>(Layer::linux_generic)], 24u);
  EXPECT_EQ(per_layer[static_cast<size_t>(Layer::linux_entry)], 5u);
  EXPECT_EQ(per_layer[static_cast<size_t>(Layer::linux_x86_64)], 22u);
  EXPECT_EQ(per_layer[static_cast<size_t>(Layer::cpu_x86_64)], 3u);
  EXPECT_EQ(p.rules().count(), 54u);
}

// arm64 in 6.1 has no generic entry: the generic layer, its own glue and CPU, nothing of x86.
TEST(Layers, LinuxAarch64UsesTheGenericLayerWithItsOwnGlueAndCpu) {
  const Profile& p = *find_profile("linux-aarch64");
  EXPECT_EQ(p.arch, "aarch64");
  const auto per_layer = rules_per_layer(p);
  EXPECT_EQ(per_layer[static_cast<size_t>(Layer::linux_generic)], 24u);
  EXPECT_EQ(per_layer[static_cast<size_t>(Layer::linux_entry)], 0u);
  EXPECT_EQ(per_layer[static_cast<size_t>(Layer::linux_x86_64)], 0u);
  EXPECT_EQ(per_layer[static_cast<size_t>(Layer::cpu_x86_64)], 0u);
  EXPECT_GT(per_layer[static_cast<size_t>(Layer::linux_aarch64)], 0u);
  EXPECT_GT(per_layer[static_cast<size_t>(Layer::cpu_aarch64)], 0u);
  for (const RuleInfo& r : rule_table())
    if (r.layer == Layer::linux_aarch64) {
      EXPECT_TRUE(r.source.find("arch/arm64") != std::string_view::npos ||
                  r.source.find("include/linux/ptrace.h") != std::string_view::npos)
          << r.name << " cites " << r.source;
    }
}

// A profile's architecture as scenario files see it (scenario/arch.cpp) is the one its model runs.
// arm64's brk leaves pc on itself, so the return from its stop runs the same brk again. The
// explorer chooses an instruction when it first runs, and must not choose another one there, nor
// after a handler returns to the brk (found by replaying the report's witnesses: a brk stop
// resumed into an svc that the witness program, with that one instruction, could not contain).
TEST(Layers, Aarch64BrkStopResumesIntoTheSameBrk) {
  const Profile& p = *find_profile("linux-aarch64");
  const LinuxArm64Model m(p, std::nullopt, p.domain.handler);
  size_t brk = m.alphabet().size();
  for (size_t i = 0; i < m.alphabet().size(); ++i)
    if (m.alphabet()[i].op == Op::int3) brk = i;
  ASSERT_LT(brk, m.alphabet().size());
  RuleCtx r(p.mutation);
  Events ev;
  auto stopped = m.resume(m.initial_states(true).front(), Action{}, Peek::unknown, r, ev);
  stopped = m.execute(stopped, m.alphabet()[brk], r, ev);
  ASSERT_EQ(stopped.phase, Phase::stopped);
  ASSERT_EQ(stopped.pc(), (Loc{Loc::Space::program, 0}));

  for (const int signal : {sig::none, sig::usr1}) {
    auto s = m.resume(stopped, Action{Request::cont, signal, false, {}}, Peek::unknown, r, ev);
    while (s.phase == Phase::user && s.pc().space == Loc::Space::handler)
      s = m.execute(s, *m.fixed_insn(s.pc()), r, ev);
    ASSERT_EQ(s.phase, Phase::user) << "signal " << signal;
    ASSERT_EQ(s.pc(), (Loc{Loc::Space::program, 0})) << "signal " << signal;
    uint16_t choices[LinuxArm64Model::kMaxChoices];
    ASSERT_EQ(m.program_choices(s, choices), 1u) << "signal " << signal;
    EXPECT_EQ(choices[0], brk) << "signal " << signal;
  }
}

TEST(Layers, EveryProfileNamesItsArchitecture) {
  for (const Profile& p : profiles())
    EXPECT_EQ(std::string(arch_name(arch_of_profile(p.name))), p.arch) << p.name;
  const Profile mutant = mutant_profile(*find_profile("linux-aarch64"), RuleId::arm64_stop_x7_dir);
  EXPECT_EQ(std::string(arch_name(arch_of_profile(mutant.name))), mutant.arch);
}

TEST(Layers, RulesOfALayerAreExactlyThoseTaggedWithIt) {
  for (size_t l = 0; l < kLayerCount; ++l) {
    const RuleSet set = rules_of({static_cast<Layer>(l)});
    for (const RuleInfo& r : rule_table())
      EXPECT_EQ(set.test(static_cast<size_t>(r.id)), static_cast<size_t>(r.layer) == l) << r.name;
  }
}

TEST(Layers, SeededBugsKeepTheirParentsLayers) {
  for (const Profile& p : profiles()) {
    if (p.parent.empty()) continue;
    const Profile* parent = find_profile(p.parent);
    ASSERT_NE(parent, nullptr) << p.name;
    EXPECT_EQ(p.rules(), parent->rules()) << p.name;
  }
}

} // namespace
} // namespace ptmc

// ---- Design variants (issue 14's questions 2 and 3) ---------------------------------------------
// Each expectation follows from the variant's definition in model/profile.hpp, not from a run.

namespace ptmc {
namespace {

Trace step_over_getpid(const char* profile, Request req) {
  Scenario s;
  s.profile = profile;
  s.options.tracesysgood = true;
  s.program = {Insn{Op::set_nr, nr::getpid, Arg::buf}, Insn{Op::syscall, 0, Arg::buf},
               Insn{Op::nop, 0, Arg::buf}};
  s.actions = {Action{req, 0, false, {}}, Action{req, 0, false, {}}, Action{req, 0, false, {}},
               Action{req, 0, false, {}}};
  const ModelRun r = run_on_model(s, *find_profile(profile));
  EXPECT_FALSE(r.error.has_value());
  return r.trace;
}

TEST(Variants, StepTwiceStopsAtEntryThenAtExit) {
  const Trace t = step_over_getpid("variant-step-twice", Request::singlestep);
  ASSERT_GE(t.size(), 4u);
  EXPECT_EQ(t[1].kind, StopKind::step);          // after `nr getpid`
  EXPECT_EQ(t[2].kind, StopKind::syscall_enter); // the extra stop, before the syscall runs
  EXPECT_EQ(t[2].orig_rax, nr::getpid);
  EXPECT_EQ(t[3].kind, StopKind::step); // the exit report, as on Linux
  EXPECT_EQ(t[3].si_code, code::trap_brkpt);
  EXPECT_EQ(t[3].rax, kPidToken);
}

TEST(Variants, StepAtEntryHasNoExitReport) {
  const Trace t = step_over_getpid("variant-step-at-entry", Request::singlestep);
  ASSERT_GE(t.size(), 4u);
  EXPECT_EQ(t[2].kind, StopKind::syscall_enter);
  // Nothing at exit: the next stop is the #DB after the nop that follows the syscall.
  EXPECT_EQ(t[3].kind, StopKind::step);
  EXPECT_EQ(t[3].si_code, code::trap_trace);
  EXPECT_EQ(t[3].at, (Loc{Loc::Space::program, 3}));
}

TEST(Variants, SysemuStepExitReportsTheEmulatedSyscall) {
  // Linux (report_single_step under SYSCALL_EMU) says nothing at exit; the variant reports.
  const Trace linux = step_over_getpid("linux-x86_64", Request::sysemu_singlestep);
  const Trace variant = step_over_getpid("variant-sysemu-step-exit", Request::sysemu_singlestep);
  ASSERT_GE(linux.size(), 4u);
  ASSERT_GE(variant.size(), 4u);
  EXPECT_EQ(linux[2].kind, StopKind::syscall_enter);
  EXPECT_EQ(variant[2].kind, StopKind::syscall_enter);
  EXPECT_EQ(linux[3].at, (Loc{Loc::Space::program, 3})); // the nop ran too
  EXPECT_EQ(variant[3].kind, StopKind::step);
  EXPECT_EQ(variant[3].si_code, code::trap_brkpt);
  EXPECT_EQ(variant[3].at, (Loc{Loc::Space::program, 2})); // right after the syscall
  EXPECT_EQ(variant[3].rax, -38);                          // emulated: -ENOSYS left in place
}

} // namespace
} // namespace ptmc
