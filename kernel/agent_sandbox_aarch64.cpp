// The seccomp filter of the aarch64 agent's tracees.
//
// On x86_64 a tracee's first argument register (rdi) stays 0 in the program, so kill(0, sig)
// is the only kill the alphabet makes. On arm64 the first argument is x0, which is also the
// result register: after getpid the program's next kill is kill(pid, sig), and after a write
// kill(1, sig), which as root would signal init. So this filter allows kill only with pid 0 or
// the tracee's own pid (both signal the tracee alone: the agent makes it a process group of one)
// and fails every other kill, every other signal-sending call and ptrace with EPERM.
//
// Seccomp runs after the ptrace entry stop (arch/arm64/kernel/ptrace.c syscall_trace_enter,
// Linux 6.1), so a refused call still shows its syscall-enter-stop; it then returns -EPERM
// without running, and the exit stop follows (syscall.c el0_svc_common: NO_SYSCALL goes to
// trace_exit).
#include "kernel/agent_sandbox.hpp"

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace ptmc::kernel::agent {

namespace {

// arm64 has no syscall table of its own: these are include/uapi/asm-generic/unistd.h's numbers.
// Spelled out, not SYS_*, so that the filter means the same whatever headers compile it.
constexpr uint32_t kNrPtrace = 117;
constexpr uint32_t kNrKill = 129;
constexpr uint32_t kNrTkill = 130;
constexpr uint32_t kNrTgkill = 131;
constexpr uint32_t kNrRtSigqueueinfo = 138;
constexpr uint32_t kNrRtTgsigqueueinfo = 240;
constexpr uint32_t kNrPidfdSendSignal = 424;
#if defined(__aarch64__)
static_assert(kNrKill == SYS_kill && kNrTgkill == SYS_tgkill && kNrPtrace == SYS_ptrace &&
              kNrPidfdSendSignal == SYS_pidfd_send_signal);
#endif

} // namespace

bool install_signal_sandbox_aarch64(pid_t self) {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return false;
  constexpr uint32_t kAllow = SECCOMP_RET_ALLOW;
  constexpr uint32_t kDeny = SECCOMP_RET_ERRNO | EPERM;
  // The kernel's sys_kill takes a pid_t, so the low 32 bits of x0 are the whole pid.
  const auto pid = static_cast<uint32_t>(self);
  sock_filter filter[] = {
      /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_AARCH64, 1, 0),
      /* 2 */ BPF_STMT(BPF_RET | BPF_K, kDeny), // an AArch32 call: nothing here makes one
      /* 3 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      /* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kNrKill, 0, 3),
      /* 5 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args[0])),
      /* 6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 7, 0),
      /* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, pid, 6, 7),
      /* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kNrTkill, 6, 0),
      /* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kNrTgkill, 5, 0),
      /* 10 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kNrRtSigqueueinfo, 4, 0),
      /* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kNrRtTgsigqueueinfo, 3, 0),
      /* 12 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kNrPidfdSendSignal, 2, 0),
      /* 13 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kNrPtrace, 1, 0),
      /* 14 */ BPF_STMT(BPF_RET | BPF_K, kAllow),
      /* 15 */ BPF_STMT(BPF_RET | BPF_K, kDeny),
  };

  sock_fprog prog{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
  return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0;
}

} // namespace ptmc::kernel::agent
