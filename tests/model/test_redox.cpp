// The Redox layer: its rule table cites its sources, its profiles and properties are what
// docs/redox-model.md says, relibc's translation follows relibc's source, and random Redox
// scenarios run to an end, deterministically, without crashing the model.
#include "engine/compare.hpp"
#include "engine/runner.hpp"
#include "model/profile.hpp"
#include "model/redox/model.hpp"
#include "model/redox/relibc.hpp"
#include "props/properties.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>

namespace ptmc {
namespace {

bool contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

TEST(RedoxRules, EachCitesACommitAndAFile) {
  size_t kernel = 0, relibc = 0;
  for (const RuleInfo& r : rule_table()) {
    if (r.layer == Layer::redox) {
      ++kernel;
      EXPECT_TRUE(contains(r.source, "redox-os/kernel")) << r.name;
      EXPECT_TRUE(contains(r.source, "a57ea6a7") || contains(r.source, "e18a8779")) << r.name;
      EXPECT_TRUE(contains(r.source, ".rs")) << r.name;
      EXPECT_TRUE(layer_confirmed_by_source_only(r.layer));
    } else if (r.layer == Layer::relibc) {
      ++relibc;
      EXPECT_TRUE(contains(r.source, "relibc a5e02650")) << r.name;
      EXPECT_TRUE(contains(r.source, ".rs")) << r.name;
    } else {
      EXPECT_FALSE(layer_confirmed_by_source_only(r.layer)) << r.name;
    }
  }
  EXPECT_GT(kernel, 30u);
  EXPECT_GT(relibc, 5u);
}

TEST(RedoxProfiles, StackAndLevel) {
  for (const char* name : {"redox-2019", "redox-2020", "redox-2019-bug-signal-frame",
                           "redox-2019-bug-no-fmask", "redox-2019-bug-rflags-assign"}) {
    const Profile* p = find_profile(name);
    ASSERT_NE(p, nullptr) << name;
    EXPECT_EQ(p->kernel, "redox");
    EXPECT_EQ(p->level, Level::interface);
    EXPECT_EQ(p->layers, (std::vector<Layer>{Layer::redox, Layer::cpu_x86_64}));
    // Every word the explorer writes has a meaning in the model, and in 2020 no FLAG_WAIT.
    for (uint64_t w : p->domain.redox_words) {
      EXPECT_EQ(w & ~redox::modelled, 0u) << name;
      if (p->redox_version == 2020) {
        EXPECT_EQ(w & redox::flag_wait, 0u) << name;
      }
    }
  }
  // The Linux profiles count no rule of the Redox layers (diff --require-all-rules).
  EXPECT_EQ(
      (find_profile("linux-x86_64")->rules() & rules_of({Layer::redox, Layer::relibc})).count(),
      0u);
}

TEST(RedoxProperties, WhichApply) {
  for (const PropertyInfo& p : property_table()) {
    const bool redox = property_applies(p, "redox");
    if (redox) {
      EXPECT_FALSE(p.redox_definition.empty()) << p.name;
    }
    if (p.id == PropertyId::sysemu_step_granularity || p.id == PropertyId::signal_injection_once) {
      EXPECT_FALSE(redox) << p.name;
    }
    if (p.id == PropertyId::access_keeps_stopped) {
      EXPECT_TRUE(redox);
      EXPECT_FALSE(property_applies(p, "linux"));
    }
  }
}

Action req(Request r, int signal = 0) {
  return Action{r, signal, false, {}};
}

Scenario linux_scenario(std::vector<Action> actions) {
  Scenario s;
  s.profile = "linux-x86_64";
  s.program = {Insn{Op::nop, 0, Arg::buf}};
  s.actions = std::move(actions);
  return s;
}

std::vector<uint64_t> words_of(const Scenario& s) {
  std::vector<uint64_t> out;
  for (const auto& a : s.redox_actions)
    if (a.op == RedoxOp::write) out.push_back(a.flags);
  return out;
}

TEST(Relibc, RequestsBecomeWordsAsRelibcWritesThem) {
  // relibc ptrace.rs inner_ptrace 114-143: the first SYSCALL and SYSEMU arm PRE only.
  const auto t = redox::translate_with_relibc(
      linux_scenario({req(Request::syscall), req(Request::syscall), req(Request::sysemu),
                      req(Request::cont), req(Request::singlestep),
                      req(Request::sysemu_singlestep)}),
      "redox-2020");
  ASSERT_FALSE(t.refused);
  const uint64_t pre = redox::pre_syscall, post = redox::post_syscall, ign = redox::flag_ignore;
  EXPECT_EQ(words_of(t.scenario),
            (std::vector<uint64_t>{pre, pre | post, ign | pre | post, 0, redox::singlestep,
                                   ign | redox::singlestep}));
  EXPECT_TRUE(t.scenario.options.o_nonblock);
  EXPECT_FALSE(t.scenario.options.o_excl);
  // Each stop: waitpid's read, GETREGS, the write.
  ASSERT_EQ(t.scenario.redox_actions.size(), 18u);
  EXPECT_EQ(t.scenario.redox_actions[0].op, RedoxOp::read);
  EXPECT_EQ(t.scenario.redox_actions[1].op, RedoxOp::getregs);
  const auto first_sysemu =
      redox::translate_with_relibc(linux_scenario({req(Request::sysemu)}), "redox-2020");
  EXPECT_EQ(words_of(first_sysemu.scenario), (std::vector<uint64_t>{ign | pre}));
}

TEST(Relibc, EditsAndWhatCannotBeMapped) {
  Action rax{Request::syscall, 0, false, {Edit{Reg::rax, 7, {}}}};
  Action rip{Request::cont, 0, false, {Edit{Reg::rip, 0, Loc{Loc::Space::program, 2}}}};
  const auto t = redox::translate_with_relibc(linux_scenario({rax, rip}), "redox-2020");
  ASSERT_FALSE(t.refused);
  // SETREGS writes rax from orig_rax (relibc ptrace.rs 192): the rax edit is gone, the write is
  // still made; rip is carried.
  ASSERT_EQ(t.scenario.redox_actions[2].op, RedoxOp::setregs);
  EXPECT_TRUE(t.scenario.redox_actions[2].edits.empty());
  ASSERT_EQ(t.scenario.redox_actions[6].op, RedoxOp::setregs);
  EXPECT_EQ(t.scenario.redox_actions[6].edits, rip.edits);
  EXPECT_FALSE(t.notes.empty());

  for (const Action& a : {req(Request::detach), req(Request::kill), req(Request::cont, sig::usr1),
                          Action{Request::cont, 0, false, {Edit{Reg::orig_rax, -1, {}}}},
                          Action{Request::cont, 0, false, {Edit{Reg::tf, 1, {}}}}}) {
    const auto r = redox::translate_with_relibc(linux_scenario({a}), "redox-2020");
    EXPECT_TRUE(r.refused) << format_action(a);
  }
}

TEST(Relibc, ARepeatedFirstSyscallIsSpelledOut) {
  Scenario s = linux_scenario({});
  s.repeat = req(Request::syscall);
  s.repeat_max = 5;
  const auto t = redox::translate_with_relibc(s, "redox-2020");
  EXPECT_EQ(words_of(t.scenario), (std::vector<uint64_t>{redox::pre_syscall}));
  ASSERT_EQ(t.scenario.redox_repeat.size(), 3u);
  EXPECT_EQ(t.scenario.redox_repeat[2].flags, redox::pre_syscall | redox::post_syscall);
  EXPECT_EQ(t.scenario.repeat_max, 4);
}

TEST(RedoxModel, AWordAboveTheKernelsBitsIsEinvalAndChangesNothing) {
  for (const char* name : {"redox-2019", "redox-2020"}) {
    const redox::Model m(*find_profile(name), std::vector<Insn>{}, {});
    const redox::Task s = m.initial_state(false, false);
    RuleCtx r;
    Events ev;
    Trace out;
    const redox::Task t = m.apply(s, RedoxAction{RedoxOp::write, 0x10001, {}}, r, ev, &out);
    EXPECT_TRUE(t == s) << name;
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].error, 22) << name;
  }
}

