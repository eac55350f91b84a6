// The AArch64 register file as the model keeps it: the registers the instruction alphabet reads
// or writes on arm64 (docs/scenario-format.md), in a fixed-size, trivially copyable record that
// is also the unit of a signal frame.
#pragma once

#include <cstdint>

namespace ptmc::a64 {

// The condition flags as the model keeps them in `nzcv` (PSTATE.N Z C V).
inline constexpr uint8_t N = 8, Z = 4, C = 2, V = 1;

struct Frame {
  int64_t x0;       // the result register, and the first argument of a syscall
  int16_t x8;       // the syscall number register: what `nr` loads (arm64's numbers)
  uint8_t pc_space; // Loc::Space
  uint8_t pc;
  // Not a register: what the program at pc has been committed to (a Peek). Arming a step on
  // arm64 reads no instruction, so only a brk that left pc on itself commits (to itself).
  // Named so the generic layer finds it.
  uint8_t peek;
  uint8_t x1;   // an Arg, or kArgFramePtr in a handler (&siginfo)
  uint8_t x7;   // set-if-equal's register: 0 or 1
  uint8_t nzcv; // N Z C V
  // PSTATE.SS as saved in SPSR_EL1: what NT_PRSTATUS shows, and what the exception return loads
  // into PSTATE.SS when software step is active.
  uint8_t ss;
  uint8_t pad_[7];
};
static_assert(sizeof(Frame) == 24);

// x1 at handler entry: &siginfo, a valid pointer (the Arg values are 0..2).
inline constexpr uint8_t kArgFramePtr = 3;

} // namespace ptmc::a64
