// Protocol properties of props/ for programs of any length, by induction over the symbolic
// transition relation (prove/relation.hpp) of the abstract model (prove/abstraction.hpp), with
// the monitors of props/monitor.hpp run over the symbolic states by the same code as in the
// explicit checker. prove/README.md, "Programs of any length", states the method.
#pragma once

#include "model/linux/x86_64/arch.hpp"
#include "model/profile.hpp"
#include "props/properties.hpp"
#include "prove/facts.hpp"
#include "scenario/scenario.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ptmc::prove {

using AbstractState = CheckState<LinuxTask<x86::Frame>>;

// The props/ properties `ptmc prove` decides by induction, in the order it lists them.
const std::vector<PropertyId>& protocol_properties();
bool is_protocol_property(std::string_view name);

// A strengthening invariant: a claim on the data of every reachable state, given its control
// part. Each is proved by induction together with the property that needs it.
struct InvariantInfo {
  std::string_view name;
  std::string_view statement;
};
const std::vector<InvariantInfo>& strengthening_invariants();
// The invariants a property's proof uses (names).
std::vector<std::string_view> invariants_for(PropertyId p);

struct ProtocolResult {
  std::string property;
  Verdict verdict = Verdict::unknown;
  double seconds = 0;
  std::string reason;
  int k = 1;                           // the induction depth of the step case
  std::vector<std::string> invariants; // the strengthening invariants it proved and used
  std::vector<std::string> core;       // proved with `explain`: the rules the minimal core names
  size_t controls = 0;                 // abstract control parts (with the monitor) reachable
  size_t paths = 0;                    // paths of the relation from them
  size_t bmc_states = 0;               // states the base case searched
  int bmc_depth = 0;                   // how deep
  // refuted: the counterexample as a scenario `ptmc run` replays, and its length in steps.
  std::string scenario;
  int steps = 0;
};

struct InductionOptions {
  int bmc_depth = 8;          // the base case: transitions from the initial states
  size_t bmc_states = 400000; // and at most this many abstract states
  bool explain = false;       // enumerate the rule literals and give the proof's unsat core
};
ProtocolResult prove_protocol(const Profile& p, std::string_view property,
                              const InductionOptions& o = {});

// ---- For the abstraction's check (tests/prove/test_induction.cpp) -------------------------

// The abstract model's initial states (with the explicit model's data, monitor zero).
std::vector<AbstractState> abstract_initial_states(const Profile& p);
// The control parts (data zeroed, the monitor record as far as `property` reads it) the symbolic
// fixpoint reaches with the data free.
std::vector<AbstractState> abstract_controls(const Profile& p, PropertyId property,
                                             size_t max_controls = SIZE_MAX);
MonitorState monitor_for(MonitorState m, PropertyId property);
AbstractState control_of(const AbstractState& s);

} // namespace ptmc::prove
