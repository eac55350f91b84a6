#include "props/properties.hpp"

namespace ptmc {

namespace {

const std::vector<PropertyInfo> kTable = {
    {PropertyId::kernel_mode_tf, "kernel-mode-tf", Method::monitor,
     "TF is never set while the tracee executes in kernel mode",
     "Over every transition: the RFLAGS the kernel runs with after SYSCALL (user RFLAGS & ~FMASK) "
     "has TF clear. Exceptions clear TF in hardware, so SYSCALL is the only way in with TF. A "
     "tracer cannot see kernel RFLAGS: this is model-internal and no diff can confirm it.",
     false, kernels::both,
     "As on Linux: after SYSCALL the kernel runs with TF clear (IA32_FMASK). A #DB taken in kernel "
     "mode is the seed's Issue #2."},
    {PropertyId::step_granularity, "step-granularity", Method::monitor,
     "after SINGLESTEP exactly one instruction (or one whole syscall) retires before the next stop",
     "From a resume with PTRACE_SINGLESTEP to the next stop: the user instructions that completed "
     "number exactly 1; a syscall counts once, when it completes or at its entry stop. Exempt: "
     "the tracee ended, or a signal was delivered (a handler entered, a default action) or is "
     "stopped for, before that.",
     true, kernels::both,
     "From a write that arms SINGLESTEP to the next stop: exactly one user instruction completed "
     "(a syscall counts once: when it returns, or reaching its PRE_SYSCALL stop). Exempt: the "
     "tracee ended, a signal was delivered or is stopped for, or the stop is one taken in the "
     "kernel."},
    {PropertyId::sysemu_step_granularity, "sysemu-step-granularity", Method::monitor,
     "after SYSEMU_SINGLESTEP exactly one instruction (or one syscall) retires before the next "
     "stop",
     "As step-granularity, for resumes with PTRACE_SYSEMU_SINGLESTEP; an emulated syscall counts "
     "at its entry stop.",
     true, kernels::on_linux},
    {PropertyId::sysemu_never_executes, "sysemu-never-executes", Method::monitor,
     "a syscall reached under SYSEMU or SYSEMU_SINGLESTEP never executes",
     "Over every transition: a syscall whose entry saw SYSCALL_EMU in the work flags is not run, "
     "however the tracer resumes from its entry stop (it sees nr -1 and leaves rax alone).",
     true, kernels::both,
     "FLAG_IGNORE is Redox's sysemu: a syscall whose PRE_SYSCALL stop is resumed by a write with "
     "FLAG_IGNORE does not execute."},
    {PropertyId::register_write_persistence, "register-write-persistence", Method::monitor,
     "a register written at a stop is what the tracee resumes with",
     "On a resume with edits: when the transition ends (the next user instruction boundary or the "
     "next stop), rax, rip and TF hold the written values. Exempt: rax when a syscall ran after "
     "the "
     "edit (its result is the new rax); all three when a handler was entered or rt_sigreturn ran; "
     "tf=0 when the resume single-steps.",
     true, kernels::both,
     "rax and rip written with setregs are what the tracee has at its next user instruction "
     "boundary or stop after it resumes. Exempt: rax when a syscall completed meanwhile; both when "
     "a handler was entered or a handler's sigreturn ran; writes made while a signal with a user "
     "handler is in delivery (6a3825d4 sends them to the live frame on purpose; "
     "docs/redox-model.md). TF is outside it: the kernel ignores rflags in a written struct."},
    {PropertyId::tracee_tf_persistence, "tracee-tf-persistence", Method::monitor,
     "TF set by the tracee survives the tracer's singlestep and cont",
     "At every user instruction boundary: TF in RFLAGS equals the TF the program last set itself "
     "(by popf, by rt_sigreturn's restore, cleared on handler entry, or as the tracer wrote it "
     "with "
     "SETREGS), except that it is 1 while TIF_SINGLESTEP is set.",
     true, kernels::both,
     "At every user instruction boundary: TF is not set unless the program set it itself (popf) or "
     "the tracer's last write armed SINGLESTEP, and a TF the program set itself is not cleared by "
     "the kernel."},
    {PropertyId::signal_suppression, "signal-suppression", Method::monitor,
     "a signal the tracer suppresses is never delivered",
     "A signal resumed with 0 at its signal-delivery-stop is not delivered (no handler, no default "
     "action) unless it is raised again after the suppression.",
     true, kernels::both,
     "A signal whose SIGNAL stop is resumed by a write with FLAG_IGNORE is not delivered (no "
     "handler, no default action), SIGKILL excepted."},
    {PropertyId::signal_injection_once, "signal-injection-once", Method::monitor,
     "an injected signal is delivered exactly once",
     "A signal given when resuming from a signal-delivery-stop or a syscall-stop is, by the end of "
     "that transition, delivered, pending, or stopped for again; and no signal is delivered that "
     "was neither pending, raised, nor injected. Other stops (the handler-entry stop) ignore the "
     "signal by design (kernel/signal.c signal_delivered) and are outside the property.",
     true, kernels::on_linux},
    {PropertyId::transparency, "transparency", Method::product,
     "a tracer that only resumes cannot change the tracee's computation",
     "Product of a traced tracee (tracer: CONT, SYSCALL or SINGLESTEP with sig=pass, no edits) and "
     "an untraced copy running the same program, over programs without pushf/popf/or_tf/and_tf. At "
     "every user instruction boundary both have the same rip, rax, rbx, rsi, ZF, CF, TF as the "
     "program sees it, pushed image, handler frame, pending signals and bytes written; at the end "
     "the same exit status and bytes written.",
     true, kernels::both,
     "Product of a traced tracee (tracer: reads every event, then writes 0, "
     "PRE_SYSCALL|POST_SYSCALL or SINGLESTEP) and an untraced copy, over programs without "
     "pushf/popf/or_tf/and_tf: at every user instruction boundary both have the same rip, rax, "
     "rbx, rsi, ZF, CF, pushed image, signal in delivery and its frame, pending signals and bytes "
     "written; at the end the same status and bytes written."},
    {PropertyId::tf_transparency, "tf-transparency", Method::product,
     "as transparency, for programs that read and write TF themselves",
     "The transparency product over the whole alphabet, pushf/popf/or_tf/and_tf included.", true,
     kernels::both, "The transparency product over the whole alphabet; TF is compared too."},
    {PropertyId::no_deadlock, "no-deadlock", Method::graph,
     "from every reachable state the tracer can drive the tracee to its end",
     "Over the stored state graph: every reachable state is in the attractor of the ended states "
     "for a tracer that resumes with CONT, SYSCALL, SINGLESTEP, SYSEMU or SYSEMU_SINGLESTEP, no "
     "signal and no edits (KILL and DETACH excluded), against every program choice.",
     true, kernels::both,
     "Over the stored graph: every reachable state is in the attractor of the ended states for a "
     "tracer that reads events and writes flag words without FLAG_IGNORE, against every program "
     "choice."},
    {PropertyId::determinism, "determinism", Method::recompute,
     "equal observation histories plus an equal tracer action give an equal next observation",
     "Every transition is labelled by a tracer action or a program choice and nothing else, and "
     "each is computed twice from the same state and must give the same state (fingerprint) and "
     "observation. A profile with internal actions (concurrency) needs the paired product instead.",
     true, kernels::both,
     "Every transition (a tracer operation, a program choice) computed twice from the same state "
     "gives the same state and the same result line."},
    {PropertyId::access_keeps_stopped, "access-keeps-stopped", Method::monitor,
     "reading events or registers, or writing registers, never lets a stopped tracee run",
     "Over every transition that is a read of the trace file or an access to regs/int: the tracee "
     "does not leave the stop (or the freeze) it was in. Redox only: a Linux tracer has no access "
     "that resumes.",
     true, kernels::on_redox,
     "As stated: only a write of a flag word or a close resumes the tracee."},
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

bool property_applies(const PropertyInfo& p, const std::string& kernel) {
  if (kernel == "redox") return (p.kernels & kernels::on_redox) != 0;
  return (p.kernels & kernels::on_linux) != 0;
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

} // namespace ptmc
