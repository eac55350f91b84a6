// Parsers for scenario files and canonical trace lines (docs/scenario-format.md,
// docs/trace-format.md). Standard library only: the kernel agent links this statically.
//
// Every entry point catches everything: bad input gives back the first error, with the line and
// column of the offending token, and never throws.
#include "scenario/scenario.hpp"

#include <cstddef>
#include <cstdio>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ptmc {

std::string ParseError::what() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": error: " + message;
}

namespace {

constexpr int kMaxRepeat = 100000;
constexpr int kMaxSignal = 64;

// ---- Tokens ----------------------------------------------------------------------------------

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

struct Token {
  std::string_view text;
  int col = 1; // 1-based byte column
  int end_col() const { return col + static_cast<int>(text.size()); }
};

std::vector<Token> tokenize(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_space(s[i])) ++i;
    if (i >= s.size()) break;
    const size_t start = i;
    while (i < s.size() && !is_space(s[i])) ++i;
    out.push_back(Token{s.substr(start, i - start), static_cast<int>(start) + 1});
  }
  return out;
}

// A non-blank line with its comment cut off.
struct Line {
  int number = 0;
  std::vector<Token> toks;
  // The text from the first token's start to the last token's end.
  std::string_view content() const {
    const char* b = toks.front().text.data();
    const char* e = toks.back().text.data() + toks.back().text.size();
    return std::string_view(b, static_cast<size_t>(e - b));
  }
};

std::vector<Line> split_lines(std::string_view text) {
  std::vector<Line> lines;
  int number = 0;
  size_t pos = 0;
  for (;;) {
    const size_t nl = text.find('\n', pos);
    const size_t end = nl == std::string_view::npos ? text.size() : nl;
    ++number;
    std::string_view raw = text.substr(pos, end - pos);
    const size_t hash = raw.find('#');
    if (hash != std::string_view::npos) raw = raw.substr(0, hash);
    Line l;
    l.number = number;
    l.toks = tokenize(raw);
    if (!l.toks.empty()) lines.push_back(std::move(l));
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return lines;
}

std::string quote(std::string_view t) {
  return quote_for_message(t);
}

// Looks `s` up in a table of (name, value) pairs.
template <class T, size_t N>
bool find_name(const std::pair<std::string_view, T> (&names)[N], std::string_view s, T& out) {
  for (const auto& [name, value] : names)
    if (s == name) {
      out = value;
      return true;
    }
  return false;
}

// ---- Errors ----------------------------------------------------------------------------------

// Thrown inside this file only; every entry point catches it.
struct Failure {
  int line = 0;
  int col = 0;
  std::string message;
};

[[noreturn]] void fail(int line, int col, std::string message) {
  throw Failure{line, col, std::move(message)};
}

// ---- Numbers ---------------------------------------------------------------------------------

enum class Num { ok, malformed, overflow };

// Decimal or 0x-hex digits, no sign.
Num parse_magnitude(std::string_view s, uint64_t& out) {
  unsigned base = 10;
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  if (s.empty()) return Num::malformed;
  uint64_t v = 0;
  bool overflow = false;
  for (char c : s) {
    unsigned d;
    if (c >= '0' && c <= '9')
      d = static_cast<unsigned>(c - '0');
    else if (base == 16 && c >= 'a' && c <= 'f')
      d = static_cast<unsigned>(c - 'a' + 10);
    else if (base == 16 && c >= 'A' && c <= 'F')
      d = static_cast<unsigned>(c - 'A' + 10);
    else
      return Num::malformed;
    if (v > (std::numeric_limits<uint64_t>::max() - d) / base) overflow = true;
    v = v * base + d;
  }
  out = v;
  return overflow ? Num::overflow : Num::ok;
}

// [-]decimal or [-]0x-hex. Unsigned hex may use all 64 bits (0xffffffffffffffff is -1).
Num parse_i64(std::string_view s, int64_t& out) {
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  const bool hex = s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
  uint64_t mag = 0;
  const Num n = parse_magnitude(s, mag);
  if (n != Num::ok) return n;
  constexpr uint64_t kMin = uint64_t{1} << 63;
  if (negative) {
    if (mag > kMin) return Num::overflow;
    out = mag == kMin ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(mag);
  } else {
    if (!hex && mag >= kMin) return Num::overflow;
    out = static_cast<int64_t>(mag);
  }
  return Num::ok;
}

Num parse_int(std::string_view s, int& out) {
  int64_t v = 0;
  const Num n = parse_i64(s, v);
  if (n != Num::ok) return n;
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
    return Num::overflow;
  out = static_cast<int>(v);
  return Num::ok;
}

std::string number_error(Num n, std::string_view what, std::string_view tok) {
  if (n == Num::overflow) return std::string(what) + " out of range: " + quote(tok);
  return "bad " + std::string(what) + " " + quote(tok) + " (expected a decimal or 0x-hex number)";
}

// ---- Shared vocabulary -----------------------------------------------------------------------

// The names format_signal prints.
bool signal_by_name(std::string_view s, int& out) {
  static const std::pair<std::string_view, int> names[] = {
      {"SIGILL", 4},   {"SIGTRAP", sig::trap}, {"SIGKILL", sig::kill}, {"SIGUSR1", sig::usr1},
      {"SIGSEGV", 11}, {"SIGUSR2", sig::usr2}, {"SIGSTOP", sig::stop}, {"SIGSYS", sig::sys}};
  return find_name(names, s, out);
}

// Returns an error message, or empty on success.
std::string parse_loc(std::string_view s, Loc& out) {
  if (s == "outside") {
    out = Loc{Loc::Space::outside, 0};
    return {};
  }
  Loc l;
  std::string_view digits = s;
  if (!digits.empty() && digits[0] == 'h') {
    l.space = Loc::Space::handler;
    digits.remove_prefix(1);
  }
  if (digits.empty()) return "bad location " + quote(s) + " (expected an index, hN or outside)";
  uint32_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9')
      return "bad location " + quote(s) + " (expected an index, hN or outside)";
    v = v * 10 + static_cast<uint32_t>(c - '0');
    if (v > std::numeric_limits<uint16_t>::max())
      return "location index out of range: " + quote(s) + " (at most 65535)";
  }
  l.index = static_cast<uint16_t>(v);
  out = l;
  return {};
}

