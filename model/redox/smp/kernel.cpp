// The Redox kernel versions as listings of steps. Each emitter below transcribes one Rust
// function at one commit of redox-os/kernel; its steps cite the line they stand for.
// docs/redox-smp-sources.md walks through the same code in prose.
#include "model/redox/smp/kernel.hpp"

#include "scenario/scenario.hpp"

#include <array>
#include <map>
#include <stdexcept>
#include <tuple>

namespace ptmc::redox_smp {

std::string_view thread_name(Thread t) {
  switch (t) {
  case Thread::tracer:
    return "tracer";
  case Thread::tracee:
    return "tracee";
  case Thread::clone:
    return "clone";
  }
  return "?";
}

std::string_view lock_name(Lock l) {
  switch (l) {
  case Lock::sessions:
    return "SESSIONS";
  case Lock::data:
    return "session.data";
  case Lock::handles:
    return "handles";
  case Lock::handle_mutex:
    return "handle mutex";
  }
  return "?";
}

namespace {
// The model's one-byte encoding of the flag words the tracer writes; the values and names are
// the interface level's (scenario/scenario.hpp, redox-os/syscall src/flag.rs).
struct FlagBit {
  uint8_t bit;
  uint64_t word;
};
constexpr std::array<FlagBit, 7> kFlagBits{{
    {flag::pre, redox::pre_syscall},
    {flag::post, redox::post_syscall},
    {flag::step, redox::singlestep},
    {flag::signal, redox::signal},
    {flag::exit, redox::exit},
    {flag::clone, redox::event_clone},
    {flag::ignore, redox::flag_ignore},
}};
} // namespace

uint64_t flag_word(uint8_t flags) {
  uint64_t w = 0;
  for (const auto& f : kFlagBits)
    if (flags & f.bit) w |= f.word;
  return w;
}

std::string format_flags(uint8_t flags) {
  return format_redox_flags(flag_word(flags));
}

bool parse_flags(std::string_view text, uint8_t& out) {
  out = 0;
  if (text == "0") return true;
  while (!text.empty()) {
    const size_t bar = text.find('|');
    const std::string_view name = text.substr(0, bar);
    bool found = false;
    for (const auto& f : kFlagBits)
      if (format_redox_flags(f.word) == name) {
        out |= f.bit;
        found = true;
      }
    if (!found) return false;
    if (bar == std::string_view::npos) break;
    text.remove_prefix(bar + 1);
  }
  return true;
}

std::string_view cause_name(Cause c) {
  switch (c) {
  case Cause::none:
    return "none";
  case Cause::pre:
    return "PRE_SYSCALL";
  case Cause::post:
    return "POST_SYSCALL";
  case Cause::step:
    return "SINGLESTEP";
  case Cause::signal:
    return "SIGNAL";
  case Cause::exit:
    return "EXIT";
  case Cause::clone:
    return "EVENT_CLONE";
  }
  return "?";
}

uint8_t cause_flag(Cause c) {
  switch (c) {
  case Cause::pre:
    return flag::pre;
  case Cause::post:
    return flag::post;
  case Cause::step:
    return flag::step;
  case Cause::signal:
    return flag::signal;
  case Cause::exit:
    return flag::exit;
  case Cause::clone:
    return flag::clone;
  case Cause::none:
    break;
  }
  return 0;
}

bool is_stop(Cause c) {
  return c != Cause::none && c != Cause::clone;
}

std::string_view ret_name(Ret r) {
  switch (r) {
  case Ret::none:
    return "None";
  case Ret::some:
    return "Some";
  case Ret::ok:
    return "ok";
  case Ret::esrch:
    return "ESRCH";
  case Ret::enodev:
    return "ENODEV";
  case Ret::eagain:
    return "EAGAIN";
  }
  return "?";
}

std::string_view code_name(Code c) {
  switch (c) {
  case Code::none:
    return "user";
  case Code::tracer_write:
    return "write";
  case Code::tracer_read:
    return "read";
  case Code::tracer_regs:
    return "regs";
  case Code::tracer_close:
    return "close";
  case Code::tracer_killed:
    return "killed";
  case Code::tracee_syscall:
    return "syscall";
  case Code::tracee_debug:
    return "debug";
  case Code::tracee_signal:
    return "signal";
  case Code::tracee_exit:
    return "exit";
  case Code::clone_run:
    return "clone";
  case Code::count:
    break;
  }
  return "?";
}

bool is_control(Kind k) {
  switch (k) {
  case Kind::jump:
  case Kind::jump_if:
  case Kind::jump_unless:
  case Kind::jump_flags:
  case Kind::jump_noflags:
  case Kind::jump_ret:
  case Kind::jump_not_clone:
  case Kind::jump_no_handle:
  case Kind::set_ret:
    return true;
  default:
    return false;
  }
}

namespace {

// Commits of redox-os/kernel the listings transcribe.
constexpr const char* k2019 = "a57ea6a7"; // ptrace-end merge; proc.rs as of ab1a12ad
constexpr const char* kB1Before = "cf0a7620";
constexpr const char* kB2Fix = "75872cc5";
constexpr const char* kB3B4Fix = "3420339c";
constexpr const char* k2020 = "e18a8779";

constexpr const char* kPtrace = "src/ptrace.rs";
constexpr const char* kProc = "src/scheme/proc.rs";
constexpr const char* kWaitCond = "src/sync/wait_condition.rs";
constexpr const char* kProcess = "src/syscall/process.rs";
constexpr const char* kSignal = "src/context/signal.rs";
constexpr const char* kSyscall = "src/arch/x86_64/interrupt/syscall.rs";
constexpr const char* kException = "src/arch/x86_64/interrupt/exception.rs";
constexpr const char* kLib = "src/lib.rs";

// Writes one listing. Labels are resolved when the listing is finished.
class Asm {
public:
  Asm(Kernel& k, Code c) : k_(k), l_(k.code[static_cast<int>(c)]) {}
  ~Asm() {
    for (auto [at, label] : fixups_) l_.ops[at].target = static_cast<uint16_t>(bound_.at(label));
  }
  int label() { return next_label_++; }
  void bind(int label) { bound_[label] = static_cast<int>(l_.ops.size()); }

  void step(Kind kind, uint8_t arg, const char* commit, const char* file, int line,
            const char* function, const char* text) {
    Op op;
    op.kind = kind;
    op.arg = arg;
    op.rule = rule(commit, file, line, function, text);
    l_.ops.push_back(op);
  }
  void ctl(Kind kind, uint8_t arg, int target) {
    Op op;
    op.kind = kind;
    op.arg = arg;
    fixups_.push_back({static_cast<int>(l_.ops.size()), target});
    l_.ops.push_back(op);
  }
  void set_ret(Ret r) {
    Op op;
    op.kind = Kind::set_ret;
    op.arg = static_cast<uint8_t>(r);
    l_.ops.push_back(op);
  }
  void ret(Ret r, int end) {
    set_ret(r);
    ctl(Kind::jump, 0, end);
  }

private:
  uint16_t rule(const char* commit, const char* file, int line, const char* function,
                const char* text) {
    const auto key = std::make_tuple(std::string(commit), std::string(file), line,
                                     std::string(function), std::string(text));
    auto it = index_.find(key);
    if (it != index_.end()) return it->second;
    // Rules are shared by every listing of the kernel; reuse an entry written by another Asm.
    for (size_t i = 0; i < k_.rules.size(); ++i) {
      const Source& s = k_.rules[i];
      if (s.commit == commit && s.file == file && s.line == line && s.function == function &&
          s.text == text)
        return index_[key] = static_cast<uint16_t>(i);
    }
    k_.rules.push_back(Source{commit, file, line, function, text});
    return index_[key] = static_cast<uint16_t>(k_.rules.size() - 1);
  }

