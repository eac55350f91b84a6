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
//    whether or not the atomic kernel is deterministic per observation; `atomic_deterministic`
//    says whether it is.
#pragma once

#include "engine/explorer.hpp"
#include "model/redox/smp/check.hpp"
#include "model/redox/smp/model.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace ptmc::redox_smp {

struct PairState {
  State a, b;
};
static_assert(std::has_unique_object_representations_v<PairState>);

struct PairLabel {
  uint8_t copy = 0; // 0: a, 1: b, 2: both (a synchronised step)
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

// A trie of observation sequences, one root per initial state.
class ObservationTrie {
public:
  uint32_t root(uint32_t initial);
  uint32_t child(uint32_t node, uint32_t obs);      // adds it if missing
  uint32_t find(uint32_t node, uint32_t obs) const; // kNone if missing
  size_t size() const { return next_; }
  static constexpr uint32_t kNone = 0xffffffffu;

  // Nodes at which the same request got two different results (per-observation
  // nondeterminism of the atomic kernel), with one example.
  bool deterministic() const { return nondeterministic_ == kNone; }
  uint32_t nondeterministic_node() const { return nondeterministic_; }

private:
  std::unordered_map<uint64_t, uint32_t> edges_;
  std::unordered_map<uint32_t, uint32_t> roots_;
  std::unordered_map<uint64_t, uint32_t> result_of_; // (node, request) -> first result seen
  uint32_t next_ = 0;
  uint32_t nondeterministic_ = kNone;
};

struct TrieState {
  State s;
  uint32_t node = 0;
};
static_assert(std::has_unique_object_representations_v<TrieState>);

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

  explicit RefinementModel(const SmpModel& concurrent);
  std::vector<TrieState> initial_states() const;
  template <class Emit> void expand(const TrieState& s, Emit& emit) const;
  uint64_t fingerprint(const TrieState& s) const;
  uint8_t tag(const TrieState&) const { return 0; }

  Interleaving interleaving(const TrieState& init, const std::vector<Label>& path) const;
  std::string explain(const TrieState& init, const std::vector<Label>& path) const;

  const ExploreStats& atomic_stats() const { return atomic_stats_; }
  const ObservationTrie& trie() const { return trie_; }

private:
  const SmpModel& m_;
  SmpModel atomic_;
  ObservationTrie trie_;
  ExploreStats atomic_stats_;
};

// ---- templates ----------------------------------------------------------------------------------

template <class F> void PairedModel::for_each(const PairState& s, F&& f) const {
  std::vector<redox_smp::Label> la, lb;
  m_.enabled(s.a, la);
  m_.enabled(s.b, lb);
  auto sync_point = [](const redox_smp::State& x, const redox_smp::Label& l) {
    if (l.act == Act::request) return true;
    if (l.act != Act::step || l.who != static_cast<uint8_t>(Thread::tracer)) return false;
    (void)x;
    return false;
  };
  auto at_done = [&](const redox_smp::State& x) {
    const Context& t = x.ctx[static_cast<int>(Thread::tracer)];
    return (t.sched & sched::running) && t.code != 0 &&
           m_.code().code[t.code].ops.at(t.pc).kind == Kind::request_done;
  };
  const bool a_done = at_done(s.a), b_done = at_done(s.b);
  // Internal steps of copy A first; copy B moves only when A has none left.
  std::vector<std::pair<uint8_t, redox_smp::Label>> internal;
  for (const auto& l : la)
    if (l.who != kEnv && !sync_point(s.a, l) &&
        !(a_done && l.act == Act::step && l.who == static_cast<uint8_t>(Thread::tracer)))
      internal.push_back({0, l});
  if (internal.empty())
    for (const auto& l : lb)
      if (l.who != kEnv && !sync_point(s.b, l) &&
          !(b_done && l.act == Act::step && l.who == static_cast<uint8_t>(Thread::tracer)))
        internal.push_back({1, l});
  for (const auto& [copy, l] : internal) {
    StepInfo info;
    PairState n = s;
    auto next = m_.apply(copy == 0 ? s.a : s.b, l, &info);
    if (!next) continue;
    (copy == 0 ? n.a : n.b) = *next;
    uint32_t v = 0;
    // A copy that finishes or hangs must agree with the other at the end.
    f(PairLabel{copy, l}, n, v);
  }
  if (!internal.empty()) return;
  // Synchronised steps: a request both tracers start, or a result both return.
  if (a_done && b_done) {
    const redox_smp::Label l{static_cast<uint8_t>(Thread::tracer), Act::step, 0};
    StepInfo ia, ib;
    auto na = m_.apply(s.a, l, &ia);
    auto nb = m_.apply(s.b, l, &ib);
    if (na && nb)
      f(PairLabel{2, l}, PairState{*na, *nb}, ia.obs != ib.obs ? bit(Prop::determinism) : 0u);
    return;
  }
  bool any = false;
  for (const auto& l : la)
    if (l.act == Act::request && std::find(lb.begin(), lb.end(), l) != lb.end()) {
      auto na = m_.apply(s.a, l);
      auto nb = m_.apply(s.b, l);
      if (na && nb) {
        f(PairLabel{2, l}, PairState{*na, *nb}, 0u);
        any = true;
      }
    }
  if (any) return;
  // Neither copy can move on its own and they cannot move together: a difference, unless both
  // have finished alike or both are stuck (the single-run properties report that).
  const bool fa = m_.finished(s.a), fb = m_.finished(s.b);
  const Context& ea = s.a.ctx[static_cast<int>(Thread::tracee)];
  const Context& eb = s.b.ctx[static_cast<int>(Thread::tracee)];
  const bool same_end = fa && fb && ea.aux == eb.aux;
  const bool both_stuck = !fa && !fb && !a_done && !b_done;
  if (!same_end && !both_stuck) {
    // Report it on a self-loop so that the explorer records the violation at this state.
    f(PairLabel{2, redox_smp::Label{kEnv, Act::step, 0xff}}, s, bit(Prop::determinism));
  }
}

template <class Emit> void AtomicTraceModel::expand(const TrieState& s, Emit& emit) const {
  bool any = false;
  m_.for_each_successor(
      s.s, [&](const redox_smp::Label& l, const redox_smp::State& n, const StepInfo& info) {
        TrieState t{n, s.node};
        if (info.obs) t.node = trie_.child(s.node, info.obs);
        if (l.who != kEnv) any = true;
        if (m_.stuck(n)) t.node = trie_.child(t.node, obs::hang);
        emit(l, t, 0u, uint8_t{1});
      });
  (void)any;
}

template <class Emit> void RefinementModel::expand(const TrieState& s, Emit& emit) const {
  m_.for_each_successor(
      s.s, [&](const redox_smp::Label& l, const redox_smp::State& n, const StepInfo& info) {
        TrieState t{n, s.node};
        uint32_t v = 0;
        if (s.node == ObservationTrie::kNone) {
          emit(l, t, 0u, uint8_t{1});
          return;
        }
        if (info.obs) {
          t.node = trie_.find(s.node, info.obs);
          if (t.node == ObservationTrie::kNone) v |= bit(Prop::refinement);
        }
        if (t.node != ObservationTrie::kNone && m_.stuck(n)) {
          t.node = trie_.find(t.node, obs::hang);
          if (t.node == ObservationTrie::kNone) v |= bit(Prop::refinement);
        }
        emit(l, t, v, uint8_t{1});
      });
}

} // namespace ptmc::redox_smp
