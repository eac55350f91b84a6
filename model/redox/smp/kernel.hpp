// The Redox kernel's ptrace code as listings of steps, one listing per kernel entry point, for
// tracer and tracee running as concurrent kernel threads (docs/redox-smp.md).
//
// A listing is the transcription of Redox's Rust code for one entry point (the proc: scheme's
// write on a trace handle, the tracee's syscall handler, ...), with the functions it calls
// inlined, cut at the points where another CPU can observe the difference: lock acquire and
// release, an access to shared data, a notify, a WaitCondition registration, a context switch.
// Every step names the line of Redox source it stands for (`Source`), at the commit of the
// version it belongs to; the rule table (`rules.hpp`) is the set of those sources.
//
// Versions differ by listing, not by flags: the B3 "before" and "after" kernels build their
// write listings from the same steps in the two orders of the two commits' code.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ptmc::redox_smp {

// The kernel threads. The clone exists only once the tracee has called clone().
enum class Thread : uint8_t { tracer, tracee, clone };
inline constexpr int kThreads = 3;
std::string_view thread_name(Thread t);

// Locks. `sessions` is ptrace.rs's SESSIONS RwLock (in 2019 the whole session lives under it);
// `data` the per-session Mutex<SessionData> of 75872cc5 and later; `handles` proc.rs's
// ProcScheme::handles RwLock; `handle_mutex` the per-handle Mutex that ab1a12ad removed.
enum class Lock : uint8_t { sessions, data, handles, handle_mutex };
std::string_view lock_name(Lock l);

// The two WaitConditions of a session.
enum class Wc : uint8_t { tracer, tracee };

// Ptrace flag bits, model encoding (one byte). `flag_word` gives Redox's value, from the
// interface level's constants (scenario/scenario.hpp namespace redox); the comments say which.
namespace flag {
inline constexpr uint8_t pre = 0x01;  // PTRACE_STOP_PRE_SYSCALL  0x1
inline constexpr uint8_t post = 0x02; // PTRACE_STOP_POST_SYSCALL 0x2
inline constexpr uint8_t step = 0x04; // PTRACE_STOP_SINGLESTEP   0x4
inline constexpr uint8_t signal = 0x08;
inline constexpr uint8_t exit = 0x20;   // PTRACE_STOP_EXIT 0x20
inline constexpr uint8_t clone = 0x40;  // PTRACE_EVENT_CLONE 0x100
inline constexpr uint8_t ignore = 0x80; // PTRACE_FLAG_IGNORE 0x1000
inline constexpr uint8_t stop_mask = pre | post | step | signal | exit;
} // namespace flag
uint64_t flag_word(uint8_t flags);
std::string format_flags(uint8_t flags);               // "PRE_SYSCALL|IGNORE"
bool parse_flags(std::string_view text, uint8_t& out); // the inverse; false on an unknown name

// Event causes in the session's queue.
enum class Cause : uint8_t { none, pre, post, step, signal, exit, clone };
std::string_view cause_name(Cause c);
uint8_t cause_flag(Cause c);
bool is_stop(Cause c);

// Results of an inlined function or a request.
enum class Ret : uint8_t { none, some, ok, esrch, enodev, eagain };
std::string_view ret_name(Ret r);

