#include "model/profile.hpp"

#include "model/redox/smp/variants.hpp"
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

// The Redox explorer's tracer writes these words: each stop bit alone, the syscall pair, the
// IGNORE combinations relibc uses (SYSEMU, SYSEMU_SINGLESTEP) and the ones the RFC describes
// (IGNORE at a SIGNAL stop), IGNORE without a stop bit, a step armed with a syscall stop (so
// that the syscall stop comes first), and in 2019 FLAG_WAIT alone.
Domain redox_domain(int version) {
  Domain d = linux_domain();
  d.program_bound = 4;   // 1.2 M states; CI checks bound 3 (tests/cli/redox_seed_bugs.sh)
  d.inject_signals = {}; // Redox has no signal injection
  d.orig_rax_edits = {}; // nor orig_rax
  d.redox_words = {0,
                   redox::pre_syscall,
                   redox::post_syscall,
                   redox::pre_syscall | redox::post_syscall,
                   redox::singlestep,
                   redox::signal,
                   redox::breakpoint,
                   redox::exit,
                   redox::flag_ignore | redox::pre_syscall | redox::post_syscall,
                   redox::flag_ignore | redox::singlestep,
                   redox::flag_ignore | redox::signal,
                   redox::flag_ignore,
                   redox::singlestep | redox::pre_syscall};
  if (version == 2019) d.redox_words.push_back(redox::flag_wait);
  d.redox_both_excl = true;
  return d;
}

// What the interface model finds in Redox itself; docs/redox-model.md discusses each, and
// scenarios/redox/ has a hand-derived scenario for each.
std::vector<ExpectedViolation> redox_findings(int version) {
  std::vector<ExpectedViolation> out = {
      {"tf-transparency",
       "pushf while the tracer single-steps pushes the tracer's TF: the SINGLESTEP write sets TF "
       "in "
       "the frame (kernel src/scheme/proc.rs write, src/arch/x86_64/macros.rs set_singlestep) and "
       "the CPU pushes the live RFLAGS; a later popf makes it the program's own. Linux has the "
       "same "
       "leak (without TIF_FORCED_TF's bookkeeping on Redox)."},
      {"step-granularity",
       "A step armed before or at a syscall: the syscall path returns with IRETQ from the saved "
       "frame, whose TF traps only after the next instruction, so one step runs the syscall and "
       "the "
       "instruction after it (src/arch/x86_64/interrupt/syscall.rs syscall_instruction; "
       "scenarios/redox/step-over-syscall.ptmc). Linux reports a step at syscall exit instead."},
      {"sysemu-never-executes",
       "FLAG_IGNORE without a stop bit is dropped: the write sets no breakpoint (2019: proc.rs "
       "write 478-480) or clears it (2020: proc.rs write 537-544), and the syscall handler reads "
       "IGNORE from the breakpoint (syscall.rs 25-28), so the syscall runs. The RFC says IGNORE "
       "aborts the action (scenarios/redox/ignore-without-stop-bit.ptmc)."},
      {"signal-suppression",
       "The same as sysemu-never-executes, at a SIGNAL stop: FLAG_IGNORE without a stop bit is "
       "dropped with the breakpoint, and signal_handler (signal.rs 26-33) delivers the signal."},
      {"tracee-tf-persistence",
       "B11: a write that arms SINGLESTEP together with another stop leaves TF set when the other "
       "stop comes first, and no later write clears it (proc.rs write sets TF, nothing clears it): "
       "after the next write the tracee traps, no SINGLESTEP breakpoint matches, and #DB exits it "
       "with SIGTRAP (scenarios/redox/b11-stale-tf.ptmc). Also, the #DB handler clears TF at a "
       "SINGLESTEP stop (exception.rs debug 26-35), so a TF the program set itself is lost when it "
       "is stepped."},
  };
  if (version == 2019) {
    out.push_back(
        {"access-keeps-stopped",
         "B4: try_stop_context never saves ptrace_stop (proc.rs 50-87: was_stopped is assigned "
         "under `if first` after `first = false`), so every register access ends with "
         "ptrace_stop = false: reading the registers of a tracee frozen by O_TRUNC lets it run "
         "(scenarios/redox/b4-getregs-releases-2019.ptmc). Fixed in 3420339c and 727217ad."});
    out.push_back(
        {"no-deadlock",
         "Closing an O_EXCL trace file before the first write: close sends SIGKILL but clears "
         "ptrace_stop only on its non-O_EXCL branch (proc.rs close 559-567), and a context with "
         "ptrace_stop is never scheduled (switch.rs runnable 56-59), so the SIGKILL is never taken "
         "and the tracee stays frozen (scenarios/redox/close-excl-frozen-2019.ptmc). 2020's close "
         "always clears it."});
  } else {
    out.push_back(
        {"no-deadlock",
         "A blocking read before the first write waits forever: the tracee is frozen by O_TRUNC, "
         "and only a breakpoint callback, send_event, close_tracee or close_session wake the "
         "tracer (proc.rs read 417-420, ptrace.rs wait 241-270; "
         "scenarios/redox/read-before-write-2020.ptmc). In 2019 read never waits."});
  }
  return out;
}

