// The x86_64 CPU layer's rules: what the processor does, from the Intel SDM. Nothing here knows
// about ptrace or any kernel; a kernel layer sees these only through the CPU's step outcome.
#pragma once

#define PTMC_RULES_CPU_X86_64(X)                                                                   \
  X(user_insn, effect, "Intel SDM vol. 2 (nop, mov, cmp, setz, pushf, popf, or, and)",             \
    "user instructions update registers, flags and the stack as the SDM says")                     \
  X(hw_trap_after_insn, decision, "Intel SDM vol. 3B 17.3.1.4 single-step trap",                   \
    "an instruction that began with TF set is followed by #DB")                                    \
  X(hw_no_trap_after_syscall, decision, "arch/x86/entry/entry_64.S, Intel SDM SYSCALL",            \
    "no #DB follows the SYSCALL instruction: FMASK cleared TF as it executed")
