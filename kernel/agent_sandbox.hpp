// The aarch64 agent's seccomp sandbox (kernel/agent_sandbox_aarch64.cpp). The x86_64 agent's is
// in kernel/agent.cpp; the two are kept apart so that each can change on its own.
#pragma once

#include <sys/types.h>

namespace ptmc::kernel::agent {

// Lets the calling process signal only itself, and fails every other signal-sending call and
// ptrace with EPERM. `self` is the caller's pid. Call after PR_SET_NO_NEW_PRIVS is possible
// (it sets it) and after PTRACE_TRACEME (the filter denies ptrace).
bool install_signal_sandbox_aarch64(pid_t self);

} // namespace ptmc::kernel::agent
