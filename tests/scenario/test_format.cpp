// format_*: the exact canonical text of docs/scenario-format.md and docs/trace-format.md.
#include "scenario/scenario.hpp"

#include <gtest/gtest.h>

namespace ptmc {
namespace {

TraceLine stop(StopKind kind, Loc at, int signal, int si_code, SyscallOp op, int64_t rax,
               int64_t orig_rax) {
  TraceLine t;
  t.kind = kind;
  t.at = at;
  t.signal = signal;
  t.si_code = si_code;
  t.op = op;
  t.rax = rax;
  t.orig_rax = orig_rax;
  return t;
}

TEST(FormatTraceLine, DocExamples) {
  TraceLine initial =
      stop(StopKind::initial, Loc{}, sig::stop, code::si_tkill, SyscallOp::none, 0, -1);
  initial.zf = true;
  EXPECT_EQ(format_trace_line(initial),
            "initial at=0 sig=SIGSTOP code=SI_TKILL op=none rax=0 orig_rax=-1 rbx=0 flags=ZF");

  TraceLine enter = stop(StopKind::syscall_enter, Loc{Loc::Space::program, 2}, sig::trap, 0x85,
                         SyscallOp::entry, -38, nr::getpid);
  enter.zf = true;
  EXPECT_EQ(format_trace_line(enter), "syscall-enter at=2 sig=SIGTRAP code=0x85 op=entry rax=-38 "
                                      "orig_rax=39 rbx=0 flags=ZF");

  TraceLine exit = stop(StopKind::syscall_exit, Loc{Loc::Space::program, 2}, sig::trap, 0x85,
                        SyscallOp::exit, kPidToken, nr::getpid);
  exit.zf = true;
  EXPECT_EQ(format_trace_line(exit), "syscall-exit at=2 sig=SIGTRAP code=0x85 op=exit rax=pid "
                                     "orig_rax=39 rbx=0 flags=ZF");

  TraceLine step = stop(StopKind::step, Loc{Loc::Space::program, 3}, sig::trap, code::trap_trace,
                        SyscallOp::none, kPidToken, -1);
  EXPECT_EQ(format_trace_line(step),
            "step at=3 sig=SIGTRAP code=TRAP_TRACE op=none rax=pid orig_rax=-1 rbx=0 flags=-");

  TraceLine exited;
  exited.kind = StopKind::exited;
  exited.written = 1;
  EXPECT_EQ(format_trace_line(exited), "exited code=0 written=1");
}

TEST(FormatTraceLine, SyscallStopSignalDropsTheTracesysgoodBit) {
  TraceLine t =
      stop(StopKind::syscall_enter, Loc{}, sig::trap | 0x80, 0x85, SyscallOp::entry, 0, 0);
  EXPECT_EQ(format_trace_line(t),
            "syscall-enter at=0 sig=SIGTRAP code=0x85 op=entry rax=0 orig_rax=0 rbx=0 flags=-");
}

TEST(FormatTraceLine, EveryKindAndField) {
  TraceLine t = stop(StopKind::trap_notify, Loc{Loc::Space::handler, 1}, sig::trap, 5,
                     SyscallOp::seccomp, kPidToken, kPidToken);
  t.rbx = 18446744073709551615ULL;
  t.tf = t.zf = t.cf = true;
  EXPECT_EQ(format_trace_line(t), "trap-notify at=h1 sig=SIGTRAP code=0x5 op=seccomp rax=pid "
                                  "orig_rax=pid rbx=18446744073709551615 flags=TF|ZF|CF");
  t.kind = StopKind::breakpoint;
  t.at = Loc{Loc::Space::outside, 0};
  t.si_code = code::si_kernel;
  t.op = SyscallOp::none;
  t.zf = false;
  t.rbx = 1;
  EXPECT_EQ(format_trace_line(t), "breakpoint at=outside sig=SIGTRAP code=SI_KERNEL op=none "
                                  "rax=pid orig_rax=pid rbx=1 flags=TF|CF");
  t.kind = StopKind::signal;
  t.signal = sig::usr2;
  t.si_code = code::si_user;
  t.tf = false;
  EXPECT_EQ(format_trace_line(t), "signal at=outside sig=SIGUSR2 code=SI_USER op=none rax=pid "
                                  "orig_rax=pid rbx=1 flags=CF");

  TraceLine end;
  end.kind = StopKind::killed;
  end.signal = sig::kill;
  end.written = 3;
  EXPECT_EQ(format_trace_line(end), "killed sig=SIGKILL written=3");
  end.kind = StopKind::detached;
  EXPECT_EQ(format_trace_line(end), "detached");
  end.kind = StopKind::hang;
  EXPECT_EQ(format_trace_line(end), "hang");
  end.kind = StopKind::exited;
  end.exit_code = 2;
  end.written = 0;
  EXPECT_EQ(format_trace_line(end), "exited code=2 written=0");
}

TEST(FormatSignal, NamesAndNumbers) {
  EXPECT_EQ(format_signal(5), "SIGTRAP");
  EXPECT_EQ(format_signal(10), "SIGUSR1");
  EXPECT_EQ(format_signal(12), "SIGUSR2");
  EXPECT_EQ(format_signal(19), "SIGSTOP");
  EXPECT_EQ(format_signal(9), "SIGKILL");
  EXPECT_EQ(format_signal(11), "SIGSEGV");
  EXPECT_EQ(format_signal(4), "SIGILL");
  EXPECT_EQ(format_signal(0), "0");
  EXPECT_EQ(format_signal(34), "34");
}

TEST(FormatSiCode, NamesAndHex) {
  EXPECT_EQ(format_si_code(0), "SI_USER");
  EXPECT_EQ(format_si_code(0x80), "SI_KERNEL");
  EXPECT_EQ(format_si_code(-6), "SI_TKILL");
  EXPECT_EQ(format_si_code(1), "TRAP_BRKPT");
  EXPECT_EQ(format_si_code(2), "TRAP_TRACE");
  EXPECT_EQ(format_si_code(5), "0x5");
  EXPECT_EQ(format_si_code(0x85), "0x85");
  EXPECT_EQ(format_si_code(-1), "-0x1");
}

TEST(FormatInsn, EveryOp) {
  EXPECT_EQ(format_insn(Insn{Op::nop}), "nop");
  EXPECT_EQ(format_insn(Insn{Op::set_nr, nr::getpid}), "nr getpid");
  EXPECT_EQ(format_insn(Insn{Op::set_nr, nr::write}), "nr write");
  EXPECT_EQ(format_insn(Insn{Op::set_nr, nr::kill}), "nr kill");
  EXPECT_EQ(format_insn(Insn{Op::set_nr, nr::exit_group}), "nr exit_group");
  EXPECT_EQ(format_insn(Insn{Op::set_nr, nr::rt_sigreturn}), "nr rt_sigreturn");
  EXPECT_EQ(format_insn(Insn{Op::set_nr, nr::invalid}), "nr invalid");
  EXPECT_EQ(format_insn(Insn{Op::set_nr, nr::none}), "nr none");
  EXPECT_EQ(format_insn(Insn{Op::set_nr, 60}), "nr 60");
  EXPECT_EQ(format_insn(Insn{Op::set_nr, -5}), "nr -5");
  EXPECT_EQ(format_insn(Insn{Op::set_arg, 0, Arg::buf}), "arg buf");
  EXPECT_EQ(format_insn(Insn{Op::set_arg, 0, Arg::sigusr1}), "arg SIGUSR1");
  EXPECT_EQ(format_insn(Insn{Op::set_arg, 0, Arg::sigusr2}), "arg SIGUSR2");
  EXPECT_EQ(format_insn(Insn{Op::syscall}), "syscall");
  EXPECT_EQ(format_insn(Insn{Op::int3}), "int3");
  EXPECT_EQ(format_insn(Insn{Op::cmp}), "cmp");
  EXPECT_EQ(format_insn(Insn{Op::setz}), "setz");
  EXPECT_EQ(format_insn(Insn{Op::pushf}), "pushf");
  EXPECT_EQ(format_insn(Insn{Op::or_tf}), "or_tf");
  EXPECT_EQ(format_insn(Insn{Op::and_tf}), "and_tf");
  EXPECT_EQ(format_insn(Insn{Op::popf}), "popf");
}

TEST(FormatAction, RequestSignalAndEditsInOrder) {
  EXPECT_EQ(format_action(Action{}), "cont");
  EXPECT_EQ(format_request(Request::sysemu_singlestep), "sysemu_singlestep");
  Action a{Request::singlestep, sig::usr1, false, {}};
  EXPECT_EQ(format_action(a), "singlestep sig=SIGUSR1");
  a.pass = true;
  a.signal = 0;
  EXPECT_EQ(format_action(a), "singlestep sig=pass");
  Action b{Request::syscall, 0, false, {}};
  b.edits.push_back(Edit{Reg::rax, 7, {}});
  b.edits.push_back(Edit{Reg::orig_rax, -1, {}});
  b.edits.push_back(Edit{Reg::rip, 0, Loc{Loc::Space::handler, 1}});
  b.edits.push_back(Edit{Reg::tf, 1, {}});
  EXPECT_EQ(format_action(b), "syscall rax=7 orig_rax=-1 rip=h1 tf=1");
  Action c{Request::detach, 33, false, {Edit{Reg::rip, 0, Loc{Loc::Space::outside, 0}}}};
  EXPECT_EQ(format_action(c), "detach sig=33 rip=outside");
}

TEST(FormatScenario, CanonicalText) {
  Scenario s;
  s.options.tracesysgood = true;
  s.program = {Insn{Op::set_nr, nr::getpid}, Insn{Op::syscall}, Insn{Op::cmp}, Insn{Op::setz}};
  s.handler = {Insn{Op::nop}};
  s.actions = {
      Action{Request::syscall, 0, false, {}},
      Action{Request::syscall, 0, false, {Edit{Reg::rax, 7, {}}, Edit{Reg::orig_rax, -1, {}}}},
      Action{Request::singlestep, sig::usr1, false, {}}};
  s.repeat = Action{Request::cont, 0, true, {}};
  s.repeat_max = 20;
  TraceLine end;
  end.kind = StopKind::exited;
  s.expect = Trace{end};
  EXPECT_EQ(format_scenario(s), "ptmc-scenario 1\n"
                                "profile linux-x86_64\n"
                                "options tracesysgood\n"
                                "\n"
                                "program:\n"
                                "  nr getpid\n"
                                "  syscall\n"
                                "  cmp\n"
                                "  setz\n"
                                "\n"
                                "handler:\n"
                                "  nop\n"
                                "\n"
                                "actions:\n"
                                "  syscall\n"
                                "  syscall rax=7 orig_rax=-1\n"
                                "  singlestep sig=SIGUSR1\n"
                                "  repeat cont sig=pass max=20\n"
                                "\n"
                                "expect:\n"
                                "  exited code=0 written=0\n");
}

TEST(FormatScenario, MinimalScenarioOmitsOptionalParts) {
  Scenario s;
  EXPECT_EQ(format_scenario(s), "ptmc-scenario 1\nprofile linux-x86_64\n\nprogram:\n\nactions:\n");
}

} // namespace
} // namespace ptmc
