// The AArch64 CPU layer: one EL0 instruction of the alphabet (as kernel/codegen.cpp encodes it
// for arm64) executed on a Frame, and the exception return to EL0, with software step.
//
// The CPU knows nothing of ptrace or of any kernel. It reports how the instruction left EL0, if
// it did (SVC, BRK), and whether a Software Step exception follows; whether software step is
// active (MDSCR_EL1.SS, which EL0 cannot write) is the kernel's to say.
//
// Software step (Arm ARM DDI 0487, D2 "Software Step exceptions") is a small state machine over
// PSTATE.SS: with step active, an exception return with SPSR.SS = 1 enters active-not-pending,
// one instruction runs, PSTATE.SS becomes 0 (active-pending) and the Software Step exception is
// taken; an exception return with SPSR.SS = 0 enters active-pending and the exception is taken
// before any instruction. The Frame's `ss` is the saved SPSR.SS a debugger reads.
#pragma once

#include "model/cpu/aarch64/frame.hpp"
#include "model/rules.hpp"
#include "scenario/scenario.hpp"

#include <cstdint>
#include <limits>

namespace ptmc::a64 {

// How an instruction ended, seen from the CPU.
enum class Exit : uint8_t {
  retired,    // it completed in EL0; the next instruction follows (or the step exception first)
  syscall,    // SVC: the kernel's synchronous exception handler runs, pc already past it
  breakpoint, // BRK: the exception is taken before it completes, pc on the brk
  undefined,  // no A64 meaning (the x86 alphabet's pushf, or_tf, and_tf, popf)
};

struct Step {
  Exit exit = Exit::retired;
  bool single_step_trap = false; // a Software Step exception follows the instruction
  bool completed = true;         // the instruction completed before its exception
};

// NZCV after SUBS xzr, x0, #1 (CMP x0, #1): AddWithCarry(x0, NOT(1), 1) of the Arm ARM.
inline uint8_t nzcv_after_cmp1(int64_t x0) {
  const auto x = static_cast<uint64_t>(x0);
  const uint64_t result = x - 1;
  uint8_t f = 0;
  if (result >> 63) f |= N;
  if (result == 0) f |= Z;
  if (x >= 1) f |= C; // carry out: no borrow
  if (x0 == std::numeric_limits<int64_t>::min()) f |= V;
  return f;
}

// Runs `in` at EL0. `step_active`: software step is active (then PSTATE.SS is 1 here: a return
// with SS = 0 took its step exception before reaching an instruction, see eret).
inline Step execute(Frame& f, const Insn& in, bool step_active, RuleCtx& r) {
  Step step;
  const uint8_t at = f.pc;
  f.pc = static_cast<uint8_t>(f.pc + 1);
  // SVC, BRK and the tails' B always run; the user instructions' register effects are one
  // rule, so a mutant can skip them.
  const bool kernel_or_jump = in.op == Op::syscall || in.op == Op::int3 || in.op == Op::jmp;
  const bool computes = kernel_or_jump || r.effect(RuleId::a64_user_insn);
  switch (computes ? in.op : Op::nop) {
  case Op::nop:
  case Op::add_rsp8: // a NOP on arm64 (kernel/codegen.hpp)
    break;
  case Op::set_nr:
    f.x8 = static_cast<int16_t>(syscall_number(Arch::aarch64, in.imm).value_or(nr::none));
    break;
  case Op::set_arg:
    f.x1 = static_cast<uint8_t>(in.arg);
    break;
  case Op::cmp:
    f.nzcv = nzcv_after_cmp1(f.x0);
    break;
  case Op::setz:
    f.x7 = (f.nzcv & Z) ? 1 : 0;
    break;
  case Op::jmp:
    f.pc = static_cast<uint8_t>(in.imm);
    break;
  case Op::syscall:
    step.exit = Exit::syscall;
    break;
  case Op::int3:
    step.exit = Exit::breakpoint;
    break;
  case Op::pushf:
  case Op::or_tf:
  case Op::and_tf:
  case Op::popf:
    step.exit = Exit::undefined;
    return step;
  }
  switch (step.exit) {
  case Exit::breakpoint:
    // The exception comes first: the brk has not completed, the step has not advanced, and the
    // exception's return address is the brk.
    if (r.effect(RuleId::a64_brk_no_advance)) f.pc = at;
    step.completed = false;
    return step;
  case Exit::syscall:
    if (step_active && r.decide(RuleId::a64_svc_step_pending, true)) f.ss = 0;
    return step;
  default:
    break;
  }
  step.single_step_trap = r.decide(RuleId::a64_step_after_insn, step_active);
  if (step.single_step_trap) f.ss = 0; // taken from active-pending
  return step;
}

// The exception return to EL0. Returns whether the Software Step exception is taken at once,
// before any instruction (active-pending); with step inactive, PSTATE.SS is cleared.
inline bool eret(Frame& f, bool step_active, RuleCtx& r) {
  if (!step_active) {
    if (r.effect(RuleId::a64_eret_ss_inactive)) f.ss = 0;
    return false;
  }
  return r.decide(RuleId::a64_eret_pending_step, f.ss == 0);
}

} // namespace ptmc::a64