// The names format_errno prints.
bool errno_by_name(std::string_view s, int& out) {
  static const std::pair<std::string_view, int> names[] = {
      {"EPERM", 1},  {"ESRCH", 3},   {"EBADF", 9},   {"EAGAIN", 11}, {"EFAULT", 14},
      {"EBUSY", 16}, {"ENODEV", 19}, {"EINVAL", 22}, {"ENOSYS", 38}, {"ENOTRECOVERABLE", 131}};
  return find_name(names, s, out);
}

// A Redox flag word: names and numbers joined by '|' (`PRE_SYSCALL|FLAG_IGNORE`, `0x1003`, `0`).
// On error, `column` is the 0-based offset of the bad part in `s`.
bool parse_redox_word(std::string_view s, uint64_t& out, std::string& error, int& column) {
  static const std::pair<std::string_view, uint64_t> names[] = {
      {"PRE_SYSCALL", redox::pre_syscall}, {"POST_SYSCALL", redox::post_syscall},
      {"SINGLESTEP", redox::singlestep},   {"SIGNAL", redox::signal},
      {"BREAKPOINT", redox::breakpoint},   {"EXIT", redox::exit},
      {"EVENT_CLONE", redox::event_clone}, {"FLAG_IGNORE", redox::flag_ignore},
      {"FLAG_WAIT", redox::flag_wait}};
  out = 0;
  size_t pos = 0;
  for (;;) {
    const size_t bar = s.find('|', pos);
    const std::string_view part = s.substr(pos, bar == std::string_view::npos ? s.npos : bar - pos);
    bool named = false;
    for (const auto& [name, bit] : names)
      if (part == name) {
        out |= bit;
        named = true;
      }
    if (!named) {
      uint64_t v = 0;
      if (part.empty() || parse_magnitude(part, v) != Num::ok) {
        error = "bad flag " + quote(part) +
                " (expected PRE_SYSCALL, POST_SYSCALL, SINGLESTEP, SIGNAL, BREAKPOINT, EXIT, "
                "FLAG_IGNORE, FLAG_WAIT or a number, joined by '|')";
        column = static_cast<int>(pos);
        return false;
      }
      out |= v;
    }
    if (bar == std::string_view::npos) return true;
    pos = bar + 1;
  }
}

// ---- Trace lines -----------------------------------------------------------------------------

struct TraceFailure {
  int col = 0;
  std::string message;
};

[[noreturn]] void trace_fail(int col, std::string message) {
  throw TraceFailure{col, std::move(message)};
}

bool kind_by_name(std::string_view s, StopKind& out) {
  static const std::pair<std::string_view, StopKind> names[] = {
      {"initial", StopKind::initial},
      {"syscall-enter", StopKind::syscall_enter},
      {"syscall-exit", StopKind::syscall_exit},
      {"step", StopKind::step},
      {"breakpoint", StopKind::breakpoint},
      {"trap-notify", StopKind::trap_notify},
      {"signal", StopKind::signal},
      {"detached", StopKind::detached},
      {"exited", StopKind::exited},
      {"killed", StopKind::killed},
      {"hang", StopKind::hang},
      {"write", StopKind::redox_write},
      {"read", StopKind::redox_read},
      {"regs", StopKind::redox_regs},
      {"setregs", StopKind::redox_setregs},
      {"close", StopKind::redox_close}};
  return find_name(names, s, out);
}

class TraceReader {
public:
  explicit TraceReader(std::string_view text) : toks_(tokenize(text)), end_col_(1) {
    if (!toks_.empty()) end_col_ = toks_.back().end_col();
  }

  TraceLine read() {
    if (toks_.empty()) trace_fail(1, "empty trace line");
    TraceLine t;
    const Token& kind = toks_[0];
    if (!kind_by_name(kind.text, t.kind))
      trace_fail(kind.col, "unknown trace kind " + quote(kind.text));
    next_ = 1;
    switch (t.kind) {
    case StopKind::detached:
    case StopKind::hang:
      break;
    case StopKind::exited: {
      const Token v = field("code");
      t.exit_code = v.text == "pid" ? static_cast<int>(kPidToken) : int_value(v, "exit code");
      t.written = int_value(field("written"), "written count");
      break;
    }
    case StopKind::killed:
      t.signal = signal_value(field("sig"));
      t.written = int_value(field("written"), "written count");
      break;
    case StopKind::redox_write:
    case StopKind::redox_setregs:
    case StopKind::redox_close:
      read_ok_or_error(t);
      break;
    case StopKind::redox_read:
      read_redox_read(t);
      break;
    case StopKind::redox_regs:
      if (!read_error_if_any(t)) read_redox_regs(t);
      break;
    default:
      read_stop(t);
      break;
    }
    if (next_ < toks_.size())
      trace_fail(toks_[next_].col,
                 "unexpected " + quote(toks_[next_].text) + " after the last field");
    return t;
  }

private:
  // The next token must be `key=VALUE`; returns VALUE with its column.
  Token field(std::string_view key) {
    const std::string want = std::string(key) + "=";
    if (next_ >= toks_.size()) trace_fail(end_col_, "missing '" + want + "' field");
    const Token& tok = toks_[next_++];
    if (tok.text.substr(0, want.size()) != want)
      trace_fail(tok.col, "expected '" + want + "' here, found " + quote(tok.text));
    const Token v{tok.text.substr(want.size()), tok.col + static_cast<int>(want.size())};
    if (v.text.empty()) trace_fail(v.col, "missing value after '" + want + "'");
    return v;
  }

