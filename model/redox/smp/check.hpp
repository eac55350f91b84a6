// Checking a concurrent Redox profile: one exploration decides every single-run property (the
// monitors and the stuck-state diagnoses); the paired product decides determinism; the product
// with the atomic kernel decides refinement. Counterexamples are interleaving scenarios.
#pragma once

#include "engine/explorer.hpp"
#include "model/profile.hpp"
#include "model/redox/smp/model.hpp"
#include "model/redox/smp/variants.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ptmc::redox_smp {

enum class Verdict { holds, violated, known_violation, unknown };
std::string_view verdict_name(Verdict v);

struct Interleaving {
  std::vector<State> initial; // one: the initial state the steps start from
  std::vector<Label> steps;
};

struct PropResult {
  Prop property;
  Verdict verdict = Verdict::unknown;
  std::string note;
  std::optional<Interleaving> counterexample;
  size_t length = 0;           // steps
  size_t context_switches = 0; // changes of thread between consecutive steps
  // refinement-interface: the counterexample is one of the atomic kernel (a difference between
  // the two models of the kernel, not a race); it replays on the concurrent model as well.
  bool atomic_side = false;
};

struct CheckOptions {
  std::optional<Domain> domain; // overrides the variant's
  bool por = true;
  uint64_t max_states = 0;
  uint64_t max_bytes = 0;
  std::vector<Prop> only;          // empty: all
  bool products = true;            // determinism and refinement
  bool paired_determinism = false; // decide determinism with the paired product (slower)
  // refinement-interface's specification instead of the variant's own interface profile (a
  // mutant, in the tests).
  const Profile* interface_profile = nullptr;
  std::function<void(const std::string& phase, uint64_t states, uint64_t transitions,
                     uint32_t depth, double seconds)>
      progress;
};

struct PhaseStats {
  std::string phase;
  ExploreStats stats;
};

struct CheckReport {
  std::string profile;
  Domain domain;
  bool por = true;
  std::vector<PropResult> results;
  std::vector<PhaseStats> phases;
  bool complete = true;
  uint64_t overflows = 0; // successors cut by the event queue's bound
};

CheckReport check(const Variant& v, const CheckOptions& o);

// The states and transitions of the single-copy exploration (for `explore` and the benchmark).
ExploreStats explore_only(const Variant& v, const Domain& d, bool por, uint64_t max_states = 0);

// Counts the changes of thread along an interleaving.
size_t context_switches(const std::vector<Label>& steps);

// Prints an interleaving as a scenario file (docs/scenario-format.md, "Interleavings").
std::string format_interleaving(const Variant& v, const SmpModel& m, const Interleaving& il,
                                const std::string& comment);

} // namespace ptmc::redox_smp
