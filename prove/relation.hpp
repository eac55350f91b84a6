// The symbolic transition relation T(state, label, state') of linux-x86_64 and its deltas: for a
// state whose control part (phase, work flags, signals, rip, ...) is given and whose registers
// of the value domain are variables, the paths of the model's own resume/execute for one label,
// each with its condition, successor, events and the rules it consulted.
#pragma once

#include "model/cpu/x86_64/frame.hpp"
#include "model/linux/task.hpp"
#include "model/transition.hpp"
#include "prove/domain.hpp"

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace ptmc::prove {

using ConcreteState = LinuxTask<x86::Frame>;

// A state's data registers as variables.
struct StateVars {
  z3::expr_vector vars{sym::ctx()};
  // Their values in the concrete state the control part came from.
  z3::expr_vector values{sym::ctx()};
};

// `control` with every register of the value domain (rax, rflags, stack_top of both frames,
// orig_rax) replaced by a fresh variable named `prefix` + field.
SymState symbolic_state(const ConcreteState& control, const std::string& prefix, StateVars& vars);
// `control` with its registers as constants.
SymState constant_state(const ConcreteState& control);

// The concrete state a symbolic one is once `vars` are replaced by `values`; nullopt when a
// register is not a constant then, or does not fit the explicit model's field (`why` says which).
class Evaluator;
std::optional<ConcreteState> substitute(const SymState& s, const z3::expr_vector& vars,
                                        const z3::expr_vector& values, std::string* why = nullptr,
                                        const Evaluator* evaluator = nullptr);

// The control parts of two states are the same (everything but the domain's registers).
bool same_control(const ConcreteState& a, const ConcreteState& b);
// The state with the domain's registers zeroed: its control part, as a state.
ConcreteState control_part(const ConcreteState& s);
// The values of the domain's registers in `s`, in the order of symbolic_state's variables.
z3::expr_vector data_values(const ConcreteState& s);

// What a register read at a stop returns on one path: the trace line, with the words
// read_registers reads (rax, orig_rax) as expressions (ReadWords).
struct Reading {
  TraceLine line;
  std::vector<Sym<int64_t>> words;
};

// One path of one transition.
struct SymPath {
  z3::expr condition;
  SymState next;
  Events events;
  RuleSet fired;
  std::optional<RuleId> mutation; // literals mode: the rule this path takes mutated
  std::optional<Reading> read;    // Move::read_back: what the tracer reads after its writes
};

// One transition's input: a tracer's action with the peek it commits to, or an instruction.
struct Move {
  std::optional<Action> action;
  Peek peek = Peek::unknown;
  Insn insn{};
  // Only the action's register writes, then a register read at the same stop (no resume).
  bool read_back = false;
};
Move label_move(const SymModel& m, const SymState& s, const Label& l);

// The peeks the model commits to for action `a` at stop `s`, over every path: where an action's
// edits go may depend on the registers (variant-write-restored-when-next asks whether orig_rax
// is rt_sigreturn's), so peeks_for is itself run once per path. In the order they first come.
std::vector<Peek> peeks_on_every_path(const SymModel& m, const SymState& s, const Action& a);

// Every path of the transition `move` from `from` (a tracer's action at a stop, an instruction
// in user mode). `assumption` restricts the inputs (the paths it rules out are not taken).
std::vector<SymPath> symbolic_step(const SymModel& m, const SymState& from, const Move& move,
                                   MutationMode mode,
                                   std::optional<z3::expr> assumption = std::nullopt);
inline std::vector<SymPath> symbolic_step(const SymModel& m, const SymState& from, const Label& l,
                                          MutationMode mode,
                                          std::optional<z3::expr> assumption = std::nullopt) {
  return symbolic_step(m, from, label_move(m, from, l), mode, std::move(assumption));
}

} // namespace ptmc::prove

namespace ptmc::prove {

// Evaluates the conditions and registers of paths for given values of the variables, without
// the solver: a walk over the expression's bit-vector operators (the ones Sym builds). Much
// faster than substitute-and-simplify, which the agreement test would do millions of times.
class Evaluator {
public:
  Evaluator(const z3::expr_vector& vars, const z3::expr_vector& values);
  // nullopt: an operator the walk does not know (the caller falls back to substitution).
  std::optional<uint64_t> value(const z3::expr& e) const;

private:
  std::unordered_map<unsigned, uint64_t> values_; // variable's decl id -> value
};

} // namespace ptmc::prove
