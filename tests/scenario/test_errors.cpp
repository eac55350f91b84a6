// Malformed input: the first error, at the right line and column, with a clear message.
#include "scenario/scenario.hpp"

#include <gtest/gtest.h>

#include <string>

namespace ptmc {
namespace {

struct BadCase {
  const char* name;
  std::string text;
  int line, column;
  std::string message; // the message starts with this
};

const std::string kHead = "ptmc-scenario 1\nprofile linux-x86_64\n"; // lines 1-2

std::vector<BadCase> bad_cases() {
  return {
      {"EmptyFile", "", 1, 1, "missing 'ptmc-scenario' header"},
      {"OnlyComments", "# nothing\n\n", 1, 1, "missing 'ptmc-scenario' header"},
      {"HeaderNotFirst", "# c\n  profile p\nptmc-scenario 1\n", 2, 3,
       "missing 'ptmc-scenario' header"},
      {"HeaderWithoutVersion", "ptmc-scenario\n", 1, 1, "'ptmc-scenario' needs the format version"},
      {"UnsupportedVersion", "ptmc-scenario 2\nprofile p\nprogram:\n", 1, 15,
       "unsupported format version 2"},
      {"HugeVersion", "ptmc-scenario 99999999999999999999999\n", 1, 15,
       "unsupported format version '99999999999999999999999'"},
      {"BadVersion", "ptmc-scenario one\n", 1, 15, "bad format version 'one'"},
      {"TrailingHeaderToken", "ptmc-scenario 1 x\n", 1, 17,
       "unexpected 'x' after 'ptmc-scenario 1'"},
      {"SecondHeader", kHead + "program:\nptmc-scenario 1\n", 4, 1,
       "a second 'ptmc-scenario' header"},
      {"MissingProgram", kHead + "actions:\n  cont\n", 1, 1, "'program:' section missing"},
      {"MissingProfile", "ptmc-scenario 1\nprogram:\n", 1, 1, "missing 'profile' line"},
      {"DuplicateProfile", kHead + "profile q\nprogram:\n", 3, 1,
       "duplicate 'profile' line (the first is on line 2)"},
      {"ProfileWithoutName", "ptmc-scenario 1\nprofile\n", 2, 1, "'profile' needs a name"},
      {"UnknownOption", kHead + "options tracesysgood tracefork\nprogram:\n", 3, 22,
       "unknown option 'tracefork'"},
      {"DuplicateOptions", kHead + "options\noptions\nprogram:\n", 4, 1,
       "duplicate 'options' line"},
      {"UnknownHeaderKey", kHead + "  colour red\nprogram:\n", 3, 3, "unknown key 'colour'"},
      {"UnknownSection", kHead + "programme:\n", 3, 1, "unknown section 'programme:'"},
      {"DuplicateSection", kHead + "program:\n nop\nactions:\nprogram:\n", 6, 1,
       "duplicate 'program:' section (the first is on line 3)"},
      {"TokenAfterSection", kHead + "program: nop\n", 3, 10, "unexpected 'nop' after 'program:'"},
      {"UnknownInstruction", kHead + "program:\n  nop\n  nopp\n", 5, 3,
       "unknown instruction 'nopp'"},
      {"NotInTheLanguage", kHead + "program:\n  jmp 0\n", 4, 3, "unknown instruction 'jmp'"},
      {"InstructionInHandler", kHead + "program:\nhandler:\n\tfoo # c\n", 5, 2,
       "unknown instruction 'foo'"},
      {"NopWithOperand", kHead + "program:\n  nop 1\n", 4, 7, "unexpected '1' after 'nop'"},
      {"NrWithoutOperand", kHead + "program:\n  nr\n", 4, 3, "'nr' needs a syscall number"},
      {"NrUnknownName", kHead + "program:\n  nr getppid\n", 4, 6, "unknown syscall 'getppid'"},
      {"NrBadNumber", kHead + "program:\n  nr 0x\n", 4, 6, "unknown syscall '0x'"},
      {"NrTooBig", kHead + "program:\n  nr 2147483648\n", 4, 6,
       "syscall number '2147483648' out of range"},
      {"NrOverflow", kHead + "program:\n  nr -99999999999999999999\n", 4, 6,
       "syscall number '-99999999999999999999' out of range"},
      {"ArgUnknown", kHead + "program:\n  arg SIGUSR3\n", 4, 7, "unknown arg 'SIGUSR3'"},
      {"ArgMissing", kHead + "program:\n  arg\n", 4, 3, "'arg' needs buf, SIGUSR1 or SIGUSR2"},
      {"UnknownRequest", kHead + "program:\nactions:\n  cont\n  stepi\n", 6, 3,
       "unknown request 'stepi'"},
      {"UnknownSignal", kHead + "program:\nactions:\n  cont sig=SIGFOO\n", 5, 12,
       "unknown signal 'SIGFOO'"},
      {"SignalZero", kHead + "program:\nactions:\n  cont sig=0\n", 5, 12,
       "signal number must be 1..64"},
      {"SignalTooBig", kHead + "program:\nactions:\n  cont sig=65\n", 5, 12,
       "signal number must be 1..64"},
      {"UnknownActionKey", kHead + "program:\nactions:\n  cont rbx=1\n", 5, 8, "unknown key 'rbx'"},
      {"NotKeyValue", kHead + "program:\nactions:\n  cont SIGUSR1\n", 5, 8,
       "expected KEY=VALUE, found 'SIGUSR1'"},
      {"EmptyKey", kHead + "program:\nactions:\n  cont =1\n", 5, 8,
       "expected KEY=VALUE, found '=1'"},
      {"MissingValue", kHead + "program:\nactions:\n  cont rax=\n", 5, 12,
       "missing value after 'rax='"},
      {"BadNumber", kHead + "program:\nactions:\n  syscall rax=12a\n", 5, 15,
       "bad value for rax= '12a'"},
      {"NumberOverflow", kHead + "program:\nactions:\n  syscall orig_rax=9223372036854775808\n", 5,
       20, "value for orig_rax= out of range: '9223372036854775808'"},
      {"DuplicateKey", kHead + "program:\nactions:\n  cont sig=SIGUSR1 sig=pass\n", 5, 20,
       "duplicate 'sig='"},
      {"DuplicateEdit", kHead + "program:\nactions:\n  cont rax=1 rax=2\n", 5, 14,
       "duplicate 'rax='"},
      {"BadTf", kHead + "program:\nactions:\n  cont tf=2\n", 5, 11, "tf= must be 0 or 1"},
      {"BadRip", kHead + "program:\nactions:\n  cont rip=x3\n", 5, 12, "bad location 'x3'"},
      {"BadHandlerRip", kHead + "program:\nactions:\n  cont rip=h\n", 5, 12, "bad location 'h'"},
      {"RipOutOfRange", kHead + "program:\nactions:\n  cont rip=h65536\n", 5, 12,
       "location index out of range"},
      {"MaxOutsideRepeat", kHead + "program:\nactions:\n  cont max=3\n", 5, 8,
       "max= is only allowed in a 'repeat' line"},
      {"RepeatNotLast", kHead + "program:\nactions:\n  repeat cont max=5\n  cont\n", 6, 3,
       "repeat must be the last action"},
      {"TwoRepeats", kHead + "program:\nactions:\n  repeat cont max=5\n  repeat cont max=5\n", 6, 3,
       "repeat must be the last action"},
      {"RepeatWithoutMax", kHead + "program:\nactions:\n  repeat cont\n", 5, 3,
       "repeat needs max=N"},
      {"RepeatMaxZero", kHead + "program:\nactions:\n  repeat cont max=0\n", 5, 19,
       "max= must be 1..100000"},
      {"RepeatMaxTooBig", kHead + "program:\nactions:\n  repeat cont max=100001\n", 5, 19,
       "max= must be 1..100000"},
      {"RepeatWithoutAction", kHead + "program:\nactions:\n  repeat\n", 5, 3,
       "'repeat' needs an action"},
      {"RepeatUnknownRequest", kHead + "program:\nactions:\n  repeat again max=2\n", 5, 10,
       "unknown request 'again'"},
      {"ExpectUnknownKind", kHead + "program:\nexpect:\n  exited code=0 written=0\n  stopped\n", 6,
       3, "expect: unknown trace kind 'stopped'"},
      {"ExpectBadField",
       kHead + "program:\nexpect:\n"
               "  step at=3 sig=SIGTRAP code=TRAP_TRACE op=none rax=x orig_rax=-1 rbx=0 flags=-\n",
       5, 53, "expect: bad rax 'x'"},
      {"ExpectFieldOrder", kHead + "program:\nexpect:\n    exited written=0 code=0\n", 5, 12,
       "expect: expected 'code=' here, found 'written=0'"},
      {"ExpectMissingField", kHead + "program:\nexpect:\n  killed sig=SIGKILL  # c\n", 5, 21,
       "expect: missing 'written=' field"},
      {"ExpectExtraField", kHead + "program:\nexpect:\n  hang now\n", 5, 8,
       "expect: unexpected 'now' after the last field"},
      {"ExpectBadFlag",
       kHead +
           "program:\nexpect:\n"
           "  step at=3 sig=SIGTRAP code=TRAP_TRACE op=none rax=0 orig_rax=-1 rbx=0 flags=TF|XF\n",
       5, 82, "expect: bad flag 'XF'"},
      {"NonPrintableToken", kHead + "program:\n  n\x01p\n", 4, 3, "unknown instruction 'n\\x01p'"},
  };
}

class BadInput : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadInput, ReportsTheFirstErrorWhereItIs) {
  const BadCase& c = GetParam();
  const ParseResult r = parse_scenario(c.text, "bad.scn");
  EXPECT_FALSE(r.scenario);
  ASSERT_TRUE(r.error) << "accepted:\n" << c.text;
  EXPECT_EQ(r.error->file, "bad.scn");
  EXPECT_EQ(r.error->line, c.line) << r.error->what();
  EXPECT_EQ(r.error->column, c.column) << r.error->what();
  EXPECT_EQ(r.error->message.substr(0, c.message.size()), c.message) << r.error->what();
  EXPECT_EQ(r.error->what(), "bad.scn:" + std::to_string(c.line) + ":" + std::to_string(c.column) +
                                 ": error: " + r.error->message);

