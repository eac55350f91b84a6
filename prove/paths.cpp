#include "prove/paths.hpp"

namespace ptmc::prove {

namespace {
thread_local EditInputs g_edit_inputs;
thread_local MutationOracle* g_mutations = nullptr;
} // namespace

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

PathEnumerator::PathEnumerator(std::optional<z3::expr> assumption, size_t max_paths)
    : solver_(thread_solver()), max_paths_(max_paths) {
  solver_.push();
  if (assumption) solver_.add(*assumption);
}

PathEnumerator::~PathEnumerator() {
  if (scopes_) solver_.pop(scopes_);
  solver_.pop();
}

void PathEnumerator::start() {
  next_ = 0;
  literals_.clear();
  known_.clear();
  mutation_.reset();
  if (scopes_) solver_.pop(scopes_);
  scopes_ = 0;
}

void PathEnumerator::finish() {
  if (scopes_) solver_.pop(scopes_);
  scopes_ = 0;
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
  if (!to_solver) return;
  solver_.push();
  ++scopes_;
  solver_.add(literal);
}

bool PathEnumerator::feasible(const z3::expr& literal) {
  z3::expr_vector a(sym::ctx());
  a.push_back(literal);
  return solver_.check(a) != z3::unsat;
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
