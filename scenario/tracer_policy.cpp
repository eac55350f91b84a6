#include "scenario/scenario.hpp"

namespace ptmc {

StopKind classify_stop(int signal, int si_code, SyscallOp op, Arch arch) {
  if (signal != sig::trap) return StopKind::signal;
  if (si_code == (sig::trap | 0x80))
    return op == SyscallOp::exit ? StopKind::syscall_exit : StopKind::syscall_enter;
  if (si_code == sig::trap) return StopKind::trap_notify;
  if (arch == Arch::aarch64) {
    // brk: TRAP_BRKPT (arch/arm64/kernel/debug-monitors.c brk_handler); a hardware step:
    // TRAP_TRACE (single_step_handler); the step report at syscall exit: SI_USER, from the
    // generic user_single_step_report (include/linux/ptrace.h), as arm64 has none of its own.
    if (si_code == code::trap_brkpt) return StopKind::breakpoint;
    if (si_code == code::trap_trace || si_code == code::si_user) return StopKind::step;
    return StopKind::signal;
  }
  if (si_code == code::trap_trace || si_code == code::trap_brkpt) return StopKind::step;
  if (si_code == code::si_kernel) return StopKind::breakpoint;
  return StopKind::signal;
}

int tracer_pass_signal(const TraceLine& stop, Request last_request) {
  switch (stop.kind) {
  case StopKind::signal:
  case StopKind::breakpoint:
    return stop.signal;
  case StopKind::step: {
    // A step trap the tracer did not ask for is the tracee's own (it set TF itself).
    const bool stepped =
        last_request == Request::singlestep || last_request == Request::sysemu_singlestep;
    return stepped ? 0 : stop.signal;
  }
  default:
    return 0;
  }
}

} // namespace ptmc
