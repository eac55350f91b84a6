// Interleaving scenarios: a Redox SMP counterexample as a file, thread by thread, step by step
// (docs/scenario-format.md, "Interleavings"). `ptmc check` prints them and `ptmc run FILE
// --on model` replays them through the same SmpModel::apply.
#pragma once

#include "model/redox/smp/check.hpp"
#include "model/redox/smp/variants.hpp"

#include <optional>
#include <string>
#include <vector>

namespace ptmc::redox_smp {

struct ScenarioStep {
  int line = 0, column = 1; // where it was written
  Label label;              // `label.arg` for requests is resolved against the replay's domain
  Request request;          // for Act::request
  std::string source;       // for Act::step: "file.rs:LINE" the step must stand for, or empty
};

struct InterleavingScenario {
  std::string source; // the file name, for messages
  std::string profile;
  int profile_line = 0;
  int cpus = 2;
  Attach attach = Attach::plain;
  bool kill_tracee = false, kill_tracer = false;
  std::vector<Insn> program;
  std::vector<ScenarioStep> steps;
  std::optional<std::vector<std::string>> expect;
};

struct ScenarioError {
  std::string source;
  int line = 0, column = 0;
  std::string message;
  std::string what() const; // FILE:LINE:COLUMN: error: MESSAGE
};

struct ParsedInterleaving {
  std::optional<InterleavingScenario> scenario;
  std::optional<ScenarioError> error;
};

// Whether a scenario text names a concurrent (Redox SMP) profile: its `profile` line.
std::optional<std::string> scenario_profile(const std::string& text);
ParsedInterleaving parse_interleaving(const std::string& text, const std::string& source);

struct ReplayResult {
  std::vector<std::string> printed;   // one line per step
  std::vector<std::string> outcome;   // observations and "violation NAME", in order
  std::optional<ScenarioError> error; // a step the model refused, or a wrong step source
  bool matches_expect = true;
  size_t first_difference = 0;
};

// The domain a scenario needs (its writes, its number of requests), and the replay.
Domain scenario_domain(const InterleavingScenario& sc);
ReplayResult replay(const Variant& v, const InterleavingScenario& sc);

// The outcome lines of an interleaving on a model (as the replay lists them).
std::vector<std::string> outcome_of(const SmpModel& m, const Interleaving& il);

} // namespace ptmc::redox_smp
