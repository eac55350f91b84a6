#include "props/properties.hpp"

#include "model/regs.hpp"

namespace ptmc {

namespace {

const std::vector<PropertyInfo> kTable = {
    {PropertyId::kernel_mode_tf, "kernel-mode-tf", Method::monitor,
     "TF is never set while the tracee executes in kernel mode",
     "Over every transition: the RFLAGS the kernel runs with after SYSCALL (user RFLAGS & ~FMASK) "
     "has TF clear. Exceptions clear TF in hardware, so SYSCALL is the only way in with TF. A "
     "tracer cannot see kernel RFLAGS: this is model-internal and no diff can confirm it.",
     false},
    {PropertyId::step_granularity, "step-granularity", Method::monitor,
     "after SINGLESTEP exactly one instruction (or one whole syscall) retires before the next stop",
     "From a resume with PTRACE_SINGLESTEP to the next stop: the user instructions that completed "
     "number exactly 1; a syscall counts once, when it completes or at its entry stop. Exempt: "
     "the tracee ended, or a signal was delivered (a handler entered, a default action) or is "
     "stopped for, before that.",
     true},
    {PropertyId::sysemu_step_granularity, "sysemu-step-granularity", Method::monitor,
     "after SYSEMU_SINGLESTEP exactly one instruction (or one syscall) retires before the next "
     "stop",
     "As step-granularity, for resumes with PTRACE_SYSEMU_SINGLESTEP; an emulated syscall counts "
     "at its entry stop.",
     true},
    {PropertyId::sysemu_never_executes, "sysemu-never-executes", Method::monitor,
     "a syscall reached under SYSEMU or SYSEMU_SINGLESTEP never executes",
     "Over every transition: a syscall whose entry saw SYSCALL_EMU in the work flags is not run, "
     "however the tracer resumes from its entry stop (it sees nr -1 and leaves rax alone).",
     true},
    {PropertyId::register_write_persistence, "register-write-persistence", Method::monitor,
     "a register written at a stop is what the tracee resumes with",
     "On a resume with edits: when the transition ends (the next user instruction boundary or the "
     "next stop), rax, rip and TF hold the written values. Exempt: rax when a syscall ran after "
     "the "
     "edit (its result is the new rax); all three when a handler was entered or rt_sigreturn ran; "
     "tf=0 when the resume single-steps.",
     true},
    {PropertyId::tracee_tf_persistence, "tracee-tf-persistence", Method::monitor,
     "TF set by the tracee survives the tracer's singlestep and cont",
     "At every user instruction boundary: TF in RFLAGS equals the TF the program last set itself "
     "(by popf, by rt_sigreturn's restore, cleared on handler entry, or as the tracer wrote it "
     "with "
     "SETREGS), except that it is 1 while TIF_SINGLESTEP is set.",
     true},
    {PropertyId::signal_suppression, "signal-suppression", Method::monitor,
     "a signal the tracer suppresses is never delivered",
     "A signal resumed with 0 at its signal-delivery-stop is not delivered (no handler, no default "
     "action) unless it is raised again after the suppression.",
     true},
    {PropertyId::signal_injection_once, "signal-injection-once", Method::monitor,
     "an injected signal is delivered exactly once",
     "A signal given when resuming from a signal-delivery-stop or a syscall-stop is, by the end of "
     "that transition, delivered, pending, or stopped for again; and no signal is delivered that "
     "was neither pending, raised, nor injected. Other stops (the handler-entry stop) ignore the "
     "signal by design (kernel/signal.c signal_delivered) and are outside the property.",
     true},
    {PropertyId::transparency, "transparency", Method::product,
     "a tracer that only resumes cannot change the tracee's computation",
     "Product of a traced tracee (tracer: CONT, SYSCALL or SINGLESTEP with sig=pass, no edits) and "
     "an untraced copy running the same program, over programs without pushf/popf/or_tf/and_tf. At "
     "every user instruction boundary both have the same rip, rax, rbx, rsi, ZF, CF, TF as the "
     "program sees it, pushed image, handler frame, pending signals and bytes written; at the end "
     "the same exit status and bytes written.",
     true},
    {PropertyId::tf_transparency, "tf-transparency", Method::product,
     "as transparency, for programs that read and write TF themselves",
     "The transparency product over the whole alphabet, pushf/popf/or_tf/and_tf included.", true},
    {PropertyId::no_deadlock, "no-deadlock", Method::graph,
     "from every reachable state the tracer can drive the tracee to its end",
     "Over the stored state graph: every reachable state is in the attractor of the ended states "
     "for a tracer that resumes with CONT, SYSCALL, SINGLESTEP, SYSEMU or SYSEMU_SINGLESTEP, no "
     "signal and no edits (KILL and DETACH excluded), against every program choice.",
     true},
    {PropertyId::determinism, "determinism", Method::recompute,
     "equal observation histories plus an equal tracer action give an equal next observation",
     "Every transition is labelled by a tracer action or a program choice and nothing else, and "
     "each is computed twice from the same state and must give the same state (fingerprint) and "
     "observation. A profile with internal actions (concurrency) needs the paired product instead.",
     true},
};

} // namespace

const std::vector<PropertyInfo>& property_table() {
  return kTable;
}
const PropertyInfo& property_info(PropertyId id) {
  return kTable[static_cast<size_t>(id)];
}

std::optional<PropertyId> property_by_name(std::string_view name) {
  for (const auto& p : kTable)
    if (p.name == name) return p.id;
  return std::nullopt;
}

std::string_view method_name(Method m) {
  switch (m) {
  case Method::monitor:
    return "monitor";
  case Method::product:
    return "product";
  case Method::graph:
    return "graph";
  case Method::recompute:
    return "recompute";
  }
  return "?";
}

Violations monitor_step(const CheckState& pre, const TracerStep& step, const Events& ev,
                        CheckState& post) {
  Violations v = 0;
  MonitorState m = pre.m;
  const State& a = pre.s;
  const State& b = post.s;

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
      const bool other_signal = b.why == StopWhy::handler_notify ||
                                (b.why == StopWhy::signal_delivery && b.stop_sig != sig::trap);
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
        if (!ev.syscall_ran && !ev.frame_replaced && b.regs.rax != e.value)
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
        const bool tf = b.regs.rflags & x86::TF;
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
    m.owned_tf = (a.regs.stack_top & x86::TF) != 0;
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
    if (((b.regs.rflags & x86::TF) != 0) != want) v |= bit(PropertyId::tracee_tf_persistence);
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
