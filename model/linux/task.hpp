// The Linux layer's state vector: one traced task, generic over the architecture's register
// frame. A fixed-size, trivially copyable record; every byte, padding included, is zeroed at
// construction, so the fingerprint can hash the raw bytes. docs/state-vector.md explains each
// field and why the program is not part of it.
#pragma once

#include "scenario/scenario.hpp"

#include <cstdint>
#include <cstring>
#include <type_traits>

namespace ptmc {

// `unmodelled`: the tracee did something the model does not follow (exit_value says what); the
// runner reports it as an error, and the explorer never reaches it.
enum class Phase : uint8_t { user, stopped, exited, killed, unmodelled };
namespace unmodelled {
inline constexpr uint8_t sigreturn_without_frame = 1; // the frame would be stack garbage
inline constexpr uint8_t kill_other_process = 2;      // kill(pid != 0): outside the sandbox
inline constexpr uint8_t stack_misuse = 3; // a second pushf, a popf with nothing pushed, or a
                                           // second `add rsp, 8`: the model keeps one slot
inline constexpr uint8_t syscall = 4;      // orig_rax names a syscall the model does not follow
                                           // (scenario/syscalls.hpp); orig_rax is left as it was
} // namespace unmodelled

// Why a stopped tracee stopped: this decides how a resume continues in the kernel.
enum class StopWhy : uint8_t {
  initial,         // the SIGSTOP the agent's child raises before instruction 0
  syscall_enter,   // ptrace_report_syscall_entry
  syscall_exit,    // ptrace_report_syscall_exit without a step
  signal_delivery, // ptrace_signal, inside get_signal
  handler_notify,  // signal_delivered's ptrace_notify, stepping into a handler
};

// Thread and syscall work flags (TIF_* and SYSCALL_WORK_*). forced_tf is x86's, kept here so the
// record stays one flag byte; other architectures leave it clear.
namespace work {
inline constexpr uint8_t trace = 1 << 0;      // SYSCALL_WORK_SYSCALL_TRACE
inline constexpr uint8_t emu = 1 << 1;        // SYSCALL_WORK_SYSCALL_EMU
inline constexpr uint8_t singlestep = 1 << 2; // TIF_SINGLESTEP
inline constexpr uint8_t exit_trap = 1 << 3;  // SYSCALL_WORK_SYSCALL_EXIT_TRAP
inline constexpr uint8_t forced_tf = 1 << 4;  // TIF_FORCED_TF (x86)
} // namespace work

// Pending-signal bits.
namespace pend {
inline constexpr uint8_t trap = 1 << 0;
inline constexpr uint8_t usr1 = 1 << 1;
inline constexpr uint8_t usr2 = 1 << 2;
} // namespace pend

// The pending bit of a signal the model knows, or 0.
constexpr uint8_t pend_bit(int signo) {
  return signo == sig::trap   ? pend::trap
         : signo == sig::usr1 ? pend::usr1
         : signo == sig::usr2 ? pend::usr2
                              : 0;
}

template <class Frame> struct LinuxTask {
  Frame regs;  // the live user frame (pt_regs)
  Frame saved; // the signal frame rt_sigreturn will restore, valid when in_handler
  // The syscall number as the kernel keeps it apart from the registers: x86's orig_ax (-1 after
  // exceptions and rt_sigreturn), arm64's syscallno.
  int64_t orig_rax;

  Phase phase;
  StopWhy why;
  uint8_t stop_sig;  // the signal at a signal-delivery-stop
  int16_t stop_code; // its si_code
  uint8_t stop_op;   // SyscallOp as PTRACE_GET_SYSCALL_INFO would answer

  uint8_t work;       // work:: bits
  uint8_t entry_work; // work as syscall entry captured it, for the resume from the entry stop
  uint8_t pending;    // pend:: bits queued for this thread (task->pending): traps, send_sig
  int16_t trap_code;  // si_code of the pending SIGTRAP
  uint8_t in_handler; // a SIGUSR1 frame is live; SIGUSR1 is blocked
  uint8_t traced;     // 0 after detach
  uint8_t tracesysgood;
  uint8_t last_request;      // Request, for the `pass` policy
  uint8_t written;           // bytes that reached the output pipe
  uint8_t exit_value;        // exit code, or the killing signal
  uint8_t pending_si_kernel; // pend:: bits of SIGUSR1/2 queued by send_sig (SI_KERNEL)
  uint8_t pending_shared;    // pend:: bits queued for the process (kill): always SI_USER
  uint8_t stop_shared;       // the signal at this signal-delivery-stop came from the shared queue
  // The exit status was the pid's low byte: exit_group's argument was getpid's result (arm64,
  // where the argument register is the result register). exit_value then holds no meaning.
  uint8_t exit_pid;
  uint8_t pad_[2];

  LinuxTask() { std::memset(static_cast<void*>(this), 0, sizeof(*this)); }
  LinuxTask(const LinuxTask& o) { std::memcpy(static_cast<void*>(this), &o, sizeof(*this)); }
  LinuxTask& operator=(const LinuxTask& o) {
    std::memcpy(static_cast<void*>(this), &o, sizeof(*this));
    return *this;
  }
  bool operator==(const LinuxTask& o) const { return std::memcmp(this, &o, sizeof(*this)) == 0; }

  Loc pc() const { return Loc{static_cast<Loc::Space>(regs.pc_space), regs.pc}; }
  bool dead() const { return phase == Phase::exited || phase == Phase::killed; }
};

} // namespace ptmc
