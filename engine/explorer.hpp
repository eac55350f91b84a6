// Breadth-first explicit-state exploration of any model that offers
//
//   using State, Label;
//   std::vector<State> initial_states() const;
//   void expand(const State&, Emit&) const;   // emit(label, next, violations, edge_flags)
//   uint64_t fingerprint(const State&) const;
//   uint8_t tag(const State&) const;          // a byte kept per state (its phase, say)
//
// The engine knows nothing of ptrace: tracer, tracee and (later) kernel threads are all just
// actions of the model. It keeps a fingerprint per state, a parent link and the label that
// reached it; counterexamples are rebuilt by replaying labels from an initial state. BFS makes
// the first violation of each property a shortest one, counted in transitions.
#pragma once

#include "engine/seen_set.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ptmc {

struct ExploreLimits {
  uint64_t max_states = 0;    // 0: none
  uint64_t max_bytes = 0;     // the engine's own accounting of its tables; 0: none
  bool store_edges = false;   // keep the edge list (graph properties, --dot)...
  uint8_t edge_filter = 0xff; // ...only the edges whose flags share a bit with this
  bool keep_states = false;   // keep every state, in number order (--dot)
  uint32_t stop_on = 0;       // stop at the first violation of any of these kinds (--fail-fast)
  // Called about twice a second with (states, transitions, depth, seconds).
  std::function<void(uint64_t, uint64_t, uint32_t, double)> progress;
};

struct ExploreStats {
  uint64_t states = 0;
  uint64_t transitions = 0;
  uint32_t depth = 0;
  double seconds = 0;
  uint64_t peak_bytes = 0; // the engine's accounting
  bool complete = true;    // false: a limit stopped the run
  std::string stopped_by;  // "max-states" or "max-memory"
};

inline constexpr size_t kMaxViolationKinds = 32;

template <class Label> struct Edge {
  uint32_t to;
  Label label;
  uint8_t flags;
};

template <class Model> struct ExploreResult {
  using Label = typename Model::Label;
  ExploreStats stats;
  std::vector<uint32_t> parent;        // per state; UINT32_MAX for initial states
  std::vector<Label> via;              // per state: the label of the edge from parent
  std::vector<uint32_t> initial_index; // per state: which initial state the path starts from
  // Per violation kind: the state the violating edge leaves, and the edge's label.
  std::array<std::optional<std::pair<uint32_t, Label>>, kMaxViolationKinds> first_violation;
  std::array<uint32_t, kMaxViolationKinds> violation_depth{};
  std::array<double, kMaxViolationKinds> violation_seconds{}; // when it was found
  // With store_edges: edges of state i are edges[edge_begin[i] .. edge_begin[i+1]).
  std::vector<uint64_t> edge_begin;
  std::vector<Edge<Label>> edges;
  std::vector<typename Model::State> states; // with keep_states
  std::vector<uint8_t> tags;                 // per state: model.tag(state)

  // The labels from an initial state to `state`, in order.
  std::vector<Label> path_to(uint32_t state) const {
    std::vector<Label> out;
    for (uint32_t s = state; parent[s] != UINT32_MAX; s = parent[s]) out.push_back(via[s]);
    return {out.rbegin(), out.rend()};
  }
  uint32_t root_of(uint32_t state) const {
    while (parent[state] != UINT32_MAX) state = parent[state];
    return initial_index[state];
  }
};

