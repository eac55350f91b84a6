#include "model/redox/smp/model.hpp"

#include <algorithm>
#include <stdexcept>

namespace ptmc::redox_smp {

// ---- Properties -----------------------------------------------------------------------------

const std::vector<PropInfo>& prop_table() {
  static const std::vector<PropInfo> table = {
      {Prop::no_deadlock, "no-deadlock", "no thread waits forever on a lock or a cycle",
       "No reachable state in which some context has not finished, none of tracer, tracee and "
       "clone can take a step (the kills of a third party do not count), and no lost wakeup "
       "or frozen clone explains it: a thread spins on a lock whose holder will never release "
       "it, or threads wait for each other."},
      {Prop::event_wakeup, "event-wakeup", "the tracer does not sleep through an event",
       "No stuck state in which the tracer sleeps in ptrace::wait although an event is queued "
       "or the breakpoint is reached (the condition wait() checks)."},
      {Prop::resume_wakeup, "resume-wakeup", "the tracee does not sleep through its resume",
       "No stuck state in which the tracee sleeps in breakpoint_callback although the "
       "tracer's write that resumes this stop has notified the tracee WaitCondition."},
      {Prop::detach_wakeup, "detach-wakeup", "the tracee does not sleep after a detach",
       "No stuck state in which the tracee sleeps in breakpoint_callback although its session "
       "has been removed (the tracer closed its trace file)."},
      {Prop::exit_wakeup, "exit-wakeup", "the tracer does not sleep after the tracee exited",
       "No stuck state in which the tracer sleeps in ptrace::wait although the tracee has "
       "exited (close_tracee has run or will never wake it)."},
      {Prop::stop_reported, "stop-reported", "every armed stop the tracee reaches is reported",
       "When the tracee, resumed by a write W and with the tracer not detaching, reaches a "
       "stop kind W armed (a syscall entry or exit, its exit, or a user instruction while W "
       "armed SINGLESTEP), the stop is taken: breakpoint_callback matches it, or TF is set "
       "when the instruction starts. A `syscall` instruction raises no #DB (CPU layer)."},
      {Prop::ignore_exact, "ignore-exact", "IGNORE applies to exactly the stop it follows",
       "After a PRE_SYSCALL stop, the tracee skips the syscall if and only if the write that "
       "resumed it from that stop contains IGNORE."},
      {Prop::no_run_while_stopped, "no-run-while-stopped",
       "the tracee never runs while the tracer believes it stopped",
       "While the tracer believes the tracee stopped (it read a stop event, or with O_TRUNC it "
       "completed a register access before its first write) and has not written or closed "
       "since, the tracee executes no user instruction and no syscall body, unless killed."},
      {Prop::step_only_when_armed, "step-only-when-armed",
       "a #DB happens only when the last write armed SINGLESTEP",
       "The tracee takes a single-step trap only after a user instruction that started with "
       "TF set while the write that resumed it armed SINGLESTEP (and the tracer is attached). "
       "A stale TF makes #DB without a matching breakpoint, which ksignal turns into "
       "exit(SIGTRAP)."},
      {Prop::clone_released, "clone-released", "a clone frozen by EVENT_CLONE is released",
       "No stuck state in which the clone is frozen (ptrace_stop) while the tracer and the "
       "tracee have finished."},
      {Prop::clone_frozen_before_run, "clone-frozen-before-run",
       "EVENT_CLONE freezes the clone before it runs",
       "When clone() freezes the clone after sending EVENT_CLONE, the clone has not yet run "
       "user code (the freeze is meant to let the tracer set breakpoints first)."},
      {Prop::kernel_assert, "kernel-assert", "no assert! or expect of the kernel fails",
       "The kernel's own checks on the modelled paths hold: set_breakpoint's expect (a "
       "session exists), try_stop_context's assert (the context is not running), read's "
       "assert (a blocking wait returned an event or a reached breakpoint)."},
      {Prop::determinism, "determinism", "the tracer's observations are the same on every schedule",
       "Paired product: two copies of the model with the same tracee program, tracer requests "
       "and kills, each scheduled independently, agree on every request's result and on how "
       "the tracee ends."},
      {Prop::refinement, "refinement", "every observable trace is one of the atomic kernel",
       "Every sequence of tracer observations the concurrent model produces is produced by the "
       "same kernel with each system call executed atomically (the interface level)."},
      {Prop::refinement_interface, "refinement-interface",
       "every observable trace is one of the interface profile",
       "Every sequence of tracer requests, results, hangs and the end that the concurrent model "
       "produces, projected onto the interface model's observations, is produced by the "
       "interface profile of the same kernel (redox-2019, redox-2020) from the aligned start, "
       "on the common part of the two alphabets (docs/redox-smp.md)."},
  };
  return table;
}

std::optional<Prop> prop_by_name(std::string_view name) {
  for (const auto& p : prop_table())
    if (p.name == name) return p.id;
  return std::nullopt;
}

std::string_view attach_name(Attach a) {
  switch (a) {
  case Attach::plain:
    return "plain";
  case Attach::trunc:
    return "O_TRUNC";
  case Attach::frozen:
    return "O_TRUNC-frozen";
  }
  return "?";
}

std::optional<Attach> attach_by_name(std::string_view name) {
  for (Attach a : {Attach::plain, Attach::trunc, Attach::frozen})
    if (attach_name(a) == name) return a;
  return std::nullopt;
}

std::string_view insn_name(Insn i) {
  switch (i) {
  case Insn::nop:
    return "nop";
  case Insn::getpid:
    return "syscall getpid";
  case Insn::clone:
    return "syscall clone";
  }
  return "?";
}

std::string format_request(const Request& r) {
  switch (r.kind) {
  case Request::Kind::write:
    return "write " + format_flags(r.flags);
  case Request::Kind::read:
    return "read";
  case Request::Kind::regs:
    return "getregs";
  case Request::Kind::close:
    return "close";
  }
  return "?";
}

std::string_view who_name(uint8_t who) {
  return who == kEnv ? "env" : thread_name(static_cast<Thread>(who));
}

namespace {

constexpr int T = static_cast<int>(Thread::tracer);
constexpr int E = static_cast<int>(Thread::tracee);
constexpr int CL = static_cast<int>(Thread::clone);

// The tracee's syscalls (Context::aux while in the syscall listing).
constexpr uint8_t kSysGetpid = 1, kSysClone = 2, kSysExit = 3;
constexpr uint8_t kSigkill = 9, kSigtrap = 5;

uint8_t holder(int t) {
  return static_cast<uint8_t>(t + 1);
}
uint8_t tbit(int t) {
  return static_cast<uint8_t>(1u << t);
}
uint8_t wc_count(const State& s, Wc w, int t) {
  return (s.wc[static_cast<int>(w)] >> (2 * t)) & 3;
}
void set_wc_count(State& s, Wc w, int t, uint8_t n) {
  uint8_t& v = s.wc[static_cast<int>(w)];
  v = static_cast<uint8_t>((v & ~(3u << (2 * t))) | (static_cast<unsigned>(n) << (2 * t)));
}
int queue_size(const State& s) {
  int n = 0;
  while (n < 4 && s.events[n]) ++n;
  return n;
}
Insn program_at(const State& s, int i) {
  return static_cast<Insn>((s.program >> (2 * i)) & 3);
}
bool believes_stopped(const State& s) {
  return s.believes & 1;
}
bool detaching(const State& s) {
  return s.believes & 2;
}
bool is_running(const Context& c) {
  return c.sched & sched::running;
}
bool exists(const Context& c) {
  return c.sched & sched::exists;
}
bool done(const Context& c) {
  return c.sched & sched::done;
}

// The rip regs/int shows: the user instruction the tracee runs next. Inside a syscall that is
// the one after the `syscall` (SYSCALL saves the next rip in rcx, and syscall_instruction pushes
// it as the frame's rip), while the model's upc still points at the syscall until sysret.
uint8_t saved_rip(const State& s) {
  const Context& e = s.ctx[static_cast<int>(Thread::tracee)];
  return static_cast<uint8_t>(s.upc + (e.code == static_cast<uint8_t>(Code::tracee_syscall)));
}

uint8_t pack_obs_events(const State& s, uint8_t& hi) {
  uint16_t v = 0;
  for (int i = 0; i < 4; ++i) v = static_cast<uint16_t>(v | (s.events[i] & 7) << (3 * i));
  hi = static_cast<uint8_t>(v >> 8);
  return static_cast<uint8_t>(v & 0xff);
}
std::vector<Cause> unpack_obs_events(uint8_t lo, uint8_t hi) {
  const uint16_t v = static_cast<uint16_t>(lo | hi << 8);
  std::vector<Cause> out;
  for (int i = 0; i < 4; ++i) {
    const auto c = static_cast<Cause>((v >> (3 * i)) & 7);
    if (c != Cause::none) out.push_back(c);
  }
  return out;
}

} // namespace

// ---- Construction ---------------------------------------------------------------------------

SmpModel::SmpModel(Version version, Domain domain, bool por, bool atomic)
    : version_(version), kernel_(kernel(version)), domain_(std::move(domain)), por_(por),
      atomic_(atomic) {
  if (domain_.program_bound < 0 || domain_.program_bound > 4)
    throw std::invalid_argument("the tracee's program bound must be between 0 and 4");
  if (domain_.cpus < 1 || domain_.cpus > 3)
    throw std::invalid_argument("the number of CPUs must be between 1 and 3");
  if (domain_.requests < 0 || domain_.requests > 7)
    throw std::invalid_argument("the number of tracer requests must be between 0 and 7");
  for (uint8_t w : domain_.writes) requests_.push_back({Request::Kind::write, w});
  requests_.push_back({Request::Kind::read, 0});
  if (domain_.regs) requests_.push_back({Request::Kind::regs, 0});
  requests_.push_back({Request::Kind::close, 0});
  data_lock_ =
      (version == Version::v2019_b2_fix || version == Version::v2020) ? Lock::data : Lock::sessions;
}

std::vector<State> SmpModel::initial_states() const {
  std::vector<State> out;
  std::vector<std::vector<Insn>> programs{{}};
  for (int len = 1; len <= domain_.program_bound; ++len) {
    std::vector<std::vector<Insn>> next;
    for (const auto& p : programs)
      if (static_cast<int>(p.size()) == len - 1)
        for (Insn i : domain_.alphabet) {
          auto q = p;
          q.push_back(i);
          next.push_back(q);
        }
    programs.insert(programs.end(), next.begin(), next.end());
  }
  for (Attach a : domain_.attach)
    for (const auto& prog : programs) out.push_back(initial_state(prog, a));
  return out;
}

State SmpModel::initial_state(const std::vector<Insn>& program, Attach attach) const {
  const bool o_trunc = attach != Attach::plain;
  if (program.size() > 4) throw std::invalid_argument("the tracee's program is at most 4 long");
  State s;
  Context& t = s.ctx[T];
  t.sched = sched::exists | sched::running;
  t.cpu = 0;
  Context& e = s.ctx[E];
  e.cpu = static_cast<uint8_t>(1 % domain_.cpus);
  e.sched = sched::exists;
  if (e.cpu != t.cpu && attach != Attach::frozen) e.sched |= sched::running;
  // O_TRUNC sets ptrace_stop at open (proc.rs a57ea6a7 248-251); the tracee keeps running
  // until its next switch.
  if (o_trunc) e.sched |= sched::ptrace_stop;
  s.ctx[CL].cpu = static_cast<uint8_t>(2 % domain_.cpus);
  s.session =
      static_cast<uint8_t>(sess::in_map | sess::handle_open | (o_trunc ? sess::o_trunc : 0) |
                           (attach == Attach::frozen ? sess::frozen_open : 0));
  for (size_t i = 0; i < program.size(); ++i)
    s.program = static_cast<uint8_t>(s.program | static_cast<uint8_t>(program[i]) << (2 * i));
  s.program_length = static_cast<uint8_t>(program.size());
  s.kills = static_cast<uint8_t>((domain_.kill_tracee ? 1 : 0) | (domain_.kill_tracer ? 2 : 0));
  return s;
}

uint64_t SmpModel::fingerprint(const State& s) const {
  const auto* p = reinterpret_cast<const uint8_t*>(&s);
  uint64_t h = 0x9e3779b97f4a7c15ull;
  size_t i = 0;
  for (; i + 8 <= sizeof(State); i += 8) {
    uint64_t w;
    __builtin_memcpy(&w, p + i, 8);
    h ^= w;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 32;
  }
  uint64_t tail = 0;
  for (size_t k = 0; i < sizeof(State); ++i, ++k) tail |= static_cast<uint64_t>(p[i]) << (8 * k);
  h ^= tail;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 29;
  return h ? h : 1;
}

bool SmpModel::finished(const State& s) const {
  for (int t = 0; t < kThreads; ++t)
    if (exists(s.ctx[t]) && !done(s.ctx[t])) return false;
  return true;
}

uint8_t SmpModel::tag(const State& s) const {
  if (finished(s)) return 1;
  return stuck(s) ? 2 : 0;
}

// ---- Enabledness ------------------------------------------------------------------------------

bool SmpModel::request_allowed(const State& s, size_t index) const {
  const Request& r = requests_[index];
  if (r.kind == Request::Kind::close)
    return domain_.close_anytime || s.requests >= domain_.requests;
  if (s.requests >= domain_.requests) return false;
  // The tracer follows the debugger's protocol: it resumes (writes) only a tracee it has seen
  // stop, waits for (reads) the next stop after a write, and reads registers at a stop or
  // before its first write.
  switch (r.kind) {
  case Request::Kind::write:
    return s.writes == 0 || believes_stopped(s);
  case Request::Kind::read:
    return s.writes > 0 && !believes_stopped(s);
  case Request::Kind::regs:
    return s.writes == 0 || believes_stopped(s);
  case Request::Kind::close:
    return true;
  }
  return false;
}

bool SmpModel::step_enabled(const State& s, Thread th) const {
  const int t = static_cast<int>(th);
  const Context& c = s.ctx[t];
  const Op& op = kernel_.code[c.code].ops.at(c.pc);
  const Context& e = s.ctx[E];
  switch (op.kind) {
  case Kind::acquire_read:
    switch (static_cast<Lock>(op.arg)) {
    case Lock::sessions:
      return s.sessions_writer == 0;
    default:
      throw std::logic_error("read-acquire of a lock that is not an RwLock here");
    }
  case Kind::acquire_write:
    switch (static_cast<Lock>(op.arg)) {
    case Lock::sessions:
      return s.sessions_writer == 0 && s.sessions_readers == 0;
    case Lock::data:
      return s.data_owner == 0;
    case Lock::handles:
      return s.handles_writer == 0;
    case Lock::handle_mutex:
      return s.handle_mutex_owner == 0;
    }
    return false;
  case Kind::tsc_yield:
    return !is_running(e) || (c.sched & sched::pending_kill);
  case Kind::continue_clones:
    // is_traced() takes the SESSIONS read lock for each listed clone.
    return !(s.session & sess::clone_listed) || s.sessions_writer == 0;
  default:
    return true;
  }
}

// A step is safe for partial-order reduction when it touches only data no other thread can
// touch at that moment and no property monitor reads: the thread's own registers, session data
// under a lock the thread holds, and the trace handle's state, which only the tracer uses.
bool SmpModel::safe_step(const State& s, Thread th) const {
  const int t = static_cast<int>(th);
  const Context& c = s.ctx[t];
  if (!is_running(c) || c.code == 0 || done(c)) return false;
  const Op& op = kernel_.code[c.code].ops.at(c.pc);
  auto holds = [&](Lock l) {
    switch (l) {
    case Lock::sessions:
      return s.sessions_writer == holder(t) || (s.sessions_readers & tbit(t));
    case Lock::data:
      return s.data_owner == holder(t);
    default:
      return false;
    }
  };
  switch (op.kind) {
  case Kind::lookup_own:
  case Kind::lookup_traced:
  case Kind::remove_session:
    return holds(Lock::sessions);
  case Kind::bp_reach_queue:
  case Kind::bp_clear:
  case Kind::bp_set:
  case Kind::bp_set_filtered:
  case Kind::bp_read:
  case Kind::wait_needed_2019:
  case Kind::wait_ready:
  case Kind::drain_events:
  case Kind::send_check:
  case Kind::queue_event:
    return holds(data_lock_);
  case Kind::clones_push:
  case Kind::handle_remove:
    return t == T;
  case Kind::acquire_write:
  case Kind::release_write:
    return t == T &&
           (static_cast<Lock>(op.arg) == Lock::handles ||
            static_cast<Lock>(op.arg) == Lock::handle_mutex) &&
           step_enabled(s, th);
  case Kind::continue_clones:
    return !(s.session & sess::clone_listed);
  default:
    return false;
  }
}

// Lipton's movers, for a thread's next step. An acquire commutes with every later step of another
// thread (no step enabled after it touches the lock it took), so it moves right; a release moves
// left; an access to data only its holder can touch moves both ways; anything another thread can
// see (a WaitCondition, a context's scheduling fields, a monitor, an observation) is no mover.
SmpModel::Mover SmpModel::mover(const State& s, Thread th) const {
  const Context& c = s.ctx[static_cast<int>(th)];
  if (!is_running(c) || c.code == 0 || done(c)) return Mover::none;
  const Op& op = kernel_.code[c.code].ops.at(c.pc);
  switch (op.kind) {
  case Kind::acquire_read:
  case Kind::acquire_write:
    return Mover::right;
  case Kind::release_read:
  case Kind::release_write:
    return Mover::left;
  default:
    return safe_step(s, th) ? Mover::both : Mover::none;
  }
}

std::optional<State> SmpModel::apply_block(const State& s, const Label& l, StepInfo* out,
                                           std::vector<Label>* steps) const {
  StepInfo local;
  StepInfo& info = out ? *out : local;
  const auto th = static_cast<Thread>(l.who);
  const Mover first = mover(s, th);
  auto n = apply(s, l, &info);
  if (!n) return n;
  if (steps) steps->push_back(l);
  // Right movers and both-movers, then at most one non-mover, then left movers and both-movers.
  bool right_phase = first == Mover::right || first == Mover::both;
  for (int guard = 0; guard < 64; ++guard) {
    const Context& c = n->ctx[l.who];
    if (!is_running(c) || c.code == 0 || done(c) || !step_enabled(*n, th)) break;
    const Mover m = mover(*n, th);
    if (!right_phase && m != Mover::left && m != Mover::both) break;
    if (right_phase && m == Mover::none && info.obs) break; // one observation per block
    StepInfo more;
    auto next = apply(*n, l, &more);
    if (!next) break;
    if (m == Mover::none || m == Mover::left) right_phase = false;
    info.violations |= more.violations;
    if (more.obs) {
      info.obs = more.obs;
      info.observed = more.observed;
    }
    if (!more.note.empty()) info.note = more.note;
    if (steps) steps->push_back(l);
    n = next;
  }
  return n;
}

std::vector<Label> SmpModel::unfold(const State& initial, const std::vector<Label>& path) const {
  if (!por_) return path;
  std::vector<Label> out;
  State s = initial;
  for (const Label& l : path) {
    auto n = l.act == Act::step ? apply_block(s, l, nullptr, &out) : apply(s, l);
    if (l.act != Act::step) out.push_back(l);
    if (!n) break;
    s = *n;
  }
  return out;
}

void SmpModel::enabled_all(const State& s, std::vector<Label>& out) const {
  const Context& tr = s.ctx[T];
  const Context& te = s.ctx[E];
  auto kills = [&] {
    if ((s.kills & 1) && status(te) != Status::exited) out.push_back({kEnv, Act::kill, E});
    if ((s.kills & 2) && status(tr) != Status::exited) out.push_back({kEnv, Act::kill, T});
  };
  // The interface level: one big kernel lock. A thread running kernel code excludes every other
  // thread's kernel code until it returns to user mode or gives up its CPU; user code runs on.
  int in_kernel = -1;
  if (atomic_)
    for (int t = 0; t < kThreads; ++t) {
      const Context& c = s.ctx[t];
      if (exists(c) && !done(c) && is_running(c) && c.code != 0) in_kernel = t;
    }
  auto user_only = [&](int t, const Label& l) {
    if (in_kernel < 0 || t == in_kernel) return true;
    const Context& c = s.ctx[t];
    switch (l.act) {
    case Act::user:
      // An instruction that stays in user mode: a nop without TF (syscall and #DB enter).
      return s.upc < s.program_length &&
             static_cast<Insn>((s.program >> (2 * s.upc)) & 3) == Insn::nop && !s.tf;
    case Act::preempt:
      return true;
    case Act::sched_in:
      return c.code == 0 && !((c.sched & sched::pending_kill) && !(c.sched & sched::in_signal));
    case Act::sigwake:
      return true;
    default:
      return false;
    }
  };
  auto cpu_busy = [&](int cpu, int except) {
    for (int t = 0; t < kThreads; ++t)
      if (t != except && exists(s.ctx[t]) && !done(s.ctx[t]) && is_running(s.ctx[t]) &&
          s.ctx[t].cpu == cpu)
        return true;
    return false;
  };
  auto ready = [&](int t) {
    const Context& c = s.ctx[t];
    return exists(c) && !done(c) && !is_running(c) && status(c) == Status::runnable &&
           !(c.sched & sched::ptrace_stop);
  };
  auto waiting_for_cpu = [&](int t) {
    for (int u = 0; u < kThreads; ++u)
      if (u != t && s.ctx[u].cpu == s.ctx[t].cpu && ready(u)) return true;
    return false;
  };
  const size_t first = out.size();
  for (int t = 0; t < kThreads; ++t) {
    const Context& c = s.ctx[t];
    if (!exists(c) || done(c)) continue;
    const auto who = static_cast<uint8_t>(t);
    if (is_running(c)) {
      if (c.code != 0) {
        if (step_enabled(s, static_cast<Thread>(t))) out.push_back({who, Act::step, 0});
      } else if (t == T) {
        for (size_t i = 0; i < requests_.size(); ++i)
          if (request_allowed(s, i)) out.push_back({who, Act::request, static_cast<uint8_t>(i)});
        if ((c.sched & sched::pending_kill) || waiting_for_cpu(t))
          out.push_back({who, Act::preempt, 0});
      } else if (t == E) {
        out.push_back({who, Act::user, 0});
        out.push_back({who, Act::preempt, 0});
      }
    } else {
      if (ready(t) && !cpu_busy(c.cpu, t)) out.push_back({who, Act::sched_in, 0});
      if (status(c) == Status::blocked && (c.sched & sched::pending_kill))
        out.push_back({who, Act::sigwake, 0});
    }
  }
  if (in_kernel >= 0)
    out.erase(std::remove_if(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
                             [&](const Label& l) { return !user_only(l.who, l); }),
              out.end());
  kills();
}

void SmpModel::enabled(const State& s, std::vector<Label>& out) const {
  if (por_ && !atomic_)
    for (int t = 0; t < kThreads; ++t)
      if (safe_step(s, static_cast<Thread>(t)) && step_enabled(s, static_cast<Thread>(t))) {
        out.push_back({static_cast<uint8_t>(t), Act::step, 0});
        return;
      }
  enabled_all(s, out);
}

bool SmpModel::stuck(const State& s) const {
  if (finished(s)) return false;
  std::vector<Label> labels;
  enabled_all(s, labels);
  for (const Label& l : labels)
    if (l.who != kEnv) return false;
  return true;
}

uint32_t SmpModel::diagnose_stuck(const State& s) const {
  const Context& tr = s.ctx[T];
  const Context& te = s.ctx[E];
  const Context& cl = s.ctx[CL];
  uint32_t v = 0;
  const bool tracer_sleeps = exists(tr) && !done(tr) && status(tr) == Status::blocked;
  const bool tracee_sleeps = exists(te) && !done(te) && status(te) == Status::blocked;
  const bool event_ready =
      ((s.session & sess::bp_set) && (s.session & sess::reached)) || queue_size(s) > 0;
  if (tracer_sleeps && event_ready) v |= bit(Prop::event_wakeup);
  if (tracer_sleeps && !event_ready && status(te) == Status::exited) v |= bit(Prop::exit_wakeup);
  if (tracee_sleeps && !(s.session & sess::in_map)) v |= bit(Prop::detach_wakeup);
  if (tracee_sleeps && (s.session & sess::in_map) && s.resume_sent > s.stop_gen)
    v |= bit(Prop::resume_wakeup);
  const bool others_done = done(tr) && done(te);
  if (exists(cl) && !done(cl) && (cl.sched & sched::ptrace_stop) && others_done)
    v |= bit(Prop::clone_released);
  if (!v) v |= bit(Prop::no_deadlock);
  return v;
}

// ---- Steps ------------------------------------------------------------------------------------

void SmpModel::start_code(State& s, Thread th, Code code) const {
  Context& c = s.ctx[static_cast<int>(th)];
  c.code = static_cast<uint8_t>(code);
  c.pc = 0;
  c.regs = 0;
  c.ret = 0;
  run_control(s, th);
}

void SmpModel::run_control(State& s, Thread th) const {
  Context& c = s.ctx[static_cast<int>(th)];
  for (int guard = 0; c.code != 0 && guard < 64; ++guard) {
    const auto& ops = kernel_.code[c.code].ops;
    if (c.pc >= ops.size())
      throw std::logic_error("listing " + std::string(code_name(static_cast<Code>(c.code))) +
                             " ran off its end");
    const Op& op = ops[c.pc];
    bool take = false;
    switch (op.kind) {
    case Kind::jump:
      take = true;
      break;
    case Kind::jump_if:
      take = c.regs & reg::cond;
      break;
    case Kind::jump_unless:
      take = !(c.regs & reg::cond);
      break;
    case Kind::jump_flags:
      take = c.flags & op.arg;
      break;
    case Kind::jump_noflags:
      take = !(c.flags & op.arg);
      break;
    case Kind::jump_ret:
      take = c.ret == op.arg;
      break;
    case Kind::jump_not_clone:
      take = c.aux != kSysClone;
      break;
    case Kind::jump_no_handle:
      take = !(s.session & sess::handle_open);
      break;
    case Kind::set_ret:
      c.ret = op.arg;
      ++c.pc;
      continue;
    default:
      return;
    }
    c.pc = take ? op.target : static_cast<uint16_t>(c.pc + 1);
  }
}

uint32_t SmpModel::monitor_user(const State& s, Insn insn) const {
  uint32_t v = 0;
  const bool killed = s.kills & 4;
  if (believes_stopped(s) && !detaching(s) && !killed) v |= bit(Prop::no_run_while_stopped);
  // A step stop is owed for this instruction if the write that resumed the tracee armed it; a
  // #DB is legitimate if the tracer's latest write armed SINGLESTEP and it is still attached.
  const bool owed_step = s.resumer == static_cast<uint8_t>(Resumer::write) &&
                         (s.resumer_flags & flag::step) && !detaching(s);
  const bool step_armed = (s.armed & flag::step) && !detaching(s);
  if (insn == Insn::nop) {
    if (owed_step && !s.tf) v |= bit(Prop::stop_reported);
    if (s.tf && !step_armed) v |= bit(Prop::step_only_when_armed);
  }
  return v;
}

RuleId SmpModel::rule_of(Kind k) {
  switch (k) {
  case Kind::acquire_read:
  case Kind::acquire_write:
    return RuleId::smp_lock_acquire;
  case Kind::release_read:
  case Kind::release_write:
    return RuleId::smp_lock_release;
  case Kind::lookup_own:
  case Kind::lookup_traced:
    return RuleId::smp_session_lookup;
  case Kind::remove_session:
    return RuleId::smp_session_remove;
  case Kind::bp_match:
    return RuleId::smp_bp_match;
  case Kind::bp_reach_queue:
    return RuleId::smp_bp_reach_queue;
  case Kind::send_check:
    return RuleId::smp_send_check;
  case Kind::queue_event:
    return RuleId::smp_queue_event;
  case Kind::bp_clear:
    return RuleId::smp_bp_clear;
  case Kind::bp_set:
  case Kind::bp_set_filtered:
    return RuleId::smp_bp_set;
  case Kind::bp_read:
    return RuleId::smp_bp_read;
  case Kind::wait_needed_2019:
  case Kind::wait_ready:
    return RuleId::smp_wait_check;
  case Kind::drain_events:
    return RuleId::smp_drain_events;
  case Kind::notify:
    return RuleId::smp_notify;
  case Kind::wc_register:
    return RuleId::smp_wc_register;
  case Kind::wc_resume:
    return RuleId::smp_wc_resume;
  case Kind::switch_out:
    return RuleId::smp_switch_out;
  case Kind::tsc_2019:
  case Kind::tsc_yield:
  case Kind::tsc_save_and_stop:
  case Kind::tsc_running:
  case Kind::tsc_finish_3420339c:
  case Kind::tsc_finish_e18a8779:
    return RuleId::smp_try_stop_context;
  case Kind::unstop:
  case Kind::unstop_if_exists:
    return RuleId::smp_unstop;
  case Kind::exited_check:
    return RuleId::smp_exited_check;
  case Kind::continue_clones:
    return RuleId::smp_continue_clones;
  case Kind::handle_remove:
  case Kind::clones_push:
    return RuleId::smp_handle;
  case Kind::ignore_decide:
    return RuleId::smp_ignore_decide;
  case Kind::syscall_body:
    return RuleId::smp_syscall_body;
  case Kind::clone_create:
  case Kind::clone_freeze:
  case Kind::clone_user:
    return RuleId::smp_clone;
  case Kind::sysret:
  case Kind::iret:
    return RuleId::smp_return_to_user;
  case Kind::debug_entry:
  case Kind::debug_restore:
  case Kind::ksignal_exit:
    return RuleId::smp_debug_trap;
  case Kind::exit_enter:
  case Kind::mark_exited:
  case Kind::final_switch:
    return RuleId::smp_exit;
  case Kind::request_done:
    return RuleId::smp_request;
  case Kind::assert_events:
    return RuleId::smp_kernel_assert;
  default:
    break;
  }
  throw std::logic_error("a control op has no rule");
}

void SmpModel::run_step(State& s, Thread th, StepInfo& info) const {
  const int t = static_cast<int>(th);
  Context& c = s.ctx[t];
  Context& e = s.ctx[E];
  const Op op = kernel_.code[c.code].ops.at(c.pc);
  info.rule = op.rule;
  covered_.set(static_cast<size_t>(rule_of(op.kind)));
  ++c.pc; // the next step, unless the step changes the listing
  auto set_cond = [&](bool b) {
    c.regs = static_cast<uint8_t>(b ? (c.regs | reg::cond) : (c.regs & ~reg::cond));
  };
  auto set_reg = [&](uint8_t r, bool b) {
    c.regs = static_cast<uint8_t>(b ? (c.regs | r) : (c.regs & ~r));
  };
  auto require_held = [&](bool ok, Lock l) {
    if (!ok)
      throw std::logic_error("release of " + std::string(lock_name(l)) + " not held by " +
                             std::string(thread_name(th)));
  };
  auto push_event = [&](uint8_t cause) {
    const int n = queue_size(s);
    if (n == 4) {
      ++overflows_;
      throw std::length_error("event queue");
    }
    s.events[n] = cause;
  };
  auto ret = [&](Ret r) { c.ret = static_cast<uint8_t>(r); };
  const bool tracee_exited = status(e) == Status::exited;
  const auto resumer_write = static_cast<uint8_t>(Resumer::write);

  switch (op.kind) {
  // ---- locks
  case Kind::acquire_read:
    s.sessions_readers |= tbit(t);
    break;
  case Kind::acquire_write:
    switch (static_cast<Lock>(op.arg)) {
    case Lock::sessions:
      s.sessions_writer = holder(t);
      break;
    case Lock::data:
      s.data_owner = holder(t);
      break;
    case Lock::handles:
      s.handles_writer = holder(t);
      break;
    case Lock::handle_mutex:
      s.handle_mutex_owner = holder(t);
      break;
    }
    break;
  case Kind::release_read:
    require_held(s.sessions_readers & tbit(t), Lock::sessions);
    s.sessions_readers = static_cast<uint8_t>(s.sessions_readers & ~tbit(t));
    break;
  case Kind::release_write: {
    const auto l = static_cast<Lock>(op.arg);
    uint8_t* owner = l == Lock::sessions  ? &s.sessions_writer
                     : l == Lock::data    ? &s.data_owner
                     : l == Lock::handles ? &s.handles_writer
                                          : &s.handle_mutex_owner;
    require_held(*owner == holder(t), l);
    *owner = 0;
    break;
  }
  // ---- the session
  case Kind::lookup_own:
    set_cond(t == E && (s.session & sess::in_map));
    break;
  case Kind::lookup_traced:
    set_cond(s.session & sess::in_map);
    break;
  case Kind::remove_session:
    set_cond(s.session & sess::in_map);
    s.session &= static_cast<uint8_t>(~sess::in_map);
    break;
  case Kind::bp_match: {
    const uint8_t want = cause_flag(static_cast<Cause>(op.arg));
    const bool match = (s.session & sess::bp_set) && (s.bp_flags & want) == want;
    set_cond(match);
    if (!match && t == E && s.resumer == resumer_write && (s.resumer_flags & want) && !detaching(s))
      info.violations |= bit(Prop::stop_reported);
    info.note = match ? "matches" : "no match";
    break;
  }
  case Kind::bp_reach_queue:
    push_event(op.arg);
    s.session |= sess::reached;
    c.flags = s.bp_flags;
    s.stop_gen = s.writes;
    info.note = std::string(cause_name(static_cast<Cause>(op.arg))) + " queued";
    break;
  case Kind::send_check: {
    const uint8_t want = cause_flag(static_cast<Cause>(op.arg));
    set_cond((s.session & sess::bp_set) && (s.bp_flags & want) == want);
    break;
  }
  case Kind::queue_event:
    push_event(op.arg);
    info.note = std::string(cause_name(static_cast<Cause>(op.arg))) + " queued";
    break;
  case Kind::bp_clear:
    s.session &= static_cast<uint8_t>(~(sess::bp_set | sess::reached));
    s.bp_flags = 0;
    break;
  case Kind::bp_set:
    // set_breakpoint's expect("proc (set_breakpoint): invalid session").
    if (!(s.session & sess::in_map)) info.violations |= bit(Prop::kernel_assert);
    s.session = static_cast<uint8_t>((s.session | sess::bp_set) & ~sess::reached);
    s.bp_flags = s.ctx[T].flags;
    break;
  case Kind::bp_set_filtered:
    if (s.ctx[T].flags & (flag::stop_mask | flag::clone)) {
      s.session = static_cast<uint8_t>((s.session | sess::bp_set) & ~sess::reached);
      s.bp_flags = s.ctx[T].flags;
    } else {
      s.session &= static_cast<uint8_t>(~(sess::bp_set | sess::reached));
      s.bp_flags = 0;
    }
    break;
  case Kind::bp_read: {
    // a57ea6a7's next_breakpoint looks its session up under the same guard.
    const bool present = (s.session & sess::in_map) && (s.session & sess::bp_set);
    set_cond(present);
    c.flags = present ? s.bp_flags : 0;
    break;
  }
  case Kind::wait_needed_2019: {
    const bool reached = (s.session & sess::bp_set) && (s.session & sess::reached);
    set_cond((s.session & sess::in_map) && !reached && queue_size(s) == 0);
    break;
  }
  case Kind::wait_ready:
    set_cond(((s.session & sess::bp_set) && (s.session & sess::reached)) || queue_size(s) > 0);
    break;
  case Kind::drain_events: {
    s.obs = 0;
    s.obs_hi = 0;
    set_reg(reg::reached, false);
    // a57ea6a7's recv_events looks the session up under the same guard.
    if (s.session & sess::in_map) {
      s.obs = pack_obs_events(s, s.obs_hi);
      for (auto& ev : s.events) ev = 0;
      set_reg(reg::reached, (s.session & sess::bp_set) && (s.session & sess::reached));
    }
    break;
  }
  // ---- WaitConditions
  case Kind::notify: {
    const auto w = static_cast<Wc>(op.arg);
    int woken = 0;
    for (int x = 0; x < kThreads; ++x) {
      if (!wc_count(s, w, x)) continue;
      set_wc_count(s, w, x, 0);
      if (status(s.ctx[x]) == Status::blocked) {
        set_status(s.ctx[x], Status::runnable);
        woken |= tbit(x);
      }
    }
    if (w == Wc::tracee && t == T) {
      const auto code = static_cast<Code>(c.code);
      if (code == Code::tracer_write) s.resume_sent = s.writes;
      if (woken & tbit(E)) {
        if (code == Code::tracer_write) {
          s.resumer = resumer_write;
          s.resumer_flags = c.flags;
        } else {
          s.resumer = static_cast<uint8_t>(Resumer::detach);
        }
      }
    }
    info.note = woken ? "wakes the " + std::string(woken & tbit(E) ? "tracee" : "tracer")
                      : "nobody waiting";
    break;
  }
  case Kind::wc_register: {
    const auto w = static_cast<Wc>(op.arg);
    const uint8_t n = wc_count(s, w, t);
    if (n == 3) throw std::logic_error("too many WaitCondition entries");
    set_wc_count(s, w, t, static_cast<uint8_t>(n + 1));
    if (status(c) == Status::runnable) set_status(c, Status::blocked);
    break;
  }
  case Kind::switch_out:
    c.sched = static_cast<uint8_t>(c.sched & ~sched::running);
    break;
  case Kind::wc_resume: {
    const auto w = static_cast<Wc>(op.arg);
    const uint8_t n = wc_count(s, w, t);
    if (n) set_wc_count(s, w, t, static_cast<uint8_t>(n - 1));
    set_cond(n == 0);
    info.note = n == 0 ? "notified" : "woken without a notify";
    break;
  }
  // ---- try_stop_context and the tracee's context
  case Kind::tsc_2019: {
    if (tracee_exited) {
      ret(Ret::esrch);
      break;
    }
    e.sched |= sched::ptrace_stop;
    if (is_running(e)) {
      ret(Ret::none);
      info.note = "running: retry";
      break;
    }
    if (op.arg & 1)
      s.tf = 1;
    else
      s.obs = saved_rip(s);
    // ptrace_stop = restart_after && was_stopped, and was_stopped is never assigned.
    e.sched = static_cast<uint8_t>(e.sched & ~sched::ptrace_stop);
    ret(Ret::ok);
    break;
  }
  case Kind::tsc_yield:
    if (c.sched & sched::pending_kill) {
      // The switch() delivers the pending SIGKILL: the signal handler runs on a copy of the
      // kernel stack and this frame never resumes.
      c.sched |= sched::in_signal;
      s.believes = 2; // a dying tracer believes nothing any more; its exit detaches
      start_code(s, th, Code::tracer_killed);
      info.note = "switch() delivers SIGKILL";
      return;
    }
    break;
  case Kind::tsc_save_and_stop:
    if (tracee_exited) {
      ret(Ret::esrch);
      break;
    }
    set_reg(reg::was_stopped, e.sched & sched::ptrace_stop);
    e.sched |= sched::ptrace_stop;
    set_cond(is_running(e));
    ret(Ret::none);
    break;
  case Kind::tsc_running:
    if (tracee_exited) {
      ret(Ret::esrch);
      break;
    }
    set_cond(is_running(e));
    ret(Ret::none);
    break;
  case Kind::tsc_finish_3420339c:
  case Kind::tsc_finish_e18a8779: {
    if (tracee_exited) {
      ret(Ret::esrch);
      break;
    }
    if (is_running(e)) info.violations |= bit(Prop::kernel_assert);
    if (op.arg & 1)
      s.tf = 1;
    else
      s.obs = saved_rip(s);
    const bool was_stopped = c.regs & reg::was_stopped;
    const bool restart_after = op.arg & 2;
    if (op.kind == Kind::tsc_finish_3420339c) {
      if (!was_stopped || restart_after)
        e.sched = static_cast<uint8_t>(e.sched & ~sched::ptrace_stop);
    } else {
      e.sched = static_cast<uint8_t>(was_stopped ? (e.sched | sched::ptrace_stop)
                                                 : (e.sched & ~sched::ptrace_stop));
    }
    ret(Ret::ok);
    break;
  }
  case Kind::unstop:
  case Kind::unstop_if_exists:
    if (op.kind == Kind::unstop && tracee_exited) {
      ret(Ret::esrch);
      break;
    }
    if (e.sched & sched::ptrace_stop) {
      if (c.code == static_cast<uint8_t>(Code::tracer_write)) {
        s.resumer = resumer_write;
        s.resumer_flags = c.flags;
      } else {
        s.resumer = static_cast<uint8_t>(Resumer::detach);
      }
    }
    e.sched = static_cast<uint8_t>(e.sched & ~sched::ptrace_stop);
    ret(Ret::ok);
    break;
  case Kind::exited_check:
    set_cond(tracee_exited);
    break;
  case Kind::continue_clones:
    if (s.session & sess::clone_listed) {
      Context& cl = s.ctx[CL];
      if (exists(cl)) cl.sched = static_cast<uint8_t>(cl.sched & ~sched::ptrace_stop);
      s.session &= static_cast<uint8_t>(~sess::clone_listed);
    }
    break;
  case Kind::handle_remove:
    s.session &= static_cast<uint8_t>(~sess::handle_open);
    break;
  case Kind::clones_push:
    for (Cause cause : unpack_obs_events(s.obs, s.obs_hi))
      if (cause == Cause::clone) s.session |= sess::clone_listed;
    break;
  case Kind::assert_events:
    if (unpack_obs_events(s.obs, s.obs_hi).empty() && !(c.regs & reg::reached))
      info.violations |= bit(Prop::kernel_assert);
    break;
  // ---- the tracee
  case Kind::ignore_decide: {
    // allowed = breakpoint_callback(PRE).and_then(|_| next_breakpoint().map(|f| !IGNORE))
    const bool present = c.regs & reg::cond;
    const bool skip = present && (c.flags & flag::ignore);
    set_cond(!skip);
    const bool want_skip = s.resumer == resumer_write && (s.resumer_flags & flag::ignore);
    // Once the tracer has detached (or died), there is no tracer whose IGNORE could apply.
    if (skip != want_skip && !detaching(s)) info.violations |= bit(Prop::ignore_exact);
    info.note = skip ? "IGNORE: the syscall is skipped" : "the syscall runs";
    break;
  }
  case Kind::syscall_body:
    if (believes_stopped(s) && !detaching(s) && !(s.kills & 4))
      info.violations |= bit(Prop::no_run_while_stopped);
    if (c.aux == kSysExit) {
      c.aux = 0;
      start_code(s, th, Code::tracee_exit);
      info.note = "exit(0)";
      return;
    }
    info.note = c.aux == kSysClone ? "clone()" : "getpid()";
    break;
  case Kind::clone_create: {
    Context& cl = s.ctx[CL];
    cl.sched = sched::exists; // Runnable, not running, not stopped
    cl.code = static_cast<uint8_t>(Code::clone_run);
    cl.pc = 0;
    break;
  }
  case Kind::clone_freeze:
    if (s.clone_mon & 1) info.violations |= bit(Prop::clone_frozen_before_run);
    s.ctx[CL].sched |= sched::ptrace_stop;
    break;
  case Kind::clone_user:
    s.clone_mon |= 1;
    break;
  case Kind::sysret:
    ++s.upc;
    c.code = 0;
    c.pc = 0;
    return;
  case Kind::debug_entry:
    set_reg(reg::had_tf, s.tf);
    s.tf = 0;
    break;
  case Kind::debug_restore:
    s.tf = (c.regs & reg::had_tf) ? 1 : 0;
    break;
  case Kind::ksignal_exit:
    c.aux = kSigtrap;
    start_code(s, th, Code::tracee_exit);
    info.note = "exit(SIGTRAP)";
    return;
  case Kind::iret:
    c.code = 0;
    c.pc = 0;
    return;
  case Kind::exit_enter:
    c.aux = op.arg;
    start_code(s, th, Code::tracee_exit);
    info.note = "exit(SIGKILL)";
    return;
  case Kind::mark_exited:
    set_status(c, Status::exited);
    if (t == E) {
      // The tracer can tell from here on (ESRCH): this is when the tracee has ended for it.
      info.obs = obs::end | c.aux;
      info.observed = "tracee exit(" + std::to_string(c.aux) + ")";
    }
    if (t == CL) {
      c.sched = static_cast<uint8_t>((c.sched & ~sched::running) | sched::done);
      c.code = 0;
      return;
    }
    break;
  case Kind::final_switch:
    c.sched = static_cast<uint8_t>((c.sched & ~sched::running) | sched::done);
    c.code = 0;
    c.pc = 0;
    return;
  // ---- the tracer's requests
  case Kind::request_done: {
    const Request& r = requests_.at(c.aux);
    info.observation = true;
    std::string result;
    const auto rv = static_cast<Ret>(c.ret);
    switch (r.kind) {
    case Request::Kind::write:
    case Request::Kind::close:
      result = std::string(ret_name(rv));
      break;
    case Request::Kind::read: {
      if (rv != Ret::ok) {
        result = std::string(ret_name(rv));
        break;
      }
      result = "[";
      bool stop = false;
      for (Cause cause : unpack_obs_events(s.obs, s.obs_hi)) {
        if (result.size() > 1) result += ",";
        result += std::string(cause_name(cause));
        stop |= is_stop(cause);
      }
      result += "]";
      if (stop) s.believes |= 1;
      break;
    }
    case Request::Kind::regs:
      result = rv == Ret::ok ? "rip=" + std::to_string(s.obs) : std::string(ret_name(rv));
      if (rv == Ret::ok && s.writes == 0 && (s.session & sess::o_trunc)) s.believes |= 1;
      break;
    }
    info.observed = format_request(r) + " = " + result;
    info.note = info.observed;
    info.obs = obs::result | static_cast<uint32_t>(c.aux) << 20 | static_cast<uint32_t>(rv) << 16 |
               (r.kind == Request::Kind::read || r.kind == Request::Kind::regs
                    ? static_cast<uint32_t>(s.obs | s.obs_hi << 8)
                    : 0u);
    s.obs = 0;
    s.obs_hi = 0;
    c.code = 0;
    c.pc = 0;
    c.ret = 0;
    c.regs = 0;
    if (r.kind == Request::Kind::close) {
      set_status(c, Status::exited);
      c.sched = static_cast<uint8_t>((c.sched & ~sched::running) | sched::done);
    }
    return;
  }
  default:
    throw std::logic_error("a control op reached run_step");
  }
  run_control(s, th);
}

std::optional<State> SmpModel::apply(const State& s0, const Label& l, StepInfo* out) const {
  StepInfo local;
  StepInfo& info = out ? *out : local;
  State s = s0;
  try {
    if (l.who == kEnv) {
      if (l.act != Act::kill) return std::nullopt;
      const int target = l.arg;
      const uint8_t budget = target == E ? 1 : 2;
      if (!(s.kills & budget) || status(s.ctx[target]) == Status::exited) return std::nullopt;
      s.kills = static_cast<uint8_t>((s.kills & ~budget) | (budget << 2));
      s.ctx[target].sched |= sched::pending_kill;
      covered_.set(static_cast<size_t>(RuleId::smp_kill));
      info.note = "kill(" + std::string(thread_name(static_cast<Thread>(target))) + ", SIGKILL)";
    } else {
      const int t = l.who;
      const auto th = static_cast<Thread>(t);
      Context& c = s.ctx[t];
      if (!exists(c) || done(c)) return std::nullopt;
      switch (l.act) {
      case Act::step:
        if (!is_running(c) || c.code == 0 || !step_enabled(s, th)) return std::nullopt;
        run_step(s, th, info);
        break;
      case Act::request: {
        if (t != T || !is_running(c) || c.code != 0 || l.arg >= requests_.size() ||
            !request_allowed(s, l.arg))
          return std::nullopt;
        const Request& r = requests_[l.arg];
        c.aux = l.arg;
        c.flags = r.flags;
        if (r.kind != Request::Kind::close) ++s.requests;
        Code code = Code::tracer_read;
        switch (r.kind) {
        case Request::Kind::write:
          ++s.writes;
          s.armed = r.flags;
          s.believes &= static_cast<uint8_t>(~1);
          code = Code::tracer_write;
          break;
        case Request::Kind::read:
          code = Code::tracer_read;
          break;
        case Request::Kind::regs:
          code = Code::tracer_regs;
          break;
        case Request::Kind::close:
          s.believes = 2;
          code = Code::tracer_close;
          break;
        }
        info.note = format_request(r);
        info.obs = obs::request | l.arg;
        covered_.set(static_cast<size_t>(RuleId::smp_request));
        start_code(s, th, code);
        break;
      }
      case Act::user: {
        if (t != E || !is_running(c) || c.code != 0 || status(c) != Status::runnable)
          return std::nullopt;
        if (s.upc >= s.program_length) {
          covered_.set(static_cast<size_t>(RuleId::hw_no_trap_after_syscall));
          info.violations |= monitor_user(s, Insn::getpid);
          c.aux = kSysExit;
          info.note = "syscall exit";
          start_code(s, th, Code::tracee_syscall);
          break;
        }
        const Insn insn = program_at(s, s.upc);
        info.violations |= monitor_user(s, insn);
        info.note = std::string(insn_name(insn)) + " at " + std::to_string(s.upc);
        covered_.set(static_cast<size_t>(RuleId::user_insn));
        if (insn == Insn::nop) {
          covered_.set(static_cast<size_t>(RuleId::hw_trap_after_insn));
          ++s.upc;
          // A #DB follows an instruction that started with TF set. `syscall` clears TF in the
          // kernel (IA32_FMASK 0x300) and raises no #DB after it; sysret restores TF.
          if (s.tf) start_code(s, th, Code::tracee_debug);
        } else {
          covered_.set(static_cast<size_t>(RuleId::hw_no_trap_after_syscall));
          c.aux = insn == Insn::clone ? kSysClone : kSysGetpid;
          start_code(s, th, Code::tracee_syscall);
        }
        break;
      }
      case Act::sched_in: {
        if (is_running(c) || status(c) != Status::runnable || (c.sched & sched::ptrace_stop))
          return std::nullopt;
        for (int u = 0; u < kThreads; ++u)
          if (u != t && exists(s.ctx[u]) && !done(s.ctx[u]) && is_running(s.ctx[u]) &&
              s.ctx[u].cpu == c.cpu)
            return std::nullopt;
        c.sched |= sched::running;
        covered_.set(static_cast<size_t>(RuleId::smp_schedule));
        info.note = "switched in on cpu" + std::to_string(c.cpu);
        if ((c.sched & sched::pending_kill) && !(c.sched & sched::in_signal) && t != CL) {
          // switch.rs: the pending signal is popped and the handler runs on a copy of the
          // kernel stack; the interrupted frame (its locks, its WaitCondition entry) stays.
          c.sched |= sched::in_signal;
          if (t == T) s.believes = 2;
          info.note += ", SIGKILL delivered";
          start_code(s, th, t == E ? Code::tracee_signal : Code::tracer_killed);
        }
        break;
      }
      case Act::preempt:
        if (!is_running(c) || c.code != 0) return std::nullopt;
        c.sched = static_cast<uint8_t>(c.sched & ~sched::running);
        covered_.set(static_cast<size_t>(RuleId::smp_preempt));
        info.note = "timer interrupt: context::switch()";
        break;
      case Act::sigwake:
        if (status(c) != Status::blocked || !(c.sched & sched::pending_kill)) return std::nullopt;
        set_status(c, Status::runnable);
        covered_.set(static_cast<size_t>(RuleId::smp_signal_wake));
        info.note = "update(): unblocked by the pending signal";
        break;
      case Act::kill:
        return std::nullopt;
      }
    }
  } catch (const std::length_error&) {
    return std::nullopt; // beyond the event queue's bound: counted in overflow_count()
  }
  if (!finished(s) && stuck(s)) info.violations |= diagnose_stuck(s);
  return s;
}

// ---- Printing ---------------------------------------------------------------------------------

std::string SmpModel::describe(const State& before, const Label& l, const StepInfo& info) const {
  std::string out;
  switch (l.act) {
  case Act::step: {
    const Context& c = before.ctx[l.who];
    const Op& op = kernel_.code[c.code].ops.at(c.pc);
    const Source& src = kernel_.rules.at(op.rule);
    out = src.function + ": " + src.text + "  [" + src.commit + " " + src.file + ":" +
          std::to_string(src.line) + "]";
    break;
  }
  case Act::request:
    out = "request " + format_request(requests_.at(l.arg));
    break;
  case Act::user:
    out = "user: " + info.note;
    break;
  case Act::sched_in:
  case Act::preempt:
  case Act::sigwake:
  case Act::kill:
    out = info.note;
    break;
  }
  if (l.act == Act::step && !info.note.empty()) out += "  -> " + info.note;
  return out;
}

std::string SmpModel::summary(const State& s) const {
  std::string out;
  for (int t = 0; t < kThreads; ++t) {
    const Context& c = s.ctx[t];
    if (!exists(c)) continue;
    out += std::string(thread_name(static_cast<Thread>(t))) + ":";
    if (done(c))
      out += "done";
    else {
      out += c.code ? std::string(code_name(static_cast<Code>(c.code))) + "@" + std::to_string(c.pc)
                    : "user";
      out += status(c) == Status::blocked  ? ",blocked"
             : status(c) == Status::exited ? ",exited"
                                           : "";
      if (!is_running(c)) out += ",off-cpu";
      if (c.sched & sched::ptrace_stop) out += ",ptrace_stop";
    }
    out += " ";
  }
  return out;
}

} // namespace ptmc::redox_smp
