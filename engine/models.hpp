// The explorable models built from a ptrace model M (today LinuxModel<Arch>): the model with
// its property monitors, and the transparency product. Both call the same M::resume/execute;
// neither adds semantics. M provides State, initial_states, tracer_domain, program_choices,
// peeks_for, resume, execute, observe and fixed_insn (docs/model-layers.md).
#pragma once

#include "model/fingerprint.hpp"
#include "props/monitor.hpp"
#include "props/properties.hpp"

#include <cstring>
#include <mutex>
#include <vector>

namespace ptmc {

// Edge flags, for the graph pass and --dot.
namespace edge {
inline constexpr uint8_t drive = 1; // a tracer resume no-deadlock may use
inline constexpr uint8_t env = 2;   // a program choice (or a peek the program decides)
inline constexpr uint8_t other = 4; // any other tracer action
} // namespace edge

// A resume no-deadlock's tracer may use: no signal, no edits, not KILL or DETACH.
inline bool is_drive(const Action& a) {
  const bool resume = a.request == Request::cont || a.request == Request::syscall ||
                      a.request == Request::singlestep || a.request == Request::sysemu ||
                      a.request == Request::sysemu_singlestep;
  return resume && a.signal == 0 && !a.pass && a.edits.empty();
}

// M plus the monitors of props/, as the explorer sees it.
template <class M> class MonitoredModel {
public:
  using Model = M;
  using State = CheckState<typename M::State>;
  using Label = ptmc::Label;

  // monitors = false: the model's own states only (the monitor record stays zero), as the SPIN
  // twin counts them (bench/spin/).
  MonitoredModel(const M& model, bool recompute, bool monitors = true)
      : model_(model), recompute_(recompute), monitors_(monitors) {}

  std::vector<State> initial_states() const {
    std::vector<State> out;
    for (const auto& s : model_.initial_states()) {
      State c;
      c.s = s;
      out.push_back(c);
    }
    return out;
  }
  uint64_t fingerprint(const State& s) const { return ptmc::fingerprint(&s, sizeof(State)); }
  uint8_t tag(const State& s) const { return static_cast<uint8_t>(s.s.phase); }
  // The rules every expanded transition consulted so far (coverage). Expansions may run on
  // several threads; each merges its rules once per expanded state.
  RuleSet covered() const {
    std::lock_guard lock(covered_mutex_);
    return covered_;
  }
  void add_covered(const RuleSet& rules) const {
    std::lock_guard lock(covered_mutex_);
    covered_ |= rules;
  }

  template <class Emit> void expand(const State& s, Emit& emit) const {
    RuleSet fired;
    if (s.s.phase == Phase::stopped) {
      const auto& domain = model_.tracer_domain();
      for (size_t i = 0; i < domain.size(); ++i) {
        const Action& a = domain[i];
        if (!skip_edit_allowed(s.s, a)) continue;
        Peek peeks[2];
        const size_t np = model_.peeks_for(s.s, a, peeks);
        for (size_t k = 0; k < np; ++k) {
          const Peek p = peeks[k];
          State next;
          const Violations v = step_tracer(s, a, p, next, &fired);
          const uint8_t flags = is_drive(a) ? edge::drive : edge::other;
          emit(Label{Label::Who::tracer, static_cast<uint16_t>(i), p}, next, v, flags);
        }
      }
    } else if (s.s.phase == Phase::user) {
      uint16_t choices[M::kMaxChoices];
      const size_t nc = model_.program_choices(s.s, choices);
      for (size_t k = 0; k < nc; ++k) {
        const uint16_t c = choices[k];
        State next;
        const Violations v = step_tracee(s, c, next, &fired);
        emit(Label{Label::Who::tracee, c, Peek::unknown}, next, v, edge::env);
      }
    }
    if (fired.any()) add_covered(fired);
  }

  // `fired`, when given, collects the rules the transition consulted (coverage).
  Violations step_tracer(const State& s, const Action& a, Peek p, State& next,
                         RuleSet* fired = nullptr) const {
    RuleCtx rules(model_.profile().mutation);
    Events ev;
    next.s = model_.resume(s.s, a, p, rules, ev);
    if (fired) *fired |= rules.fired();
    Violations v = monitors_ ? monitor_step<M>(s, TracerStep{&a, nullptr}, ev, next) : 0;
    if (recompute_ && sampled(s)) {
      RuleCtx again_rules(model_.profile().mutation);
      Events again_ev;
      if (!(model_.resume(s.s, a, p, again_rules, again_ev) == next.s))
        v |= bit(PropertyId::determinism);
    }
    return v;
  }
  Violations step_tracee(const State& s, uint16_t choice, State& next,
                         RuleSet* fired = nullptr) const {
    RuleCtx rules(model_.profile().mutation);
    Events ev;
    const Insn in = insn_for_choice(s, choice);
    next.s = model_.execute(s.s, in, rules, ev);
    if (fired) *fired |= rules.fired();
    Violations v = monitors_ ? monitor_step<M>(s, TracerStep{nullptr, &in}, ev, next) : 0;
    if (recompute_ && sampled(s)) {
      RuleCtx again_rules(model_.profile().mutation);
      Events again_ev;
      if (!(model_.execute(s.s, in, again_rules, again_ev) == next.s))
        v |= bit(PropertyId::determinism);
    }
    return v;
  }
  Insn insn_for_choice(const State& s, uint16_t choice) const {
    if (choice < model_.alphabet().size()) return model_.alphabet()[choice];
    return *model_.fixed_insn(s.s.pc());
  }
  // The explorer's "skip one instruction" edit only within the chosen program, where the
  // instruction it lands on is still unchosen; anywhere else it would leave the code.
  bool skip_edit_allowed(const typename M::State& s, const Action& a) const {
    for (const Edit& e : a.edits)
      if (is_skip_next(e))
        return s.pc().space == Loc::Space::program && s.regs.pc < model_.program_length();
    return true;
  }
  const M& model() const { return model_; }

private:
  // determinism recomputes the transitions of one state in 8, chosen by fingerprint so that the
  // sample is the same on every run; it doubles the cost of the transitions it covers.
  bool sampled(const State& s) const { return (fingerprint(s) & 7) == 0; }
  const M& model_;
  bool recompute_;
  bool monitors_;
  mutable std::mutex covered_mutex_;
  mutable RuleSet covered_;
};

// A traced tracee and an untraced copy of it, fed the same program in lockstep.
template <class Task> struct ProductState {
  Task traced;
  Task untraced;
  bool operator==(const ProductState& o) const {
    return traced == o.traced && untraced == o.untraced;
  }
};

template <class M> class TransparencyModel {
public:
  using Model = M;
  using Task = typename M::State;
  using State = ProductState<Task>;
  using Label = ptmc::Label;

  // with_tf_programs: whether pushf/popf/or_tf/and_tf may appear (tf-transparency).
  TransparencyModel(const M& model, bool with_tf_programs)
      : model_(model),
        property_(with_tf_programs ? PropertyId::tf_transparency : PropertyId::transparency) {
    for (const Insn& in : model_.alphabet()) {
      const bool touches_tf =
          in.op == Op::pushf || in.op == Op::popf || in.op == Op::or_tf || in.op == Op::and_tf;
      allowed_.push_back(with_tf_programs || !touches_tf);
    }
    for (Request r : {Request::cont, Request::syscall, Request::singlestep})
      actions_.push_back(Action{r, 0, true, {}});
  }

  std::vector<State> initial_states() const {
    std::vector<State> out;
    for (const Task& s : model_.initial_states()) {
      State p;
      p.traced = s;
      p.untraced = untraced_start(s);
      out.push_back(p);
    }
    return out;
  }
  // The untraced twin of a traced initial state: nothing stops it before instruction 0.
  static Task untraced_start(const Task& traced) {
    Task u = traced;
    u.traced = 0;
    u.phase = Phase::user;
    u.why = StopWhy::initial;
    u.stop_sig = 0;
    u.stop_code = 0;
    return u;
  }
  uint64_t fingerprint(const State& s) const { return ptmc::fingerprint(&s, sizeof(State)); }
  uint8_t tag(const State&) const { return 0; }

  template <class Emit> void expand(const State& s, Emit& emit) const {
    if (diverged(s)) return; // already reported; nothing further is meaningful
    if (s.traced.phase == Phase::stopped) {
      for (size_t i = 0; i < actions_.size(); ++i) {
        Peek peeks[2];
        const size_t np = model_.peeks_for(s.traced, actions_[i], peeks);
        for (size_t k = 0; k < np; ++k) {
          const Peek p = peeks[k];
          State next;
          const Violations v = step_tracer(s, i, p, next);
          emit(Label{Label::Who::tracer, static_cast<uint16_t>(i), p}, next, v, edge::drive);
        }
      }
    } else if (s.traced.phase == Phase::user && s.untraced.phase == Phase::user) {
      uint16_t choices[M::kMaxChoices];
      const size_t nc = model_.program_choices(s.traced, choices);
      for (size_t k = 0; k < nc; ++k) {
        const uint16_t c = choices[k];
        if (c < model_.alphabet().size() && !allowed_[c]) continue;
        State next;
        const Violations v = step_tracee(s, c, next);
        emit(Label{Label::Who::tracee, c, Peek::unknown}, next, v, edge::env);
      }
    }
  }

  Violations step_tracer(const State& s, size_t action, Peek p, State& next) const {
    RuleCtx rules(model_.profile().mutation);
    Events ev;
    next = s;
    next.traced = model_.resume(s.traced, actions_[action], p, rules, ev);
    return diverged(next) ? bit(property_) : 0;
  }
  Violations step_tracee(const State& s, uint16_t choice, State& next) const {
    RuleCtx rules(model_.profile().mutation);
    Events ev;
    const Insn in = choice < model_.alphabet().size() ? model_.alphabet()[choice]
                                                      : *model_.fixed_insn(s.traced.pc());
    next = s;
    next.traced = model_.execute(s.traced, in, rules, ev);
    // The untraced copy never stops, so one execute() brings it to its next boundary or its end.
    Events untraced_ev;
    RuleCtx untraced_rules(model_.profile().mutation);
    next.untraced = model_.execute(s.untraced, in, untraced_rules, untraced_ev);
    return diverged(next) ? bit(property_) : 0;
  }
  const std::vector<Action>& actions() const { return actions_; }
  PropertyId property() const { return property_; }

  // Whether two states agree on everything the program can observe (see props/README.md).
  static bool agree(const Task& t, const Task& u) {
    if (t.dead() || u.dead())
      return t.phase == u.phase && t.exit_value == u.exit_value && t.written == u.written;
    // The saved frame's peek is the explorer's commitment about the program, not program state
    // (an untraced tracee never arms a step, so never peeks).
    auto t_saved = t.saved, u_saved = u.saved;
    t_saved.peek = u_saved.peek = 0;
    return M::ArchType::program_sees_same(t, u) && t.in_handler == u.in_handler &&
           std::memcmp(&t_saved, &u_saved, sizeof(t_saved)) == 0 && t.pending == u.pending &&
           t.pending_shared == u.pending_shared && t.written == u.written;
  }
  bool diverged(const State& s) const {
    const bool traced_settled = s.traced.phase == Phase::user || s.traced.dead();
    return traced_settled && !agree(s.traced, s.untraced);
  }

private:
  const M& model_;
  PropertyId property_;
  std::vector<bool> allowed_;
  std::vector<Action> actions_;
};

} // namespace ptmc
