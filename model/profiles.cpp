#include "model/profile.hpp"

#include <vector>

namespace ptmc {

namespace {

Domain linux_domain() {
  Domain d;
  d.program_bound = 6;
  d.alphabet = {
      Insn{Op::nop, 0, Arg::buf},
      Insn{Op::set_nr, nr::getpid, Arg::buf},
      Insn{Op::set_nr, nr::write, Arg::buf},
      Insn{Op::set_nr, nr::kill, Arg::buf},
      Insn{Op::set_nr, nr::exit_group, Arg::buf},
      Insn{Op::set_nr, nr::none, Arg::buf},
      Insn{Op::set_nr, nr::invalid, Arg::buf},
      Insn{Op::set_arg, 0, Arg::sigusr1},
      Insn{Op::set_arg, 0, Arg::sigusr2},
      Insn{Op::syscall, 0, Arg::buf},
      Insn{Op::int3, 0, Arg::buf},
      Insn{Op::cmp, 0, Arg::buf},
      Insn{Op::setz, 0, Arg::buf},
      Insn{Op::pushf, 0, Arg::buf},
      Insn{Op::or_tf, 0, Arg::buf},
      Insn{Op::and_tf, 0, Arg::buf},
      Insn{Op::popf, 0, Arg::buf},
  };
  d.handler = {}; // the fixed tail only: add rsp, 8; nr rt_sigreturn; syscall; jmp
  // One value per role keeps bound 6 under a minute (docs/state-space.md measures the others):
  // SIGUSR1 reaches the handler, SIGUSR2 kills; orig_rax = -1 emulates; rax = 4242 is a result no
  // syscall here returns. TF edits multiply the space by four; `check --tf-edits` adds them.
  d.inject_signals = {sig::usr1, sig::usr2};
  d.orig_rax_edits = {nr::none};
  d.rax_edits = {kTracerResult};
  d.tf_edits = {};
  return d;
}

Profile linux_x86_64() {
  Profile p;
  p.name = "linux-x86_64";
  p.summary = "Linux x86_64 with generic entry (5.11 and later), as read from the kernel source";
  p.domain = linux_domain();
  p.expected = {
      {"tf-transparency",
       "pushf while the debugger single-steps pushes the debugger's TF (the CPU pushes the live "
       "RFLAGS); a later popf makes that TF the tracee's own, and the tracee traps itself. "
       "arch/x86/kernel/step.c is_setting_trap_flag special-cases popf and iret, not pushf."},
      {"tracee-tf-persistence",
       "PTRACE_SINGLESTEP from a syscall-enter-stop, when the instruction after the syscall is "
       "popf: enable_single_step peeks at rip, sees popf, and leaves TF unmarked (not "
       "TIF_FORCED_TF) although the popf is not the next thing to run; the later PTRACE_CONT then "
       "leaves the debugger's TF set, and the tracee stops once more after the popf. "
       "arch/x86/kernel/step.c enable_single_step; its own comment admits the bookkeeping is "
       "lost when the popf does not run next. Reproduced on the host kernel."},
      {"sysemu-step-granularity",
       "After a SYSEMU_SINGLESTEP syscall-enter-stop, resuming with SYSEMU_SINGLESTEP again "
       "reports nothing at syscall exit (kernel/entry/common.c report_single_step returns false "
       "under SYSCALL_EMU), so the next stop comes after the following instruction too."},
  };
  return p;
}

// The domain of the SPIN twin (bench/spin/ptrace.pml), written out rather than taken from
// linux_domain(), so that the twin and this profile keep agreeing when the default changes.
Domain spin_twin_domain() {
  Domain d;
  d.program_bound = 4;
  d.alphabet = {
      Insn{Op::nop, 0, Arg::buf},
      Insn{Op::set_nr, nr::getpid, Arg::buf},
      Insn{Op::set_nr, nr::write, Arg::buf},
      Insn{Op::set_nr, nr::kill, Arg::buf},
      Insn{Op::set_nr, nr::exit_group, Arg::buf},
      Insn{Op::set_nr, nr::none, Arg::buf},
      Insn{Op::set_nr, nr::invalid, Arg::buf},
      Insn{Op::set_arg, 0, Arg::sigusr1},
      Insn{Op::set_arg, 0, Arg::sigusr2},
      Insn{Op::syscall, 0, Arg::buf},
      Insn{Op::int3, 0, Arg::buf},
      Insn{Op::cmp, 0, Arg::buf},
      Insn{Op::setz, 0, Arg::buf},
      Insn{Op::pushf, 0, Arg::buf},
      Insn{Op::or_tf, 0, Arg::buf},
      Insn{Op::and_tf, 0, Arg::buf},
      Insn{Op::popf, 0, Arg::buf},
  };
  d.handler = {};
  d.inject_signals = {sig::usr1, sig::usr2};
  d.orig_rax_edits = {nr::none};
  d.rax_edits = {kTracerResult};
  d.rip_skip_edit = true;
  d.tf_edits = {};
  d.both_tracesysgood = false;
  return d;
}

// Linux 6.1 on arm64, as Debian ships it and the qemu-aarch64 target boots it. The same alphabet
// without x86's self-step instructions (no arm64 form, scenario/arch.cpp), the same tracer.
Profile linux_aarch64() {
  Profile p;
  p.name = "linux-aarch64";
  p.summary = "Linux 6.1 on arm64 (no generic entry), as read from the kernel source";
  p.arch = "aarch64";
  p.layers = {Layer::linux_generic, Layer::linux_aarch64, Layer::cpu_aarch64};
  p.domain = linux_domain();
  std::erase_if(p.domain.alphabet,
                [](const Insn& in) { return unsupported_on(Arch::aarch64, in).has_value(); });
  p.expected = {
      {"step-granularity",
       "Two arm64 behaviours end a PTRACE_SINGLESTEP with no instruction retired. A stepped brk "
       "takes its exception before it completes, pc stays on it (Arm ARM; debug-monitors.c "
       "brk_handler). And a stepped svc leaves the step pending (SPSR.SS = 0), which "
       "user_enable_single_step does not re-arm for a task already stepping (test_and_set), so "
       "after the SI_USER report at syscall exit the next PTRACE_SINGLESTEP stops at once at "
       "the same pc. Both seen on Debian's 6.1 arm64 kernel (docs/arm64-observations.md 2, 4)."},
      {"sysemu-step-granularity",
       "As step-granularity: an svc stepped into its SYSEMU entry stop leaves the step pending, "
       "so after the SI_USER report at the emulated syscall's exit the next SYSEMU_SINGLESTEP "
       "stops at the same pc with nothing retired; and a stepped brk retires nothing. (x86's "
       "reason, no report at syscall exit under SYSCALL_EMU, does not exist on arm64: "
       "syscall_trace_exit reports it.)"},
      {"register-write-persistence",
       "A tracer's write of PSTATE.SS (ss=) is lost: every NT_PRSTATUS write goes through "
       "valid_user_regs, which sets SS from TIF_SINGLESTEP (arch/arm64/kernel/ptrace.c, "
       "debug-monitors.c user_regs_reset_single_step). Seen on the kernel "
       "(docs/arm64-observations.md section 9). Only `check --tf-edits` explores ss= edits."},
      {"tracee-tf-persistence",
       "Nothing but the kernel owns PSTATE.SS on arm64: the tracee cannot set it (no pushf/popf "
       "path: MDSCR_EL1.SS and SS are out of EL0's reach), and a tracer's ss= write is replaced "
       "by TIF_SINGLESTEP at once (valid_user_regs -> user_regs_reset_single_step), so an SS the "
       "tracer wrote does not survive the resume. Only `check --tf-edits` explores ss= edits."},
      {"no-deadlock",
       "brk leaves pc on itself (debug-monitors.c brk_handler; BRK's preferred return address is "
       "the BRK), so a tracer that only resumes runs the same brk again for ever: it has to "
       "write pc past it, or deliver the SIGTRAP (docs/arm64-observations.md section 4)."},
  };
  return p;
}

Profile delta(const Profile& base, std::string name, std::string summary) {
  Profile p = base;
  p.parent = base.name;
  p.name = std::move(name);
  p.summary = std::move(summary);
  return p;
}

std::vector<Profile> make_profiles() {
  std::vector<Profile> all;
  const Profile linux = linux_x86_64();
  all.push_back(linux);

  // Redox seed issue #1: register writes during signal handling went to the live frame, which
  // the kernel then threw away by restoring the to-be-restored one (redox kernel ptrace.rs
  // regs_for, fixed in 6a3825d4).
  Profile frame = delta(linux, "bug-signal-frame",
                        "seed bug 1: a register write at a signal-delivery-stop is lost");
  frame.signal_stop_writes_to_live = true;
  all.push_back(frame);

  // Redox seed issue #2: IA32_FMASK was 0x200 (IF only), so TF stayed set in the kernel.
  Profile fmask =
      delta(linux, "bug-no-fmask", "seed bug 2: SYSCALL does not clear TF (FMASK without TF)");
  fmask.fmask = x86::IF;
  all.push_back(fmask);

  // Redox seed issue #3: `regs.iret.rflags = 1 << 8` instead of `|=`.
  Profile assign =
      delta(linux, "bug-rflags-assign", "seed bug 3: single-step does rflags = TF, not |= TF");
  assign.step_arm_assigns = true;
  all.push_back(assign);

  // Design variants for the RFC's open questions (seed part 2): what a kernel could do instead of
  // Linux. Each changes one decision; `ptmc check` says which properties it keeps.
  Profile twice = delta(linux, "variant-step-twice",
                        "design variant: single-step stops twice around a syscall (at entry, like "
                        "PTRACE_SYSCALL, and at exit)");
  twice.step_around_syscall = StepAroundSyscall::before_and_after;
  all.push_back(twice);

  Profile before = delta(linux, "variant-step-at-entry",
                         "design variant: single-step stops once around a syscall, at entry");
  before.step_around_syscall = StepAroundSyscall::before;
  all.push_back(before);

  Profile emu_exit = delta(linux, "variant-sysemu-step-exit",
                           "design variant: SYSEMU_SINGLESTEP reports the step at syscall exit "
                           "even for an emulated syscall");
  emu_exit.sysemu_step_reports_exit = true;
  std::erase_if(emu_exit.expected, [](const ExpectedViolation& e) {
    return e.property == "sysemu-step-granularity"; // the quirk this variant removes
  });
  all.push_back(emu_exit);

  // The SPIN twin's domain (bench/spin/): the same semantics, a pinned domain that a Promela
  // model expresses directly; the two must count the same states at every bound.
  Profile twin = delta(linux, "spin-twin",
                       "linux-x86_64 over the domain of its SPIN twin (bench/spin/ptrace.pml)");
  twin.domain = spin_twin_domain();
  all.push_back(twin);

  all.push_back(linux_aarch64());
  return all;
}

} // namespace

const ExpectedViolation* Profile::expected_violation(const std::string& property) const {
  for (const auto& e : expected)
    if (e.property == property) return &e;
  return nullptr;
}

const std::vector<Profile>& profiles() {
  static const std::vector<Profile> all = make_profiles();
  return all;
}

const Profile* find_profile(const std::string& name) {
  for (const auto& p : profiles())
    if (p.name == name) return &p;
  return nullptr;
}

Profile mutant_profile(const Profile& base, RuleId rule) {
  Profile p =
      delta(base, base.name + "~" + std::string(rule_info(rule).name),
            "mutant of " + base.name + ": " + std::string(rule_kind_name(rule_info(rule).kind)) +
                " " + std::string(rule_info(rule).name) + " changed");
  p.mutation = rule;
  return p;
}

} // namespace ptmc
