// The Linux x86_64 glue layer's rules: arch/x86 code that the generic Linux layer calls into
// (syscall entry and dispatch, single-step bookkeeping, register access, traps, signal frames).
#pragma once

#define PTMC_RULES_LINUX_X86_64(X)                                                                 \
  X(entry_orig_rax, effect, "arch/x86/entry/entry_64.S entry_SYSCALL_64",                          \
    "orig_rax = syscall number on syscall entry")                                                  \
  X(entry_rax_enosys, effect, "arch/x86/entry/entry_64.S entry_SYSCALL_64",                        \
    "rax = -ENOSYS on syscall entry (pushq $-ENOSYS into pt_regs->ax)")                            \
  X(entry_fmask_clears_tf, effect, "arch/x86/kernel/cpu/common.c syscall_init",                    \
    "SYSCALL clears TF through MSR_SYSCALL_MASK, so the kernel never runs with TF")                \
  X(sys_minus1_keeps_rax, decision, "arch/x86/entry/common.c do_syscall_64",                       \
    "nr == -1 runs nothing and leaves rax as it is (the tracer's result)")                         \
  X(sys_invalid_enosys, effect, "arch/x86/entry/common.c do_syscall_64 (b337b4965e3a, 5.14)",      \
    "an invalid nr other than -1 sets rax = -ENOSYS")                                              \
  X(sys_sigreturn_restores, effect, "arch/x86/kernel/signal_64.c rt_sigreturn",                    \
    "rt_sigreturn restores the saved frame: rip, rax, rbx, rsi, FIX_EFLAGS bits, the stack")       \
  X(sys_sigreturn_orig_rax, effect, "arch/x86/kernel/signal.c restore_sigcontext",                 \
    "rt_sigreturn sets orig_rax = -1 so no syscall restart follows")                               \
  X(exit_step_si_code, choice, "arch/x86/kernel/ptrace.c user_single_step_report",                 \
    "the syscall-exit step report is SIGTRAP with si_code TRAP_BRKPT")                             \
  X(step_enable, effect, "arch/x86/kernel/step.c enable_single_step",                              \
    "stepping sets TIF_SINGLESTEP, SYSCALL_EXIT_TRAP and TF in the user frame")                    \
  X(step_forced_tf, decision, "arch/x86/kernel/step.c enable_single_step",                         \
    "TIF_FORCED_TF marks a TF the debugger set, unless the user had it set already")               \
  X(step_popf_is_users, decision, "arch/x86/kernel/step.c is_setting_trap_flag",                   \
    "stepping onto popf leaves TF to the user (TIF_FORCED_TF cleared)")                            \
  X(step_disable, effect, "arch/x86/kernel/step.c user_disable_single_step",                       \
    "a non-step resume clears TIF_SINGLESTEP and SYSCALL_EXIT_TRAP")                               \
  X(step_disable_clears_forced_tf, decision, "arch/x86/kernel/step.c user_disable_single_step",    \
    "a non-step resume clears TF only if the debugger set it (TIF_FORCED_TF)")                     \
  X(regs_get_hides_forced_tf, decision, "arch/x86/kernel/ptrace.c get_flags",                      \
    "GETREGS hides a TF that the debugger set")                                                    \
  X(regs_set_keeps_forced_tf, decision, "arch/x86/kernel/ptrace.c set_flags",                      \
    "SETREGS keeps a debugger TF; writing TF=1 hands TF to the user")                              \
  X(trap_db_si_code, choice, "arch/x86/kernel/traps.c exc_debug_user, asm/traps.h get_si_code",    \
    "#DB from a single step sends SIGTRAP with si_code TRAP_TRACE")                                \
  X(trap_int3, effect, "arch/x86/kernel/traps.c do_int3_user",                                     \
    "int3 sends SIGTRAP with si_code SI_KERNEL, rip past the int3")                                \
  X(exc_orig_rax, effect, "arch/x86/entry/entry_64.S idtentry (pushq $-1)",                        \
    "an exception entry sets orig_rax = -1")                                                       \
  X(sig_handler_frame, effect, "arch/x86/kernel/signal.c handle_signal, setup_rt_frame",           \
    "delivery to a handler saves the frame, enters h0 with rax = 0, blocks SIGUSR1")               \
  X(sig_handler_clears_tf, effect, "arch/x86/kernel/signal.c handle_signal",                       \
    "the handler starts with TF clear")                                                            \
  X(sig_handler_disables_step, effect, "arch/x86/kernel/signal.c handle_signal",                   \
    "delivery while stepping calls user_disable_single_step before saving the frame")              \
  X(pushf_leaks_tf, decision, "Intel SDM vol. 2B PUSHF; arch/x86/kernel/step.c has no pushf case", \
    "pushf pushes the live TF, a debugger's TF included")
