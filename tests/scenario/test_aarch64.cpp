// The scenario language on aarch64: the architecture comes from the profile, instructions with no
// arm64 meaning and registers of the other architecture are errors where they are written, and
// arm64 trace lines have their own fields (docs/scenario-format.md, docs/trace-format.md).
#include "scenario/scenario.hpp"
#include "scenario_test_util.hpp"

#include <gtest/gtest.h>

#include <string>

namespace ptmc {
namespace {

const std::string kArmHead = "ptmc-scenario 1\nprofile linux-aarch64\n"; // lines 1-2
const std::string kX86Head = "ptmc-scenario 1\nprofile linux-x86_64\n";

TEST(Arch, FromTheProfileName) {
  EXPECT_EQ(arch_of_profile("linux-aarch64"), Arch::aarch64);
  EXPECT_EQ(arch_of_profile("linux-aarch64~sys-getpid"), Arch::aarch64);
  EXPECT_EQ(arch_of_profile("linux-x86_64"), Arch::x86_64);
  EXPECT_EQ(arch_of_profile("bug-no-fmask"), Arch::x86_64);
  EXPECT_EQ(arch_of_profile("linux-aarch64x"), Arch::x86_64); // a different name, not a delta
  EXPECT_EQ(arch_name(Arch::aarch64), "aarch64");
  EXPECT_EQ(arch_by_name("x86_64"), Arch::x86_64);
  EXPECT_FALSE(arch_by_name("arm64"));
}

TEST(Arch, SyscallNumbersFollowTheGenericTable) {
  // include/uapi/asm-generic/unistd.h
  EXPECT_EQ(syscall_number(Arch::aarch64, nr::getpid), 172);
  EXPECT_EQ(syscall_number(Arch::aarch64, nr::write), 64);
  EXPECT_EQ(syscall_number(Arch::aarch64, nr::kill), 129);
  EXPECT_EQ(syscall_number(Arch::aarch64, nr::exit_group), 94);
  EXPECT_EQ(syscall_number(Arch::aarch64, nr::rt_sigreturn), 139);
  EXPECT_EQ(syscall_number(Arch::aarch64, nr::none), -1);
  EXPECT_EQ(syscall_number(Arch::aarch64, nr::invalid), 999);
  EXPECT_FALSE(syscall_number(Arch::aarch64, 0)); // read on x86_64, io_setup on arm64
  EXPECT_EQ(syscall_number(Arch::x86_64, 0), 0);
  EXPECT_EQ(alphabet_syscall(Arch::aarch64, 172), nr::getpid);
  EXPECT_FALSE(alphabet_syscall(Arch::aarch64, 39));
}

TEST(Arch, EditKeysPerArchitecture) {
  EXPECT_EQ(edit_key(Reg::orig_rax, Arch::aarch64), "syscallno");
  EXPECT_EQ(edit_key(Reg::rax, Arch::aarch64), "x0");
  EXPECT_EQ(edit_key(Reg::rip, Arch::aarch64), "pc");
  EXPECT_EQ(edit_key(Reg::tf, Arch::aarch64), "ss");
  EXPECT_EQ(edit_key(Reg::tf, Arch::x86_64), "tf");
}

TEST(ParseAarch64, OneScenarioFamily) {
  const std::string body = "options tracesysgood\n"
                           "program:\n  nr getpid\n  syscall\n  int3\n  cmp\n  setz\n"
                           "handler:\n  nop\n"
                           "actions:\n  syscall\n  syscall syscallno=-1 x0=4242\n"
                           "  singlestep pc=h1 ss=1\n  repeat cont sig=pass max=3\n";
  const ParseResult r = parse_scenario(kArmHead + body, "arm.ptmc");
  ASSERT_TRUE(r.scenario) << r.error->what();
  const Scenario& s = *r.scenario;
  EXPECT_EQ(s.arch(), Arch::aarch64);
  ASSERT_EQ(s.program.size(), 5u);
  EXPECT_EQ(s.program[0], (Insn{Op::set_nr, nr::getpid, Arg::buf})); // the alphabet's numbering
  ASSERT_EQ(s.actions.size(), 3u);
  EXPECT_EQ(s.actions[1].edits,
            (std::vector<Edit>{Edit{Reg::orig_rax, -1, {}}, Edit{Reg::rax, 4242, {}}}));
  EXPECT_EQ(s.actions[2].edits, (std::vector<Edit>{Edit{Reg::rip, 0, Loc{Loc::Space::handler, 1}},
                                                   Edit{Reg::tf, 1, {}}}));
  // The same family on x86_64: only the register names differ.
  const std::string text = format_scenario(s);
  EXPECT_NE(text.find("syscall syscallno=-1 x0=4242"), std::string::npos) << text;
  EXPECT_NE(text.find("singlestep pc=h1 ss=1"), std::string::npos) << text;
  Scenario x86 = s;
  x86.profile = "linux-x86_64";
  const std::string x86_text = format_scenario(x86);
  EXPECT_NE(x86_text.find("syscall orig_rax=-1 rax=4242"), std::string::npos) << x86_text;
  const ParseResult again = parse_scenario(x86_text, "x86.ptmc");
  ASSERT_TRUE(again.scenario) << again.error->what();
  EXPECT_EQ(again.scenario->program, s.program);
  EXPECT_EQ(again.scenario->actions, s.actions);
}

struct BadCase {
  const char* name;
  std::string text;
  int line, column;
  std::string message; // the message starts with this
};

class BadAarch64Input : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadAarch64Input, IsAnErrorWhereItIsWritten) {
  const BadCase& c = GetParam();
  const ParseResult r = parse_scenario(c.text, "bad.ptmc");
  ASSERT_TRUE(r.error) << "accepted:\n" << c.text;
  EXPECT_EQ(r.error->line, c.line) << r.error->what();
  EXPECT_EQ(r.error->column, c.column) << r.error->what();
  EXPECT_EQ(r.error->message.substr(0, c.message.size()), c.message) << r.error->what();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadAarch64Input,
    ::testing::Values(
        BadCase{"Pushf", kArmHead + "program:\n  nop\n  pushf\n", 5, 3,
                "pushf has no meaning on aarch64"},
        BadCase{"OrTfInHandler", kArmHead + "program:\nhandler:\n  or_tf\n", 5, 3,
                "or_tf has no meaning on aarch64"},
        BadCase{"PopfAndTf", kArmHead + "program:\n  popf\n", 4, 3,
                "popf has no meaning on aarch64"},
        // 60 is exit on x86_64, a number the alphabet does not name (39 would be getpid).
        BadCase{"BareX86Number", kArmHead + "program:\n  nr 60\n", 4, 6,
                "'nr 60' has no meaning on aarch64: a bare number is an x86_64 syscall number"},
        BadCase{"X86RegisterOnArm", kArmHead + "program:\nactions:\n  syscall rax=1\n", 5, 11,
                "'rax=' is an x86_64 register; this scenario's profile is aarch64, which writes "
                "'x0='"},
        BadCase{"TfOnArm", kArmHead + "program:\nactions:\n  cont tf=1\n", 5, 8,
                "'tf=' is an x86_64 register"},
        BadCase{"ArmRegisterOnX86", kX86Head + "program:\nactions:\n  cont syscallno=-1\n", 5, 8,
                "'syscallno=' is an aarch64 register"},
        BadCase{"UnknownKeyListsArmKeys", kArmHead + "program:\nactions:\n  cont x1=1\n", 5, 8,
                "unknown key 'x1' (expected sig=, syscallno=, x0=, pc=, ss=)"},
        BadCase{"BadSs", kArmHead + "program:\nactions:\n  cont ss=2\n", 5, 11,
                "ss= must be 0 or 1"},
        BadCase{"X86LineInArmExpect",
                kArmHead + "program:\nexpect:\n"
                           "  initial at=0 sig=SIGSTOP code=SI_USER op=none rax=0 orig_rax=-1 "
                           "rbx=0 flags=ZF\n",
                5, 3, "expect: an x86_64 trace line in a scenario whose profile is aarch64"},
        BadCase{"BadPstateBit",
                kArmHead + "program:\nexpect:\n"
                           "  initial at=0 sig=SIGSTOP code=SI_USER op=none x0=0 x8=0 "
                           "syscallno=-1 x7=0 pstate=Z|T\n",
                5, 86, "expect: bad PSTATE bit 'T' (expected N, Z, C, V, SS joined by '|', or -)"},
        BadCase{"MissingSyscallno",
                kArmHead + "program:\nexpect:\n"
                           "  initial at=0 sig=SIGSTOP code=SI_USER op=none x0=0 x8=0 x7=0\n",
                5, 59, "expect: expected 'syscallno=' here, found 'x7=0'"}),
    [](const ::testing::TestParamInfo<BadCase>& i) { return std::string(i.param.name); });

// Lines copied from a run on Debian's 6.1 arm64 kernel under QEMU (docs/arm64-observations.md).
TEST(TraceLineAarch64, FormatAndParse) {
  const std::string lines[] = {
      "initial at=0 sig=SIGSTOP code=SI_USER op=none x0=0 x8=0 syscallno=-1 x7=0 pstate=Z",
      "syscall-enter at=2 sig=SIGTRAP code=0x85 op=entry x0=0 x8=172 syscallno=172 x7=0 pstate=Z",
      "step at=2 sig=SIGTRAP code=SI_USER op=none x0=pid x8=172 syscallno=-1 x7=0 pstate=Z",
      "step at=3 sig=SIGTRAP code=TRAP_TRACE op=none x0=1 x8=64 syscallno=-1 x7=0 "
      "pstate=Z|C|SS",
      "step at=1 sig=SIGTRAP code=TRAP_TRACE op=none x0=0 x8=0 syscallno=-1 x7=0 pstate=N|SS",
      "exited code=pid written=0",
  };
  for (const std::string& text : lines) {
    const TraceParseResult r = parse_trace_line(text);
    ASSERT_TRUE(r.line) << text << ": " << r.error;
    EXPECT_EQ(format_trace_line(*r.line), text);
  }
  const TraceLine t = *parse_trace_line(lines[3]).line;
  EXPECT_EQ(t.arch, Arch::aarch64);
  EXPECT_EQ(t.x0, 1);
  EXPECT_EQ(t.x8, 64);
  EXPECT_EQ(t.syscallno, -1);
  EXPECT_TRUE(t.z && t.c && t.ss);
  EXPECT_FALSE(t.n || t.v);
  EXPECT_EQ(parse_trace_line(lines[5]).line->exit_code, kPidToken);
}

TEST(ClassifyStop, Aarch64) {
  // brk is TRAP_BRKPT; a hardware step TRAP_TRACE; the syscall-exit step report SI_USER.
  EXPECT_EQ(classify_stop(sig::trap, code::trap_brkpt, SyscallOp::none, Arch::aarch64),
            StopKind::breakpoint);
  EXPECT_EQ(classify_stop(sig::trap, code::trap_trace, SyscallOp::none, Arch::aarch64),
            StopKind::step);
  EXPECT_EQ(classify_stop(sig::trap, code::si_user, SyscallOp::none, Arch::aarch64),
            StopKind::step);
  EXPECT_EQ(classify_stop(sig::trap, code::si_kernel, SyscallOp::none, Arch::aarch64),
            StopKind::signal);
  EXPECT_EQ(classify_stop(sig::trap, 5, SyscallOp::none, Arch::aarch64), StopKind::trap_notify);
  EXPECT_EQ(classify_stop(sig::trap, 0x85, SyscallOp::exit, Arch::aarch64), StopKind::syscall_exit);
  EXPECT_EQ(classify_stop(sig::usr1, code::si_user, SyscallOp::none, Arch::aarch64),
            StopKind::signal);
  // x86_64 is as before: TRAP_BRKPT is the syscall-exit step, SI_KERNEL the int3.
  EXPECT_EQ(classify_stop(sig::trap, code::trap_brkpt, SyscallOp::none), StopKind::step);
  EXPECT_EQ(classify_stop(sig::trap, code::si_kernel, SyscallOp::none), StopKind::breakpoint);
  EXPECT_EQ(classify_stop(sig::trap, code::si_user, SyscallOp::none), StopKind::signal);
}

TEST(CommonObservation, ProjectsBothArchitecturesOntoOneLine) {
  const TraceLine arm = *parse_trace_line("syscall-exit at=2 sig=SIGTRAP code=0x85 op=exit x0=pid "
                                          "x8=172 syscallno=172 x7=1 pstate=Z")
                             .line;
  const TraceLine x86 = *parse_trace_line("syscall-exit at=2 sig=SIGTRAP code=0x85 op=exit "
                                          "rax=pid orig_rax=39 rbx=1 flags=ZF")
                             .line;
  EXPECT_EQ(common_observation(arm), common_observation(x86));
  EXPECT_EQ(format_common(common_observation(arm)),
            "syscall-exit at=2 sig=SIGTRAP op=exit result=pid nr=getpid seteq=1 zero=1 step=0");
  // A number the alphabet does not name keeps its architecture.
  TraceLine io_setup = arm;
  io_setup.syscallno = 0;
  EXPECT_EQ(common_observation(io_setup).syscall, "aarch64:0");
  TraceLine read = x86;
  read.orig_rax = 0;
  EXPECT_EQ(common_observation(read).syscall, "x86_64:0");
  // si_code is not part of it: the kinds carry the meaning.
  const TraceLine brk = *parse_trace_line("breakpoint at=1 sig=SIGTRAP code=TRAP_BRKPT op=none "
                                          "x0=0 x8=0 syscallno=-1 x7=0 pstate=Z")
                             .line;
  const TraceLine int3 = *parse_trace_line("breakpoint at=1 sig=SIGTRAP code=SI_KERNEL op=none "
                                           "rax=0 orig_rax=-1 rbx=0 flags=ZF")
                              .line;
  EXPECT_EQ(common_observation(brk), common_observation(int3));
  // End lines are their own projection.
  const TraceLine end = *parse_trace_line("exited code=0 written=1").line;
  EXPECT_EQ(format_common(common_observation(end)), "exited code=0 written=1");
}

} // namespace
} // namespace ptmc
