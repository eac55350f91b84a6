#include "prove/paths.hpp"

#include <unordered_map>

namespace ptmc::prove {

namespace {
thread_local EditInputs g_edit_inputs;
thread_local MutationOracle* g_mutations = nullptr;
thread_local ReadWords* g_read_words = nullptr;
} // namespace

ReadWords*& read_words() {
  return g_read_words;
}

int64_t Symbolic::observed(const Sym<int64_t>& v) {
  if (!g_read_words) return sym::concrete(v);
  g_read_words->words.push_back(v);
  return 0;
}

EditInputs& edit_inputs() {
  return g_edit_inputs;
}
MutationOracle*& current_mutation_oracle() {
  return g_mutations;
}

Sym<int64_t> Symbolic::edit_value(const Edit& e) {
  if (e.reg == Reg::rax && g_edit_inputs.rax) return *g_edit_inputs.rax;
  if (e.reg == Reg::orig_rax && g_edit_inputs.orig_rax) return *g_edit_inputs.orig_rax;
  return Sym<int64_t>(e.value);
}

z3::expr mutation_literal(RuleId r) {
  return sym::ctx().bool_const(("mut:" + std::string(rule_info(r).name)).c_str());
}

bool SymRules::mutated(RuleId r) const {
  switch (mode_.kind) {
  case MutationMode::Kind::none:
    return false;
  case MutationMode::Kind::fixed:
    return mode_.rule == r;
  case MutationMode::Kind::literals:
    break;
  }
  if (!g_mutations) throw sym::NoOracle("a mutation literal needs an execution path");
  return g_mutations->mutated(r);
}

// One solver per thread: making one costs more than most transitions' paths.
z3::solver& thread_solver() {
  static thread_local z3::solver s(sym::ctx());
  return s;
}

namespace {

// Whether a literal is feasible after a path's data conditions, by the ids of the assumption, the
// conditions and the literal. Every transition's paths ask the same questions again (the subtrees
// under the mutation literals of literals mode, which add nothing to the solver; the control
// parts that share a fork's code, since every state's data are the same variables), so most
// answers come from here. An entry keeps its expressions alive, so their ids are not reused.
class FeasibilityCache {
public:
  struct Key {
    std::vector<unsigned> ids;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      uint64_t h = 1469598103934665603ull;
      for (unsigned id : k.ids) h = (h ^ id) * 1099511628211ull;
      return static_cast<size_t>(h);
    }
  };
  struct Entry {
    bool feasible;
    std::vector<z3::expr> alive;
  };
  static constexpr size_t kMaxEntries = 1 << 20;

  const Entry* find(const Key& k) const {
    const auto it = entries_.find(k);
    return it == entries_.end() ? nullptr : &it->second;
  }
  void add(Key k, Entry e) {
    if (entries_.size() >= kMaxEntries) entries_.clear();
    entries_.emplace(std::move(k), std::move(e));
  }

private:
  std::unordered_map<Key, Entry, KeyHash> entries_;
};

FeasibilityCache& feasibility_cache() {
  static thread_local FeasibilityCache cache;
  return cache;
}

} // namespace

PathEnumerator::PathEnumerator(std::optional<z3::expr> assumption, size_t max_paths)
    : solver_(thread_solver()), max_paths_(max_paths) {
  solver_.push();
  if (assumption) {
    solver_.add(*assumption);
    assumption_id_ = assumption->id() + 1;
    assumption_alive_ = *assumption;
  }
}

PathEnumerator::~PathEnumerator() {
  finish();
  solver_.pop();
}

void PathEnumerator::start() {
  next_ = 0;
  literals_.clear();
  solver_path_.clear();
  known_.clear();
  mutation_.reset();
}

void PathEnumerator::finish() {
  if (!pushed_.empty()) solver_.pop(static_cast<unsigned>(pushed_.size()));
  pushed_.clear();
}

bool PathEnumerator::backtrack() {
  while (!script_.empty() && !script_.back().other_open) script_.pop_back();
  if (script_.empty()) return false;
  script_.back().value = !script_.back().value;
  script_.back().other_open = false;
  return true;
}

void PathEnumerator::record(const z3::expr& literal, bool to_solver) {
  literals_.push_back(literal);
  if (to_solver) solver_path_.push_back(literal);
}