  static int int_value(const Token& v, std::string_view what) {
    int out = 0;
    const Num n = parse_int(v.text, out);
    if (n != Num::ok) trace_fail(v.col, number_error(n, what, v.text));
    return out;
  }

  static int signal_value(const Token& v) {
    int out = 0;
    if (signal_by_name(v.text, out)) return out;
    if (!v.text.empty() && v.text[0] == 'S') trace_fail(v.col, "unknown signal " + quote(v.text));
    const Num n = parse_int(v.text, out);
    if (n != Num::ok) trace_fail(v.col, "unknown signal " + quote(v.text));
    return out;
  }

  static int64_t reg_value(const Token& v, std::string_view what) {
    if (v.text == "pid") return kPidToken;
    int64_t out = 0;
    const Num n = parse_i64(v.text, out);
    if (n != Num::ok) trace_fail(v.col, number_error(n, what, v.text));
    return out;
  }

  static uint64_t unsigned_value(const Token& v, std::string_view what) {
    uint64_t out = 0;
    const Num n = parse_magnitude(v.text, out);
    if (n != Num::ok) trace_fail(v.col, number_error(n, what, v.text));
    return out;
  }

  struct Bit {
    std::string_view name;
    bool* value;
  };

  // NAME|NAME|... or '-', each NAME one of `bits`; `what` names one in messages.
  static void read_bits(const Token& v, std::initializer_list<Bit> bits, std::string_view what) {
    if (v.text == "-") return;
    std::string names;
    for (const Bit& b : bits) names += (names.empty() ? "" : ", ") + std::string(b.name);
    std::string_view rest = v.text;
    int col = v.col;
    for (;;) {
      const size_t bar = rest.find('|');
      const std::string_view name = rest.substr(0, bar);
      bool* bit = nullptr;
      for (const Bit& b : bits)
        if (b.name == name) bit = b.value;
      if (!bit)
        trace_fail(col, "bad " + std::string(what) + " " + quote(name) + " (expected " + names +
                            " joined by '|', or -)");
      if (*bit) trace_fail(col, std::string(what) + " " + quote(name) + " given twice");
      *bit = true;
      if (bar == std::string_view::npos) break;
      rest.remove_prefix(bar + 1);
      col += static_cast<int>(bar) + 1;
    }
  }

  static void read_flags(const Token& v, TraceLine& t) {
    read_bits(v, {{"TF", &t.tf}, {"ZF", &t.zf}, {"CF", &t.cf}}, "flag");
  }

  static void read_pstate(const Token& v, TraceLine& t) {
    read_bits(v, {{"N", &t.n}, {"Z", &t.z}, {"C", &t.c}, {"V", &t.v}, {"SS", &t.ss}}, "PSTATE bit");
  }

  // The aarch64 register fields, after op= (docs/trace-format.md).
  void read_aarch64(TraceLine& t) {
    t.arch = Arch::aarch64;
    t.x0 = reg_value(field("x0"), "x0");
    t.x8 = reg_value(field("x8"), "x8");
    t.syscallno = reg_value(field("syscallno"), "syscallno");
    t.x7 = unsigned_value(field("x7"), "x7");
    read_pstate(field("pstate"), t);
  }

  // ---- Redox lines ----

  // `error=E` as the next token: sets t.error and returns true; anything else is left unread.
  bool read_error_if_any(TraceLine& t) {
    if (next_ >= toks_.size() || toks_[next_].text.substr(0, 6) != "error=") return false;
    t.error = errno_value(field("error"));
    return true;
  }

  void read_ok_or_error(TraceLine& t) {
    if (read_error_if_any(t)) return;
    if (next_ >= toks_.size()) trace_fail(end_col_, "missing 'ok' or 'error='");
    const Token& tok = toks_[next_++];
    if (tok.text != "ok")
      trace_fail(tok.col, "expected 'ok' or 'error=', found " + quote(tok.text));
  }

  void read_redox_read(TraceLine& t) {
    if (read_error_if_any(t)) return;
    if (next_ < toks_.size() && toks_[next_].text == "none") {
      ++next_;
      return;
    }
    if (next_ >= toks_.size()) trace_fail(end_col_, "missing 'event=', 'none' or 'error='");
    const Token v = field("event");
    std::string error;
    int col = 0;
    if (!parse_redox_word(v.text, t.cause, error, col)) trace_fail(v.col + col, error);
    if (t.cause == 0)
      trace_fail(v.col, "an event's cause is never 0 (a read of nothing is 'none')");
    if (t.cause == redox::signal) {
      t.event_a = signal_value(field("sig"));
      const Token h = field("handler");
      if (h.text == "user")
        t.event_b = 1;
      else if (h.text != "default")
        trace_fail(h.col, "bad handler " + quote(h.text) + " (expected user or default)");
    } else if (t.cause == redox::exit) {
      const Token st = field("status");
      uint64_t status = 0;
      const Num n = parse_magnitude(st.text, status);
      if (n != Num::ok) trace_fail(st.col, number_error(n, "status", st.text));
      t.event_a = static_cast<int64_t>(status);
    }
  }

