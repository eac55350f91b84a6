// Two-run properties of the concurrent model, each an explorable model of its own:
//
//  - PairedModel (determinism): two copies of the model with the same tracee program and the
//    same tracer requests, each scheduled independently. They synchronise on what the tracer
//    sees: a request starts in both at once, and a request returns in both at once with the
//    same result. A different result, a different end of the tracee, or one copy hanging where
//    the other returns is a violation. Copy A runs first between synchronisation points (its
//    steps are independent of copy B's), which is a sound reduction of the product.
//
//  - RefinementModel (refinement): the observable traces of the same kernel run atomically
//    (SmpModel with `atomic`, one system call at a time) are collected in a trie; the concurrent
//    model then walks the trie with its own observations, and an observation the atomic kernel
//    cannot produce after the same history is a violation. The trie makes the check exact
//    whether or not the atomic kernel is deterministic per observation.
//
//  - The same product with the interface profile's traces in the trie (refinement-interface,
//    interface.hpp): the trie then also holds request starts and the end, so that a node with
//    two outputs is nondeterminism per observation of the interface profile.
#pragma once

#include "engine/explorer.hpp"
#include "model/profile.hpp"
#include "model/redox/smp/check.hpp"
#include "model/redox/smp/interface.hpp"
#include "model/redox/smp/model.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace ptmc::redox_smp {

struct PairState {
  State a, b;
  uint8_t phase = 0; // 0: copy A may step (or hand over to B), 1: copy B may step
  uint8_t pad[7] = {};
};
static_assert(std::has_unique_object_representations_v<PairState>);

struct PairLabel {
  uint8_t copy = 0; // 0: a, 1: b, 2: both (a synchronised step), 3: A hands over to B
  Label label;
  bool operator==(const PairLabel&) const = default;
};

class PairedModel {
public:
  using State = PairState;
  using Label = PairLabel;

  explicit PairedModel(const SmpModel& m) : m_(m) {}
  std::vector<PairState> initial_states() const;
  template <class Emit> void expand(const PairState& s, Emit& emit) const {
    for_each(s, [&](const PairLabel& l, const PairState& n, uint32_t v) { emit(l, n, v, 1); });
  }
  uint64_t fingerprint(const PairState& s) const;
  uint8_t tag(const PairState&) const { return 0; }

  // The interleaving of copy A along a product path, and what went different.
  Interleaving left_interleaving(const PairState& init, const std::vector<PairLabel>& path) const;
  std::string explain(const PairState& init, const std::vector<PairLabel>& path) const;

  template <class F> void for_each(const PairState& s, F&& f) const;

private:
  const SmpModel& m_;
};

// What the observable traces are made of: the results the tracer gets, in order, and a hang
// (nothing can move any more). The start of a request is implied by the previous result. The
// tracee's end is not in the trace: it overlaps the tracer's requests, and the tracer learns of
// it only through what its requests return (ESRCH, an EXIT event).
inline bool in_trace(uint32_t code) {
  const uint32_t kind = code & 0xf0000000u;
  return kind == obs::result || kind == obs::hang;
}

// A trie of observation sequences, one root per initial state.
class ObservationTrie {
public:
  uint32_t root(uint32_t initial);
  uint32_t child(uint32_t node, uint32_t obs);      // adds it if missing
  uint32_t find(uint32_t node, uint32_t obs) const; // kNone if missing
  size_t size() const { return next_; }
  static constexpr uint32_t kNone = 0xffffffffu;

  // Nodes at which the same history got two different outputs (a result, a hang, the end):
  // nondeterminism per observation, with the first such node.
  bool deterministic() const { return nondeterministic_ == kNone; }
  uint32_t nondeterministic_node() const { return nondeterministic_; }
  // The first output seen after a node, or 0.
  uint32_t first_output(uint32_t node) const;

private:
  std::unordered_map<uint64_t, uint32_t> edges_;
  std::unordered_map<uint32_t, uint32_t> roots_;
  std::unordered_map<uint32_t, uint32_t> output_of_; // node -> the first output seen after it
  uint32_t next_ = 0;
  uint32_t nondeterministic_ = kNone;
};

struct TrieState {
  State s;
  uint32_t node = 0;
};
static_assert(std::has_unique_object_representations_v<TrieState>);

// Outputs are what the kernel decides: a result, a hang, the end. Inputs (request starts) are
// the tracer's choice.
inline bool is_output(uint32_t code) {
  const uint32_t kind = code & 0xf0000000u;
  return kind == obs::result || kind == obs::hang || kind == obs::fin;
}

