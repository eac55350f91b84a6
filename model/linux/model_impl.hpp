// The generic Linux layer's definitions (see model.hpp). Included only by the file that
// instantiates LinuxModel for an architecture, so the arch glue inlines into it.
#pragma once

#include "model/linux/model.hpp"
#include "model/program_layout.hpp"

#include <stdexcept>

namespace ptmc {

namespace linux_detail {
inline constexpr int64_t kEfault = -14, kEinval = -22, kEbadf = -9;
inline constexpr int16_t kCodeSigtrap = sig::trap;            // ptrace_notify's si_code
inline constexpr int16_t kCodeSyscallGood = sig::trap | 0x80; // with PTRACE_O_TRACESYSGOOD
} // namespace linux_detail

template <class Arch>
LinuxModel<Arch>::LinuxModel(const Profile& profile, std::optional<std::vector<Insn>> program,
                             std::vector<Insn> handler)
    : profile_(profile), arch_(profile), program_(std::move(program)),
      handler_(Arch::handler_with_tail(handler)),
      program_length_(program_ ? program_->size()
                               : static_cast<size_t>(profile.domain.program_bound)),
      alphabet_(profile.domain.alphabet), tracer_domain_(build_tracer_domain(profile.domain)) {
  for (const Insn& in : alphabet_)
    (Arch::sets_trap_flag(in.op) ? alphabet_has_popf_ : alphabet_has_other_) = true;
  if (program_length_ + 3 > 255 || handler_.size() > 255)
    throw std::invalid_argument("program or handler longer than the model's 8-bit rip allows");
}

template <class Arch> std::optional<std::string> LinuxModel<Arch>::unsupported(const Scenario& s) {
  // A signal without a pending bit would be dropped: kernel/signal.c would deliver it (SIGSEGV's
  // default action, SIGSTOP's group stop), and the model does not follow that.
  const auto unknown_signal = [](const Action& a) { return a.signal != 0 && !pend_bit(a.signal); };
  for (size_t i = 0; i < s.actions.size(); ++i)
    if (unknown_signal(s.actions[i]))
      return "action " + std::to_string(i + 1) + " (" + format_action(s.actions[i]) +
             "): the model follows only SIGUSR1, SIGUSR2 and SIGTRAP given to a resume";
  if (s.repeat && unknown_signal(*s.repeat))
    return "the repeat action (" + format_action(*s.repeat) +
           "): the model follows only SIGUSR1, SIGUSR2 and SIGTRAP given to a resume";
  return Arch::unsupported(s);
}

template <class Arch>
std::vector<typename LinuxModel<Arch>::State>
LinuxModel<Arch>::initial_states(std::optional<bool> tracesysgood) const {
  // The agent's child raised SIGSTOP with kill(0, SIGSTOP); the agent then wrote the registers
  // (kernel/agent.cpp). So: a signal-delivery-stop for SIGSTOP, si_code SI_USER.
  State s;
  arch_.initial_registers(s.regs);
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

template <class Arch> std::optional<Insn> LinuxModel<Arch>::fixed_insn(Loc at) const {
  return fixed_insn_at(at, program_length_, program_, handler_);
}

template <class Arch>
size_t LinuxModel<Arch>::program_choices(const State& s, uint16_t* out) const {
  if (s.phase != Phase::user) return 0;
  const Loc at = s.pc();
  if (outside_code(at, program_length_)) return 0;
  if (fixed_insn(at)) {
    out[0] = static_cast<uint16_t>(alphabet_.size());
    return 1;
  }
  const auto peek = static_cast<Peek>(s.regs.peek);
  size_t n = 0;
  for (size_t i = 0; i < alphabet_.size() && n < kMaxChoices; ++i) {
    const Op op = alphabet_[i].op;
    if (!Arch::representable_next(s.regs, op)) continue;
    if (peek == Peek::popf && !Arch::sets_trap_flag(op)) continue;
    if (peek == Peek::not_popf && Arch::sets_trap_flag(op)) continue;
    if (peek == Peek::breakpoint && op != Op::int3) continue;
    out[n++] = static_cast<uint16_t>(i);
  }
  return n;
}

template <class Arch>
size_t LinuxModel<Arch>::peeks_for(const State& from, const Action& a, Peek out[2]) const {
  // Only arming a step peeks; every other resume keeps what is known (one outcome). This runs
  // for every tracer action the explorer tries, so it copies the state only when it must.
  const bool steps = a.request == Request::singlestep || a.request == Request::sysemu_singlestep;
  if (!steps || !Arch::kArmingPeeksAtNextInsn) {
    out[0] = static_cast<Peek>(from.regs.peek);
    return 1;
  }
  const State s = with_rip_edits(from, a); // the kernel peeks where rip now points
  const auto known = static_cast<Peek>(s.regs.peek);
  if (known != Peek::unknown) {
    out[0] = known;
    return 1;
  }
  if (auto fixed = fixed_insn(s.pc())) {
    out[0] = Arch::sets_trap_flag(fixed->op) ? Peek::popf : Peek::not_popf;
    return 1;
  }
  if (s.pc().space == Loc::Space::outside || s.regs.pc >= program_length_ + 3) {
    out[0] = Peek::not_popf;
    return 1;
  }
  size_t n = 0;
  if (Arch::stack_holds_flags(s.regs) && alphabet_has_popf_) out[n++] = Peek::popf;
  if (alphabet_has_other_) out[n++] = Peek::not_popf;
  return n;
}

template <class Arch>
typename LinuxModel<Arch>::State LinuxModel<Arch>::with_rip_edits(const State& s,
                                                                  const Action& a) const {
  State after = s;
  Rules quiet;
  if (!edits_lost(s)) write_edits(after, a.edits, /*rip_only=*/true, quiet);
  return after;
}

template <class Arch> bool LinuxModel<Arch>::edits_reach_saved(const State& s) const {
  if (!s.in_handler) return false;
  switch (profile_.register_write_target) {
  case RegisterWriteTarget::live:
    return false;
  case RegisterWriteTarget::restored_always:
    return true;
  case RegisterWriteTarget::restored_when_next:
    // Under SYSEMU the syscall is skipped, so its restore does not come (the checker found this
    // in a first version of the variant that looked at the syscall number alone).
    return s.phase == Phase::stopped && s.why == StopWhy::syscall_enter &&
           Arch::syscall_named(s.orig_rax) == Syscall::rt_sigreturn && !(s.entry_work & work::emu);
  }
  return false;
}

template <class Arch>
void LinuxModel<Arch>::write_edits(State& s, const std::vector<Edit>& edits, bool rip_only,
                                   Rules& r) const {
  // orig_rax is not part of the frame; it first, since it decides whether rt_sigreturn runs.
  if (!rip_only)
    for (const Edit& e : edits)
      if (e.reg == Reg::orig_rax) arch_.write_register(s, e, r);
  const bool to_saved = edits_reach_saved(s);
  if (to_saved) std::swap(s.regs, s.saved);
  for (const Edit& e : edits)
    if (rip_only ? e.reg == Reg::rip : e.reg != Reg::orig_rax) arch_.write_register(s, e, r);
  if (to_saved) std::swap(s.regs, s.saved);
}

// ---- Stops and signals --------------------------------------------------------------------

// Zeroes what no later transition or observation can read, so that states differing only in
// dead values are one state. Each line names why the value is dead.
template <class Arch> void LinuxModel<Arch>::canonicalize(State& s) const {
  if (s.phase == Phase::unmodelled) return;
  if (s.dead()) {
    // Only the end line (exit status, bytes written) is observable after the end.
    State end;
    end.phase = s.phase;
    end.exit_value = s.exit_value;
    end.exit_pid = s.exit_pid;
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
  Arch::canonicalize_frame(s.regs);
}

template <class Arch>
void LinuxModel<Arch>::stop(State& s, StopWhy why, int sig, int16_t code, SyscallOp op) const {
  s.phase = Phase::stopped;
  s.why = why;
  s.stop_sig = static_cast<uint8_t>(sig);
  s.stop_code = code;
  s.stop_op = static_cast<uint8_t>(op);
}

template <class Arch>
void LinuxModel<Arch>::raise(State& s, int sig, int16_t code, Events& ev, bool shared) const {
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

// An exception from user mode that sends SIGTRAP (force_sig_fault), then the return to user mode.
template <class Arch>
void LinuxModel<Arch>::trap(State& s, int16_t code, Rules& r, Events& ev) const {
  arch_.exception_entry(s, r);
  raise(s, sig::trap, code, ev);
  exit_to_user(s, r, ev);
}

template <class Arch>
void LinuxModel<Arch>::exit_to_user(State& s, Rules& r, Events& ev, bool in_get_signal) const {
  // kernel/entry/common.c exit_to_user_mode_loop -> arch_do_signal_or_restart -> get_signal.
  while (s.phase == Phase::user || s.phase == Phase::stopped) {
    // dequeue_signal: the thread's queue first, then the process's (kernel/signal.c).
    const uint8_t blocked = s.in_handler ? pend::usr1 : 0;
    const uint8_t own = static_cast<uint8_t>(s.pending & ~blocked);
    const uint8_t shared = static_cast<uint8_t>(s.pending_shared & ~blocked);
    if (!own && !shared) {
      s.phase = Phase::user;
      // The return to user mode itself may raise an exception at once (arm64: a pending step).
      if (const auto code = arch_.return_to_user(s, r)) trap(s, *code, r, ev);
      return;
    }
    // The arch's signal code runs before get_signal; get_signal then loops over signals a
    // tracer discards, and returns once one is delivered (each delivery is a new arch call).
    if (!in_get_signal) arch_.before_signal(s, r);
    in_get_signal = false;
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

template <class Arch>
void LinuxModel<Arch>::deliver(State& s, int sig, Rules& r, Events& ev) const {
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
  // The arch's handle_signal sets up the frame; kernel/signal.c signal_delivered then reports
  // the handler's entry to a tracer that was stepping.
  const bool stepping = s.work & work::singlestep;
  arch_.handle_signal(s, sig, stepping, r, ev);
  ev.delivered |= bit;
  if (s.traced && r.decide(RuleId::sig_handler_step_notify, stepping))
    stop(s, StopWhy::handler_notify, sig::trap, linux_detail::kCodeSigtrap, SyscallOp::none);
}

// ---- Syscalls -------------------------------------------------------------------------------

template <class Arch> void LinuxModel<Arch>::syscall_entry(State& s, Rules& r, Events& ev) const {
  constexpr SyscallWorkRules rule = Arch::kSyscallWork;
  arch_.enter_syscall(s, r, ev);
  if (r.effect(rule.work_captured)) s.entry_work = s.work;
  // A design variant (not Linux) that single-steps into a syscall-enter stop.
  const bool step_stops_at_entry = profile_.step_around_syscall != StepAroundSyscall::after &&
                                   (s.entry_work & work::singlestep) != 0;
  const bool report = (s.entry_work & (work::trace | work::emu)) != 0 || step_stops_at_entry;
  if (s.traced && r.decide(rule.entry_stop, report)) {
    const bool good = r.decide(RuleId::report_tracesysgood, s.tracesysgood != 0);
    const int16_t code = good ? linux_detail::kCodeSyscallGood : linux_detail::kCodeSigtrap;
    const bool op_known =
        r.decide(RuleId::report_syscall_info_op, code == linux_detail::kCodeSyscallGood);
    stop(s, StopWhy::syscall_enter, sig::trap, code, op_known ? SyscallOp::entry : SyscallOp::none);
    return;
  }
  syscall_body(s, r, ev);
}

template <class Arch> void LinuxModel<Arch>::syscall_body(State& s, Rules& r, Events& ev) const {
  using namespace linux_detail;
  // syscall_trace_enter: SYSCALL_EMU in the captured work returns -1.
  const bool emulated = r.decide(Arch::kSyscallWork.emu_skips, (s.entry_work & work::emu) != 0);
  const Syscall call = emulated ? Syscall::none : Arch::syscall_named(s.orig_rax);
  if (call != Syscall::none && (s.entry_work & work::emu)) ev.emu_syscall_ran = true;
  if (call != Syscall::none) ev.syscall_ran = true;
  const SyscallArgs args = Arch::syscall_args(s.regs);
  switch (call) {
  case Syscall::unmodelled:
    s.phase = Phase::unmodelled;
    s.exit_value = unmodelled::syscall;
    return;
  case Syscall::none:
    arch_.no_syscall(s, r);
    break;
  case Syscall::read: // read(0, ...): fd 0 is the write end of the output pipe
    if (r.effect(RuleId::sys_read_ebadf)) Arch::set_return(s.regs, kEbadf);
    break;
  case Syscall::write:
    // The agent's tracee has fds 0 (the output pipe), 1 and 2 (/dev/null) and no others
    // (kernel/agent.cpp child_main): fd 10, a handler's first argument, or a pid is closed.
    // /dev/null's write returns the count without reading the buffer (drivers/char/mem.c
    // write_null), so only the pipe can fault.
    if (args.arg0 < 0 || args.arg0 > 2) {
      Arch::set_return(s.regs, kEbadf);
    } else if (args.arg0 == 0 && r.decide(RuleId::sys_write_efault, !args.buffer_valid)) {
      Arch::set_return(s.regs, kEfault);
    } else if (r.effect(RuleId::sys_write)) {
      if (args.arg0 == 0 && s.written < 255) ++s.written;
      Arch::set_return(s.regs, 1);
    }
    break;
  case Syscall::getpid:
    if (r.effect(RuleId::sys_getpid)) Arch::set_return(s.regs, kPidToken);
    break;
  case Syscall::kill: {
    // Pid 0 (its process group, of one) and its own pid both reach the tracee alone; the agent's
    // sandbox refuses any other (a kill of another process is outside what the model follows).
    if (args.arg0 != 0 && args.arg0 != kPidToken) {
      s.phase = Phase::unmodelled;
      s.exit_value = unmodelled::kill_other_process;
      return;
    }
    if (r.decide(RuleId::sys_kill_einval, args.signal == 0)) {
      Arch::set_return(s.regs, kEinval);
    } else if (r.effect(RuleId::sys_kill_pends)) {
      raise(s, args.signal, code::si_user, ev, /*shared=*/true);
      Arch::set_return(s.regs, 0);
    }
    break;
  }
  case Syscall::exit_group:
    if (r.effect(RuleId::sys_exit_group)) {
      ++ev.retired;
      s.phase = Phase::exited;
      // The status is the argument's low byte: 0 in an x86 program, the signal number in a
      // handler, the last result on arm64 (and then possibly the pid, unknown to the model).
      s.exit_value = static_cast<uint8_t>(args.arg0);
      s.exit_pid = args.arg0 == kPidToken;
      return;
    }
    break;
  case Syscall::rt_sigreturn:
    arch_.rt_sigreturn(s, r, ev);
    if (s.phase == Phase::unmodelled) return;
    break;
  case Syscall::invalid:
    arch_.invalid_syscall(s, r);
    break;
  }
  ++ev.retired;
  syscall_exit_work(s, r, ev);
}

template <class Arch>
void LinuxModel<Arch>::syscall_exit_work(State& s, Rules& r, Events& ev) const {
  using namespace linux_detail;
  constexpr SyscallWorkRules rule = Arch::kSyscallWork;
  const uint8_t w = s.work; // the current flags, not the captured ones
  // The arch's condition (x86's report_single_step: nothing under SYSCALL_EMU; arm64's
  // syscall_trace_exit: TIF_SINGLESTEP alone); the design variants differ.
  const uint8_t seen = profile_.sysemu_step_reports_exit ? static_cast<uint8_t>(w & ~work::emu) : w;
  const bool reports =
      Arch::exit_step_wanted(seen) && profile_.step_around_syscall != StepAroundSyscall::before;
  const bool step = r.decide(rule.exit_step_report, reports);
  if (step || r.decide(rule.exit_trace_stop, (w & work::trace) != 0)) {
    if (r.decide(RuleId::exit_step_replaces_stop, step)) {
      raise(s, sig::trap, arch_.syscall_step_si_code(r), ev);
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

template <class Arch>
typename LinuxModel<Arch>::State LinuxModel<Arch>::execute(const State& from, const Insn& in,
                                                           Rules& r, Events& ev) const {
  State s = execute_raw(from, in, r, ev);
  canonicalize(s);
  return s;
}

template <class Arch>
typename LinuxModel<Arch>::State LinuxModel<Arch>::execute_raw(const State& from, const Insn& in,
                                                               Rules& r, Events& ev) const {
  State s = from;
  s.regs.peek = 0; // the peek was about this instruction
  const auto step = arch_.run_user_insn(s, in, r);
  switch (step.exit) {
  case UserExit::unrepresentable:
    s.phase = Phase::unmodelled;
    s.exit_value = unmodelled::stack_misuse;
    return s;
  case UserExit::syscall:
    syscall_entry(s, r, ev);
    // A #DB the CPU still owes (FMASK left TF set) is taken on the way back to user mode.
    if (step.single_step_trap && s.phase == Phase::user) trap(s, code::trap_trace, r, ev);
    return s;
  case UserExit::breakpoint:
    if (step.completed) ++ev.retired;
    // rip still on the breakpoint: the next return runs it again, not a new choice. Set before
    // the signal, so that a handler's frame saves it with rip.
    else if (s.pc() == from.pc())
      s.regs.peek = static_cast<uint8_t>(Peek::breakpoint);
    if (auto code = arch_.breakpoint_si_code(r)) {
      arch_.exception_entry(s, r);
      raise(s, sig::trap, *code, ev);
    }
    exit_to_user(s, r, ev);
    return s;
  case UserExit::retired:
    ++ev.retired;
    if (step.single_step_trap) trap(s, arch_.single_step_si_code(r), r, ev);
    return s;
  }
  return s;
}

// ---- The tracer's step ----------------------------------------------------------------------

template <class Arch> int LinuxModel<Arch>::pass_signal(const State& s, Rules& r) const {
  const TraceLine t = observe(s, r);
  return tracer_pass_signal(t, static_cast<Request>(s.last_request));
}

template <class Arch>
typename LinuxModel<Arch>::State LinuxModel<Arch>::resume(const State& from, const Action& a,
                                                          Peek peek, Rules& r, Events& ev) const {
  State s = resume_raw(from, a, peek, r, ev);
  canonicalize(s);
  return s;
}

template <class Arch>
typename LinuxModel<Arch>::State LinuxModel<Arch>::write_registers(const State& from,
                                                                   const std::vector<Edit>& edits,
                                                                   Rules& r) const {
  State s = from;
  // The seed's bug 1 as a delta: writes made at a signal stop land in a frame that is dropped.
  if (!edits_lost(s)) write_edits(s, edits, /*rip_only=*/false, r);
  return s;
}

template <class Arch>
typename LinuxModel<Arch>::State LinuxModel<Arch>::resume_raw(const State& from, const Action& a,
                                                              Peek peek, Rules& r,
                                                              Events& ev) const {
  if (!a.edits.empty() && edits_lost(from)) ev.writes_lost = true;
  State s = write_registers(from, a.edits, r);
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
      arch_.disable_single_step(s, r); // ptrace_disable
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
      arch_.enable_single_step(s, peek, r);
      ev.step_armed = true;
    } else {
      arch_.disable_single_step(s, r);
    }
  }

  const uint8_t bit = pend_bit(sig);
  const StopWhy why = s.why;
  s.phase = Phase::user;
  switch (why) {
  case StopWhy::initial:
  case StopWhy::signal_delivery: {
    // kernel/signal.c ptrace_signal: 0 discards; another signal replaces, with SI_USER.
    bool delivered = false;
    if (r.decide(RuleId::sig_suppress, sig == 0)) {
      ev.suppressed |= pend_bit(s.stop_sig);
    } else {
      ev.injected |= bit;
      const bool blocked = sig == sig::usr1 && s.in_handler;
      if (blocked) {
        if (r.decide(RuleId::sig_blocked_requeue, true)) {
          const int16_t code = sig == s.stop_sig
                                   ? s.stop_code
                                   : r.template choose<int16_t>(RuleId::sig_inject_si_user,
                                                                code::si_user, code::si_kernel);
          raise(s, sig, code, ev, s.stop_shared != 0);
        }
      } else if (bit) {
        deliver(s, sig, r, ev);
        delivered = true;
      }
    }
    if (s.phase == Phase::stopped || s.dead()) return s;
    exit_to_user(s, r, ev, /*in_get_signal=*/!delivered);
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

template <class Arch> TraceLine LinuxModel<Arch>::observe(const State& s, Rules& r) const {
  TraceLine t;
  t.written = s.written;
  if (s.phase == Phase::exited) {
    t.kind = StopKind::exited;
    t.exit_code = s.exit_pid ? static_cast<int>(kPidToken) : s.exit_value;
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
  t.arch = Arch::kIsa;
  arch_.read_registers(s, t, r);
  t.kind = s.why == StopWhy::initial ? StopKind::initial
                                     : classify_stop(t.signal, t.si_code, t.op, Arch::kIsa);
  return t;
}

} // namespace ptmc
