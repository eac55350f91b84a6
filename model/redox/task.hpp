// The Redox layer's state vector: one traced context, its ptrace session and the tracer's side
// of it, at the interface level (docs/redox-model.md). A fixed-size, trivially copyable record;
// every byte, padding included, is zeroed at construction, so the fingerprint hashes raw bytes.
#pragma once

#include "model/cpu/x86_64/frame.hpp"
#include "scenario/scenario.hpp"

#include <cstdint>
#include <cstring>

namespace ptmc::redox {

// Same numbering as the Linux layer's Phase, so graph passes that read a state's phase byte work
// on both. `unmodelled`: the tracee did something the model does not follow (exit_value says
// what).
enum class Phase : uint8_t { user, stopped, exited, killed, unmodelled };
namespace unmodelled {
inline constexpr uint8_t stack_misuse = 1;       // the model keeps one stack slot
inline constexpr uint8_t kill_other_process = 2; // kill(pid != 0): outside the sandbox
inline constexpr uint8_t sigreturn_panics = 3;   // sigreturn with no signal in delivery
inline constexpr uint8_t too_many_events = 4;    // more unread events than the model keeps
inline constexpr uint8_t too_many_signals = 5;   // more pending signals than the model keeps
inline constexpr uint8_t rip_outside = 6;        // rip left the code the model knows
} // namespace unmodelled

// Where in the kernel a tracee that is not in user mode waits, and so how it continues.
enum class Where : uint8_t {
  start,  // frozen by O_TRUNC inside the SIGSTOP it sent itself with kill(0, SIGSTOP)
  pre,    // the PRE_SYSCALL callback: next the IGNORE check, the body, the POST callback
  post,   // the POST_SYSCALL callback: next the return to user mode
  step,   // the SINGLESTEP callback of #DB after a user instruction
  kstep,  // the SINGLESTEP callback of #DB taken in the kernel at syscall entry (TF not masked)
  bkpt,   // the BREAKPOINT callback of #BP (int3)
  signal, // the SIGNAL callback of signal_handler, for `ksig`
  exit,   // the EXIT callback of exit()
  // Frozen in user mode before its next instruction: O_TRUNC's ptrace_stop taken while the
  // tracee was off its CPU (the concurrent model's `O_TRUNC-frozen` attach, docs/redox-smp.md).
  attach,
};

// An event as read from the trace file: the cause's stop bit and the payload the model keeps
// (SIGNAL: a = signal, b = 1 for a user handler; EXIT: a = the status word).
struct Event {
  uint8_t cause; // a stop bit of the flag word (redox::pre_syscall ...), as a byte
  uint8_t b;
  uint16_t a;
};
inline constexpr int kMaxEvents = 3;  // unread events; one more is `unmodelled`
inline constexpr int kMaxPending = 2; // pending signals; one more is `unmodelled`

// rsi at handler entry: usermode() zeroes it, a null pointer (the Arg values are 0..2, and the
// Linux layer's kArgFramePtr is 3).
inline constexpr uint8_t kArgNull = 4;

struct Task {
  x86::Frame regs;   // the live frame: the user registers, or what the kernel will return with
  x86::Frame backup; // while a signal is in delivery: that frame in the kernel-stack backup
  x86::Frame copy;   // the struct the tracer's last getregs read (its buffer for setregs)
  Event events[kMaxEvents];
  uint16_t bp_flags; // the breakpoint's flag word (low 16 bits; higher bits never get here)

  Phase phase;
  Where at;           // when stopped: where
  uint8_t bp;         // a breakpoint is set
  uint8_t bp_reached; // ...and a callback matched it
  uint8_t nevents;    // unread events, oldest first
  uint8_t ksig;       // the signal in delivery (context.ksig), 0 for none
  uint8_t frozen;     // context.ptrace_stop
  uint8_t session;    // the trace file is open
  uint8_t excl;       // it was opened with O_EXCL
  uint8_t nonblock;   // ...with O_NONBLOCK
  uint8_t pending[kMaxPending];
  uint8_t npending;
  uint8_t written;      // bytes that reached the output pipe
  uint8_t exit_value;   // exit code, killing signal, or the unmodelled reason
  uint8_t copy_valid;   // the tracer has read the registers
  uint8_t write_waits;  // 2019: the tracer sleeps in write() until the tracee stops or ends
  uint8_t regs_gone;    // context.regs is None (after #DB/#BP ended in ksignal)
  uint8_t hung;         // the tracer (or the harness) waits for what can no longer happen
  uint8_t kstep_tf;     // at a kstep stop: the tracer set TF in the kernel's own #DB frame
  uint16_t exit_status; // at an EXIT stop: the status word exit() was called with
  uint8_t first_kill;   // still inside the kill(SIGSTOP) the child made before the trace began

  Task() { std::memset(static_cast<void*>(this), 0, sizeof(*this)); }
  Task(const Task& o) { std::memcpy(static_cast<void*>(this), &o, sizeof(*this)); }
  Task& operator=(const Task& o) {
    std::memcpy(static_cast<void*>(this), &o, sizeof(*this));
    return *this;
  }
  bool operator==(const Task& o) const { return std::memcmp(this, &o, sizeof(*this)) == 0; }

  Loc pc() const { return Loc{static_cast<Loc::Space>(regs.pc_space), regs.pc}; }
  bool dead() const { return phase == Phase::exited || phase == Phase::killed; }
};
static_assert(sizeof(Task) == 112);

} // namespace ptmc::redox
