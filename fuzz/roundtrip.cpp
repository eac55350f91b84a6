#include "fuzz/roundtrip.hpp"

#include "kernel/agent_protocol.hpp"
#include "scenario/scenario.hpp"

#include <algorithm>
#include <vector>

namespace ptmc::fuzz {

namespace {

std::string lines_of(const Trace& t) {
  std::string out;
  for (const TraceLine& l : t) out += format_trace_line(l) + '\n';
  return out;
}

// Everything a scenario file says. Trace lines count as printed: fields a line does not print
// (the exit code of a stop line, the 0x80 bit of a stop signal) do not survive printing, by
// design (docs/trace-format.md).
bool same_scenario(const Scenario& a, const Scenario& b) {
  return a.version == b.version && a.profile == b.profile && a.options == b.options &&
         a.program == b.program && a.handler == b.handler && a.actions == b.actions &&
         a.repeat == b.repeat && a.repeat_max == b.repeat_max &&
         a.expect.has_value() == b.expect.has_value() &&
         (!a.expect || lines_of(*a.expect) == lines_of(*b.expect));
}

size_t line_count(std::string_view text) {
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
}

std::optional<std::string> error_problem(const ParseError& e, std::string_view text) {
  if (e.message.empty()) return "an error without a message";
  if (e.line < 1 || static_cast<size_t>(e.line) > line_count(text) || e.column < 1)
    return "error position " + std::to_string(e.line) + ":" + std::to_string(e.column) +
           " is outside the input: " + e.what();
  if (e.what().rfind(e.file + ":", 0) != 0) return "the message does not start with the file name";
  return std::nullopt;
}

std::optional<std::string> batch_problem(const BatchParseResult& r, std::string_view text) {
  if (r.error) return error_problem(*r.error, text);
  std::string printed;
  for (const Scenario& s : r.scenarios) printed += format_scenario(s);
  const BatchParseResult again = parse_batch(printed, "fuzz");
  if (again.error) return "a printed batch does not parse: " + again.error->what() + "\n" + printed;
  if (again.scenarios.size() != r.scenarios.size())
    return "a printed batch of " + std::to_string(r.scenarios.size()) + " scenarios parses as " +
           std::to_string(again.scenarios.size());
  for (size_t i = 0; i < r.scenarios.size(); ++i)
    if (!same_scenario(r.scenarios[i], again.scenarios[i]))
      return "batch scenario " + std::to_string(i) + " changes when printed and parsed:\n" +
             format_scenario(r.scenarios[i]) + "---\n" + format_scenario(again.scenarios[i]);
  return std::nullopt;
}

} // namespace

std::optional<std::string> scenario_problem(std::string_view text) {
  const BatchParseResult batch = parse_batch(text, "fuzz");
  if (auto p = batch_problem(batch, text)) return p;
  const ParseResult r = parse_scenario(text, "fuzz");
  if (r.error && r.scenario) return "both a scenario and an error";
  if (r.error) return error_problem(*r.error, text);
  if (!r.scenario) return "neither a scenario nor an error";
  // One scenario is also a batch of one.
  if (batch.scenarios.size() != 1 || !same_scenario(batch.scenarios[0], *r.scenario))
    return "the batch reading of one scenario differs";
  const std::string printed = format_scenario(*r.scenario);
  const ParseResult again = parse_scenario(printed, "fuzz");
  if (!again.scenario)
    return "the printed scenario does not parse: " + again.error->what() + "\n" + printed;
  if (!same_scenario(*r.scenario, *again.scenario))
    return "the scenario changes when printed and parsed:\n" + printed + "---\n" +
           format_scenario(*again.scenario);
  if (format_scenario(*again.scenario) != printed) return "printing is not stable:\n" + printed;
  return std::nullopt;
}

std::optional<std::string> trace_line_problem(std::string_view text) {
  const TraceParseResult r = parse_trace_line(text);
  if (!r.line) {
    if (r.error.empty()) return "an error without a message";
    if (r.column < 1 || static_cast<size_t>(r.column) > text.size() + 1)
      return "error column " + std::to_string(r.column) + " is outside the line: " + r.error;
    return std::nullopt;
  }
  const std::string printed = format_trace_line(*r.line);
  const TraceParseResult again = parse_trace_line(printed);
  if (!again.line) return "the printed line does not parse: '" + printed + "': " + again.error;
  if (format_trace_line(*again.line) != printed)
    return "printing is not stable: '" + printed + "' -> '" + format_trace_line(*again.line) + "'";
  if (*again.line != *parse_trace_line(format_trace_line(*again.line)).line)
    return "a printed line parses to something else: '" + printed + "'";
  return std::nullopt;
}

namespace {

using kernel::AgentStream;
using kernel::Outcome;
using kernel::OutcomeStatus;

// The stream as the agent would have printed it. A parsed message carries the parser's prefix
// ("fuzz: scenario K: "), which the agent never prints.
std::string print_stream(const AgentStream& st) {
  std::string out;
  if (st.saw_header) out += kernel::format_agent_header(st.kernel_release, st.arch);
  for (size_t k = 0; k < st.outcomes.size(); ++k) {
    const Outcome& o = st.outcomes[k];
    std::string_view message = o.message;
    const std::string prefix = "fuzz: scenario " + std::to_string(k) + ": ";
    if (message.rfind(prefix, 0) == 0) message.remove_prefix(prefix.size());
    out += kernel::format_agent_result(k, o.status, o.trace, message);
  }
  if (st.saw_done) out += kernel::format_agent_done(st.outcomes.size());
  if (!st.fatal.empty()) out += kernel::format_agent_fatal(st.fatal);
  return out;
}

} // namespace

std::optional<std::string> agent_stream_problem(std::string_view input) {
  if (input.empty()) return std::nullopt;
  const size_t expected = static_cast<unsigned char>(input[0]) % 8;
  const std::string_view text = input.substr(1);
  const AgentStream st = kernel::parse_agent_stream(text, expected, "fuzz");
  if (st.outcomes.size() != expected)
    return std::to_string(st.outcomes.size()) + " outcomes for a batch of " +
           std::to_string(expected);
  for (size_t k = 0; k < expected; ++k) {
    const Outcome& o = st.outcomes[k];
    const std::string prefix = "fuzz: scenario " + std::to_string(k) + ": ";
    if (o.status == OutcomeStatus::ok && !o.message.empty())
      return "scenario " + std::to_string(k) + " is ok with a message: " + o.message;
    if (o.status != OutcomeStatus::ok && o.message.rfind(prefix, 0) != 0)
      return "scenario " + std::to_string(k) + "'s failure does not name it: " + o.message;
  }
  const std::string printed = print_stream(st);
  const AgentStream again = kernel::parse_agent_stream(printed, expected, "fuzz");
  const std::string reprinted = print_stream(again);
  if (reprinted != printed)
    return "the stream changes when printed and parsed:\n" + printed + "---\n" + reprinted;
  if (again.saw_header != st.saw_header || again.saw_done != st.saw_done ||
      again.kernel_release != st.kernel_release || again.arch != st.arch || again.fatal != st.fatal)
    return "the stream's header, done or fatal line changes when printed and parsed";
  for (size_t k = 0; k < expected; ++k) {
    const Outcome &a = st.outcomes[k], &b = again.outcomes[k];
    if (a.status != b.status || a.message != b.message || lines_of(a.trace) != lines_of(b.trace))
      return "scenario " + std::to_string(k) + " changes when printed and parsed: '" + a.message +
             "' -> '" + b.message + "'";
  }
  return std::nullopt;
}

} // namespace ptmc::fuzz
