// "Refuse, never guess": what the model does not follow ends the run with an error that names
// the instruction or action and the reason, instead of a trace (docs/scenario-format.md,
// "Syscall numbers"). Each case states why the model cannot know the kernel's answer; the
// numbers it does follow are checked against real kernels by tests/kernel/test_containment.cpp
// and `ptmc diff`.
#include "engine/runner.hpp"
#include "model/models.hpp"
#include "model/profile.hpp"
#include "scenario/syscalls.hpp"

#include <gtest/gtest.h>

namespace ptmc {
namespace {

ModelRun run_text(const std::string& text) {
  const ParseResult p = parse_scenario(text, "test");
  EXPECT_TRUE(p.scenario) << (p.error ? p.error->what() : "");
  return run_on_model(*p.scenario, *find_profile("linux-x86_64"));
}

// `nr N; syscall`, with syscall stops, optionally a tracer's orig_rax at the entry stop.
std::string syscall_text(const std::string& nr, const std::string& orig_rax = "") {
  return "ptmc-scenario 1\nprofile linux-x86_64\noptions tracesysgood\nprogram:\n  nop\n  nr " +
         nr + "\n  syscall\nactions:\n  syscall\n  syscall" +
         (orig_rax.empty() ? "" : " orig_rax=" + orig_rax) + "\n  syscall\n  cont\n";
}

std::string last_line(const ModelRun& r) {
  return r.trace.empty() ? "" : format_trace_line(r.trace.back());
}

TEST(Refusals, AnUnmodelledSyscallNamesTheInstructionAndTheSyscall) {
  const ModelRun r = run_text(syscall_text("57"));
  ASSERT_TRUE(r.error) << last_line(r);
  EXPECT_NE(r.error->find("instruction 2"), std::string::npos) << *r.error;
  EXPECT_NE(r.error->find("57 (fork)"), std::string::npos) << *r.error;
}

TEST(Refusals, EveryNumberTheSandboxKillsIsRefused) {
  for (int64_t nr = 0; nr < syscalls::kFirstInvalid; ++nr) {
    const ModelRun r = run_text(syscall_text(std::to_string(nr)));
    const bool modelled =
        syscalls::find_modelled(Arch::x86_64, static_cast<int32_t>(nr)) != nullptr;
    if (!modelled) {
      EXPECT_TRUE(r.error) << "syscall " << nr << " was not refused: " << last_line(r);
    } else if (nr != nr::rt_sigreturn) { // rt_sigreturn without a frame is refused too
      EXPECT_FALSE(r.error) << "syscall " << nr << ": " << *r.error;
    }
  }
}

TEST(Refusals, X32NumbersAreRefusedAsX32) {
  const ModelRun r = run_text(syscall_text(std::to_string(syscalls::kX32Bit + 39)));
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->find("x32"), std::string::npos) << *r.error;
  EXPECT_NE(r.error->find("CONFIG_X86_X32_ABI"), std::string::npos) << *r.error;
}

// do_syscall_64 gives -ENOSYS for numbers past the table and negative ones; -1 runs nothing.
TEST(Refusals, NumbersNoKernelAssignsStayModelled) {
  for (const char* nr : {"512", "547", "548", "999", "1073741823", "-2", "-2147483648"}) {
    const ModelRun r = run_text(syscall_text(nr));
    ASSERT_FALSE(r.error) << nr << ": " << *r.error;
    ASSERT_GE(r.trace.size(), 3u);
    EXPECT_EQ(r.trace[2].kind, StopKind::syscall_exit) << nr;
    EXPECT_EQ(r.trace[2].rax, -38) << nr;
  }
}

// The kernel dispatches on orig_rax's low 32 bits (do_syscall_64 takes an int): a tracer's
// 0x1_0000_0027 is getpid, 0x1_0000_0039 is fork, 0xffffffff is -1.
TEST(Refusals, OnlyTheLowHalfOfOrigRaxCounts) {
  ModelRun r = run_text(syscall_text("invalid", "0x100000027"));
  ASSERT_FALSE(r.error) << *r.error;
  EXPECT_EQ(r.trace[2].rax, kPidToken) << format_trace_line(r.trace[2]);
  r = run_text(syscall_text("invalid", "0x100000039"));
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->find("dispatched as 57, fork"), std::string::npos) << *r.error;
  // -1 in the low half: no syscall, rax keeps the tracer's value.
  r = run_text("ptmc-scenario 1\nprofile linux-x86_64\noptions tracesysgood\nprogram:\n  nr "
               "getpid\n  syscall\nactions:\n  syscall\n  syscall orig_rax=0xffffffff rax=7\n"
               "  cont\n");
  ASSERT_FALSE(r.error) << *r.error;
  EXPECT_EQ(r.trace[2].rax, 7) << format_trace_line(r.trace[2]);
}