  void read_redox_regs(TraceLine& t) {
    const Token at = field("at");
    const std::string loc_error = parse_loc(at.text, t.at);
    if (!loc_error.empty()) trace_fail(at.col, loc_error);
    t.rax = reg_value(field("rax"), "rax");
    t.rbx = unsigned_value(field("rbx"), "rbx");
    read_flags(field("flags"), t);
  }

  static int errno_value(const Token& v) {
    int out = 0;
    if (errno_by_name(v.text, out)) return out;
    const Num n = parse_int(v.text, out);
    if (n != Num::ok || out <= 0)
      trace_fail(v.col, "bad error " + quote(v.text) +
                            " (expected a name such as EINVAL, or a "
                            "positive number)");
    return out;
  }

  void read_stop(TraceLine& t) {
    const Token at = field("at");
    const std::string loc_error = parse_loc(at.text, t.at);
    if (!loc_error.empty()) trace_fail(at.col, loc_error);

    t.signal = signal_value(field("sig"));

    const Token code = field("code");
    static const std::pair<std::string_view, int> codes[] = {{"SI_USER", code::si_user},
                                                             {"SI_KERNEL", code::si_kernel},
                                                             {"SI_TKILL", code::si_tkill},
                                                             {"TRAP_BRKPT", code::trap_brkpt},
                                                             {"TRAP_TRACE", code::trap_trace}};
    bool named = false;
    for (const auto& [name, value] : codes)
      if (code.text == name) {
        t.si_code = value;
        named = true;
      }
    if (!named) {
      const Num n = parse_int(code.text, t.si_code);
      if (n != Num::ok) trace_fail(code.col, number_error(n, "si_code", code.text));
    }

    const Token op = field("op");
    if (op.text == "none") {
      t.op = SyscallOp::none;
    } else if (op.text == "entry") {
      t.op = SyscallOp::entry;
    } else if (op.text == "exit") {
      t.op = SyscallOp::exit;
    } else if (op.text == "seccomp") {
      t.op = SyscallOp::seccomp;
    } else {
      int v = 0;
      if (parse_int(op.text, v) != Num::ok || v < 0 || v > 255)
        trace_fail(op.col, "bad op " + quote(op.text) + " (expected none, entry, exit or seccomp)");
      t.op = static_cast<SyscallOp>(v);
    }

    // The register fields name their architecture: x0= starts aarch64's, rax= x86_64's.
    if (next_ < toks_.size() && toks_[next_].text.starts_with("x0=")) {
      read_aarch64(t);
      return;
    }
    t.rax = reg_value(field("rax"), "rax");
    t.orig_rax = reg_value(field("orig_rax"), "orig_rax");
    t.rbx = unsigned_value(field("rbx"), "rbx");
    read_flags(field("flags"), t);
  }

  std::vector<Token> toks_;
  int end_col_;
  size_t next_ = 0;
};

// ---- Scenarios -------------------------------------------------------------------------------

enum class Section { none, program, handler, actions, expect };

const char* section_name(Section s) {
  switch (s) {
  case Section::program:
    return "program:";
  case Section::handler:
    return "handler:";
  case Section::actions:
    return "actions:";
  case Section::expect:
    return "expect:";
  case Section::none:
    break;
  }
  return "";
}

bool request_by_name(std::string_view s, Request& out) {
  static const std::pair<std::string_view, Request> names[] = {
      {"cont", Request::cont},
      {"syscall", Request::syscall},
      {"singlestep", Request::singlestep},
      {"sysemu", Request::sysemu},
      {"sysemu_singlestep", Request::sysemu_singlestep},
      {"detach", Request::detach},
      {"kill", Request::kill}};
  return find_name(names, s, out);
}

void no_more_tokens(const Line& l, size_t from, std::string_view after) {
  if (l.toks.size() > from)
    fail(l.number, l.toks[from].col,
         "unexpected " + quote(l.toks[from].text) + " after '" + std::string(after) + "'");
}

Insn parse_insn_text(const Line& l);

// An instruction of the alphabet, checked against the scenario's architecture.
Insn parse_insn(const Line& l, Arch arch) {
  const Insn in = parse_insn_text(l);
  if (const auto why = unsupported_on(arch, in)) {
    const Token& where = in.op == Op::set_nr ? l.toks[1] : l.toks[0];
    fail(l.number, where.col, *why);
  }
  return in;
}

