// One scenario's run drawn as a path: a node per trace line, an edge per tracer action. The
// model's trace is the first column; a kernel's trace of the same scenario, where one exists
// (an `expect:` block recorded from a kernel, or a recorded run), is the second.
#pragma once

#include "engine/runner.hpp"
#include "model/profile.hpp"
#include "scenario/scenario.hpp"

#include <optional>
#include <string>
#include <vector>

namespace ptmc::report {

struct TraceColumn {
  std::string title; // "model linux-x86_64", "host Linux 6.18.44"
  Trace trace;
  std::vector<std::string> actions;   // per line: the tracer action taken there ("" if none)
  std::optional<size_t> differs_from; // a kernel column: the first line unlike the model's
};

struct ScenarioGraph {
  std::string name;
  Scenario scenario;
  std::vector<TraceColumn> columns;     // the model's first
  std::vector<RunViolation> violations; // of the model run
  std::optional<std::string> error;     // the model refused the scenario
};

ScenarioGraph scenario_graph(const std::string& name, const Scenario& scenario,
                             const Profile& profile);
// Adds a column: a trace of the same scenario that a kernel produced.
void add_kernel_column(ScenarioGraph& g, const std::string& title, const Trace& kernel_trace);

// Which action the tracer took at each line of a trace of this scenario: the listed actions at
// the stops in order, then the repeated one, then the runner's closing PTRACE_KILL.
std::vector<std::string> actions_along(const Scenario& s, const Trace& trace);

} // namespace ptmc::report