// arm64: the same list for the generic table's numbers (scenario/syscalls.hpp). A tracer's
// syscallno is the only way to a number the alphabet does not name there.
std::string aarch64_syscallno_text(const std::string& syscallno) {
  return "ptmc-scenario 1\nprofile linux-aarch64\noptions tracesysgood\nprogram:\n  nr "
         "invalid\n  syscall\nactions:\n  syscall\n  syscall syscallno=" +
         syscallno + "\n  syscall\n  cont\n";
}

ModelRun run_aarch64(const std::string& text) {
  const ParseResult p = parse_scenario(text, "test");
  EXPECT_TRUE(p.scenario) << (p.error ? p.error->what() : "");
  return run_on_model(*p.scenario, *find_profile("linux-aarch64"));
}

TEST(Refusals, Aarch64UnmodelledSyscallsAreRefused) {
  ModelRun r = run_aarch64(aarch64_syscallno_text("220"));
  ASSERT_TRUE(r.error) << last_line(r);
  EXPECT_NE(r.error->find("instruction 1"), std::string::npos) << *r.error;
  EXPECT_NE(r.error->find("220"), std::string::npos) << *r.error;
  for (int64_t nr = 0; nr < syscalls::kFirstInvalid; ++nr) {
    r = run_aarch64(aarch64_syscallno_text(std::to_string(nr)));
    const bool modelled =
        syscalls::find_modelled(Arch::aarch64, static_cast<int32_t>(nr)) != nullptr;
    if (!modelled) {
      EXPECT_TRUE(r.error) << "syscall " << nr << " was not refused: " << last_line(r);
    } else if (nr != nr_aarch64::rt_sigreturn) { // without a frame it is refused too
      EXPECT_FALSE(r.error) << "syscall " << nr << ": " << *r.error;
    }
  }
}

// arm64 has no x32: past the generic table, every number is -ENOSYS (invoke_syscall takes an
// unsigned scno, so negatives are past it too); syscallno is an s32.
TEST(Refusals, Aarch64NumbersNoKernelAssignsStayModelled) {
  for (const char* nr : {"512", "999", "1073741863", "2147483647", "-2"}) {
    const ModelRun r = run_aarch64(aarch64_syscallno_text(nr));
    ASSERT_FALSE(r.error) << nr << ": " << *r.error;
    ASSERT_GE(r.trace.size(), 3u);
    EXPECT_EQ(r.trace[2].kind, StopKind::syscall_exit) << nr;
    EXPECT_EQ(r.trace[2].x0, -38) << nr << ": " << format_trace_line(r.trace[2]);
  }
  const ModelRun r = run_aarch64(aarch64_syscallno_text("0x1000000ac")); // 172, getpid
  ASSERT_FALSE(r.error) << *r.error;
  EXPECT_EQ(r.trace[2].x0, kPidToken) << format_trace_line(r.trace[2]);
}

// A signal the model has no pending bit for would be delivered by the kernel (SIGSEGV's default
// action kills; seen on the host), and the model would drop it.
TEST(Refusals, AnInjectedSignalTheModelDoesNotKnow) {
  const ModelRun r = run_text("ptmc-scenario 1\nprofile linux-x86_64\nprogram:\n  nop\n"
                              "actions:\n  cont\n  singlestep sig=SIGSEGV\n");
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->find("action 2 (singlestep sig=SIGSEGV)"), std::string::npos) << *r.error;
  EXPECT_TRUE(unsupported_by_model(*parse_scenario("ptmc-scenario 1\nprofile linux-x86_64\n"
                                                   "program:\n  nop\nactions:\n  repeat cont "
                                                   "sig=SIGSTOP max=3\n",
                                                   "t")
                                        .scenario));
}

// The model's rip is an 8-bit index: a location past the code, or a program longer than 252
// instructions, would wrap. The agent reports the former as an error too.
TEST(Refusals, RipPastTheCodeAndProgramsTooLong) {
  ModelRun r = run_text("ptmc-scenario 1\nprofile linux-x86_64\nprogram:\n  nop\n"
                        "actions:\n  singlestep rip=257\n");
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->find("rip=257 names no instruction"), std::string::npos) << *r.error;
  r = run_text("ptmc-scenario 1\nprofile linux-x86_64\nprogram:\n  nop\nhandler:\n  nop\n"
               "actions:\n  singlestep rip=h5\n");
  ASSERT_TRUE(r.error);
  // The last instructions the code has are still fine: the exit tail's jmp, the handler's.
  r = run_text("ptmc-scenario 1\nprofile linux-x86_64\nprogram:\n  nop\nhandler:\n  nop\n"
               "actions:\n  singlestep rip=3\n");
  EXPECT_FALSE(r.error) << *r.error;
  std::string text = "ptmc-scenario 1\nprofile linux-x86_64\nprogram:\n";
  for (int i = 0; i < 253; ++i) text += "  nop\n";
  r = run_text(text);
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->find("at most 252"), std::string::npos) << *r.error;
}

} // namespace
} // namespace ptmc