Insn parse_insn_text(const Line& l) {
  const Token& t = l.toks[0];
  static const std::pair<std::string_view, Op> simple[] = {
      {"nop", Op::nop},     {"syscall", Op::syscall}, {"int3", Op::int3},
      {"cmp", Op::cmp},     {"setz", Op::setz},       {"pushf", Op::pushf},
      {"or_tf", Op::or_tf}, {"and_tf", Op::and_tf},   {"popf", Op::popf}};
  for (const auto& [name, op] : simple)
    if (t.text == name) {
      no_more_tokens(l, 1, name);
      return Insn{op, 0, Arg::buf};
    }

  if (t.text == "nr") {
    if (l.toks.size() < 2)
      fail(l.number, t.col, "'nr' needs a syscall number or name, e.g. 'nr getpid'");
    const Token& v = l.toks[1];
    no_more_tokens(l, 2, "nr " + std::string(v.text));
    static const std::pair<std::string_view, int64_t> names[] = {{"write", nr::write},
                                                                 {"getpid", nr::getpid},
                                                                 {"kill", nr::kill},
                                                                 {"exit_group", nr::exit_group},
                                                                 {"rt_sigreturn", nr::rt_sigreturn},
                                                                 {"invalid", nr::invalid},
                                                                 {"none", nr::none}};
    for (const auto& [name, value] : names)
      if (v.text == name) return Insn{Op::set_nr, value, Arg::buf};
    int64_t n = 0;
    const Num r = parse_i64(v.text, n);
    if (r == Num::malformed)
      fail(l.number, v.col,
           "unknown syscall " + quote(v.text) +
               " (expected write, getpid, kill, exit_group, rt_sigreturn, invalid, none or a "
               "number)");
    if (r == Num::overflow || n < std::numeric_limits<int32_t>::min() ||
        n > std::numeric_limits<int32_t>::max())
      fail(l.number, v.col,
           "syscall number " + quote(v.text) +
               " out of range (mov rax, imm32 takes -2147483648..2147483647)");
    return Insn{Op::set_nr, n, Arg::buf};
  }

  if (t.text == "arg") {
    if (l.toks.size() < 2) fail(l.number, t.col, "'arg' needs buf, SIGUSR1 or SIGUSR2");
    const Token& v = l.toks[1];
    no_more_tokens(l, 2, "arg " + std::string(v.text));
    if (v.text == "buf") return Insn{Op::set_arg, 0, Arg::buf};
    if (v.text == "SIGUSR1") return Insn{Op::set_arg, 0, Arg::sigusr1};
    if (v.text == "SIGUSR2") return Insn{Op::set_arg, 0, Arg::sigusr2};
    fail(l.number, v.col, "unknown arg " + quote(v.text) + " (expected buf, SIGUSR1 or SIGUSR2)");
  }

  fail(l.number, t.col, "unknown instruction " + quote(t.text));
}

// The value of a register edit: a location for rip, 0 or 1 for tf, a number otherwise. `key`
// is the key as written (tf=, or ss= on aarch64), for messages.
Edit parse_edit(const Line& l, Reg reg, const Token& v, std::string_view key) {
  if (reg == Reg::rip) {
    Loc loc;
    const std::string err = parse_loc(v.text, loc);
    if (!err.empty()) fail(l.number, v.col, err);
    return Edit{Reg::rip, 0, loc};
  }
  if (reg == Reg::tf) {
    if (v.text != "0" && v.text != "1")
      fail(l.number, v.col, std::string(key) + "= must be 0 or 1, found " + quote(v.text));
    return Edit{Reg::tf, v.text == "1" ? 1 : 0, Loc{}};
  }
  int64_t n = 0;
  const Num r = parse_i64(v.text, n);
  if (r != Num::ok)
    fail(l.number, v.col, number_error(r, "value for " + std::string(key) + "=", v.text));
  return Edit{reg, n, Loc{}};
}

// The edit a key names on `arch`, or nullopt. A key of the other architecture is an error.
std::optional<Reg> edit_reg(const Line& l, const Token& tok, std::string_view key, Arch arch) {
  for (Reg r : {Reg::orig_rax, Reg::rax, Reg::rip, Reg::tf}) {
    if (key == edit_key(r, arch)) return r;
    const Arch other = arch == Arch::x86_64 ? Arch::aarch64 : Arch::x86_64;
    if (key == edit_key(r, other))
      fail(l.number, tok.col,
           "'" + std::string(key) + "=' is an " + std::string(arch_name(other)) +
               " register; this scenario's profile is " + std::string(arch_name(arch)) +
               ", which writes '" + std::string(edit_key(r, arch)) + "='");
  }
  return std::nullopt;
}

// Parses REQUEST KEY=VALUE... starting at token `first`. With `max` set, the line is a
// `repeat` line and max= is required.
Action parse_action(const Line& l, size_t first, int* max, Arch arch) {
  const Token& rt = l.toks[first];
  Action a;
  if (!request_by_name(rt.text, a.request))
    fail(l.number, rt.col,
         "unknown request " + quote(rt.text) +
             " (expected cont, syscall, singlestep, sysemu, sysemu_singlestep, detach, kill" +
             (max ? ", or a Redox operation)" : ", a Redox operation or repeat)"));
  bool seen_sig = false, seen_max = false;
  bool seen_reg[4] = {false, false, false, false};
  for (size_t i = first + 1; i < l.toks.size(); ++i) {
    const Token& tok = l.toks[i];
    const size_t eq = tok.text.find('=');
    if (eq == std::string_view::npos || eq == 0)
      fail(l.number, tok.col, "expected KEY=VALUE, found " + quote(tok.text));
    const std::string_view key = tok.text.substr(0, eq);
    const Token v{tok.text.substr(eq + 1), tok.col + static_cast<int>(eq) + 1};
    const std::string key_eq = std::string(key) + "=";

    const std::optional<Reg> edit = edit_reg(l, tok, key, arch);
    const bool is_reg = edit.has_value();
    const Reg reg = edit.value_or(Reg::rax);

    if (!is_reg && key != "sig" && key != "max") {
      std::string keys = "sig=";
      for (Reg r : {Reg::orig_rax, Reg::rax, Reg::rip, Reg::tf})
        keys += ", " + std::string(edit_key(r, arch)) + "=";
      fail(l.number, tok.col,
           "unknown key " + quote(key) + " (expected " + keys + (max ? " or max=)" : ")"));
    }
    if (key == "max" && !max) fail(l.number, tok.col, "max= is only allowed in a 'repeat' line");
    bool& seen = is_reg ? seen_reg[static_cast<int>(reg)] : key == "sig" ? seen_sig : seen_max;
    if (seen) fail(l.number, tok.col, "duplicate '" + key_eq + "'");
    seen = true;
    if (v.text.empty()) fail(l.number, v.col, "missing value after '" + key_eq + "'");

    if (key == "sig") {
      if (v.text == "pass") {
        a.pass = true;
        continue;
      }
      if (signal_by_name(v.text, a.signal)) continue;
      int n = 0;
      const Num r = parse_int(v.text, n);
      if (r == Num::malformed)
        fail(l.number, v.col,
             "unknown signal " + quote(v.text) +
                 " (expected SIGUSR1, SIGUSR2, SIGTRAP, SIGSTOP, SIGKILL, a number or pass)");
      if (r == Num::overflow || n < 1 || n > kMaxSignal)
        fail(l.number, v.col, "signal number must be 1..64, found " + quote(v.text));
      a.signal = n;
    } else if (key == "max") {
      int n = 0;
      if (parse_int(v.text, n) != Num::ok || n < 1 || n > kMaxRepeat)
        fail(l.number, v.col, "max= must be 1..100000, found " + quote(v.text));
      *max = n;
    } else {
      a.edits.push_back(parse_edit(l, reg, v, key));
    }
  }
  if (max && !seen_max) fail(l.number, l.toks[first - 1].col, "repeat needs max=N (1..100000)");
  return a;
}