// Determinism, decided on the model's own observation histories: the model in product with the
// tree of (request, result) histories it produces. Two runs with the same requests reach the
// same node until their outputs differ, so a node with two different outputs is exactly a pair
// of runs the paired product (PairedModel) would report; this needs one copy of the state, not
// two. The tracee is frozen at attach and nobody is killed (the check's inputs are fixed).
class DeterminismModel {
public:
  using State = TrieState;
  using Label = redox_smp::Label;
  explicit DeterminismModel(const SmpModel& m) : m_(m) {}
  std::vector<TrieState> initial_states() const;
  template <class Emit> void expand(const TrieState& s, Emit& emit) const;
  uint64_t fingerprint(const TrieState& s) const;
  uint8_t tag(const TrieState&) const { return 0; }
  const ObservationTrie& trie() const { return trie_; }
  // What went different along a path to a violation.
  std::string explain(const TrieState& init, const std::vector<Label>& path) const;

private:
  const SmpModel& m_;
  mutable ObservationTrie trie_;
  mutable std::unordered_map<uint32_t, std::string> text_; // observation code -> its words
};

// The atomic kernel with the observation history: exploring it fills the trie.
class AtomicTraceModel {
public:
  using State = TrieState;
  using Label = redox_smp::Label;
  AtomicTraceModel(const SmpModel& atomic, ObservationTrie& trie) : m_(atomic), trie_(trie) {}
  std::vector<TrieState> initial_states() const;
  template <class Emit> void expand(const TrieState& s, Emit& emit) const;
  uint64_t fingerprint(const TrieState& s) const;
  uint8_t tag(const TrieState&) const { return 0; }

private:
  const SmpModel& m_;
  ObservationTrie& trie_;
};

class RefinementModel {
public:
  using State = TrieState;
  using Label = redox_smp::Label;

  // The specification: the same listings run atomically (refinement).
  explicit RefinementModel(const SmpModel& concurrent);
  // The specification: an interface profile, redox-2019 or redox-2020 or a mutant of one
  // (refinement-interface). `concurrent`'s domain must be an interface_domain.
  RefinementModel(const SmpModel& concurrent, const Profile& interface);
  std::vector<TrieState> initial_states() const;
  template <class Emit> void expand(const TrieState& s, Emit& emit) const;
  uint64_t fingerprint(const TrieState& s) const;
  uint8_t tag(const TrieState&) const { return 0; }

  Interleaving interleaving(const TrieState& init, const std::vector<Label>& path) const;
  std::string explain(const TrieState& init, const std::vector<Label>& path) const;

  const ExploreStats& atomic_stats() const { return atomic_stats_; }
  const ObservationTrie& trie() const { return trie_; }
  const InterfaceTraces& interface_stats() const { return interface_stats_; }
  bool against_interface() const { return against_interface_; }
  // Transitions that left the common part, by reason (interface.hpp, Outside).
  uint64_t outside(Outside why) const { return outside_[static_cast<int>(why)]; }

  // What a step adds to the trace the trie is walked with.
  bool observed(uint32_t code) const;
  // Whether the step leaves the part of the domain the two models have in common.
  std::optional<Outside> leaves_common_part(const redox_smp::State& s, const Label& l,
                                            const redox_smp::State& n) const {
    if (!against_interface_) return std::nullopt;
    return outside_common_part(m_, s, l, n);
  }

private:
  const SmpModel& m_;
  SmpModel atomic_;
  ObservationTrie trie_;
  ExploreStats atomic_stats_;
  InterfaceTraces interface_stats_;
  bool against_interface_ = false;
  mutable uint64_t outside_[2] = {0, 0};
};

// ---- templates ----------------------------------------------------------------------------------

template <class F> void PairedModel::for_each(const PairState& s, F&& f) const {
  using SL = redox_smp::Label;
  constexpr auto tracer = static_cast<uint8_t>(Thread::tracer);
  auto at_result = [&](const redox_smp::State& x) {
    const Context& t = x.ctx[static_cast<int>(Thread::tracer)];
    return (t.sched & sched::running) && t.code != 0 &&
           m_.code().code[t.code].ops.at(t.pc).kind == Kind::request_done;
  };
  // Internal: everything but the environment's kills, the tracer starting a request, and the
  // tracer returning one; those two are made by both copies at once.
  auto internal = [&](const redox_smp::State& x, std::vector<SL>& out) {
    std::vector<SL> all;
    m_.enabled(x, all);
    const bool result = at_result(x);
    for (const SL& l : all)
      if (l.who != kEnv && l.act != Act::request &&
          !(result && l.act == Act::step && l.who == tracer))
        out.push_back(l);
  };
  std::vector<SL> ia, ib;
  internal(s.a, ia);
  internal(s.b, ib);
  // The canonical order between two synchronised steps: copy A's steps, then copy B's.
  if (s.phase == 0) {
    for (const SL& l : ia)
      if (auto n = m_.apply(s.a, l)) f(PairLabel{0, l}, PairState{*n, s.b, 0, {}}, 0u);
    f(PairLabel{3, SL{}}, PairState{s.a, s.b, 1, {}}, 0u);
  } else {
    for (const SL& l : ib)
      if (auto n = m_.apply(s.b, l)) f(PairLabel{1, l}, PairState{s.a, *n, 1, {}}, 0u);
  }
  bool joint = false;
  if (at_result(s.a) && at_result(s.b)) {
    const SL l{tracer, Act::step, 0};
    StepInfo xa, xb;
    auto na = m_.apply(s.a, l, &xa);
    auto nb = m_.apply(s.b, l, &xb);
    if (na && nb) {
      f(PairLabel{2, l}, PairState{*na, *nb, 0, {}},
        xa.obs != xb.obs ? bit(Prop::determinism) : 0u);
      joint = true;
    }
  }
  std::vector<SL> la;
  m_.enabled(s.a, la);
  std::vector<SL> lb;
  m_.enabled(s.b, lb);
  for (const SL& l : la)
    if (l.act == Act::request && std::find(lb.begin(), lb.end(), l) != lb.end()) {
      auto na = m_.apply(s.a, l);
      auto nb = m_.apply(s.b, l);
      if (na && nb) {
        f(PairLabel{2, l}, PairState{*na, *nb, 0, {}}, 0u);
        joint = true;
      }
    }
  // Both copies quiet and nothing to do together: they must have ended alike. (Both hanging is
  // a single-run property's business.)
  if (s.phase == 1 && ia.empty() && ib.empty() && !joint) {
    const bool fa = m_.finished(s.a), fb = m_.finished(s.b);
    const Context& ea = s.a.ctx[static_cast<int>(Thread::tracee)];
    const Context& eb = s.b.ctx[static_cast<int>(Thread::tracee)];
    const bool same_end = fa && fb && ea.aux == eb.aux;
    const bool both_hang = !fa && !fb && !at_result(s.a) && !at_result(s.b);
    if (!same_end && !both_hang)
      f(PairLabel{2, SL{kEnv, Act::step, 0xff}}, s, bit(Prop::determinism));
  }
}

