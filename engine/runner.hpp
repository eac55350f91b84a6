// Running one scenario on the model: the same transitions the explorer takes, with the program
// and the tracer's actions fixed by the scenario. It also watches the monitored properties and,
// when the tracer only resumes, compares against an untraced run (transparency), so that a
// counterexample printed by `check` shows its violation again when replayed.
#pragma once

#include "model/profile.hpp"
#include "props/properties.hpp"
#include "scenario/scenario.hpp"

#include <optional>
#include <string>
#include <vector>

namespace ptmc {

struct RunViolation {
  PropertyId property;
  size_t trace_line; // the index of the trace line at or after which it happened
};

struct ModelRun {
  Trace trace;
  std::vector<RunViolation> violations;
  RuleSet rules_fired;
  std::optional<std::string> error; // the scenario cannot run on the model
};

ModelRun run_on_model(const Scenario& scenario, const Profile& profile);

// Where `expected` and `actual` first differ, or nullopt if they are equal.
std::optional<size_t> first_difference(const Trace& expected, const Trace& actual);

} // namespace ptmc
