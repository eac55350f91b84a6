#include "prove/induction.hpp"

#include "engine/counterexample.hpp"
#include "engine/models.hpp"
#include "engine/runner.hpp"
#include "model/fingerprint.hpp"
#include "props/monitor.hpp"
#include "prove/abstraction.hpp"
#include "prove/core.hpp"
#include "prove/paths.hpp"
#include "prove/relation.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <fmt/format.h>
#include <functional>
#include <stdexcept>
#include <unordered_map>

namespace ptmc::prove {

namespace {

using Clock = std::chrono::steady_clock;
using SymCheck = CheckState<SymState>;

z3::context& c() {
  return sym::ctx();
}

Profile at_abstract_bound(const Profile& p) {
  Profile q = p;
  q.domain.program_bound = kAbstractBound;
  return q;
}

uint64_t key_of(const AbstractState& s) {
  return fingerprint(&s, sizeof s);
}

// The initial states of the abstract model: the model's at the abstract bound (rip at a chosen
// instruction), and the same at the tail's start (the program of no instructions).
template <class Task> std::vector<Task> abstract_initial(const std::vector<Task>& model_initial) {
  std::vector<Task> out;
  for (Task s : model_initial) {
    out.push_back(s);
    s.regs.pc = kAbstractBound;
    out.push_back(s);
  }
  return out;
}

// The monitor record as far as a property reads it. monitor_step decides kernel-mode-tf,
// sysemu-never-executes, register-write-persistence and the two signal properties from the
// transition alone (its pre and post states, events and action); only the step granularities
// read step_armed, retired and signal_first, and only tracee-tf-persistence owned_tf and
// saved_owned_tf. The model never reads the record. Forgetting the rest keeps every violation
// of the property and divides the control parts by up to 48.
} // namespace

MonitorState monitor_for(MonitorState m, PropertyId p) {
  MonitorState kept;
  std::memset(static_cast<void*>(&kept), 0, sizeof kept);
  if (p == PropertyId::step_granularity || p == PropertyId::sysemu_step_granularity) {
    kept.step_armed = m.step_armed;
    kept.retired = m.retired;
    kept.signal_first = m.signal_first;
  }
  if (p == PropertyId::tracee_tf_persistence) {
    kept.owned_tf = m.owned_tf;
    kept.saved_owned_tf = m.saved_owned_tf;
  }
  return kept;
}

namespace {

// ---- Strengthening invariants ----------------------------------------------------------------

struct Invariant {
  InvariantInfo info;
  std::function<z3::expr(const SymCheck&)> holds;
};

z3::expr tf_set(const Sym<uint64_t>& flags) {
  return (flags & x86::TF).expr() != c().bv_val(0, 64);
}

const std::vector<Invariant>& invariants() {
  static const std::vector<Invariant> kInvariants = [] {
    std::vector<Invariant> v;
    // Not for every TIF_SINGLESTEP: SYSEMU_SINGLESTEP from the entry stop of a traced
    // rt_sigreturn runs it, restores RFLAGS from the signal frame, and reports no step at exit
    // (SYSCALL_EMU is in the work), so user mode goes on with TIF_SINGLESTEP and the frame's TF,
    // which may be clear (the first version of this invariant; the step case found it).
    v.push_back(Invariant{
        {"singlestep-has-tf",
         "in user mode after a PTRACE_SINGLESTEP resume (the monitor's step armed) with "
         "TIF_SINGLESTEP set, TF is set in RFLAGS (step.c enable_single_step sets it)"},
        [](const SymCheck& s) {
          if (s.s.phase != Phase::user || !(s.s.work & work::singlestep) || s.m.step_armed != 1)
            return c().bool_val(true);
          return tf_set(s.s.regs.rflags);
        }});
    return v;
  }();
  return kInvariants;
}

const Invariant& invariant_named(std::string_view n) {
  for (const Invariant& i : invariants())
    if (i.info.name == n) return i;
  throw std::logic_error("no invariant " + std::string(n));
}

// ---- The relation with the monitor -----------------------------------------------------------

struct MonitoredPath {
  z3::expr condition;
  SymCheck next;
  Violations violations;
  std::optional<RuleId> mutation;
};

std::vector<Label> labels_of(const SymModel& m, const MonitoredModel<SymModel>& mm,
                             const SymState& s) {
  std::vector<Label> out;
  if (s.phase == Phase::stopped) {
    const auto& domain = m.tracer_domain();
    for (size_t i = 0; i < domain.size(); ++i) {
      if (!mm.skip_edit_allowed(s, domain[i])) continue;
      for (Peek peek : peeks_on_every_path(m, s, domain[i]))
        out.push_back(Label{Label::Who::tracer, static_cast<uint16_t>(i), peek});
    }
  } else if (s.phase == Phase::user) {
    uint16_t choices[SymModel::kMaxChoices];
    const size_t n = m.program_choices(s, choices);
    for (size_t k = 0; k < n; ++k) out.push_back(Label{Label::Who::tracee, choices[k], {}});
  }
  return out;
}

// Every path of one transition and of the monitors over it: the model's resume/execute and
// props/monitor.hpp's monitor_step, run together over the symbolic state.
std::vector<MonitoredPath> monitored_step(const SymModel& m, const SymCheck& from, const Label& l,
                                          MutationMode mode, std::optional<z3::expr> assumption) {
  const Move move = label_move(m, from.s, l);
  std::vector<MonitoredPath> out;
  PathEnumerator paths(std::move(assumption));
  paths.run([&] {
    SymRules rules(mode);
    Events ev;
    SymCheck next;
    next.s = move.action ? m.resume(from.s, *move.action, move.peek, rules, ev)
                         : m.execute(from.s, move.insn, rules, ev);
    const TracerStep step =
        move.action ? TracerStep{&*move.action, nullptr} : TracerStep{nullptr, &move.insn};
    const Violations v = monitor_step<SymModel>(from, step, ev, next);
    out.push_back(MonitoredPath{paths.condition(), std::move(next), v, paths.mutation()});
  });
  return out;
}

// The control part of a symbolic state: its plain fields and monitor, data zeroed.
AbstractState control_of_sym(const SymCheck& s) {
  // The data variables every control part's symbolic state names (symbolic_state, prefix "").
  // Never destroyed: Z3's context may go first at exit.
  struct Zero {
    StateVars vars;
    z3::expr_vector zeros{c()};
    std::optional<Evaluator> evaluator;
  };
  static const Zero* const zero = [] {
    auto* z = new Zero;
    symbolic_state(ConcreteState{}, "", z->vars);
    for (unsigned i = 0; i < z->vars.vars.size(); ++i)
      z->zeros.push_back(c().bv_val(0, z->vars.vars[i].get_sort().bv_size()));
    z->evaluator.emplace(z->vars.vars, z->zeros);
    return z;
  }();
  const auto& vars = zero->vars;
  const auto& zeros = zero->zeros;
  const auto& evaluator = *zero->evaluator;
  std::string why;
  const auto concrete = substitute(s.s, vars.vars, zeros, &why, &evaluator);
  if (!concrete) throw std::logic_error("a control part with data the model cannot hold: " + why);
  AbstractState out;
  out.s = control_part(*concrete);
  out.m = s.m;
  return out;
}

SymCheck symbolic_check(const AbstractState& control) {
  StateVars vars;
  SymCheck s;
  s.s = symbolic_state(control.s, "", vars);
  s.m = control.m;
  return s;
}

// The abstract control reachability fixpoint, with the data free but for `assumed`, and the
// paths from every control part it reaches (`mode`: the rule mutations enumerated on them; only
// the model as written, i.e. paths without a mutation, make the fixpoint).
struct ControlGraph {
  std::vector<AbstractState> controls;
  struct Edge {
    size_t from;
    Label label;
    MonitoredPath path;
  };
  std::vector<Edge> edges;
};

z3::expr all_hold(const std::vector<const Invariant*>& assumed, const SymCheck& s) {
  z3::expr_vector v(c());
  for (const Invariant* i : assumed) v.push_back(i->holds(s));
  return z3::mk_and(v);
}

// The abstract model over the symbolic domain, and its initial states.
struct AbstractModel {
  explicit AbstractModel(const Profile& profile)
      : p(at_abstract_bound(profile)), model(p, std::nullopt, p.domain.handler),
        monitored(model, false) {}
  std::vector<AbstractState> initial() const {
    std::vector<AbstractState> out;
    for (const ConcreteState& s :
         abstract_initial(LinuxX86Model(p, std::nullopt, p.domain.handler).initial_states())) {
      AbstractState a;
      a.s = s;
      out.push_back(a);
    }
    return out;
  }
  Profile p;
  SymModel model;
  MonitoredModel<SymModel> monitored;
};

ControlGraph control_fixpoint(const Profile& profile, const std::vector<const Invariant*>& assumed,
                              MutationMode mode, PropertyId property,
                              size_t max_controls = SIZE_MAX) {
  const AbstractModel am(profile);
  const SymModel& model = am.model;
  ControlGraph g;
  std::unordered_map<uint64_t, size_t> index;
  const auto add = [&](AbstractState s) {
    s.m = monitor_for(s.m, property);
    if (index.emplace(key_of(s), g.controls.size()).second) g.controls.push_back(s);
  };
  for (const AbstractState& a : am.initial()) add(control_of(a));
  for (size_t i = 0; i < g.controls.size(); ++i) {
    if (i >= max_controls) break;
    const SymCheck from = symbolic_check(g.controls[i]);
    std::optional<z3::expr> assumption;
    if (!assumed.empty()) assumption = all_hold(assumed, from);
    for (const Label& l : labels_of(model, am.monitored, from.s)) {
      for (MonitoredPath& path : monitored_step(model, from, l, mode, assumption)) {
        if (!path.mutation)
          for (const SymCheck& w : widen(path.next)) add(control_of_sym(w));
        g.edges.push_back(ControlGraph::Edge{i, l, std::move(path)});
      }
    }
  }
  return g;
}

std::string describe_control(const ConcreteState& s) {
  static const char* const kWhy[] = {"initial stop", "syscall-enter stop", "syscall-exit stop",
                                     "signal-delivery stop", "handler-notify stop"};
  const std::string where = s.phase == Phase::stopped ? kWhy[static_cast<int>(s.why)]
                            : s.phase == Phase::user  ? "user mode"
                                                      : "the end";
  return fmt::format("{} at {}{}", where, format_loc(s.pc()),
                     s.in_handler ? " in the handler" : "");
}

// ---- The base case: bounded model checking from the initial states --------------------------

struct Bmc {
  std::vector<AbstractState> states;
  struct Parent {
    size_t state;
    Label label;
    int depth;
  };
  std::vector<Parent> parents;
  std::optional<size_t> violation; // the state a violating transition reaches
  size_t spurious = 0;             // violating abstract paths no program takes
  int depth = 0;
};

// Breadth-first over the abstract relation with the data concrete (the symbolic relation run
// from constant states: the same code, every condition decided as it is computed).
// `accept` says whether a violating path (ending at the given state) is one a concrete program
// takes; the search goes on past those it rejects.
Bmc bounded_check(const Profile& profile, PropertyId property, const InductionOptions& o,
                  const std::function<bool(const Bmc&, size_t)>& accept) {
  const AbstractModel am(profile);
  const SymModel& model = am.model;
  const MutationMode mode = MutationMode::of(am.p.mutation);
  Bmc b;
  std::unordered_map<uint64_t, size_t> seen;
  const auto add = [&](const AbstractState& s, Bmc::Parent parent) {
    if (!seen.emplace(key_of(s), b.states.size()).second) return false;
    b.states.push_back(s);
    b.parents.push_back(parent);
    return true;
  };
  for (const AbstractState& a : am.initial()) add(a, Bmc::Parent{SIZE_MAX, {}, 0});
  const z3::expr_vector none(c());
  for (size_t i = 0; i < b.states.size(); ++i) {
    const int depth = b.parents[i].depth;
    b.depth = std::max(b.depth, depth);
    if (depth >= o.bmc_depth) continue;
    if (b.states.size() >= o.bmc_states) break;
    SymCheck from;
    from.s = constant_state(b.states[i].s);
    from.m = b.states[i].m;
    for (const Label& l : labels_of(model, am.monitored, from.s)) {
      for (const MonitoredPath& path : monitored_step(model, from, l, mode, std::nullopt)) {
        std::string why;
        const auto next = substitute(path.next.s, none, none, &why);
        if (!next) throw std::logic_error("a constant state's successor is not constant: " + why);
        AbstractState n;
        n.s = *next;
        n.m = monitor_for(path.next.m, property);
        for (const AbstractState& w : widen(n)) {
          const bool is_new = add(w, Bmc::Parent{i, l, depth + 1});
          if (path.violations & bit(property)) {
            if (!is_new) {
              b.states.push_back(w);
              b.parents.push_back(Bmc::Parent{i, l, depth + 1});
            }
            if (accept(b, b.states.size() - 1)) {
              b.violation = b.states.size() - 1;
              b.depth = depth + 1;
              return b;
            }
            ++b.spurious;
          }
        }
      }
    }
  }
  return b;
}

// The scenario of a path the base case found: the labels replayed on the explicit model of a
// program of n chosen instructions, for the n whose states abstract to the path's states.
std::optional<Scenario> concretize(const Profile& profile, PropertyId property, const Bmc& b,
                                   size_t last) {
  std::vector<size_t> chain;
  for (size_t s = last; s != SIZE_MAX; s = b.parents[s].state) chain.push_back(s);
  std::reverse(chain.begin(), chain.end());
  std::vector<Label> labels;
  for (size_t k = 1; k < chain.size(); ++k) labels.push_back(b.parents[chain[k]].label);
  for (int n = 0; n <= static_cast<int>(chain.size()) + 1; ++n) {
    Profile p = profile;
    p.domain.program_bound = n;
    const LinuxX86Model model(p, std::nullopt, p.domain.handler);
    const MonitoredModel<LinuxX86Model> monitored(model, false);
    const AbstractState& first = b.states[chain.front()];
    bool ok = false;
    for (const ConcreteState& init : model.initial_states()) {
      AbstractState s;
      s.s = init;
      if (!(abstract_state(s.s, static_cast<size_t>(n)) == first.s)) continue;
      ok = true;
      for (size_t k = 0; k < labels.size() && ok; ++k) {
        const Label& l = labels[k];
        AbstractState next;
        if (l.who == Label::Who::tracer)
          monitored.step_tracer(s, model.tracer_domain()[l.index], l.peek, next);
        else
          monitored.step_tracee(s, l.index, next);
        AbstractState abstracted = next;
        abstracted.s = abstract_state(next.s, static_cast<size_t>(n));
        abstracted.m = monitor_for(next.m, property);
        ok = abstracted == b.states[chain[k + 1]];
        s = next;
      }
      if (ok)
        return build_counterexample(model, model.tracer_domain(), init.tracesysgood != 0, labels);
    }
  }
  return std::nullopt;
}

std::vector<const Invariant*> invariant_list(PropertyId p) {
  std::vector<const Invariant*> out;
  for (std::string_view n : invariants_for(p)) out.push_back(&invariant_named(n));
  return out;
}

} // namespace

const std::vector<PropertyId>& protocol_properties() {
  static const std::vector<PropertyId> kProps = {
      PropertyId::kernel_mode_tf,       PropertyId::sysemu_never_executes,
      PropertyId::step_granularity,     PropertyId::register_write_persistence,
      PropertyId::signal_suppression,   PropertyId::sysemu_step_granularity,
      PropertyId::signal_injection_once};
  return kProps;
}

bool is_protocol_property(std::string_view name) {
  const auto id = property_by_name(name);
  if (!id) return false;
  for (PropertyId p : protocol_properties())
    if (p == *id) return true;
  return false;
}

const std::vector<InvariantInfo>& strengthening_invariants() {
  static const std::vector<InvariantInfo> kInfos = [] {
    std::vector<InvariantInfo> out;
    for (const Invariant& i : invariants()) out.push_back(i.info);
    return out;
  }();
  return kInfos;
}

std::vector<std::string_view> invariants_for(PropertyId p) {
  switch (p) {
  case PropertyId::step_granularity:
  case PropertyId::sysemu_step_granularity:
    return {"singlestep-has-tf"};
  default:
    return {};
  }
}

AbstractState control_of(const AbstractState& s) {
  AbstractState out = s;
  out.s = control_part(s.s);
  return out;
}

std::vector<AbstractState> abstract_initial_states(const Profile& profile) {
  return AbstractModel(profile).initial();
}

std::vector<AbstractState> abstract_controls(const Profile& p, PropertyId property,
                                             size_t max_controls) {
  return control_fixpoint(p, {}, MutationMode{}, property, max_controls).controls;
}

ProtocolResult prove_protocol(const Profile& p, std::string_view name, const InductionOptions& o) {
  const auto start = Clock::now();
  const auto id = property_by_name(name);
  if (!id || !is_protocol_property(name))
    throw std::invalid_argument("not a protocol property: " + std::string(name));
  ProtocolResult out;
  out.property = name;
  const auto finish = [&] {
    out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return out;
  };

  // Base case: a violation within bmc_depth transitions of an initial state refutes.
  std::optional<Scenario> scenario;
  const Bmc bmc = bounded_check(p, *id, o, [&](const Bmc& b, size_t last) {
    scenario = concretize(p, *id, b, last);
    return scenario.has_value();
  });
  out.bmc_states = bmc.states.size();
  out.bmc_depth = bmc.depth;
  if (bmc.violation) {
    out.verdict = Verdict::refuted;
    out.steps = bmc.parents[*bmc.violation].depth;
    out.scenario = format_scenario(*scenario);
    return finish();
  }

  // Step case (k = 1): from every reachable control part with data meeting the invariants,
  // no path breaks the property or an invariant. The control part being reachable is the
  // fixpoint's own invariant, closed under the unmutated relation by construction.
  const std::vector<const Invariant*> assumed = invariant_list(*id);
  for (const Invariant* i : assumed) out.invariants.emplace_back(i->info.name);
  // Rule literals (for the unsat core) multiply the paths by the rules each consults: on
  // linux-x86_64 that takes the step case from minutes to far beyond any timeout, so they are
  // enumerated only when the core is asked for (`explain`).
  const MutationMode mode = p.mutation  ? MutationMode::of(p.mutation)
                            : o.explain ? MutationMode{MutationMode::Kind::literals, {}}
                                        : MutationMode{};
  const ControlGraph g = control_fixpoint(p, assumed, mode, *id);
  out.controls = g.controls.size();
  out.paths = g.edges.size();

  // The invariants hold in the initial states (their base case).
  for (const ConcreteState& s : abstract_initial(
           LinuxX86Model(at_abstract_bound(p), std::nullopt, p.domain.handler).initial_states())) {
    SymCheck init;
    init.s = constant_state(s);
    for (const Invariant* i : assumed)
      if (!i->holds(init).simplify().is_true()) {
        out.verdict = Verdict::refuted;
        out.reason = "the invariant " + std::string(i->info.name) + " fails in an initial state";
        return finish();
      }
  }

  z3::expr_vector bad(c()), premises(c());
  for (const ControlGraph::Edge& e : g.edges) {
    const SymCheck from = symbolic_check(g.controls[e.from]);
    const z3::expr pre = all_hold(assumed, from) && e.path.condition;
    premises.push_back(pre);
    z3::expr_vector broken(c());
    if (e.path.violations & bit(*id)) broken.push_back(c().bool_val(true));
    for (const SymCheck& w : widen(e.path.next)) broken.push_back(!all_hold(assumed, w));
    bad.push_back(pre && z3::mk_or(broken));
  }
  z3::solver solver(c());
  z3::expr_vector assumptions(c());
  for (size_t i = 0; i < kRuleCount; ++i)
    if (p.rules().test(i)) assumptions.push_back(!mutation_literal(static_cast<RuleId>(i)));
  // No vacuous proofs: the relation from the reachable control parts is not empty.
  solver.add(z3::mk_or(premises));
  if (solver.check(assumptions) != z3::sat) {
    out.reason = "vacuous: no transition from the reachable control parts meets the invariants";
    return finish();
  }
  solver.reset();
  solver.add(z3::mk_or(bad));
  const z3::check_result r = solver.check(assumptions);
  if (r == z3::unknown) {
    out.reason = "the solver gave up: " + solver.reason_unknown();
    return finish();
  }
  if (r == z3::sat) {
    out.reason = fmt::format("not 1-inductive with the invariants, and no violation within {} "
                             "transitions of an initial state ({} abstract states searched, {} "
                             "violating abstract paths no program takes)",
                             bmc.depth, bmc.states.size(), bmc.spurious);
    // The counterexample to induction: a transition from a reachable control part, with data
    // meeting the invariants, that breaks the property or an invariant.
    const z3::model m = solver.get_model();
    for (unsigned i = 0; i < bad.size(); ++i) {
      if (!m.eval(bad[i], true).is_true()) continue;
      const ControlGraph::Edge& e = g.edges[i];
      const AbstractState& from = g.controls[e.from];
      const AbstractModel am(p);
      const Move move = label_move(am.model, constant_state(from.s), e.label);
      out.reason += fmt::format(
          "; e.g. from {} (work {:#x}, pending {:#x}, monitor armed {} retired {}) by {}: {}",
          describe_control(from.s), from.s.work, from.s.pending, from.m.step_armed, from.m.retired,
          move.action ? format_action(*move.action) : format_insn(move.insn),
          (e.path.violations & bit(*id)) ? "the property breaks" : "an invariant breaks");
      break;
    }
    return finish();
  }
  if (mode.kind == MutationMode::Kind::literals) out.core = minimal_rule_core(solver);
  out.verdict = Verdict::proved;
  return finish();
}

} // namespace ptmc::prove
