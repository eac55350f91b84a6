// The Linux arm64 glue layer's rules: arch/arm64 code of Linux 6.1 (the kernel Debian ships and
// the qemu-aarch64 target boots) that the generic Linux layer calls into. arm64 in 6.1 does not
// use the generic entry code: its syscall entry and exit work is arch/arm64/kernel/syscall.c
// el0_svc_common and ptrace.c syscall_trace_enter/syscall_trace_exit/report_syscall.
// docs/arm64-observations.md has what the kernel was seen to do.
#pragma once

#define PTMC_RULES_LINUX_AARCH64(X)                                                                \
  X(arm64_entry_syscallno, effect, "arch/arm64/kernel/syscall.c el0_svc_common, do_el0_svc",       \
    "svc entry sets syscallno = (int)x8 and keeps x0: x0 is the first argument, no -ENOSYS "       \
    "preset")                                                                                      \
  X(arm64_entry_nosys_preset, decision, "arch/arm64/kernel/syscall.c el0_svc_common",              \
    "with syscall work (always here: the agent's seccomp filter sets TIF_SECCOMP), a syscall "     \
    "numbered -1 by the program gets x0 = -ENOSYS before the entry stop")                          \
  X(arm64_entry_work_captured, effect, "arch/arm64/kernel/ptrace.c syscall_trace_enter",           \
    "the thread flags are read once, before the entry stop; the EMU skip uses that reading")       \
  X(arm64_entry_stop, decision, "arch/arm64/kernel/ptrace.c syscall_trace_enter",                  \
    "TIF_SYSCALL_TRACE or TIF_SYSCALL_EMU gives a syscall-enter-stop (report_syscall)")            \
  X(arm64_entry_emu_skips, decision, "arch/arm64/kernel/ptrace.c syscall_trace_enter",             \
    "TIF_SYSCALL_EMU in the flags read at entry returns NO_SYSCALL: the syscall is skipped")       \
  X(arm64_sys_minus1_keeps_x0, decision,                                                           \
    "arch/arm64/kernel/syscall.c el0_svc_common (trace_exit)",                                     \
    "syscallno -1 after the entry work runs nothing and leaves x0 as it is")                       \
  X(arm64_sys_invalid_enosys, effect, "arch/arm64/kernel/syscall.c invoke_syscall, do_ni_syscall", \
    "a number at or above __NR_syscalls returns -ENOSYS in x0")                                    \
  X(arm64_sys_sigreturn_restores, effect, "arch/arm64/kernel/signal.c restore_sigframe",           \
    "rt_sigreturn restores pc, the registers and NZCV from the frame")                             \
  X(arm64_sys_sigreturn_forgets, effect, "arch/arm64/kernel/signal.c restore_sigframe",            \
    "rt_sigreturn sets syscallno = -1 (forget_syscall)")                                           \
  X(arm64_exit_step_report, decision, "arch/arm64/kernel/ptrace.c syscall_trace_exit",             \
    "at syscall exit, TIF_SINGLESTEP reports a step, under SYSEMU too (no EMU exception)")         \
  X(arm64_exit_trace_stop, decision, "arch/arm64/kernel/ptrace.c syscall_trace_exit",              \
    "at syscall exit, TIF_SYSCALL_TRACE gives a syscall-exit-stop")                                \
  X(arm64_exit_step_si_user, choice,                                                               \
    "include/linux/ptrace.h user_single_step_report (arm64 has no "                                \
    "ARCH_HAS_USER_SINGLE_STEP_REPORT)",                                                           \
    "the step reported at syscall exit is a forced SIGTRAP with si_code SI_USER")                  \
  X(arm64_stop_x7_dir, decision, "arch/arm64/kernel/ptrace.c report_syscall",                      \
    "at a syscall stop x7 reads 0 (entry) or 1 (exit); its value comes back after the stop, "      \
    "and a tracer's write to it is lost")                                                          \
  X(arm64_exc_syscallno, effect, "arch/arm64/kernel/entry.S kernel_entry (el0)",                   \
    "every exception from EL0 sets syscallno = NO_SYSCALL (-1)")                                   \
  X(arm64_brk_si_code, choice, "arch/arm64/kernel/debug-monitors.c brk_handler",                   \
    "brk sends SIGTRAP with si_code TRAP_BRKPT, pc still on the brk")                              \
  X(arm64_step_si_code, choice, "arch/arm64/kernel/debug-monitors.c single_step_handler",          \
    "a Software Step exception sends SIGTRAP with si_code TRAP_TRACE")                             \
  X(arm64_step_rewind, effect,                                                                     \
    "arch/arm64/kernel/debug-monitors.c single_step_handler, user_rewind_single_step",             \
    "after a step exception, SPSR.SS = 1 again while TIF_SINGLESTEP is set")                       \
  X(arm64_step_mdscr, decision, "arch/arm64/kernel/entry.S, asm/assembler.h enable_step_tsk",      \
    "software step is active on the return to EL0 exactly when TIF_SINGLESTEP is set "             \
    "(MDSCR_EL1.SS)")                                                                              \
  X(arm64_step_enable, effect, "arch/arm64/kernel/debug-monitors.c user_enable_single_step",       \
    "PTRACE_SINGLESTEP and SYSEMU_SINGLESTEP set TIF_SINGLESTEP")                                  \
  X(arm64_step_enable_sets_ss_once, decision,                                                      \
    "arch/arm64/kernel/debug-monitors.c user_enable_single_step (test_and_set)",                   \
    "SPSR.SS = 1 only when TIF_SINGLESTEP was clear; a step already armed keeps its SS, 0 after "  \
    "a stepped svc, so the next return takes the step at once")                                    \
  X(arm64_step_disable, effect, "arch/arm64/kernel/debug-monitors.c user_disable_single_step",     \
    "a non-step resume clears TIF_SINGLESTEP and leaves SPSR.SS as it is")                         \
  X(arm64_regs_set_resets_ss, effect,                                                              \
    "arch/arm64/kernel/ptrace.c valid_user_regs, debug-monitors.c user_regs_reset_single_step",    \
    "every register set the kernel installs (a NT_PRSTATUS write, sigreturn, a signal frame) "     \
    "gets SS = TIF_SINGLESTEP: a tracer's SS is lost")                                             \
  X(arm64_sig_forget_syscall, effect, "arch/arm64/kernel/signal.c do_signal",                      \
    "before dequeuing a signal after a syscall, syscallno = -1 (forget_syscall)")                  \
  X(arm64_sig_handler_frame, effect, "arch/arm64/kernel/signal.c setup_rt_frame, setup_return",    \
    "delivery to a handler saves the frame, enters h0 with x0 = the signal, x1 = &siginfo, NZCV "  \
    "kept, and blocks SIGUSR1")                                                                    \
  X(arm64_sig_handler_keeps_step, decision, "arch/arm64/kernel/signal.c handle_signal",            \
    "delivery while stepping leaves TIF_SINGLESTEP set (x86 disarms it): the handler is stepped")
