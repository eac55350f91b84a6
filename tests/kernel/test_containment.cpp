// The tracee's sandbox on this machine's kernel (docs/containment.md): the seccomp allowlist,
// number by number against scenario/syscalls.hpp; scenarios that try to fork, exec, map memory
// or signal another process, run by the real agent; and the tracee's rlimits.
#include "kernel/agent.hpp"
#include "kernel/host.hpp"
#include "scenario/syscalls.hpp"
#include "tests/kernel/containment_cases.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ptmc::kernel {
namespace {

// What the sandbox does with syscall `nr` when every argument is -1: true if it kills.
// The child makes the syscall with the sandbox installed; -1 arguments make every syscall fail
// harmlessly should the filter ever let a wrong one through.
bool sandbox_kills(int64_t nr) {
  const pid_t pid = fork();
  if (pid == 0) {
    setsid(); // no controlling terminal for anything to hang up
    agent::limit_tracee();
    if (!agent::install_sandbox()) _exit(99);
    syscall(nr, -1L, -1L, -1L, -1L, -1L, -1L);
    _exit(0);
  }
  const agent::WaitResult w = agent::wait_child(pid, 5.0);
  if (w.status != agent::WaitStatus::event) {
    agent::kill_and_reap(pid);
    ADD_FAILURE() << "syscall " << nr << ": the child did not end (allowed, and it blocked)";
    return false;
  }
  EXPECT_FALSE(WIFEXITED(w.wstatus) && WEXITSTATUS(w.wstatus) == 99) << "no sandbox";
  return WIFSIGNALED(w.wstatus) && WTERMSIG(w.wstatus) == SIGSYS;
}

// Whether the model follows syscall `nr` with every argument -1: the sandbox must let through
// exactly these.
bool model_follows(int64_t nr) {
  using namespace syscalls;
  switch (classify(Arch::x86_64, nr)) {
  case Class::skip:
  case Class::invalid:
    return true;
  case Class::unmodelled:
  case Class::x32:
    return false;
  case Class::modelled:
    // rdi = -1: kill needs pid 0, read and write fd 0 or 10.
    return find_modelled(Arch::x86_64, dispatch_number(nr))->first_arg == FirstArg::any;
  }
  return false;
}

TEST(Sandbox, AllowsExactlyWhatTheModelFollows) {
  std::string error;
  ASSERT_TRUE(agent::init(&error)) << error;
  std::vector<int64_t> numbers;
  // Every number up to past the x32-only slots (512-547), then samples of the rest.
  for (int64_t nr = -3; nr < 560; ++nr) numbers.push_back(nr);
  using syscalls::kX32Bit;
  for (int64_t nr : {int64_t{600}, int64_t{999}, int64_t{1024}, int64_t{1} << 20,
                     int64_t{kX32Bit} - 1, int64_t{kX32Bit}, int64_t{kX32Bit} + 39,
                     int64_t{0x7fffffff}, int64_t{INT32_MIN}, int64_t{0x100000039},
                     int64_t{0x100000027}, int64_t{0xffffffff}, int64_t{-0x100000000 + 57}})
    numbers.push_back(nr);
  for (int64_t nr : numbers) {
    if (nr == SYS_rt_sigreturn) continue; // with a garbage frame it dies of SIGSEGV: below
    const bool exempt = std::ranges::count(syscalls::kSeccompExempt, nr) > 0;
    const bool kills = sandbox_kills(nr);
    if (exempt) {
      // The kernel lets these past every filter where it has them, and kills otherwise.
      std::printf("syscall %lld: %s\n", static_cast<long long>(nr),
                  kills ? "killed (not a syscall of this kernel)" : "exempt from seccomp here");
      continue;
    }
    EXPECT_EQ(kills, !model_follows(nr))
        << "syscall " << syscalls::describe(Arch::x86_64, nr) << " with every argument -1";
  }
}

// The first-argument rules with the alphabet's own values, and rt_sigreturn.
TEST(Sandbox, FirstArgumentsTheAlphabetUses) {
  std::string error;
  ASSERT_TRUE(agent::init(&error)) << error;
  const auto ends = [](auto&& body) {
    const pid_t pid = fork();
    if (pid == 0) {
      setsid();
      if (!agent::install_sandbox()) _exit(99);
      body();
      _exit(0);
    }
    const agent::WaitResult w = agent::wait_child(pid, 5.0);
    EXPECT_EQ(w.status, agent::WaitStatus::event);
    return w.wstatus;
  };
  // kill(0, 0): its own process group, signal 0 (no signal, only the check).
  int st = ends([] { syscall(SYS_kill, 0, 0); });
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
  st = ends([] { syscall(SYS_kill, 10, 0); });
  EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS) << st;
  for (long fd : {0L, 10L}) {
    st = ends([fd] { syscall(SYS_write, fd, nullptr, 0); });
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "write fd " << fd << ": " << st;
    st = ends([fd] { syscall(SYS_read, fd, nullptr, 0); });
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "read fd " << fd << ": " << st;
  }
  st = ends([] { syscall(SYS_write, 2, nullptr, 0); });
  EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS) << st;
  st = ends([] { syscall(SYS_exit_group, 7); });
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 7) << st;
  // rt_sigreturn runs (it is on the list), and restores a frame from whatever the stack holds.
  st = ends([] { syscall(SYS_rt_sigreturn); });
  EXPECT_FALSE(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS) << st;
}

