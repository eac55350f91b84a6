// What deciding properties needs whatever the model: a result from an exploration's figures,
// the shortest counterexample from its first violation, the attractor behind no-deadlock, and
// the profile's expected violations. check.cpp (Linux) and redox.cpp (Redox) share these.
#pragma once

#include "common/atomic_file.hpp"
#include "engine/check.hpp"
#include "engine/explorer.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ptmc {

// A property's result from the exploration that decided it, before any violation is filled in.
PropertyResult base_result(PropertyId id, const ExploreStats& st);

// Whether the options ask for this property.
bool wanted(const CheckOptions& o, PropertyId p);

// The properties the profile does not expect to be violated, as a Violations mask.
Violations unexpected_properties(const Profile& profile);

// Marks the violations the profile expects, and sets each counterexample's depth.
void apply_expectations(CheckReport& report, const Profile& profile);

// The explorer's progress callback for one phase of a check, from the options' callback.
std::function<void(uint64_t, uint64_t, uint32_t, double)> progress_for(const CheckOptions& options,
                                                                       const std::string& phase);

// Fills `out` with the first violation of `kind`, if any: `build(root, path)` replays the labels
// from the initial state numbered `root` and writes them down as a scenario.
template <class E, class Build>
void fill_from_violation(PropertyResult& out, const ExploreResult<E>& r, size_t kind,
                         Build&& build) {
  const auto& v = r.first_violation[kind];
  if (!v) return;
  auto path = r.path_to(v->first);
  path.push_back(v->second);
  out.verdict = Verdict::violated;
  out.note.clear();
  out.found_seconds = r.violation_seconds[kind];
  out.counterexample = build(r.root_of(v->first), path);
  out.counterexample_length = path.size();
}

// no-deadlock: the states from which a tracer using only `drive` edges can force the tracee to
// end, whatever the program does. A least fixpoint, computed by sweeps over the edge list on
// disk, last state first: most edges lead to later states, so one sweep settles most of the
// graph. Memory: one bit a state. Each edge record carries its state's tag, the phase byte: 1 a
// tracer's turn, 2 or 3 ended, anything else the program's turn (the numbering of both the
// Linux and the Redox layers' Phase).
inline std::vector<bool> tracer_can_end(const EdgeStore& edges, uint64_t states, uint8_t drive) {
  constexpr uint8_t kStopped = 1, kExited = 2, kKilled = 3;
  std::vector<bool> win(states, false);
  bool changed = true;
  while (changed) {
    changed = false;
    edges.for_each_reverse([&](uint32_t k, uint8_t tag, const StoredEdge* e, uint8_t n) {
      if (win[k]) return;
      bool w = false;
      if (tag == kExited || tag == kKilled) {
        w = true;
      } else if (n == 0) {
        w = false;
      } else if (tag == kStopped) {
        // Some action all of whose outcomes (peeks) are winning.
        for (uint8_t j = 0; j < n && !w;) {
          bool all = true;
          do {
            if (!(e[j].flags & drive) || !win[e[j].to]) all = false;
            ++j;
          } while (j < n && (e[j].flags & kEdgeSameAction));
          w = all;
        }
      } else {
        w = true;
        for (uint8_t j = 0; j < n && w; ++j)
          if (!win[e[j].to]) w = false;
      }
      if (w) {
        win[k] = true;
        changed = true;
      }
    });
  }
  return win;
}

// Explores a product (transparency, tf-transparency) for property `id` and appends its result.
// Returns whether an unexpected violation should stop the check (--fail-fast).
template <class Product, class Build>
bool product_result(CheckReport& report, const Product& product, PropertyId id,
                    const CheckOptions& o, Violations unexpected, Build&& build) {
  ExploreLimits pl;
  pl.max_states = o.max_states;
  pl.max_bytes = o.max_bytes;
  pl.threads = o.threads;
  pl.exact = o.exact;
  pl.progress = progress_for(o, std::string(property_info(id).name));
  if (o.fail_fast) pl.stop_on = unexpected;
  const auto r = explore(product, pl);
  PropertyResult pr = base_result(id, r.stats);
  fill_from_violation(pr, r, static_cast<size_t>(id), build);
  if (!r.stats.complete) report.complete = false;
  const bool stop = o.fail_fast && pr.verdict == Verdict::violated && (unexpected & bit(id));
  report.results.push_back(std::move(pr));
  return stop;
}

