// Breadth-first exploration across the processes of an MPI job (issue 12: beyond one machine),
// for the same models as engine/explorer.hpp (initial_states, expand, fingerprint, tag).
//
//  - Hash partitioning: rank r owns the states whose fingerprint is r modulo the number of
//    ranks. Each rank keeps the seen-set of its own states only.
//  - Level-synchronous: every rank expands its part of level L; successors go to their owners in
//    one all-to-all exchange; the owners keep the new ones as their part of level L+1. The run
//    ends when no rank has a new state.
//  - Per owned state a rank keeps its level and its parent link (the parent's fingerprint and the
//    edge's index among the parent's successors). A counterexample is the chain of parent links,
//    followed across ranks (each link is broadcast by the rank that owns it), then replayed
//    through the model from the initial state. Every link goes one level up, so the path to a
//    violation of the least level found is a shortest one, as in the single-process explorer;
//    which of the shortest paths is taken may differ from it.
//  - no-deadlock: each rank keeps the edges of its own states (to fingerprints) and the least
//    fixpoint is computed in rounds: a rank settles what it can from the winning states it knows,
//    then every rank learns every state won in the round. Each rank thus ends up knowing all
//    winning fingerprints: this pass needs 8 bytes per winning state on every rank.
#pragma once

#include "engine/edge_store.hpp"
#include "engine/explorer.hpp"
#include "engine/fingerprint_set.hpp"

#include <mpi.h>

#include <array>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace ptmc {

