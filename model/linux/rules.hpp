// The generic Linux layer's rules: the architecture-independent ptrace and signal code
// (kernel/ptrace.c, kernel/signal.c, include/linux/ptrace.h) and the few generic syscalls the
// alphabet reaches. Which syscall work runs at entry and exit is decided either by the generic
// entry code (model/linux/entry/rules.hpp, for architectures that select CONFIG_GENERIC_ENTRY)
// or by the architecture's own (arm64 in 6.1); an architecture's glue layer supplies the rest.
#pragma once

#define PTMC_RULES_LINUX(X)                                                                        \
  X(sys_write, effect, "fs/read_write.c ksys_write", "write(0, buf, 1) writes one byte")           \
  X(sys_write_efault, decision, "fs/read_write.c vfs_write",                                       \
    "write from a bad pointer fails with -EFAULT")                                                 \
  X(sys_read_ebadf, effect, "fs/read_write.c ksys_read",                                           \
    "read on the write end of the output pipe fails with -EBADF")                                  \
  X(sys_getpid, effect, "kernel/sys.c getpid", "getpid returns the tgid")                          \
  X(sys_kill_pends, effect, "kernel/signal.c kill_something_info",                                 \
    "kill(0, sig) makes sig pending for the caller's process group")                               \
  X(sys_kill_einval, decision, "kernel/signal.c kill_something_info (valid_signal)",               \
    "kill with an invalid signal number fails with -EINVAL")                                       \
  X(sys_exit_group, effect, "kernel/exit.c do_group_exit", "exit_group ends the process")          \
  X(exit_step_replaces_stop, decision, "include/linux/ptrace.h ptrace_report_syscall_exit",        \
    "a single-step report replaces the syscall-exit-stop instead of adding to it")                 \
  X(report_tracesysgood, decision, "include/linux/ptrace.h ptrace_report_syscall",                 \
    "syscall stops report SIGTRAP|0x80 with PTRACE_O_TRACESYSGOOD, else SIGTRAP")                  \
  X(report_syscall_injects, effect, "include/linux/ptrace.h ptrace_report_syscall",                \
    "a signal given when resuming from a syscall stop is sent with send_sig")                      \
  X(report_fatal_skips, decision,                                                                  \
    "include/linux/ptrace.h ptrace_report_syscall, kernel/signal.c complete_signal",               \
    "a fatal signal given on detach from an entry stop ends the task before the syscall runs")     \
  X(report_syscall_info_op, decision, "kernel/ptrace.c ptrace_get_syscall_info",                   \
    "GET_SYSCALL_INFO's op is entry/exit only when si_code is SIGTRAP|0x80")                       \
  X(resume_sets_trace, decision, "kernel/ptrace.c ptrace_resume",                                  \
    "PTRACE_SYSCALL sets SYSCALL_TRACE, every other resume clears it")                             \
  X(resume_sets_emu, decision, "kernel/ptrace.c ptrace_resume",                                    \
    "SYSEMU and SYSEMU_SINGLESTEP set SYSCALL_EMU, every other resume clears it")                  \
  X(sig_delivery_stop, decision, "kernel/signal.c get_signal, ptrace_signal",                      \
    "a traced task stops before delivering each dequeued signal")                                  \
  X(sig_suppress, decision, "kernel/signal.c ptrace_signal",                                       \
    "resuming with signal 0 discards the signal")                                                  \
  X(sig_inject_si_user, choice, "kernel/signal.c ptrace_signal",                                   \
    "a different signal from the tracer is delivered with si_code SI_USER")                        \
  X(sig_blocked_requeue, decision, "kernel/signal.c ptrace_signal",                                \
    "an injected signal that is blocked is queued again as pending")                               \
  X(sig_order, decision, "kernel/signal.c next_signal",                                            \
    "synchronous signals (SIGTRAP) are dequeued first, then the lowest number")                    \
  X(sig_handler_step_notify, decision, "kernel/signal.c signal_delivered",                         \
    "delivery while stepping stops once more, at the handler's first instruction")                 \
  X(sig_notify_ignores_signal, effect, "kernel/signal.c signal_delivered, ptrace_notify",          \
    "a signal given when resuming from the handler-entry stop is ignored")                         \
  X(sig_default_kills, effect, "kernel/signal.c get_signal (sig_kernel_*)",                        \
    "SIGUSR2 and SIGTRAP with the default action end the process")                                 \
  X(ptrace_detach, effect, "kernel/ptrace.c ptrace_detach (ptrace_disable is the arch's)",         \
    "detach stops stepping and syscall tracing, then resumes with the given signal")               \
  X(ptrace_kill, effect, "kernel/ptrace.c ptrace_resume (PTRACE_KILL)",                            \
    "PTRACE_KILL ends the tracee with SIGKILL")
