// Properties: random scenarios and trace lines round-trip through format/parse, and no input
// crashes the parsers.
#include "scenario/scenario.hpp"
#include "scenario_test_util.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ptmc {
namespace {

// ---- Generators (called inside a property) -----------------------------------------------------

int64_t any_i64() {
  return *rc::gen::oneOf(
      rc::gen::elementOf(std::vector<int64_t>{0, 1, -1, 7, -38, kPidToken, INT64_MIN, INT64_MAX}),
      rc::gen::arbitrary<int64_t>());
}

Loc any_loc() {
  const auto space =
      *rc::gen::element(Loc::Space::program, Loc::Space::handler, Loc::Space::outside);
  if (space == Loc::Space::outside) return Loc{space, 0};
  return Loc{space,
             *rc::gen::oneOf(rc::gen::inRange<uint16_t>(0, 20), rc::gen::arbitrary<uint16_t>())};
}

Insn any_insn_text() {
  const Op op = *rc::gen::element(Op::nop, Op::set_nr, Op::set_arg, Op::syscall, Op::int3, Op::cmp,
                                  Op::setz, Op::pushf, Op::or_tf, Op::and_tf, Op::popf);
  Insn i{op, 0, Arg::buf};
  if (op == Op::set_nr)
    i.imm = *rc::gen::oneOf(rc::gen::elementOf(std::vector<int64_t>{
                                nr::write, nr::rt_sigreturn, nr::getpid, nr::kill, nr::exit_group,
                                nr::invalid, nr::none, int64_t{INT32_MIN}, int64_t{INT32_MAX}}),
                            rc::gen::cast<int64_t>(rc::gen::arbitrary<int32_t>()));
  if (op == Op::set_arg) i.arg = *rc::gen::element(Arg::buf, Arg::sigusr1, Arg::sigusr2);
  return i;
}

// Edits of some of `regs`, each at most once, in any order.
std::vector<Edit> any_edits(const std::vector<Reg>& regs) {
  std::vector<Edit> out;
  const auto order =
      *rc::gen::unique<std::vector<size_t>>(rc::gen::inRange<size_t>(0, regs.size()));
  for (size_t k : order) {
    const Reg r = regs[k];
    Edit e{r, 0, Loc{}};
    if (r == Reg::rip)
      e.loc = any_loc();
    else if (r == Reg::tf)
      e.value = *rc::gen::inRange(0, 2);
    else
      e.value = any_i64();
    out.push_back(e);
  }
  return out;
}

// An instruction with a meaning on `arch`.
Insn any_insn(Arch arch) {
  return *rc::gen::suchThat(rc::gen::exec(any_insn_text),
                            [arch](const Insn& i) { return !unsupported_on(arch, i); });
}

Action any_action() {
  Action a;
  a.request =
      *rc::gen::element(Request::cont, Request::syscall, Request::singlestep, Request::sysemu,
                        Request::sysemu_singlestep, Request::detach, Request::kill);
  switch (*rc::gen::inRange(0, 3)) {
  case 0:
    break;
  case 1:
    a.pass = true;
    break;
  default:
    a.signal = *rc::gen::inRange(1, 65);
    break;
  }
  a.edits = any_edits({Reg::orig_rax, Reg::rax, Reg::rip, Reg::tf});
  return a;
}

// A flag word the parser accepts for a 2019 profile: modelled bits, plus bits the kernel rejects.
uint64_t any_redox_word() {
  uint64_t w = *rc::gen::arbitrary<uint64_t>() & redox::modelled;
  if (*rc::gen::arbitrary<bool>()) w |= *rc::gen::arbitrary<uint64_t>() & ~redox::kernel_accepts;
  return w;
}

RedoxAction any_redox_action() {
  RedoxAction a;
  a.op = *rc::gen::element(RedoxOp::write, RedoxOp::read, RedoxOp::getregs, RedoxOp::setregs,
                           RedoxOp::close);
  if (a.op == RedoxOp::write) a.flags = any_redox_word();
  if (a.op == RedoxOp::setregs) a.edits = any_edits({Reg::rax, Reg::rip, Reg::tf});
  return a;
}

int any_signal() {
  return *rc::gen::oneOf(rc::gen::element(0, 4, 5, 9, 10, 11, 12, 19), rc::gen::inRange(0, 65));
}

// A line as format_trace_line and parse_trace_line agree on it: the fields its kind and
// architecture do not print are left at their defaults.
TraceLine any_trace_line(Arch arch) {
  TraceLine t;
  // Redox's lines are x86_64's: an aarch64 scenario never holds one.
  const bool redox_line = arch == Arch::x86_64 && *rc::gen::arbitrary<bool>();
  t.kind =
      redox_line
          ? *rc::gen::element(StopKind::redox_write, StopKind::redox_read, StopKind::redox_regs,
                              StopKind::redox_setregs, StopKind::redox_close)
          : *rc::gen::element(StopKind::initial, StopKind::syscall_enter, StopKind::syscall_exit,
                              StopKind::step, StopKind::breakpoint, StopKind::trap_notify,
                              StopKind::signal, StopKind::detached, StopKind::exited,
                              StopKind::killed, StopKind::hang);
  const auto any_errno = [] {
    return *rc::gen::oneOf(rc::gen::element(3, 11, 22), rc::gen::inRange(1, 200));
  };
  switch (t.kind) {
  case StopKind::redox_write:
  case StopKind::redox_setregs:
  case StopKind::redox_close:
    if (*rc::gen::arbitrary<bool>()) t.error = any_errno();
    break;
  case StopKind::redox_read:
    switch (*rc::gen::inRange(0, 4)) {
    case 0:
      t.error = any_errno();
      break;
    case 1:
      break; // none
    case 2:
      t.cause = *rc::gen::element(redox::pre_syscall, redox::post_syscall, redox::singlestep,
                                  redox::breakpoint, redox::signal, redox::exit);
      if (t.cause == redox::signal) {
        t.event_a = *rc::gen::inRange(1, 65);
        t.event_b = *rc::gen::inRange(0, 2);
      }
      if (t.cause == redox::exit) t.event_a = *rc::gen::inRange<int64_t>(0, INT64_MAX);
      break;
    default: // a cause the model never produces still prints and parses as a word
      t.cause = any_redox_word() | redox::breakpoint;
      break;
    }
    break;
  case StopKind::redox_regs:
    if (*rc::gen::arbitrary<bool>()) {
      t.error = any_errno();
      break;
    }
    t.at = any_loc();
    t.rax = any_i64();
    t.rbx = *rc::gen::arbitrary<uint64_t>();
    t.tf = *rc::gen::arbitrary<bool>();
    t.zf = *rc::gen::arbitrary<bool>();
    t.cf = *rc::gen::arbitrary<bool>();
    break;
  case StopKind::detached:
  case StopKind::hang:
    break;
  case StopKind::exited:
    t.exit_code = *rc::gen::oneOf(rc::gen::inRange(0, 256), rc::gen::arbitrary<int>());
    t.written = *rc::gen::arbitrary<int>();
    break;
  case StopKind::killed:
    t.signal = any_signal();
    t.written = *rc::gen::inRange(0, 100);
    break;
  default:
    t.at = any_loc();
    t.signal = any_signal();
    t.si_code = *rc::gen::oneOf(rc::gen::element(0, 0x80, -6, 1, 2, 5, 0x85, -1),
                                rc::gen::arbitrary<int>());
    t.op =
        *rc::gen::element(SyscallOp::none, SyscallOp::entry, SyscallOp::exit, SyscallOp::seccomp);
    const uint64_t scratch =
        *rc::gen::oneOf(rc::gen::elementOf(std::vector<uint64_t>{0, 1, UINT64_MAX}),
                        rc::gen::arbitrary<uint64_t>());
    t.arch = arch;
    if (arch == Arch::aarch64) {
      t.x0 = any_i64();
      t.x8 = any_i64();
      t.syscallno = any_i64();
      t.x7 = scratch;
      t.n = *rc::gen::arbitrary<bool>();
      t.z = *rc::gen::arbitrary<bool>();
      t.c = *rc::gen::arbitrary<bool>();
      t.v = *rc::gen::arbitrary<bool>();
      t.ss = *rc::gen::arbitrary<bool>();
      break;
    }
    t.rax = any_i64();
    t.orig_rax = any_i64();
    t.rbx = scratch;
    t.tf = *rc::gen::arbitrary<bool>();
    t.zf = *rc::gen::arbitrary<bool>();
    t.cf = *rc::gen::arbitrary<bool>();
    break;
  }
  return t;
}

TraceLine any_trace_line_any_arch() {
  return any_trace_line(*rc::gen::element(Arch::x86_64, Arch::aarch64));
}

template <typename T, typename F> std::vector<T> some(int max, F f) {
  std::vector<T> v(static_cast<size_t>(*rc::gen::inRange(0, max + 1)));
  for (T& x : v) x = f();
  return v;
}

Scenario any_scenario() {
  Scenario s;
  const bool redox = *rc::gen::arbitrary<bool>();
  s.profile = redox ? *rc::gen::element<std::string>("redox-2019", "redox-2019-bug-x")
                    : *rc::gen::element<std::string>("linux-x86_64", "linux-6.1", "mutant_1.x",
                                                     "linux-aarch64", "linux-aarch64~sys-getpid");
  const Arch arch = s.arch();
  s.program = some<Insn>(12, [arch] { return any_insn(arch); });
  s.handler = some<Insn>(4, [arch] { return any_insn(arch); });
  if (redox) {
    s.options.o_excl = *rc::gen::arbitrary<bool>();
    s.options.o_nonblock = *rc::gen::arbitrary<bool>();
    s.redox_actions = some<RedoxAction>(8, any_redox_action);
    if (*rc::gen::arbitrary<bool>()) {
      s.redox_repeat = *rc::gen::container<std::vector<RedoxAction>>(
          *rc::gen::inRange<size_t>(1, 4), rc::gen::exec(any_redox_action));
      s.repeat_max = *rc::gen::oneOf(rc::gen::element(1, 100000), rc::gen::inRange(1, 100001));
    }
  } else {
    s.options.tracesysgood = *rc::gen::arbitrary<bool>();
    s.actions = some<Action>(8, any_action);
    if (*rc::gen::arbitrary<bool>()) {
      s.repeat = any_action();
      s.repeat_max = *rc::gen::oneOf(rc::gen::element(1, 100000), rc::gen::inRange(1, 100001));
    }
  }
  if (*rc::gen::arbitrary<bool>())
    s.expect = some<TraceLine>(6, [arch] { return any_trace_line(arch); });
  return s;
}

// ---- Properties ------------------------------------------------------------------------------

RC_GTEST_PROP(ScenarioProperties, FormatThenParseRoundTrips, ()) {
  const Scenario s = any_scenario();
  const std::string text = format_scenario(s);
  const ParseResult r = parse_scenario(text, "random.scn");
  RC_ASSERT(!r.error);
  RC_ASSERT(r.scenario.has_value());
  RC_ASSERT(test::same_scenario(*r.scenario, s));
  RC_ASSERT(r.scenario->source == "random.scn");
  RC_ASSERT(format_scenario(*r.scenario) == text);
}

RC_GTEST_PROP(ScenarioProperties, BatchOfFormattedScenariosRoundTrips, ()) {
  const auto batch = some<Scenario>(4, any_scenario);
  std::string text;
  for (const Scenario& s : batch) text += format_scenario(s) + "\n";
  const BatchParseResult r = parse_batch(text, "batch.scn");
  RC_ASSERT(!r.error);
  RC_ASSERT(r.scenarios.size() == batch.size());
  for (size_t i = 0; i < batch.size(); ++i)
    RC_ASSERT(test::same_scenario(r.scenarios[i], batch[i]));
}

RC_GTEST_PROP(ScenarioProperties, TraceLinesRoundTrip, ()) {
  const auto lines = some<TraceLine>(20, any_trace_line_any_arch);
  for (const TraceLine& t : lines) {
    const std::string text = format_trace_line(t);
    const TraceParseResult r = parse_trace_line(text);
    RC_ASSERT(r.line.has_value());
    RC_ASSERT(*r.line == t);
    RC_ASSERT(r.error.empty());
  }
}

// An error's position lies inside the text; an accepted text is stable under format/parse.
void check_outcome(const std::string& text, const ParseResult& r) {
  RC_ASSERT(r.scenario.has_value() != r.error.has_value());
  if (r.error) {
    int lines = 1;
    for (char c : text) lines += c == '\n';
    RC_ASSERT(r.error->line >= 1);
    RC_ASSERT(r.error->line <= lines);
    RC_ASSERT(r.error->column >= 1);
    RC_ASSERT(!r.error->message.empty());
    return;
  }
  const ParseResult again = parse_scenario(format_scenario(*r.scenario), "again");
  RC_ASSERT(again.scenario.has_value());
  RC_ASSERT(test::same_scenario(*again.scenario, *r.scenario));
}

RC_GTEST_PROP(ScenarioProperties, RandomBytesNeverCrash, (const std::string& text)) {
  check_outcome(text, parse_scenario(text, "bytes"));
  const BatchParseResult b = parse_batch(text, "bytes");
  (void)b;
  const TraceParseResult t = parse_trace_line(text);
  RC_ASSERT(t.line.has_value() == t.error.empty());
}

// Random bytes rarely get past the header; token soup from the language's own vocabulary, and
// byte edits of valid scenarios, reach every parser path.
RC_GTEST_PROP(ScenarioProperties, TokenSoupNeverCrashes, ()) {
  const auto words = *rc::gen::container<std::vector<std::string>>(rc::gen::element<std::string>(
      "ptmc-scenario", "1", "2", "profile", "p", "options", "tracesysgood",
      "program:", "handler:", "actions:", "expect:", "\n", "\n", "\n", "#", "nop", "nr", "getpid",
      "-1", "0x", "arg", "SIGUSR1", "buf", "syscall", "cont", "repeat", "max=", "max=5",
      "sig=", "sig=pass", "sig=SIGTRAP", "rax=", "rax=7", "rip=h", "rip=h1", "rip=outside", "tf=1",
      "=", "initial", "at=0", "sig=5", "code=0x85", "op=entry", "rax=pid", "orig_rax=-1", "rbx=0",
      "flags=TF|ZF", "exited", "code=0", "written=1", "hang", "\r", "\t", "\xff", ":", "redox-2020",
      "write", "read", "getregs", "setregs", "close", "PRE_SYSCALL|FLAG_IGNORE", "0x40", ";",
      "read;", "o_excl", "o_nonblock", "event=SIGNAL", "handler=user", "status=0x3", "none",
      "error=ESRCH", "ok", "linux-aarch64", "x0=", "x0=pid", "x8=172", "syscallno=-1", "x7=1",
      "pstate=Z|SS", "pstate=", "ss=1", "pc=h1", "code=pid", "pushf"));
  std::string text;
  for (const std::string& w : words) text += w + (w == "\n" ? "" : " ");
  check_outcome(text, parse_scenario(text, "soup"));
  (void)parse_batch(text, "soup");
}

RC_GTEST_PROP(ScenarioProperties, MutatedScenariosNeverCrash, ()) {
  std::string text = format_scenario(any_scenario());
  const int edits = *rc::gen::inRange(1, 6);
  for (int i = 0; i < edits && !text.empty(); ++i) {
    const size_t at = *rc::gen::inRange<size_t>(0, text.size());
    switch (*rc::gen::inRange(0, 3)) {
    case 0:
      text.erase(at, *rc::gen::inRange<size_t>(1, 8));
      break;
    case 1:
      text.insert(at, 1, *rc::gen::arbitrary<char>());
      break;
    default:
      text[at] = *rc::gen::arbitrary<char>();
      break;
    }
  }
  check_outcome(text, parse_scenario(text, "mutant"));
  (void)parse_batch(text + text, "mutant");
}

} // namespace
} // namespace ptmc
