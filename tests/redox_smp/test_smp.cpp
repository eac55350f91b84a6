// The Redox SMP model: the four historical bugs are found before their fix and gone after it,
// the 2020 suspects are judged, the reduction keeps every verdict, the two ways of deciding
// determinism agree, counterexamples replay, and the kernel listings differ between the two
// sides of a pair only where the fixing commit's diff does.
#include "model/profile.hpp"
#include "model/redox/smp/check.hpp"
#include "model/redox/smp/interface.hpp"
#include "model/redox/smp/products.hpp"
#include "model/redox/smp/scenario.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

namespace ptmc::redox_smp {
namespace {

const Variant& variant(const std::string& name) {
  const Variant* v = find_variant(name);
  if (!v) throw std::invalid_argument("no variant " + name);
  return *v;
}

const PropResult& result(const CheckReport& r, Prop p) {
  for (const auto& x : r.results)
    if (x.property == p) return x;
  throw std::invalid_argument("property not checked");
}

std::string name(Prop p) {
  return std::string(prop_table()[static_cast<size_t>(p)].name);
}

CheckReport run(const Variant& v, bool por, bool products = false,
                std::optional<Domain> d = std::nullopt) {
  CheckOptions o;
  o.por = por;
  o.products = products;
  o.domain = std::move(d);
  return check(v, o);
}

bool violated(const PropResult& r) {
  return r.verdict == Verdict::violated || r.verdict == Verdict::known_violation;
}

// ---- The B-pairs ----------------------------------------------------------------------------

struct Pair {
  std::string before, after;
};
const std::vector<Pair> kPairs = {
    {"redox-2019-smp-b1-before", "redox-2019-smp-b1-after"},
    {"redox-2019-smp-b2-before", "redox-2019-smp-b2-after"},
    {"redox-2019-smp-b3-before", "redox-2019-smp-b3-after"},
    {"redox-2019-smp-b4-before", "redox-2019-smp-b4-after"},
};

TEST(RedoxSmpPairs, EachBeforeBugIsFoundWithAShortestInterleavingOfTwoOrMoreSwitches) {
  for (const auto& p : kPairs) {
    const Variant& v = variant(p.before);
    ASSERT_FALSE(v.bug.empty()) << v.name;
    // Without reduction: BFS over single steps gives the shortest interleaving.
    const CheckReport r = run(v, false);
    bool any = false;
    for (Prop bug : v.bug) {
      const PropResult& pr = result(r, bug);
      if (pr.verdict != Verdict::violated) continue;
      any = true;
      ASSERT_TRUE(pr.counterexample) << v.name << " " << name(bug);
      EXPECT_GE(pr.context_switches, 2u) << v.name << " " << name(bug);
    }
    EXPECT_TRUE(any) << v.name << ": none of its bug's properties is violated";
    // Every violation of the bug's properties is reported as one (not as known).
    for (Prop bug : v.bug) EXPECT_NE(result(r, bug).verdict, Verdict::known_violation) << v.name;
  }
}

TEST(RedoxSmpPairs, EachAfterHoldsTheBugsProperties) {
  for (const auto& p : kPairs) {
    const Variant& v = variant(p.after);
    const CheckReport r = run(v, true);
    EXPECT_TRUE(r.complete);
    for (Prop bug : v.bug)
      EXPECT_EQ(result(r, bug).verdict, Verdict::holds) << v.name << " " << name(bug);
    // Nothing unexpected: whatever else fails is a bug the commit did not fix, and known.
    for (const auto& pr : r.results)
      EXPECT_NE(pr.verdict, Verdict::violated) << v.name << " " << name(pr.property);
  }
}

TEST(RedoxSmpPairs, BothSidesOfAPairExploreTheSameDomain) {
  for (const auto& p : kPairs) {
    const Domain& a = variant(p.before).domain;
    const Domain& b = variant(p.after).domain;
    EXPECT_EQ(a.program_bound, b.program_bound);
    EXPECT_EQ(a.writes, b.writes);
    EXPECT_EQ(a.requests, b.requests);
    EXPECT_EQ(a.kill_tracee, b.kill_tracee);
    EXPECT_EQ(a.kill_tracer, b.kill_tracer);
    EXPECT_EQ(a.attach, b.attach);
    EXPECT_EQ(a.cpus, b.cpus);
  }
}

// ---- The pairs differ only as the fixing commit does ------------------------------------------

std::multiset<Kind> kinds(const Listing& l) {
  std::multiset<Kind> out;
  for (const Op& op : l.ops)
    if (!is_control(op.kind)) out.insert(op.kind);
  return out;
}

// The listings whose steps differ (kind, operand, control flow); the lines they cite may differ
// anyway when the file differs between the commits.
std::set<Code> differing(const Kernel& a, const Kernel& b) {
  std::set<Code> out;
  for (int c = 1; c < kCodes; ++c) {
    const auto& x = a.code[c].ops;
    const auto& y = b.code[c].ops;
    bool same = x.size() == y.size();
    for (size_t i = 0; same && i < x.size(); ++i)
      same = x[i].kind == y[i].kind && x[i].arg == y[i].arg && x[i].target == y[i].target;
    if (!same) out.insert(static_cast<Code>(c));
  }
  return out;
}

TEST(RedoxSmpListings, B3ChangesOnlyTheWriteAndOnlyItsOrder) {
  const Kernel& before = kernel(Version::v2019);
  const Kernel& after = kernel(Version::v2019_b3_fix);
  EXPECT_EQ(differing(before, after), std::set<Code>{Code::tracer_write});
  const auto kb = kinds(before.code[static_cast<int>(Code::tracer_write)]);
  const auto ka = kinds(after.code[static_cast<int>(Code::tracer_write)]);
  // 3420339c drops cont()'s critical section (lock, lookup, clear, release) and keeps its
  // notify, now inside set_breakpoint's: the same steps, one notify, in another order.
  EXPECT_EQ(kb.count(Kind::notify), ka.count(Kind::notify));
  EXPECT_TRUE(std::includes(kb.begin(), kb.end(), ka.begin(), ka.end()));
  EXPECT_EQ(kb.count(Kind::bp_clear) - ka.count(Kind::bp_clear), 1u);
}

TEST(RedoxSmpListings, B4ChangesOnlyTryStopContextItsCallers) {
  const auto d = differing(kernel(Version::v2019), kernel(Version::v2019_b4_fix));
  EXPECT_EQ(d, (std::set<Code>{Code::tracer_write, Code::tracer_regs}));
}

TEST(RedoxSmpListings, B1ChangesOnlyTheHandleLockingOfReadWriteAndClose) {
  const auto d = differing(kernel(Version::v2019_b1_mutex), kernel(Version::v2019));
  EXPECT_EQ(d, (std::set<Code>{Code::tracer_write, Code::tracer_read, Code::tracer_close,
                               Code::tracer_killed}));
}

TEST(RedoxSmpListings, B2ChangesThePtraceRsFunctionsNotTheSchemesOrder) {
  // 75872cc5 touches ptrace.rs only: the proc.rs parts of write (handles, then cont,
  // set_breakpoint, TF, wait) keep their order.
  const Kernel& a = kernel(Version::v2019);
  const Kernel& b = kernel(Version::v2019_b2_fix);
  for (Code c : {Code::tracer_write, Code::tracer_read, Code::tracer_regs}) {
    std::vector<int> la, lb; // the proc.rs lines, in order
    for (const Op& op : a.code[static_cast<int>(c)].ops)
      if (!is_control(op.kind) && a.rules[op.rule].file == "src/scheme/proc.rs")
        la.push_back(a.rules[op.rule].line);
    for (const Op& op : b.code[static_cast<int>(c)].ops)
      if (!is_control(op.kind) && b.rules[op.rule].file == "src/scheme/proc.rs")
        lb.push_back(b.rules[op.rule].line);
    EXPECT_EQ(la, lb) << code_name(c);
  }
}

TEST(RedoxSmpListings, EveryStepCitesACommitFileAndLineAndEveryJumpLandsInside) {
  const std::set<std::string> commits = {"a57ea6a7", "cf0a7620", "75872cc5", "3420339c",
                                         "e18a8779"};
  for (Version v : {Version::v2019, Version::v2019_b1_mutex, Version::v2019_b2_fix,
                    Version::v2019_b3_fix, Version::v2019_b4_fix, Version::v2020}) {
    const Kernel& k = kernel(v);
    for (int c = 1; c < kCodes; ++c) {
      const auto& ops = k.code[c].ops;
      EXPECT_FALSE(ops.empty()) << k.name << " " << code_name(static_cast<Code>(c));
      for (const Op& op : ops) {
        if (is_control(op.kind)) {
          if (op.kind != Kind::set_ret) {
            EXPECT_LT(op.target, ops.size()) << k.name;
          }
          continue;
        }
        const Source& s = k.rules.at(op.rule);
        EXPECT_TRUE(commits.count(s.commit)) << s.commit;
        EXPECT_GT(s.line, 0) << k.name << " " << s.function << ": " << s.text;
        EXPECT_EQ(s.file.rfind("src/", 0), 0u) << s.file;
        EXPECT_FALSE(s.function.empty());
      }
    }
  }
}

TEST(RedoxSmpListings, ConcurrentProfilesSitOnTheirOwnLayerAndTheCpuLayer) {
  for (const auto& v : variants()) {
    const Profile* p = find_profile(v.name);
    ASSERT_NE(p, nullptr) << v.name;
    EXPECT_EQ(p->level, Level::concurrent);
    EXPECT_EQ(p->layers, (std::vector<Layer>{Layer::redox_smp, Layer::cpu_x86_64}));
  }
  // The Linux profiles keep their 54 rules (tests/model/test_layers.cpp has the layer counts).
  EXPECT_EQ(find_profile("linux-x86_64")->rules().count(), 54u);
  EXPECT_EQ(find_profile("linux-x86_64")->level, Level::interface);
}

// ---- The 2020 suspects, each in the smallest domain that shows it ----------------------------

Domain small(std::vector<uint8_t> writes, int requests, int bound, std::vector<Insn> alphabet,
             std::vector<Attach> attach) {
  Domain d;
  d.writes = std::move(writes);
  d.requests = requests;
  d.program_bound = bound;
  d.alphabet = std::move(alphabet);
  d.attach = std::move(attach);
  d.regs = false;
  return d;
}

TEST(RedoxSmp2020, B8TheReadSleepsThroughTheTraceesExit) {
  const auto r = run(variant("redox-2020-smp"), true, false,
                     small({flag::post}, 2, 0, {Insn::nop}, {Attach::plain}));
  EXPECT_TRUE(violated(result(r, Prop::exit_wakeup)));
}

TEST(RedoxSmp2020, B9TheTraceeSleepsOnTheSessionTheTracerClosed) {
  const auto r = run(variant("redox-2020-smp"), true, false,
                     small({flag::pre}, 1, 0, {Insn::nop}, {Attach::plain}));
  EXPECT_TRUE(violated(result(r, Prop::detach_wakeup)));
}

TEST(RedoxSmp2020, B11AStaleTrapFlagKillsTheTracee) {
  const auto r = run(variant("redox-2020-smp"), true, false,
                     small({flag::step | flag::pre}, 1, 1, {Insn::nop}, {Attach::frozen}));
  EXPECT_TRUE(violated(result(r, Prop::step_only_when_armed)));
}

TEST(RedoxSmp2020, B12ACloneWhoseEventIsNotReadStaysFrozen) {
  Domain d = small({flag::clone}, 1, 1, {Insn::clone}, {Attach::plain});
  d.cpus = 3;
  const auto r = run(variant("redox-2020-smp"), true, false, d);
  EXPECT_TRUE(violated(result(r, Prop::clone_released)));
  EXPECT_TRUE(violated(result(r, Prop::clone_frozen_before_run)));
}

TEST(RedoxSmp2020, NoLostWakeupOfTheEventOrTheResume) {
  // What 75872cc5 fixed stays fixed in the full domain: exploring it is the profile's check,
  // here at two requests.
  Domain d = variant("redox-2020-smp").domain;
  d.requests = 2;
  const auto r = run(variant("redox-2020-smp"), true, false, d);
  EXPECT_EQ(result(r, Prop::event_wakeup).verdict, Verdict::holds);
  EXPECT_EQ(result(r, Prop::resume_wakeup).verdict, Verdict::holds);
}

// ---- Scale: the reduction keeps every verdict -------------------------------------------------

TEST(RedoxSmpReduction, SameVerdictsWithAndWithoutItOnEveryPairVariant) {
  for (const auto& p : kPairs)
    for (const std::string& n : {p.before, p.after}) {
      const Variant& v = variant(n);
      const CheckReport reduced = run(v, true, true);
      const CheckReport full = run(v, false, true);
      ASSERT_EQ(reduced.results.size(), full.results.size());
      for (size_t i = 0; i < full.results.size(); ++i) {
        EXPECT_EQ(reduced.results[i].verdict, full.results[i].verdict)
            << n << " " << name(full.results[i].property);
        // BFS without reduction gives the shortest interleaving; with it, one at least as long.
        if (full.results[i].counterexample) {
          EXPECT_GE(reduced.results[i].length, full.results[i].length) << n;
        }
      }
      EXPECT_LT(reduced.phases[0].stats.states, full.phases[0].stats.states) << n;
    }
}

TEST(RedoxSmpReduction, DeterminismByHistoriesAgreesWithThePairedProduct) {
  for (const char* n :
       {"redox-2019-smp-b1-before", "redox-2019-smp-b1-after", "redox-2019-smp-b4-after"}) {
    CheckOptions o;
    o.only = {Prop::determinism};
    const auto histories = check(variant(n), o);
    o.paired_determinism = true;
    const auto paired = check(variant(n), o);
    EXPECT_EQ(histories.results.at(0).verdict, paired.results.at(0).verdict) << n;
  }
}

// ---- Counterexamples replay -------------------------------------------------------------------

TEST(RedoxSmpScenarios, EveryBeforeCounterexampleReplaysToItsViolation) {
  for (const auto& p : kPairs) {
    const Variant& v = variant(p.before);
    const CheckReport r = run(v, true);
    const SmpModel m(v.version, r.domain, true);
    for (Prop bug : v.bug) {
      const PropResult& pr = result(r, bug);
      if (!pr.counterexample) continue;
      const std::string text = format_interleaving(v, m, *pr.counterexample, "test");
      const auto parsed = parse_interleaving(text, "ce.ptmc");
      ASSERT_FALSE(parsed.error) << parsed.error->what() << "\n" << text;
      const auto rep = replay(v, *parsed.scenario);
      ASSERT_FALSE(rep.error) << rep.error->what();
      EXPECT_TRUE(rep.matches_expect) << text;
      EXPECT_NE(std::find(rep.outcome.begin(), rep.outcome.end(), "violation " + name(bug)),
                rep.outcome.end())
          << text;
    }
  }
}

TEST(RedoxSmpScenarios, BadInputIsNamedWithLineAndColumn) {
  const std::string head = "ptmc-scenario 1\nprofile redox-2019-smp\n\ntracee:\n  nop\n\n";
  struct Case {
    std::string body;
    int line, column;
    std::string words;
  } cases[] = {
      {"interleaving:\n  tracor user\n", 8, 3, "unknown thread 'tracor'"},
      {"interleaving:\n  tracer request write PRE_SYSCALL|NOPE\n", 8, 24, "unknown flag"},
      {"interleaving:\n  tracee request read\n", 8, 10, "only the tracer makes requests"},
      {"interleaving:\n  env kill clone\n", 8, 7, "kill tracee"},
      {"nonsense:\n", 7, 1, "unknown section"},
  };
  for (const auto& c : cases) {
    const auto p = parse_interleaving(head + c.body, "f.ptmc");
    ASSERT_TRUE(p.error) << c.body;
    EXPECT_EQ(p.error->line, c.line) << c.body;
    EXPECT_EQ(p.error->column, c.column) << c.body;
    EXPECT_NE(p.error->what().find(c.words), std::string::npos) << p.error->what();
    EXPECT_EQ(p.error->what().rfind("f.ptmc:", 0), 0u);
  }
  // A step the model cannot take, and a step that is not the one named, are errors too.
  auto replay_error = [&](const std::string& body) {
    const auto p = parse_interleaving(head + body, "f.ptmc");
    EXPECT_FALSE(p.error);
    return replay(*find_variant("redox-2019-smp"), *p.scenario).error;
  };
  const auto e1 = replay_error("interleaving:\n  tracer step\n");
  ASSERT_TRUE(e1);
  EXPECT_EQ(e1->line, 8);
  const auto e2 = replay_error(
      "interleaving:\n  tracer request write PRE_SYSCALL\n  tracer step ptrace.rs:1\n");
  ASSERT_TRUE(e2);
  EXPECT_NE(e2->message.find("proc.rs:399"), std::string::npos) << e2->message;
}

// ---- Refinement against the interface profiles -------------------------------------------------

CheckReport interface_check(const Variant& v, int program, int requests, int cpus,
                            const Profile* spec = nullptr) {
  Domain d = v.domain;
  d.program_bound = program;
  d.requests = requests;
  d.cpus = cpus;
  CheckOptions o;
  o.domain = d;
  o.only = {Prop::refinement_interface};
  o.interface_profile = spec;
  return check(v, o);
}

bool has_phase(const CheckReport& r, const std::string& phase) {
  return std::any_of(r.phases.begin(), r.phases.end(),
                     [&](const PhaseStats& p) { return p.phase == phase; });
}

TEST(RedoxSmpInterface, BothKernelsRefineTheirInterfaceProfileOnOneCpu) {
  for (const char* n : {"redox-2019-smp", "redox-2020-smp"}) {
    const auto r = interface_check(variant(n), 2, 3, 1);
    const auto& pr = result(r, Prop::refinement_interface);
    EXPECT_EQ(pr.verdict, Verdict::holds) << n << ": " << pr.note;
    EXPECT_NE(pr.note.find("which is deterministic per observation"), std::string::npos) << n;
    EXPECT_TRUE(has_phase(r, "refinement-interface")) << n;
  }
}

TEST(RedoxSmpInterface, OnTwoCpusTheListingsAgreeAndOnlyTheRacesDiffer) {
  // The same listings run atomically refine the interface profile (else check() would stop
  // there and mark the counterexample atomic_side); the concurrent model's difference is a race.
  for (const char* n : {"redox-2019-smp", "redox-2020-smp"}) {
    const auto r = interface_check(variant(n), 2, 3, 2);
    const auto& pr = result(r, Prop::refinement_interface);
    EXPECT_EQ(pr.verdict, Verdict::known_violation) << n << ": " << pr.note;
    ASSERT_TRUE(pr.counterexample) << n;
    EXPECT_FALSE(pr.atomic_side) << n << ": " << pr.note;
    EXPECT_GE(pr.context_switches, 2u) << n;
    EXPECT_TRUE(has_phase(r, "refinement-interface")) << n;
  }
}

TEST(RedoxSmpInterface, TheB2BeforeLostWakeupIsARefinementCounterexample) {
  const auto r = interface_check(variant("redox-2019-smp-b2-before"), 2, 3, 2);
  const auto& pr = result(r, Prop::refinement_interface);
  ASSERT_TRUE(violated(pr));
  ASSERT_TRUE(pr.counterexample);
  EXPECT_FALSE(pr.atomic_side);
  EXPECT_NE(pr.note.find("never hangs"), std::string::npos) << pr.note;
}

TEST(RedoxSmpInterface, ABrokenInterfaceSideIsCaughtAlreadyAtomically) {
  // A mutant of the specification: the comparison must notice, with a replayable interleaving.
  const std::vector<std::pair<const char*, RuleId>> mutants = {
      {"redox-2019", RuleId::rdx_ignore_skips_syscall},
      {"redox-2020", RuleId::rdx_r20_wait},
      {"redox-2020", RuleId::rdx_pre_stop},
  };
  for (const auto& [base, rule] : mutants) {
    const Profile spec = mutant_profile(*find_profile(base), rule);
    const std::string smp = std::string(base) + "-smp";
    const auto r = interface_check(variant(smp), 2, 3, 1, &spec);
    const auto& pr = result(r, Prop::refinement_interface);
    EXPECT_EQ(pr.verdict, Verdict::violated) << base << " " << static_cast<int>(rule);
    EXPECT_TRUE(pr.atomic_side) << base;
    ASSERT_TRUE(pr.counterexample) << base;
    const SmpModel m(variant(smp).version, r.domain, true);
    EXPECT_FALSE(format_interleaving(variant(smp), m, *pr.counterexample, "").empty());
  }
}

TEST(RedoxSmpInterface, NoInterfaceProfileForTheFixedKernelsOfThePairs) {
  const auto r = interface_check(variant("redox-2019-smp-b2-after"), 1, 2, 1);
  EXPECT_TRUE(std::none_of(r.results.begin(), r.results.end(), [](const PropResult& p) {
    return p.property == Prop::refinement_interface;
  }));
}

TEST(RedoxSmpInterface, TheRipProjectionSkipsTheExitTailsNr) {
  // Program of 2: indices 0, 1 are the program's, 2 the tail's `nr`, 3 its `syscall`, 4 after it.
  EXPECT_EQ(project_rip(0, 2), 0u);
  EXPECT_EQ(project_rip(2, 2), 2u);
  EXPECT_EQ(project_rip(3, 2), 2u);
  EXPECT_EQ(project_rip(4, 2), 3u);
}

} // namespace
} // namespace ptmc::redox_smp
