#include "model/redox/model.hpp"

#include "model/cpu/x86_64/cpu.hpp"
#include "model/linux/x86_64/arch.hpp"
#include "model/program_layout.hpp"

#include <stdexcept>

namespace ptmc::redox {

namespace {

constexpr int64_t kEperm = 1, kEsrch = 3, kEbadf = 9, kEagain = 11, kEfault = 14, kEinval = 22,
                  kEnosys = 38, kEnotrecoverable = 131;

// The bits the 2019 kernel's STOP_MASK test and the 2020 kernel's STOP|EVENT test look at.
constexpr uint64_t kStopMask = redox::stop_mask;
constexpr uint64_t kStopOrEvent = redox::stop_mask | redox::event_mask;

// A Redox-side signal bit for Events (the Linux layer's pend:: bits, extended).
uint8_t sig_bit(int sig) {
  switch (sig) {
  case sig::trap:
    return 1;
  case sig::usr1:
    return 2;
  case sig::usr2:
    return 4;
  case sig::kill:
    return 8;
  case kSigCont:
    return 16;
  default:
    return 0;
  }
}

bool has_user_handler(int sig) {
  return sig == sig::usr1; // the harness installs a handler for SIGUSR1 only
}

int arg_signal(uint8_t rsi) {
  if (rsi == static_cast<uint8_t>(Arg::sigusr1)) return sig::usr1;
  if (rsi == static_cast<uint8_t>(Arg::sigusr2)) return sig::usr2;
  return 0;
}

} // namespace

std::optional<int64_t> redox_number(int64_t linux_nr) {
  switch (linux_nr) {
  case nr::write:
    return kSysWrite;
  case nr::getpid:
    return kSysGetpid;
  case nr::kill:
    return kSysKill;
  case nr::exit_group:
    return kSysExit;
  case nr::rt_sigreturn:
    return kSysSigreturn;
  case nr::invalid:
  case nr::none:
    return linux_nr; // no syscall of either kernel: ENOSYS on Redox
  default:
    return std::nullopt;
  }
}

std::vector<RedoxAction> build_tracer_domain(const Profile& p) {
  std::vector<RedoxAction> out;
  for (uint64_t w : p.domain.redox_words) out.push_back(RedoxAction{RedoxOp::write, w, {}});
  out.push_back(RedoxAction{RedoxOp::read, 0, {}});
  out.push_back(RedoxAction{RedoxOp::getregs, 0, {}});
  for (int64_t v : p.domain.rax_edits)
    out.push_back(RedoxAction{RedoxOp::setregs, 0, {Edit{Reg::rax, v, {}}}});
  if (p.domain.rip_skip_edit)
    out.push_back(RedoxAction{RedoxOp::setregs, 0, {Edit{Reg::rip, -1, {}}}});
  out.push_back(RedoxAction{RedoxOp::close, 0, {}});
  return out;
}

Model::Model(const Profile& profile, std::optional<std::vector<Insn>> program,
             std::vector<Insn> handler, bool keep_copy)
    : profile_(profile), program_(std::move(program)),
      // The code generator lays out the program the same way for every kernel.
      handler_(linux_x86_64::Arch::handler_with_tail(handler)),
      program_length_(program_ ? program_->size()
                               : static_cast<size_t>(profile.domain.program_bound)),
      alphabet_(profile.domain.alphabet), tracer_domain_(build_tracer_domain(profile)),
      keep_copy_(keep_copy) {
  if (program_length_ + 3 > 255 || handler_.size() > 255)
    throw std::invalid_argument("program or handler longer than the model's 8-bit rip allows");
}

// ---- The start ----------------------------------------------------------------------------------

Task Model::initial_state(bool excl, bool nonblock) const {
  // The RFC's attach (rfcs text/0004-ptrace.md, "Example"): the child stopped itself with
  // kill(getpid(), SIGSTOP); the tracer opened trace with O_TRUNC and sent SIGCONT. So the child
  // is inside signal_handler(SIGSTOP), inside its kill syscall, whose return goes to
  // instruction 0; SIGCONT is pending; ptrace_stop holds it. The harness has written the
  // registers the alphabet assumes (docs/scenario-format.md) through the backup frame, which is
  // where writes go while a default-handled signal is in delivery; rax still holds SYS_KILL
  // until kill returns. rflags cannot be written on Redox: the child's own are ZF|IF.
  Task s;
  s.regs.rflags = static_cast<uint16_t>(x86::kInitialFlags);
  s.regs.rsi = static_cast<uint8_t>(Arg::buf);
  s.regs.rax = kSysKill;
  s.backup = s.regs;
  s.ksig = sig::stop;
  s.first_kill = 1;
  s.pending[0] = kSigCont;
  s.npending = 1;
  s.frozen = 1;
  s.session = 1;
  s.excl = excl;
  s.nonblock = nonblock;
  s.phase = Phase::stopped;
  s.at = Where::start;
  return s;
}

Task Model::frozen_before_first_instruction(int64_t rax) const {
  // O_TRUNC sets ptrace_stop; a context with it is never switched in (I7), so a tracee that was
  // off its CPU at the open stays before its next user instruction, with no signal in delivery.
  Task s;
  s.regs.rflags = static_cast<uint16_t>(x86::kInitialFlags);
  s.regs.rsi = static_cast<uint8_t>(Arg::buf);
  s.regs.rax = rax;
  s.frozen = 1;
  s.session = 1;
  s.phase = Phase::stopped;
  s.at = Where::attach;
  return s;
}

std::vector<Task> Model::initial_states(RuleSet* fired) const {
  RuleCtx r(profile_.mutation);
  std::vector<Task> out;
  for (bool excl : {false, true}) {
    if (excl && !profile_.domain.redox_both_excl) continue;
    Task s = initial_state(excl, false);
    if (!r.effect(RuleId::rdx_open_trunc_freezes)) s.frozen = 0;
    out.push_back(s);
  }
  if (fired) *fired |= r.fired();
  return out;
}

// ---- Program layout ---------------------------------------------------------------------------

std::optional<Insn> Model::fixed_insn(Loc at) const {
  return fixed_insn_at(at, program_length_, program_, handler_);
}

size_t Model::program_choices(const Task& s, uint16_t* out) const {
  if (s.phase != Phase::user) return 0;
  const Loc at = s.pc();
  if (outside_code(at, program_length_)) return 0;
  if (fixed_insn(at)) {
    out[0] = static_cast<uint16_t>(alphabet_.size());
    return 1;
  }
  // Redox arms a step without looking at the next instruction: no peek to honour.
  size_t n = 0;
  for (size_t i = 0; i < alphabet_.size() && n < kMaxChoices; ++i)
    if (linux_x86_64::Arch::representable_next(s.regs, alphabet_[i].op))
      out[n++] = static_cast<uint16_t>(i);
  return n;
}

std::optional<std::string> Model::unsupported(const Scenario& s) {
  for (size_t i = 0; i < s.program.size(); ++i) {
    const Insn& in = s.program[i];
    if (in.op == Op::set_nr && !redox_number(in.imm))
      return "program[" + std::to_string(i) + "]: syscall " + std::to_string(in.imm) +
             " has no Redox counterpart in the model (write, getpid, kill, exit_group, "
             "rt_sigreturn, invalid, none)";
  }
  // The stack rules are the CPU's and the handler's layout the code generator's: the same as
  // for Linux.
  return linux_x86_64::Arch::unsupported(s);
}

// ---- Callbacks and the tracee's kernel paths ---------------------------------------------------

bool Model::callback(Task& s, uint64_t bit, Where at, Event e, RuleId site, RuleCtx& r) const {
  const bool matches = s.session && s.bp && (s.bp_flags & bit) == bit;
  if (!r.decide(site, r.decide(RuleId::rdx_callback_matches, matches))) return false;
  s.bp_reached = 1;
  if (s.nevents == kMaxEvents) {
    s.phase = Phase::unmodelled;
    s.exit_value = unmodelled::too_many_events;
    return true;
  }
  s.events[s.nevents++] = e;
  s.phase = Phase::stopped;
  s.at = at;
  return true;
}

bool Model::push_pending(Task& s, int sig) const {
  if (s.npending == kMaxPending) {
    s.phase = Phase::unmodelled;
    s.exit_value = unmodelled::too_many_signals;
    return false;
  }
  s.pending[s.npending++] = static_cast<uint8_t>(sig);
  return true;
}

bool Model::pop_pending(Task& s, int& sig) const {
  if (s.npending == 0) return false;
  sig = s.pending[0];
  s.pending[0] = s.pending[1];
  s.pending[1] = 0;
  --s.npending;
  return true;
}

void Model::return_to_user(Task& s) const {
  s.phase = Phase::user;
  s.at = Where::start;
}

void Model::post_then_return(Task& s, RuleCtx& r, Events&) const {
  if (callback(s, redox::post_syscall, Where::post, Event{redox::post_syscall, 0, 0},
               RuleId::rdx_post_stop, r))
    return;
  return_to_user(s);
}

void Model::kill_returns(Task& s, RuleCtx& r, Events& ev) const {
  // kill() returns Ok(0) once the switch that delivered its signal comes back, and the syscall
  // handler writes that into rax (syscall.rs 31).
  s.regs.rax = 0;
  ev.syscall_ran = true;
  // The kill(SIGSTOP) the child made before the trace began is not one of the program's.
  if (!s.first_kill) ++ev.retired;
  s.first_kill = 0;
  post_then_return(s, r, ev);
}

void Model::finish_exit(Task& s, int status, Events&) const {
  // process.rs exit: the context becomes Exited(status); close_tracee wakes the tracer. The
  // status word is what waitpid decodes: a signal in the low 7 bits, else the code in bits 8-15.
  const int signal = status & 0x7f;
  s.phase = signal ? Phase::killed : Phase::exited;
  s.exit_value = static_cast<uint8_t>(signal ? signal : (status >> 8) & 0xff);
}

void Model::do_exit(Task& s, int status, RuleCtx& r, Events& ev) const {
  const Event e{redox::exit, 0, static_cast<uint16_t>(status)};
  if (callback(s, redox::exit, Where::exit, e, RuleId::rdx_callback_matches, r)) {
    s.exit_status = static_cast<uint16_t>(status);
    return;
  }
  finish_exit(s, status, ev);
}

void Model::ksignal_trap(Task& s, RuleCtx& r, Events& ev) const {
  // The exception handlers drop their ProcessRegsGuard before ksignal: context.regs is None
  // from here on (exception.rs debug 36, breakpoint 56).
  if (r.decide(RuleId::rdx_regs_gone_after_ksignal, true)) s.regs_gone = 1;
  ev.delivered |= sig_bit(sig::trap);
  do_exit(s, sig::trap, r, ev);
}

void Model::debug_trap(Task& s, RuleCtx& r, Events& ev) const {
  const bool had = s.regs.rflags & x86::TF;
  s.regs.rflags &= static_cast<uint16_t>(~x86::TF);
  if (callback(s, redox::singlestep, Where::step, Event{redox::singlestep, 0, 0},
               RuleId::rdx_db_step_stop, r))
    return;
  if (had) s.regs.rflags |= x86::TF;
  if (r.effect(RuleId::rdx_db_ksignal)) ksignal_trap(s, r, ev);
}

void Model::deliver(Task& s, int sig, RuleCtx& r, Events& ev) const {
  // switch.rs: the kernel stack is copied into ksig (the frame with it), then signal_handler.
  s.ksig = static_cast<uint8_t>(sig);
  s.backup = s.regs;
  const Event e{redox::signal, static_cast<uint8_t>(has_user_handler(sig)),
                static_cast<uint16_t>(sig)};
  if (callback(s, redox::signal, Where::signal, e, RuleId::rdx_sig_stop, r)) return;
  signal_action(s, false, r, ev);
}

void Model::signal_action(Task& s, bool stopped, RuleCtx& r, Events& ev) const {
  const int sig = s.ksig;
  const bool ignore_word = s.session && s.bp && (s.bp_flags & redox::flag_ignore);
  if (r.decide(RuleId::rdx_sig_ignore, stopped && ignore_word && sig != sig::kill)) {
    ev.suppressed |= sig_bit(sig);
    restore_after_signal(s, r, ev);
    return;
  }
  if (has_user_handler(sig)) {
    if (r.effect(RuleId::rdx_sig_handler_entry)) {
      x86::Frame f{};
      f.pc_space = static_cast<uint8_t>(Loc::Space::handler);
      f.pc = 0;
      f.rflags = static_cast<uint16_t>(x86::FIXED1 | x86::IF);
      f.rsi = kArgNull;
      f.rdi = static_cast<uint8_t>(sig);
      s.regs = f;
      ev.frame_replaced = true;
    }
    ev.delivered |= sig_bit(sig);
    return_to_user(s);
    return;
  }
  if (sig == kSigCont || sig == sig::stop) {
    // SIGCONT: runnable again, then signal_handler's closing sigreturn (signal.rs 40-67, 120).
    // SIGSTOP only reaches here from the start, where it has already stopped the tracee.
    if (r.effect(RuleId::rdx_sig_cont_default)) ev.delivered |= sig_bit(sig);
    restore_after_signal(s, r, ev);
    return;
  }
  if (r.effect(RuleId::rdx_sig_default_exit)) {
    ev.delivered |= sig_bit(sig);
    do_exit(s, sig, r, ev);
  }
}

void Model::restore_after_signal(Task& s, RuleCtx& r, Events& ev) const {
  // sigreturn: ksig_restore; the next switch copies the kernel stack back (the frame with it),
  // and a signal still pending is taken when the tracee is switched in again.
  if (r.effect(RuleId::rdx_sys_sigreturn)) s.regs = s.backup;
  s.backup = x86::Frame{};
  s.ksig = 0;
  int next = 0;
  if (r.decide(RuleId::rdx_sig_delivered_at_switch, pop_pending(s, next))) {
    deliver(s, next, r, ev);
    return;
  }
  kill_returns(s, r, ev);
}

void Model::syscall_entry(Task& s, RuleCtx& r, Events& ev) const {
  const uint64_t fmask = r.effect(RuleId::rdx_fmask_clears_tf)
                             ? profile_.fmask
                             : (profile_.fmask & ~uint64_t{x86::TF});
  if (x86::kernel_rflags_after_syscall(s.regs, fmask) & x86::TF) {
    // TF survives into the kernel: #DB after the entry's first instruction, in kernel mode. The
    // handler clears TF in that (kernel) frame and calls the SINGLESTEP callback (the seed's
    // Issue #2).
    ev.kernel_tf = true;
    if (kernel_debug_trap(s, r, ev)) return;
  }
  pre_then_body(s, r, ev);
}

bool Model::kernel_debug_trap(Task& s, RuleCtx& r, Events& ev) const {
  if (callback(s, redox::singlestep, Where::kstep, Event{redox::singlestep, 0, 0},
               RuleId::rdx_db_step_stop, r))
    return true;
  if (r.effect(RuleId::rdx_db_ksignal)) {
    ksignal_trap(s, r, ev);
    return true;
  }
  return false;
}

void Model::pre_then_body(Task& s, RuleCtx& r, Events& ev) const {
  if (callback(s, redox::pre_syscall, Where::pre, Event{redox::pre_syscall, 0, 0},
               RuleId::rdx_pre_stop, r))
    return;
  syscall_body_then_post(s, r, ev);
}

void Model::syscall_body_then_post(Task& s, RuleCtx& r, Events& ev) const {
  // syscall/mod.rs dispatches on rax with the arguments in rdi, rsi (read after the PRE stop).
  const int64_t nr = s.regs.rax;
  switch (nr) {
  case kSysWrite:
    if (r.effect(RuleId::rdx_sys_write)) {
      const bool buffer_ok = s.regs.rsi == static_cast<uint8_t>(Arg::buf);
      if (!buffer_ok)
        s.regs.rax = -kEfault;
      else if (s.regs.rdi != 0)
        s.regs.rax = -kEbadf;
      else {
        if (s.written < 255) ++s.written;
        s.regs.rax = 1;
      }
    }
    break;
  case kSysGetpid:
    if (r.effect(RuleId::rdx_sys_getpid)) s.regs.rax = kPidToken;
    break;
  case kSysKill: {
    if (s.regs.rdi != 0) {
      s.phase = Phase::unmodelled;
      s.exit_value = unmodelled::kill_other_process;
      return;
    }
    if (!r.effect(RuleId::rdx_sys_kill)) break;
    const int sig = s.regs.rsi == kArgNull ? 0 : arg_signal(s.regs.rsi);
    if (s.regs.rsi == static_cast<uint8_t>(Arg::buf)) {
      s.regs.rax = -kEinval; // the buffer's address is far above 0x7F
      break;
    }
    ev.generated |= sig_bit(sig);
    if (sig && !push_pending(s, sig)) return;
    // "Switch to ensure delivery to self": the signal is taken at the switch-in unless one is
    // already in delivery; kill returns 0 after that.
    int next = 0;
    if (r.decide(RuleId::rdx_sig_delivered_at_switch, s.ksig == 0 && pop_pending(s, next))) {
      deliver(s, next, r, ev);
      return;
    }
    kill_returns(s, r, ev);
    return;
  }
  case kSysExit:
    if (r.effect(RuleId::rdx_sys_exit)) {
      ++ev.retired;
      ev.syscall_ran = true;
      do_exit(s, (s.regs.rdi & 0xff) << 8, r, ev);
      return;
    }
    break;
  case kSysSigreturn:
    if (s.ksig == 0) {
      // switch.rs update: `ksig.take().expect(...)`: the kernel panics.
      s.phase = Phase::unmodelled;
      s.exit_value = unmodelled::sigreturn_panics;
      return;
    }
    ++ev.retired;
    ev.syscall_ran = true;
    ev.frame_replaced = true; // back from a user handler to the interrupted frame
    restore_after_signal(s, r, ev);
    return;
  default:
    if (r.effect(RuleId::rdx_sys_enosys)) s.regs.rax = -kEnosys;
    break;
  }
  ev.syscall_ran = true;
  ++ev.retired;
  post_then_return(s, r, ev);
}

void Model::resume_kernel(Task& s, RuleCtx& r, Events& ev) const {
  switch (s.at) {
  case Where::start:
    // signal_handler(SIGSTOP)'s switch returns; its closing sigreturn restores the frame, and
    // the pending SIGCONT is taken inside kill, before kill returns.
    restore_after_signal(s, r, ev);
    return;
  case Where::pre: {
    const bool ignore = s.session && s.bp && (s.bp_flags & redox::flag_ignore);
    if (r.decide(RuleId::rdx_ignore_skips_syscall, ignore)) {
      ++ev.retired;
      post_then_return(s, r, ev);
      return;
    }
    syscall_body_then_post(s, r, ev);
    return;
  }
  case Where::post:
  case Where::step:
  case Where::bkpt:
    return_to_user(s);
    return;
  case Where::kstep:
    // A TF the tracer set in the kernel's #DB frame traps again after the next kernel
    // instruction; otherwise the syscall entry goes on.
    if (s.kstep_tf) {
      s.kstep_tf = 0;
      ev.kernel_tf = true;
      if (kernel_debug_trap(s, r, ev)) return;
    }
    pre_then_body(s, r, ev);
    return;
  case Where::signal:
    signal_action(s, true, r, ev);
    return;
  case Where::exit:
    finish_exit(s, s.exit_status, ev);
    return;
  case Where::attach:
    return_to_user(s);
    return;
  }
}

// ---- The tracee's instruction -----------------------------------------------------------------

Task Model::execute(const Task& from, const Insn& in, RuleCtx& r, Events& ev, Trace* out) const {
  Task s = from;
  Insn compiled = in;
  if (in.op == Op::set_nr) {
    const auto n = redox_number(in.imm);
    if (!n) throw std::invalid_argument("a syscall number with no Redox counterpart");
    compiled.imm = *n;
  }
  const x86::Step step = x86::execute(s.regs, compiled, r);
  s.regs.peek = 0;
  switch (step.exit) {
  case x86::Exit::unrepresentable:
    s.phase = Phase::unmodelled;
    s.exit_value = unmodelled::stack_misuse;
    break;
  case x86::Exit::syscall:
    syscall_entry(s, r, ev);
    break;
  case x86::Exit::breakpoint:
    ++ev.retired;
    if (!callback(s, redox::breakpoint, Where::bkpt, Event{redox::breakpoint, 0, 0},
                  RuleId::rdx_bp_stop, r) &&
        r.effect(RuleId::rdx_bp_ksignal))
      ksignal_trap(s, r, ev);
    break;
  case x86::Exit::retired:
    ++ev.retired;
    if (step.single_step_trap) debug_trap(s, r, ev);
    break;
  }
  settle_write_wait(s, out);
  canonicalize(s);
  return s;
}

// ---- The tracer's operations ------------------------------------------------------------------

bool Model::access_reaches_backup(const Task& s) const {
  // regs_for: the backup while a default-handled signal is in delivery. The seed's Issue #1
  // (redox-2019-bug-signal-frame) is a kernel that always takes the live frame; the RFC's
  // question 1 asks about one that always takes the backup (redox-2019-write-backup-always).
  if (s.ksig == 0 || profile_.signal_stop_writes_to_live) return false;
  if (profile_.register_write_target == RegisterWriteTarget::restored_always) return true;
  return !has_user_handler(s.ksig);
}

const x86::Frame& Model::frame_for_access(const Task& s) const {
  return access_reaches_backup(s) ? s.backup : s.regs;
}

x86::Frame& Model::frame_for_access_mut(Task& s, RuleCtx& r) const {
  return r.decide(RuleId::rdx_regs_for_backup, access_reaches_backup(s)) ? s.backup : s.regs;
}

void Model::release(Task& s, bool notified, RuleCtx& r, Events& ev) const {
  if (s.phase != Phase::stopped || s.hung) return;
  // Frozen at the start no callback waits for a notify: clearing ptrace_stop is enough.
  const bool no_callback = s.at == Where::start || s.at == Where::attach;
  const bool runs = no_callback ? !s.frozen : notified && !s.frozen;
  if (!runs) {
    if (s.frozen && s.npending && !s.session)
      (void)r.decide(RuleId::rdx_frozen_gets_no_signal, true);
    return;
  }
  ev.tracee_resumed = true;
  // A SIGKILL from an O_EXCL close is taken at the switch-in, before the callback returns.
  int next = 0;
  if (s.at != Where::start && s.ksig == 0 && s.npending && s.pending[0] == sig::kill &&
      pop_pending(s, next)) {
    deliver(s, next, r, ev);
    return;
  }
  resume_kernel(s, r, ev);
}

void Model::settle_write_wait(Task& s, Trace* out) const {
  if (!s.write_waits) return;
  if (s.phase != Phase::stopped && !s.dead()) return;
  // The 2019 write's wait ends: an event was queued (the breakpoint callback notified the
  // tracer), or the tracee exited (close_tracee notified it; wait then answers ESRCH).
  s.write_waits = 0;
  if (!out) return;
  TraceLine t;
  t.kind = StopKind::redox_write;
  t.error = s.dead() ? static_cast<int>(kEsrch) : 0;
  out->push_back(t);
}

void Model::op_write(Task& s, uint64_t word, RuleCtx& r, Events& ev, TraceLine& line) const {
  line.kind = StopKind::redox_write;
  if (r.decide(RuleId::rdx_word_from_bits, (word & ~redox::kernel_accepts) != 0)) {
    line.error = static_cast<int>(kEinval);
    return;
  }
  if (!s.session) {
    line.error = static_cast<int>(kEbadf);
    return;
  }
  if (s.dead()) {
    line.error = static_cast<int>(kEsrch);
    return;
  }
  bool notified = false;
  if (!is_2020()) {
    if (r.decide(RuleId::rdx_w19_cont, !(word & redox::flag_wait) || (word & kStopMask))) {
      s.bp = 0;
      notified = true;
    }
    if (r.decide(RuleId::rdx_w19_arm, (word & kStopMask) != 0)) {
      s.bp = 1;
      s.bp_flags = static_cast<uint16_t>(word);
      s.bp_reached = 0;
    }
  } else {
    if (r.decide(RuleId::rdx_w20_arm, (word & kStopOrEvent) != 0)) {
      s.bp = 1;
      s.bp_flags = static_cast<uint16_t>(word);
      s.bp_reached = 0;
    } else {
      s.bp = 0;
    }
  }
  if (word & redox::singlestep) {
    if (s.regs_gone) {
      // try_stop_context's callback fails. 2019: ptrace_stop is still cleared, and the tracee
      // was already notified; 2020: the write returns before it clears or notifies anything.
      line.error = static_cast<int>(kEnotrecoverable);
      if (is_2020()) return;
      if (r.effect(RuleId::rdx_a19_unfreezes)) s.frozen = 0;
      release(s, notified, r, ev);
      return;
    }
    if (r.effect(RuleId::rdx_write_step_tf)) {
      if (s.phase == Phase::stopped && s.at == Where::kstep) {
        s.kstep_tf = 1; // regs_for is the kernel's own #DB frame here
      } else {
        x86::Frame& f = frame_for_access_mut(s, r);
        f.rflags = static_cast<uint16_t>(
            profile_.step_arm_assigns ? x86::rflags_arm_step_by_assignment<uint64_t>(f.rflags)
                                      : x86::rflags_arm_step<uint64_t>(f.rflags));
      }
      ev.step_armed = true;
    }
  }
  if (r.effect(RuleId::rdx_write_unfreezes)) s.frozen = 0;
  if (is_2020() && r.effect(RuleId::rdx_w20_notify)) notified = true;
  if (!is_2020() && ((word & redox::flag_wait) || !s.nonblock)) {
    const bool must_wait = (!s.bp || !s.bp_reached) && s.nevents == 0;
    if (r.decide(RuleId::rdx_w19_wait, must_wait)) s.write_waits = 1;
  }
  release(s, notified, r, ev);
}

void Model::op_read(Task& s, RuleCtx& r, TraceLine& line) const {
  line.kind = StopKind::redox_read;
  if (!s.session) {
    line.error = static_cast<int>(kEbadf);
    return;
  }
  const auto pop_event = [&] {
    const Event e = s.events[0];
    for (int i = 1; i < kMaxEvents; ++i) s.events[i - 1] = s.events[i];
    s.events[kMaxEvents - 1] = Event{};
    --s.nevents;
    line.cause = e.cause;
    line.event_a = e.a;
    line.event_b = e.b;
  };
  if (!is_2020()) {
    if (r.effect(RuleId::rdx_r19_no_wait) && s.nevents) pop_event();
    return;
  }
  const bool ready = (s.bp && s.bp_reached) || s.nevents;
  if (r.decide(RuleId::rdx_r20_wait, !s.nonblock && !ready)) {
    // Nothing is queued and nothing can queue anything: the tracee is frozen (or stopped with
    // its events read and a breakpoint not yet reached), and only the tracee wakes this wait.
    // Or it has exited: close_tracee's notify went out before this wait began (the tracee always
    // runs first here), and wait() does not look at the tracee's status before it sleeps (R3).
    s.hung = 1;
    return;
  }
  if (s.dead()) {
    line.error = static_cast<int>(kEsrch);
    return;
  }
  if (s.nevents) {
    pop_event();
    return;
  }
  if (!(s.bp && s.bp_reached)) line.error = static_cast<int>(kEagain);
}

void Model::after_access(Task& s, bool was_frozen, RuleCtx& r, Events& ev) const {
  if (!is_2020()) {
    if (r.effect(RuleId::rdx_a19_unfreezes)) s.frozen = 0;
    const bool frozen_start =
        was_frozen && s.phase == Phase::stopped && (s.at == Where::start || s.at == Where::attach);
    if (frozen_start && !s.frozen) ev.released_by_access = true;
    release(s, false, r, ev);
  } else if (r.effect(RuleId::rdx_a20_restores)) {
    s.frozen = was_frozen;
  }
}

void Model::op_getregs(Task& s, RuleCtx& r, Events& ev, TraceLine& line) const {
  line.kind = StopKind::redox_regs;
  if (s.dead()) {
    line.error = static_cast<int>(kEsrch);
    return;
  }
  const bool was_frozen = s.frozen;
  s.frozen = 1; // try_stop_context stops the tracee for the access
  if (s.regs_gone) {
    line.error = static_cast<int>(kEnotrecoverable);
  } else {
    x86::Frame f = frame_for_access_mut(s, r);
    if (s.at == Where::kstep) f.pc_space = static_cast<uint8_t>(Loc::Space::outside);
    line.at = Loc{static_cast<Loc::Space>(f.pc_space), f.pc};
    if (line.at.space == Loc::Space::outside) line.at.index = 0;
    line.rax = f.rax;
    line.rbx = f.rbx;
    line.tf = f.rflags & x86::TF;
    line.zf = f.rflags & x86::ZF;
    line.cf = f.rflags & x86::CF;
    if (keep_copy_) {
      s.copy = f;
      s.copy_valid = 1;
    }
  }
  after_access(s, was_frozen, r, ev);
}

void Model::op_setregs(Task& s, const RedoxAction& a, RuleCtx& r, Events& ev,
                       TraceLine& line) const {
  line.kind = StopKind::redox_setregs;
  if (s.dead()) {
    line.error = static_cast<int>(kEsrch);
    return;
  }
  const bool was_frozen = s.frozen;
  s.frozen = 1;
  if (s.regs_gone) {
    line.error = static_cast<int>(kEnotrecoverable);
    after_access(s, was_frozen, r, ev);
    return;
  }
  x86::Frame& target = frame_for_access_mut(s, r);
  // The tracer's buffer: what its last getregs read (a setregs with no getregs before reads
  // first, docs/scenario-format.md).
  x86::Frame written = s.copy_valid ? s.copy : target;
  for (const Edit& e : a.edits) {
    switch (e.reg) {
    case Reg::rax:
      written.rax = e.value;
      break;
    case Reg::rip:
      if (s.at == Where::kstep) {
        s.phase = Phase::unmodelled; // a kernel rip: the model does not follow the kernel
        s.exit_value = unmodelled::rip_outside;
        return;
      }
      if (is_skip_edit(e)) {
        written.pc = static_cast<uint8_t>(target.pc + 1);
        written.pc_space = target.pc_space;
      } else {
        written.pc_space = static_cast<uint8_t>(e.loc.space);
        written.pc = static_cast<uint8_t>(e.loc.index);
      }
      break;
    case Reg::tf:
      written.rflags =
          static_cast<uint16_t>(e.value ? (written.rflags | x86::TF) : (written.rflags & ~x86::TF));
      break;
    case Reg::orig_rax:
      break; // not in Redox's struct; the parser refuses it
    }
  }
  if (r.effect(RuleId::rdx_regs_load_ignores)) {
    // InterruptStack::load: the general registers and rip; not rflags, cs, rsp, ss, fs. The
    // stack slot is memory, not a register.
    target.rax = written.rax;
    target.rbx = written.rbx;
    target.rsi = written.rsi;
    target.rdi = written.rdi;
    target.pc_space = written.pc_space;
    target.pc = written.pc;
  } else {
    target = written;
  }
  if (keep_copy_) {
    s.copy = written;
    s.copy_valid = 1;
  }
  for (const Edit& e : a.edits) {
    if (e.reg == Reg::rax) ev.regs_edited |= 1;
    if (e.reg == Reg::rip) ev.regs_edited |= 2;
  }
  ev.edited_rax = target.rax;
  ev.edited_space = target.pc_space;
  ev.edited_pc = target.pc;
  ev.edited_live_handler_frame =
      s.ksig != 0 && has_user_handler(s.ksig) && !access_reaches_backup(s);
  after_access(s, was_frozen, r, ev);
}

void Model::op_close(Task& s, RuleCtx& r, Events& ev, TraceLine& line) const {
  line.kind = StopKind::redox_close;
  if (!s.session) {
    line.error = static_cast<int>(kEbadf);
    return;
  }
  if (r.effect(RuleId::rdx_close_session)) {
    s.session = 0;
    s.bp = 0;
    s.nevents = 0;
  }
  if (r.decide(RuleId::rdx_close_excl_kills, s.excl != 0)) {
    if (s.dead()) {
      line.error = static_cast<int>(kEsrch);
      return;
    }
    if (!push_pending(s, sig::kill)) return;
  }
  const bool keeps = !is_2020() && r.decide(RuleId::rdx_c19_excl_keeps_frozen, s.excl != 0);
  if (!keeps) s.frozen = 0;
  release(s, true, r, ev);
  // Nobody will clear ptrace_stop now: the tracee stays frozen, and its waitpid never returns.
  if (s.phase == Phase::stopped && s.frozen) s.hung = 1;
}

Task Model::apply(const Task& from, const RedoxAction& a, RuleCtx& r, Events& ev,
                  Trace* out) const {
  Task s = from;
  TraceLine line;
  switch (a.op) {
  case RedoxOp::write:
    op_write(s, a.flags, r, ev, line);
    break;
  case RedoxOp::read:
    op_read(s, r, line);
    break;
  case RedoxOp::getregs:
    op_getregs(s, r, ev, line);
    break;
  case RedoxOp::setregs:
    op_setregs(s, a, r, ev, line);
    break;
  case RedoxOp::close:
    op_close(s, r, ev, line);
    break;
  }
  // A write whose result waits for the tracee, or a read that never returns, prints nothing now.
  const bool deferred = s.write_waits && a.op == RedoxOp::write;
  const bool blocked = s.hung && a.op == RedoxOp::read;
  if (out && !deferred && !blocked) out->push_back(line);
  settle_write_wait(s, out);
  canonicalize(s);
  return s;
}

Task Model::finish(const Task& from, RuleCtx& r, Events& ev) const {
  Task s = from;
  if (s.dead() || s.hung || !s.session) return s;
  s.excl = 1;
  TraceLine ignored;
  op_close(s, r, ev, ignored);
  canonicalize(s);
  return s;
}

TraceLine Model::end_line(const Task& s) {
  TraceLine t;
  t.written = s.written;
  if (s.phase == Phase::exited) {
    t.kind = StopKind::exited;
    t.exit_code = s.exit_value;
  } else if (s.phase == Phase::killed) {
    t.kind = StopKind::killed;
    t.signal = s.exit_value;
  } else {
    t.kind = StopKind::hang;
  }
  return t;
}

// ---- Canonical states ---------------------------------------------------------------------------

void Model::canonicalize(Task& s) const {
  if (s.phase == Phase::unmodelled) return;
  if (s.dead()) {
    // The tracee's end does not close the tracer's trace file, nor end the session (I9: only
    // close does; close_tracee only notifies, R3): a read, write or close after it reaches the
    // kernel, which still holds the breakpoint and the unread events.
    Task end;
    end.phase = s.phase;
    end.exit_value = s.exit_value;
    end.written = s.written;
    end.hung = s.hung; // a read that waits for a tracee already gone
    if (s.session) {
      end.session = 1;
      end.excl = s.excl;
      end.nonblock = s.nonblock;
      end.bp = s.bp;
      end.bp_flags = s.bp ? s.bp_flags : 0;
      end.bp_reached = s.bp ? s.bp_reached : 0;
      end.nevents = s.nevents;
      for (int i = 0; i < s.nevents; ++i) end.events[i] = s.events[i];
    }
    s = end;
    return;
  }
  if (s.ksig == 0) s.backup = x86::Frame{};
  if (!keep_copy_ || !s.copy_valid) {
    s.copy = x86::Frame{};
    s.copy_valid = 0;
  }
  if (!s.bp) {
    s.bp_flags = 0;
    s.bp_reached = 0;
  }
  if (!s.session) {
    s.nonblock = 0;
    s.excl = 0;
  }
  for (int i = s.nevents; i < kMaxEvents; ++i) s.events[i] = Event{};
  for (int i = s.npending; i < kMaxPending; ++i) s.pending[i] = 0;
  if (s.phase == Phase::user) s.at = Where::start;
  if (!(s.phase == Phase::stopped && s.at == Where::exit)) s.exit_status = 0;
  if (!(s.phase == Phase::stopped && s.at == Where::kstep)) s.kstep_tf = 0;
  for (x86::Frame* f : {&s.regs, &s.backup, &s.copy})
    if (f->stack_depth == 0) f->stack_top = 0;
}

} // namespace ptmc::redox
