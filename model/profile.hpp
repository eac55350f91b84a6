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
  // Redox (kernel "redox"): the flag words the explorer's tracer writes, and whether it also
  // explores a trace file opened with O_EXCL.
  std::vector<uint64_t> redox_words;
  bool redox_both_excl = false;
};

// How a profile's kernel runs against the tracer. `interface`: one tracer, one tracee, each
// kernel entry atomic (every Linux profile, redox-2019, redox-2020). `concurrent`: tracer and
// tracee as kernel threads on several CPUs, interleaved at the kernel's own steps (the Redox SMP
// profiles, model/redox/smp; `check` and `run` use that model's own engines).
enum class Level : uint8_t { interface, concurrent };

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

// Which frame a tracer's register write reaches while a signal frame waits to be restored (the
// RFC's question 1, from the seed's Issue #1). Linux has one answer, the live registers, and
// never meets the question at its signal-delivery-stop, which comes before the frame is built
// (arch/x86/kernel/signal.c: get_signal, where ptrace_signal stops, runs before
// handle_signal/setup_rt_frame), so a write there is saved into the frame and comes back at
// rt_sigreturn. The others are designs where a write made while a handler's frame is pending
// can go to that frame instead.
enum class RegisterWriteTarget : uint8_t {
  live,               // Linux: pt_regs, whatever is pending
  restored_always,    // while a handler's frame is pending, that frame (what rt_sigreturn restores)
  restored_when_next, // that frame only when its restore comes next (a stop at rt_sigreturn's
                      // entry); otherwise the live registers
};

struct Profile {
  std::string name;
  std::string summary;
  std::string parent;           // the profile this one is a delta on, or empty
  std::string kernel = "linux"; // with `arch`, picks the transition function (model/models.hpp)
  std::string arch = "x86_64";
  int redox_version = 0; // kernel "redox": 2019 (kernel a57ea6a7) or 2020 (kernel e18a8779)
  Level level = Level::interface;
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
  RegisterWriteTarget register_write_target = RegisterWriteTarget::live;

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
