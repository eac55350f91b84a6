// What the agent prints, and the one parser of it that both the host and the QEMU targets use.
//
//   ptmc-agent 1 kernel=RELEASE arch=x86_64
//   begin K
//   <canonical trace lines, docs/trace-format.md>
//   end K ok | end K hang MESSAGE | end K error MESSAGE
//   done N
//   fatal MESSAGE                (instead of the scenarios: the agent could not run the batch)
//
// Lines that do not belong to the protocol (kernel log noise on a serial console, \r) are
// skipped. A stream cut short leaves the scenarios without an `end` as errors.
#pragma once

#include "kernel/target.hpp"

#include <string>
#include <string_view>

namespace ptmc::kernel {

struct AgentStream {
  std::string kernel_release;
  std::string arch;
  bool saw_header = false;
  bool saw_done = false;
  std::string fatal;             // the agent's `fatal MESSAGE` line, when it gave up on the batch
  std::vector<Outcome> outcomes; // indexed by K
};

// `expected` is the batch size: the result always has that many outcomes.
AgentStream parse_agent_stream(std::string_view text, size_t expected, const std::string& target);

// The agent's side: each function gives whole lines, '\n'-terminated. Messages are made one
// line (line breaks become spaces), since the protocol is line-based.
std::string format_agent_header(std::string_view kernel_release, std::string_view arch);
std::string format_agent_result(size_t k, OutcomeStatus status, const Trace& trace,
                                std::string_view message);
std::string format_agent_done(size_t scenarios);
std::string format_agent_fatal(std::string_view message);

} // namespace ptmc::kernel
