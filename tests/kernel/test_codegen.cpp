// The agent's code generator, checked against an independent disassembler: binutils' objdump
// must see exactly one instruction at every address in the Loc table, with the intended meaning.
#include "kernel/codegen.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <unistd.h>

namespace ptmc::kernel {
namespace {

Insn I(Op op, int64_t imm = 0, Arg arg = Arg::buf) {
  return Insn{op, imm, arg};
}

// Address -> "mnemonic operands" with runs of spaces squeezed, from objdump -M intel.
std::map<uint64_t, std::string> disassemble(const Code& code) {
  char path[] = "/tmp/ptmc-codegen-XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, code.bytes.data(), code.used), static_cast<ssize_t>(code.used));
  close(fd);
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "objdump -D -b binary -m i386:x86-64 -M intel --adjust-vma=0x%llx %s 2>&1",
           static_cast<unsigned long long>(kCodeAddr), path);
  FILE* p = popen(cmd, "r");
  EXPECT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while (p && (n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  if (p) pclose(p);
  unlink(path);

  std::map<uint64_t, std::string> insns;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    // "    10000000:\t48 c7 c0 27 00 00 00 \tmov    rax,0x27"; a continuation has no 3rd field.
    const size_t colon = line.find(":\t");
    if (colon == std::string::npos) continue;
    const size_t tab2 = line.find('\t', colon + 2);
    if (tab2 == std::string::npos) continue;
    const uint64_t addr = std::stoull(line.substr(0, colon), nullptr, 16);
    std::string text;
    for (char c : line.substr(tab2 + 1)) {
      if (c == ' ' && (text.empty() || text.back() == ' ')) continue;
      text += c;
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    insns[addr] = text;
  }
  return insns;
}

std::string hex(uint64_t v) {
  char b[32];
  snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

TEST(Codegen, EncodingsMatchObjdump) {
  Scenario s;
  s.program = {I(Op::nop),
               I(Op::set_nr, nr::getpid),
               I(Op::set_nr, nr::none),
               I(Op::set_nr, nr::invalid),
               I(Op::set_nr, int64_t{1} << 32), // does not fit imm32: movabs
               I(Op::set_arg, 0, Arg::buf),
               I(Op::set_arg, 0, Arg::sigusr1),
               I(Op::set_arg, 0, Arg::sigusr2),
               I(Op::syscall),
               I(Op::int3),
               I(Op::cmp),
               I(Op::setz),
               I(Op::pushf),
               I(Op::or_tf),
               I(Op::and_tf),
               I(Op::popf)};
  s.handler = {I(Op::nop), I(Op::cmp)};
  std::string error;
  const auto code = generate(s, &error);
  ASSERT_TRUE(code) << error;

  const size_t n = s.program.size();
  const size_t h = s.handler.size();
  ASSERT_EQ(code->program_addr.size(), n + 3);
  ASSERT_EQ(code->handler_addr.size(), h + 4);
  EXPECT_EQ(code->entry(), kCodeAddr);

  const std::vector<std::string> program_text = {
      "nop",
      "mov rax,0x27",
      "mov rax,0xffffffffffffffff",
      "mov rax,0x3e7",
      "movabs rax,0x100000000",
      "mov esi," + hex(kBufAddr),
      "mov esi,0xa",
      "mov esi,0xc",
      "syscall",
      "int3",
      "cmp rax,0x1",
      "sete bl",
      "pushf",
      "or QWORD PTR [rsp],0x100",
      "and QWORD PTR [rsp],0xfffffffffffffeff",
      "popf",
      // The exit tail.
      "mov rax,0xe7",
      "syscall",
      "jmp " + hex(code->program_addr[n]),
  };
  const std::vector<std::string> handler_text = {
      "nop",         "cmp rax,0x1", "add rsp,0x8",
      "mov rax,0xf", "syscall",     "jmp " + hex(code->handler_addr[h + 1]),
  };

  const auto dis = disassemble(*code);
  ASSERT_FALSE(dis.empty()) << "objdump produced nothing";
  for (size_t i = 0; i < program_text.size(); ++i) {
    const auto it = dis.find(code->program_addr[i]);
    ASSERT_NE(it, dis.end()) << "no instruction starts at program index " << i;
    EXPECT_EQ(it->second, program_text[i]) << "program index " << i;
  }
  for (size_t i = 0; i < handler_text.size(); ++i) {
    const auto it = dis.find(code->handler_addr[i]);
    ASSERT_NE(it, dis.end()) << "no instruction starts at handler index " << i;
    EXPECT_EQ(it->second, handler_text[i]) << "handler index " << i;
  }
  // Nothing else but int3 padding: every other instruction objdump sees is an int3 outside the
  // blocks, so that no address outside the table is the start of a block instruction.
  for (const auto& [addr, text] : dis) {
    const Loc l = code->loc_of(addr);
    if (l.space == Loc::Space::outside) {
      EXPECT_EQ(text, "int3") << hex(addr);
    }
  }
}

TEST(Codegen, LocTableIsExact) {
  Scenario s;
  s.program = {I(Op::set_nr, nr::kill), I(Op::set_arg, 0, Arg::sigusr1), I(Op::syscall)};
  s.handler = {I(Op::nop)};
  const auto code = generate(s);
  ASSERT_TRUE(code);
  for (uint16_t i = 0; i < code->program_addr.size(); ++i) {
    const Loc l{Loc::Space::program, i};
    EXPECT_EQ(code->loc_of(code->program_addr[i]), l);
    EXPECT_EQ(code->addr_of(l), code->program_addr[i]);
    // One byte in is inside an instruction (all of these are longer than one byte but the
    // jmp's successor), so it is outside.
    if (code->program_block[i].op != Op::nop && code->program_block[i].op != Op::int3) {
      EXPECT_EQ(code->loc_of(code->program_addr[i] + 1).space, Loc::Space::outside);
    }
  }
  for (uint16_t i = 0; i < code->handler_addr.size(); ++i) {
    const Loc l{Loc::Space::handler, i};
    EXPECT_EQ(code->loc_of(code->handler_addr[i]), l);
    EXPECT_EQ(code->addr_of(l), code->handler_addr[i]);
  }
  EXPECT_EQ(code->loc_of(0).space, Loc::Space::outside);
  EXPECT_EQ(code->loc_of(kCodeAddr + kCodeSize - 1).space, Loc::Space::outside);
  EXPECT_FALSE(code->addr_of(Loc{Loc::Space::program, 6}));
  EXPECT_FALSE(code->addr_of(Loc{Loc::Space::handler, 5}));
  EXPECT_FALSE(code->addr_of(Loc{Loc::Space::outside, 0}));
  // The restorer is the tail's `mov rax, 15`; the handler block starts after the program's.
  EXPECT_EQ(code->restorer(), code->handler_addr[2]);
  EXPECT_GT(code->handler_entry(), code->program_addr.back());
}

TEST(Codegen, EmptyProgramIsTheExitTail) {
  Scenario s;
  const auto code = generate(s);
  ASSERT_TRUE(code);
  ASSERT_EQ(code->program_block.size(), 3u);
  EXPECT_EQ(code->program_block[0], (Insn{Op::set_nr, nr::exit_group, Arg::buf}));
  EXPECT_EQ(code->program_block[1].op, Op::syscall);
  EXPECT_EQ(code->program_block[2], (Insn{Op::jmp, 0, Arg::buf}));
}

TEST(Codegen, TooLongIsAnError) {
  Scenario s;
  s.program.assign(kCodeSize, I(Op::nop));
  std::string error;
  EXPECT_FALSE(generate(s, &error));
  EXPECT_NE(error.find("does not fit"), std::string::npos) << error;
}

} // namespace
} // namespace ptmc::kernel
