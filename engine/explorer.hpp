// Breadth-first explicit-state exploration of any model that offers
//
//   using State, Label;                       // State trivially copyable, Label {who, index}
//   std::vector<State> initial_states() const;
//   void expand(const State&, Emit&) const;   // emit(label, next, violations, edge_flags)
//   uint64_t fingerprint(const State&) const;
//   uint8_t tag(const State&) const;          // a byte kept per state for graph passes
//
// The engine knows nothing of ptrace: tracer, tracee and (later) kernel threads are all just
// actions of the model. docs/engine.md describes the design; in short:
//  - States are numbered in the order a sequential BFS would find them: by level, then by
//    (parent's number, the edge's index among the parent's successors), the first finder
//    winning. Every thread count numbers them the same way, so counts, verdicts and
//    counterexamples do not depend on it, and the first violation of each property (least
//    level, then least number) is a shortest one.
//  - A level is expanded a block of kBlockChunks chunks at a time. Within a block, threads
//    expand chunks against a seen-set that nobody writes; the block's new states are then
//    deduplicated partition by partition, numbered in order, and inserted. Limits, progress,
//    interruption and checkpoints act between blocks.
//  - The seen-set keeps 64-bit fingerprints (hash compaction; --exact keeps every state and
//    compares them). The frontier is kept compressed (frontier.hpp). The parent links and the
//    edge list go to files (spool.hpp): a counterexample is rebuilt by replaying edge indices
//    from an initial state.
#pragma once

#include "engine/edge_store.hpp"
#include "engine/fingerprint_set.hpp"
#include "engine/frontier.hpp"
#include "engine/spool.hpp"
#include "engine/thread_pool.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ptmc {

struct ExploreLimits {
  uint64_t max_states = 0;    // 0: none
  uint64_t max_bytes = 0;     // the engine's own accounting of its tables; 0: none
  bool store_edges = false;   // keep the edge list (graph properties, --dot)...
  uint8_t edge_filter = 0x7f; // ...only the edges whose flags share a bit with this
  bool keep_states = false;   // keep every state, in number order (--dot)
  uint32_t stop_on = 0;       // stop at the first violation of any of these kinds (--fail-fast)
  unsigned threads = 0;       // 0: every hardware thread
  bool exact = false;         // compare whole states, not fingerprints (no hash compaction)
  // Called about twice a second with (states, transitions, depth, seconds).
  std::function<void(uint64_t, uint64_t, uint32_t, double)> progress;
};

struct ExploreStats {
  uint64_t states = 0;
  uint64_t transitions = 0;
  uint32_t depth = 0;
  double seconds = 0;
  uint64_t peak_bytes = 0; // the engine's accounting of its tables in memory
  uint64_t disk_bytes = 0; // the parent links and edges in the spool files
  bool complete = true;    // false: a limit stopped the run
  std::string stopped_by;  // "max-states", "max-memory", "fail-fast" or "interrupted"
  bool exact = false;      // --exact: no fingerprint collisions possible
  // With hash compaction, an upper bound of the chance that two of the states shared a
  // fingerprint, so that one was never explored: n(n-1)/2 pairs, each colliding with 2^-64.
  double collision_probability() const {
    if (exact) return 0;
    const double n = static_cast<double>(states);
    return std::min(1.0, n * (n - 1) / 2 / 18446744073709551616.0);
  }
};

inline constexpr size_t kMaxViolationKinds = 32;

// Whether two labels are the same action (`who` and `index`, a peek aside): consecutive edges of
// one action are its outcomes, which a graph pass treats together (kEdgeSameAction). Labels
// without those fields are never grouped.
template <class Label> bool same_tracer_action(const Label& a, const Label& b) {
  if constexpr (requires {
                  a.who == b.who;
                  a.index == b.index;
                })
    return a.who == b.who && a.index == b.index;
  else
    return false;
}

// An edge of a state graph held in memory (Exploration::graph).
template <class Label> struct Edge {
  uint32_t to;
  Label label;
  uint8_t flags; // the model's flags, without the engine's bit
};
template <class Label> struct StateGraph {
  std::vector<uint64_t> edge_begin; // edges of state i: edges[edge_begin[i] .. edge_begin[i+1])
  std::vector<Edge<Label>> edges;
};

