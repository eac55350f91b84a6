// parse_scenario, parse_batch and parse_trace_line on good input.
#include "scenario/scenario.hpp"
#include "scenario_test_util.hpp"

#include <gtest/gtest.h>

#include <string>

namespace ptmc {
namespace {

// The example of docs/scenario-format.md, with a real expect section.
constexpr const char* kDocExample =
    R"(# A comment runs from '#' to the end of the line. Blank lines are ignored.
ptmc-scenario 1                 # required, first non-comment line: the format version
profile linux-x86_64            # required: see `ptmc profiles`
options tracesysgood            # optional; `options` with no words means none

program:                        # required; the instructions, one per line, index 0 first
  nr getpid                     # mov rax, 39
  syscall
  cmp
  setz

handler:                        # optional; the body of the SIGUSR1 handler
  nop

actions:                        # the tracer's action at each stop, in order
  syscall                       # the first action applies at the initial stop
  syscall rax=7 orig_rax=-1
  singlestep sig=SIGUSR1
  repeat cont sig=pass max=20   # optional, last: repeat until the tracee ends, at most 20 times

expect:                         # optional: the canonical trace (docs/trace-format.md)
  initial at=0 sig=SIGSTOP code=SI_TKILL op=none rax=0 orig_rax=-1 rbx=0 flags=ZF
  syscall-enter at=2 sig=SIGTRAP code=0x85 op=entry rax=-38 orig_rax=39 rbx=0 flags=ZF
  exited code=0 written=1
)";

TEST(ParseScenario, DocExample) {
  const ParseResult r = parse_scenario(kDocExample, "doc.scn");
  ASSERT_FALSE(r.error) << r.error->what();
  ASSERT_TRUE(r.scenario);
  const Scenario& s = *r.scenario;
  EXPECT_EQ(s.version, 1);
  EXPECT_EQ(s.profile, "linux-x86_64");
  EXPECT_TRUE(s.options.tracesysgood);
  EXPECT_EQ(s.source, "doc.scn");
  ASSERT_EQ(s.program.size(), 4u);
  EXPECT_EQ(s.program[0], (Insn{Op::set_nr, nr::getpid, Arg::buf}));
  EXPECT_EQ(s.program[1], (Insn{Op::syscall}));
  EXPECT_EQ(s.program[2], (Insn{Op::cmp}));
  EXPECT_EQ(s.program[3], (Insn{Op::setz}));
  ASSERT_EQ(s.handler.size(), 1u);
  EXPECT_EQ(s.handler[0], (Insn{Op::nop}));
  ASSERT_EQ(s.actions.size(), 3u);
  EXPECT_EQ(s.actions[0], (Action{Request::syscall, 0, false, {}}));
  EXPECT_EQ(
      s.actions[1],
      (Action{Request::syscall, 0, false, {Edit{Reg::rax, 7, {}}, Edit{Reg::orig_rax, -1, {}}}}));
  EXPECT_EQ(s.actions[2], (Action{Request::singlestep, sig::usr1, false, {}}));
  ASSERT_TRUE(s.repeat);
  EXPECT_EQ(*s.repeat, (Action{Request::cont, 0, true, {}}));
  EXPECT_EQ(s.repeat_max, 20);
  ASSERT_TRUE(s.expect);
  ASSERT_EQ(s.expect->size(), 3u);
  EXPECT_EQ((*s.expect)[0].kind, StopKind::initial);
  EXPECT_EQ((*s.expect)[0].signal, sig::stop);
  EXPECT_EQ((*s.expect)[0].si_code, code::si_tkill);
  EXPECT_EQ((*s.expect)[0].orig_rax, -1);
  EXPECT_TRUE((*s.expect)[0].zf);
  EXPECT_EQ((*s.expect)[1].kind, StopKind::syscall_enter);
  EXPECT_EQ((*s.expect)[1].si_code, 0x85);
  EXPECT_EQ((*s.expect)[1].rax, -38);
  EXPECT_EQ((*s.expect)[2].kind, StopKind::exited);
  EXPECT_EQ((*s.expect)[2].written, 1);

  // And the canonical text parses back to the same scenario.
  const ParseResult again = parse_scenario(format_scenario(s), "again");
  ASSERT_FALSE(again.error) << again.error->what();
  EXPECT_TRUE(test::SameScenario(*again.scenario, s));
}

TEST(ParseScenario, MinimalAndDefaults) {
  const ParseResult r = parse_scenario("ptmc-scenario 1\nprofile p\nprogram:\n", "m");
  ASSERT_FALSE(r.error) << r.error->what();
  const Scenario& s = *r.scenario;
  EXPECT_EQ(s.profile, "p");
  EXPECT_FALSE(s.options.tracesysgood);
  EXPECT_TRUE(s.program.empty());
  EXPECT_TRUE(s.handler.empty());
  EXPECT_TRUE(s.actions.empty());
  EXPECT_FALSE(s.repeat);
  EXPECT_EQ(s.repeat_max, 0);
  EXPECT_FALSE(s.expect);
}

TEST(ParseScenario, EmptyExpectSectionIsAnEmptyTrace) {
  const ParseResult r = parse_scenario("ptmc-scenario 1\nprofile p\nprogram:\nexpect:\n", "m");
  ASSERT_FALSE(r.error) << r.error->what();
  ASSERT_TRUE(r.scenario->expect);
  EXPECT_TRUE(r.scenario->expect->empty());
}

TEST(ParseScenario, LayoutIsFree) {
  // Sections in any order, CRLF line ends, tabs, comments glued to tokens, empty options.
  const char* text = "\r\n#c\r\n  ptmc-scenario\t1#c\r\noptions\r\n\tprofile   x86\r\n"
                     "actions:\r\n kill\r\nhandler:\r\nint3\r\nprogram:#c\r\n\t\tnop#c\r\n";
  const ParseResult r = parse_scenario(text, "f");
  ASSERT_FALSE(r.error) << r.error->what();
  const Scenario& s = *r.scenario;
  EXPECT_EQ(s.profile, "x86");
  EXPECT_FALSE(s.options.tracesysgood);
  EXPECT_EQ(s.program, (std::vector<Insn>{Insn{Op::nop}}));
  EXPECT_EQ(s.handler, (std::vector<Insn>{Insn{Op::int3}}));
  ASSERT_EQ(s.actions.size(), 1u);
  EXPECT_EQ(s.actions[0].request, Request::kill);
}

TEST(ParseScenario, EveryInstruction) {
  const char* text = "ptmc-scenario 1\nprofile p\nprogram:\n"
                     "nop\nnr write\nnr getpid\nnr kill\nnr exit_group\nnr rt_sigreturn\n"
                     "nr invalid\nnr none\nnr -1\nnr 0x3c\nnr 2147483647\nnr -2147483648\n"
                     "arg buf\narg SIGUSR1\narg SIGUSR2\nsyscall\nint3\ncmp\nsetz\npushf\n"
                     "or_tf\nand_tf\npopf\n";
  const ParseResult r = parse_scenario(text, "f");
  ASSERT_FALSE(r.error) << r.error->what();
  const std::vector<Insn> want = {
      {Op::nop},
      {Op::set_nr, 1},
      {Op::set_nr, 39},
      {Op::set_nr, 62},
      {Op::set_nr, 231},
      {Op::set_nr, 15},
      {Op::set_nr, 999},
      {Op::set_nr, -1},
      {Op::set_nr, -1},
      {Op::set_nr, 60},
      {Op::set_nr, 2147483647},
      {Op::set_nr, -2147483648LL},
      {Op::set_arg, 0, Arg::buf},
      {Op::set_arg, 0, Arg::sigusr1},
      {Op::set_arg, 0, Arg::sigusr2},
      {Op::syscall},
      {Op::int3},
      {Op::cmp},
      {Op::setz},
      {Op::pushf},
      {Op::or_tf},
      {Op::and_tf},
      {Op::popf},
  };
  EXPECT_EQ(r.scenario->program, want);
}

TEST(ParseScenario, EveryRequestSignalAndEdit) {
  const char* text = "ptmc-scenario 1\nprofile p\nprogram:\nactions:\n"
                     "cont\nsyscall\nsinglestep\nsysemu\nsysemu_singlestep\ndetach\nkill\n"
                     "cont sig=SIGUSR1\ncont sig=SIGUSR2\ncont sig=SIGTRAP\ncont sig=SIGSTOP\n"
                     "cont sig=SIGKILL\ncont sig=1\ncont sig=64\ncont sig=pass\n"
                     "cont tf=1 rip=h2 rax=0x10 orig_rax=-0x1 sig=SIGUSR1\n"
                     "cont rip=outside rax=-9223372036854775808 tf=0\n"
                     "cont rip=65535 orig_rax=0xffffffffffffffff\n";
  const ParseResult r = parse_scenario(text, "f");
  ASSERT_FALSE(r.error) << r.error->what();
  const auto& a = r.scenario->actions;
  ASSERT_EQ(a.size(), 18u);
  const Request requests[] = {Request::cont,   Request::syscall,           Request::singlestep,
                              Request::sysemu, Request::sysemu_singlestep, Request::detach,
                              Request::kill};
  for (int i = 0; i < 7; ++i) EXPECT_EQ(a[i], (Action{requests[i], 0, false, {}})) << i;
  EXPECT_EQ(a[7].signal, sig::usr1);
  EXPECT_EQ(a[8].signal, sig::usr2);
  EXPECT_EQ(a[9].signal, sig::trap);
  EXPECT_EQ(a[10].signal, sig::stop);
  EXPECT_EQ(a[11].signal, sig::kill);
  EXPECT_EQ(a[12].signal, 1);
  EXPECT_EQ(a[13].signal, 64);
  EXPECT_EQ(a[14], (Action{Request::cont, 0, true, {}}));
  EXPECT_EQ(a[15], (Action{Request::cont,
                           sig::usr1,
                           false,
                           {Edit{Reg::tf, 1, {}}, Edit{Reg::rip, 0, Loc{Loc::Space::handler, 2}},
                            Edit{Reg::rax, 16, {}}, Edit{Reg::orig_rax, -1, {}}}}));
  EXPECT_EQ(a[16], (Action{Request::cont,
                           0,
                           false,
                           {Edit{Reg::rip, 0, Loc{Loc::Space::outside, 0}},
                            Edit{Reg::rax, INT64_MIN, {}}, Edit{Reg::tf, 0, {}}}}));
  EXPECT_EQ(a[17], (Action{Request::cont,
                           0,
                           false,
                           {Edit{Reg::rip, 0, Loc{Loc::Space::program, 65535}},
                            Edit{Reg::orig_rax, -1, {}}}}));
}

TEST(ParseScenario, RepeatMaxBounds) {
  for (int max : {1, 100000}) {
    const std::string text = "ptmc-scenario 1\nprofile p\nprogram:\nactions:\nrepeat singlestep "
                             "max=" +
                             std::to_string(max) + " rax=1\n";
    const ParseResult r = parse_scenario(text, "f");
    ASSERT_FALSE(r.error) << r.error->what();
    EXPECT_EQ(r.scenario->repeat_max, max);
    EXPECT_EQ(*r.scenario->repeat,
              (Action{Request::singlestep, 0, false, {Edit{Reg::rax, 1, {}}}}));
  }
}

TEST(ParseError, WhatFormat) {
  ParseError e{"a/b.scn", 3, 7, "unknown instruction 'nopp'"};
  EXPECT_EQ(e.what(), "a/b.scn:3:7: error: unknown instruction 'nopp'");
}

TEST(ParseBatch, SplitsOnHeaders) {
  const char* text = "# batch\n"
                     "ptmc-scenario 1\nprofile a\nprogram:\n  nop\n"
                     "\n"
                     "ptmc-scenario 1\nprofile b\nprogram:\n  int3\nactions:\n  cont\n"
                     "ptmc-scenario 1\nprofile c\nprogram:\n";
  const BatchParseResult r = parse_batch(text, "batch.scn");
  ASSERT_FALSE(r.error) << r.error->what();
  ASSERT_EQ(r.scenarios.size(), 3u);
  EXPECT_EQ(r.scenarios[0].profile, "a");
  EXPECT_EQ(r.scenarios[0].program, (std::vector<Insn>{Insn{Op::nop}}));
  EXPECT_TRUE(r.scenarios[0].actions.empty());
  EXPECT_EQ(r.scenarios[1].profile, "b");
  EXPECT_EQ(r.scenarios[1].actions.size(), 1u);
  EXPECT_EQ(r.scenarios[2].profile, "c");
  for (const Scenario& s : r.scenarios) EXPECT_EQ(s.source, "batch.scn");
}

TEST(ParseBatch, EmptyBatch) {
  const BatchParseResult r = parse_batch("# nothing\n\n", "b");
  EXPECT_FALSE(r.error);
  EXPECT_TRUE(r.scenarios.empty());
}

TEST(ParseBatch, ErrorLinesCountTheWholeFile) {
  const char* text = "ptmc-scenario 1\nprofile a\nprogram:\n  nop\n"     // lines 1-4
                     "ptmc-scenario 1\nprofile b\nprogram:\n  nop\n"     // lines 5-8
                     "ptmc-scenario 1\nprofile c\nprogram:\n   bogus\n"; // lines 9-12
  const BatchParseResult r = parse_batch(text, "batch.scn");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->line, 12);
  EXPECT_EQ(r.error->column, 4);
  EXPECT_EQ(r.error->what(), "batch.scn:12:4: error: unknown instruction 'bogus'");
  EXPECT_EQ(r.scenarios.size(), 2u); // the ones before the error
}