template <class Model> class MpiExploration {
public:
  using State = typename Model::State;
  using Label = typename Model::Label;
  // States travel between ranks as bytes, as the frontier keeps them (engine/frontier.hpp).
  static_assert(std::is_trivially_destructible_v<State>);

  MpiExploration(const Model& model, MPI_Comm comm, bool store_edges, uint8_t edge_filter)
      : model_(model), comm_(comm), store_edges_(store_edges), edge_filter_(edge_filter),
        seen_(true) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &ranks_);
  }

  ExploreStats stats; // totals over every rank (the same on each after run)
  // Per violation kind, on every rank after run: found, with its least level.
  std::array<bool, kMaxViolationKinds> violated{};

  void run() {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<State> frontier;
    const auto inits = model_.initial_states();
    for (size_t i = 0; i < inits.size(); ++i) {
      const uint64_t fp = model_.fingerprint(inits[i]);
      if (owner(fp) != rank_ || seen_.find(fp) != FingerprintSet::kAbsent) continue;
      add(fp, Info{0, 0, static_cast<uint8_t>(i)});
      frontier.push_back(inits[i]);
    }
    uint64_t transitions = 0;
    uint32_t level = 0;
    std::vector<std::vector<uint8_t>> out(static_cast<size_t>(ranks_));
    for (;;) {
      for (auto& o : out) o.clear();
      for (const State& s : frontier) {
        const uint64_t from = model_.fingerprint(s);
        uint8_t k = 0;
        const Label* previous = nullptr;
        Label last{};
        auto emit = [&](const Label& label, const State& to, uint32_t violations, uint8_t flags) {
          const uint64_t fp = model_.fingerprint(to);
          while (violations) {
            const unsigned kind = static_cast<unsigned>(__builtin_ctz(violations));
            violations &= violations - 1;
            if (kind < kMaxViolationKinds && !hits_[kind]) hits_[kind] = Hit{level, from, k};
          }
          if (store_edges_ && (flags & edge_filter_)) {
            uint8_t f = flags & 0x7f;
            if (previous && same_tracer_action(*previous, label)) f |= kEdgeSameAction;
            edges_.push_back(OwnedEdge{fp, f});
          }
          last = label;
          previous = &last;
          put_message(out[static_cast<size_t>(owner(fp))], to, from, k);
          if (k == 255) throw std::length_error("a state with more than 255 successors");
          ++k;
          ++transitions;
        };
        model_.expand(s, emit);
        if (store_edges_) {
          tags_.push_back(model_.tag(s));
          edge_begin_.push_back(edges_.size());
        }
      }
      frontier.clear();
      const std::vector<uint8_t> in = exchange(out);
      State s;
      for (size_t at = 0; at < in.size(); at += kMessageBytes) {
        uint64_t parent;
        std::memcpy(static_cast<void*>(&s), in.data() + at, sizeof(State));
        std::memcpy(&parent, in.data() + at + sizeof(State), 8);
        const uint64_t fp = model_.fingerprint(s);
        if (seen_.find(fp) != FingerprintSet::kAbsent) continue;
        add(fp, Info{parent, level + 1, in[at + sizeof(State) + 8]});
        frontier.push_back(s);
      }
      uint64_t mine = frontier.size(), all = 0;
      MPI_Allreduce(&mine, &all, 1, MPI_UINT64_T, MPI_SUM, comm_);
      if (all == 0) break;
      ++level;
    }
    uint64_t mine[2] = {fps_.size(), transitions}, total[2] = {0, 0};
    MPI_Allreduce(mine, total, 2, MPI_UINT64_T, MPI_SUM, comm_);
    stats.states = total[0];
    stats.transitions = total[1];
    stats.depth = level;
    stats.complete = true;
    stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (size_t k = 0; k < kMaxViolationKinds; ++k) {
      int found = hits_[k].has_value(), any = 0;
      MPI_Allreduce(&found, &any, 1, MPI_INT, MPI_MAX, comm_);
      violated[k] = any != 0;
    }
  }

  // Collective. For a violated kind: the labels from an initial state to the violating edge's
  // source, that edge's label last, and the initial state's index; a shortest such path.
  std::pair<uint32_t, std::vector<Label>> violation_path(size_t kind) {
    const int my_level = hits_[kind] ? static_cast<int>(hits_[kind]->level) : INT_MAX;
    const auto [at_rank, hit] = least_over_ranks(my_level, hits_[kind] ? hits_[kind]->from : 0,
                                                 hits_[kind] ? hits_[kind]->emit : 0);
    (void)at_rank;
    auto [root, emits] = chain_to(hit.first);
    emits.push_back(hit.second);
    return {root, replay(root, emits)};
  }

  // Collective. no-deadlock: whether some state lets no tracer using only `drive` edges end the
  // tracee; if so, a shortest path to one (the initial state's index and the labels).
  std::optional<std::pair<uint32_t, std::vector<Label>>> deadlock(uint8_t drive) {
    constexpr uint8_t kStopped = 1, kExited = 2, kKilled = 3;
    const size_t n = fps_.size();
    std::vector<bool> win(n, false);
    FingerprintSet won(false); // every rank's winning states learnt so far
    std::vector<uint64_t> fresh;
    for (size_t i = 0; i < n; ++i)
      if (tags_[i] == kExited || tags_[i] == kKilled) {
        win[i] = true;
        fresh.push_back(fps_[i]);
      }
    auto wins = [&](uint64_t fp) { return won.find(fp) != FingerprintSet::kAbsent; };
    for (;;) {
      // Everybody learns the states won in the last round.
      const std::vector<uint64_t> learnt = all_gather(fresh);
      for (uint64_t fp : learnt)
        if (!wins(fp)) won.insert(fp, 0);
      fresh.clear();
      bool changed = true;
      while (changed) {
        changed = false;
        for (size_t i = n; i-- > 0;) {
          if (win[i]) continue;
          const uint64_t b = edge_begin_[i], e = edge_begin_[i + 1];
          if (b == e) continue;
          bool w = false;
          if (tags_[i] == kStopped) {
            for (uint64_t j = b; j < e && !w;) {
              bool all = true;
              do {
                if (!(edges_[j].flags & drive) || !wins(edges_[j].to)) all = false;
                ++j;
              } while (j < e && (edges_[j].flags & kEdgeSameAction));
              w = all;
            }
          } else {
            w = true;
            for (uint64_t j = b; j < e && w; ++j) w = wins(edges_[j].to);
          }
          if (w) {
            win[i] = true;
            won.insert(fps_[i], 0);
            fresh.push_back(fps_[i]);
            changed = true;
          }
        }
      }
      uint64_t mine = fresh.size(), all = 0;
      MPI_Allreduce(&mine, &all, 1, MPI_UINT64_T, MPI_SUM, comm_);
      if (all == 0) break;
    }
    // The losing state of the least level (the first of them in this rank's order).
    int my_level = INT_MAX;
    uint64_t my_fp = 0;
    for (size_t i = 0; i < n; ++i)
      if (!win[i] && static_cast<int>(info_[i].level) < my_level) {
        my_level = static_cast<int>(info_[i].level);
        my_fp = fps_[i];
      }
    int least = INT_MAX;
    MPI_Allreduce(&my_level, &least, 1, MPI_INT, MPI_MIN, comm_);
    if (least == INT_MAX) return std::nullopt;
    const auto [at_rank, hit] = least_over_ranks(my_level, my_fp, 0);
    (void)at_rank;
    auto [root, emits] = chain_to(hit.first);
    return std::make_pair(root, replay(root, emits));
  }

