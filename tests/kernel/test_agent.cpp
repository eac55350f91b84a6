// The agent's machinery in-process: the wait helper's timeout path on a child that never stops,
// and that many runs leak neither fds nor children.
#include "kernel/agent.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <dirent.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ptmc::kernel {
namespace {

double seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int open_fds() {
  int n = 0;
  DIR* d = opendir("/proc/self/fd");
  if (!d) return -1;
  while (readdir(d)) ++n;
  closedir(d);
  return n;
}

TEST(AgentWait, TimesOutOnASleepingChild) {
  agent::block_sigchld();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    sleep(30);
    _exit(0);
  }
  const auto t0 = std::chrono::steady_clock::now();
  const agent::WaitResult w = agent::wait_child(pid, 0.3);
  const double took = seconds(t0);
  EXPECT_EQ(w.status, agent::WaitStatus::timeout);
  EXPECT_GE(took, 0.29);
  EXPECT_LT(took, 2.0);
  agent::kill_and_reap(pid);
  // Reaped: the pid is no longer our child.
  int st = 0;
  EXPECT_EQ(waitpid(pid, &st, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST(AgentWait, ReturnsPromptlyOnExit) {
  agent::block_sigchld();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    usleep(50 * 1000);
    _exit(7);
  }
  const auto t0 = std::chrono::steady_clock::now();
  const agent::WaitResult w = agent::wait_child(pid, 5.0);
  EXPECT_LT(seconds(t0), 2.0); // woken by SIGCHLD, not by the timeout
  ASSERT_EQ(w.status, agent::WaitStatus::event);
  ASSERT_TRUE(WIFEXITED(w.wstatus));
  EXPECT_EQ(WEXITSTATUS(w.wstatus), 7);
}

TEST(AgentWait, SeesAPtraceStop) {
  agent::block_sigchld();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
    kill(getpid(), SIGSTOP);
    _exit(0);
  }
  const agent::WaitResult w = agent::wait_child(pid, 5.0);
  ASSERT_EQ(w.status, agent::WaitStatus::event);
  ASSERT_TRUE(WIFSTOPPED(w.wstatus));
  EXPECT_EQ(WSTOPSIG(w.wstatus), SIGSTOP);
  agent::kill_and_reap(pid);
}

TEST(AgentWait, ErrorForANonChild) {
  agent::block_sigchld();
  const agent::WaitResult w = agent::wait_child(1, 0.1);
  EXPECT_EQ(w.status, agent::WaitStatus::error);
  EXPECT_EQ(w.error, ECHILD);
}

Action act(Request r, int signal = sig::none) {
  return Action{r, signal, false, {}};
}

Scenario tiny(std::vector<Insn> program, std::vector<Action> actions) {
  Scenario s;
  s.program = std::move(program);
  s.actions = std::move(actions);
  return s;
}

TEST(AgentRun, NoLeaksOverManyRuns) {
  std::string error;
  ASSERT_TRUE(agent::init(&error)) << error;
  const Scenario runs[] = {
      // Ends by exit_group.
      tiny({Insn{Op::set_nr, nr::write}, Insn{Op::syscall}}, {act(Request::cont)}),
      // Ends by PTRACE_KILL when the actions run out.
      tiny({Insn{Op::nop}}, {}),
      // Ends by a hang: detached with SIGSTOP, it stops untraced (see test_host.cpp).
      tiny({Insn{Op::nop}}, {act(Request::detach, sig::stop)}),
  };
  const int fds_before = open_fds();
  for (int i = 0; i < 300; ++i) {
    const size_t which = i % 30 == 29 ? 2 : i % 2; // a hang now and then: each costs its timeout
    const agent::ScenarioRun r = agent::run_scenario(runs[which], which == 2 ? 0.05 : 5.0);
    ASSERT_EQ(r.status, which == 2 ? OutcomeStatus::hang : OutcomeStatus::ok) << i << r.message;
  }
  EXPECT_EQ(open_fds(), fds_before);
  int st = 0;
  EXPECT_EQ(waitpid(-1, &st, WNOHANG | __WALL), -1) << "a child was left behind";
  EXPECT_EQ(errno, ECHILD);
}

TEST(AgentRun, BadRipEditIsAnErrorNotACrash) {
  std::string error;
  ASSERT_TRUE(agent::init(&error)) << error;
  Action a = act(Request::cont);
  a.edits.push_back(Edit{Reg::rip, 0, Loc{Loc::Space::program, 40}});
  const agent::ScenarioRun r = agent::run_scenario(tiny({Insn{Op::nop}}, {a}), 5.0);
  EXPECT_EQ(r.status, OutcomeStatus::error);
  EXPECT_NE(r.message.find("rip=40"), std::string::npos) << r.message;
  ASSERT_EQ(r.trace.size(), 1u); // the initial stop was seen
  int st = 0;
  EXPECT_EQ(waitpid(-1, &st, WNOHANG | __WALL), -1);
}

} // namespace
} // namespace ptmc::kernel
