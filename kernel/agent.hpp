// The tracer agent's machinery (kernel/agent.cpp), exposed for its tests. The agent binary is
// agent.cpp with its main(); tests link the same file without it (PTMC_AGENT_NO_MAIN).
#pragma once

#include "kernel/target.hpp"
#include "scenario/scenario.hpp"

#include <string>
#include <sys/resource.h>
#include <sys/types.h>

namespace ptmc::kernel::agent {

// Waiting on one child with a timeout. SIGCHLD must be blocked in the calling thread
// (block_sigchld()); the wait sleeps in sigtimedwait between WNOHANG polls, so it wakes as soon
// as the child stops or ends.
enum class WaitStatus { event, timeout, error };
struct WaitResult {
  WaitStatus status = WaitStatus::error;
  int wstatus = 0; // for event: the waitpid status
  int error = 0;   // for error: errno
};
void block_sigchld();
WaitResult wait_child(pid_t pid, double timeout_s);

// SIGKILL and reap: after this the pid is gone.
void kill_and_reap(pid_t pid);

// Maps the code and data regions and sets up the process (SIGCHLD blocked, fds 0-2 open).
// Call once before run_scenario.
bool init(std::string* error);

// What the tracee may do (docs/containment.md); both run in the forked child, before its initial
// stop, and are exposed for tests. limit_tracee sets its rlimits: no core, at most
// kTraceeCpuSeconds of CPU, and an address space kTraceeSpareBytes above what it has.
// install_sandbox installs the seccomp allowlist of scenario/syscalls.hpp (init() builds it);
// false if it could not.
inline constexpr rlim_t kTraceeCpuSeconds = 60;
inline constexpr rlim_t kTraceeSpareBytes = 64 << 20;
void limit_tracee();
bool install_sandbox();

struct ScenarioRun {
  OutcomeStatus status = OutcomeStatus::error;
  Trace trace;
  std::string message; // for hang and error
};
ScenarioRun run_scenario(const Scenario& s, double timeout_s);

// The whole agent: arguments, batch in, protocol out. Returns the exit code.
int agent_main(int argc, char** argv);

} // namespace ptmc::kernel::agent
