// parse_agent_stream: good, truncated and noisy agent output (kernel/agent_protocol.hpp).
#include "kernel/agent_protocol.hpp"

#include <gtest/gtest.h>

namespace ptmc::kernel {
namespace {

const char* kGood =
    "ptmc-agent 1 kernel=6.1.0-test arch=x86_64\n"
    "begin 0\n"
    "initial at=0 sig=SIGSTOP code=SI_TKILL op=none rax=0 orig_rax=-1 rbx=0 flags=ZF\n"
    "syscall-enter at=2 sig=SIGTRAP code=0x85 op=entry rax=-38 orig_rax=39 rbx=0 flags=ZF\n"
    "exited code=0 written=1\n"
    "end 0 ok\n"
    "begin 1\n"
    "initial at=0 sig=SIGSTOP code=SI_TKILL op=none rax=0 orig_rax=-1 rbx=0 flags=ZF\n"
    "hang\n"
    "end 1 hang no stop within 2s after 1 trace lines\n"
    "begin 2\n"
    "end 2 error PTRACE_GETREGS: No such process\n"
    "done 3\n";

TEST(AgentProtocol, Good) {
  const AgentStream st = parse_agent_stream(kGood, 3, "host");
  EXPECT_TRUE(st.saw_header);
  EXPECT_TRUE(st.saw_done);
  EXPECT_EQ(st.kernel_release, "6.1.0-test");
  EXPECT_EQ(st.arch, "x86_64");
  ASSERT_EQ(st.outcomes.size(), 3u);

  EXPECT_EQ(st.outcomes[0].status, OutcomeStatus::ok);
  ASSERT_EQ(st.outcomes[0].trace.size(), 3u);
  EXPECT_EQ(st.outcomes[0].trace[0].kind, StopKind::initial);
  EXPECT_EQ(st.outcomes[0].trace[1].kind, StopKind::syscall_enter);
  EXPECT_EQ(st.outcomes[0].trace[1].orig_rax, 39);
  EXPECT_EQ(st.outcomes[0].trace[1].rax, -38);
  EXPECT_EQ(st.outcomes[0].trace[2].kind, StopKind::exited);
  EXPECT_EQ(st.outcomes[0].trace[2].written, 1);
  EXPECT_TRUE(st.outcomes[0].message.empty());

  EXPECT_EQ(st.outcomes[1].status, OutcomeStatus::hang);
  ASSERT_EQ(st.outcomes[1].trace.size(), 2u);
  EXPECT_EQ(st.outcomes[1].trace[1].kind, StopKind::hang);
  EXPECT_EQ(st.outcomes[1].message, "host: scenario 1: no stop within 2s after 1 trace lines");

  EXPECT_EQ(st.outcomes[2].status, OutcomeStatus::error);
  EXPECT_TRUE(st.outcomes[2].trace.empty());
  EXPECT_EQ(st.outcomes[2].message, "host: scenario 2: PTRACE_GETREGS: No such process");
}

TEST(AgentProtocol, SerialConsoleNoise) {
  // \r\n line ends, kernel log lines anywhere, the init's own markers.
  std::string noisy;
  noisy += "[    0.812345] Run /init as init process\r\n";
  noisy += "ptmc-qemu-init 1\r\n";
  std::string text = kGood;
  size_t pos = 0;
  int n = 0;
  while ((pos = text.find('\n', pos)) != std::string::npos) {
    text.replace(pos, 1, "\r\n");
    pos += 2;
    if (++n % 2 == 0) {
      text.insert(pos, "[   12.000001] random: crng init done\r\n");
      pos = text.find('\n', pos) + 1;
    }
  }
  noisy += text;
  noisy += "ptmc-qemu-init exit=0\r\n[   13.1] reboot: Power down\r\n";
  const AgentStream st = parse_agent_stream(noisy, 3, "qemu-x86_64");
  const AgentStream clean = parse_agent_stream(kGood, 3, "qemu-x86_64");
  EXPECT_TRUE(st.saw_header);
  EXPECT_TRUE(st.saw_done);
  EXPECT_EQ(st.kernel_release, "6.1.0-test");
  ASSERT_EQ(st.outcomes.size(), 3u);
  for (size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(st.outcomes[k].status, clean.outcomes[k].status) << k;
    EXPECT_EQ(st.outcomes[k].trace, clean.outcomes[k].trace) << k;
    EXPECT_EQ(st.outcomes[k].message, clean.outcomes[k].message) << k;
  }
}

TEST(AgentProtocol, TruncatedInsideATrace) {
  std::string text = kGood;
  text = text.substr(0, text.find("exited code=0")); // cut inside scenario 0
  const AgentStream st = parse_agent_stream(text, 3, "qemu-x86_64");
  EXPECT_TRUE(st.saw_header);
  EXPECT_FALSE(st.saw_done);
  ASSERT_EQ(st.outcomes.size(), 3u);
  EXPECT_EQ(st.outcomes[0].status, OutcomeStatus::error);
  EXPECT_EQ(st.outcomes[0].trace.size(), 2u); // the partial trace is kept
  EXPECT_NE(st.outcomes[0].message.find("scenario 0"), std::string::npos);
  EXPECT_NE(st.outcomes[0].message.find("qemu-x86_64"), std::string::npos);
  EXPECT_NE(st.outcomes[0].message.find("middle"), std::string::npos);
  for (size_t k = 1; k < 3; ++k) {
    EXPECT_EQ(st.outcomes[k].status, OutcomeStatus::error);
    EXPECT_NE(st.outcomes[k].message.find("scenario " + std::to_string(k)), std::string::npos);
    EXPECT_NE(st.outcomes[k].message.find("qemu-x86_64"), std::string::npos);
  }
}

TEST(AgentProtocol, TruncatedBetweenScenariosKeepsFinishedOnes) {
  std::string text = kGood;
  text = text.substr(0, text.find("begin 1"));
  const AgentStream st = parse_agent_stream(text, 3, "host");
  EXPECT_EQ(st.outcomes[0].status, OutcomeStatus::ok);
  EXPECT_EQ(st.outcomes[0].trace.size(), 3u);
  EXPECT_EQ(st.outcomes[1].status, OutcomeStatus::error);
  EXPECT_EQ(st.outcomes[1].message,
            "host: scenario 1: no result: the agent's output ended before it");
}

TEST(AgentProtocol, CutInTheMiddleOfALine) {
  std::string text = kGood;
  text = text.substr(0, text.find("orig_rax=39")); // the last line is half a trace line
  const AgentStream st = parse_agent_stream(text, 3, "host");
  EXPECT_EQ(st.outcomes[0].status, OutcomeStatus::error);
  // The half line is damaged, not silently dropped.
  EXPECT_NE(st.outcomes[0].message.find("damaged trace line"), std::string::npos)
      << st.outcomes[0].message;
}

TEST(AgentProtocol, EmptyAndGarbage) {
  for (const char* text : {"", "Segmentation fault\n",
                           "\x7f"
                           "ELF\x02\x01\x01"}) {
    const AgentStream st = parse_agent_stream(text, 2, "host");
    EXPECT_FALSE(st.saw_header);
    ASSERT_EQ(st.outcomes.size(), 2u);
    for (size_t k = 0; k < 2; ++k) {
      EXPECT_EQ(st.outcomes[k].status, OutcomeStatus::error);
      EXPECT_NE(st.outcomes[k].message.find("host: scenario " + std::to_string(k)),
                std::string::npos);
    }
  }
}

TEST(AgentProtocol, Fatal) {
  const AgentStream st = parse_agent_stream(
      "ptmc-agent 1 kernel=6.1 arch=x86_64\nfatal /batch:3:1: error: bad\n", 1, "host");
  EXPECT_EQ(st.fatal, "/batch:3:1: error: bad");
  EXPECT_EQ(st.outcomes[0].status, OutcomeStatus::error);
  EXPECT_NE(st.outcomes[0].message.find("bad"), std::string::npos);
}

TEST(AgentProtocol, IgnoresWhatIsNotItsOwn) {
  // Indices beyond the batch, an `end` for another scenario, noise that looks like a keyword.
  const AgentStream st = parse_agent_stream("ptmc-agent 1 kernel=6.1 arch=x86_64\n"
                                            "begin 7\nexited code=0 written=0\nend 7 ok\n"
                                            "begin 0\n"
                                            "end 1 ok\n"
                                            "begin-of-something\n"
                                            "exited code=3 written=0\n"
                                            "end 0 ok\n"
                                            "done 1\n",
                                            1, "host");
  ASSERT_EQ(st.outcomes.size(), 1u);
  EXPECT_EQ(st.outcomes[0].status, OutcomeStatus::ok);
  ASSERT_EQ(st.outcomes[0].trace.size(), 1u);
  EXPECT_EQ(st.outcomes[0].trace[0].exit_code, 3);
}

} // namespace
} // namespace ptmc::kernel