enum class Kind : uint8_t {
  // Locks (operand: lock). Acquire spins until free: a step enabled only then.
  acquire_read,
  acquire_write,
  release_read,
  release_write,
  // The session map and the session's data.
  lookup_own,       // cond = this context has a session in the map (no copy for tracer/clone)
  lookup_traced,    // cond = the traced pid's session is in the map
  remove_session,   // cond = it was; the map entry goes (the Arc may live on)
  bp_match,         // cond = breakpoint set and its flags contain the stop kind (arg)
  bp_reach_queue,   // breakpoint.reached = true, queue the event, flags register = bp flags
  send_check,       // cond = breakpoint set and the event's cause is within its flags
  queue_event,      // queue the event (arg)
  bp_clear,         // breakpoint = None
  bp_set,           // breakpoint = Some(request flags, not reached)
  bp_set_filtered,  // e18a8779: set only if the flags hold a stop or event bit, else None
  bp_read,          // cond = breakpoint set; flags register = its flags (next_breakpoint)
  wait_needed_2019, // cond = the 2019 wait() must sleep: not reached and no event queued
  wait_ready,       // cond = 75872cc5 wait(): reached or an event queued
  drain_events,     // the tracer's read: take the queue; reached register
  // WaitConditions (operand: wc).
  notify,
  wc_register, // block(), push the context
  wc_resume,   // after the switch: cond = notified (no entry of ours left); else remove one
  switch_out,  // context::switch(): the context leaves its CPU
  // Contexts (the tracee is the target of the tracer's requests).
  tsc_2019,            // try_stop_context, one pass under the context lock (a57ea6a7)
  tsc_yield,           // its switch() before a retry: waits for the tracee to be off-CPU
  tsc_save_and_stop,   // 3420339c/e18a8779: was_stopped = ptrace_stop; ptrace_stop = true
  tsc_running,         // with_context: cond = running
  tsc_finish_3420339c, // callback; if !was_stopped || restart_after { ptrace_stop = false }
  tsc_finish_e18a8779, // callback; ptrace_stop = was_stopped
  unstop,              // with_context_mut: ptrace_stop = false (ESRCH if exited)
  unstop_if_exists,    // close: ptrace_stop = false if the context exists
  exited_check,        // cond = the tracee has exited (Status::Exited)
  continue_clones,     // Handle::continue_ignored_children
  handle_remove,       // close: the handle leaves the handles map
  clones_push,         // read: EVENT_CLONE pids go to the handle's clone list
  // The tracee's own paths.
  ignore_decide, // syscall.rs: run the syscall unless the next flags hold IGNORE
  syscall_body,  // the syscall itself: getpid, exit (to the exit path), clone (continues)
  clone_create,  // clone(): the new context, Runnable, on its CPU
  clone_freeze,  // clone(): ptrace_stop = true on the new context
  sysret,        // back to user mode after the syscall
  debug_entry,   // #DB: had_singlestep = TF; TF = 0
  debug_restore, // no breakpoint matched: TF = had_singlestep
  ksignal_exit,  // lib.rs ksignal: exit(SIGTRAP)
  iret,          // back to user mode after the #DB
  exit_enter,    // syscall body of exit, or SIGKILL's default action: to the exit path
  mark_exited,   // exit(): status = Exited
  final_switch,  // exit(): the last context::switch(); the context never runs again
  request_done,  // the tracer's request returns (an observation)
  clone_user,    // the clone's user code runs
  assert_events, // e18a8779 read: assert!(read > 0 || reached) in blocking mode
  // Control flow, executed together with the step before it (not a step of its own).
  jump,
  jump_if,      // cond
  jump_unless,  // !cond
  jump_flags,   // request flags & arg
  jump_noflags, // !(request flags & arg)
  jump_ret,     // ret == arg
  jump_not_clone,
  jump_no_handle, // the trace handle is not in the handles map any more
  set_ret,        // ret = arg
};

bool is_control(Kind k);

// Where a step comes from.
struct Source {
  std::string commit;   // short hash in redox-os/kernel
  std::string file;     // path in that commit
  int line = 0;         // the line the step stands for
  std::string function; // the Rust function
  std::string text;     // what the step does, in words
};

struct Op {
  Kind kind = Kind::jump;
  uint8_t arg = 0;     // lock, wc, stop flag, cause, ret ... by kind
  uint16_t target = 0; // jumps
  uint16_t rule = 0;   // index into the rule table
};

// Listings, one per entry point.
enum class Code : uint8_t {
  none,          // user mode
  tracer_write,  // write(trace fd, flags)
  tracer_read,   // read(trace fd)
  tracer_regs,   // read(regs/int fd)
  tracer_close,  // close(trace fd), then the tracer ends
  tracer_killed, // the SIGKILL default action: exit(), which closes the trace fd
  tracee_syscall,
  tracee_debug,
  tracee_signal, // signal_handler(SIGKILL)
  tracee_exit,   // exit()
  clone_run,     // the clone's user code and exit (it is not traced)
  count
};
inline constexpr int kCodes = static_cast<int>(Code::count);
std::string_view code_name(Code c);

struct Listing {
  std::vector<Op> ops;
};

// One kernel version: its listings and the sources of their steps.
struct Kernel {
  std::string name;    // e.g. "a57ea6a7"
  std::string summary; // what it is
  Listing code[kCodes];
  std::vector<Source> rules;      // indexed by Op::rule
  bool restart_after_regs = true; // try_stop_context's restart_after for register access
};

// The versions the profiles use (kernel.cpp). Each is Redox at a commit, or the 2019 code with
// exactly one later fix applied (the B-pairs).
enum class Version : uint8_t {
  v2019,          // a57ea6a7 (= ab1a12ad for proc.rs): the 2019 state
  v2019_b1_mutex, // cf0a7620: before ab1a12ad removed the per-handle mutex
  v2019_b2_fix,   // 2019 + 75872cc5 (ptrace.rs: data mutex, register under it)
  v2019_b3_fix,   // 2019 + 3420339c's write order (TF, then set_breakpoint and notify)
  v2019_b4_fix,   // 2019 + 3420339c's try_stop_context
  v2020,          // e18a8779
};
const Kernel& kernel(Version v);

} // namespace ptmc::redox_smp
