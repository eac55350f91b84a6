// Register facts for all 64-bit values, decided on the symbolic transition relation
// (prove/relation.hpp): the model's own layers run over symbolic registers, so a mutant of a
// rule changes what is proved. prove/README.md states each fact, its premises and its scope.
#pragma once

#include "model/profile.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ptmc::prove {

enum class Verdict { proved, refuted, unknown };
std::string_view verdict_name(Verdict v);

struct FactInfo {
  std::string_view name;
  std::string_view statement;
};
const std::vector<FactInfo>& register_facts();

struct FactResult {
  std::string fact;
  Verdict verdict = Verdict::unknown;
  double seconds = 0;
  std::string reason;            // unknown: why; refuted: what the counterexample breaks
  std::vector<std::string> core; // proved: the rules the minimal unsat core names
  size_t cases = 0;              // (state, move) pairs the fact was decided over
  size_t paths = 0;              // paths of the relation they have
  // refuted: the state the counterexample starts from, the move, and the register values.
  std::string from, move;
  std::map<std::string, std::string> counterexample;
  bool alphabet_writes_it = true; // whether the scenario alphabet can write those values
  // refuted: the counterexample as a scenario (docs/scenario-format.md) that `ptmc run` replays,
  // or why there is none.
  std::string scenario, scenario_note;
};

// Why `prove` cannot decide facts of this profile, or nullopt.
std::optional<std::string> unsupported(const Profile& p);

// Decides one fact over the control parts of the states the explorer reaches at `bound`, with
// every register value. The profile's mutation, if any, is the one mutated rule.
inline constexpr int kDefaultBound = 0;
FactResult prove_fact(const Profile& p, std::string_view fact, int bound = kDefaultBound);

} // namespace ptmc::prove