template <class Model> class Exploration {
public:
  using State = typename Model::State;
  using Label = typename Model::Label;

  static constexpr size_t kChunk = Frontier<State>::kChunk;
  static constexpr size_t kBlockChunks = 256; // a block: up to 16,384 states expanded

  Exploration(const Model& model, const ExploreLimits& limits)
      : model_(&model), limits_(limits), seen_(limits.store_edges || limits.exact) {
    stats.exact = limits.exact;
  }

  ExploreStats stats;
  // Per violation kind: the state the violating edge leaves, and the edge's label.
  std::array<std::optional<std::pair<uint32_t, Label>>, kMaxViolationKinds> first_violation;
  std::array<uint32_t, kMaxViolationKinds> violation_depth{};
  std::array<double, kMaxViolationKinds> violation_seconds{}; // when it was found
  EdgeStore edges;                                            // with store_edges
  std::vector<State> states;                                  // with keep_states or exact

  // Numbers the initial states: the first level.
  void start() {
    const auto inits = model_->initial_states();
    inits_ = inits;
    for (size_t i = 0; i < inits.size(); ++i) {
      const uint64_t fp = model_->fingerprint(inits[i]);
      if (find(fp, inits[i]) != FingerprintSet::kAbsent) continue;
      const auto number = static_cast<uint32_t>(count_);
      seen_.insert(fp, number);
      root_init_.push_back(static_cast<uint32_t>(i));
      append_parent(kNoParent, 0);
      if (keeps_states()) states.push_back(inits[i]);
      cur_.push(inits[i]);
      ++count_;
    }
    stats.states = count_;
  }

  bool finished() const { return finished_; }

  // Expands blocks until the space is covered, a limit stops it, or after_block (called
  // between blocks, where a checkpoint may be written) returns false: "interrupted".
  void run(const std::function<bool(const Exploration&)>& after_block = {}) {
    using clock = std::chrono::steady_clock;
    session_start_ = clock::now();
    auto last_report = session_start_;
    ThreadPool pool(limits_.threads ? limits_.threads : ThreadPool::hardware_threads());
    stats.complete = true;
    stats.stopped_by.clear();
    while (!finished_) {
      if (next_chunk_ == cur_.chunks()) {
        next_level();
        continue;
      }
      expand_block(pool);
      account();
      if (limits_.max_bytes && bytes_now() + seen_.growth_bytes() > limits_.max_bytes)
        stop("max-memory");
      else if (limits_.max_states && count_ > limits_.max_states)
        stop("max-states");
      else if (found_kinds_ & limits_.stop_on)
        stop("fail-fast");
      const auto now = clock::now();
      if (limits_.progress && now - last_report > std::chrono::milliseconds(500)) {
        last_report = now;
        limits_.progress(count_, stats.transitions, depth_, seconds_now());
      }
      if (!stats.complete) break;
      if (after_block && !after_block(*this)) {
        stop("interrupted");
        break;
      }
    }
    stats.seconds = seconds_now();
    seconds_before_ = stats.seconds;
    session_start_ = {};
    account();
    if (finished_) release_search_tables();
  }

  // The labels from an initial state to `state`, in order: the edge indices are replayed
  // through the model.
  std::vector<Label> path_to(uint32_t state) const {
    std::vector<uint8_t> emits;
    uint32_t s = state;
    for (Parent p = parent(s); p.number != kNoParent; p = parent(s)) {
      emits.push_back(p.emit);
      s = p.number;
    }
    State at = inits_[root_init_[s]];
    std::vector<Label> out;
    for (size_t i = emits.size(); i-- > 0;) {
      const size_t want = emits[i];
      size_t k = 0;
      bool found = false;
      State next_state = at;
      auto emit = [&](const Label& label, const State& next, uint32_t, uint8_t) {
        if (k++ != want) return;
        out.push_back(label);
        next_state = next;
        found = true;
      };
      model_->expand(at, emit);
      if (!found) throw std::logic_error("replaying a path: the model emitted fewer successors");
      at = next_state;
    }
    return out;
  }
  // With keep_states and store_edges, after the run: the stored edges in memory with their
  // labels, which are found again by expanding each state (for small graphs: --dot, the report).
  StateGraph<Label> graph() const {
    if (!limits_.store_edges || states.size() != count_)
      throw std::logic_error("graph() needs an exploration with keep_states and store_edges");
    StateGraph<Label> g;
    g.edge_begin.assign(count_ + 1, 0);
    std::vector<std::vector<Edge<Label>>> out(count_);
    std::vector<Label> labels;
    edges.for_each([&](uint32_t from, uint8_t, const StoredEdge* e, uint8_t n) {
      labels.clear();
      auto collect = [&](const Label& l, const State&, uint32_t, uint8_t) { labels.push_back(l); };
      model_->expand(states[from], collect);
      for (uint8_t j = 0; j < n; ++j)
        out[from].push_back(Edge<Label>{e[j].to, labels.at(e[j].emit),
                                        static_cast<uint8_t>(e[j].flags & ~kEdgeSameAction)});
    });
    for (size_t i = 0; i < count_; ++i) {
      g.edge_begin[i + 1] = g.edge_begin[i] + out[i].size();
      g.edges.insert(g.edges.end(), out[i].begin(), out[i].end());
    }
    return g;
  }

  // The number of the state that first reached `state`, or kNoParent for an initial state.
  uint32_t parent_of(uint32_t state) const { return parent(state).number; }
  static constexpr uint32_t kNoParent = UINT32_MAX;

  // Which initial state (an index into model.initial_states()) the path to `state` starts at.
  uint32_t root_of(uint32_t state) const {
    for (Parent p = parent(state); p.number != kNoParent; p = parent(state)) state = p.number;
    return root_init_[state];
  }

  // Checkpoints: everything the exploration needs to continue, in a fixed order.
  void save(BinaryWriter& w) const {
    w.u64(sizeof(State));
    w.u64(sizeof(Label));
    w.u8(finished_);
    w.u64(count_);
    w.u64(level_begin_);
    w.u64(next_chunk_);
    w.u32(depth_);
    w.u32(found_kinds_);
    w.u64(stats.transitions);
    w.f64(seconds_now());
    w.u64(stats.peak_bytes);
    w.u64(inits_.size());
    w.bytes(inits_.data(), inits_.size() * sizeof(State));
    w.u64(root_init_.size());
    w.bytes(root_init_.data(), root_init_.size() * sizeof(uint32_t));
    for (size_t k = 0; k < kMaxViolationKinds; ++k) {
      w.u8(first_violation[k].has_value());
      if (first_violation[k]) {
        w.u32(first_violation[k]->first);
        w.bytes(&first_violation[k]->second, sizeof(Label));
      }
      w.u32(violation_depth[k]);
      w.f64(violation_seconds[k]);
    }
    parents_.save(w);
    w.u8(limits_.store_edges);
    if (limits_.store_edges) edges.save(w);
    w.u8(keeps_states());
    if (keeps_states()) {
      w.u64(states.size());
      w.bytes(states.data(), states.size() * sizeof(State));
    }
    if (!finished_) {
      seen_.save(w);
      cur_.save(w);
      next_.save(w);
    }
  }

  void load(BinaryReader& r) {
    auto expect = [&](bool ok, const char* what) {
      if (!ok) throw SpoolError(r.what() + ": " + what);
    };
    expect(r.u64() == sizeof(State), "made by a model with another state size");
    expect(r.u64() == sizeof(Label), "made by a model with another label size");
    finished_ = r.u8() != 0;
    count_ = r.u64();
    level_begin_ = r.u64();
    next_chunk_ = r.u64();
    depth_ = r.u32();
    found_kinds_ = r.u32();
    stats.transitions = r.u64();
    seconds_before_ = r.f64();
    stats.peak_bytes = r.u64();
    inits_.resize(r.u64());
    r.bytes(inits_.data(), inits_.size() * sizeof(State));
    root_init_.resize(r.u64());
    r.bytes(root_init_.data(), root_init_.size() * sizeof(uint32_t));
    for (size_t k = 0; k < kMaxViolationKinds; ++k) {
      if (r.u8()) {
        const uint32_t from = r.u32();
        Label label;
        r.bytes(&label, sizeof(Label));
        first_violation[k] = std::make_pair(from, label);
      }
      violation_depth[k] = r.u32();
      violation_seconds[k] = r.f64();
    }
    parents_.load(r);
    expect((r.u8() != 0) == limits_.store_edges, "made with another edge setting");
    if (limits_.store_edges) edges.load(r);
    expect((r.u8() != 0) == keeps_states(), "made with another --exact setting");
    if (keeps_states()) {
      states.resize(r.u64());
      r.bytes(states.data(), states.size() * sizeof(State));
    }
    if (!finished_) {
      seen_.load(r);
      expect(seen_.with_values() == (limits_.store_edges || limits_.exact),
             "made with another seen-set layout");
      cur_.load(r);
      next_.load(r);
    }
    stats.states = count_;
    stats.depth = depth_;
    stats.seconds = seconds_before_;
  }

private:
  struct Parent {
    uint32_t number;
    uint8_t emit;
  };
  struct Candidate {
    uint64_t fp;
    uint32_t parent;
    uint8_t emit;
  };
  struct PendingEdge {
    uint32_t target; // a state number, or with is_new an index into the unit's candidates
    uint8_t emit;
    uint8_t flags;
    bool is_new;
  };
  struct Head {
    uint32_t number;
    uint8_t tag;
    uint8_t count;
  };
  struct Hit {
    uint32_t from;
    Label label;
    double seconds;
  };
  struct Emission {
    uint64_t fp;
    Label label;
    uint32_t violations;
    uint8_t flags;
  };
  // One chunk's expansion: its candidates for new states, its edges, its violations.
  struct Unit {
    std::vector<State> parents;
    std::vector<Emission> emitted;
    std::vector<State> successors;
    std::vector<Candidate> cands;
    std::vector<State> cand_states;
    std::vector<uint64_t> link;   // per candidate: (unit << 32 | index) of its state's winner
    std::vector<uint32_t> number; // per candidate: its state's number
    std::vector<PendingEdge> pending;
    std::vector<Head> heads;
    std::vector<uint8_t> edge_bytes;
    std::vector<uint32_t> local; // candidate index + 1 by fingerprint: one candidate a state
    std::array<std::optional<Hit>, kMaxViolationKinds> hits;
    uint64_t transitions = 0;
    uint32_t winners = 0;
    uint32_t first_number = 0;
    void clear() {
      cands.clear();
      cand_states.clear();
      link.clear();
      number.clear();
      pending.clear();
      heads.clear();
      edge_bytes.clear();
      hits.fill(std::nullopt);
      transitions = 0;
      winners = 0;
    }
    size_t bytes() const {
      return parents.capacity() * sizeof(State) + emitted.capacity() * sizeof(Emission) +
             successors.capacity() * sizeof(State) + cands.capacity() * sizeof(Candidate) +
             cand_states.capacity() * sizeof(State) + link.capacity() * 8 + number.capacity() * 4 +
             pending.capacity() * sizeof(PendingEdge) + heads.capacity() * sizeof(Head) +
             edge_bytes.capacity();
    }
  };
  struct Ref {
    uint64_t fp;
    uint32_t unit, index;
    bool operator<(const Ref& o) const {
      if (fp != o.fp) return fp < o.fp;
      if (unit != o.unit) return unit < o.unit;
      return index < o.index;
    }
  };
  static constexpr unsigned kPartitionBits = 6;
  static constexpr size_t kPartitions = size_t{1} << kPartitionBits;
  static_assert(kPartitionBits <= FingerprintSet::kSegmentBits);
  static size_t partition_of(uint64_t fp) { return fp >> (64 - kPartitionBits); }

  bool keeps_states() const { return limits_.keep_states || limits_.exact; }

  uint32_t find(uint64_t fp, const State& s) const {
    if (!limits_.exact) return seen_.find(fp);
    return seen_.find_exact(fp, [&](uint32_t n) { return same_state(states[n], s); });
  }

  // ---- The parent links, on disk: 5 bytes a state, in number order ---------------------------
  void append_parent(uint32_t number, uint8_t emit) {
    uint8_t rec[5];
    std::memcpy(rec, &number, 4);
    rec[4] = emit;
    parents_.append(rec, 5);
  }
  Parent parent(uint32_t state) const {
    uint8_t rec[5];
    parents_.read(uint64_t{state} * 5, rec, 5);
    Parent p;
    std::memcpy(&p.number, rec, 4);
    p.emit = rec[4];
    return p;
  }

  // ---- One block ------------------------------------------------------------------------------
  void expand_block(ThreadPool& pool) {
    const size_t c0 = next_chunk_;
    const size_t c1 = std::min(cur_.chunks(), c0 + kBlockChunks);
    const size_t n = c1 - c0;
    if (units_.size() < n) units_.resize(n);
    const uint64_t next_begin = level_begin_ + cur_.size();

    // 1. Expand every chunk against the seen-set as it was at the block's start.
    pool.for_each(n, [&](size_t u) { expand_unit(units_[u], c0 + u); });

    // 2. The new states of the block, partition by partition: equal ones get one winner, the
    //    one a sequential BFS would have found first (least unit, then least index).
    std::vector<uint32_t> counts(n * kPartitions, 0);
    pool.for_each(n, [&](size_t u) {
      for (const Candidate& c : units_[u].cands) ++counts[u * kPartitions + partition_of(c.fp)];
    });
    std::vector<size_t> part_begin(kPartitions + 1, 0);
    {
      std::vector<size_t> offset(n * kPartitions);
      size_t at = 0;
      for (size_t p = 0; p < kPartitions; ++p) {
        part_begin[p] = at;
        for (size_t u = 0; u < n; ++u) {
          offset[u * kPartitions + p] = at;
          at += counts[u * kPartitions + p];
        }
      }
      part_begin[kPartitions] = at;
      refs_.resize(at);
      pool.for_each(n, [&](size_t u) {
        Unit& unit = units_[u];
        unit.link.resize(unit.cands.size());
        unit.number.resize(unit.cands.size());
        size_t* off = offset.data() + u * kPartitions;
        for (size_t i = 0; i < unit.cands.size(); ++i)
          refs_[off[partition_of(unit.cands[i].fp)]++] =
              Ref{unit.cands[i].fp, static_cast<uint32_t>(u), static_cast<uint32_t>(i)};
      });
    }
    pool.for_each(kPartitions, [&](size_t p) { pick_winners(part_begin[p], part_begin[p + 1]); });

    // 3. Number the winners in candidate order, which is BFS order.
    pool.for_each(n, [&](size_t u) {
      Unit& unit = units_[u];
      unit.winners = 0;
      for (size_t i = 0; i < unit.cands.size(); ++i) unit.winners += is_winner(unit, u, i);
    });
    uint64_t number = next_begin + next_.size();
    for (size_t u = 0; u < n; ++u) {
      units_[u].first_number = static_cast<uint32_t>(number);
      number += units_[u].winners;
    }
    if (number >= kNoParent)
      throw std::length_error("more than 4,294,967,294 states: beyond the engine's numbering");
    pool.for_each(n, [&](size_t u) {
      Unit& unit = units_[u];
      uint32_t k = unit.first_number;
      for (size_t i = 0; i < unit.cands.size(); ++i)
        if (is_winner(unit, u, i)) unit.number[i] = k++;
    });
    pool.for_each(n, [&](size_t u) {
      Unit& unit = units_[u];
      for (size_t i = 0; i < unit.cands.size(); ++i)
        if (!is_winner(unit, u, i))
          unit.number[i] = units_[unit.link[i] >> 32].number[unit.link[i] & 0xffffffff];
    });

    // 4. Insert the winners (partitions own disjoint segments of the seen-set) and write the
    //    edges of each unit.
    pool.for_each(kPartitions + n, [&](size_t j) {
      if (j < kPartitions) {
        for (size_t i = part_begin[j]; i < part_begin[j + 1]; ++i) {
          const Ref& r = refs_[i];
          const Unit& unit = units_[r.unit];
          if (is_winner(unit, r.unit, r.index)) seen_.insert(r.fp, unit.number[r.index]);
        }
      } else if (limits_.store_edges) {
        serialize_edges(units_[j - kPartitions]);
      }
    });

    // 5. In number order: parent links, the next frontier, kept states, edges, statistics.
    if (limits_.store_edges) edges.begin_block();
    for (size_t u = 0; u < n; ++u) {
      Unit& unit = units_[u];
      for (size_t i = 0; i < unit.cands.size(); ++i) {
        if (!is_winner(unit, u, i)) continue;
        append_parent(unit.cands[i].parent, unit.cands[i].emit);
        next_.push(unit.cand_states[i]);
        if (keeps_states()) states.push_back(unit.cand_states[i]);
      }
      if (limits_.store_edges) edges.add(unit.edge_bytes);
      stats.transitions += unit.transitions;
      for (size_t k = 0; k < kMaxViolationKinds; ++k) {
        if (!unit.hits[k] || first_violation[k]) continue;
        first_violation[k] = std::make_pair(unit.hits[k]->from, unit.hits[k]->label);
        violation_depth[k] = depth_ + 1;
        violation_seconds[k] = seconds_before_ + unit.hits[k]->seconds;
        found_kinds_ |= uint32_t{1} << k;
      }
    }
    if (limits_.store_edges) edges.end_block();
    count_ = number;
    stats.states = count_;
    next_chunk_ = c1;
    block_bytes_ = 0;
    for (size_t u = 0; u < n; ++u) block_bytes_ += units_[u].bytes();
    block_bytes_ += refs_.capacity() * sizeof(Ref);
    for (size_t u = 0; u < n; ++u) units_[u].clear();
  }

  bool is_winner(const Unit& unit, size_t u, size_t i) const {
    return unit.link[i] == ((uint64_t{u} << 32) | i);
  }

  void pick_winners(size_t begin, size_t end) {
    std::sort(refs_.begin() + static_cast<ptrdiff_t>(begin),
              refs_.begin() + static_cast<ptrdiff_t>(end));
    std::vector<uint64_t> winners; // --exact: the distinct states within one fingerprint
    for (size_t i = begin; i < end;) {
      size_t j = i;
      while (j < end && refs_[j].fp == refs_[i].fp) ++j;
      winners.clear();
      for (size_t k = i; k < j; ++k) {
        const Ref& r = refs_[k];
        const uint64_t self = (uint64_t{r.unit} << 32) | r.index;
        uint64_t link = self;
        if (k > i) {
          if (!limits_.exact) {
            link = winners.front();
          } else {
            const State& s = units_[r.unit].cand_states[r.index];
            for (uint64_t w : winners)
              if (same_state(units_[w >> 32].cand_states[w & 0xffffffff], s)) {
                link = w;
                break;
              }
          }
        }
        if (link == self) winners.push_back(self);
        units_[r.unit].link[r.index] = link;
      }
      i = j;
    }
  }

  void expand_unit(Unit& unit, size_t chunk) {
    cur_.decode(chunk, unit.parents);
    std::fill(unit.local.begin(), unit.local.end(), 0);
    uint32_t number = static_cast<uint32_t>(level_begin_ + chunk * kChunk);
    for (const State& s : unit.parents) {
      unit.emitted.clear();
      unit.successors.clear();
      auto emit = [&](const Label& label, const State& to, uint32_t violations, uint8_t flags) {
        const uint64_t fp = model_->fingerprint(to);
        seen_.prefetch(fp);
        unit.emitted.push_back(Emission{fp, label, violations, flags});
        unit.successors.push_back(to);
      };
      model_->expand(s, emit);
      if (unit.emitted.size() > 255)
        throw std::length_error("a state with more than 255 successors: beyond the engine");
      unit.transitions += unit.emitted.size();
      uint8_t stored = 0;
      for (size_t k = 0; k < unit.emitted.size(); ++k) {
        const Emission& e = unit.emitted[k];
        uint32_t violations = e.violations;
        while (violations) {
          const unsigned kind = static_cast<unsigned>(__builtin_ctz(violations));
          violations &= violations - 1;
          if (kind < kMaxViolationKinds && !unit.hits[kind])
            unit.hits[kind] = Hit{number, e.label, seconds_since_session()};
        }
        uint32_t target = find(e.fp, unit.successors[k]);
        bool is_new = false;
        if (target == FingerprintSet::kAbsent) {
          is_new = true;
          target = local_candidate(unit, e.fp, unit.successors[k], number, static_cast<uint8_t>(k));
        }
        if (limits_.store_edges && (e.flags & limits_.edge_filter)) {
          uint8_t flags = e.flags & 0x7f;
          if (k > 0 && same_action(unit.emitted[k - 1].label, e.label)) flags |= kEdgeSameAction;
          unit.pending.push_back(PendingEdge{target, static_cast<uint8_t>(k), flags, is_new});
          ++stored;
        }
      }
      if (limits_.store_edges) unit.heads.push_back(Head{number, model_->tag(s), stored});
      ++number;
    }
  }

  // The unit's candidate for this new state, made on first sight: the same state found again
  // from a later parent of the unit is one candidate, not two.
  uint32_t local_candidate(Unit& unit, uint64_t fp, const State& s, uint32_t parent, uint8_t emit) {
    if ((unit.cands.size() + 1) * 2 > unit.local.size()) {
      unit.local.assign(std::max<size_t>(2048, unit.local.size() * 2), 0);
      for (size_t c = 0; c < unit.cands.size(); ++c) {
        size_t i = unit.cands[c].fp & (unit.local.size() - 1);
        while (unit.local[i]) i = (i + 1) & (unit.local.size() - 1);
        unit.local[i] = static_cast<uint32_t>(c + 1);
      }
    }
    const size_t mask = unit.local.size() - 1;
    for (size_t i = fp & mask;; i = (i + 1) & mask) {
      const uint32_t c = unit.local[i];
      if (c == 0) {
        unit.local[i] = static_cast<uint32_t>(unit.cands.size() + 1);
        unit.cands.push_back(Candidate{fp, parent, emit});
        unit.cand_states.push_back(s);
        return static_cast<uint32_t>(unit.cands.size() - 1);
      }
      if (unit.cands[c - 1].fp == fp && (!limits_.exact || same_state(unit.cand_states[c - 1], s)))
        return c - 1;
    }
  }

  static bool same_action(const Label& a, const Label& b) { return same_tracer_action(a, b); }
  // --exact: models whose states have no == compare their bytes (fingerprints hash the bytes).
  static bool same_state(const State& a, const State& b) {
    if constexpr (std::equality_comparable<State>)
      return a == b;
    else
      return std::memcmp(&a, &b, sizeof(State)) == 0;
  }

  void serialize_edges(Unit& unit) {
    size_t e = 0;
    for (const Head& h : unit.heads) {
      EdgeStore::put_head(unit.edge_bytes, h.number, h.tag, h.count);
      for (uint8_t k = 0; k < h.count; ++k, ++e) {
        const PendingEdge& p = unit.pending[e];
        EdgeStore::put_edge(unit.edge_bytes, StoredEdge{p.is_new ? unit.number[p.target] : p.target,
                                                        p.emit, p.flags});
      }
    }
  }

  void next_level() {
    level_begin_ += cur_.size();
    std::swap(cur_, next_);
    next_.clear();
    next_chunk_ = 0;
    if (cur_.empty()) {
      finished_ = true;
      return;
    }
    ++depth_;
    stats.depth = depth_;
  }

  void stop(const char* why) {
    stats.complete = false;
    stats.stopped_by = why;
  }

  void release_search_tables() {
    seen_ = FingerprintSet(false);
    cur_.clear();
    next_.clear();
    units_.clear();
    units_.shrink_to_fit();
    refs_.clear();
    refs_.shrink_to_fit();
  }

  uint64_t bytes_now() const {
    return seen_.bytes() + cur_.bytes() + next_.bytes() + states.capacity() * sizeof(State) +
           block_bytes_;
  }
  void account() {
    stats.peak_bytes = std::max<uint64_t>(stats.peak_bytes, bytes_now());
    stats.disk_bytes = parents_.size() + edges.bytes_on_disk();
    stats.depth = depth_;
  }

  bool session_running() const { return session_start_.time_since_epoch().count() != 0; }
  double seconds_since_session() const {
    if (!session_running()) return 0;
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - session_start_).count();
  }
  double seconds_now() const { return seconds_before_ + seconds_since_session(); }

  const Model* model_;
  ExploreLimits limits_;
  FingerprintSet seen_;
  Frontier<State> cur_, next_;
  SpoolFile parents_;
  std::vector<State> inits_;
  std::vector<uint32_t> root_init_; // per initial state number: its index in inits_
  std::vector<Unit> units_;
  std::vector<Ref> refs_;
  uint64_t count_ = 0;       // states numbered so far
  uint64_t level_begin_ = 0; // the number of cur_'s first state
  size_t next_chunk_ = 0;    // the next chunk of cur_ to expand
  uint32_t depth_ = 0;       // cur_'s level
  uint32_t found_kinds_ = 0;
  bool finished_ = false;
  uint64_t block_bytes_ = 0;
  double seconds_before_ = 0; // of earlier sessions (a resumed checkpoint)
  std::chrono::steady_clock::time_point session_start_{};
};

// Kept for the callers of the single-call form.
template <class Model> using ExploreResult = Exploration<Model>;

template <class Model> Exploration<Model> explore(const Model& model, const ExploreLimits& limits) {
  Exploration<Model> e(model, limits);
  e.start();
  e.run();
  return e;
}

} // namespace ptmc