// The results of the monitored exploration `main` for every monitor or recompute property the
// profile checks (`applies`). Returns whether an unexpected violation should stop the check
// (--fail-fast).
template <class E, class Build>
bool monitor_results(CheckReport& report, const ExploreResult<E>& main, const CheckOptions& o,
                     Violations unexpected, const std::function<bool(PropertyId)>& applies,
                     Build&& build) {
  bool failed_fast = false;
  for (const auto& info : property_table()) {
    if (info.method != Method::monitor && info.method != Method::recompute) continue;
    if (!applies(info.id)) continue;
    PropertyResult pr = base_result(info.id, main.stats);
    fill_from_violation(pr, main, static_cast<size_t>(info.id), build);
    failed_fast |= o.fail_fast && pr.verdict == Verdict::violated && (unexpected & bit(info.id));
    report.results.push_back(std::move(pr));
  }
  return failed_fast;
}

// no-deadlock from the edges `main` stored, with the first (a shallowest) state no tracer can
// end as its counterexample.
template <class E, class Build>
void no_deadlock_result(CheckReport& report, const ExploreResult<E>& main, uint8_t drive,
                        Build&& build, const std::string& deadlock_note) {
  PropertyResult pr = base_result(PropertyId::no_deadlock, main.stats);
  if (main.stats.complete) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto win = tracer_can_end(main.edges, main.stats.states, drive);
    for (size_t i = 0; i < win.size(); ++i) {
      if (win[i]) continue;
      pr.verdict = Verdict::violated;
      const auto state = static_cast<uint32_t>(i);
      const auto path = main.path_to(state);
      pr.counterexample = build(main.root_of(state), path);
      pr.counterexample_length = path.size();
      pr.note = deadlock_note;
      break; // BFS numbering: the first is a shallowest one
    }
    pr.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  report.results.push_back(std::move(pr));
}

// Both of the above. Returns whether an unexpected violation should stop the check.
template <class E, class Build>
bool monitored_results(CheckReport& report, const ExploreResult<E>& main, const CheckOptions& o,
                       Violations unexpected, const std::function<bool(PropertyId)>& applies,
                       uint8_t drive, Build&& build, const std::string& deadlock_note) {
  const bool failed_fast = monitor_results(report, main, o, unexpected, applies, build);
  if (!applies(PropertyId::no_deadlock) || failed_fast) return failed_fast;
  no_deadlock_result(report, main, drive, build, deadlock_note);
  return failed_fast;
}

// Writes an exploration's state graph as Graphviz DOT: `node(state)` gives a state's text and
// whether it is a tracer's turn (filled yellow) or an end (grey), `tracer_label(index)` the text
// of a tracer action; program choices print as instructions. Returns an error, or nullopt.
struct DotNode {
  std::string text;
  bool tracer_turn = false, ended = false;
};
template <class R, class Node, class TracerLabel>
std::optional<WriteError> write_dot(const std::string& path, const std::string& name, const R& r,
                                    const std::vector<Insn>& alphabet, Node&& node,
                                    TracerLabel&& tracer_label) {
  AtomicFile file(path); // whole or not at all (docs/reliability.md)
  std::ostream& f = file.out();
  f << "digraph \"" << name << "\" {\n  node [shape=box, fontname=monospace, fontsize=9];\n";
  for (size_t i = 0; i < r.states.size(); ++i) {
    const DotNode n = node(r.states[i]);
    f << "  s" << i << " [label=\"" << i << ": " << n.text << "\"";
    if (n.tracer_turn) f << ", style=filled, fillcolor=lightyellow";
    if (n.ended) f << ", style=filled, fillcolor=lightgrey";
    f << "];\n";
  }
  const auto graph = r.graph();
  for (size_t i = 0; i + 1 < graph.edge_begin.size(); ++i)
    for (uint64_t j = graph.edge_begin[i]; j < graph.edge_begin[i + 1]; ++j) {
      const auto& e = graph.edges[j];
      const std::string label =
          e.label.who == Label::Who::tracer
              ? tracer_label(e.label.index)
              : (e.label.index < alphabet.size() ? format_insn(alphabet[e.label.index])
                                                 : std::string("(fixed)"));
      f << "  s" << i << " -> s" << e.to << " [label=\"" << label << "\"];\n";
    }
  f << "}\n";
  return file.commit();
}

} // namespace ptmc