// ---- Redox actions ----------------------------------------------------------------------------

bool redox_op_by_name(std::string_view s, RedoxOp& out) {
  static const std::pair<std::string_view, RedoxOp> names[] = {{"write", RedoxOp::write},
                                                               {"read", RedoxOp::read},
                                                               {"getregs", RedoxOp::getregs},
                                                               {"setregs", RedoxOp::setregs},
                                                               {"close", RedoxOp::close}};
  return find_name(names, s, out);
}

bool is_2020_profile(std::string_view profile) {
  return profile.substr(0, 10) == "redox-2020";
}

// The bits of a word the kernel accepts (I3 in docs/redox-sources.md) but the model has no
// meaning for, named.
std::string unmodelled_bits(uint64_t word) {
  std::string out;
  for (uint64_t bit = 1; bit <= redox::kernel_accepts; bit <<= 1) {
    if (!(word & bit) || (bit & redox::modelled)) continue;
    if (!out.empty()) out += ", ";
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(bit));
    out += buf;
    if (bit == redox::event_clone) out += " (EVENT_CLONE: the model has no clone)";
  }
  return out;
}

// One Redox operation from tokens [first, end) of line `l`.
RedoxAction parse_redox_action(const Line& l, size_t first, size_t end, std::string_view profile) {
  const Token& ot = l.toks[first];
  RedoxAction a;
  if (!redox_op_by_name(ot.text, a.op))
    fail(l.number, ot.col,
         "unknown operation " + quote(ot.text) +
             " (expected write, read, getregs, setregs, close)");
  const auto no_more = [&](size_t from) {
    if (from < end)
      fail(l.number, l.toks[from].col,
           "unexpected " + quote(l.toks[from].text) + " after '" + std::string(ot.text) + "'");
  };
  switch (a.op) {
  case RedoxOp::write: {
    if (first + 1 >= end)
      fail(l.number, ot.col,
           "'write' needs a flag word, e.g. 'write PRE_SYSCALL|POST_SYSCALL' or 'write 0'");
    const Token& w = l.toks[first + 1];
    std::string error;
    int col = 0;
    if (!parse_redox_word(w.text, a.flags, error, col)) fail(l.number, w.col + col, error);
    const std::string extra = unmodelled_bits(a.flags);
    if (!extra.empty())
      fail(l.number, w.col,
           "flag word " + quote(w.text) +
               " has bits the kernel accepts but the model does not "
               "follow: " +
               extra);
    if ((a.flags & redox::flag_wait) && is_2020_profile(profile))
      fail(l.number, w.col,
           "FLAG_WAIT (0x2000) is not in the 2020 interface (redox-os/syscall 1c637e72 removed "
           "it; the 2020 kernel accepts the bit and ignores it)");
    no_more(first + 2);
    break;
  }
  case RedoxOp::setregs: {
    bool seen[4] = {false, false, false, false};
    for (size_t i = first + 1; i < end; ++i) {
      const Token& tok = l.toks[i];
      const size_t eq = tok.text.find('=');
      if (eq == std::string_view::npos || eq == 0)
        fail(l.number, tok.col, "expected KEY=VALUE, found " + quote(tok.text));
      const std::string_view key = tok.text.substr(0, eq);
      const Token v{tok.text.substr(eq + 1), tok.col + static_cast<int>(eq) + 1};
      Reg reg;
      if (key == "rax")
        reg = Reg::rax;
      else if (key == "rip")
        reg = Reg::rip;
      else if (key == "tf")
        reg = Reg::tf;
      else if (key == "orig_rax")
        fail(l.number, tok.col,
             "Redox's register struct has no orig_rax (rax holds the syscall "
             "number at PRE_SYSCALL)");
      else
        fail(l.number, tok.col, "unknown key " + quote(key) + " (expected rax=, rip= or tf=)");
      bool& dup = seen[static_cast<int>(reg)];
      if (dup) fail(l.number, tok.col, "duplicate '" + std::string(key) + "='");
      dup = true;
      if (v.text.empty()) fail(l.number, v.col, "missing value after '" + std::string(key) + "='");
      a.edits.push_back(parse_edit(l, reg, v, key));
    }
    break;
  }
  default:
    no_more(first + 1);
    break;
  }
  return a;
}

