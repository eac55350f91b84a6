// A profile is one semantics: a stack of layers (a CPU, a kernel's generic layer, its glue for
// that CPU) plus a small named delta (a seeded bug, a design variant, a mutant). Deltas are
// fields here, so a new profile is a few lines in profiles.cpp rather than a copy of the
// transition function. docs/model-layers.md shows the layers.
#pragma once

#include "model/cpu/x86_64/regs.hpp"
#include "model/rules.hpp"
#include "scenario/scenario.hpp"

#include <optional>
#include <string>
#include <vector>

namespace ptmc {

// What the explorer enumerates. Small on purpose: each value stands for a class of behaviour.
struct Domain {
  int program_bound = 6;           // instructions chosen before the exit_group tail
  std::vector<Insn> alphabet;      // program choices, made lazily at first execution
  std::vector<Insn> handler;       // the SIGUSR1 handler body used while exploring
  std::vector<int> inject_signals; // signals the tracer may inject, besides none
  std::vector<int64_t> orig_rax_edits;
  std::vector<int64_t> rax_edits;
  bool rip_skip_edit = true;      // rip = the next instruction (skips one)
  std::vector<int> tf_edits;      // values the tracer may write to TF
  bool both_tracesysgood = false; // also explore without PTRACE_O_TRACESYSGOOD
};

// A property the profile is known to violate, with the reason. `check` still reports it, as an
// expected violation, and the report lists it as a kernel quirk.
struct ExpectedViolation {
  std::string property;
  std::string explanation;
};

// Where a single step over a syscall instruction stops (the RFC's question "once or twice around
// a syscall?"). Linux stops once, after the syscall (report_single_step at syscall exit).
enum class StepAroundSyscall : uint8_t {
  after,            // Linux: one stop, at syscall exit
  before_and_after, // twice, like PTRACE_SYSCALL: an entry stop, then the exit report
  before,           // once, at syscall entry; nothing at exit
};

struct Profile {
  std::string name;
  std::string summary;
  std::string parent;           // the profile this one is a delta on, or empty
  std::string kernel = "linux"; // with `arch`, picks the transition function (model/models.hpp)
  std::string arch = "x86_64";
  // The layers whose rules this profile's transition function consults, and only those: coverage,
  // mutation and "confirmed by a real kernel" count these.
  std::vector<Layer> layers = {Layer::linux_generic, Layer::linux_entry, Layer::linux_x86_64,
                               Layer::cpu_x86_64};

  // The deltas.
  uint64_t fmask = x86::kLinuxFmask;       // bug-no-fmask: without TF
  bool step_arm_assigns = false;           // bug-rflags-assign: rflags = TF, not |=
  bool signal_stop_writes_to_live = false; // bug-signal-frame: writes at a signal stop lost
  std::optional<RuleId> mutation;          // a mutant: one rule changed (see rules.hpp)
  // Design variants (the RFC questions; model/profiles.cpp names them variant-*).
  StepAroundSyscall step_around_syscall = StepAroundSyscall::after;
  bool sysemu_step_reports_exit = false; // SYSEMU_SINGLESTEP reports the step at syscall exit

  Domain domain;
  std::vector<ExpectedViolation> expected;

  const ExpectedViolation* expected_violation(const std::string& property) const;
  RuleSet rules() const { return rules_of(layers); }
};

// All named profiles, in the order `ptmc profiles` lists them.
const std::vector<Profile>& profiles();
const Profile* find_profile(const std::string& name);

// The profile a mutant of `base` runs on.
Profile mutant_profile(const Profile& base, RuleId rule);

} // namespace ptmc
