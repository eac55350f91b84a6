// One test per modelled rule, through the scenario runner. Every expectation below is derived
// from the kernel source named in its comment (and, where marked, was also seen on the host
// kernel by kernel/agent); none is copied from the model's own output.
#include "engine/runner.hpp"
#include "model/profile.hpp"

#include <gtest/gtest.h>

namespace ptmc {
namespace {

Insn I(Op op) {
  return Insn{op, 0, Arg::buf};
}
Insn NR(int64_t n) {
  return Insn{Op::set_nr, n, Arg::buf};
}
Insn ARG(Arg a) {
  return Insn{Op::set_arg, 0, a};
}
Action A(Request r, int sig = 0, std::vector<Edit> edits = {}) {
  return Action{r, sig, false, std::move(edits)};
}
Loc P(uint16_t i) {
  return Loc{Loc::Space::program, i};
}
Loc H(uint16_t i) {
  return Loc{Loc::Space::handler, i};
}

Trace run(std::vector<Insn> program, std::vector<Action> actions, bool tsg = true,
          const char* profile = "linux-x86_64", std::vector<Insn> handler = {I(Op::nop)},
          std::vector<RunViolation>* violations = nullptr) {
  Scenario s;
  s.profile = profile;
  s.options.tracesysgood = tsg;
  s.program = std::move(program);
  s.handler = std::move(handler);
  s.actions = std::move(actions);
  const ModelRun r = run_on_model(s, *find_profile(profile));
  EXPECT_FALSE(r.error.has_value()) << *r.error;
  if (violations) *violations = r.violations;
  return r.trace;
}

TEST(Entry, SyscallStopsCarryNumberAndEnosys) {
  // arch/x86/entry/entry_64.S: pt_regs->orig_ax = nr, pt_regs->ax = -ENOSYS before any work;
  // include/linux/ptrace.h ptrace_report_syscall: SIGTRAP|0x80 with TRACESYSGOOD;
  // kernel/ptrace.c ptrace_get_syscall_info: op entry / exit. Also seen on the host kernel.
  const Trace t = run({NR(nr::getpid), I(Op::syscall)},
                      {A(Request::syscall), A(Request::syscall), A(Request::cont)});
  ASSERT_GE(t.size(), 4u);
  EXPECT_EQ(t[0].kind, StopKind::initial);
  EXPECT_EQ(t[1].kind, StopKind::syscall_enter);
  EXPECT_EQ(t[1].at, P(2));
  EXPECT_EQ(t[1].orig_rax, nr::getpid);
  EXPECT_EQ(t[1].rax, -38);
  EXPECT_EQ(t[1].si_code, 0x85);
  EXPECT_EQ(t[1].op, SyscallOp::entry);
  EXPECT_EQ(t[2].kind, StopKind::syscall_exit);
  EXPECT_EQ(t[2].rax, kPidToken);
  EXPECT_EQ(t[2].op, SyscallOp::exit);
  EXPECT_EQ(t.back().kind, StopKind::exited);
}

TEST(Entry, WithoutTracesysgoodStopsAreTrapNotifyAndOpIsNone) {
  // ptrace_report_syscall sends plain SIGTRAP without PT_TRACESYSGOOD, so si_code is SIGTRAP and
  // ptrace_get_syscall_info only recognises SIGTRAP|0x80: op is none.
  const Trace t =
      run({NR(nr::getpid), I(Op::syscall)}, {A(Request::syscall), A(Request::cont)}, false);
  ASSERT_GE(t.size(), 2u);
  EXPECT_EQ(t[1].kind, StopKind::trap_notify);
  EXPECT_EQ(t[1].si_code, sig::trap);
  EXPECT_EQ(t[1].op, SyscallOp::none);
}

TEST(Entry, OrigRaxMinusOneSkipsAndKeepsTracerRax) {
  // arch/x86/entry/common.c do_syscall_64: nr == -1 runs nothing, leaving regs->ax alone.
  const Trace t = run({NR(nr::write), I(Op::syscall)},
                      {A(Request::syscall),
                       A(Request::syscall, 0, {Edit{Reg::orig_rax, -1, {}}, Edit{Reg::rax, 7, {}}}),
                       A(Request::cont)});
  ASSERT_GE(t.size(), 4u);
  EXPECT_EQ(t[2].kind, StopKind::syscall_exit);
  EXPECT_EQ(t[2].rax, 7);
  EXPECT_EQ(t[2].orig_rax, -1);
  EXPECT_EQ(t.back().written, 0); // the write did not run
}

TEST(Entry, InvalidNumberGivesEnosysEvenAfterTracerRax) {
  // do_syscall_64 (since b337b4965e3a, 5.14): an invalid nr other than -1 sets -ENOSYS.
  const Trace t =
      run({NR(nr::invalid), I(Op::syscall)},
          {A(Request::syscall), A(Request::syscall, 0, {Edit{Reg::rax, 7, {}}}), A(Request::cont)});
  ASSERT_GE(t.size(), 3u);
  EXPECT_EQ(t[2].kind, StopKind::syscall_exit);
  EXPECT_EQ(t[2].rax, -38);
}

TEST(Sysemu, EnterStopThenSyscallGivesExitStopWithoutRunning) {
  // kernel/entry/common.c syscall_trace_enter decides the skip from the work captured before the
  // entry stop (SYSCALL_EMU); syscall_exit_work then reports with the current flags (TRACE).
  const Trace t = run({NR(nr::write), I(Op::syscall)},
                      {A(Request::sysemu), A(Request::syscall), A(Request::cont)});
  ASSERT_GE(t.size(), 4u);
  EXPECT_EQ(t[1].kind, StopKind::syscall_enter);
  EXPECT_EQ(t[2].kind, StopKind::syscall_exit);
  EXPECT_EQ(t[2].rax, -38);
  EXPECT_EQ(t.back().kind, StopKind::exited);
  EXPECT_EQ(t.back().written, 0);
}

TEST(Step, OverSyscallGivesOneStopWithTrapBrkpt) {
  // report_single_step + ptrace_report_syscall_exit: the step report replaces the exit stop;
  // arch/x86/kernel/ptrace.c user_single_step_report uses TRAP_BRKPT.
  const Trace t = run(
      {NR(nr::getpid), I(Op::syscall), I(Op::nop)},
      {A(Request::singlestep), A(Request::singlestep), A(Request::singlestep), A(Request::cont)});
  ASSERT_GE(t.size(), 5u);
  EXPECT_EQ(t[1].kind, StopKind::step);
  EXPECT_EQ(t[1].at, P(1));
  EXPECT_EQ(t[1].si_code, code::trap_trace);
  EXPECT_EQ(t[2].kind, StopKind::step);
  EXPECT_EQ(t[2].at, P(2));
  EXPECT_EQ(t[2].si_code, code::trap_brkpt);
  EXPECT_EQ(t[2].rax, kPidToken);
  EXPECT_EQ(t[3].at, P(3));
  EXPECT_EQ(t[3].si_code, code::trap_trace);
}

TEST(Step, FromSyscallEnterStopReportsAtExit) {
  // The entry work had TRACE only, so the syscall runs; at exit SYSCALL_EXIT_TRAP is set.
  const Trace t = run({NR(nr::getpid), I(Op::syscall), I(Op::nop)},
                      {A(Request::syscall), A(Request::singlestep), A(Request::cont)});
  ASSERT_GE(t.size(), 3u);
  EXPECT_EQ(t[1].kind, StopKind::syscall_enter);
  EXPECT_EQ(t[2].kind, StopKind::step);
  EXPECT_EQ(t[2].si_code, code::trap_brkpt);
  EXPECT_EQ(t[2].rax, kPidToken);
}

TEST(Step, SysemuSinglestepSkipsTheReportAfterAnEmulatedSyscall) {
  // report_single_step returns false under SYSCALL_EMU: no stop at the syscall's exit, so the
  // next stop is after the instruction that follows.
  const Trace t = run({NR(nr::getpid), I(Op::syscall), I(Op::nop), I(Op::nop)},
                      {A(Request::sysemu_singlestep), A(Request::sysemu_singlestep),
                       A(Request::sysemu_singlestep), A(Request::cont)});
  ASSERT_GE(t.size(), 4u);
  EXPECT_EQ(t[1].kind, StopKind::step);
  EXPECT_EQ(t[1].at, P(1));
  EXPECT_EQ(t[2].kind, StopKind::syscall_enter);
  EXPECT_EQ(t[2].at, P(2));
  EXPECT_EQ(t[3].kind, StopKind::step);
  EXPECT_EQ(t[3].at, P(3));
  EXPECT_EQ(t[3].rax, -38); // emulated: rax keeps -ENOSYS
}

TEST(Step, DebuggerTfIsHiddenFromGetregs) {
  // arch/x86/kernel/ptrace.c get_flags hides TIF_FORCED_TF's TF.
  const Trace t = run({I(Op::nop), I(Op::nop)}, {A(Request::singlestep), A(Request::cont)});
  ASSERT_GE(t.size(), 2u);
  EXPECT_EQ(t[1].kind, StopKind::step);
  EXPECT_FALSE(t[1].tf);
  EXPECT_TRUE(t[1].zf); // and the other flags are untouched (step.c uses |=)
}

TEST(Step, TraceeTfPersistsAcrossCont) {
  // step.c user_disable_single_step clears TF only under TIF_FORCED_TF; a TF the program set with
  // popf stays, so the tracee traps itself after the instruction following the popf (SDM 17.3.1.4).
  const Trace t = run({I(Op::pushf), I(Op::or_tf), I(Op::popf), I(Op::nop), I(Op::nop)},
                      {A(Request::singlestep), A(Request::cont), A(Request::cont)});
  ASSERT_GE(t.size(), 3u);
  EXPECT_EQ(t[1].kind, StopKind::step);
  EXPECT_EQ(t[2].kind, StopKind::step);
  EXPECT_EQ(t[2].at, P(4));
  EXPECT_TRUE(t[2].tf);
}

TEST(Breakpoint, Int3IsSiKernelPastTheInstruction) {
  // arch/x86/kernel/traps.c do_int3_user -> do_trap -> force_sig(SIGTRAP): SI_KERNEL.
  const Trace t = run({I(Op::int3), I(Op::nop)}, {A(Request::cont), A(Request::cont)});
  ASSERT_GE(t.size(), 2u);
  EXPECT_EQ(t[1].kind, StopKind::breakpoint);
  EXPECT_EQ(t[1].at, P(1));
  EXPECT_EQ(t[1].orig_rax, -1);
}

TEST(Signals, SteppingIntoHandlerStopsAtItsFirstInstruction) {
  // kernel/signal.c signal_delivered: ptrace_notify(SIGTRAP) when stepping; handle_signal clears
  // TF.
  const Trace t = run({ARG(Arg::sigusr1), NR(nr::kill), I(Op::syscall), I(Op::nop)},
                      {A(Request::cont), A(Request::singlestep, sig::usr1), A(Request::cont)});
  ASSERT_GE(t.size(), 3u);
  EXPECT_EQ(t[1].kind, StopKind::signal);
  EXPECT_EQ(t[1].signal, sig::usr1);
  EXPECT_EQ(t[1].si_code, code::si_user);
  EXPECT_EQ(t[1].orig_rax, nr::kill);
  EXPECT_EQ(t[2].kind, StopKind::trap_notify);
  EXPECT_EQ(t[2].at, H(0));
  EXPECT_EQ(t[2].rax, 0);
}

TEST(Signals, SuppressedSignalIsNotDelivered) {
  // kernel/signal.c ptrace_signal: resuming with 0 discards it; SIGUSR2 would otherwise kill.
  const Trace t =
      run({ARG(Arg::sigusr2), NR(nr::kill), I(Op::syscall)}, {A(Request::cont), A(Request::cont)});
  ASSERT_GE(t.size(), 3u);
  EXPECT_EQ(t[1].signal, sig::usr2);
  EXPECT_EQ(t.back().kind, StopKind::exited);
}

TEST(SeedBugs, NoFmaskLeavesTfInTheKernel) {
  std::vector<RunViolation> v;
  run({NR(nr::getpid), I(Op::syscall)},
      {A(Request::singlestep), A(Request::singlestep), A(Request::cont)}, true, "bug-no-fmask",
      {I(Op::nop)}, &v);
  bool seen = false;
  for (const auto& x : v) seen |= x.property == PropertyId::kernel_mode_tf;
  EXPECT_TRUE(seen);
  std::vector<RunViolation> clean;
  run({NR(nr::getpid), I(Op::syscall)},
      {A(Request::singlestep), A(Request::singlestep), A(Request::cont)}, true, "linux-x86_64",
      {I(Op::nop)}, &clean);
  EXPECT_TRUE(clean.empty());
}

TEST(SeedBugs, RflagsAssignmentWipesZf) {
  // Linux: enable_single_step does regs->flags |= TF, so ZF (set initially) survives the step and
  // setz stores 1. The seed bug assigns TF, so setz stores 0.
  const Trace good = run({I(Op::setz), I(Op::nop)}, {A(Request::singlestep), A(Request::cont)});
  const Trace bad = run({I(Op::setz), I(Op::nop)}, {A(Request::singlestep), A(Request::cont)}, true,
                        "bug-rflags-assign");
  ASSERT_GE(good.size(), 2u);
  ASSERT_GE(bad.size(), 2u);
  EXPECT_EQ(good[1].rbx, 1u);
  EXPECT_EQ(bad[1].rbx, 0u);
}

TEST(SeedBugs, SignalFrameBugLosesWritesAtSignalStops) {
  std::vector<RunViolation> v;
  const Trace t = run({I(Op::nop), I(Op::nop)},
                      {A(Request::singlestep), A(Request::cont, 0, {Edit{Reg::rax, 7, {}}})}, true,
                      "bug-signal-frame", {I(Op::nop)}, &v);
  bool seen = false;
  for (const auto& x : v) seen |= x.property == PropertyId::register_write_persistence;
  EXPECT_TRUE(seen);
}

} // namespace
} // namespace ptmc