private:
  struct Info {
    uint64_t parent; // the parent's fingerprint; 0 for an initial state (fingerprints are not 0)
    uint32_t level;
    uint8_t emit; // the edge's index among the parent's successors; an initial state's index
  };
  struct Hit {
    uint32_t level;
    uint64_t from;
    uint8_t emit;
  };
  // A successor sent to its owner: the state's bytes, the parent's fingerprint, the edge index.
  static constexpr size_t kMessageBytes = sizeof(State) + 8 + 1;
  static void put_message(std::vector<uint8_t>& out, const State& s, uint64_t parent,
                          uint8_t emit) {
    const size_t at = out.size();
    out.resize(at + kMessageBytes);
    std::memcpy(out.data() + at, static_cast<const void*>(&s), sizeof(State));
    std::memcpy(out.data() + at + sizeof(State), &parent, 8);
    out[at + sizeof(State) + 8] = emit;
  }
  struct OwnedEdge {
    uint64_t to;
    uint8_t flags;
  };

  int owner(uint64_t fp) const { return static_cast<int>(fp % static_cast<uint64_t>(ranks_)); }

  void add(uint64_t fp, const Info& info) {
    seen_.insert(fp, static_cast<uint32_t>(fps_.size()));
    fps_.push_back(fp);
    info_.push_back(info);
  }

  // Sends out[r] to rank r; returns what every rank sent here, in rank order.
  std::vector<uint8_t> exchange(const std::vector<std::vector<uint8_t>>& out) {
    const auto r = static_cast<size_t>(ranks_);
    std::vector<int> send_counts(r), recv_counts(r), send_at(r), recv_at(r);
    std::vector<uint8_t> flat;
    for (size_t i = 0; i < r; ++i) {
      send_at[i] = bytes_as_int(flat.size());
      send_counts[i] = bytes_as_int(out[i].size());
      flat.insert(flat.end(), out[i].begin(), out[i].end());
    }
    MPI_Alltoall(send_counts.data(), 1, MPI_INT, recv_counts.data(), 1, MPI_INT, comm_);
    size_t total = 0;
    for (size_t i = 0; i < r; ++i) {
      recv_at[i] = bytes_as_int(total);
      total += static_cast<size_t>(recv_counts[i]);
    }
    std::vector<uint8_t> in(total);
    MPI_Alltoallv(flat.data(), send_counts.data(), send_at.data(), MPI_BYTE, in.data(),
                  recv_counts.data(), recv_at.data(), MPI_BYTE, comm_);
    return in;
  }
  static int bytes_as_int(size_t n) {
    if (n > static_cast<size_t>(INT_MAX))
      throw std::length_error("one level's exchange between two ranks exceeds 2 GiB: use more "
                              "ranks");
    return static_cast<int>(n);
  }

  std::vector<uint64_t> all_gather(const std::vector<uint64_t>& mine) {
    const auto r = static_cast<size_t>(ranks_);
    int count = static_cast<int>(mine.size());
    std::vector<int> counts(r), at(r);
    MPI_Allgather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, comm_);
    size_t total = 0;
    for (size_t i = 0; i < r; ++i) {
      at[i] = static_cast<int>(total);
      total += static_cast<size_t>(counts[i]);
    }
    std::vector<uint64_t> all(total);
    MPI_Allgatherv(mine.data(), count, MPI_UINT64_T, all.data(), counts.data(), at.data(),
                   MPI_UINT64_T, comm_);
    return all;
  }

  // The rank with the least `level` (the lowest rank among equals) and its (fingerprint, emit).
  std::pair<int, std::pair<uint64_t, uint8_t>> least_over_ranks(int level, uint64_t fp,
                                                                uint8_t emit) {
    struct {
      int level, rank;
    } mine{level, rank_}, best{};
    MPI_Allreduce(&mine, &best, 1, MPI_2INT, MPI_MINLOC, comm_);
    uint64_t payload[2] = {fp, emit};
    MPI_Bcast(payload, 2, MPI_UINT64_T, best.rank, comm_);
    return {best.rank, {payload[0], static_cast<uint8_t>(payload[1])}};
  }

  // The edge indices from an initial state to `fp`, following parent links across ranks, and
  // that initial state's index.
  std::pair<uint32_t, std::vector<uint8_t>> chain_to(uint64_t fp) {
    std::vector<uint8_t> emits;
    for (;;) {
      const int at = owner(fp);
      uint64_t link[2] = {0, 0};
      if (at == rank_) {
        const uint32_t i = seen_.find(fp);
        if (i == FingerprintSet::kAbsent) throw std::logic_error("a parent link to no state");
        link[0] = info_[i].parent;
        link[1] = info_[i].emit;
      }
      MPI_Bcast(link, 2, MPI_UINT64_T, at, comm_);
      if (link[0] == 0) return {static_cast<uint32_t>(link[1]), {emits.rbegin(), emits.rend()}};
      emits.push_back(static_cast<uint8_t>(link[1]));
      fp = link[0];
    }
  }

  std::vector<Label> replay(uint32_t root, const std::vector<uint8_t>& emits) const {
    State at = model_.initial_states().at(root);
    std::vector<Label> out;
    for (uint8_t want : emits) {
      uint8_t k = 0;
      bool found = false;
      State next_state = at;
      auto emit = [&](const Label& label, const State& next, uint32_t, uint8_t) {
        if (k++ != want) return;
        out.push_back(label);
        next_state = next;
        found = true;
      };
      model_.expand(at, emit);
      if (!found) throw std::logic_error("replaying a path: the model emitted fewer successors");
      at = next_state;
    }
    return out;
  }

  const Model& model_;
  MPI_Comm comm_;
  int rank_ = 0, ranks_ = 1;
  bool store_edges_;
  uint8_t edge_filter_;
  FingerprintSet seen_; // fingerprint -> index into fps_/info_ (this rank's states only)
  std::vector<uint64_t> fps_;
  std::vector<Info> info_;
  std::array<std::optional<Hit>, kMaxViolationKinds> hits_;
  // With store_edges, per own state in index order: its tag and its edges.
  std::vector<uint8_t> tags_;
  std::vector<uint64_t> edge_begin_{0};
  std::vector<OwnedEdge> edges_;
};

} // namespace ptmc
