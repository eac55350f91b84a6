// The x86_64 CPU layer: one user-mode instruction of the alphabet, executed on a Frame.
//
// The CPU knows nothing of ptrace or of any kernel. It reports how the instruction left user
// mode, if it did (SYSCALL, int3) and whether the single-step trap (#DB) follows; the kernel layer
// on top decides what that means. Register arithmetic lives in regs.hpp, generic over the word
// type so that a symbolic engine can run the same functions.
#pragma once

#include "model/cpu/x86_64/frame.hpp"
#include "model/cpu/x86_64/regs.hpp"
#include "model/rules.hpp"
#include "scenario/scenario.hpp"

namespace ptmc::x86 {

// How an instruction ended, seen from the CPU.
enum class Exit : uint8_t {
  retired,         // it completed in user mode; the next instruction follows (or #DB first)
  syscall,         // SYSCALL: the kernel's entry point runs next, rip already past it
  breakpoint,      // int3: #BP, a trap-class exception, rip past the int3
  unrepresentable, // the instruction needs a second stack slot (or rsp moved twice): the model
                   // keeps one, so what follows is outside it
};

struct Step {
  Exit exit = Exit::retired;
  // #DB follows the instruction: it began with TF set (retired), or the SYSCALL mutant where
  // FMASK did not clear TF (syscall; the trap is taken on the return to user mode).
  bool single_step_trap = false;
  bool pushed_flags = false; // pushf wrote RFLAGS to the stack
};

// Whether an instruction loads TF itself (popf, iret): what a kernel asks before it arms a
// single step over it (Linux: arch/x86/kernel/step.c is_setting_trap_flag).
inline bool sets_trap_flag(Op op) {
  return op == Op::popf;
}

// RFLAGS in kernel mode right after SYSCALL, given the IA32_FMASK the kernel programmed.
inline uint64_t kernel_rflags_after_syscall(const Frame& f, uint64_t fmask) {
  return rflags_on_syscall_entry<uint64_t>(f.rflags, fmask);
}

inline Step execute(Frame& f, const Insn& in, RuleCtx& r) {
  Step step;
  const bool tf_before = f.rflags & TF;
  f.pc = static_cast<uint8_t>(f.pc + 1);
  // SYSCALL, int3 and the tails' jmp always run; the user instructions' register effects are one
  // rule, so a mutant can skip them.
  const bool kernel_or_jump = in.op == Op::syscall || in.op == Op::int3 || in.op == Op::jmp;
  const bool computes = kernel_or_jump || r.effect(RuleId::user_insn);
  auto unrepresentable = [&step] {
    step.exit = Exit::unrepresentable;
    return step;
  };
  switch (computes ? in.op : Op::nop) {
  case Op::nop:
    break;
  case Op::add_rsp8:
    if (f.rsp_moved) return unrepresentable();
    f.rsp_moved = 1;
    // add rsp, 8 sets the arithmetic flags from the new rsp: never zero, no carry on a sane stack.
    f.rflags &= static_cast<uint16_t>(~(ZF | CF));
    break;
  case Op::set_nr:
    f.rax = in.imm;
    break;
  case Op::set_arg:
    f.rsi = static_cast<uint8_t>(in.arg);
    break;
  case Op::cmp:
    f.rflags =
        static_cast<uint16_t>(rflags_after_cmp1<uint64_t>(f.rflags, static_cast<uint64_t>(f.rax)));
    break;
  case Op::setz:
    f.rbx = static_cast<uint8_t>(rbx_after_setz<uint64_t>(f.rflags));
    break;
  case Op::pushf:
    if (f.stack_depth == 1) return unrepresentable();
    f.stack_top = f.rflags; // the live RFLAGS, TF included (SDM vol. 2B PUSHF)
    f.stack_depth = 1;
    step.pushed_flags = true;
    break;
  // or/and set ZF from the result and clear CF (SDM vol. 2B OR, AND); the pushed image always
  // has bit 1 set, so the result is never zero.
  case Op::or_tf:
    if (f.stack_depth == 0) return unrepresentable();
    f.stack_top |= TF;
    f.rflags &= static_cast<uint16_t>(~(ZF | CF));
    break;
  case Op::and_tf:
    if (f.stack_depth == 0) return unrepresentable();
    f.stack_top &= static_cast<uint16_t>(~TF);
    f.rflags &= static_cast<uint16_t>(~(ZF | CF));
    break;
  case Op::popf:
    if (f.stack_depth == 0) return unrepresentable();
    f.rflags = static_cast<uint16_t>(rflags_after_popf<uint64_t>(f.rflags, f.stack_top));
    f.stack_depth = 0;
    f.stack_top = 0;
    break;
  case Op::jmp:
    f.pc = static_cast<uint8_t>(in.imm);
    break;
  case Op::int3:
  case Op::syscall:
    break;
  }
  if (in.op == Op::syscall) {
    step.exit = Exit::syscall;
    step.single_step_trap = !r.decide(RuleId::hw_no_trap_after_syscall, true) && tf_before;
    return step;
  }
  if (in.op == Op::int3) {
    step.exit = Exit::breakpoint;
    return step;
  }
  step.single_step_trap = r.decide(RuleId::hw_trap_after_insn, tf_before);
  return step;
}

} // namespace ptmc::x86
