// The state of the Redox SMP model: three kernel contexts (tracer, tracee, clone), the locks,
// the session, the two WaitConditions, and the property monitors. Bytes only, so that the
// fingerprint can hash the object representation.
#pragma once

#include "model/redox/smp/kernel.hpp"

#include <cstdint>
#include <type_traits>

namespace ptmc::redox_smp {

// Context status (Redox context::Status, without Stopped: no SIGSTOP in the model).
enum class Status : uint8_t { runnable, blocked, exited };

namespace sched {
inline constexpr uint8_t status_mask = 0x03;
inline constexpr uint8_t running = 0x04;      // switched in on its CPU
inline constexpr uint8_t ptrace_stop = 0x08;  // Context.ptrace_stop: never scheduled
inline constexpr uint8_t pending_kill = 0x10; // SIGKILL pending
inline constexpr uint8_t in_signal = 0x20;    // ksig: the signal handler is running
inline constexpr uint8_t done = 0x40;         // finished: the context will never run again
inline constexpr uint8_t exists = 0x80;
} // namespace sched

namespace reg {
inline constexpr uint8_t cond = 0x01;
inline constexpr uint8_t was_stopped = 0x02;
inline constexpr uint8_t had_tf = 0x04;
inline constexpr uint8_t reached = 0x08;
} // namespace reg

struct Context {
  uint8_t code = 0; // Code: the listing it runs (0: user mode)
  uint8_t pc = 0;
  uint8_t regs = 0;  // reg:: bits
  uint8_t ret = 0;   // Ret
  uint8_t flags = 0; // request flags (tracer) or breakpoint flags copy (tracee)
  uint8_t aux = 0;   // tracer: the request's index in the domain; tracee: the syscall
  uint8_t sched = 0; // sched:: bits
  uint8_t cpu = 0;
};

namespace sess {
inline constexpr uint8_t in_map = 0x01;       // SESSIONS holds the tracee's session
inline constexpr uint8_t bp_set = 0x02;       // breakpoint is Some
inline constexpr uint8_t reached = 0x04;      // breakpoint.reached
inline constexpr uint8_t clone_listed = 0x08; // the trace handle's clones list holds the clone
inline constexpr uint8_t handle_open = 0x10;  // the trace handle is in the handles map
inline constexpr uint8_t o_trunc = 0x20;      // opened with O_TRUNC
inline constexpr uint8_t frozen_open = 0x40;  // ... while the tracee was off its CPU
} // namespace sess

// The tracee's instructions.
enum class Insn : uint8_t { nop, getpid, clone };
std::string_view insn_name(Insn i);

// Property monitors (docs/redox-smp.md): who resumed the tracee last.
enum class Resumer : uint8_t { none, write, detach };

struct State {
  Context ctx[kThreads];
  // Locks: the holder is a thread index + 1; readers are a bit per thread.
  uint8_t sessions_writer = 0, sessions_readers = 0;
  uint8_t data_owner = 0;
  uint8_t handles_writer = 0;
  uint8_t handle_mutex_owner = 0;
  uint8_t session = 0;              // sess:: bits
  uint8_t bp_flags = 0;             // breakpoint flags
  uint8_t events[4] = {0, 0, 0, 0}; // queue of Cause, front first
  uint8_t wc[2] = {0, 0};           // entries per WaitCondition: 2 bits per thread
  // The tracee's user state.
  uint8_t upc = 0, tf = 0;
  uint8_t program = 0, program_length = 0; // 2 bits per instruction
  // The tracer's program.
  uint8_t requests = 0; // requests made so far (the final close not counted)
  uint8_t writes = 0;   // trace writes made so far: the resume generation
  uint8_t believes = 0; // bit0: the tracer believes the tracee stopped; bit1: it is detaching
  uint8_t kills = 0;    // bit0/1: a SIGKILL for the tracee/tracer is still to come;
                        // bit2/3: the tracee/tracer has been sent one
  // Monitors.
  uint8_t resumer = 0, resumer_flags = 0; // Resumer and the flags of that write
  uint8_t armed = 0;                      // the flags of the tracer's latest write
  uint8_t stop_gen = 0;                   // the write generation when the tracee last stopped
  uint8_t resume_sent = 0; // the generation of the last write whose notify reached the tracee WC
  uint8_t clone_mon = 0;   // bit0: the clone ran; bit1: EVENT_CLONE sent for it
  uint8_t obs = 0, obs_hi = 0; // the tracer's current result: events read or registers
  uint8_t pad[3] = {0, 0, 0};  // to a multiple of eight bytes, for the products' hashing
};
static_assert(std::has_unique_object_representations_v<State>);
static_assert(sizeof(State) % 8 == 0);

inline Status status(const Context& c) {
  return static_cast<Status>(c.sched & sched::status_mask);
}
inline void set_status(Context& c, Status s) {
  c.sched = static_cast<uint8_t>((c.sched & ~sched::status_mask) | static_cast<uint8_t>(s));
}

} // namespace ptmc::redox_smp