TEST(ParseBatch, MissingSectionPointsAtItsScenariosHeader) {
  const char* text = "ptmc-scenario 1\nprofile a\nprogram:\n"
                     "# second\n  ptmc-scenario 1\nprofile b\nactions:\n";
  const BatchParseResult r = parse_batch(text, "b");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->line, 5);
  EXPECT_EQ(r.error->column, 3);
  EXPECT_EQ(r.error->message, "'program:' section missing");
}

TEST(ParseBatch, ContentBeforeTheFirstHeader) {
  const BatchParseResult r = parse_batch("\nprofile a\nptmc-scenario 1\n", "b");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->line, 2);
  EXPECT_EQ(r.error->column, 1);
  EXPECT_NE(r.error->message.find("missing 'ptmc-scenario' header"), std::string::npos);
}

TEST(ParseTraceLine, DocExamplesRoundTrip) {
  const char* lines[] = {
      "initial at=0 sig=SIGSTOP code=SI_TKILL op=none rax=0 orig_rax=-1 rbx=0 flags=ZF",
      "syscall-enter at=2 sig=SIGTRAP code=0x85 op=entry rax=-38 orig_rax=39 rbx=0 flags=ZF",
      "syscall-exit at=2 sig=SIGTRAP code=0x85 op=exit rax=pid orig_rax=39 rbx=0 flags=ZF",
      "step at=3 sig=SIGTRAP code=TRAP_TRACE op=none rax=pid orig_rax=-1 rbx=0 flags=-",
      "breakpoint at=h0 sig=SIGTRAP code=SI_KERNEL op=none rax=0 orig_rax=-1 rbx=1 flags=TF|CF",
      "trap-notify at=outside sig=SIGTRAP code=0x5 op=seccomp rax=0 orig_rax=-1 rbx=0 flags=TF",
      "signal at=4 sig=SIGUSR1 code=SI_USER op=none rax=0 orig_rax=-1 rbx=0 flags=TF|ZF|CF",
      "signal at=4 sig=33 code=-0x1 op=none rax=0 orig_rax=-1 rbx=0 flags=-",
      "exited code=0 written=1",
      "killed sig=SIGKILL written=0",
      "killed sig=SIGSEGV written=2",
      "detached",
      "hang",
  };
  for (const char* line : lines) {
    const TraceParseResult r = parse_trace_line(line);
    ASSERT_TRUE(r.line) << line << ": " << r.error;
    EXPECT_EQ(format_trace_line(*r.line), line);
  }
}

