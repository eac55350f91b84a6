// The reader of the agent's output (kernel/agent_protocol.hpp). It has to survive a serial
// console: \r\n line ends, kernel log lines between (or, rarely, inside) the agent's lines, and
// a stream that stops anywhere.
#include "kernel/agent_protocol.hpp"

#include <charconv>
#include <optional>

namespace ptmc::kernel {

namespace {

std::string_view trim(std::string_view s) {
  const auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0';
  };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

// Splits off the first space-separated word.
std::string_view next_word(std::string_view& s) {
  s = trim(s);
  const size_t end = s.find(' ');
  std::string_view w = s.substr(0, end);
  s = end == std::string_view::npos ? std::string_view{} : trim(s.substr(end + 1));
  return w;
}

std::optional<size_t> parse_index(std::string_view w) {
  size_t v = 0;
  if (w.empty()) return std::nullopt;
  const auto r = std::from_chars(w.data(), w.data() + w.size(), v);
  if (r.ec != std::errc() || r.ptr != w.data() + w.size()) return std::nullopt;
  return v;
}

// The first word of every trace line (docs/trace-format.md): a line that starts with one but
// does not parse is a damaged trace line, not noise.
bool is_trace_kind(std::string_view w) {
  static constexpr std::string_view kinds[] = {
      "initial", "syscall-enter", "syscall-exit", "step",   "breakpoint", "trap-notify",
      "signal",  "detached",      "exited",       "killed", "hang"};
  for (std::string_view k : kinds)
    if (w == k) return true;
  return false;
}

// What the stream says in free text (messages, the kernel release) with every control byte, a
// serial console's stray \r included, shown as \xNN: the text reaches a terminal.
std::string printable(std::string_view s) {
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7f) {
      out += c;
      continue;
    }
    static const char hex[] = "0123456789abcdef";
    out += "\\x";
    out += hex[u >> 4];
    out += hex[u & 0xf];
  }
  return out;
}

// Protocol messages are one line.
std::string one_line(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c == '\n' || c == '\r') c = ' ';
  return out;
}

} // namespace

std::string format_agent_header(std::string_view kernel_release, std::string_view arch) {
  return "ptmc-agent 1 kernel=" + one_line(kernel_release) + " arch=" + one_line(arch) + "\n";
}

std::string format_agent_result(size_t k, OutcomeStatus status, const Trace& trace,
                                std::string_view message) {
  std::string out = "begin " + std::to_string(k) + '\n';
  for (const TraceLine& t : trace) out += format_trace_line(t) + '\n';
  out += "end " + std::to_string(k);
  switch (status) {
  case OutcomeStatus::ok:
    out += " ok";
    break;
  case OutcomeStatus::hang:
    out += " hang " + one_line(message);
    break;
  case OutcomeStatus::error:
    out += " error " + one_line(message);
    break;
  }
  return out + '\n';
}

std::string format_agent_done(size_t scenarios) {
  return "done " + std::to_string(scenarios) + "\n";
}

std::string format_agent_fatal(std::string_view message) {
  return "fatal " + one_line(message) + "\n";
}

AgentStream parse_agent_stream(std::string_view text, size_t expected, const std::string& target) {
  AgentStream st;
  st.outcomes.resize(expected);
  std::vector<bool> begun(expected, false), ended(expected, false);
  std::vector<std::string> damaged(expected);
  constexpr size_t kNone = static_cast<size_t>(-1);
  size_t current = kNone; // the scenario whose trace lines are being read

  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string_view line = trim(text.substr(pos, nl - pos));
    pos = nl + 1;
    if (line.empty()) continue;

    std::string_view rest = line;
    const std::string_view word = next_word(rest);
    if (word == "ptmc-agent") {
      // ptmc-agent 1 kernel=RELEASE arch=ARCH
      std::string_view fields = rest;
      if (next_word(fields) != "1") continue;
      st.saw_header = true;
      while (!fields.empty()) {
        const std::string_view f = next_word(fields);
        if (f.starts_with("kernel=")) st.kernel_release = printable(f.substr(7));
        if (f.starts_with("arch=")) st.arch = printable(f.substr(5));
      }
      continue;
    }
    if (word == "begin") {
      const auto k = parse_index(rest);
      if (!k) continue; // noise that happens to start with "begin"
      current = *k < expected ? *k : kNone;
      if (current != kNone) {
        begun[*k] = true;
        ended[*k] = false;
        damaged[*k].clear();
        st.outcomes[*k] = Outcome{};
      }
      continue;
    }
    if (word == "end") {
      std::string_view tail = rest;
      const auto k = parse_index(next_word(tail));
      const std::string_view status = next_word(tail);
      if (!k || current == kNone || *k != current) continue;
      Outcome& o = st.outcomes[*k];
      if (status == "ok") {
        o.status = OutcomeStatus::ok;
      } else if (status == "hang") {
        o.status = OutcomeStatus::hang;
        o.message = printable(tail);
      } else if (status == "error") {
        o.status = OutcomeStatus::error;
        o.message = printable(tail);
      } else {
        continue; // not an end line after all
      }
      ended[*k] = true;
      current = kNone;
      continue;
    }
    if (word == "done" && parse_index(rest)) {
      st.saw_done = true;
      current = kNone;
      continue;
    }
    if (word == "fatal" && st.saw_header) {
      st.fatal = printable(rest);
      current = kNone;
      continue;
    }
    if (current == kNone) continue; // noise between scenarios
    const TraceParseResult r = parse_trace_line(line);
    if (r.line) {
      st.outcomes[current].trace.push_back(*r.line);
    } else if (is_trace_kind(word) && damaged[current].empty()) {
      // Quoted: a damaged line may hold a console's \r or any other byte, and be long.
      damaged[current] = "damaged trace line " + quote_for_message(line, 200) + ": " + r.error;
    }
  }

  for (size_t k = 0; k < expected; ++k) {
    Outcome& o = st.outcomes[k];
    const std::string who = target + ": scenario " + std::to_string(k) + ": ";
    if (ended[k] && damaged[k].empty()) {
      if (o.status != OutcomeStatus::ok) o.message = who + o.message;
      continue;
    }
    o.status = OutcomeStatus::error;
    if (!damaged[k].empty()) {
      o.message = who + damaged[k];
    } else if (!st.fatal.empty()) {
      o.message = who + "no result: the agent gave up: " + st.fatal;
    } else if (begun[k]) {
      o.message = who + "no result: the agent's output stopped in the middle of its trace";
    } else if (!st.saw_header) {
      o.message = who + "no result: the agent's output has no header";
    } else {
      o.message = who + "no result: the agent's output ended before it";
    }
  }
  return st;
}

} // namespace ptmc::kernel
