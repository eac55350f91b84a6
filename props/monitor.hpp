// The monitors of props/ over the Linux layer's task state, for any architecture: the
// registers they read go through the arch glue (`Model::ArchType`). props/README.md says how each
// property is decided; properties.hpp holds the table.
#pragma once

#include "model/linux/model.hpp"
#include "props/properties.hpp"

#include <algorithm>

namespace ptmc {

// Advances the monitor over one transition pre -> post; returns the properties it breaks.
template <class Model>
Violations monitor_step(const CheckState<typename Model::State>& pre, const TracerStep& step,
                        const Events& ev, CheckState<typename Model::State>& post) {
  using Arch = typename Model::ArchType;
  Violations v = 0;
  MonitorState m = pre.m;
  const auto& a = pre.s;
  const auto& b = post.s;

  if (ev.kernel_tf) v |= bit(PropertyId::kernel_mode_tf);
  if (ev.emu_syscall_ran) v |= bit(PropertyId::sysemu_never_executes);

  // ---- step granularity
  if (step.action) {
    const Request r = step.action->request;
    m.step_armed = r == Request::singlestep ? 1 : r == Request::sysemu_singlestep ? 2 : 0;
    m.retired = 0;
    m.signal_first = 0;
  }
  if (m.step_armed) {
    m.retired = static_cast<uint8_t>(std::min(3, m.retired + ev.retired));
    if (ev.delivered) m.signal_first = 1;
    if (b.dead()) {
      m.step_armed = 0;
    } else if (b.phase == Phase::stopped) {
      // A SIGTRAP stop is the step's own unless its si_code is SI_KERNEL: that one was queued by
      // send_sig (a signal the tracer gave when resuming a syscall stop, include/linux/
      // ptrace.h ptrace_report_syscall) or raised by int3 (arch/x86/kernel/traps.c do_int3_user),
      // never by a step, which reports TRAP_TRACE, TRAP_BRKPT or (arm64's syscall exit) SI_USER.
      const bool other_signal = b.why == StopWhy::handler_notify ||
                                (b.why == StopWhy::signal_delivery &&
                                 (b.stop_sig != sig::trap || b.stop_code == code::si_kernel));
      int counted = m.retired;
      if (b.why == StopWhy::syscall_enter) ++counted; // the syscall, reached
      if (!m.signal_first && !other_signal && counted != 1)
        v |= bit(m.step_armed == 1 ? PropertyId::step_granularity
                                   : PropertyId::sysemu_step_granularity);
      m.step_armed = 0;
    }
  }

  if (!m.step_armed) {
    m.retired = 0;
    m.signal_first = 0;
  }

  // ---- register write persistence: checked where this transition ends
  if (step.action && !b.dead()) {
    for (const Edit& e : step.action->edits) {
      switch (e.reg) {
      case Reg::rax:
        if (!ev.syscall_ran && !ev.frame_replaced && Arch::result_register(b.regs) != e.value)
          v |= bit(PropertyId::register_write_persistence);
        break;
      case Reg::rip: {
        Loc want = e.loc;
        if (is_skip_next(e)) want = Loc{a.pc().space, static_cast<uint16_t>(a.regs.pc + 1)};
        if (!ev.frame_replaced && !(b.pc() == want))
          v |= bit(PropertyId::register_write_persistence);
        break;
      }
      case Reg::tf: {
        const bool steps = step.action->request == Request::singlestep ||
                           step.action->request == Request::sysemu_singlestep;
        const bool tf = Arch::user_step_flag(b.regs);
        if (!ev.frame_replaced && !(steps && e.value == 0) && tf != (e.value != 0))
          v |= bit(PropertyId::register_write_persistence);
        break;
      }
      case Reg::orig_rax:
        break; // not a user register; its effect is the syscall run
      }
    }
  }

  // ---- the TF the program owns
  if (step.action)
    for (const Edit& e : step.action->edits)
      if (e.reg == Reg::tf) m.owned_tf = e.value != 0;
  if (step.insn && step.insn->op == Op::popf && !ev.frame_replaced)
    m.owned_tf = Arch::pushed_step_flag(a.regs);
  if (ev.frame_replaced) {
    if (b.in_handler && !a.in_handler) {
      m.saved_owned_tf = m.owned_tf;
      m.owned_tf = 0;
    } else if (!b.in_handler && a.in_handler) {
      m.owned_tf = m.saved_owned_tf;
      m.saved_owned_tf = 0;
    }
  }
  if (b.phase == Phase::user) {
    const bool want = (b.work & work::singlestep) ? true : m.owned_tf != 0;
    if (Arch::user_step_flag(b.regs) != want) v |= bit(PropertyId::tracee_tf_persistence);
  }

  // ---- signals. Both are decided within the transition that suppresses or injects: what the
  // kernel does with the signal afterwards is visible in `pending` at the transition's end, so
  // the monitor needs no memory of it (and the state space no extra bits).
  const uint8_t raised = ev.generated;
  if (ev.suppressed) {
    // The discarded instance came from one queue; an instance of the same signal already waiting
    // in the other queue (kill's shared one, or the thread's) is a different signal and may go on.
    const uint8_t other = a.stop_shared ? a.pending : a.pending_shared;
    const uint8_t same_queue_after = a.stop_shared ? b.pending_shared : b.pending;
    const uint8_t gone =
        ev.suppressed & static_cast<uint8_t>(~raised) & static_cast<uint8_t>(~other);
    if ((ev.delivered & gone) || (same_queue_after & gone))
      v |= bit(PropertyId::signal_suppression);
  }
  const uint8_t came_from =
      static_cast<uint8_t>(a.pending | a.pending_shared | raised | ev.injected);
  if (ev.delivered & ~came_from) v |= bit(PropertyId::signal_injection_once);
  if (ev.injected && !b.dead()) {
    for (uint8_t bitv : {pend::trap, pend::usr1, pend::usr2}) {
      if (!(ev.injected & bitv) || (ev.delivered & bitv)) continue;
      const bool pending = (b.pending | b.pending_shared) & bitv;
      const bool stopped_for = b.phase == Phase::stopped && b.why == StopWhy::signal_delivery &&
                               pend_bit(b.stop_sig) == bitv;
      if (!pending && !stopped_for) v |= bit(PropertyId::signal_injection_once);
    }
  }

  post.m = m;
  return v;
}

} // namespace ptmc