// `repeat OP; OP; ... max=N`: operations separated by ';' (alone or ending a token).
std::vector<RedoxAction> parse_redox_repeat(const Line& l, std::string_view profile, int* max) {
  std::vector<Token> toks(l.toks.begin() + 1, l.toks.end());
  if (toks.empty() || toks.back().text.substr(0, 4) != "max=")
    fail(l.number, l.toks[0].col, "repeat needs max=N (1..100000) at the end of the line");
  const Token mt = toks.back();
  toks.pop_back();
  int n = 0;
  if (parse_int(mt.text.substr(4), n) != Num::ok || n < 1 || n > kMaxRepeat)
    fail(l.number, mt.col + 4, "max= must be 1..100000, found " + quote(mt.text.substr(4)));
  *max = n;
  // Re-split on ';' into the lines of a pseudo-line, then parse each group.
  Line group;
  group.number = l.number;
  std::vector<RedoxAction> out;
  const auto flush = [&](int col) {
    if (group.toks.empty()) fail(l.number, col, "empty operation in 'repeat' (two ';' in a row?)");
    out.push_back(parse_redox_action(group, 0, group.toks.size(), profile));
    group.toks.clear();
  };
  for (const Token& t : toks) {
    size_t from = 0;
    for (;;) {
      const size_t semi = t.text.find(';', from);
      const std::string_view part =
          t.text.substr(from, semi == t.text.npos ? t.text.npos : semi - from);
      if (!part.empty()) group.toks.push_back(Token{part, t.col + static_cast<int>(from)});
      if (semi == t.text.npos) break;
      flush(t.col + static_cast<int>(semi));
      from = semi + 1;
    }
  }
  flush(mt.col);
  return out;
}

// Parses one scenario from lines [first, last); `first` must be its `ptmc-scenario` line.
Scenario parse_lines(const Line* first, const Line* last) {
  const Line& h = *first;
  const Token& head = h.toks[0];
  if (head.text != "ptmc-scenario")
    fail(h.number, head.col,
         "missing 'ptmc-scenario' header (the first line must be 'ptmc-scenario 1')");
  if (h.toks.size() < 2)
    fail(h.number, head.col, "'ptmc-scenario' needs the format version: 'ptmc-scenario 1'");
  const Token& vt = h.toks[1];
  int version = 0;
  const Num vn = parse_int(vt.text, version);
  if (vn == Num::malformed) fail(h.number, vt.col, "bad format version " + quote(vt.text));
  if (vn == Num::overflow || version != 1)
    fail(h.number, vt.col,
         "unsupported format version " +
             std::string(vn == Num::ok ? std::to_string(version) : quote(vt.text)) +
             " (this ptmc reads version 1)");
  no_more_tokens(h, 2, "ptmc-scenario " + std::string(vt.text));

  Scenario s;
  s.version = version;
  Section cur = Section::none;
  int profile_line = 0, options_line = 0;
  int section_line[5] = {0, 0, 0, 0, 0};
  int repeat_line = 0;
  // Where the first action of each kind is, and each option, for the consistency checks.
  std::pair<int, int> first_linux{0, 0}, first_redox{0, 0};
  std::vector<std::pair<std::string_view, std::pair<int, int>>> option_pos;

  for (const Line* lp = first + 1; lp != last; ++lp) {
    const Line& l = *lp;
    const Token& t = l.toks[0];
    if (t.text == "ptmc-scenario")
      fail(l.number, t.col,
           "a second 'ptmc-scenario' header (a file with several scenarios is a batch)");

    if (t.text.back() == ':') {
      Section next = Section::none;
      for (Section c : {Section::program, Section::handler, Section::actions, Section::expect})
        if (t.text == section_name(c)) next = c;
      if (next == Section::none)
        fail(l.number, t.col,
             "unknown section " + quote(t.text) +
                 " (expected program:, handler:, actions: or expect:)");
      int& seen = section_line[static_cast<int>(next)];
      if (seen)
        fail(l.number, t.col,
             "duplicate '" + std::string(section_name(next)) + "' section (the first is on line " +
                 std::to_string(seen) + ")");
      seen = l.number;
      no_more_tokens(l, 1, section_name(next));
      cur = next;
      if (cur == Section::expect) s.expect.emplace();
      continue;
    }

    switch (cur) {
    case Section::none:
      if (t.text == "profile") {
        if (profile_line)
          fail(l.number, t.col,
               "duplicate 'profile' line (the first is on line " + std::to_string(profile_line) +
                   ")");
        profile_line = l.number;
        if (l.toks.size() < 2)
          fail(l.number, t.col, "'profile' needs a name, e.g. 'profile linux-x86_64'");
        s.profile = std::string(l.toks[1].text);
        no_more_tokens(l, 2, "profile " + s.profile);
      } else if (t.text == "options") {
        if (options_line)
          fail(l.number, t.col,
               "duplicate 'options' line (the first is on line " + std::to_string(options_line) +
                   ")");
        options_line = l.number;
        for (size_t i = 1; i < l.toks.size(); ++i) {
          const Token& w = l.toks[i];
          bool* flag = w.text == "tracesysgood" ? &s.options.tracesysgood
                       : w.text == "o_excl"     ? &s.options.o_excl
                       : w.text == "o_nonblock" ? &s.options.o_nonblock
                                                : nullptr;
          if (!flag)
            fail(l.number, w.col,
                 "unknown option " + quote(w.text) +
                     " (expected tracesysgood, o_excl, o_nonblock)");
          if (*flag) fail(l.number, w.col, "duplicate option " + quote(w.text));
          *flag = true;
          option_pos.push_back({w.text, {l.number, w.col}});
        }
      } else {
        fail(l.number, t.col,
             "unknown key " + quote(t.text) +
                 " (expected 'profile', 'options' or a section such as 'program:')");
      }
      break;
    case Section::program:
      s.program.push_back(parse_insn(l, s.arch()));
      break;
    case Section::handler:
      s.handler.push_back(parse_insn(l, s.arch()));
      break;
    case Section::actions:
      if (repeat_line)
        fail(l.number, t.col,
             "repeat must be the last action (the repeat is on line " +
                 std::to_string(repeat_line) + ")");
      {
        const bool is_repeat = t.text == "repeat";
        if (is_repeat && l.toks.size() < 2)
          fail(l.number, t.col, "'repeat' needs an action, e.g. 'repeat cont max=10'");
        const Token& head_tok = l.toks[is_repeat ? 1 : 0];
        RedoxOp op;
        const bool redox = redox_op_by_name(head_tok.text.substr(0, head_tok.text.find(';')), op);
        auto& mine = redox ? first_redox : first_linux;
        const auto& other = redox ? first_linux : first_redox;
        if (other.first)
          fail(l.number, head_tok.col,
               std::string(redox ? "a Redox operation after Linux requests"
                                 : "a Linux request after Redox operations") +
                   " (line " + std::to_string(other.first) +
                   "): a scenario's actions are all of one kind");
        if (!mine.first) mine = {l.number, head_tok.col};
        if (is_repeat) repeat_line = l.number;
        if (redox && is_repeat)
          s.redox_repeat = parse_redox_repeat(l, s.profile, &s.repeat_max);
        else if (redox)
          s.redox_actions.push_back(parse_redox_action(l, 0, l.toks.size(), s.profile));
        else if (is_repeat)
          s.repeat = parse_action(l, 1, &s.repeat_max, s.arch());
        else
          s.actions.push_back(parse_action(l, 0, nullptr, s.arch()));
      }
      break;
    case Section::expect: {
      const std::string_view content = l.content();
      TraceParseResult r = parse_trace_line(content);
      if (!r.line) fail(l.number, t.col + (r.column > 0 ? r.column - 1 : 0), "expect: " + r.error);
      const bool stop_line = r.line->kind != StopKind::detached &&
                             r.line->kind != StopKind::exited && r.line->kind != StopKind::killed &&
                             r.line->kind != StopKind::hang;
      if (stop_line && r.line->arch != s.arch())
        fail(l.number, t.col,
             "expect: an " + std::string(arch_name(r.line->arch)) +
                 " trace line in a scenario whose profile is " + std::string(arch_name(s.arch())));
      s.expect->push_back(*r.line);
      break;
    }
    }
  }

  if (!profile_line)
    fail(h.number, head.col, "missing 'profile' line, e.g. 'profile linux-x86_64'");
  if (!section_line[static_cast<int>(Section::program)])
    fail(h.number, head.col, "'program:' section missing");
  if (first_redox.first && s.profile.substr(0, 6) != "redox-")
    fail(first_redox.first, first_redox.second,
         "Redox operations need a Redox profile (redox-2019, redox-2020, ...), not " +
             quote(s.profile));
  for (const auto& [name, pos] : option_pos) {
    if (first_redox.first && name == "tracesysgood")
      fail(pos.first, pos.second,
           "tracesysgood is a Linux option; Redox operations take o_excl and o_nonblock");
    if (first_linux.first && name != "tracesysgood")
      fail(pos.first, pos.second,
           quote(name) + " is an option of Redox operations (Linux requests on a Redox profile "
                         "open the trace file as relibc does)");
  }
  return s;
}