  Kernel& k_;
  Listing& l_;
  int next_label_ = 0;
  std::map<int, int> bound_;
  std::vector<std::pair<int, int>> fixups_;
  std::map<std::tuple<std::string, std::string, int, std::string, std::string>, uint16_t> index_;
};

constexpr uint8_t L(Lock l) {
  return static_cast<uint8_t>(l);
}
constexpr uint8_t W(Wc w) {
  return static_cast<uint8_t>(w);
}
constexpr uint8_t R(Ret r) {
  return static_cast<uint8_t>(r);
}
constexpr uint8_t C(Cause c) {
  return static_cast<uint8_t>(c);
}

// Which code each Rust function of the session follows. A version picks one per function.
enum class SessionCode { v2019, v75872cc5, ve18a8779 };

// ---- WaitCondition (src/sync/wait_condition.rs) ----------------------------------------------

// WaitCondition::wait, the a57ea6a7 version: block and push, switch, then see whether a notify
// removed us. The caller loops while it returns false.
void wc_wait_2019(Asm& a, Wc wc) {
  a.step(Kind::wc_register, W(wc), k2019, kWaitCond, 55, "WaitCondition::wait",
         "context.block(); self.contexts.lock().push(context)");
  a.step(Kind::switch_out, 0, k2019, kWaitCond, 58, "WaitCondition::wait", "context::switch()");
  a.step(Kind::wc_resume, W(wc), k2019, kWaitCond, 63, "WaitCondition::wait",
         "remove our entry if a notify did not: waited = it was gone");
}

// WaitCondition::wait(guard) (fdf46d80, used with a real guard from 75872cc5): block and push,
// then drop the guard, switch, check.
void wc_wait_guarded(Asm& a, Wc wc, Lock guard, const char* commit) {
  a.step(Kind::wc_register, W(wc), commit, kWaitCond, 55, "WaitCondition::wait",
         "context.block(); self.contexts.lock().push(context)");
  a.step(Kind::release_write, L(guard), commit, kWaitCond, 57, "WaitCondition::wait",
         "drop(guard): the caller's lock goes only after we are on the list");
  a.step(Kind::switch_out, 0, commit, kWaitCond, 60, "WaitCondition::wait", "context::switch()");
  a.step(Kind::wc_resume, W(wc), commit, kWaitCond, 65, "WaitCondition::wait",
         "remove our entry if a notify did not: waited = it was gone");
}

// ---- ptrace.rs: the tracee's side ------------------------------------------------------------

// breakpoint_callback(match_flags): ret = Some(flags) after a stop, None without one.
void breakpoint_callback(Asm& a, SessionCode v, Cause kind) {
  const int end = a.label();
  if (v == SessionCode::v2019) {
    const int none_unlock = a.label(), wait = a.label();
    a.step(Kind::acquire_write, L(Lock::sessions), k2019, kPtrace, 251, "breakpoint_callback",
           "let mut sessions = sessions_mut()");
    a.step(Kind::lookup_own, 0, k2019, kPtrace, 252, "breakpoint_callback",
           "sessions.get_mut(&context.id)?");
    a.ctl(Kind::jump_unless, 0, none_unlock);
    a.step(Kind::bp_match, C(kind), k2019, kPtrace, 255, "breakpoint_callback",
           "breakpoint.as_mut()?; return None unless its flags contain match_flags");
    a.ctl(Kind::jump_unless, 0, none_unlock);
    a.step(Kind::bp_reach_queue, C(kind), k2019, kPtrace, 261, "breakpoint_callback",
           "breakpoint.reached = true; session.send_event(event): events.push_back");
    a.step(Kind::notify, W(Wc::tracer), k2019, kPtrace, 69, "Session::send_event",
           "self.tracer.notify()");
    a.step(Kind::release_write, L(Lock::sessions), k2019, kPtrace, 270, "breakpoint_callback",
           "end of the block: the sessions guard is dropped before waiting");
    a.bind(wait);
    wc_wait_2019(a, Wc::tracee);
    a.ctl(Kind::jump_unless, 0, wait); // 272: while !tracee.wait() {}
    a.ret(Ret::some, end);
    a.bind(none_unlock);
    a.step(Kind::release_write, L(Lock::sessions), k2019, kPtrace, 253, "breakpoint_callback",
           "return None: the sessions guard is dropped");
    a.ret(Ret::none, end);
  } else {
    const bool new_ = v == SessionCode::ve18a8779;
    const char* c = new_ ? k2020 : kB2Fix;
    const int loop = a.label(), none_r = a.label(), none_d = a.label();
    a.bind(loop);
    a.step(Kind::acquire_read, L(Lock::sessions), c, kPtrace, new_ ? 285 : 282,
           "breakpoint_callback", "let sessions = sessions()");
    a.step(Kind::lookup_own, 0, c, kPtrace, new_ ? 286 : 283, "breakpoint_callback",
           "sessions.get(&context.id)?; Arc::clone(&session)");
    a.step(Kind::release_read, L(Lock::sessions), c, kPtrace, new_ ? 289 : 286,
           "breakpoint_callback", "end of the block: sessions guard dropped, the Arc kept");
    a.ctl(Kind::jump_unless, 0, none_r);
    a.step(Kind::acquire_write, L(Lock::data), c, kPtrace, new_ ? 291 : 288, "breakpoint_callback",
           "let mut data = session.data.lock()");
    a.step(Kind::bp_match, C(kind), c, kPtrace, new_ ? 295 : 292, "breakpoint_callback",
           "data.breakpoint?; return None unless its flags contain match_flags");
    a.ctl(Kind::jump_unless, 0, none_d);
    a.step(Kind::bp_reach_queue, C(kind), c, kPtrace, new_ ? 300 : 297, "breakpoint_callback",
           "reached = true; data.add_event(event)");
    a.step(Kind::notify, W(Wc::tracer), c, kPtrace, new_ ? 308 : 305, "breakpoint_callback",
           "session.tracer.notify()");
    wc_wait_guarded(a, Wc::tracee, Lock::data, c);
    a.ctl(Kind::jump_unless, 0, loop); // if wait() { break Some(flags) } else loop
    a.ret(Ret::some, end);
    a.bind(none_d);
    a.step(Kind::release_write, L(Lock::data), c, kPtrace, new_ ? 296 : 293, "breakpoint_callback",
           "return None: the data guard is dropped");
    a.bind(none_r);
    a.ret(Ret::none, end);
  }
  a.bind(end);
}

// next_breakpoint(): cond = a breakpoint is set; flags register = its flags.
void next_breakpoint(Asm& a, SessionCode v) {
  if (v == SessionCode::v2019) {
    a.step(Kind::acquire_read, L(Lock::sessions), k2019, kPtrace, 285, "next_breakpoint",
           "let sessions = sessions()");
    a.step(Kind::bp_read, 0, k2019, kPtrace, 287, "next_breakpoint",
           "session.breakpoint.as_ref()?.flags");
    a.step(Kind::release_read, L(Lock::sessions), k2019, kPtrace, 290, "next_breakpoint",
           "return: sessions guard dropped");
  } else {
    const bool new_ = v == SessionCode::ve18a8779;
    const char* c = new_ ? k2020 : kB2Fix;
    const int out = a.label();
    a.step(Kind::acquire_read, L(Lock::sessions), c, kPtrace, new_ ? 324 : 323, "next_breakpoint",
           "let sessions = sessions()");
    a.step(Kind::lookup_own, 0, c, kPtrace, new_ ? 325 : 324, "next_breakpoint",
           "sessions.get(&context.id)?");
    a.ctl(Kind::jump_unless, 0, out);
    a.step(Kind::acquire_write, L(Lock::data), c, kPtrace, new_ ? 326 : 325, "next_breakpoint",
           "let data = session.data.lock()");
    a.step(Kind::bp_read, 0, c, kPtrace, new_ ? 327 : 326, "next_breakpoint",
           "data.breakpoint?.flags");
    a.step(Kind::release_write, L(Lock::data), c, kPtrace, new_ ? 330 : 329, "next_breakpoint",
           "return: data guard dropped");
    a.bind(out);
    a.step(Kind::release_read, L(Lock::sessions), c, kPtrace, new_ ? 330 : 329, "next_breakpoint",
           "return: sessions guard dropped");
  }
}

// send_event(EVENT_CLONE): ret = Some if queued.
void send_event(Asm& a, SessionCode v) {
  const int end = a.label();
  if (v == SessionCode::v2019) {
    const int none = a.label();
    a.step(Kind::acquire_write, L(Lock::sessions), k2019, kPtrace, 145, "send_event",
           "let mut sessions = sessions_mut()");
    a.step(Kind::lookup_own, 0, k2019, kPtrace, 146, "send_event",
           "sessions.get_mut(&context.id)?");
    a.ctl(Kind::jump_unless, 0, none);
    a.step(Kind::send_check, C(Cause::clone), k2019, kPtrace, 149, "send_event",
           "breakpoint.as_ref()?; return None unless event.cause is within its flags");
    a.ctl(Kind::jump_unless, 0, none);
    a.step(Kind::queue_event, C(Cause::clone), k2019, kPtrace, 60, "Session::send_event",
           "self.events.push_back(event)");
    a.step(Kind::notify, W(Wc::tracer), k2019, kPtrace, 69, "Session::send_event",
           "self.tracer.notify()");
    a.step(Kind::release_write, L(Lock::sessions), k2019, kPtrace, 156, "send_event",
           "return Some(()): sessions guard dropped");
    a.ret(Ret::some, end);
    a.bind(none);
    a.step(Kind::release_write, L(Lock::sessions), k2019, kPtrace, 150, "send_event",
           "return None: sessions guard dropped");
    a.ret(Ret::none, end);
  } else {
    const bool new_ = v == SessionCode::ve18a8779;
    const char* c = new_ ? k2020 : kB2Fix;
    const int none_d = a.label(), none_r = a.label();
    a.step(Kind::acquire_read, L(Lock::sessions), c, kPtrace, new_ ? 206 : 160, "send_event",
           "let sessions = sessions()");
    a.step(Kind::lookup_own, 0, c, kPtrace, new_ ? 207 : 161, "send_event", "sessions.get(&id)?");
    a.ctl(Kind::jump_unless, 0, none_r);
    a.step(Kind::acquire_write, L(Lock::data), c, kPtrace, new_ ? 208 : 162, "send_event",
           "let data = session.data.lock()");
    a.step(Kind::send_check, C(Cause::clone), c, kPtrace, new_ ? 211 : 165, "send_event",
           "breakpoint.as_ref()?; return None unless event.cause is within its flags");
    a.ctl(Kind::jump_unless, 0, none_d);
    if (new_) {
      a.step(Kind::queue_event, C(Cause::clone), c, kPtrace, 216, "send_event",
             "data.add_event(event)");
      a.step(Kind::notify, W(Wc::tracer), c, kPtrace, 218, "send_event", "session.tracer.notify()");
    } else {
      // 75872cc5 calls Session::send_event, which locks the data mutex a second time while
      // send_event's own guard is still alive: spin::Mutex is not reentrant.
      a.step(Kind::acquire_write, L(Lock::data), c, kPtrace, 77, "Session::send_event",
             "self.data.lock() while send_event's `data` guard is still held");
      a.step(Kind::queue_event, C(Cause::clone), c, kPtrace, 77, "Session::send_event",
             "add_event(event)");
      a.step(Kind::release_write, L(Lock::data), c, kPtrace, 77, "Session::send_event",
             "the temporary guard is dropped");
      a.step(Kind::notify, W(Wc::tracer), c, kPtrace, 80, "Session::send_event",
             "self.tracer.notify()");
    }
    a.step(Kind::release_write, L(Lock::data), c, kPtrace, new_ ? 221 : 172, "send_event",
           "return Some(()): data guard dropped");
    a.step(Kind::release_read, L(Lock::sessions), c, kPtrace, new_ ? 221 : 172, "send_event",
           "sessions guard dropped");
    a.ret(Ret::some, end);
    a.bind(none_d);
    a.step(Kind::release_write, L(Lock::data), c, kPtrace, new_ ? 212 : 166, "send_event",
           "return None: data guard dropped");
    a.bind(none_r);
    a.step(Kind::release_read, L(Lock::sessions), c, kPtrace, new_ ? 212 : 166, "send_event",
           "sessions guard dropped");
    a.ret(Ret::none, end);
  }
  a.bind(end);
}

// close_tracee(pid): the exiting context wakes its tracer.
void close_tracee(Asm& a, SessionCode v) {
  const int out = a.label();
  if (v == SessionCode::v2019) {
    a.step(Kind::acquire_write, L(Lock::sessions), k2019, kPtrace, 294, "close_tracee",
           "let mut sessions = sessions_mut()");
    a.step(Kind::lookup_own, 0, k2019, kPtrace, 295, "close_tracee", "sessions.get_mut(&pid)?");
    a.ctl(Kind::jump_unless, 0, out);
    a.step(Kind::bp_clear, 0, k2019, kPtrace, 299, "close_tracee", "session.breakpoint = None");
    a.step(Kind::notify, W(Wc::tracer), k2019, kPtrace, 300, "close_tracee",
           "session.tracer.notify()");
    a.bind(out);
    a.step(Kind::release_write, L(Lock::sessions), k2019, kPtrace, 304, "close_tracee",
           "return: sessions guard dropped");
  } else if (v == SessionCode::v75872cc5) {
    const char* c = kB2Fix;
    a.step(Kind::acquire_read, L(Lock::sessions), c, kPtrace, 333, "close_tracee",
           "let sessions = sessions()");
    a.step(Kind::lookup_own, 0, c, kPtrace, 334, "close_tracee", "sessions.get(&pid)?");
    a.ctl(Kind::jump_unless, 0, out);
    a.step(Kind::acquire_write, L(Lock::data), c, kPtrace, 335, "close_tracee",
           "let mut data = session.data.lock()");
    a.step(Kind::bp_clear, 0, c, kPtrace, 339, "close_tracee", "data.breakpoint = None");
    a.step(Kind::notify, W(Wc::tracer), c, kPtrace, 341, "close_tracee", "session.tracer.notify()");
    a.step(Kind::release_write, L(Lock::data), c, kPtrace, 344, "close_tracee",
           "return: data guard dropped");
    a.bind(out);
    a.step(Kind::release_read, L(Lock::sessions), c, kPtrace, 344, "close_tracee",
           "sessions guard dropped");
  } else {
    const char* c = k2020;
    a.step(Kind::acquire_read, L(Lock::sessions), c, kPtrace, 177, "close_tracee",
           "if let Some(session) = sessions().get(&pid)");
    a.step(Kind::lookup_own, 0, c, kPtrace, 177, "close_tracee", "sessions().get(&pid)");
    a.ctl(Kind::jump_unless, 0, out);
    a.step(Kind::notify, W(Wc::tracer), c, kPtrace, 178, "close_tracee",
           "session.tracer.notify(), without the data lock");
    a.step(Kind::acquire_write, L(Lock::data), c, kPtrace, 180, "close_tracee",
           "let data = session.data.lock() (for proc_trigger_event)");
    a.step(Kind::release_write, L(Lock::data), c, kPtrace, 182, "close_tracee",
           "data guard dropped");
    a.bind(out);
    a.step(Kind::release_read, L(Lock::sessions), c, kPtrace, 183, "close_tracee",
           "the temporary sessions guard is dropped at the end of the if let");
  }
}

// ---- ptrace.rs: the tracer's side ------------------------------------------------------------

// cont(pid), a57ea6a7 183-196 and 75872cc5 201-214.
void cont(Asm& a, SessionCode v) {
  const int out = a.label();
  if (v == SessionCode::v2019) {
    a.step(Kind::acquire_write, L(Lock::sessions), k2019, kPtrace, 185, "cont",
           "let mut sessions = sessions_mut()");
    a.step(Kind::lookup_traced, 0, k2019, kPtrace, 186, "cont", "sessions.get_mut(&pid)");
    a.ctl(Kind::jump_unless, 0, out);
    a.step(Kind::bp_clear, 0, k2019, kPtrace, 193, "cont", "session.breakpoint = None");
    a.step(Kind::notify, W(Wc::tracee), k2019, kPtrace, 195, "cont", "session.tracee.notify()");
    a.bind(out);
    a.step(Kind::release_write, L(Lock::sessions), k2019, kPtrace, 196, "cont",
           "return: sessions guard dropped");
  } else {
    const char* c = kB2Fix;
    a.step(Kind::acquire_read, L(Lock::sessions), c, kPtrace, 202, "cont",
           "let sessions = sessions()");
    a.step(Kind::lookup_traced, 0, c, kPtrace, 203, "cont", "sessions.get(&pid)");
    a.ctl(Kind::jump_unless, 0, out);
    a.step(Kind::acquire_write, L(Lock::data), c, kPtrace, 207, "cont",
           "let mut data = session.data.lock()");
    a.step(Kind::bp_clear, 0, c, kPtrace, 211, "cont", "data.breakpoint = None");
    a.step(Kind::notify, W(Wc::tracee), c, kPtrace, 213, "cont",
           "session.tracee.notify(), data guard still held");
    a.step(Kind::release_write, L(Lock::data), c, kPtrace, 214, "cont",
           "return: data guard dropped");
    a.bind(out);
    a.step(Kind::release_read, L(Lock::sessions), c, kPtrace, 214, "cont",
           "sessions guard dropped");
  }
}

// set_breakpoint(pid, flags).
void set_breakpoint(Asm& a, SessionCode v) {
  if (v == SessionCode::v2019) {
    a.step(Kind::acquire_write, L(Lock::sessions), k2019, kPtrace, 201, "set_breakpoint",
           "let mut sessions = sessions_mut()");
    a.step(Kind::bp_set, 0, k2019, kPtrace, 203, "set_breakpoint",
           "session.breakpoint = Some(Breakpoint { reached: false, flags })");
    a.step(Kind::release_write, L(Lock::sessions), k2019, kPtrace, 207, "set_breakpoint",
           "return: sessions guard dropped");
  } else {
    const char* c = kB2Fix;
    a.step(Kind::acquire_write, L(Lock::sessions), c, kPtrace, 219, "set_breakpoint",
           "let sessions = sessions_mut()");
    a.step(Kind::acquire_write, L(Lock::data), c, kPtrace, 221, "set_breakpoint",
           "let mut data = session.data.lock()");
    a.step(Kind::bp_set, 0, c, kPtrace, 222, "set_breakpoint",
           "data.breakpoint = Some(Breakpoint { reached: false, flags })");
    a.step(Kind::release_write, L(Lock::data), c, kPtrace, 226, "set_breakpoint",
           "return: data guard dropped");
    a.step(Kind::release_write, L(Lock::sessions), c, kPtrace, 226, "set_breakpoint",
           "sessions guard dropped");
  }
}

// 3420339c's set_breakpoint(pid, flags, should_continue), on the 2019 session lock: the new
// breakpoint and the notify in one critical section (3420339c ptrace.rs 212-225).
void set_breakpoint_and_continue_2019(Asm& a) {
  a.step(Kind::acquire_write, L(Lock::sessions), kB3B4Fix, kPtrace, 213, "set_breakpoint",
         "let sessions = sessions_mut()");
  a.step(Kind::bp_set, 0, kB3B4Fix, kPtrace, 217, "set_breakpoint",
         "breakpoint = Some(Breakpoint { reached: false, flags })");
  a.step(Kind::notify, W(Wc::tracee), kB3B4Fix, kPtrace, 223, "set_breakpoint",
         "if should_continue { session.tracee.notify() }");
  a.step(Kind::release_write, L(Lock::sessions), kB3B4Fix, kPtrace, 225, "set_breakpoint",
         "return: guard dropped");
}

// wait(pid) in blocking mode: ret = ok or esrch.
void wait(Asm& a, SessionCode v) {
  const int end = a.label();
  if (v == SessionCode::v2019) {
    const int sleep = a.label(), ok = a.label();
    a.step(Kind::acquire_read, L(Lock::sessions), k2019, kPtrace, 216, "wait",
           "let sessions = sessions()");
    a.step(Kind::wait_needed_2019, 0, k2019, kPtrace, 218, "wait",
           "no session, reached, or an event queued: return Ok; else clone the tracer WC");
    a.step(Kind::release_read, L(Lock::sessions), k2019, kPtrace, 226, "wait",
           "end of the block: sessions guard dropped before waiting");
    a.ctl(Kind::jump_unless, 0, ok);
    a.bind(sleep);
    wc_wait_2019(a, Wc::tracer);
    a.ctl(Kind::jump_unless, 0, sleep); // 228: while !tracer.wait() {}
    a.step(Kind::exited_check, 0, k2019, kPtrace, 233, "wait",
           "contexts.get(pid); if Status::Exited: Err(ESRCH)");
    a.ctl(Kind::jump_unless, 0, ok);
    a.ret(Ret::esrch, end);
    a.bind(ok);
    a.ret(Ret::ok, end);
  } else {
    const bool new_ = v == SessionCode::ve18a8779;
    const char* c = new_ ? k2020 : kB2Fix;
    const int loop = a.label(), ready = a.label(), woke = a.label(), gone = a.label();
    a.bind(loop);
    a.step(Kind::acquire_read, L(Lock::sessions), c, kPtrace, new_ ? 244 : 236, "wait",
           "let sessions = sessions()");
    a.step(Kind::lookup_traced, 0, c, kPtrace, new_ ? 246 : 238, "wait",
           "sessions.get(&pid): Arc::clone, or return Ok(())");
    a.step(Kind::release_read, L(Lock::sessions), c, kPtrace, new_ ? 250 : 242, "wait",
           "end of the block: sessions guard dropped");
    a.ctl(Kind::jump_unless, 0, gone);
    a.step(Kind::acquire_write, L(Lock::data), c, kPtrace, new_ ? 254 : 246, "wait",
           "let data = session.data.lock()");
    a.step(Kind::wait_ready, 0, c, kPtrace, new_ ? 257 : 249, "wait",
           "breakpoint reached or an unread event: break");
    a.ctl(Kind::jump_if, 0, ready);
    wc_wait_guarded(a, Wc::tracer, Lock::data, c);
    a.ctl(Kind::jump_if, 0, woke); // if tracer.wait(data) { break }
    a.ctl(Kind::jump, 0, loop);
    a.bind(ready);
    a.step(Kind::release_write, L(Lock::data), c, kPtrace, new_ ? 258 : 250, "wait",
           "break: data guard dropped");
    a.bind(woke);
    if (!new_) {
      // 75872cc5 still checks for an exited tracee after the loop (261-266); cbb17327 moved
      // that check into read().
      a.step(Kind::exited_check, 0, c, kPtrace, 264, "wait",
             "contexts.get(pid); if Status::Exited: Err(ESRCH)");
      a.ctl(Kind::jump_unless, 0, gone);
      a.ret(Ret::esrch, end);
    }
    a.bind(gone);
    a.ret(Ret::ok, end);
  }
  a.bind(end);
}

// close_session(pid): the same code in every version (a57ea6a7 125-130, 75872cc5 140-145,
// e18a8779 163-168). The sessions_mut() guard is a temporary of the `if let` scrutinee and lives
// until the end of the `if let`, so both notifies run with it held.
void close_session(Asm& a, SessionCode v) {
  const char* c = v == SessionCode::v2019 ? k2019 : v == SessionCode::v75872cc5 ? kB2Fix : k2020;
  const int line = v == SessionCode::v2019 ? 126 : v == SessionCode::v75872cc5 ? 141 : 164;
  const int out = a.label();
  a.step(Kind::acquire_write, L(Lock::sessions), c, kPtrace, line, "close_session",
         "sessions_mut()");
  a.step(Kind::remove_session, 0, c, kPtrace, line, "close_session", ".remove(&pid)");
  a.ctl(Kind::jump_unless, 0, out);
  a.step(Kind::notify, W(Wc::tracer), c, kPtrace, line + 1, "close_session",
         "session.tracer.notify()");
  a.step(Kind::notify, W(Wc::tracee), c, kPtrace, line + 2, "close_session",
         "session.tracee.notify()");
  a.bind(out);
  a.step(Kind::release_write, L(Lock::sessions), c, kPtrace, line + 4, "close_session",
         "end of the if let: sessions guard dropped");
}

// ---- proc.rs ---------------------------------------------------------------------------------

enum class TscCode { v2019, v3420339c, ve18a8779 };

// try_stop_context(pid, restart_after, callback); the callback is the operation (arg of the
// finishing step: 0 read registers, 1 set TF). ret = ok or esrch.
void try_stop_context(Asm& a, TscCode v, bool restart_after, uint8_t callback, int call_line,
                      const char* call_commit) {
  const int end = a.label();
  (void)call_line;
  (void)call_commit;
  if (v == TscCode::v2019) {
    const int retry = a.label(), esrch = a.label(), done = a.label();
    a.bind(retry);
    // One pass of the loop holds the context lock from the lookup to the end of the pass: if
    // the context is off its CPU, the callback and the ptrace_stop restore happen in that same
    // critical section. `was_stopped` is only assigned under `if first`, after `first` has
    // already been set to false, so it stays false.
    a.step(Kind::tsc_2019, static_cast<uint8_t>((restart_after ? 2 : 0) | callback), k2019, kProc,
           74, "try_stop_context",
           "ptrace_stop = true; if running: retry; else callback, then ptrace_stop = "
           "restart_after && was_stopped (never saved: false)");
    a.ctl(Kind::jump_ret, R(Ret::esrch), esrch);
    a.ctl(Kind::jump_ret, R(Ret::ok), done);
    a.step(Kind::tsc_yield, 0, k2019, kProc, 59, "try_stop_context",
           "context::switch() before retrying, until the context is off its CPU");
    a.ctl(Kind::jump, 0, retry);
    a.bind(esrch);
    a.ret(Ret::esrch, end);
    a.bind(done);
    a.ret(Ret::ok, end);
  } else {
    const bool new_ = v == TscCode::ve18a8779;
    const char* c = new_ ? k2020 : kB3B4Fix;
    const int loop = a.label(), stopped = a.label(), esrch = a.label();
    a.step(Kind::tsc_save_and_stop, 0, c, kProc, new_ ? 59 : 55, "try_stop_context",
           "with_context_mut: was_stopped = ptrace_stop; ptrace_stop = true; read running");
    a.ctl(Kind::jump_ret, R(Ret::esrch), esrch);
    a.bind(loop);
    a.ctl(Kind::jump_unless, 0, stopped);
    a.step(Kind::tsc_yield, 0, c, kProc, new_ ? 67 : 63, "try_stop_context",
           "while running: context::switch()");
    a.step(Kind::tsc_running, 0, c, kProc, new_ ? 69 : 65, "try_stop_context",
           "running = with_context(pid, |c| c.running)?");
    a.ctl(Kind::jump_ret, R(Ret::esrch), esrch);
    a.ctl(Kind::jump, 0, loop);
    a.bind(stopped);
    if (new_)
      a.step(Kind::tsc_finish_e18a8779, callback, c, kProc, 79, "try_stop_context",
             "with_context_mut: callback(context); ptrace_stop = was_stopped");
    else
      a.step(Kind::tsc_finish_3420339c, static_cast<uint8_t>((restart_after ? 2 : 0) | callback), c,
             kProc, 75, "try_stop_context",
             "with_context_mut: callback(context); if !was_stopped || restart_after: "
             "ptrace_stop = false");
    a.ctl(Kind::jump_ret, R(Ret::esrch), esrch);
    a.ret(Ret::ok, end);
    a.bind(esrch);
    a.ret(Ret::esrch, end);
  }
  a.bind(end);
}

struct ProcCode {
  SessionCode session;
  TscCode tsc;
  bool handle_mutex = false;  // cf0a7620: Arc<Mutex<Handle>> locked for the whole call
  bool b3_order = false;      // 3420339c: TF and ptrace_stop first, then set_breakpoint+notify
  bool block_on_read = false; // cbb17327/e18a8779: write does not wait, read does
  bool restart_after_regs = true;
};

const char* proc_commit(const ProcCode& p) {
  return p.block_on_read ? k2020 : p.handle_mutex ? kB1Before : k2019;
}

// The handle lookup at the top of read/write/close: under the handles lock (ab1a12ad and
// later), or an Arc clone then the per-handle mutex (cf0a7620).
void handle_enter(Asm& a, const ProcCode& p, bool write_lock, int line_2019, int line_b1,
                  const char* function) {
  if (p.handle_mutex) {
    a.step(Kind::acquire_write, L(Lock::handle_mutex), kB1Before, kProc, line_b1, function,
           "let mut handle = handle.lock() (the Arc<Mutex<Handle>> cloned from the handles map)");
  } else if (write_lock) {
    a.step(Kind::acquire_write, L(Lock::handles), proc_commit(p), kProc, line_2019, function,
           "let mut handles = self.handles.write()");
  }
}

void write_request(Asm& a, const ProcCode& p) {
  const char* c = proc_commit(p);
  const int done = a.label(), esrch = a.label();
  if (p.block_on_read) {
    // e18a8779 proc.rs 457-575.
    const int no_step = a.label(), enodev = a.label();
    a.step(Kind::acquire_write, L(Lock::handles), c, kProc, 460, "write",
           "let mut handles = self.handles.write()");
    a.step(Kind::continue_clones, 0, c, kProc, 462, "write", "handle.continue_ignored_children()");
    a.step(Kind::release_write, L(Lock::handles), c, kProc, 464, "write",
           "end of the block: handles guard dropped");
    a.step(Kind::acquire_read, L(Lock::sessions), c, kPtrace, 114, "Session::with_session",
           "let sessions = sessions()");
    a.step(Kind::lookup_traced, 0, c, kPtrace, 115, "Session::with_session",
           "sessions.get(&pid), else Err(ENODEV)");
    a.ctl(Kind::jump_unless, 0, enodev);
    a.step(Kind::acquire_write, L(Lock::data), c, kProc, 539, "write", "session.data.lock()");
    a.step(Kind::bp_set_filtered, 0, c, kProc, 539, "write",
           "set_breakpoint(Some(op).filter(|op| op.intersects(STOP_MASK | EVENT_MASK)))");
    a.step(Kind::release_write, L(Lock::data), c, kProc, 542, "write", "data guard dropped");
    a.step(Kind::release_read, L(Lock::sessions), c, kPtrace, 122, "Session::with_session",
           "sessions guard dropped");
    a.ctl(Kind::jump_noflags, flag::step, no_step);
    try_stop_context(a, TscCode::ve18a8779, false, 1, 547, c);
    a.ctl(Kind::jump_ret, R(Ret::esrch), esrch);
    a.bind(no_step);
    a.step(Kind::unstop, 0, c, kProc, 563, "write",
           "with_context_mut: context.ptrace_stop = false");
    a.ctl(Kind::jump_ret, R(Ret::esrch), esrch);
    a.step(Kind::acquire_read, L(Lock::sessions), c, kPtrace, 114, "Session::with_session",
           "let sessions = sessions()");
    a.step(Kind::lookup_traced, 0, c, kPtrace, 115, "Session::with_session",
           "sessions.get(&pid), else Err(ENODEV)");
    a.ctl(Kind::jump_unless, 0, enodev);
    a.step(Kind::notify, W(Wc::tracee), c, kProc, 569, "write", "session.tracee.notify()");
    a.step(Kind::release_read, L(Lock::sessions), c, kPtrace, 122, "Session::with_session",
           "sessions guard dropped");
    a.ret(Ret::ok, done);
    a.bind(enodev);
    a.step(Kind::release_read, L(Lock::sessions), c, kPtrace, 118, "Session::with_session",
           "Err(ENODEV): sessions guard dropped");
    a.ret(Ret::enodev, done);
    a.bind(esrch);
    a.ret(Ret::esrch, done);
    a.bind(done);
    a.step(Kind::request_done, 0, c, kProc, 573, "write", "Ok(size_of::<u64>())");
    return;
  }

  const bool b1 = p.handle_mutex;
  // a57ea6a7 proc.rs 396-515 / cf0a7620 355-470.
  if (b1) {
    handle_enter(a, p, true, 0, 361, "write");
    a.step(Kind::continue_clones, 0, kB1Before, kProc, 363, "write",
           "handle.continue_ignored_children()");
  } else {
    a.step(Kind::acquire_write, L(Lock::handles), c, kProc, 399, "write",
           "let mut handles = self.handles.write()");
    a.step(Kind::continue_clones, 0, c, kProc, 401, "write", "handle.continue_ignored_children()");
    a.step(Kind::release_write, L(Lock::handles), c, kProc, 403, "write",
           "end of the block: handles guard dropped");
  }
  const int set_bp = a.label(), unstop = a.label(), wait_l = a.label();
  if (!p.b3_order) {
    // 475-480 (cf0a7620 430-435): cont() first, then set_breakpoint(), then TF.
    cont(a, p.session);
    a.ctl(Kind::jump_noflags, flag::stop_mask, set_bp);
    set_breakpoint(a, p.session);
    a.bind(set_bp);
    a.ctl(Kind::jump_noflags, flag::step, unstop);
    // restart_after: false in a57ea6a7 (485); 3420339c's rewrite passes true (475).
    try_stop_context(a, p.tsc, p.tsc == TscCode::v3420339c, 1, b1 ? 440 : 485, c);
    a.ctl(Kind::jump_ret, R(Ret::esrch), esrch);
    a.ctl(Kind::jump, 0, wait_l);
    a.bind(unstop);
    a.step(Kind::unstop, 0, c, kProc, b1 ? 458 : 503, "write",
           "with_context_mut: context.ptrace_stop = false");
    a.ctl(Kind::jump_ret, R(Ret::esrch), esrch);
  } else {
    // 3420339c proc.rs 470-498: TF (or ptrace_stop = false) first, then set_breakpoint with
    // should_continue, which notifies the tracee under the same lock.
    a.ctl(Kind::jump_noflags, flag::step, unstop);
    try_stop_context(a, p.tsc, false, 1, 475, kB3B4Fix);
    a.ctl(Kind::jump_ret, R(Ret::esrch), esrch);
    a.ctl(Kind::jump, 0, set_bp);
    a.bind(unstop);
    a.step(Kind::unstop, 0, kB3B4Fix, kProc, 490, "write",
           "with_context_mut: context.ptrace_stop = false");
    a.ctl(Kind::jump_ret, R(Ret::esrch), esrch);
    a.bind(set_bp);
    a.ctl(Kind::jump_noflags, flag::stop_mask, wait_l);
    set_breakpoint_and_continue_2019(a);
  }
  a.bind(wait_l);
  wait(a, p.session);
  a.ctl(Kind::jump_ret, R(Ret::esrch), esrch);
  a.ret(Ret::ok, done);
  a.bind(esrch);
  a.ret(Ret::esrch, done);
  a.bind(done);
  if (b1)
    a.step(Kind::release_write, L(Lock::handle_mutex), kB1Before, kProc, 467, "write",
           "return: the handle guard is dropped");
  a.step(Kind::request_done, 0, c, kProc, b1 ? 467 : 512, "write", "Ok(size_of::<u64>())");
}

void recv_events(Asm& a, SessionCode v) {
  if (v == SessionCode::v2019) {
    a.step(Kind::acquire_write, L(Lock::sessions), k2019, kPtrace, 160, "recv_events",
           "let mut sessions = sessions_mut()");
    a.step(Kind::drain_events, 0, k2019, kPtrace, 164, "recv_events",
           "session.events.drain(..len)");
    a.step(Kind::release_write, L(Lock::sessions), k2019, kPtrace, 168, "recv_events",
           "return: sessions guard dropped");
  } else {
    const char* c = kB2Fix;
    a.step(Kind::acquire_write, L(Lock::sessions), c, kPtrace, 176, "recv_events",
           "let mut sessions = sessions_mut()");
    a.step(Kind::acquire_write, L(Lock::data), c, kPtrace, 178, "recv_events",
           "let mut data = session.data.lock()");
    a.step(Kind::drain_events, 0, c, kPtrace, 181, "recv_events", "data.events.drain(..len)");
    a.step(Kind::release_write, L(Lock::data), c, kPtrace, 185, "recv_events",
           "return: data guard dropped");
    a.step(Kind::release_write, L(Lock::sessions), c, kPtrace, 185, "recv_events",
           "sessions guard dropped");
  }
}

void read_request(Asm& a, const ProcCode& p) {
  const char* c = proc_commit(p);
  if (p.block_on_read) {
    // e18a8779 proc.rs 412-453: the handles write guard is taken before the wait and lives
    // until read() returns.
    const int esrch = a.label(), out = a.label(), enodev = a.label();
    a.step(Kind::acquire_write, L(Lock::handles), c, kProc, 413, "read",
           "let mut handles = self.handles.write() (held until read returns)");
    wait(a, SessionCode::ve18a8779);
    a.step(Kind::exited_check, 0, c, kProc, 423, "read",
           "with_context(pid): Err(ESRCH) if Status::Exited");
    a.ctl(Kind::jump_if, 0, esrch);
    a.step(Kind::acquire_read, L(Lock::sessions), c, kPtrace, 114, "Session::with_session",
           "let sessions = sessions()");
    a.step(Kind::lookup_traced, 0, c, kPtrace, 115, "Session::with_session",
           "sessions.get(&pid), else Err(ENODEV)");
    a.ctl(Kind::jump_unless, 0, enodev);
    a.step(Kind::acquire_write, L(Lock::data), c, kProc, 433, "read",
           "let mut data = session.data.lock()");
    a.step(Kind::drain_events, 0, c, kProc, 434, "read",
           "(data.recv_events(slice), data.is_reached())");
    a.step(Kind::release_write, L(Lock::data), c, kProc, 435, "read", "data guard dropped");
    a.step(Kind::release_read, L(Lock::sessions), c, kPtrace, 122, "Session::with_session",
           "sessions guard dropped");
    a.step(Kind::clones_push, 0, c, kProc, 440, "read",
           "data.clones.push(event.a) for EVENT_CLONE events");
    a.step(Kind::assert_events, 0, c, kProc, 447, "read",
           "if read == 0 && !reached: assert!(O_NONBLOCK, \"wait woke up spuriously??\")");
    a.set_ret(Ret::ok);
    a.ctl(Kind::jump, 0, out);
    a.bind(enodev);
    a.step(Kind::release_read, L(Lock::sessions), c, kPtrace, 118, "Session::with_session",
           "Err(ENODEV): sessions guard dropped");
    a.set_ret(Ret::enodev);
    a.ctl(Kind::jump, 0, out);
    a.bind(esrch);
    a.set_ret(Ret::esrch);
    a.bind(out);
    a.step(Kind::release_write, L(Lock::handles), c, kProc, 453, "read",
           "return: handles guard dropped");
    a.step(Kind::request_done, 0, c, kProc, 452, "read", "Ok(read * size_of::<PtraceEvent>())");
    return;
  }
  const bool b1 = p.handle_mutex;
  if (b1) handle_enter(a, p, false, 0, 281, "read");
  recv_events(a, p.session);
  if (b1) {
    a.step(Kind::clones_push, 0, kB1Before, kProc, 346, "read",
           "clones.push(event.a) for EVENT_CLONE events");
    a.step(Kind::release_write, L(Lock::handle_mutex), kB1Before, kProc, 350, "read",
           "return: the handle guard is dropped");
  } else {
    a.step(Kind::acquire_write, L(Lock::handles), c, kProc, 381, "read",
           "let mut handles = self.handles.write()");
    a.step(Kind::clones_push, 0, c, kProc, 387, "read",
           "data.clones.push(event.a) for EVENT_CLONE events");
    a.step(Kind::release_write, L(Lock::handles), c, kProc, 391, "read",
           "return: handles guard dropped");
  }
  a.set_ret(Ret::ok);
  a.step(Kind::request_done, 0, c, kProc, b1 ? 350 : 391, "read",
         "Ok(read * size_of::<PtraceEvent>())");
}

void regs_request(Asm& a, const ProcCode& p) {
  const char* c = p.tsc == TscCode::v3420339c ? kB3B4Fix : proc_commit(p);
  const int line = p.block_on_read               ? 390
                   : p.tsc == TscCode::v3420339c ? 345
                   : p.handle_mutex              ? 314
                                                 : 350;
  try_stop_context(a, p.tsc, p.restart_after_regs, 0, line, c);
  a.step(Kind::request_done, 0, c, kProc, line, "read",
         "regs/int: the registers copied out, or the error");
}

void close_request(Asm& a, const ProcCode& p) {
  const char* c = proc_commit(p);
  if (p.handle_mutex) {
    a.step(Kind::handle_remove, 0, kB1Before, kProc, 511, "close",
           "self.handles.write().remove(&id)");
    a.step(Kind::acquire_write, L(Lock::handle_mutex), kB1Before, kProc, 512, "close",
           "let mut handle = handle.lock()");
    a.step(Kind::continue_clones, 0, kB1Before, kProc, 513, "close",
           "handle.continue_ignored_children()");
    close_session(a, p.session);
    a.step(Kind::unstop_if_exists, 0, kB1Before, kProc, 524, "close",
           "contexts.get(pid): context.ptrace_stop = false");
    a.step(Kind::release_write, L(Lock::handle_mutex), kB1Before, kProc, 528, "close",
           "return: the handle guard is dropped");
    return;
  }
  const bool new_ = p.block_on_read;
  a.step(Kind::acquire_write, L(Lock::handles), c, kProc, new_ ? 641 : 553, "close",
         "self.handles.write()");
  a.step(Kind::handle_remove, 0, c, kProc, new_ ? 641 : 553, "close", ".remove(&id)");
  a.step(Kind::release_write, L(Lock::handles), c, kProc, new_ ? 641 : 553, "close",
         "the temporary handles guard is dropped");
  a.step(Kind::continue_clones, 0, c, kProc, new_ ? 642 : 554, "close",
         "handle.continue_ignored_children()");
  close_session(a, p.session);
  a.step(Kind::unstop_if_exists, 0, c, kProc, new_ ? 654 : 565, "close",
         "contexts.get(pid): context.ptrace_stop = false");
}

// ---- The tracee's entry points ---------------------------------------------------------------

// The files outside ptrace.rs and proc.rs (the syscall and #DB handlers, exit, clone, signal
// delivery) as the version has them: 75872cc5's diff does not touch them, so the 2019-based
// kernels cite them at a57ea6a7.
const char* session_commit(SessionCode v) {
  return v == SessionCode::ve18a8779 ? k2020 : k2019;
}

void tracee_syscall(Asm& a, SessionCode v) {
  const char* c = session_commit(v);
  const int run = a.label(), post = a.label(), no_freeze = a.label(), not_clone = a.label();
  breakpoint_callback(a, v, Cause::pre);
  a.ctl(Kind::jump_ret, R(Ret::none), run); // allowed = None: unwrap_or(true)
  next_breakpoint(a, v);
  a.step(Kind::ignore_decide, 0, c, kSyscall, 28, "syscall_instruction",
         "if allowed.unwrap_or(true): run the syscall (next flags without IGNORE)");
  a.ctl(Kind::jump_unless, 0, post);
  a.bind(run);
  a.step(Kind::syscall_body, 0, c, kSyscall, 31, "syscall_instruction",
         "stack.scratch.rax = syscall::syscall(...)");
  a.ctl(Kind::jump_not_clone, 0, not_clone);
  const bool new_ = v == SessionCode::ve18a8779;
  a.step(Kind::clone_create, 0, c, kProcess, new_ ? 391 : 385, "clone",
         "contexts.new_context(); context.status = Runnable (cpu_id = pid % cpu_count)");
  send_event(a, v);
  a.ctl(Kind::jump_ret, R(Ret::none), no_freeze);
  a.step(Kind::clone_freeze, 0, c, kProcess, new_ ? 601 : 595, "clone",
         "send_event(EVENT_CLONE).is_some(): the clone's ptrace_stop = true");
  a.bind(no_freeze);
  a.step(Kind::switch_out, 0, c, kProcess, new_ ? 607 : 601, "clone",
         "ipi(Switch); context::switch(): the parent gives up its CPU");
  a.bind(not_clone);
  a.bind(post);
  breakpoint_callback(a, v, Cause::post);
  a.step(Kind::sysret, 0, c, kSyscall, 93, "syscall_instruction",
         "iretq to user mode: the saved rflags, TF included, are live again");
}

void tracee_debug(Asm& a, SessionCode v) {
  const char* c = session_commit(v);
  const int handled = a.label();
  a.step(Kind::debug_entry, 0, c, kException, 26, "debug",
         "had_singlestep = rflags.TF; stack.set_singlestep(false)");
  breakpoint_callback(a, v, Cause::step);
  a.ctl(Kind::jump_ret, R(Ret::some), handled);
  a.step(Kind::debug_restore, 0, c, kException, 33, "debug",
         "no breakpoint: stack.set_singlestep(had_singlestep)");
  a.step(Kind::ksignal_exit, 0, c, kLib, v == SessionCode::ve18a8779 ? 277 : 250, "ksignal",
         "ksignal(SIGTRAP): syscall::exit(SIGTRAP)");
  a.bind(handled);
  a.step(Kind::iret, 0, c, kException, 43, "debug",
         "end of the interrupt_stack! handler: iretq to user mode");
}

void tracee_signal(Asm& a, SessionCode v) {
  const char* c = session_commit(v);
  const int out = a.label();
  breakpoint_callback(a, v, Cause::signal);
  a.ctl(Kind::jump_ret, R(Ret::none), out);
  next_breakpoint(a, v);
  a.bind(out);
  a.step(Kind::exit_enter, 9, c, kSignal, 100, "signal_handler",
         "SIGKILL cannot be ignored (29); SIG_DFL: syscall::exit(sig)");
}

void exit_path(Asm& a, SessionCode v, bool tracer, const ProcCode& p) {
  const char* c = session_commit(v);
  const bool new_ = v == SessionCode::ve18a8779;
  breakpoint_callback(a, v, Cause::exit);
  if (tracer) {
    const int no_handle = a.label();
    a.ctl(Kind::jump_no_handle, 0, no_handle);
    close_request(a, p); // process.rs: the trace fd is among the files exit() closes
    a.bind(no_handle);
  }
  a.step(Kind::mark_exited, 0, c, kProcess, new_ ? 1123 : 1116, "exit",
         "context.status = Status::Exited(status)");
  close_tracee(a, v);
  a.step(Kind::final_switch, 0, c, kProcess, new_ ? 1173 : 1168, "exit",
         "context::switch(): never scheduled again");
}

Kernel build(Version version) {
  Kernel k;
  ProcCode p{SessionCode::v2019, TscCode::v2019};
  switch (version) {
  case Version::v2019:
    k.name = "a57ea6a7";
    k.summary = "redox-os/kernel a57ea6a7 (2019-08-21, ptrace-end merged)";
    break;
  case Version::v2019_b1_mutex:
    k.name = "cf0a7620";
    k.summary = "redox-os/kernel cf0a7620: the 2019 code before ab1a12ad (per-handle mutex)";
    p.handle_mutex = true;
    break;
  case Version::v2019_b2_fix:
    k.name = "a57ea6a7+75872cc5";
    k.summary = "the 2019 code with 75872cc5 (session data mutex, register before unlocking)";
    p.session = SessionCode::v75872cc5;
    break;
  case Version::v2019_b3_fix:
    k.name = "a57ea6a7+3420339c(write)";
    k.summary = "the 2019 code with 3420339c's write order (TF, then breakpoint and notify)";
    p.b3_order = true;
    break;
  case Version::v2019_b4_fix:
    k.name = "a57ea6a7+3420339c(try_stop_context)";
    k.summary = "the 2019 code with 3420339c's try_stop_context (was_stopped saved)";
    p.tsc = TscCode::v3420339c;
    p.restart_after_regs = false;
    break;
  case Version::v2020:
    k.name = "e18a8779";
    k.summary = "redox-os/kernel e18a8779 (2020-06-17, after the June 2020 rework)";
    p.session = SessionCode::ve18a8779;
    p.tsc = TscCode::ve18a8779;
    p.block_on_read = true;
    break;
  }
  k.restart_after_regs = p.restart_after_regs;
  {
    Asm a(k, Code::tracer_write);
    write_request(a, p);
  }
  {
    Asm a(k, Code::tracer_read);
    read_request(a, p);
  }
  {
    Asm a(k, Code::tracer_regs);
    regs_request(a, p);
  }
  {
    Asm a(k, Code::tracer_close);
    close_request(a, p);
    a.set_ret(Ret::ok);
    a.step(Kind::request_done, 0, proc_commit(p), kProc,
           p.block_on_read  ? 657
           : p.handle_mutex ? 528
                            : 569,
           "close", "Ok(0)");
  }
  {
    // The tracer's SIGKILL: signal_handler's ptrace callback (no session is tracing the
    // tracer), then exit(), which closes the trace fd if it is still open.
    Asm a(k, Code::tracer_killed);
    breakpoint_callback(a, p.session, Cause::signal);
    exit_path(a, p.session, true, p);
  }
  {
    Asm a(k, Code::tracee_syscall);
    tracee_syscall(a, p.session);
  }
  {
    Asm a(k, Code::tracee_debug);
    tracee_debug(a, p.session);
  }
  {
    Asm a(k, Code::tracee_signal);
    tracee_signal(a, p.session);
  }
  {
    Asm a(k, Code::tracee_exit);
    exit_path(a, p.session, false, p);
  }
  {
    // The clone is a context nobody traces: its user code runs, then it exits. Its own
    // breakpoint callbacks find no session, so they are left out (docs/redox-smp.md).
    Asm a(k, Code::clone_run);
    a.step(Kind::clone_user, 0, session_commit(p.session), kProcess,
           p.session == SessionCode::ve18a8779 ? 391 : 385, "clone",
           "the clone, Runnable since its creation, runs its user code");
    a.step(Kind::mark_exited, 0, session_commit(p.session), kProcess,
           p.session == SessionCode::ve18a8779 ? 1123 : 1116, "exit", "the clone exits");
  }
  return k;
}

} // namespace

const Kernel& kernel(Version v) {
  static const std::array<Kernel, 6> all = {
      build(Version::v2019),        build(Version::v2019_b1_mutex), build(Version::v2019_b2_fix),
      build(Version::v2019_b3_fix), build(Version::v2019_b4_fix),   build(Version::v2020)};
  return all.at(static_cast<size_t>(v));
}

} // namespace ptmc::redox_smp
