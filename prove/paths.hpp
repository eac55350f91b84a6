// Path enumeration: runs a piece of the model's code once per execution path over symbolic
// values. Every symbolic condition the code turns into a C++ bool is a fork; the enumerator
// re-runs the code from the start with the other choice at the last open fork (depth-first), so
// the model's own functions yield every path, each with its path condition. A solver keeps only
// the forks the path so far allows, so every path it yields is feasible.
#pragma once

#include "prove/domain.hpp"

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace ptmc::prove {

// A transition's path count went beyond the enumerator's limit.
struct TooManyPaths : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class PathEnumerator final : public sym::Oracle, public MutationOracle {
public:
  // `assumption`: what holds of the inputs (a state invariant); forks it rules out are not taken.
  explicit PathEnumerator(std::optional<z3::expr> assumption = std::nullopt,
                          size_t max_paths = 100000);
  ~PathEnumerator();
  PathEnumerator(const PathEnumerator&) = delete;
  PathEnumerator& operator=(const PathEnumerator&) = delete;

  // Calls `body` once per path; body reads condition() and mutation() at its end. Returns the
  // number of paths.
  template <class Body> size_t run(Body&& body) {
    script_.clear();
    size_t paths = 0;
    sym::OracleScope scope(this);
    MutationScope mutations(this);
    do {
      start();
      body();
      if (++paths > max_paths_)
        throw TooManyPaths("more than " + std::to_string(max_paths_) + " paths");
    } while (backtrack());
    finish();
    return paths;
  }

  // The current path: its conditions, and the rule it takes mutated (literals mode).
  z3::expr condition() const;
  const std::vector<z3::expr>& literals() const { return literals_; }
  std::optional<RuleId> mutation() const { return mutation_; }

  bool branch(const z3::expr& cond) override;
  void assume(const z3::expr& cond) override;
  uint64_t concretize(const z3::expr& x) override;
  bool mutated(RuleId r) override;

private:
  struct MutationScope {
    explicit MutationScope(MutationOracle* o) : saved(current_mutation_oracle()) {
      current_mutation_oracle() = o;
    }
    ~MutationScope() { current_mutation_oracle() = saved; }
    MutationOracle* saved;
  };
  struct Decision {
    bool value;
    bool other_open;                  // the other value is feasible and still to be run
    std::optional<uint64_t> concrete; // a concretization: the branch is "x == concrete"
  };
  void start();
  void finish();
  bool backtrack();
  void record(const z3::expr& literal, bool to_solver = true);
  bool feasible(const z3::expr& literal);
  // Makes the solver's scopes hold exactly the path's data conditions (solver_path_), popping
  // only where the two differ: a replayed path asks the solver nothing until a new fork.
  void sync_solver();

  z3::solver& solver_; // the thread's, in a scope of its own
  size_t max_paths_;
  unsigned assumption_id_ = 0; // 0: none, else the assumption's id + 1
  std::optional<z3::expr> assumption_alive_;
  std::vector<Decision> script_;
  size_t next_ = 0; // the next decision of the script to replay
  std::vector<z3::expr> literals_;
  std::vector<z3::expr> solver_path_;        // the data conditions of literals_, in order
  std::vector<z3::expr> pushed_;             // what the solver's scopes hold, one literal each
  std::unordered_map<unsigned, bool> known_; // condition id -> its value on this path
  std::optional<RuleId> mutation_;
};

} // namespace ptmc::prove