template <class Model>
ExploreResult<Model> explore(const Model& model, const ExploreLimits& limits) {
  using State = typename Model::State;
  using Label = typename Model::Label;
  using clock = std::chrono::steady_clock;
  ExploreResult<Model> r;
  SeenSet seen;
  std::vector<std::pair<State, uint32_t>> current, next;
  const auto start = clock::now();
  auto last_report = start;

  auto bytes_now = [&] {
    uint64_t b = seen.bytes() + r.parent.capacity() * sizeof(uint32_t) +
                 r.via.capacity() * sizeof(Label) + r.initial_index.capacity() * sizeof(uint32_t) +
                 (current.capacity() + next.capacity()) * sizeof(std::pair<State, uint32_t>) +
                 r.edges.capacity() * sizeof(Edge<Label>) +
                 r.edge_begin.capacity() * sizeof(uint64_t) + r.states.capacity() * sizeof(State) +
                 r.tags.capacity();
    return b;
  };

  const auto inits = model.initial_states();
  for (size_t i = 0; i < inits.size(); ++i) {
    auto [idx, fresh] = seen.insert(model.fingerprint(inits[i]));
    if (!fresh) continue;
    r.parent.push_back(UINT32_MAX);
    r.via.push_back(Label{});
    r.initial_index.push_back(static_cast<uint32_t>(i));
    if (limits.keep_states) r.states.push_back(inits[i]);
    r.tags.push_back(model.tag(inits[i]));
    current.emplace_back(inits[i], idx);
  }

  bool stop = false;
  uint32_t depth = 0;
  // States are numbered as they are found and expanded in that same order (BFS), so the edge
  // list can be written as one flat array, indexed by edge_begin.

  while (!current.empty() && !stop) {
    for (size_t qi = 0; qi < current.size() && !stop; ++qi) {
      const State& s = current[qi].first;
      const uint32_t from = current[qi].second;
      if (limits.store_edges) r.edge_begin.push_back(r.edges.size());
      auto emit = [&](const Label& label, const State& to, uint32_t violations, uint8_t flags) {
        ++r.stats.transitions;
        auto [idx, fresh] = seen.insert(model.fingerprint(to));
        if (fresh) {
          if (limits.keep_states) r.states.push_back(to);
          r.tags.push_back(model.tag(to));
          r.parent.push_back(from);
          r.via.push_back(label);
          r.initial_index.push_back(0);
          next.emplace_back(to, idx);
        }
        if (limits.store_edges && (flags & limits.edge_filter))
          r.edges.push_back(Edge<Label>{idx, label, flags});
        while (violations) {
          const unsigned k = static_cast<unsigned>(__builtin_ctz(violations));
          violations &= violations - 1;
          if (k < kMaxViolationKinds && !r.first_violation[k]) {
            r.first_violation[k] = std::make_pair(from, label);
            r.violation_depth[k] = depth + 1;
            r.violation_seconds[k] = std::chrono::duration<double>(clock::now() - start).count();
            if (limits.stop_on & (1u << k)) {
              r.stats.complete = false;
              r.stats.stopped_by = "fail-fast";
              stop = true;
            }
          }
        }
      };
      model.expand(s, emit);

      if ((r.stats.transitions & 0xfff) == 0 || qi + 1 == current.size()) {
        const uint64_t b = bytes_now();
        if (b > r.stats.peak_bytes) r.stats.peak_bytes = b;
        if (limits.max_bytes && b + seen.growth_bytes() > limits.max_bytes) {
          r.stats.complete = false;
          r.stats.stopped_by = "max-memory";
          stop = true;
        }
        if (limits.max_states && seen.size() > limits.max_states) {
          r.stats.complete = false;
          r.stats.stopped_by = "max-states";
          stop = true;
        }
        const auto now = clock::now();
        if (limits.progress && now - last_report > std::chrono::milliseconds(500)) {
          last_report = now;
          limits.progress(seen.size(), r.stats.transitions, depth,
                          std::chrono::duration<double>(now - start).count());
        }
      }
    }
    if (stop) break;
    current.swap(next);
    next.clear();
    if (!current.empty()) ++depth;
  }

  r.stats.states = seen.size();
  r.stats.depth = depth;
  r.stats.seconds = std::chrono::duration<double>(clock::now() - start).count();
  if (limits.store_edges) {
    // States found but never expanded (a limit stopped the run) get empty edge ranges.
    while (r.edge_begin.size() <= seen.size()) r.edge_begin.push_back(r.edges.size());
  }
  const uint64_t b = bytes_now();
  if (b > r.stats.peak_bytes) r.stats.peak_bytes = b;
  return r;
}

} // namespace ptmc
