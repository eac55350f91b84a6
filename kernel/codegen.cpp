// Encodings of the scenario alphabet: x86_64 (Intel SDM vol. 2) and aarch64 (Arm ARM DDI 0487,
// A64 instruction set), both checked against objdump by tests/kernel/test_codegen.cpp.
#include "kernel/codegen.hpp"

#include <algorithm>
#include <limits>

namespace ptmc::kernel {

namespace {

void put32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void put64(std::vector<uint8_t>& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

uint32_t arg_value(Arg a) {
  switch (a) {
  case Arg::buf:
    return static_cast<uint32_t>(kBufAddr);
  case Arg::sigusr1:
    return static_cast<uint32_t>(sig::usr1);
  case Arg::sigusr2:
    return static_cast<uint32_t>(sig::usr2);
  }
  return static_cast<uint32_t>(kBufAddr);
}

static_assert(kBufAddr < (uint64_t{1} << 32), "mov esi, imm32 needs buf below 4 GiB");

constexpr uint64_t kHandlerAlign = 16;

} // namespace

std::vector<uint8_t> encode_insn(const Insn& insn, int32_t jmp_rel) {
  std::vector<uint8_t> out;
  switch (insn.op) {
  case Op::nop:
    out = {0x90};
    break;
  case Op::set_nr:
    if (insn.imm >= std::numeric_limits<int32_t>::min() &&
        insn.imm <= std::numeric_limits<int32_t>::max()) {
      out = {0x48, 0xc7, 0xc0}; // mov rax, imm32 (sign-extended)
      put32(out, static_cast<uint32_t>(static_cast<int32_t>(insn.imm)));
    } else {
      out = {0x48, 0xb8}; // movabs rax, imm64: still one instruction
      put64(out, static_cast<uint64_t>(insn.imm));
    }
    break;
  case Op::set_arg:
    out = {0xbe}; // mov esi, imm32 (zero-extends into rsi)
    put32(out, arg_value(insn.arg));
    break;
  case Op::syscall:
    out = {0x0f, 0x05};
    break;
  case Op::int3:
    out = {0xcc};
    break;
  case Op::cmp:
    out = {0x48, 0x83, 0xf8, 0x01};
    break; // cmp rax, 1
  case Op::setz:
    out = {0x0f, 0x94, 0xc3};
    break; // setz bl
  case Op::pushf:
    out = {0x9c};
    break;
  case Op::or_tf:
    out = {0x48, 0x81, 0x0c, 0x24, 0x00, 0x01, 0x00, 0x00};
    break; // or [rsp],0x100
  case Op::and_tf:
    out = {0x48, 0x81, 0x24, 0x24, 0xff, 0xfe, 0xff, 0xff};
    break; // and [rsp],-0x101
  case Op::popf:
    out = {0x9d};
    break;
  case Op::add_rsp8:
    out = {0x48, 0x83, 0xc4, 0x08};
    break;
  case Op::jmp:
    out = {0xe9};
    put32(out, static_cast<uint32_t>(jmp_rel));
    break;
  }
  return out;
}

namespace {

// A64 encodings (Arm ARM C6, "A64 Base Instruction Descriptions").
constexpr uint32_t kA64Nop = 0xd503201f;
constexpr uint32_t kA64Svc0 = 0xd4000001;      // svc #0
constexpr uint32_t kA64Brk0 = 0xd4200000;      // brk #0
constexpr uint32_t kA64CmpX0Imm1 = 0xf100041f; // subs xzr, x0, #1
constexpr uint32_t kA64CsetX7Eq = 0x9a9f17e7;  // csinc x7, xzr, xzr, ne
constexpr uint32_t kA64B = 0x14000000;         // b imm26 (words)
constexpr unsigned kX1 = 1, kX8 = 8;

// One movz or movn that puts `value` into x`reg`, or nullopt when no single one can.
std::optional<uint32_t> a64_mov(unsigned reg, int64_t value) {
  constexpr uint32_t kMovz = 0xd2800000, kMovn = 0x92800000; // 64-bit, hw in bits 22:21
  const auto u = static_cast<uint64_t>(value);
  for (uint32_t hw = 0; hw < 4; ++hw) {
    const unsigned shift = 16 * hw;
    if ((u & ~(uint64_t{0xffff} << shift)) == 0)
      return kMovz | hw << 21 | static_cast<uint32_t>((u >> shift) & 0xffff) << 5 | reg;
    if ((~u & ~(uint64_t{0xffff} << shift)) == 0)
      return kMovn | hw << 21 | static_cast<uint32_t>((~u >> shift) & 0xffff) << 5 | reg;
  }
  return std::nullopt;
}

} // namespace

std::optional<uint32_t> encode_insn_aarch64(const Insn& insn, int64_t branch_rel,
                                            std::string* error) {
  const auto fail = [&](std::string why) -> std::optional<uint32_t> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  if (const auto why = unsupported_on(Arch::aarch64, insn)) return fail(*why);
  switch (insn.op) {
  case Op::nop:
  case Op::add_rsp8: // the slot only: see codegen.hpp
    return kA64Nop;
  case Op::set_nr: {
    const int64_t number = *syscall_number(Arch::aarch64, insn.imm);
    if (const auto word = a64_mov(kX8, number)) return word;
    return fail("syscall number " + std::to_string(number) + " is not one aarch64 mov");
  }
  case Op::set_arg:
    return a64_mov(kX1, arg_value(insn.arg)); // every Arg value is one movz
  case Op::syscall:
    return kA64Svc0;
  case Op::int3:
    return kA64Brk0;
  case Op::cmp:
    return kA64CmpX0Imm1;
  case Op::setz:
    return kA64CsetX7Eq;
  case Op::jmp:
    if (branch_rel % 4 != 0 || branch_rel < -(int64_t{1} << 27) || branch_rel >= (int64_t{1} << 27))
      return fail("branch out of range");
    return kA64B | (static_cast<uint32_t>(branch_rel / 4) & 0x03ffffff);
  case Op::pushf:
  case Op::or_tf:
  case Op::and_tf:
  case Op::popf:
    break; // unsupported_on refused them above
  }
  return fail(format_insn(insn) + " has no aarch64 encoding");
}

std::vector<Insn> program_block(const Scenario& s) {
  std::vector<Insn> b = s.program;
  const auto n = static_cast<int64_t>(b.size());
  b.push_back(Insn{Op::set_nr, nr::exit_group, Arg::buf});
  b.push_back(Insn{Op::syscall, 0, Arg::buf});
  b.push_back(Insn{Op::jmp, n, Arg::buf});
  return b;
}

std::vector<Insn> handler_block(const Scenario& s) {
  std::vector<Insn> b = s.handler;
  const auto nr_index = static_cast<int64_t>(b.size() + 1);
  b.push_back(Insn{Op::add_rsp8, 0, Arg::buf});
  b.push_back(Insn{Op::set_nr, nr::rt_sigreturn, Arg::buf});
  b.push_back(Insn{Op::syscall, 0, Arg::buf});
  b.push_back(Insn{Op::jmp, nr_index, Arg::buf});
  return b;
}

namespace {

constexpr size_t kA64InsnSize = 4;

size_t insn_size(Arch arch, const Insn& in) {
  // The size never depends on the jmp displacement.
  return arch == Arch::aarch64 ? kA64InsnSize : encode_insn(in).size();
}

void put_a64(std::vector<uint8_t>& bytes, uint64_t addr, uint32_t word) {
  for (int i = 0; i < 4; ++i)
    bytes[static_cast<size_t>(addr - kCodeAddr) + static_cast<size_t>(i)] =
        static_cast<uint8_t>(word >> (8 * i)); // A64 instructions are little-endian words
}

// The bytes of block[i] at addrs[i]; addrs has one more entry, the block's end.
bool encode_at(Arch arch, const std::vector<Insn>& block, size_t i,
               const std::vector<uint64_t>& addrs, Code& code, std::string* error,
               const char* what) {
  int64_t target = 0;
  if (block[i].op == Op::jmp) {
    if (block[i].imm < 0 || static_cast<size_t>(block[i].imm) >= block.size()) {
      if (error) *error = std::string("a jmp outside the ") + what;
      return false;
    }
    target = static_cast<int64_t>(addrs[static_cast<size_t>(block[i].imm)]);
  }
  if (arch == Arch::aarch64) {
    std::string why;
    const auto word = encode_insn_aarch64(block[i], target - static_cast<int64_t>(addrs[i]), &why);
    if (!word) {
      if (error) *error = std::string(what) + "[" + std::to_string(i) + "]: " + why;
      return false;
    }
    put_a64(code.bytes, addrs[i], *word);
    return true;
  }
  const auto rel = static_cast<int32_t>(target - static_cast<int64_t>(addrs[i + 1]));
  const std::vector<uint8_t> bytes = encode_insn(block[i], block[i].op == Op::jmp ? rel : 0);
  std::copy(bytes.begin(), bytes.end(),
            code.bytes.begin() + static_cast<long>(addrs[i] - kCodeAddr));
  return true;
}

// Places `block` at `base` in `code`, recording each instruction's address in `addrs`.
bool place(const std::vector<Insn>& block, uint64_t base, Code& code, std::vector<uint64_t>& addrs,
           std::string* error, const char* what) {
  addrs.clear();
  uint64_t at = base;
  for (const Insn& in : block) {
    addrs.push_back(at);
    at += insn_size(code.arch, in);
  }
  addrs.push_back(at); // one past the end, for bounds
  if (at > kCodeAddr + kCodeSize) {
    if (error) *error = std::string("the ") + what + " does not fit in the code region";
    return false;
  }
  for (size_t i = 0; i < block.size(); ++i)
    if (!encode_at(code.arch, block, i, addrs, code, error, what)) return false;
  addrs.pop_back();
  return true;
}

// The padding between and after the blocks: a breakpoint, so that running off a block stops.
void fill_with_breakpoints(Code& code) {
  if (code.arch == Arch::x86_64) {
    code.bytes.assign(kCodeSize, 0xcc); // int3
    return;
  }
  code.bytes.assign(kCodeSize, 0);
  for (uint64_t a = kCodeAddr; a < kCodeAddr + kCodeSize; a += kA64InsnSize)
    put_a64(code.bytes, a, kA64Brk0);
}

} // namespace

std::optional<Code> generate(const Scenario& s, std::string* error) {
  Code code;
  code.arch = s.arch();
  fill_with_breakpoints(code);
  code.program_block = program_block(s);
  code.handler_block = handler_block(s);
  if (!place(code.program_block, kCodeAddr, code, code.program_addr, error, "program"))
    return std::nullopt;
  uint64_t end = kCodeAddr;
  for (const Insn& in : code.program_block) end += insn_size(code.arch, in);
  // At least one breakpoint between the blocks, so the program's end is not the handler's start.
  const uint64_t handler_base = (end + kHandlerAlign) & ~(kHandlerAlign - 1);
  if (!place(code.handler_block, handler_base, code, code.handler_addr, error, "handler"))
    return std::nullopt;
  code.used = handler_base - kCodeAddr;
  for (const Insn& in : code.handler_block) code.used += insn_size(code.arch, in);
  return code;
}

Loc Code::loc_of(uint64_t rip) const {
  auto find = [rip](const std::vector<uint64_t>& addrs) -> std::optional<uint16_t> {
    auto it = std::lower_bound(addrs.begin(), addrs.end(), rip);
    if (it == addrs.end() || *it != rip) return std::nullopt;
    return static_cast<uint16_t>(it - addrs.begin());
  };
  if (auto i = find(program_addr)) return Loc{Loc::Space::program, *i};
  if (auto i = find(handler_addr)) return Loc{Loc::Space::handler, *i};
  return Loc{Loc::Space::outside, 0};
}

std::optional<uint64_t> Code::addr_of(Loc loc) const {
  const std::vector<uint64_t>* addrs = nullptr;
  if (loc.space == Loc::Space::program) addrs = &program_addr;
  if (loc.space == Loc::Space::handler) addrs = &handler_addr;
  if (!addrs || loc.index >= addrs->size()) return std::nullopt;
  return (*addrs)[loc.index];
}

} // namespace ptmc::kernel
