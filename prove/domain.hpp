// The prover's value domain: the x86_64 layers of model/ over symbolic values (model/value.hpp).
//
// `SymModel` is LinuxModel over the same x86_64 glue and CPU templates the explicit engines use
// with `Concrete`. Its rule door, SymRules, takes every decision the way RuleCtx does; whether a
// rule is mutated is none, one fixed rule (a mutant, as RuleCtx), or, for unsat cores, a Boolean
// literal "mut:RULE" per rule that the path enumerator forks on, at most one true per path, so
// one symbolic relation holds the model and each of its single-rule mutants (prove/README.md).
#pragma once

#include "model/linux/model.hpp"
#include "model/linux/x86_64/arch.hpp"
#include "model/rules.hpp"
#include "prove/sym.hpp"

#include <optional>
#include <vector>

namespace ptmc::prove {

using sym::Sym;
using sym::SymBool;

class SymRules;

struct Symbolic {
  static constexpr bool symbolic = true;
  using Bool = SymBool;
  using I64 = Sym<int64_t>;
  using U64 = Sym<uint64_t>;
  using Flags = Sym<uint64_t>; // all 64 bits of RFLAGS
  using Rules = SymRules;
  // The value an edit of rax or orig_rax writes: the input the prover set for this transition
  // (edit_inputs()), else the edit's own value.
  static Sym<int64_t> edit_value(const Edit& e);
  // A register a tracer reads: kept symbolic when a ReadRegisters scope is open, else one value
  // per path.
  static int64_t observed(const Sym<int64_t>& v);
  static uint8_t low_byte(const Sym<uint64_t>& v) { return sym::concrete(Sym<uint8_t>(v)); }
};

// Symbolic values for the tracer's register writes, for the transitions the prover runs on this
// thread: a tracer that may write any 64-bit value.
struct EditInputs {
  std::optional<Sym<int64_t>> rax, orig_rax;
};
EditInputs& edit_inputs();

// The words read_registers reads (rax, then orig_rax), as expressions: while one is installed,
// Symbolic::observed appends each to it and leaves 0 in the trace line, instead of forking on the
// value (a read of all 64-bit values would be 2^64 paths).
struct ReadWords {
  std::vector<Sym<int64_t>> words;
};
ReadWords*& read_words();

// How rules may be mutated while paths are enumerated.
struct MutationMode {
  enum class Kind : uint8_t { none, fixed, literals } kind = Kind::none;
  RuleId rule{}; // fixed: the mutated rule
  static MutationMode of(std::optional<RuleId> r) {
    return r ? MutationMode{Kind::fixed, *r} : MutationMode{};
  }
};

// The literal "rule r is mutated".
z3::expr mutation_literal(RuleId r);

// Answers, on the current path, whether a rule is mutated (literals mode).
class MutationOracle {
public:
  virtual ~MutationOracle() = default;
  virtual bool mutated(RuleId r) = 0;
};
MutationOracle*& current_mutation_oracle();

class SymRules {
public:
  // As RuleCtx's: the model's own `Rules quiet;` mutates nothing.
  explicit SymRules(std::optional<RuleId> mutated = std::nullopt)
      : mode_(MutationMode::of(mutated)) {}
  explicit SymRules(MutationMode mode) : mode_(mode) {}

  template <class B> B decide(RuleId r, const B& condition) {
    fired_.set(static_cast<size_t>(r));
    if (mutated(r)) return !condition;
    return condition;
  }
  bool effect(RuleId r) {
    fired_.set(static_cast<size_t>(r));
    return !mutated(r);
  }
  template <class T> T choose(RuleId r, T normal, T mutant) {
    fired_.set(static_cast<size_t>(r));
    return mutated(r) ? mutant : normal;
  }
  const RuleSet& fired() const { return fired_; }
  void clear_fired() { fired_.reset(); }

private:
  bool mutated(RuleId r) const;
  MutationMode mode_;
  RuleSet fired_;
};

using SymArch = linux_x86_64::BasicArch<Symbolic>;
using SymModel = LinuxModel<SymArch>;
using SymState = SymModel::State;

} // namespace ptmc::prove
