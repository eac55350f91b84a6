// The x86_64 register file as the model keeps it: the registers the instruction alphabet reads
// or writes, in a fixed-size, trivially copyable record. A kernel saves and restores whole
// frames (a signal frame is a copy of one), so this is also the unit of a signal frame.
#pragma once

#include <cstdint>

namespace ptmc::x86 {

struct Frame {
  int64_t rax;
  uint16_t rflags;    // only the bits in x86::kTracked
  uint16_t stack_top; // the pushed rflags image, valid when stack_depth == 1
  uint8_t pc_space;   // Loc::Space
  uint8_t pc;
  uint8_t rbx;
  uint8_t rsi;         // an Arg, or kArgFramePtr in a handler
  uint8_t stack_depth; // 0 or 1: the alphabet pushes at most one value at a time
  // Not a register: what the program at rip has been committed to (a Peek). The explorer
  // chooses instructions lazily, and a kernel that looks at the next instruction before it runs
  // (Linux's step.c) fixes part of that choice early; docs/state-vector.md explains it.
  uint8_t peek;
  uint8_t rdi;       // 0 in the program; the signal number in a handler
  uint8_t rsp_moved; // the handler's `add rsp, 8` ran: rsp points at the signal frame
  uint8_t pad_[4];
};
static_assert(sizeof(Frame) == 24);

// rsi at handler entry: &siginfo, a valid pointer (the Arg values are 0..2).
inline constexpr uint8_t kArgFramePtr = 3;

} // namespace ptmc::x86
