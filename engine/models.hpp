// The explorable models built from X86Model: the model with its property monitors, and the
// transparency product. Both call the same X86Model::resume/execute; neither adds semantics.
#pragma once

#include "model/x86_model.hpp"
#include "props/properties.hpp"

#include <mutex>
#include <vector>

namespace ptmc {

// Edge flags, for the graph pass and --dot.
namespace edge {
inline constexpr uint8_t drive = 1; // a tracer resume no-deadlock may use
inline constexpr uint8_t env = 2;   // a program choice (or a peek the program decides)
inline constexpr uint8_t other = 4; // any other tracer action
} // namespace edge

// X86Model plus the monitors of props/, as the explorer sees it.
class MonitoredModel {
public:
  using State = CheckState;
  using Label = ptmc::Label;

  // monitors = false: the model's own states only (the monitor record stays zero), as the SPIN
  // twin counts them (bench/spin/).
  MonitoredModel(const X86Model& model, bool recompute, bool monitors = true)
      : model_(model), recompute_(recompute), monitors_(monitors) {}

  std::vector<State> initial_states() const;
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
      uint16_t choices[X86Model::kMaxChoices];
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
                         RuleSet* fired = nullptr) const;
  Violations step_tracee(const State& s, uint16_t choice, State& next,
                         RuleSet* fired = nullptr) const;
  Insn insn_for_choice(const State& s, uint16_t choice) const;
  static bool is_drive(const Action& a);
  // The explorer's "skip one instruction" edit only within the chosen program, where the
  // instruction it lands on is still unchosen; anywhere else it would leave the code.
  bool skip_edit_allowed(const ptmc::State& s, const Action& a) const;
  const X86Model& model() const { return model_; }

private:
  // determinism recomputes the transitions of one state in 8, chosen by fingerprint so that the
  // sample is the same on every run; it doubles the cost of the transitions it covers.
  bool sampled(const State& s) const { return (fingerprint(s) & 7) == 0; }
  const X86Model& model_;
  bool recompute_;
  bool monitors_;
  mutable std::mutex covered_mutex_;
  mutable RuleSet covered_;
};

// A traced tracee and an untraced copy of it, fed the same program in lockstep.
struct ProductState {
  State traced;
  State untraced;
  bool operator==(const ProductState& o) const {
    return traced == o.traced && untraced == o.untraced;
  }
};

class TransparencyModel {
public:
  using State = ProductState;
  using Label = ptmc::Label;

  // with_tf_programs: whether pushf/popf/or_tf/and_tf may appear (tf-transparency).
  TransparencyModel(const X86Model& model, bool with_tf_programs);

  std::vector<State> initial_states() const;
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
      uint16_t choices[X86Model::kMaxChoices];
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

  Violations step_tracer(const State& s, size_t action, Peek p, State& next) const;
  Violations step_tracee(const State& s, uint16_t choice, State& next) const;
  const std::vector<Action>& actions() const { return actions_; }
  PropertyId property() const { return property_; }
  // Whether two states agree on everything the program can observe (see props/README.md).
  static bool agree(const ptmc::State& traced, const ptmc::State& untraced);
  bool diverged(const State& s) const;

private:
  const X86Model& model_;
  PropertyId property_;
  std::vector<bool> allowed_;
  std::vector<Action> actions_;
};

} // namespace ptmc
