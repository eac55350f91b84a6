// Register-level rules of x86_64, written once and generic over the word type W.
//
// W is uint64_t in the explicit-state model; a Z3 bit-vector expression works too, because each
// function uses only the operators &, |, ~, == and `select` (declared for both). That is how the
// symbolic prover and the explorer share one copy of these semantics.
#pragma once

#include <cstdint>

namespace ptmc::x86 {

// RFLAGS bits (Intel SDM vol. 1, 3.4.3).
inline constexpr uint64_t CF = 1u << 0;
inline constexpr uint64_t FIXED1 = 1u << 1; // always reads as 1
inline constexpr uint64_t ZF = 1u << 6;
inline constexpr uint64_t TF = 1u << 8;
inline constexpr uint64_t IF = 1u << 9;

// The bits the model tracks; the others never influence anything the alphabet observes.
inline constexpr uint64_t kTracked = CF | ZF | TF | IF | FIXED1;

// The flags a user process starts with at instruction 0: the agent writes 0x246 (ZF, PF, IF and
// the fixed bit); PF is not tracked.
inline constexpr uint64_t kInitialFlags = FIXED1 | ZF | IF;

// IA32_FMASK as Linux programs it: arch/x86/kernel/cpu/common.c `idt_syscall_init` writes
// MSR_SYSCALL_MASK with X86_EFLAGS_TF|DF|IF|IOPL|AC|NT, so SYSCALL clears TF and IF on entry.
inline constexpr uint64_t kLinuxFmask = TF | IF;

inline uint64_t select(bool c, uint64_t a, uint64_t b) {
  return c ? a : b;
}

// SYSCALL: RFLAGS in the kernel = user RFLAGS & ~FMASK (Intel SDM vol. 2B, SYSCALL).
template <class W> W rflags_on_syscall_entry(const W& user_rflags, const W& fmask) {
  return user_rflags & ~fmask;
}

// `cmp rax, 1`: ZF = (rax == 1); CF = borrow of rax - 1, i.e. rax <u 1, i.e. rax == 0.
template <class W> W rflags_after_cmp1(const W& rflags, const W& rax) {
  W cleared = rflags & ~W(CF | ZF);
  return cleared | select(rax == W(1), W(ZF), W(0)) | select(rax == W(0), W(CF), W(0));
}

// `setz bl`: the low byte of rbx becomes ZF (the model's rbx is only that byte).
template <class W> W rbx_after_setz(const W& rflags) {
  return select((rflags & W(ZF)) == W(ZF), W(1), W(0));
}

// `popfq` in user mode at CPL 3: IF and IOPL are not changed by a CPL-3 popf when IOPL < 3
// (Intel SDM vol. 2B, POPF), so only the arithmetic flags and TF come from the stack.
template <class W> W rflags_after_popf(const W& rflags, const W& popped) {
  W from_stack = W(CF | ZF | TF);
  return (rflags & ~from_stack) | (popped & from_stack);
}

// PTRACE_GETREGS's view of rflags: arch/x86/kernel/ptrace.c `get_flags` hides a TF that the
// debugger set (TIF_FORCED_TF).
template <class W> W rflags_as_read(const W& rflags, bool forced_tf) {
  return select(forced_tf, rflags & ~W(TF), rflags);
}

// PTRACE_SETREGS's write of rflags: arch/x86/kernel/ptrace.c `set_flags` keeps a debugger TF
// (TIF_FORCED_TF) when the written value has TF clear; a written TF=1 becomes the user's.
template <class W> W rflags_as_written(const W& value, bool forced_tf) {
  return select(forced_tf, value | W(TF), value);
}

// Single-step arming: arch/x86/kernel/step.c `enable_single_step` does `regs->flags |= TF`.
template <class W> W rflags_arm_step(const W& rflags) {
  return rflags | W(TF);
}

// The Redox seed bug #3: `regs.iret.rflags = 1 << 8`, assignment instead of `|=`.
template <class W> W rflags_arm_step_by_assignment(const W&) {
  return W(TF);
}

// rt_sigreturn restores the flags in FIX_EFLAGS (arch/x86/kernel/signal.c,
// `restore_sigcontext`), which include TF, ZF, CF; IF is not among them.
template <class W> W rflags_from_sigframe(const W& current, const W& saved) {
  W fix = W(CF | ZF | TF);
  return (current & ~fix) | (saved & fix);
}

// Entering a handler: arch/x86/kernel/signal.c `handle_signal` clears DF, RF and TF.
template <class W> W rflags_for_handler(const W& rflags) {
  return rflags & ~W(TF);
}

} // namespace ptmc::x86