TEST(Sandbox, TraceeLimits) {
  const pid_t pid = fork();
  if (pid == 0) {
    agent::limit_tracee();
    rlimit cpu{}, as{}, core{};
    getrlimit(RLIMIT_CPU, &cpu);
    getrlimit(RLIMIT_AS, &as);
    getrlimit(RLIMIT_CORE, &core);
    const bool ok = cpu.rlim_cur == agent::kTraceeCpuSeconds &&
                    cpu.rlim_max == agent::kTraceeCpuSeconds && as.rlim_cur != RLIM_INFINITY &&
                    as.rlim_cur > agent::kTraceeSpareBytes && core.rlim_max == 0 &&
                    prctl(PR_GET_DUMPABLE) == 0;
    _exit(ok ? 0 : 1);
  }
  int st = 0;
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
}

// The RLIMIT_AS bound holds: an allocation past it fails in the limited process.
TEST(Sandbox, AddressSpaceLimitStopsGrowth) {
  const pid_t pid = fork();
  if (pid == 0) {
    agent::limit_tracee();
    void* p = mmap(nullptr, 2 * agent::kTraceeSpareBytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    _exit(p == MAP_FAILED && errno == ENOMEM ? 0 : 1);
  }
  int st = 0;
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
}

// The scenarios of containment_cases.hpp through the real agent. This process is made a child
// subreaper, so a process the tracee managed to create would be reparented here when the agent
// exits, and found.
TEST(Containment, ScenariosOnTheHost) {
  setenv("PTMC_AGENT", PTMC_AGENT_PATH, 1);
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  std::vector<Scenario> batch;
  const auto cases = test::containment_cases();
  for (const auto& c : cases) batch.push_back(c.scenario);
  TargetOptions o;
  o.wait_timeout_s = 5;
  const TargetResult r = run_on_host(batch, o);
  ASSERT_FALSE(r.error) << *r.error;
  ASSERT_EQ(r.outcomes.size(), cases.size());
  for (size_t k = 0; k < cases.size(); ++k) {
    EXPECT_EQ(r.outcomes[k].status, OutcomeStatus::ok) << cases[k].name << r.outcomes[k].message;
    const std::string mismatch = test::containment_mismatch(cases[k], r.outcomes[k].trace);
    EXPECT_TRUE(mismatch.empty()) << mismatch;
  }
  usleep(200 * 1000);
  int st = 0;
  EXPECT_EQ(waitpid(-1, &st, WNOHANG | __WALL), -1) << "a process escaped the sandbox";
  EXPECT_EQ(errno, ECHILD);
  prctl(PR_SET_CHILD_SUBREAPER, 0);
  unsetenv("PTMC_AGENT");
}

} // namespace
} // namespace ptmc::kernel
