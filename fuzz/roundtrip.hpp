// The invariants the fuzz targets check, as plain functions so that a GoogleTest case can check
// a saved input the same way (tests/fuzz). Each returns a description of the first invariant the
// input breaks, or nullopt:
//  - parsing never throws, and an error names a line and column inside the input;
//  - what parses prints, the printed text parses back to the same thing, and printing that
//    gives the same text again (parse -> print -> parse is stable).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ptmc::fuzz {

// parse_scenario and parse_batch (docs/scenario-format.md).
std::optional<std::string> scenario_problem(std::string_view text);

// parse_trace_line (docs/trace-format.md).
std::optional<std::string> trace_line_problem(std::string_view text);

// parse_agent_stream (kernel/agent_protocol.hpp); the first byte picks the batch size (0..7),
// the rest is the agent's output.
std::optional<std::string> agent_stream_problem(std::string_view input);

} // namespace ptmc::fuzz