Profile redox_profile(int version) {
  Profile p;
  p.kernel = "redox";
  p.redox_version = version;
  p.layers = {Layer::redox, Layer::cpu_x86_64};
  p.domain = redox_domain(version);
  p.expected = redox_findings(version);
  if (version == 2019) {
    p.name = "redox-2019";
    p.summary = "Redox proc: ptrace, kernel a57ea6a7 (2019-08-21, ptrace-end), interface level";
  } else {
    p.name = "redox-2020";
    p.summary =
        "Redox proc: ptrace, kernel e18a8779 (2020-06-17, the June rework), interface level";
  }
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
  // The RFC's question 1 (the seed's Issue #1): which frame a register write reaches while a
  // handler's frame waits to be restored. Linux writes the live registers; bug-signal-frame above
  // is the design whose stop comes after the frame is built and writes the live frame anyway.
  Profile restored_always =
      delta(linux, "variant-write-restored-frame",
            "design variant: register writes go to the pending signal frame (what rt_sigreturn "
            "restores) whenever one is pending");
  restored_always.register_write_target = RegisterWriteTarget::restored_always;
  all.push_back(restored_always);

  Profile restored_next =
      delta(linux, "variant-write-restored-when-next",
            "design variant: register writes go to the pending signal frame only at a stop where "
            "its restore comes next (rt_sigreturn's entry), else to the live registers");
  restored_next.register_write_target = RegisterWriteTarget::restored_when_next;
  all.push_back(restored_next);

  all.push_back(linux_aarch64());

  // Redox itself (docs/redox-model.md), and the seed's three bugs as deltas of its 2019 kernel:
  // the same fields as the Linux deltas above, read by the Redox layer.
  const Profile redox19 = redox_profile(2019);
  all.push_back(redox19);
  all.push_back(redox_profile(2020));
  Profile rframe = delta(redox19, "redox-2019-bug-signal-frame",
                         "seed bug 1 on Redox: regs_for always takes the live frame, so writes "
                         "while a signal is handled in the kernel are undone by its restore");
  rframe.signal_stop_writes_to_live = true;
  all.push_back(rframe);
  Profile rfmask = delta(redox19, "redox-2019-bug-no-fmask",
                         "seed bug 2 on Redox: IA32_FMASK 0x200 (before 788526a3): TF survives "
                         "SYSCALL into the kernel");
  rfmask.fmask = x86::IF;
  all.push_back(rfmask);
  Profile rassign = delta(redox19, "redox-2019-bug-rflags-assign",
                          "seed bug 3 on Redox: set_singlestep does rflags = TF, not |= TF");
  rassign.step_arm_assigns = true;
  all.push_back(rassign);
  // The RFC's question 1 on Redox: regs_for before 6a3825d4 narrowed it (the seed's "all proc:
  // operations perform changes only to the stack that was to be restored").
  Profile rbackup = delta(redox19, "redox-2019-write-backup-always",
                          "design variant on Redox: regs_for takes the backup frame whenever a "
                          "signal is in delivery, a user-handled one included");
  rbackup.register_write_target = RegisterWriteTarget::restored_always;
  all.push_back(rbackup);

  // Redox with tracer and tracee as kernel threads on SMP (model/redox/smp): concurrent models,
  // checked by their own explorer (docs/redox-smp.md), over the x86_64 CPU layer's trap rules.
  for (const auto& v : redox_smp::variants()) {
    Profile p;
    p.name = v.name;
    p.summary = v.summary;
    p.kernel = "redox-smp";
    p.arch = "x86_64";
    p.layers = {Layer::redox_smp, Layer::cpu_x86_64};
    p.level = Level::concurrent;
    p.domain.program_bound = v.domain.program_bound;
    all.push_back(p);
  }
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