TEST(ParseTraceLine, Fields) {
  const TraceParseResult r = parse_trace_line(
      "  syscall-exit at=h3 sig=SIGTRAP code=0x85 op=exit rax=pid orig_rax=pid rbx=7 flags=CF|ZF ");
  ASSERT_TRUE(r.line) << r.error;
  const TraceLine& t = *r.line;
  EXPECT_EQ(t.kind, StopKind::syscall_exit);
  EXPECT_EQ(t.at, (Loc{Loc::Space::handler, 3}));
  EXPECT_EQ(t.signal, sig::trap);
  EXPECT_EQ(t.si_code, 0x85);
  EXPECT_EQ(t.op, SyscallOp::exit);
  EXPECT_EQ(t.rax, kPidToken);
  EXPECT_EQ(t.orig_rax, kPidToken);
  EXPECT_EQ(t.rbx, 7u);
  EXPECT_FALSE(t.tf);
  EXPECT_TRUE(t.zf);
  EXPECT_TRUE(t.cf);
}

// Every signal and si_code a line can carry survives format/parse, not just the named ones.
TEST(ParseTraceLine, EverySignalAndCodeRoundTrips) {
  for (int v = -300; v <= 300; ++v) {
    TraceLine t;
    t.kind = StopKind::signal;
    t.si_code = v;
    if ((v & 0x80) == 0 || v < 0) t.signal = v;
    TraceParseResult r = parse_trace_line(format_trace_line(t));
    ASSERT_TRUE(r.line) << v << ": " << r.error;
    EXPECT_EQ(*r.line, t) << format_trace_line(t);
    TraceLine k;
    k.kind = StopKind::killed;
    k.signal = v;
    r = parse_trace_line(format_trace_line(k));
    ASSERT_TRUE(r.line) << v << ": " << r.error;
    EXPECT_EQ(*r.line, k) << format_trace_line(k);
  }
}

TEST(ParseScenario, EveryActionSignalRoundTrips) {
  for (int v = 1; v <= 64; ++v) {
    Scenario s;
    s.actions.push_back(Action{Request::cont, v, false, {}});
    const ParseResult r = parse_scenario(format_scenario(s), "f");
    ASSERT_FALSE(r.error) << v << ": " << r.error->what();
    EXPECT_TRUE(test::SameScenario(*r.scenario, s));
  }
}

} // namespace
} // namespace ptmc
