// The engines for Redox profiles: the explorable models built on redox::Model (the model with
// its monitors, and the transparency product), `check` and `explore` over them, and the
// scenario runner for Redox operations and for Linux-API scenarios through relibc's mapping.
// They call the one transition function, redox::Model::apply and execute; nothing here adds
// semantics. check.cpp and runner.cpp hand Redox profiles over to these.
#pragma once

#include "engine/check.hpp"
#include "engine/runner.hpp"
#include "model/redox/model.hpp"
#include "props/redox_monitor.hpp"

#include <optional>
#include <string>
#include <vector>

namespace ptmc {

CheckReport check_redox(const Profile& profile, const CheckOptions& options);
ExploreReport explore_redox(const Profile& profile, const CheckOptions& options,
                            const std::optional<std::string>& dot_path);

// Runs a scenario of Redox operations; a scenario of Linux requests on a Redox profile runs
// through relibc's translation (model/redox/relibc.hpp), and `translated`, when given, receives
// the Redox scenario it became.
ModelRun run_redox(const Scenario& scenario, const Profile& profile,
                   Scenario* translated = nullptr);

// The explorer's view of the Redox model with its monitors (props/redox_monitor.hpp).
class RedoxMonitored {
public:
  using State = RedoxCheckState;
  using Label = ptmc::Label;

  RedoxMonitored(const redox::Model& model, bool recompute)
      : model_(model), recompute_(recompute) {}

  std::vector<State> initial_states() const;
  uint64_t fingerprint(const State& s) const;
  uint8_t tag(const State& s) const { return static_cast<uint8_t>(s.s.phase); }
  const RuleSet& covered() const { return covered_; }

  template <class Emit> void expand(const State& s, Emit& emit) const {
    if (redox::Model::tracer_turn(s.s)) {
      const auto& domain = model_.tracer_domain();
      for (size_t i = 0; i < domain.size(); ++i) {
        if (!allowed(s.s, domain[i])) continue;
        State next;
        const Violations v = step_op(s, domain[i], next, &covered_);
        emit(Label{Label::Who::tracer, static_cast<uint16_t>(i), Peek::unknown}, next, v,
             edge_flags(domain[i]));
      }
    } else if (s.s.phase == redox::Phase::user) {
      uint16_t choices[redox::Model::kMaxChoices];
      const size_t nc = model_.program_choices(s.s, choices);
      for (size_t k = 0; k < nc; ++k) {
        State next;
        const Violations v = step_insn(s, choices[k], next, &covered_);
        emit(Label{Label::Who::tracee, choices[k], Peek::unknown}, next, v, 2 /* env */);
      }
    }
  }

  Violations step_op(const State& s, const RedoxAction& a, State& next,
                     RuleSet* fired = nullptr) const;
  Violations step_insn(const State& s, uint16_t choice, State& next,
                       RuleSet* fired = nullptr) const;
  Insn insn_for_choice(const State& s, uint16_t choice) const;
  // The explorer's tracer never overfills the event queue, and its relative rip edit stays
  // within the chosen program.
  bool allowed(const redox::Task& s, const RedoxAction& a) const;
  // A tracer that only drives: reads, and writes without FLAG_IGNORE (no-deadlock).
  static uint8_t edge_flags(const RedoxAction& a);
  const redox::Model& model() const { return model_; }

private:
  bool sampled(const State& s) const { return (fingerprint(s) & 7) == 0; }
  const redox::Model& model_;
  bool recompute_;
  mutable RuleSet covered_;
};

// A traced tracee and an untraced copy of the same program, in lockstep (transparency).
struct RedoxPair {
  redox::Task traced;
  redox::Task untraced;
  bool operator==(const RedoxPair& o) const { return traced == o.traced && untraced == o.untraced; }
};

class RedoxTransparency {
public:
  using State = RedoxPair;
  using Label = ptmc::Label;

  RedoxTransparency(const redox::Model& model, bool with_tf_programs);

  std::vector<State> initial_states() const;
  uint64_t fingerprint(const State& s) const;
  uint8_t tag(const State&) const { return 0; }

  template <class Emit> void expand(const State& s, Emit& emit) const {
    if (diverged(s)) return;
    if (redox::Model::tracer_turn(s.traced)) {
      for (size_t i = 0; i < words_.size(); ++i) {
        State next;
        const Violations v = step_tracer(s, i, next);
        emit(Label{Label::Who::tracer, static_cast<uint16_t>(i), Peek::unknown}, next, v, 1);
      }
    } else if (s.traced.phase == redox::Phase::user && s.untraced.phase == redox::Phase::user) {
      uint16_t choices[redox::Model::kMaxChoices];
      const size_t nc = model_.program_choices(s.traced, choices);
      for (size_t k = 0; k < nc; ++k) {
        if (choices[k] < allowed_.size() && !allowed_[choices[k]]) continue;
        State next;
        const Violations v = step_tracee(s, choices[k], next);
        emit(Label{Label::Who::tracee, choices[k], Peek::unknown}, next, v, 2);
      }
    }
  }

  // The product's tracer: read every queued event, then write one of words().
  Violations step_tracer(const State& s, size_t word, State& next, Trace* out = nullptr,
                         std::vector<RedoxAction>* ops = nullptr) const;
  Violations step_tracee(const State& s, uint16_t choice, State& next) const;
  const std::vector<uint64_t>& words() const { return words_; }
  PropertyId property() const { return property_; }

  // The untraced twin of the start: the same registers at instruction 0, kill() returned.
  static redox::Task untraced_start(const redox::Task& traced);
  // Whether the program could tell the two apart (docs/redox-model.md, "Properties").
  static bool agree(const redox::Task& t, const redox::Task& u, bool with_tf);
  bool diverged(const State& s) const;

private:
  const redox::Model& model_;
  PropertyId property_;
  bool with_tf_;
  std::vector<bool> allowed_;
  std::vector<uint64_t> words_;
};

} // namespace ptmc
