#include "model/x86_model.hpp"

#include "model/regs.hpp"

#include <stdexcept>

namespace ptmc {

namespace {

constexpr int64_t kEnosys = -38, kEfault = -14, kEinval = -22, kEbadf = -9;
constexpr int16_t kCodeSigtrap = sig::trap;            // ptrace_notify's si_code
constexpr int16_t kCodeSyscallGood = sig::trap | 0x80; // with PTRACE_O_TRACESYSGOOD

bool arg_is_valid_pointer(uint8_t rsi) {
  return rsi == static_cast<uint8_t>(Arg::buf) || rsi == kArgFramePtr;
}

int arg_signal(uint8_t rsi) {
  if (rsi == static_cast<uint8_t>(Arg::sigusr1)) return sig::usr1;
  if (rsi == static_cast<uint8_t>(Arg::sigusr2)) return sig::usr2;
  return 0;
}

std::vector<Action> build_tracer_domain(const Domain& d) {
  // Edits and injected signals are not combined: each action changes one thing, which keeps the
  // branching factor near 50 and every counterexample readable.
  std::vector<Action> out;
  const Request resumes[] = {Request::cont, Request::syscall, Request::singlestep, Request::sysemu,
                             Request::sysemu_singlestep};
  for (Request r : resumes) {
    out.push_back(Action{r, sig::none, false, {}});
    for (int s : d.inject_signals) out.push_back(Action{r, s, false, {}});
    for (int64_t v : d.orig_rax_edits)
      out.push_back(Action{r, 0, false, {Edit{Reg::orig_rax, v, {}}}});
    for (int64_t v : d.rax_edits) out.push_back(Action{r, 0, false, {Edit{Reg::rax, v, {}}}});
    if (d.rip_skip_edit) out.push_back(Action{r, 0, false, {skip_next_edit()}});
    for (int v : d.tf_edits) out.push_back(Action{r, 0, false, {Edit{Reg::tf, v, {}}}});
  }
  out.push_back(Action{Request::detach, sig::none, false, {}});
  out.push_back(Action{Request::kill, sig::none, false, {}});
  return out;
}

} // namespace

std::vector<Insn> handler_with_tail(const std::vector<Insn>& body) {
  std::vector<Insn> h = body;
  const auto nr_index = static_cast<int64_t>(h.size() + 1);
  h.push_back(Insn{Op::add_rsp8, 0, Arg::buf});
  h.push_back(Insn{Op::set_nr, nr::rt_sigreturn, Arg::buf});
  h.push_back(Insn{Op::syscall, 0, Arg::buf});
  h.push_back(Insn{Op::jmp, nr_index, Arg::buf});
  return h;
}

std::optional<std::string> unsupported_by_model(const Scenario& s) {
  int depth = 0;
  for (size_t i = 0; i < s.program.size(); ++i) {
    const Insn& in = s.program[i];
    if (in.op == Op::pushf) {
      if (depth == 1) return "program[" + std::to_string(i) + "]: a second pushf without popf";
      depth = 1;
    } else if (in.op == Op::popf || in.op == Op::or_tf || in.op == Op::and_tf) {
      if (depth == 0)
        return "program[" + std::to_string(i) + "]: " + format_insn(in) + " with nothing pushed";
      if (in.op == Op::popf) depth = 0;
    } else if (in.op == Op::set_nr && in.imm == nr::rt_sigreturn) {
      return "program[" + std::to_string(i) + "]: rt_sigreturn outside the handler";
    } else if (in.op == Op::add_rsp8 || in.op == Op::jmp) {
      return "program[" + std::to_string(i) + "]: internal instruction";
    }
  }
  for (size_t i = 0; i < s.handler.size(); ++i) {
    Op op = s.handler[i].op;
    if (op == Op::syscall || op == Op::pushf || op == Op::popf || op == Op::or_tf ||
        op == Op::and_tf || op == Op::add_rsp8 || op == Op::jmp)
      return "handler[" + std::to_string(i) + "]: " + format_insn(s.handler[i]) +
             " is not allowed in the handler body";
  }
  return std::nullopt;
}

X86Model::X86Model(const Profile& profile, std::optional<std::vector<Insn>> program,
                   std::vector<Insn> handler)
    : profile_(profile), program_(std::move(program)), handler_(handler_with_tail(handler)),
      program_length_(program_ ? program_->size()
                               : static_cast<size_t>(profile.domain.program_bound)),
      alphabet_(profile.domain.alphabet), tracer_domain_(build_tracer_domain(profile.domain)) {
  for (const Insn& in : alphabet_)
    (in.op == Op::popf ? alphabet_has_popf_ : alphabet_has_other_) = true;
  if (program_length_ + 3 > 255 || handler_.size() > 255)
    throw std::invalid_argument("program or handler longer than the model's 8-bit rip allows");
}

std::vector<State> X86Model::initial_states(std::optional<bool> tracesysgood) const {
  // The agent's child raised SIGSTOP with kill(0, SIGSTOP); the agent then wrote the registers
  // (kernel/agent.cpp). So: a signal-delivery-stop for SIGSTOP, si_code SI_USER.
  State s;
  s.regs.rflags = static_cast<uint16_t>(x86::kInitialFlags);
  s.regs.rsi = static_cast<uint8_t>(Arg::buf);
  s.orig_rax = -1;
  s.traced = 1;
  s.last_request = static_cast<uint8_t>(Request::cont);
  stop(s, StopWhy::initial, sig::stop, code::si_user, SyscallOp::none);
  std::vector<State> out;
  for (bool tsg : {false, true}) {
    if (tracesysgood && *tracesysgood != tsg) continue;
    // Without TRACESYSGOOD only the si_code and op of syscall stops change; the explorer covers
    // it when the profile asks, and the differential tests always do.
    if (!tracesysgood && !profile_.domain.both_tracesysgood && !tsg) continue;
    s.tracesysgood = tsg;
    out.push_back(s);
  }
  return out;
}

std::optional<Insn> X86Model::fixed_insn(Loc at) const {
  if (at.space == Loc::Space::handler) {
    if (at.index < handler_.size()) return handler_[at.index];
    return std::nullopt;
  }
  if (at.space != Loc::Space::program) return std::nullopt;
  const size_t n = program_length_;
  // The exit tail: `nr exit_group; syscall; jmp` back to the `nr`.
  if (at.index == n) return Insn{Op::set_nr, nr::exit_group, Arg::buf};
  if (at.index == n + 1) return Insn{Op::syscall, 0, Arg::buf};
  if (at.index == n + 2) return Insn{Op::jmp, static_cast<int64_t>(n), Arg::buf};
  if (program_ && at.index < n) return (*program_)[at.index];
  return std::nullopt;
}

size_t X86Model::program_choices(const State& s, uint16_t* out) const {
  if (s.phase != Phase::user) return 0;
  const Loc at = s.pc();
  if (at.space == Loc::Space::outside ||
      (at.space == Loc::Space::program && at.index > program_length_ + 2))
    return 0;
  if (fixed_insn(at)) {
    out[0] = static_cast<uint16_t>(alphabet_.size());
    return 1;
  }
  const auto peek = static_cast<Peek>(s.regs.peek);
  size_t n = 0;
  for (size_t i = 0; i < alphabet_.size() && n < kMaxChoices; ++i) {
    const Op op = alphabet_[i].op;
    const bool needs_stack = op == Op::popf || op == Op::or_tf || op == Op::and_tf;
    if (needs_stack && s.regs.stack_depth == 0) continue;
    if (op == Op::pushf && s.regs.stack_depth == 1) continue;
    if (peek == Peek::popf && op != Op::popf) continue;
    if (peek == Peek::not_popf && op == Op::popf) continue;
    out[n++] = static_cast<uint16_t>(i);
  }
  return n;
}

bool X86Model::edits_lost(const State& s) const {
  return profile_.signal_stop_writes_to_live &&
         (s.why == StopWhy::signal_delivery || s.why == StopWhy::initial);
}

// The kernel peeks where rip points after the action's register writes.
State X86Model::with_rip_edits(const State& s, const Action& a) const {
  State after = s;
  RuleCtx quiet;
  if (!edits_lost(s))
    for (const Edit& e : a.edits)
      if (e.reg == Reg::rip) apply_edit(after, e, quiet);
  return after;
}

Loc X86Model::peek_location(const State& s, const Action& a) const {
  return with_rip_edits(s, a).pc();
}

size_t X86Model::peeks_for(const State& from, const Action& a, Peek out[2]) const {
  // Only arming a step peeks; every other resume keeps what is known (one outcome). This runs
  // for every tracer action the explorer tries, so it copies the state only when it must.
  const bool steps = a.request == Request::singlestep || a.request == Request::sysemu_singlestep;
  if (!steps) {
    out[0] = static_cast<Peek>(from.regs.peek);
    return 1;
  }
  const State s = with_rip_edits(from, a);
  const auto known = static_cast<Peek>(s.regs.peek);
  if (known != Peek::unknown) {
    out[0] = known;
    return 1;
  }
  if (auto fixed = fixed_insn(s.pc())) {
    out[0] = fixed->op == Op::popf ? Peek::popf : Peek::not_popf;
    return 1;
  }
  if (s.pc().space == Loc::Space::outside || s.regs.pc >= program_length_ + 3) {
    out[0] = Peek::not_popf;
    return 1;
  }
  size_t n = 0;
  if (s.regs.stack_depth == 1 && alphabet_has_popf_) out[n++] = Peek::popf;
  if (alphabet_has_other_) out[n++] = Peek::not_popf;
  return n;
}

// ---- Stops and signals --------------------------------------------------------------------

// Zeroes what no later transition or observation can read, so that states differing only in
// dead values are one state. Each line names why the value is dead.
void X86Model::canonicalize(State& s) const {
  if (s.phase == Phase::unmodelled) return;
  if (s.dead()) {
    // Only the end line (exit status, bytes written) is observable after the end.
    State end;
    end.phase = s.phase;
    end.exit_value = s.exit_value;
    end.written = s.written;
    end.tracesysgood = s.tracesysgood;
    s = end;
    return;
  }
  if (s.phase != Phase::stopped) {
    s.why = StopWhy::initial;
    s.stop_sig = 0;
    s.stop_code = 0;
    s.stop_op = 0;
    // The next stop follows a kernel entry, which writes orig_rax first (syscall: the number;
    // exception: -1), so in user mode the old value is unreadable.
    s.orig_rax = 0;
    s.stop_shared = 0;
  }
  if (!(s.phase == Phase::stopped && s.why == StopWhy::syscall_enter)) s.entry_work = 0;
  if (!(s.pending & pend::trap)) s.trap_code = 0;
  s.pending_si_kernel &= s.pending;
  if (!s.in_handler) s.saved = Frame{};
  if (s.regs.stack_depth == 0) s.regs.stack_top = 0;
}

void X86Model::stop(State& s, StopWhy why, int sig, int16_t code, SyscallOp op) const {
  s.phase = Phase::stopped;
  s.why = why;
  s.stop_sig = static_cast<uint8_t>(sig);
  s.stop_code = code;
  s.stop_op = static_cast<uint8_t>(op);
}

void X86Model::raise(State& s, int sig, int16_t code, Events& ev, bool shared) const {
  // kill() queues for the process (shared_pending); send_sig and force_sig queue for the thread
  // (kernel/signal.c send_signal_locked with PIDTYPE_PGID vs PIDTYPE_PID). Legacy (non-realtime)
  // signals queue at most once per queue: a second instance is dropped (legacy_queue).
  const uint8_t bit = pend_bit(sig);
  if (!bit) return;
  if (shared) {
    if (s.pending_shared & bit) return;
    s.pending_shared |= bit;
    ev.generated |= bit;
    return;
  }
  if (s.pending & bit) return;
  s.pending |= bit;
  if (sig == sig::trap)
    s.trap_code = code;
  else if (code == code::si_kernel)
    s.pending_si_kernel |= bit; // remembers SI_KERNEL for usr1/usr2
  else
    s.pending_si_kernel &= static_cast<uint8_t>(~bit);
  ev.generated |= bit;
}

void X86Model::debug_trap(State& s, int16_t code, RuleCtx& r, Events& ev) const {
  if (r.effect(RuleId::exc_orig_rax)) s.orig_rax = -1;
  raise(s, sig::trap, code, ev);
  exit_to_user(s, r, ev);
}

void X86Model::exit_to_user(State& s, RuleCtx& r, Events& ev) const {
  // kernel/entry/common.c exit_to_user_mode_loop -> arch_do_signal_or_restart -> get_signal.
  while (s.phase == Phase::user || s.phase == Phase::stopped) {
    // dequeue_signal: the thread's queue first, then the process's (kernel/signal.c).
    const uint8_t blocked = s.in_handler ? pend::usr1 : 0;
    const uint8_t own = static_cast<uint8_t>(s.pending & ~blocked);
    const uint8_t shared = static_cast<uint8_t>(s.pending_shared & ~blocked);
    if (!own && !shared) {
      s.phase = Phase::user;
      return;
    }
    const bool from_shared = own == 0;
    const uint8_t deliverable = from_shared ? shared : own;
    int sig;
    if (r.decide(RuleId::sig_order, true))
      sig = (deliverable & pend::trap)   ? sig::trap
            : (deliverable & pend::usr1) ? sig::usr1
                                         : sig::usr2;
    else
      sig = (deliverable & pend::usr2)   ? sig::usr2
            : (deliverable & pend::usr1) ? sig::usr1
                                         : sig::trap;
    const uint8_t bit = pend_bit(sig);
    int16_t code = code::si_user;
    if (from_shared) {
      s.pending_shared &= static_cast<uint8_t>(~bit);
    } else {
      s.pending &= static_cast<uint8_t>(~bit);
      code = sig == sig::trap              ? s.trap_code
             : (s.pending_si_kernel & bit) ? static_cast<int16_t>(code::si_kernel)
                                           : static_cast<int16_t>(code::si_user);
      s.pending_si_kernel &= static_cast<uint8_t>(~bit);
    }
    s.stop_shared = from_shared;
    if (s.traced && r.decide(RuleId::sig_delivery_stop, true)) {
      stop(s, StopWhy::signal_delivery, sig, code, SyscallOp::none);
      return;
    }
    deliver(s, sig, r, ev);
    if (s.phase == Phase::stopped || s.dead()) return;
    s.phase = Phase::user;
  }
}

void X86Model::deliver(State& s, int sig, RuleCtx& r, Events& ev) const {
  const uint8_t bit = pend_bit(sig);
  if (sig != sig::usr1) {
    // SIGUSR2: terminate; SIGTRAP: core dump (RLIMIT_CORE is 0, so only the status differs).
    if (r.effect(RuleId::sig_default_kills)) {
      s.phase = Phase::killed;
      s.exit_value = static_cast<uint8_t>(sig);
      ev.delivered |= bit;
    }
    return;
  }
  // arch/x86/kernel/signal.c handle_signal.
  const bool stepping = s.work & work::singlestep;
  if (stepping && r.effect(RuleId::sig_handler_disables_step)) disable_step(s, r);
  if (r.effect(RuleId::sig_handler_frame)) {
    // The saved frame keeps the peek: it is what the explorer committed the instruction at the
    // saved rip to be, and rt_sigreturn returns to that same instruction.
    s.saved = s.regs;
    s.regs.pc_space = static_cast<uint8_t>(Loc::Space::handler);
    s.regs.pc = 0;
    s.regs.rax = 0;
    s.regs.rdi = static_cast<uint8_t>(sig); // the handler's first argument
    s.regs.rsi = kArgFramePtr;
    s.regs.stack_depth = 0;
    s.regs.stack_top = 0;
    s.regs.peek = 0;
    s.in_handler = 1;
    ev.frame_replaced = true;
  }
  if (r.effect(RuleId::sig_handler_clears_tf))
    s.regs.rflags = static_cast<uint16_t>(x86::rflags_for_handler<uint64_t>(s.regs.rflags));
  ev.delivered |= bit;
  if (s.traced && r.decide(RuleId::sig_handler_step_notify, stepping))
    stop(s, StopWhy::handler_notify, sig::trap, kCodeSigtrap, SyscallOp::none);
}

// ---- Single-step bookkeeping (arch/x86/kernel/step.c) -----------------------------------------

void X86Model::enable_step(State& s, Peek peek, RuleCtx& r) const {
  if (!r.effect(RuleId::step_enable)) return;
  if (s.work & work::singlestep) s.regs.rflags |= x86::TF;
  s.work |= work::singlestep | work::exit_trap;
  const uint16_t old = s.regs.rflags;
  s.regs.rflags = static_cast<uint16_t>(profile_.step_arm_assigns
                                            ? x86::rflags_arm_step_by_assignment<uint64_t>(old)
                                            : x86::rflags_arm_step<uint64_t>(old));
  s.regs.peek = static_cast<uint8_t>(peek);
  if (r.decide(RuleId::step_popf_is_users, peek == Peek::popf)) {
    s.work &= static_cast<uint8_t>(~work::forced_tf);
    return;
  }
  if (r.decide(RuleId::step_forced_tf, (old & x86::TF) != 0)) return;
  s.work |= work::forced_tf;
}

void X86Model::disable_step(State& s, RuleCtx& r) const {
  if (r.effect(RuleId::step_disable))
    s.work &= static_cast<uint8_t>(~(work::singlestep | work::exit_trap));
  if (r.decide(RuleId::step_disable_clears_forced_tf, (s.work & work::forced_tf) != 0)) {
    s.work &= static_cast<uint8_t>(~work::forced_tf);
    s.regs.rflags &= static_cast<uint16_t>(~x86::TF);
  }
}

// ---- Syscalls -------------------------------------------------------------------------------

void X86Model::syscall_entry(State& s, RuleCtx& r, Events& ev) const {
  const uint64_t fmask =
      r.effect(RuleId::entry_fmask_clears_tf) ? profile_.fmask : (profile_.fmask & ~x86::TF);
  if (x86::rflags_on_syscall_entry<uint64_t>(s.regs.rflags, fmask) & x86::TF) ev.kernel_tf = true;
  if (r.effect(RuleId::entry_orig_rax)) s.orig_rax = s.regs.rax;
  if (r.effect(RuleId::entry_rax_enosys)) s.regs.rax = kEnosys;
  if (r.effect(RuleId::entry_work_captured)) s.entry_work = s.work;
  const bool report = (s.entry_work & (work::trace | work::emu)) != 0;
  if (s.traced && r.decide(RuleId::entry_stop, report)) {
    const bool good = r.decide(RuleId::report_tracesysgood, s.tracesysgood != 0);
    const int16_t code = good ? kCodeSyscallGood : kCodeSigtrap;
    const bool op_known = r.decide(RuleId::report_syscall_info_op, code == kCodeSyscallGood);
    stop(s, StopWhy::syscall_enter, sig::trap, code, op_known ? SyscallOp::entry : SyscallOp::none);
    return;
  }
  syscall_body(s, r, ev);
}

void X86Model::syscall_body(State& s, RuleCtx& r, Events& ev) const {
  // kernel/entry/common.c syscall_trace_enter: SYSCALL_EMU in the captured work returns -1.
  const bool emulated = r.decide(RuleId::entry_emu_skips, (s.entry_work & work::emu) != 0);
  const int64_t nr = emulated ? -1 : s.orig_rax;
  if (nr != -1 && (s.entry_work & work::emu)) ev.emu_syscall_ran = true;
  if (nr != -1) ev.syscall_ran = true;
  switch (nr) {
  case -1:
    if (!r.decide(RuleId::sys_minus1_keeps_rax, true)) s.regs.rax = kEnosys;
    break;
  case 0: // read(0, ...): fd 0 is the write end of the output pipe
    if (r.effect(RuleId::sys_read_ebadf)) s.regs.rax = kEbadf;
    break;
  case nr::write:
    if (s.regs.rdi != 0) {
      s.regs.rax = kEbadf; // fd 10 (rdi in a handler) is closed: the agent keeps only 0, 1, 2
    } else if (r.decide(RuleId::sys_write_efault, !arg_is_valid_pointer(s.regs.rsi))) {
      s.regs.rax = kEfault;
    } else if (r.effect(RuleId::sys_write)) {
      if (s.written < 255) ++s.written;
      s.regs.rax = 1;
    }
    break;
  case nr::getpid:
    if (r.effect(RuleId::sys_getpid)) s.regs.rax = kPidToken;
    break;
  case nr::kill: {
    if (s.regs.rdi != 0) {
      s.phase = Phase::unmodelled;
      s.exit_value = unmodelled::kill_other_process;
      return;
    }
    const int signo = arg_signal(s.regs.rsi);
    if (r.decide(RuleId::sys_kill_einval, signo == 0)) {
      s.regs.rax = kEinval;
    } else if (r.effect(RuleId::sys_kill_pends)) {
      raise(s, signo, code::si_user, ev, /*shared=*/true);
      s.regs.rax = 0;
    }
    break;
  }
  case nr::exit_group:
    if (r.effect(RuleId::sys_exit_group)) {
      ++ev.retired;
      s.phase = Phase::exited;
      s.exit_value = s.regs.rdi; // 0 in the program; the signal number if a handler calls it
      return;
    }
    break;
  case nr::rt_sigreturn:
    if (!s.in_handler || !s.regs.rsp_moved) {
      // The frame would come from whatever the stack holds (no handler frame, or rsp not moved
      // onto it because the tracer jumped over `add rsp, 8`): the kernel then restores garbage or
      // raises SIGSEGV, and neither is predictable.
      s.phase = Phase::unmodelled;
      s.exit_value = unmodelled::sigreturn_without_frame;
      return;
    }
    if (r.effect(RuleId::sys_sigreturn_restores)) {
      const uint16_t flags =
          static_cast<uint16_t>(x86::rflags_from_sigframe<uint64_t>(s.regs.rflags, s.saved.rflags));
      s.regs = s.saved;
      s.regs.rflags = flags;
      s.in_handler = 0;
      s.saved = Frame{};
      ev.frame_replaced = true;
    }
    if (r.effect(RuleId::sys_sigreturn_orig_rax)) s.orig_rax = -1;
    break;
  default:
    if (r.effect(RuleId::sys_invalid_enosys)) s.regs.rax = kEnosys;
    break;
  }
  ++ev.retired;
  syscall_exit_work(s, r, ev);
}

void X86Model::syscall_exit_work(State& s, RuleCtx& r, Events& ev) const {
  const uint8_t w = s.work; // the current flags, not the captured ones
  const bool step = r.decide(RuleId::exit_step_report, (w & work::exit_trap) && !(w & work::emu));
  if (step || r.decide(RuleId::exit_trace_stop, (w & work::trace) != 0)) {
    if (r.decide(RuleId::exit_step_replaces_stop, step)) {
      raise(s, sig::trap,
            r.choose<int16_t>(RuleId::exit_step_si_code, code::trap_brkpt, code::trap_trace), ev);
    } else if (s.traced) {
      const bool good = r.decide(RuleId::report_tracesysgood, s.tracesysgood != 0);
      const int16_t code = good ? kCodeSyscallGood : kCodeSigtrap;
      const bool op_known = r.decide(RuleId::report_syscall_info_op, code == kCodeSyscallGood);
      stop(s, StopWhy::syscall_exit, sig::trap, code, op_known ? SyscallOp::exit : SyscallOp::none);
      return;
    }
  }
  s.phase = Phase::user;
  exit_to_user(s, r, ev);
}

// ---- The tracee's step ----------------------------------------------------------------------

namespace {
State unmodelled_stack(State& s) {
  s.phase = Phase::unmodelled;
  s.exit_value = unmodelled::stack_misuse;
  return s;
}
} // namespace

State X86Model::execute(const State& from, const Insn& in, RuleCtx& r, Events& ev) const {
  State s = execute_raw(from, in, r, ev);
  canonicalize(s);
  return s;
}

State X86Model::execute_raw(const State& from, const Insn& in, RuleCtx& r, Events& ev) const {
  State s = from;
  const bool tf_before = s.regs.rflags & x86::TF;
  s.regs.peek = 0; // the peek was about this instruction
  const uint8_t next = static_cast<uint8_t>(s.regs.pc + 1);
  s.regs.pc = next;
  // The kernel's instructions (syscall, int3) and the tails' jmp always run; the user
  // instructions' register effects are one rule, so a mutant can skip them.
  const bool kernel_or_jump = in.op == Op::syscall || in.op == Op::int3 || in.op == Op::jmp;
  const bool computes = kernel_or_jump || r.effect(RuleId::user_insn);
  switch (computes ? in.op : Op::nop) {
  case Op::nop:
    break;
  case Op::add_rsp8:
    if (s.regs.rsp_moved) return unmodelled_stack(s);
    s.regs.rsp_moved = 1;
    // add rsp, 8 sets the arithmetic flags from the new rsp: never zero, no carry on a sane stack.
    s.regs.rflags &= static_cast<uint16_t>(~(x86::ZF | x86::CF));
    break;
  case Op::set_nr:
    s.regs.rax = in.imm;
    break;
  case Op::set_arg:
    s.regs.rsi = static_cast<uint8_t>(in.arg);
    break;
  case Op::cmp:
    s.regs.rflags = static_cast<uint16_t>(
        x86::rflags_after_cmp1<uint64_t>(s.regs.rflags, static_cast<uint64_t>(s.regs.rax)));
    break;
  case Op::setz:
    s.regs.rbx = static_cast<uint8_t>(x86::rbx_after_setz<uint64_t>(s.regs.rflags));
    break;
  case Op::pushf: {
    if (s.regs.stack_depth == 1) return unmodelled_stack(s);
    uint16_t image = s.regs.rflags;
    if (!r.decide(RuleId::pushf_leaks_tf, true) && (s.work & work::forced_tf))
      image &= static_cast<uint16_t>(~x86::TF);
    s.regs.stack_top = image;
    s.regs.stack_depth = 1;
    break;
  }
  // or/and set ZF from the result and clear CF (SDM vol. 2B OR, AND); the pushed image always
  // has bit 1 set, so the result is never zero.
  case Op::or_tf:
    if (s.regs.stack_depth == 0) return unmodelled_stack(s);
    s.regs.stack_top |= x86::TF;
    s.regs.rflags &= static_cast<uint16_t>(~(x86::ZF | x86::CF));
    break;
  case Op::and_tf:
    if (s.regs.stack_depth == 0) return unmodelled_stack(s);
    s.regs.stack_top &= static_cast<uint16_t>(~x86::TF);
    s.regs.rflags &= static_cast<uint16_t>(~(x86::ZF | x86::CF));
    break;
  case Op::popf:
    if (s.regs.stack_depth == 0) return unmodelled_stack(s);
    s.regs.rflags =
        static_cast<uint16_t>(x86::rflags_after_popf<uint64_t>(s.regs.rflags, s.regs.stack_top));
    s.regs.stack_depth = 0;
    s.regs.stack_top = 0;
    break;
  case Op::jmp:
    s.regs.pc = static_cast<uint8_t>(in.imm);
    break;
  case Op::int3:
  case Op::syscall:
    break;
  }
  if (in.op == Op::syscall) {
    // No #DB follows SYSCALL: the single-step report, if any, comes from syscall exit work.
    const bool no_trap = r.decide(RuleId::hw_no_trap_after_syscall, true);
    syscall_entry(s, r, ev);
    if (!no_trap && tf_before && s.phase == Phase::user) debug_trap(s, code::trap_trace, r, ev);
    return s;
  }
  ++ev.retired;
  if (in.op == Op::int3) {
    if (r.effect(RuleId::trap_int3)) {
      if (r.effect(RuleId::exc_orig_rax)) s.orig_rax = -1;
      raise(s, sig::trap, code::si_kernel, ev);
    }
    exit_to_user(s, r, ev);
    return s;
  }
  if (r.decide(RuleId::hw_trap_after_insn, tf_before))
    debug_trap(s, r.choose<int16_t>(RuleId::trap_db_si_code, code::trap_trace, code::trap_brkpt), r,
               ev);
  return s;
}

// ---- The tracer's step ----------------------------------------------------------------------

void X86Model::apply_edit(State& s, const Edit& e, RuleCtx& r) const {
  switch (e.reg) {
  case Reg::orig_rax:
    s.orig_rax = e.value;
    break;
  case Reg::rax:
    s.regs.rax = e.value;
    break;
  case Reg::rip:
    // value -1 is the explorer's "skip the next instruction"; otherwise a location.
    if (is_skip_next(e)) {
      s.regs.pc = static_cast<uint8_t>(s.regs.pc + 1);
    } else {
      s.regs.pc_space = static_cast<uint8_t>(e.loc.space);
      s.regs.pc = static_cast<uint8_t>(e.loc.index);
    }
    s.regs.peek = 0;
    break;
  case Reg::tf: {
    // The agent reads the registers, flips TF and writes them back: get_flags then set_flags.
    const bool forced = s.work & work::forced_tf;
    uint64_t value = x86::rflags_as_read<uint64_t>(
        s.regs.rflags, r.decide(RuleId::regs_get_hides_forced_tf, forced));
    value = e.value ? (value | x86::TF) : (value & ~x86::TF);
    if (value & x86::TF) s.work &= static_cast<uint8_t>(~work::forced_tf);
    const bool keep = r.decide(RuleId::regs_set_keeps_forced_tf, (s.work & work::forced_tf) != 0);
    s.regs.rflags = static_cast<uint16_t>(x86::rflags_as_written<uint64_t>(value, keep));
    break;
  }
  }
}

int X86Model::pass_signal(const State& s, RuleCtx& r) const {
  const TraceLine t = observe(s, r);
  return tracer_pass_signal(t, static_cast<Request>(s.last_request));
}

State X86Model::resume(const State& from, const Action& a, Peek peek, RuleCtx& r,
                       Events& ev) const {
  State s = resume_raw(from, a, peek, r, ev);
  canonicalize(s);
  return s;
}

State X86Model::resume_raw(const State& from, const Action& a, Peek peek, RuleCtx& r,
                           Events& ev) const {
  State s = from;
  const bool lost = edits_lost(s);
  if (!a.edits.empty() && lost) ev.writes_lost = true;
  if (!lost)
    for (const Edit& e : a.edits) apply_edit(s, e, r);
  const int sig = a.pass ? pass_signal(from, r) : a.signal;
  if (track_last_request_) s.last_request = static_cast<uint8_t>(a.request);

  if (a.request == Request::kill) {
    if (r.effect(RuleId::ptrace_kill)) {
      s.phase = Phase::killed;
      s.exit_value = sig::kill;
    }
    return s;
  }
  if (a.request == Request::detach) {
    if (r.effect(RuleId::ptrace_detach)) {
      disable_step(s, r);
      s.work &= static_cast<uint8_t>(~(work::trace | work::emu));
      s.traced = 0;
    }
  } else {
    // kernel/ptrace.c ptrace_resume.
    if (r.decide(RuleId::resume_sets_trace, a.request == Request::syscall))
      s.work |= work::trace;
    else
      s.work &= static_cast<uint8_t>(~work::trace);
    const bool emu = a.request == Request::sysemu || a.request == Request::sysemu_singlestep;
    if (r.decide(RuleId::resume_sets_emu, emu))
      s.work |= work::emu;
    else
      s.work &= static_cast<uint8_t>(~work::emu);
    if (a.request == Request::singlestep || a.request == Request::sysemu_singlestep) {
      enable_step(s, peek, r);
      ev.step_armed = true;
    } else {
      disable_step(s, r);
    }
  }

  const uint8_t bit = pend_bit(sig);
  const StopWhy why = s.why;
  s.phase = Phase::user;
  switch (why) {
  case StopWhy::initial:
  case StopWhy::signal_delivery: {
    // kernel/signal.c ptrace_signal: 0 discards; another signal replaces, with SI_USER.
    if (r.decide(RuleId::sig_suppress, sig == 0)) {
      ev.suppressed |= pend_bit(s.stop_sig);
    } else {
      ev.injected |= bit;
      const bool blocked = sig == sig::usr1 && s.in_handler;
      if (blocked) {
        if (r.decide(RuleId::sig_blocked_requeue, true)) {
          const int16_t code =
              sig == s.stop_sig
                  ? s.stop_code
                  : r.choose<int16_t>(RuleId::sig_inject_si_user, code::si_user, code::si_kernel);
          raise(s, sig, code, ev, s.stop_shared != 0);
        }
      } else if (bit) {
        deliver(s, sig, r, ev);
      }
    }
    if (s.phase == Phase::stopped || s.dead()) return s;
    exit_to_user(s, r, ev);
    return s;
  }
  case StopWhy::syscall_enter:
    if (sig && r.effect(RuleId::report_syscall_injects)) {
      ev.injected |= bit;
      raise(s, sig, code::si_kernel, ev);
      // complete_signal makes a fatal, non-coredump signal a group exit at once, but only for an
      // untraced task; ptrace_report_syscall_entry then returns fatal_signal_pending() and
      // syscall_trace_enter skips the syscall. So a detach with SIGUSR2 ends the tracee here.
      if (r.decide(RuleId::report_fatal_skips, !s.traced && sig == sig::usr2)) {
        s.phase = Phase::killed;
        s.exit_value = static_cast<uint8_t>(sig);
        ev.delivered |= bit;
        return s;
      }
    }
    syscall_body(s, r, ev);
    return s;
  case StopWhy::syscall_exit:
    if (sig && r.effect(RuleId::report_syscall_injects)) {
      ev.injected |= bit;
      raise(s, sig, code::si_kernel, ev);
    }
    exit_to_user(s, r, ev);
    return s;
  case StopWhy::handler_notify:
    if (sig) {
      if (r.effect(RuleId::sig_notify_ignores_signal))
        ev.ignored_injection |= bit;
      else
        raise(s, sig, code::si_kernel, ev);
    }
    exit_to_user(s, r, ev);
    return s;
  }
  return s;
}

// ---- Observation ----------------------------------------------------------------------------

TraceLine X86Model::observe(const State& s, RuleCtx& r) const {
  TraceLine t;
  t.written = s.written;
  if (s.phase == Phase::exited) {
    t.kind = StopKind::exited;
    t.exit_code = s.exit_value;
    return t;
  }
  if (s.phase == Phase::killed) {
    t.kind = StopKind::killed;
    t.signal = s.exit_value;
    return t;
  }
  t.at = s.pc();
  if (t.at.space == Loc::Space::program && t.at.index > program_length_ + 2)
    t.at = Loc{Loc::Space::outside, 0};
  if (t.at.space == Loc::Space::handler && t.at.index >= handler_.size())
    t.at = Loc{Loc::Space::outside, 0};
  t.signal = s.stop_sig;
  t.si_code = s.stop_code;
  t.op = static_cast<SyscallOp>(s.stop_op);
  t.rax = s.regs.rax;
  t.orig_rax = s.orig_rax;
  t.rbx = s.regs.rbx;
  const bool forced = s.work & work::forced_tf;
  const uint64_t flags = x86::rflags_as_read<uint64_t>(
      s.regs.rflags, r.decide(RuleId::regs_get_hides_forced_tf, forced));
  t.tf = flags & x86::TF;
  t.zf = flags & x86::ZF;
  t.cf = flags & x86::CF;
  t.kind = s.why == StopWhy::initial ? StopKind::initial : classify_stop(t.signal, t.si_code, t.op);
  return t;
}

} // namespace ptmc