// A tracer operation on the model started as the concurrent model's attach leaves it, then the
// tracee's instructions until it stops or ends (the interface model's schedule).
redox::Task operate(const redox::Model& m, redox::Task s, const RedoxAction& a, Trace& out) {
  RuleCtx r;
  Events ev;
  s = m.apply(s, a, r, ev, &out);
  for (int i = 0; i < 8 && s.phase == redox::Phase::user; ++i)
    s = m.execute(s, *m.fixed_insn(s.pc()), r, ev, &out);
  return s;
}

// The tracee's end does not close the trace file or end the session (docs/redox-sources.md I9,
// R3). Found by refinement-interface: this model answered EBADF, the concurrent one Ok.
TEST(RedoxModel, AfterTheTraceesExitTheTraceFileIsStillOpen) {
  for (const char* name : {"redox-2019", "redox-2020"}) {
    const redox::Model m(*find_profile(name), std::vector<Insn>{}, {});
    Trace out;
    // A step stop after the exit tail's `nr`, then released with nothing armed: it exits.
    redox::Task s = m.frozen_before_first_instruction(redox::kSysGetpid);
    s = operate(m, s, RedoxAction{RedoxOp::write, redox::singlestep, {}}, out);
    s = operate(m, s, RedoxAction{RedoxOp::write, 0, {}}, out);
    ASSERT_TRUE(s.dead()) << name;
    out.clear();
    operate(m, s, RedoxAction{RedoxOp::close, 0, {}}, out);
    ASSERT_EQ(out.size(), 1u) << name;
    EXPECT_EQ(out[0].error, 0) << name; // not EBADF (9)
  }
}

