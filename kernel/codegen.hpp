// Code generation for the agent: a scenario's program and SIGUSR1 handler as machine code of the
// scenario's architecture at a fixed address, with the table that maps every instruction's start
// address back to its Loc.
//
// Layout of the code region (kCodeAddr, kCodeSize bytes, filled with breakpoints between blocks:
// int3 on x86_64, brk #0 on aarch64):
//   program block at kCodeAddr: program[0..N), then the exit tail
//       N: nr exit_group       N+1: syscall        N+2: jmp N
//   handler block, 16-byte aligned after it: handler[0..H), then the fixed tail
//       H: add rsp, 8          H+1: nr rt_sigreturn  H+2: syscall      H+3: jmp H+1
// The jmp instructions match the model (model/linux/x86_64/arch.cpp handler_with_tail, and the
// exit tail): a tracer that skips exit_group or rt_sigreturn loops instead of running off the
// block. On aarch64 the handler's `add rsp, 8` is a nop: the kernel leaves sp at the rt_sigframe
// (arch/arm64/kernel/signal.c get_sigframe, setup_return), where rt_sigreturn looks for it, so
// only x86_64 needs to move past the return address the frame setup pushed. Keeping the slot
// keeps every handler index the same on both architectures.
// The one-byte `buf` is at kBufAddr, on its own writable page below 4 GiB so that `arg buf` is
// one instruction (x86_64 `mov esi, imm32`, aarch64 `movz x1, #0xc010, lsl #16`).
#pragma once

#include "scenario/scenario.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ptmc::kernel {

// Fixed addresses below 4 GiB (buf is loaded with a 32-bit `mov esi, imm32`) and above where the
// brk heap of a static binary can start: on Linux 6.18 it was seen anywhere from 0x4dc000 to
// 0x404bd000 over 3000 runs, so 0x10000000 collided now and then ("mmap ...: File exists").
inline constexpr uint64_t kCodeAddr = 0xC0000000;
inline constexpr uint64_t kCodeSize = 0x10000; // 64 KiB: far more than any scenario needs
inline constexpr uint64_t kDataAddr = 0xC0100000;
inline constexpr uint64_t kDataSize = 0x1000;
inline constexpr uint64_t kBufAddr = kDataAddr;

// The bytes of one x86_64 instruction. Op::jmp is always `jmp rel32` (e9, 5 bytes); `jmp_rel` is
// its displacement from the end of the jmp. Every other encoding ignores it.
std::vector<uint8_t> encode_insn(const Insn& insn, int32_t jmp_rel = 0);

// The 32-bit word of one aarch64 instruction (Arm ARM DDI 0487, A64 encodings), or nullopt with
// `error` set when the instruction has none. Op::jmp is `b` with `branch_rel` the displacement
// from the branch itself. set_nr takes the alphabet's number and loads arm64's (syscall_number).
std::optional<uint32_t> encode_insn_aarch64(const Insn& insn, int64_t branch_rel = 0,
                                            std::string* error = nullptr);

struct Code {
  Arch arch = Arch::x86_64;
  std::vector<uint8_t> bytes;         // the whole region's image, kCodeSize bytes
  std::vector<uint64_t> program_addr; // address of program index i (N+3 entries)
  std::vector<uint64_t> handler_addr; // address of handler index i (H+4 entries)
  std::vector<Insn> program_block;    // the instructions as placed, tails included
  std::vector<Insn> handler_block;
  size_t used = 0; // bytes from the start up to the handler block's end

  uint64_t entry() const { return program_addr.front(); }
  uint64_t handler_entry() const { return handler_addr.front(); }
  // The sa_restorer the agent registers: the handler tail's `nr rt_sigreturn`. The handler never
  // returns through it (it makes its own rt_sigreturn), but SA_RESTORER needs a valid address.
  uint64_t restorer() const { return handler_addr[handler_addr.size() - 3]; }

  // pc -> Loc: exact for instruction start addresses, Loc::Space::outside for anything else.
  Loc loc_of(uint64_t rip) const;
  // Loc -> address, or nullopt when the Loc names no instruction of this code.
  std::optional<uint64_t> addr_of(Loc loc) const;
};

// The program block and handler block as placed (tails included); exposed for tests.
std::vector<Insn> program_block(const Scenario& s);
std::vector<Insn> handler_block(const Scenario& s);

// Generates the code for the scenario's architecture (its profile's); on failure (the code does
// not fit, or an instruction has no meaning on that architecture) returns nullopt and sets
// `error`.
std::optional<Code> generate(const Scenario& s, std::string* error = nullptr);

} // namespace ptmc::kernel