ParseError make_error(const std::string& file, int line, int col, std::string message) {
  ParseError e;
  e.file = file;
  e.line = line;
  e.column = col;
  e.message = std::move(message);
  return e;
}

} // namespace

std::string quote_for_message(std::string_view text, size_t max_bytes) {
  std::string out = "'";
  for (size_t i = 0; i < text.size() && i < max_bytes; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      static const char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    }
  }
  if (text.size() > max_bytes) out += "...";
  out += '\'';
  return out;
}

TraceParseResult parse_trace_line(std::string_view text) {
  TraceParseResult r;
  try {
    r.line = TraceReader(text).read();
  } catch (const TraceFailure& f) {
    r.error = f.message;
    r.column = f.col;
  } catch (...) {
    r.error = "out of memory";
    r.column = 1;
  }
  return r;
}

ParseResult parse_scenario(std::string_view text, std::string file_name) {
  ParseResult r;
  try {
    const std::vector<Line> lines = split_lines(text);
    if (lines.empty()) {
      r.error = make_error(file_name, 1, 1, "missing 'ptmc-scenario' header (the file is empty)");
      return r;
    }
    Scenario s = parse_lines(lines.data(), lines.data() + lines.size());
    s.source = file_name;
    r.scenario = std::move(s);
  } catch (const Failure& f) {
    r.error = make_error(file_name, f.line, f.col, f.message);
  } catch (...) {
    r.error = make_error(file_name, 1, 1, "out of memory");
  }
  return r;
}

BatchParseResult parse_batch(std::string_view text, std::string file_name) {
  BatchParseResult r;
  try {
    const std::vector<Line> lines = split_lines(text);
    size_t i = 0;
    while (i < lines.size()) {
      size_t j = i + 1;
      while (j < lines.size() && lines[j].toks[0].text != "ptmc-scenario") ++j;
      Scenario s = parse_lines(lines.data() + i, lines.data() + j);
      s.source = file_name;
      r.scenarios.push_back(std::move(s));
      i = j;
    }
  } catch (const Failure& f) {
    r.error = make_error(file_name, f.line, f.col, f.message);
  } catch (...) {
    r.error = make_error(file_name, 1, 1, "out of memory");
  }
  return r;
}

} // namespace ptmc