template <class Emit> void DeterminismModel::expand(const TrieState& s, Emit& emit) const {
  m_.for_each_successor(
      s.s, [&](const redox_smp::Label& l, const redox_smp::State& n, const StepInfo& info) {
        if (l.who == kEnv) return; // no kills: the inputs are fixed
        TrieState t{n, s.node};
        uint32_t v = 0;
        auto observe = [&](uint32_t code, const std::string& words) {
          if (is_output(code)) {
            const uint32_t first = trie_.first_output(t.node);
            if (first && first != code) v |= bit(Prop::determinism);
          }
          text_.emplace(code, words);
          t.node = trie_.child(t.node, code);
        };
        const uint32_t kind = info.obs & 0xf0000000u;
        if (kind == obs::request || kind == obs::result)
          observe(info.obs, info.observed.empty() ? info.note : info.observed);
        if (m_.finished(n)) {
          const uint8_t status = n.ctx[static_cast<int>(Thread::tracee)].aux;
          observe(obs::fin | status, "the end, tracee exit(" + std::to_string(status) + ")");
        } else if (m_.stuck(n)) {
          observe(obs::hang, "a hang (" + m_.summary(n) + ")");
        }
        emit(l, t, v, uint8_t{1});
      });
}

template <class Emit> void AtomicTraceModel::expand(const TrieState& s, Emit& emit) const {
  bool any = false;
  m_.for_each_successor(
      s.s, [&](const redox_smp::Label& l, const redox_smp::State& n, const StepInfo& info) {
        TrieState t{n, s.node};
        if (in_trace(info.obs)) t.node = trie_.child(s.node, info.obs);
        if (l.who != kEnv) any = true;
        if (m_.stuck(n)) t.node = trie_.child(t.node, obs::hang);
        emit(l, t, 0u, uint8_t{1});
      });
  (void)any;
}

template <class Emit> void RefinementModel::expand(const TrieState& s, Emit& emit) const {
  const uint32_t violation =
      bit(against_interface_ ? Prop::refinement_interface : Prop::refinement);
  m_.for_each_successor(
      s.s, [&](const redox_smp::Label& l, const redox_smp::State& n, const StepInfo& info) {
        TrieState t{n, s.node};
        uint32_t v = 0;
        if (s.node == ObservationTrie::kNone) {
          emit(l, t, 0u, uint8_t{1});
          return;
        }
        if (const auto why = leaves_common_part(s.s, l, n)) {
          ++outside_[static_cast<int>(*why)];
          t.node = ObservationTrie::kNone;
          emit(l, t, 0u, uint8_t{1});
          return;
        }
        if (observed(info.obs)) {
          t.node = trie_.find(s.node, info.obs);
          if (t.node == ObservationTrie::kNone) v |= violation;
        }
        if (t.node != ObservationTrie::kNone && against_interface_ && m_.finished(n)) {
          t.node = trie_.find(t.node, obs::fin | n.ctx[static_cast<int>(Thread::tracee)].aux);
          if (t.node == ObservationTrie::kNone) v |= violation;
        } else if (t.node != ObservationTrie::kNone && m_.stuck(n)) {
          t.node = trie_.find(t.node, obs::hang);
          if (t.node == ObservationTrie::kNone) v |= violation;
        }
        emit(l, t, v, uint8_t{1});
      });
}

} // namespace ptmc::redox_smp