void PathEnumerator::sync_solver() {
  size_t same = 0;
  while (same < pushed_.size() && same < solver_path_.size() &&
         pushed_[same].id() == solver_path_[same].id())
    ++same;
  if (pushed_.size() > same) solver_.pop(static_cast<unsigned>(pushed_.size() - same));
  pushed_.resize(same, sym::ctx().bool_val(true));
  for (size_t i = same; i < solver_path_.size(); ++i) {
    solver_.push();
    solver_.add(solver_path_[i]);
    pushed_.push_back(solver_path_[i]);
  }
}

bool PathEnumerator::feasible(const z3::expr& literal) {
  FeasibilityCache::Key key;
  key.ids.reserve(solver_path_.size() + 2);
  key.ids.push_back(assumption_id_);
  for (const z3::expr& e : solver_path_) key.ids.push_back(e.id());
  key.ids.push_back(literal.id());
  FeasibilityCache& cache = feasibility_cache();
  if (const auto* hit = cache.find(key)) return hit->feasible;
  sync_solver();
  z3::expr_vector a(sym::ctx());
  a.push_back(literal);
  const bool result = solver_.check(a) != z3::unsat;
  std::vector<z3::expr> alive(solver_path_.begin(), solver_path_.end());
  alive.push_back(literal);
  if (assumption_alive_) alive.push_back(*assumption_alive_);
  cache.add(std::move(key), FeasibilityCache::Entry{result, std::move(alive)});
  return result;
}

bool PathEnumerator::branch(const z3::expr& cond) {
  const bool negated = cond.is_app() && cond.decl().decl_kind() == Z3_OP_NOT;
  const z3::expr atom = negated ? cond.arg(0) : cond;
  if (auto it = known_.find(atom.id()); it != known_.end()) return it->second != negated;
  bool value;
  if (next_ < script_.size()) {
    value = script_[next_++].value;
  } else {
    const bool can_true = feasible(cond);
    const bool can_false = feasible(!cond);
    // Neither: the path so far is infeasible, which the checks at each fork rule out; an
    // assumption the solver cannot decide (unknown) counts as feasible.
    value = can_true || !can_false;
    script_.push_back(Decision{value, can_true && can_false, std::nullopt});
    ++next_;
  }
  known_[atom.id()] = value != negated;
  record(value ? cond : !cond);
  return value;
}

void PathEnumerator::assume(const z3::expr& cond) {
  record(cond);
}

uint64_t PathEnumerator::concretize(const z3::expr& x) {
  for (;;) {
    uint64_t v = 0;
    bool is_it;
    if (next_ < script_.size()) {
      v = *script_[next_].concrete;
      is_it = script_[next_++].value;
    } else {
      sync_solver();
      if (solver_.check() == z3::unsat) throw std::logic_error("concretize on an infeasible path");
      const z3::expr value = solver_.get_model().eval(x, /*model_completion=*/true);
      if (!value.is_numeral_u64(v))
        throw std::logic_error("concretize: no value for " + x.to_string());
      is_it = true;
      const z3::expr other = x != sym::ctx().bv_val(v, x.get_sort().bv_size());
      script_.push_back(Decision{true, feasible(other), v});
      ++next_;
    }
    const z3::expr eq = x == sym::ctx().bv_val(v, x.get_sort().bv_size());
    record(is_it ? eq : !eq);
    if (is_it) return v;
  }
}

bool PathEnumerator::mutated(RuleId r) {
  if (mutation_) return *mutation_ == r;
  const z3::expr lit = mutation_literal(r);
  if (auto it = known_.find(lit.id()); it != known_.end()) return it->second;
  bool value;
  if (next_ < script_.size()) {
    value = script_[next_++].value;
  } else {
    // A fresh literal: both values are possible (the data never mentions it).
    value = false;
    script_.push_back(Decision{false, true, std::nullopt});
    ++next_;
  }
  known_[lit.id()] = value;
  record(value ? lit : !lit, /*to_solver=*/false);
  if (value) mutation_ = r;
  return value;
}

z3::expr PathEnumerator::condition() const {
  z3::expr_vector v(sym::ctx());
  for (const auto& l : literals_) v.push_back(l);
  return z3::mk_and(v);
}

} // namespace ptmc::prove
