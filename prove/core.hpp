// Unsat cores over the rule literals ¬mut:RULE (prove/README.md, "Rule literals and unsat
// cores"): the core Z3 gives, made minimal by deletion, as rule names.
#pragma once

#include "prove/sym.hpp"

#include <string>
#include <vector>

namespace ptmc::prove {

// After `solver` answered unsat under the rule assumptions: the rules of a minimal core.
inline std::vector<std::string> minimal_rule_core(z3::solver& solver) {
  std::vector<z3::expr> core;
  for (const z3::expr& e : solver.unsat_core()) core.push_back(e);
  for (size_t i = 0; i < core.size();) {
    z3::expr_vector without(solver.ctx());
    for (size_t j = 0; j < core.size(); ++j)
      if (j != i) without.push_back(core[j]);
    if (solver.check(without) == z3::unsat)
      core.erase(core.begin() + static_cast<long>(i));
    else
      ++i;
  }
  std::vector<std::string> rules;
  for (const z3::expr& e : core) rules.push_back(e.arg(0).decl().name().str().substr(4));
  return rules;
}

} // namespace ptmc::prove
