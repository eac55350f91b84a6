// The AArch64 CPU layer's rules: what the processor does, from the Arm Architecture Reference
// Manual for A-profile (DDI 0487): the A64 instructions of the alphabet and software step
// (chapter D2, "Software Step exceptions"). Nothing here knows about ptrace or any kernel.
#pragma once

#define PTMC_RULES_CPU_AARCH64(X)                                                                  \
  X(a64_user_insn, effect, "Arm ARM C6: NOP, MOVZ/MOVN, SUBS (CMP), CSINC (CSET), B",              \
    "user instructions update x0, x1, x7, x8, NZCV and pc as the A64 descriptions say")            \
  X(a64_step_after_insn, decision, "Arm ARM D2 Software Step: active-not-pending",                 \
    "with software step active and PSTATE.SS = 1, a completed instruction is followed by a "       \
    "Software Step exception (taken with SPSR.SS = 0)")                                            \
  X(a64_svc_step_pending, decision, "Arm ARM D2 Software Step: exception-generating instructions", \
    "an SVC stepped from active-not-pending completes and takes its exception with SPSR.SS = 0: "  \
    "the step is then pending for the return")                                                     \
  X(a64_brk_no_advance, effect, "Arm ARM D1 (BRK's preferred return address is the BRK itself)",   \
    "BRK takes its exception before it completes: ELR, and pc, stay on the brk")                   \
  X(a64_eret_pending_step, decision, "Arm ARM D2 Software Step: active-pending",                   \
    "an exception return with software step active and SPSR.SS = 0 takes the Software Step "       \
    "exception before any instruction")                                                            \
  X(a64_eret_ss_inactive, effect, "Arm ARM J1 DebugExceptionReturnSS",                             \
    "an exception return with software step inactive (MDSCR_EL1.SS = 0) sets PSTATE.SS = 0")
