// The abstraction that frees rip from the program bound, checked against the explicit model;
// the protocol properties proved by induction for linux-x86_64; each seeded bug refuted with a
// scenario that the model replays into the violation (prove/README.md, "Programs of any length").
#include "engine/check.hpp"
#include "engine/models.hpp"
#include "engine/runner.hpp"
#include "model/fingerprint.hpp"
#include "prove/abstraction.hpp"
#include "prove/induction.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <unordered_set>

namespace ptmc::prove {
namespace {

const Profile& linux_profile() {
  return *find_profile("linux-x86_64");
}

uint64_t key(const AbstractState& s) {
  return fingerprint(&s, sizeof s);
}

// Every initial state of the explorer at `bound`, abstracted, is an initial state of the abstract
// model, and each transition the explorer takes from each state it reaches, abstracted, is one
// of the abstract model's transitions under the same label (so, by induction, every state it
// reaches abstracts to one the abstract model reaches); the symbolic control fixpoint holds the
// control part of every one of them.
void check_abstraction(int bound, const std::unordered_set<uint64_t>* controls) {
  Profile concrete = linux_profile();
  concrete.domain.program_bound = bound;
  const LinuxX86Model model(concrete, std::nullopt, concrete.domain.handler);
  const MonitoredModel<LinuxX86Model> explorer(model, false);
  Profile abstract_profile = linux_profile();
  abstract_profile.domain.program_bound = kAbstractBound;
  const LinuxX86Model abstract_model(abstract_profile, std::nullopt,
                                     abstract_profile.domain.handler);
  const MonitoredModel<LinuxX86Model> abstract_explorer(abstract_model, false);
  const auto alpha = [&](AbstractState s) {
    s.s = abstract_state(s.s, static_cast<size_t>(bound));
    return s;
  };

  std::unordered_set<uint64_t> initial;
  for (const AbstractState& s : abstract_initial_states(linux_profile())) initial.insert(key(s));
  std::unordered_set<uint64_t> seen;
  std::vector<AbstractState> queue;
  size_t transitions = 0, failures = 0;
  for (const AbstractState& s : explorer.initial_states()) {
    if (!initial.count(key(alpha(s))) && failures++ < 5)
      ADD_FAILURE() << "bound " << bound << ": an initial state is not an abstract one";
    if (seen.insert(key(s)).second) queue.push_back(s);
  }
  for (size_t i = 0; i < queue.size(); ++i) {
    const AbstractState a = alpha(queue[i]);
    AbstractState control = control_of(a);
    control.m = monitor_for(control.m, PropertyId::kernel_mode_tf);
    if (controls && !controls->count(key(control)) && failures++ < 5)
      ADD_FAILURE() << "bound " << bound << ": state " << i
                    << "'s control part is not in the symbolic fixpoint";
    auto emit = [&](const Label& l, const AbstractState& next, Violations, uint8_t) {
      ++transitions;
      if (seen.insert(key(next)).second) queue.push_back(next);
      AbstractState abstract_next;
      if (l.who == Label::Who::tracer)
        abstract_explorer.step_tracer(a, abstract_model.tracer_domain()[l.index], l.peek,
                                      abstract_next);
      else
        abstract_explorer.step_tracee(a, l.index, abstract_next);
      const AbstractState want = alpha(next);
      bool matched = false;
      std::string differs;
      for (const AbstractState& w : widen(abstract_next)) {
        matched = matched || key(w) == key(want);
        const auto* x = reinterpret_cast<const unsigned char*>(&w);
        const auto* y = reinterpret_cast<const unsigned char*>(&want);
        for (size_t b = 0; b < sizeof w; ++b)
          if (x[b] != y[b]) differs += " byte " + std::to_string(b);
      }
      if (!matched && failures++ < 5)
        ADD_FAILURE() << "bound " << bound << ": a transition from state " << i
                      << " has no abstract counterpart (differs at" << differs << ")";
    };
    const AbstractState from = queue[i]; // emit may grow the queue
    explorer.expand(from, emit);
  }
  EXPECT_EQ(failures, 0u);
  std::printf("bound %d: %zu states, %zu transitions, all abstracted into the abstract model\n",
              bound, queue.size(), transitions);
}

// The symbolic control fixpoint takes minutes (prove/README.md): the tests that need it run in
// scripts/nightly.sh (prove_induction), which sets this variable.
bool heavy_runs() {
  return std::getenv("PTMC_PROVE_INDUCTION") != nullptr;
}

TEST(Abstraction, CoversTheExplorersStatesAndTransitions) {
  for (int bound : {0, 1, 2}) check_abstraction(bound, nullptr);
}

TEST(Abstraction, ControlFixpointHoldsEveryAbstractedState) {
  if (!heavy_runs()) GTEST_SKIP() << "nightly (PTMC_PROVE_INDUCTION=1): minutes";
  const auto controls = abstract_controls(linux_profile(), PropertyId::kernel_mode_tf);
  std::unordered_set<uint64_t> control_keys;
  for (const AbstractState& s : controls) control_keys.insert(key(s));
  std::printf("abstract model: %zu control parts with the data free\n", controls.size());
  for (int bound : {0, 1, 2}) check_abstraction(bound, &control_keys);
}

// Each seeded bug breaks a protocol property; the base case finds the violation from the
// initial stop and prints a scenario, which the model's runner (what `ptmc run` does) replays
// into a violation of that same property.
TEST(Protocol, SeededBugsRefutedWithReplayableScenarios) {
  const struct {
    const char* profile;
    PropertyId property;
  } kCases[] = {{"bug-no-fmask", PropertyId::kernel_mode_tf},
                {"bug-signal-frame", PropertyId::register_write_persistence}};
  for (const auto& k : kCases) {
    const std::string name(property_info(k.property).name);
    const ProtocolResult r = prove_protocol(*find_profile(k.profile), name);
    ASSERT_EQ(r.verdict, Verdict::refuted) << k.profile << " " << name << ": " << r.reason;
    const ParseResult parsed = parse_scenario(r.scenario, "counterexample");
    ASSERT_TRUE(parsed.scenario) << r.scenario;
    const ModelRun run = run_on_model(*parsed.scenario, *find_profile(k.profile));
    ASSERT_FALSE(run.error) << *run.error;
    bool shown = false;
    for (const RunViolation& v : run.violations) shown = shown || v.property == k.property;
    EXPECT_TRUE(shown) << k.profile << ": the replay does not violate " << name << "\n"
                       << r.scenario;
    std::printf("%s refutes %s in %d steps (%.2f s)\n", k.profile, name.c_str(), r.steps,
                r.seconds);
  }
}

// The cross-check, refutation side: for linux-x86_64 and every delta prove supports, each
// protocol property `check` finds violated at a small bound, prove refutes from the initial
// state (with a scenario that replays into it). The other side (proved => check finds none)
// needs the step cases: nightly, in EventPropertiesProvedForLinux.
// The violations `check` finds in `p` at `bound` among the protocol properties, each refuted by
// prove from the initial state with a scenario that replays into it; returns how many.
size_t expect_check_violations_refuted(const Profile& p, int bound) {
  CheckOptions o;
  o.bound = bound;
  o.threads = 1;
  o.only = protocol_properties();
  const CheckReport report = check_profile(p, o);
  size_t refuted = 0;
  for (const PropertyResult& r : report.results) {
    if (r.verdict != ptmc::Verdict::violated && r.verdict != ptmc::Verdict::expected_violation)
      continue;
    InductionOptions io;
    io.bmc_depth = static_cast<int>(r.counterexample_length);
    const std::string name(property_info(r.property).name);
    const ProtocolResult proof = prove_protocol(p, name, io);
    EXPECT_EQ(proof.verdict, Verdict::refuted)
        << p.name << " " << name << ": check finds a violation in " << r.counterexample_length
        << " transitions; prove: " << proof.reason;
    if (proof.verdict != Verdict::refuted) continue;
    ++refuted;
    EXPECT_LE(proof.steps, static_cast<int>(r.counterexample_length)) << p.name << " " << name;
    const ParseResult parsed = parse_scenario(proof.scenario, "counterexample");
    EXPECT_TRUE(parsed.scenario) << proof.scenario;
    if (!parsed.scenario) continue;
    const ModelRun run = run_on_model(*parsed.scenario, p);
    bool shown = false;
    for (const RunViolation& v : run.violations) shown = shown || v.property == r.property;
    EXPECT_TRUE(shown) << p.name << ": the replay does not violate " << name;
  }
  return refuted;
}

int bound_from_env(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : fallback;
}

TEST(Protocol, CheckViolationsAreRefuted) {
  const int bound = bound_from_env("PTMC_PROVE_CROSS_BOUND", 1);
  size_t refuted = 0;
  for (const Profile& p : profiles())
    if (!unsupported(p) && p.kernel == "linux")
      refuted += expect_check_violations_refuted(p, bound);
  EXPECT_GT(refuted, 0u);
  std::printf("%zu (profile, property) violations check found at bound %d, each refuted\n", refuted,
              bound);
}

// The same for every single-rule mutant of linux-x86_64 (`ptmc mutate`'s): each mutant that
// check kills by a protocol property, prove refutes too.
TEST(Protocol, MutantsCheckKillsAreRefuted) {
  const int bound = bound_from_env("PTMC_PROVE_CROSS_BOUND", 1);
  size_t mutants = 0, killed = 0, refuted = 0;
  for (size_t i = 0; i < kRuleCount; ++i) {
    if (!linux_profile().rules().test(i)) continue;
    ++mutants;
    const size_t n = expect_check_violations_refuted(
        mutant_profile(linux_profile(), static_cast<RuleId>(i)), bound);
    killed += n > 0;
    refuted += n;
  }
  std::printf("%zu mutants; %zu with a protocol-property violation check finds at bound %d "
              "(sysemu-step-granularity's expected one counts), %zu violations, each refuted\n",
              mutants, killed, bound, refuted);
}

// The step cases on linux-x86_64 (minutes each), and each against the mutant of the rule it
// rests on with the base case cut to the initial states: the step case alone must then fail, so
// the proof is not vacuous.
TEST(Protocol, EventPropertiesProvedForLinux) {
  if (!heavy_runs()) GTEST_SKIP() << "nightly (PTMC_PROVE_INDUCTION=1): minutes";
  const struct {
    const char* property;
    const char* rule;
  } kCases[] = {{"kernel-mode-tf", "entry-fmask-clears-tf"},
                {"sysemu-never-executes", "entry-emu-skips"}};
  for (const auto& k : kCases) {
    const ProtocolResult r = prove_protocol(linux_profile(), k.property);
    EXPECT_EQ(r.verdict, Verdict::proved) << k.property << ": " << r.reason;
    std::printf("%s: %s in %.1f s, k=%d, %zu control parts, %zu paths, base case %zu states to "
                "depth %d\n",
                k.property, std::string(verdict_name(r.verdict)).c_str(), r.seconds, r.k,
                r.controls, r.paths, r.bmc_states, r.bmc_depth);
    InductionOptions step_only;
    step_only.bmc_depth = 0;
    const ProtocolResult m = prove_protocol(mutant_profile(linux_profile(), *rule_by_name(k.rule)),
                                            k.property, step_only);
    EXPECT_NE(m.verdict, Verdict::proved) << k.property << " survives the mutant of " << k.rule;
  }
}

} // namespace
} // namespace ptmc::prove
