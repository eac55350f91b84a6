// The Redox dialect of scenarios and traces: operations on proc:<pid>/trace and regs/int, and
// one trace line per operation (docs/scenario-format.md and docs/trace-format.md, "Redox").
#include "scenario/scenario.hpp"
#include "scenario_test_util.hpp"

#include <gtest/gtest.h>

#include <string>

namespace ptmc {
namespace {

const std::string kDoc = R"(ptmc-scenario 1
profile redox-2019
options o_excl

program:
  nr getpid
  syscall

actions:
  write PRE_SYSCALL|SINGLESTEP
  read
  getregs
  setregs rax=4242 rip=2
  write POST_SYSCALL|FLAG_IGNORE|FLAG_WAIT
  write 0x10000
  close
  repeat read; write SINGLESTEP max=20

expect:
  write ok
  read event=PRE_SYSCALL
  regs at=2 rax=20 rbx=0 flags=ZF
  setregs ok
  write error=EINVAL
  read event=SIGNAL sig=SIGUSR1 handler=user
  read event=EXIT status=0x300
  read none
  read error=ESRCH
  regs error=ESRCH
  close ok
  killed sig=SIGKILL written=0
)";

TEST(RedoxScenario, DocExampleParses) {
  const ParseResult r = parse_scenario(kDoc, "doc.ptmc");
  ASSERT_FALSE(r.error) << r.error->what();
  const Scenario& s = *r.scenario;
  EXPECT_TRUE(s.uses_redox_actions());
  EXPECT_TRUE(s.options.o_excl);
  EXPECT_FALSE(s.options.o_nonblock);
  ASSERT_EQ(s.redox_actions.size(), 7u);
  EXPECT_EQ(s.redox_actions[0].op, RedoxOp::write);
  EXPECT_EQ(s.redox_actions[0].flags, redox::pre_syscall | redox::singlestep);
  EXPECT_EQ(s.redox_actions[1].op, RedoxOp::read);
  EXPECT_EQ(s.redox_actions[2].op, RedoxOp::getregs);
  EXPECT_EQ(s.redox_actions[3].op, RedoxOp::setregs);
  ASSERT_EQ(s.redox_actions[3].edits.size(), 2u);
  EXPECT_EQ(s.redox_actions[3].edits[0], (Edit{Reg::rax, 4242, Loc{}}));
  EXPECT_EQ(s.redox_actions[3].edits[1], (Edit{Reg::rip, 0, Loc{Loc::Space::program, 2}}));
  EXPECT_EQ(s.redox_actions[4].flags, redox::post_syscall | redox::flag_ignore | redox::flag_wait);
  EXPECT_EQ(s.redox_actions[5].flags, 0x10000u); // above 0xFFFF: the kernel answers EINVAL
  EXPECT_EQ(s.redox_actions[6].op, RedoxOp::close);
  ASSERT_EQ(s.redox_repeat.size(), 2u);
  EXPECT_EQ(s.redox_repeat[0].op, RedoxOp::read);
  EXPECT_EQ(s.redox_repeat[1].flags, redox::singlestep);
  EXPECT_EQ(s.repeat_max, 20);
  EXPECT_TRUE(s.actions.empty());

  ASSERT_TRUE(s.expect);
  const Trace& t = *s.expect;
  ASSERT_EQ(t.size(), 12u);
  EXPECT_EQ(t[0].kind, StopKind::redox_write);
  EXPECT_EQ(t[0].error, 0);
  EXPECT_EQ(t[1].kind, StopKind::redox_read);
  EXPECT_EQ(t[1].cause, redox::pre_syscall);
  EXPECT_EQ(t[2].kind, StopKind::redox_regs);
  EXPECT_EQ(t[2].at, (Loc{Loc::Space::program, 2}));
  EXPECT_EQ(t[2].rax, 20);
  EXPECT_TRUE(t[2].zf);
  EXPECT_EQ(t[4].error, 22);
  EXPECT_EQ(t[5].cause, redox::signal);
  EXPECT_EQ(t[5].event_a, sig::usr1);
  EXPECT_EQ(t[5].event_b, 1);
  EXPECT_EQ(t[6].cause, redox::exit);
  EXPECT_EQ(t[6].event_a, 0x300);
  EXPECT_EQ(t[7].cause, 0u);
  EXPECT_EQ(t[7].error, 0);
  EXPECT_EQ(t[8].error, 3);
  EXPECT_EQ(t[9].kind, StopKind::redox_regs);
  EXPECT_EQ(t[9].error, 3);
  EXPECT_EQ(t[10].kind, StopKind::redox_close);
  EXPECT_EQ(t[11].kind, StopKind::killed);
}

TEST(RedoxScenario, FormatIsCanonicalAndRoundTrips) {
  const Scenario s = *parse_scenario(kDoc, "doc.ptmc").scenario;
  const std::string text = format_scenario(s);
  EXPECT_NE(text.find("options o_excl\n"), std::string::npos);
  EXPECT_NE(text.find("  write PRE_SYSCALL|SINGLESTEP\n"), std::string::npos);
  EXPECT_NE(text.find("  setregs rax=4242 rip=2\n"), std::string::npos);
  EXPECT_NE(text.find("  write POST_SYSCALL|FLAG_IGNORE|FLAG_WAIT\n"), std::string::npos);
  EXPECT_NE(text.find("  write 0x10000\n"), std::string::npos);
  EXPECT_NE(text.find("  repeat read; write SINGLESTEP max=20\n"), std::string::npos);
  const ParseResult again = parse_scenario(text, "again");
  ASSERT_FALSE(again.error) << again.error->what();
  EXPECT_TRUE(test::SameScenario(*again.scenario, s));
  EXPECT_EQ(format_scenario(*again.scenario), text);
}

TEST(RedoxScenario, FlagWordsByNameOrNumber) {
  const std::string head = "ptmc-scenario 1\nprofile redox-2019\nprogram:\nactions:\n";
  const auto word = [&](const std::string& w) {
    const ParseResult r = parse_scenario(head + "  write " + w + "\n", "w");
    EXPECT_FALSE(r.error) << (r.error ? r.error->what() : "");
    return r.scenario ? r.scenario->redox_actions.at(0).flags : ~0ull;
  };
  EXPECT_EQ(word("0"), 0u);
  EXPECT_EQ(word("0x1003"), 0x1003u);
  EXPECT_EQ(word("PRE_SYSCALL|0x2"), 3u);
  EXPECT_EQ(word("EXIT|BREAKPOINT|SIGNAL"), 0x38u);
  EXPECT_EQ(word("0xffffffff00000000"), 0xffffffff00000000ull);
  EXPECT_EQ(format_redox_flags(0), "0");
  EXPECT_EQ(format_redox_flags(0x1003), "PRE_SYSCALL|POST_SYSCALL|FLAG_IGNORE");
  EXPECT_EQ(format_redox_flags(0x30004), "SINGLESTEP|0x30000");
  EXPECT_EQ(format_redox_flags(redox::event_clone), "EVENT_CLONE");
}

TEST(RedoxScenario, RepeatSeparators) {
  const std::string head = "ptmc-scenario 1\nprofile redox-2020\nprogram:\nactions:\n";
  for (const char* line : {"  repeat read ; getregs ; write SINGLESTEP max=3",
                           "  repeat read;getregs; write SINGLESTEP max=3"}) {
    const ParseResult r = parse_scenario(head + line + "\n", "r");
    ASSERT_FALSE(r.error) << line << ": " << r.error->what();
    ASSERT_EQ(r.scenario->redox_repeat.size(), 3u) << line;
    EXPECT_EQ(r.scenario->redox_repeat[1].op, RedoxOp::getregs);
  }
}

struct BadRedox {
  const char* name;
  std::string text;
  int line, column;
  std::string message;
};

const std::string k19 = "ptmc-scenario 1\nprofile redox-2019\nprogram:\nactions:\n"; // 1-4
const std::string k20 = "ptmc-scenario 1\nprofile redox-2020\nprogram:\nactions:\n";

std::vector<BadRedox> bad_redox() {
  return {
      {"WriteWithoutWord", k19 + "  write\n", 5, 3, "'write' needs a flag word"},
      {"UnknownFlagName", k19 + "  write PRE_SYSCALL|STEP\n", 5, 21, "bad flag 'STEP'"},
      {"EmptyFlagPart", k19 + "  write PRE_SYSCALL|\n", 5, 21, "bad flag ''"},
      {"ReservedStopBit", k19 + "  write PRE_SYSCALL|0x40\n", 5, 9,
       "flag word 'PRE_SYSCALL|0x40' has bits the kernel accepts but the model does not "
       "follow: 0x40"},
      {"ReservedBitsAreAllNamed", k19 + "  write 0x8280\n", 5, 9,
       "flag word '0x8280' has bits the kernel accepts but the model does not follow: 0x80, "
       "0x200, 0x8000"},
      {"EventClone", k19 + "  write EVENT_CLONE\n", 5, 9,
       "flag word 'EVENT_CLONE' has bits the kernel accepts but the model does not follow: "
       "0x100 (EVENT_CLONE: the model has no clone)"},
      {"WaitIn2020", k20 + "  write PRE_SYSCALL|FLAG_WAIT\n", 5, 9,
       "FLAG_WAIT (0x2000) is not in the 2020 interface"},
      {"WaitAsNumberIn2020", k20 + "  write 0x2001\n", 5, 9, "FLAG_WAIT (0x2000)"},
      {"ExtraAfterWrite", k19 + "  write 0 1\n", 5, 11, "unexpected '1' after 'write'"},
      {"ExtraAfterRead", k19 + "  read 1\n", 5, 8, "unexpected '1' after 'read'"},
      {"ExtraAfterClose", k19 + "  close now\n", 5, 9, "unexpected 'now' after 'close'"},
      {"SetregsOrigRax", k19 + "  setregs orig_rax=-1\n", 5, 11,
       "Redox's register struct has no orig_rax"},
      {"SetregsUnknownKey", k19 + "  setregs rbx=1\n", 5, 11, "unknown key 'rbx'"},
      {"SetregsDuplicate", k19 + "  setregs rax=1 rax=2\n", 5, 17, "duplicate 'rax='"},
      {"SetregsBadTf", k19 + "  setregs tf=2\n", 5, 14, "tf= must be 0 or 1"},
      {"SetregsBadRip", k19 + "  setregs rip=x\n", 5, 15, "bad location 'x'"},
      {"SetregsBadRax", k19 + "  setregs rax=1x\n", 5, 15, "bad value for rax="},
      {"SetregsNotKeyValue", k19 + "  setregs rax\n", 5, 11, "expected KEY=VALUE"},
      {"RedoxAfterLinux", k19 + "  cont\n  read\n", 6, 3,
       "a Redox operation after Linux requests (line 5)"},
      {"LinuxAfterRedox", k19 + "  read\n  cont\n", 6, 3,
       "a Linux request after Redox operations (line 5)"},
      {"LinuxRepeatAfterRedox", k19 + "  read\n  repeat cont max=2\n", 6, 10,
       "a Linux request after Redox operations"},
      {"RepeatWithoutMax", k19 + "  repeat read; write 0\n", 5, 3, "repeat needs max=N"},
      {"RepeatBadMax", k19 + "  repeat read max=0\n", 5, 19, "max= must be 1..100000"},
      {"RepeatEmptyOperation", k19 + "  repeat read;; write 0 max=2\n", 5, 15,
       "empty operation in 'repeat'"},
      {"RepeatTrailingSemicolon", k19 + "  repeat read; max=2\n", 5, 16,
       "empty operation in 'repeat'"},
      {"RepeatBadOperation", k19 + "  repeat read; step max=2\n", 5, 16,
       "unknown operation 'step'"},
      {"RedoxNeedsRedoxProfile",
       "ptmc-scenario 1\nprofile linux-x86_64\nprogram:\nactions:\n  getregs\n", 5, 3,
       "Redox operations need a Redox profile"},
      {"TracesysgoodWithRedox",
       "ptmc-scenario 1\nprofile redox-2020\noptions tracesysgood\nprogram:\nactions:\n  read\n", 3,
       9, "tracesysgood is a Linux option"},
      {"ExclWithLinux",
       "ptmc-scenario 1\nprofile redox-2020\noptions o_nonblock o_excl\nprogram:\nactions:\n"
       "  cont\n",
       3, 9, "'o_nonblock' is an option of Redox operations"},
      {"DuplicateRedoxOption",
       "ptmc-scenario 1\nprofile redox-2020\noptions o_excl o_excl\nprogram:\n", 3, 16,
       "duplicate option 'o_excl'"},
      {"ExpectBadRedoxLine", k19 + "expect:\n  read event=NOPE\n", 6, 14, "expect: bad flag"},
      {"ExpectReadCauseZero", k19 + "expect:\n  read event=0\n", 6, 14,
       "expect: an event's cause is never 0"},
      {"ExpectWriteWithoutResult", k19 + "expect:\n  write\n", 6, 8,
       "expect: missing 'ok' or 'error='"},
      {"ExpectWriteBadResult", k19 + "expect:\n  write done\n", 6, 9,
       "expect: expected 'ok' or 'error='"},
      {"ExpectBadErrno", k19 + "expect:\n  write error=EWHAT\n", 6, 15, "expect: bad error"},
      {"ExpectBadHandler", k19 + "expect:\n  read event=SIGNAL sig=SIGUSR1 handler=maybe\n", 6, 41,
       "expect: bad handler 'maybe'"},
      {"ExpectRegsMissingField", k19 + "expect:\n  regs at=1 rax=0 flags=-\n", 6, 19,
       "expect: expected 'rbx=' here"},
  };
}

class BadRedoxInput : public ::testing::TestWithParam<BadRedox> {};

TEST_P(BadRedoxInput, ReportsTheFirstErrorWhereItIs) {
  const BadRedox& c = GetParam();
  const ParseResult r = parse_scenario(c.text, "bad.ptmc");
  ASSERT_TRUE(r.error) << "accepted:\n" << c.text;
  EXPECT_EQ(r.error->line, c.line) << r.error->what();
  EXPECT_EQ(r.error->column, c.column) << r.error->what();
  EXPECT_EQ(r.error->message.substr(0, c.message.size()), c.message) << r.error->what();
}

INSTANTIATE_TEST_SUITE_P(Redox, BadRedoxInput, ::testing::ValuesIn(bad_redox()),
                         [](const ::testing::TestParamInfo<BadRedox>& i) { return i.param.name; });

TEST(RedoxTraceLine, EveryLineRoundTrips) {
  for (const char* text :
       {"write ok", "write error=EINVAL", "write error=ESRCH", "read event=PRE_SYSCALL",
        "read event=POST_SYSCALL", "read event=SINGLESTEP", "read event=BREAKPOINT",
        "read event=SIGNAL sig=SIGUSR2 handler=default", "read event=EXIT status=0xc", "read none",
        "read error=EAGAIN", "regs at=h0 rax=-38 rbx=1 flags=TF|CF",
        "regs at=outside rax=pid rbx=0 flags=-", "regs error=ESRCH", "setregs ok",
        "setregs error=ESRCH", "close ok", "write error=131", "write error=ENOTRECOVERABLE"}) {
    const TraceParseResult r = parse_trace_line(text);
    ASSERT_TRUE(r.line) << text << ": " << r.error;
    const std::string again = format_trace_line(*r.line);
    if (std::string(text) == "write error=131")
      EXPECT_EQ(again, "write error=ENOTRECOVERABLE");
    else
      EXPECT_EQ(again, text);
  }
}

} // namespace
} // namespace ptmc
