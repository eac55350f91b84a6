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

// Address -> "mnemonic operands" with runs of blanks squeezed to one space: objdump -M intel for
// x86_64, binutils-aarch64-linux-gnu's objdump for aarch64.
std::map<uint64_t, std::string> disassemble(const Code& code) {
  char path[] = "/tmp/ptmc-codegen-XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, code.bytes.data(), code.used), static_cast<ssize_t>(code.used));
  close(fd);
  char cmd[512];
  const char* objdump = code.arch == Arch::aarch64
                            ? "aarch64-linux-gnu-objdump -D -b binary -m aarch64"
                            : "objdump -D -b binary -m i386:x86-64 -M intel";
  snprintf(cmd, sizeof cmd, "%s --adjust-vma=0x%llx %s 2>&1", objdump,
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
      if (c == '\t') c = ' ';
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

// objdump sees exactly the expected instruction at every address of the Loc table, and nothing
// but `padding` elsewhere, so that no address outside the table starts a block instruction.
void expect_listing(const Code& code, const std::vector<std::string>& program_text,
                    const std::vector<std::string>& handler_text, const std::string& padding) {
  const auto dis = disassemble(code);
  ASSERT_FALSE(dis.empty()) << "objdump produced nothing (scripts/setup.sh installs binutils and "
                               "binutils-aarch64-linux-gnu)";
  for (size_t i = 0; i < program_text.size(); ++i) {
    const auto it = dis.find(code.program_addr[i]);
    ASSERT_NE(it, dis.end()) << "no instruction starts at program index " << i;
    EXPECT_EQ(it->second, program_text[i]) << "program index " << i;
  }
  for (size_t i = 0; i < handler_text.size(); ++i) {
    const auto it = dis.find(code.handler_addr[i]);
    ASSERT_NE(it, dis.end()) << "no instruction starts at handler index " << i;
    EXPECT_EQ(it->second, handler_text[i]) << "handler index " << i;
  }
  for (const auto& [addr, text] : dis) {
    if (code.loc_of(addr).space == Loc::Space::outside) {
      EXPECT_EQ(text, padding) << hex(addr);
    }
  }
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
  expect_listing(*code, program_text, handler_text, "int3");
}

// The same alphabet on arm64 (docs/scenario-format.md's table), checked against binutils'
// aarch64 disassembler.
TEST(CodegenAarch64, EncodingsMatchObjdump) {
  Scenario s;
  s.profile = "linux-aarch64";
  s.program = {I(Op::nop),
               I(Op::set_nr, nr::getpid),
               I(Op::set_nr, nr::write),
               I(Op::set_nr, nr::kill),
               I(Op::set_nr, nr::exit_group),
               I(Op::set_nr, nr::none),
               I(Op::set_nr, nr::invalid),
               I(Op::set_arg, 0, Arg::buf),
               I(Op::set_arg, 0, Arg::sigusr1),
               I(Op::set_arg, 0, Arg::sigusr2),
               I(Op::syscall),
               I(Op::int3),
               I(Op::cmp),
               I(Op::setz)};
  s.handler = {I(Op::nop), I(Op::cmp)};
  std::string error;
  const auto code = generate(s, &error);
  ASSERT_TRUE(code) << error;
  EXPECT_EQ(code->arch, Arch::aarch64);

  const size_t n = s.program.size();
  const size_t h = s.handler.size();
  ASSERT_EQ(code->program_addr.size(), n + 3);
  ASSERT_EQ(code->handler_addr.size(), h + 4);
  for (size_t i = 0; i + 1 < code->program_addr.size(); ++i)
    EXPECT_EQ(code->program_addr[i + 1] - code->program_addr[i], 4u) << "program index " << i;

  // include/uapi/asm-generic/unistd.h: getpid 172, write 64, kill 129, exit_group 94,
  // rt_sigreturn 139. objdump prints movz/movn as mov.
  const std::vector<std::string> program_text = {
      "nop",
      "mov x8, #0xac // #172",
      "mov x8, #0x40 // #64",
      "mov x8, #0x81 // #129",
      "mov x8, #0x5e // #94",
      "mov x8, #0xffffffffffffffff // #-1",
      "mov x8, #0x3e7 // #999",
      "mov x1, #0xc0100000 // #3222274048",
      "mov x1, #0xa // #10",
      "mov x1, #0xc // #12",
      "svc #0x0",
      "brk #0x0",
      "cmp x0, #0x1",
      "cset x7, eq // eq = none",
      // The exit tail.
      "mov x8, #0x5e // #94",
      "svc #0x0",
      "b 0x" + hex(code->program_addr[n]).substr(2),
  };
  const std::vector<std::string> handler_text = {
      "nop",      "cmp x0, #0x1",
      "nop",      "mov x8, #0x8b // #139",
      "svc #0x0", "b 0x" + hex(code->handler_addr[h + 1]).substr(2),
  };
  expect_listing(*code, program_text, handler_text, "brk #0x0");
  // The restorer is the tail's `nr rt_sigreturn`, as on x86_64.
  EXPECT_EQ(code->restorer(), code->handler_addr[h + 1]);
}

TEST(CodegenAarch64, NoMeaningIsAnError) {
  for (const Insn& in :
       {I(Op::pushf), I(Op::popf), I(Op::or_tf), I(Op::and_tf), I(Op::set_nr, 60)}) {
    Scenario s;
    s.profile = "linux-aarch64";
    s.program = {I(Op::nop), in};
    std::string error;
    EXPECT_FALSE(generate(s, &error)) << format_insn(in);
    EXPECT_NE(error.find("program[1]: "), std::string::npos) << error;
    EXPECT_NE(error.find("has no meaning on aarch64"), std::string::npos) << error;
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
