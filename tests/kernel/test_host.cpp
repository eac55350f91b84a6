// End to end on this machine's kernel: scenarios through run_on_host and the real ptmc-agent.
//
// Every expectation here is something any Linux x86_64 kernel must do, with the source of the
// guarantee cited next to it (ptrace(2) / signal(7) man pages, the kernel source, or the Intel
// SDM). None is copied from a model's output.
#include "kernel/host.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

namespace ptmc::kernel {
namespace {

class Host : public ::testing::Test {
protected:
  void SetUp() override { setenv("PTMC_AGENT", PTMC_AGENT_PATH, 1); }
  void TearDown() override { unsetenv("PTMC_AGENT"); }
};

Scenario parse(const std::string& text) {
  ParseResult r = parse_scenario(text, "test");
  EXPECT_TRUE(r.scenario) << (r.error ? r.error->what() : "");
  return r.scenario ? *r.scenario : Scenario{};
}

TargetResult run(const std::vector<Scenario>& batch, double wait = 5.0) {
  TargetOptions o;
  o.wait_timeout_s = wait;
  return run_on_host(batch, o);
}

// The trace as text, for failure messages.
std::string show(const Trace& t) {
  std::string out;
  for (const TraceLine& l : t) out += "  " + format_trace_line(l) + "\n";
  return out;
}

TEST_F(Host, SyscallStopsWithTracesysgood) {
  const Scenario s = parse(R"(ptmc-scenario 1
profile linux-x86_64
options tracesysgood
program:
  nr getpid
  syscall
actions:
  syscall
  syscall
  syscall
  cont
)");
  const TargetResult r = run({s});
  ASSERT_FALSE(r.error) << *r.error;
  EXPECT_FALSE(r.kernel_release.empty());
  ASSERT_EQ(r.outcomes.size(), 1u);
  const Outcome& o = r.outcomes[0];
  ASSERT_EQ(o.status, OutcomeStatus::ok) << o.message;
  const Trace& t = o.trace;
  ASSERT_EQ(t.size(), 5u) << show(t);

  // The initial stop: the child's own kill(0, SIGSTOP), so si_code SI_USER
  // (kernel/signal.c kill_something_info -> prepare_kill_siginfo sets SI_USER), and the
  // registers the agent wrote at that stop (docs/scenario-format.md).
  EXPECT_EQ(t[0].kind, StopKind::initial);
  EXPECT_EQ(t[0].signal, sig::stop);
  EXPECT_EQ(t[0].si_code, code::si_user);
  EXPECT_EQ(t[0].at, (Loc{Loc::Space::program, 0}));
  EXPECT_EQ(t[0].orig_rax, -1);
  EXPECT_TRUE(t[0].zf);
  EXPECT_FALSE(t[0].tf);

  // Syscall-enter-stop: ptrace(2) "Syscall-stops": with PTRACE_O_TRACESYSGOOD, WSTOPSIG is
  // SIGTRAP|0x80; kernel/ptrace.c ptrace_report_syscall -> ptrace_notify(SIGTRAP|0x80) makes
  // that the si_code too. PTRACE_GET_SYSCALL_INFO reports op ENTRY (kernel/ptrace.c
  // ptrace_get_syscall_info, PTRACE_EVENTMSG_SYSCALL_ENTRY). rax is -ENOSYS at entry: the
  // x86_64 entry code stores -ENOSYS in pt_regs->ax before any tracing
  // (arch/x86/entry/entry_64.S "pushq $-ENOSYS"); orig_rax holds the number, 39 = getpid
  // (arch/x86/entry/syscalls/syscall_64.tbl). rip is past the 2-byte syscall: index 2.
  EXPECT_EQ(t[1].kind, StopKind::syscall_enter);
  EXPECT_EQ(t[1].signal, sig::trap);
  EXPECT_EQ(t[1].si_code, sig::trap | 0x80);
  EXPECT_EQ(t[1].op, SyscallOp::entry);
  EXPECT_EQ(t[1].orig_rax, nr::getpid);
  EXPECT_EQ(t[1].rax, -38);
  EXPECT_EQ(t[1].at, (Loc{Loc::Space::program, 2}));

  // Syscall-exit-stop: op EXIT, rax is getpid's result (printed as the pid token).
  EXPECT_EQ(t[2].kind, StopKind::syscall_exit);
  EXPECT_EQ(t[2].op, SyscallOp::exit);
  EXPECT_EQ(t[2].rax, kPidToken);
  EXPECT_EQ(t[2].orig_rax, nr::getpid);
  EXPECT_EQ(t[2].at, (Loc{Loc::Space::program, 2}));

  // Running off the end: index 2 is `nr exit_group` and 3 `syscall`, so the next enter stop is
  // exit_group's (231) with rip at index 4; then cont lets exit_group(0) end the process:
  // WIFEXITED with status 0 (wait(2)).
  EXPECT_EQ(t[3].kind, StopKind::syscall_enter);
  EXPECT_EQ(t[3].orig_rax, nr::exit_group);
  EXPECT_EQ(t[3].at, (Loc{Loc::Space::program, 4}));
  EXPECT_EQ(t[4].kind, StopKind::exited);
  EXPECT_EQ(t[4].exit_code, 0);
  EXPECT_EQ(t[4].written, 0);
}

TEST_F(Host, SyscallStopsWithoutTracesysgood) {
  const Scenario s = parse(R"(ptmc-scenario 1
profile linux-x86_64
program:
  nr getpid
  syscall
actions:
  syscall
  syscall
)");
  const TargetResult r = run({s});
  ASSERT_EQ(r.outcomes.size(), 1u);
  const Trace& t = r.outcomes[0].trace;
  ASSERT_EQ(r.outcomes[0].status, OutcomeStatus::ok) << r.outcomes[0].message;
  ASSERT_GE(t.size(), 3u) << show(t);
  // Without TRACESYSGOOD the stop is plain SIGTRAP and ptrace_notify's si_code is SIGTRAP
  // (kernel/signal.c ptrace_do_notify: info.si_code = exit_code); PTRACE_GET_SYSCALL_INFO
  // only reports ENTRY/EXIT when si_code is SIGTRAP|0x80 (kernel/ptrace.c
  // ptrace_get_syscall_info), so op is NONE.
  for (size_t i : {1, 2}) {
    EXPECT_EQ(t[i].kind, StopKind::trap_notify) << show(t);
    EXPECT_EQ(t[i].signal, sig::trap);
    EXPECT_EQ(t[i].si_code, sig::trap);
    EXPECT_EQ(t[i].op, SyscallOp::none);
    EXPECT_EQ(t[i].orig_rax, nr::getpid);
  }
  EXPECT_EQ(t[1].rax, -38);
  EXPECT_EQ(t[2].rax, kPidToken);
  // The actions ran out: PTRACE_KILL, i.e. SIGKILL (ptrace(2) PTRACE_KILL).
  EXPECT_EQ(t.back().kind, StopKind::killed);
  EXPECT_EQ(t.back().signal, sig::kill);
}

TEST_F(Host, Int3IsABreakpointAfterTheInstruction) {
  const Scenario s = parse(R"(ptmc-scenario 1
profile linux-x86_64
program:
  nop
  int3
  nop
actions:
  cont
  cont
)");
  const TargetResult r = run({s});
  ASSERT_EQ(r.outcomes.size(), 1u);
  const Trace& t = r.outcomes[0].trace;
  ASSERT_EQ(t.size(), 3u) << show(t);
  // int3 is a trap-class exception, the saved rip is past it (Intel SDM vol. 3, 6.5
  // "Exception Classifications": traps report the instruction following); the kernel sends
  // SIGTRAP with force_sig (arch/x86/kernel/traps.c do_int3_user -> do_trap(..., SIGTRAP, ...,
  // NULL)), and a siginfo-less force_sig is SEND_SIG_PRIV, si_code SI_KERNEL.
  EXPECT_EQ(t[1].kind, StopKind::breakpoint);
  EXPECT_EQ(t[1].signal, sig::trap);
  EXPECT_EQ(t[1].si_code, code::si_kernel);
  EXPECT_EQ(t[1].at, (Loc{Loc::Space::program, 2}));
  // cont without a signal suppresses the SIGTRAP (ptrace(2) "Signal injection and
  // suppression"), so the program runs on to exit_group(0).
  EXPECT_EQ(t[2].kind, StopKind::exited);
  EXPECT_EQ(t[2].exit_code, 0);
}

TEST_F(Host, PassedSigtrapKillsAndWriteIsCounted) {
  const Scenario s = parse(R"(ptmc-scenario 1
profile linux-x86_64
program:
  nr write
  syscall
  int3
actions:
  cont
  cont sig=pass
)");
  const TargetResult r = run({s});
  ASSERT_EQ(r.outcomes.size(), 1u);
  const Trace& t = r.outcomes[0].trace;
  ASSERT_EQ(t.size(), 3u) << show(t);
  EXPECT_EQ(t[1].kind, StopKind::breakpoint);
  // write(0, buf, 1) with fd 0 the agent's pipe returned 1 (write(2)).
  EXPECT_EQ(t[1].rax, 1);
  // Re-injected, SIGTRAP takes its default action, terminate with core (signal(7)); the core
  // bit is not part of the trace.
  EXPECT_EQ(t[2].kind, StopKind::killed);
  EXPECT_EQ(t[2].signal, sig::trap);
  EXPECT_EQ(t[2].written, 1);
}

TEST_F(Host, SingleStepIsTrapTraceAndHidesTf) {
  const Scenario s = parse(R"(ptmc-scenario 1
profile linux-x86_64
program:
  nop
  cmp
  nop
actions:
  singlestep
  singlestep
)");
  const TargetResult r = run({s});
  ASSERT_EQ(r.outcomes.size(), 1u);
  const Trace& t = r.outcomes[0].trace;
  ASSERT_EQ(t.size(), 4u) << show(t);
  // A single-step #DB on an ordinary instruction: SIGTRAP with si_code TRAP_TRACE
  // (arch/x86/kernel/traps.c exc_debug_user -> send_sigtrap(regs, 0, get_si_code(dr6)), and
  // get_si_code gives TRAP_TRACE for DR_STEP), rip at the next instruction.
  for (size_t i : {1, 2}) {
    EXPECT_EQ(t[i].kind, StopKind::step) << show(t);
    EXPECT_EQ(t[i].si_code, code::trap_trace);
    EXPECT_EQ(t[i].at, (Loc{Loc::Space::program, static_cast<uint16_t>(i)}));
    // The TF that PTRACE_SINGLESTEP set is hidden from PTRACE_GETREGS
    // (arch/x86/kernel/ptrace.c get_flags: TIF_FORCED_TF clears X86_EFLAGS_TF in the readout).
    EXPECT_FALSE(t[i].tf);
  }
  // cmp rax, 1 with rax = 0: 0 - 1 borrows, so CF = 1 and ZF = 0 (Intel SDM vol. 2, CMP).
  EXPECT_TRUE(t[2].cf);
  EXPECT_FALSE(t[2].zf);
  EXPECT_EQ(t[3].kind, StopKind::killed);
}

TEST_F(Host, KillSigusr1RunsTheHandler) {
  const Scenario s = parse(R"(ptmc-scenario 1
profile linux-x86_64
program:
  nr kill
  arg SIGUSR1
  syscall
  setz
handler:
  nop
actions:
  cont
  cont sig=pass
)");
  const TargetResult r = run({s});
  ASSERT_EQ(r.outcomes.size(), 1u);
  const Trace& t = r.outcomes[0].trace;
  ASSERT_EQ(r.outcomes[0].status, OutcomeStatus::ok) << r.outcomes[0].message;
  ASSERT_EQ(t.size(), 3u) << show(t);
  // kill(0, SIGUSR1): a signal-delivery-stop (ptrace(2)) on the way out of the syscall, rip
  // past it; kill(2) returned 0; kill's siginfo is SI_USER (kernel/signal.c
  // prepare_kill_siginfo).
  EXPECT_EQ(t[1].kind, StopKind::signal);
  EXPECT_EQ(t[1].signal, sig::usr1);
  EXPECT_EQ(t[1].si_code, code::si_user);
  EXPECT_EQ(t[1].at, (Loc{Loc::Space::program, 3}));
  EXPECT_EQ(t[1].rax, 0);
  EXPECT_EQ(t[1].orig_rax, nr::kill);
  // Passed on, the handler runs and returns with rt_sigreturn, which restores the interrupted
  // registers (arch/x86/kernel/signal_64.c); the program then ends with exit_group(0).
  EXPECT_EQ(t[2].kind, StopKind::exited);
  EXPECT_EQ(t[2].exit_code, 0);
}

TEST_F(Host, SuppressedSigusr2DoesNotKill) {
  const Scenario s = parse(R"(ptmc-scenario 1
profile linux-x86_64
program:
  nr kill
  arg SIGUSR2
  syscall
actions:
  cont
  cont
  cont
  cont sig=pass
)");
  // Twice: suppressed (ptrace(2): restarting with sig 0 discards it), then a second run where
  // it is passed and SIGUSR2's default action terminates (signal(7)).
  Scenario passed = s;
  passed.actions = {s.actions[0], s.actions[3]};
  const TargetResult r = run({s, passed});
  ASSERT_EQ(r.outcomes.size(), 2u);
  const Trace& t = r.outcomes[0].trace;
  ASSERT_EQ(t.size(), 3u) << show(t);
  EXPECT_EQ(t[1].signal, sig::usr2);
  EXPECT_EQ(t[2].kind, StopKind::exited);
  const Trace& u = r.outcomes[1].trace;
  ASSERT_EQ(u.size(), 3u) << show(u);
  EXPECT_EQ(u[2].kind, StopKind::killed);
  EXPECT_EQ(u[2].signal, sig::usr2);
}

TEST_F(Host, HangIsReportedAndTheBatchGoesOn) {
  // Detaching with SIGSTOP (ptrace(2) PTRACE_DETACH: "restart the stopped tracee as for
  // PTRACE_CONT, but first detach"; the signal is delivered) stops the now untraced child
  // (signal(7): SIGSTOP's default action is Stop), and an untraced stop is not reported to a
  // waitpid without WUNTRACED (wait(2)), so the agent's wait times out.
  const Scenario hang = parse(R"(ptmc-scenario 1
profile linux-x86_64
program:
  nop
actions:
  detach sig=SIGSTOP
)");
  const Scenario after = parse(R"(ptmc-scenario 1
profile linux-x86_64
program:
  nop
actions:
  detach
)");
  const TargetResult r = run({hang, after}, 0.3);
  ASSERT_FALSE(r.error) << *r.error;
  ASSERT_EQ(r.outcomes.size(), 2u);
  EXPECT_EQ(r.outcomes[0].status, OutcomeStatus::hang);
  EXPECT_NE(r.outcomes[0].message.find("host: scenario 0"), std::string::npos)
      << r.outcomes[0].message;
  ASSERT_EQ(r.outcomes[0].trace.size(), 3u) << show(r.outcomes[0].trace);
  EXPECT_EQ(r.outcomes[0].trace[1].kind, StopKind::detached);
  EXPECT_EQ(r.outcomes[0].trace[2].kind, StopKind::hang);
  // Detached with no signal, the program runs untraced to exit_group(0).
  ASSERT_EQ(r.outcomes[1].status, OutcomeStatus::ok) << r.outcomes[1].message;
  ASSERT_EQ(r.outcomes[1].trace.size(), 3u) << show(r.outcomes[1].trace);
  EXPECT_EQ(r.outcomes[1].trace[1].kind, StopKind::detached);
  EXPECT_EQ(r.outcomes[1].trace[2].kind, StopKind::exited);
}

TEST_F(Host, RepeatCapEndsWithTheLastStop) {
  // docs/scenario-format.md: a run cut by the repeat cap ends with the last stop seen.
  const Scenario s = parse(R"(ptmc-scenario 1
profile linux-x86_64
program:
  nop
  nop
  nop
  nop
actions:
  repeat singlestep max=2
)");
  const TargetResult r = run({s});
  const Trace& t = r.outcomes[0].trace;
  ASSERT_EQ(r.outcomes[0].status, OutcomeStatus::ok) << r.outcomes[0].message;
  ASSERT_EQ(t.size(), 3u) << show(t);
  EXPECT_EQ(t.back().kind, StopKind::step);
  EXPECT_EQ(t.back().at, (Loc{Loc::Space::program, 2}));
}

// ---- Failures of the target as a whole --------------------------------------------------
std::string fake_agent(const std::string& body) {
  char path[] = "/tmp/ptmc-fake-agent-XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << "#!/bin/sh\n" << body;
  chmod(path, 0755);
  return path;
}

Scenario trivial() {
  return parse("ptmc-scenario 1\nprofile linux-x86_64\nprogram:\n  nop\n");
}

TEST_F(Host, MissingAgent) {
  setenv("PTMC_AGENT", "/nonexistent/ptmc-agent", 1);
  const TargetResult r = run({trivial(), trivial()});
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->find("/nonexistent/ptmc-agent"), std::string::npos) << *r.error;
  ASSERT_EQ(r.outcomes.size(), 2u);
  for (size_t k = 0; k < 2; ++k) {
    EXPECT_EQ(r.outcomes[k].status, OutcomeStatus::error);
    EXPECT_NE(r.outcomes[k].message.find("scenario " + std::to_string(k)), std::string::npos);
  }
}

TEST_F(Host, CrashingAgentKeepsWhatItPrinted) {
  const std::string agent = fake_agent("echo 'ptmc-agent 1 kernel=fake arch=x86_64'\n"
                                       "echo 'begin 0'\n"
                                       "echo 'exited code=0 written=0'\n"
                                       "echo 'end 0 ok'\n"
                                       "echo 'begin 1'\n"
                                       "echo 'oops' >&2\n"
                                       "kill -SEGV $$\n");
  setenv("PTMC_AGENT", agent.c_str(), 1);
  const TargetResult r = run({trivial(), trivial()});
  unlink(agent.c_str());
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->find("signal 11"), std::string::npos) << *r.error;
  EXPECT_NE(r.error->find("oops"), std::string::npos) << *r.error;
  EXPECT_EQ(r.kernel_release, "fake");
  ASSERT_EQ(r.outcomes.size(), 2u);
  EXPECT_EQ(r.outcomes[0].status, OutcomeStatus::ok);
  EXPECT_EQ(r.outcomes[1].status, OutcomeStatus::error);
  EXPECT_NE(r.outcomes[1].message.find("signal 11"), std::string::npos) << r.outcomes[1].message;
}

TEST_F(Host, GarbageOutput) {
  const std::string agent = fake_agent("echo 'hello, world'\n");
  setenv("PTMC_AGENT", agent.c_str(), 1);
  const TargetResult r = run({trivial()});
  unlink(agent.c_str());
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->find("not the agent protocol"), std::string::npos) << *r.error;
  ASSERT_EQ(r.outcomes.size(), 1u);
  EXPECT_EQ(r.outcomes[0].status, OutcomeStatus::error);
}

TEST_F(Host, AgentNextToTheExecutable) {
  unsetenv("PTMC_AGENT");
  // /proc/self/exe is this test binary; the agent is found in its directory.
  const std::string found = find_agent();
  EXPECT_EQ(found.substr(found.rfind('/')), "/ptmc-agent");
}

} // namespace
} // namespace ptmc::kernel