// A 2020 blocking read that begins after the tracee exited sleeps for good: close_tracee's
// notify has already gone out (R3). Found by refinement-interface (the listings run atomically).
TEST(RedoxModel, A2020BlockingReadAfterTheTraceesExitHangs) {
  const redox::Model m(*find_profile("redox-2020"), std::vector<Insn>{}, {});
  Trace out;
  redox::Task s = m.frozen_before_first_instruction(redox::kSysGetpid);
  s = operate(m, s, RedoxAction{RedoxOp::write, redox::post_syscall, {}}, out);
  ASSERT_TRUE(s.dead());
  out.clear();
  s = operate(m, s, RedoxAction{RedoxOp::read, 0, {}}, out);
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(s.hung);
}

TEST(CommonObservation, SyscallNumbersOfTheTwoKernelsMatchByName) {
  CommonLine l, r;
  l.kind = r.kind = "syscall-enter";
  l.has_regs = r.has_regs = true;
  l.linux_side = true;
  r.linux_side = false;
  l.value = nr::getpid;
  r.value = redox::kSysGetpid;
  EXPECT_TRUE(same_observation(l, r));
  r.value = redox::kSysKill;
  EXPECT_FALSE(same_observation(l, r));
  l.value = nr::exit_group;
  r.value = redox::kSysExit;
  EXPECT_TRUE(same_observation(l, r));
  EXPECT_EQ(format_common(l), "syscall-enter at=0 nr=exit_group rbx=0 flags=-");
}

// Random Redox scenarios: the runner ends every one (an end line, a cut repeat, or a refusal
// with a reason), never crashes, and gives the same trace twice.
RC_GTEST_PROP(RedoxRandom, RunsEndDeterministically, ()) {
  const Profile& p = *find_profile(*rc::gen::element<std::string>("redox-2019", "redox-2020"));
  Scenario s;
  s.profile = p.name;
  const auto& alphabet = p.domain.alphabet;
  const int n = *rc::gen::inRange(0, 5);
  for (int i = 0; i < n; ++i) s.program.push_back(*rc::gen::elementOf(alphabet));
  s.options.o_excl = *rc::gen::arbitrary<bool>();
  s.options.o_nonblock = *rc::gen::arbitrary<bool>();
  const int k = *rc::gen::inRange(0, 8);
  for (int i = 0; i < k; ++i) {
    RedoxAction a;
    a.op = *rc::gen::element(RedoxOp::write, RedoxOp::read, RedoxOp::getregs, RedoxOp::setregs,
                             RedoxOp::close);
    if (a.op == RedoxOp::write) a.flags = *rc::gen::elementOf(p.domain.redox_words);
    if (a.op == RedoxOp::setregs && *rc::gen::arbitrary<bool>())
      a.edits.push_back(Edit{Reg::rax, kTracerResult, {}});
    s.redox_actions.push_back(a);
  }
  if (*rc::gen::arbitrary<bool>()) {
    s.redox_repeat = {RedoxAction{RedoxOp::read, 0, {}},
                      RedoxAction{RedoxOp::write, *rc::gen::elementOf(p.domain.redox_words), {}}};
    s.repeat_max = 20;
  }
  const ModelRun a = run_on_model(s, p);
  const ModelRun b = run_on_model(s, p);
  RC_ASSERT(a.trace == b.trace);
  RC_ASSERT(a.error == b.error);
  RC_CLASSIFY(a.error.has_value(), "refused");
  if (a.error) return; // refused with a reason (a program the model cannot follow)
  RC_ASSERT(!a.trace.empty());
  const StopKind last = a.trace.back().kind;
  const bool ended = last == StopKind::exited || last == StopKind::killed || last == StopKind::hang;
  RC_ASSERT(ended || !s.redox_repeat.empty());
}

} // namespace
} // namespace ptmc