  // The same text as a batch of one gives the same error. Not for the texts a batch reads
  // differently: no scenario at all is an empty batch, and a second header starts a second one.
  const std::string name = c.name;
  if (name == "EmptyFile" || name == "OnlyComments" || name == "SecondHeader") return;
  const BatchParseResult b = parse_batch(c.text, "bad.scn");
  ASSERT_TRUE(b.error);
  EXPECT_EQ(b.error->line, c.line);
  EXPECT_EQ(b.error->column, c.column);
  EXPECT_EQ(b.error->message, r.error->message);
  EXPECT_TRUE(b.scenarios.empty());
}

INSTANTIATE_TEST_SUITE_P(Scenario, BadInput, ::testing::ValuesIn(bad_cases()),
                         [](const ::testing::TestParamInfo<BadCase>& i) { return i.param.name; });

struct BadTraceCase {
  const char* text;
  int column;
  std::string message;
};

TEST(ParseTraceLine, Errors) {
  const BadTraceCase cases[] = {
      {"", 1, "empty trace line"},
      {"   ", 1, "empty trace line"},
      {"syscall_enter at=0", 1, "unknown trace kind 'syscall_enter'"},
      {"initial", 8, "missing 'at=' field"},
      {"initial at=", 12, "missing value after 'at='"},
      {"initial at=0 sig=SIGWHAT", 18, "unknown signal 'SIGWHAT'"},
      {"initial at=0 sig=5 code=TRAP_X", 25, "bad si_code 'TRAP_X'"},
      {"initial at=0 sig=5 code=0x5 op=enter", 32, "bad op 'enter'"},
      {"initial at=0 sig=5 code=0x5 op=none rax=pidd", 41, "bad rax 'pidd'"},
      {"initial at=0 sig=5 code=0x5 op=none rax=0 orig_rax=1 rbx=-1", 58, "bad rbx '-1'"},
      {"initial at=0 sig=5 code=0x5 op=none rax=0 orig_rax=1 rbx=0 flags=ZF|ZF", 69,
       "flag 'ZF' given twice"},
      {"initial at=0 sig=5 code=0x5 op=none rax=0 orig_rax=1 rbx=0 flags=", 66,
       "missing value after 'flags='"},
      {"initial at=0 sig=5 code=0x5 op=none rax=0 orig_rax=1 rbx=0 flags=- x", 68,
       "unexpected 'x' after the last field"},
      {"exited code=0 written=1.5", 23, "bad written count '1.5'"},
      {"exited code=99999999999 written=0", 13, "exit code out of range"},
  };
  for (const BadTraceCase& c : cases) {
    const TraceParseResult r = parse_trace_line(c.text);
    EXPECT_FALSE(r.line) << c.text;
    EXPECT_EQ(r.column, c.column) << c.text << ": " << r.error;
    EXPECT_EQ(r.error.substr(0, c.message.size()), c.message) << c.text << ": " << r.error;
  }
}

} // namespace
} // namespace ptmc
