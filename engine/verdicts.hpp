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
// end, whatever the program does. A least fixpoint, computed by sweeps. `phase` holds each
// state's phase byte: 1 a tracer's turn, 2 or 3 ended, anything else the program's turn (the
// numbering of both the Linux and the Redox layers' Phase).
template <class E>
std::vector<bool> tracer_can_end(const ExploreResult<E>& r, const std::vector<uint8_t>& phase,
                                 uint8_t drive) {
  constexpr uint8_t kStopped = 1, kExited = 2, kKilled = 3;
  const size_t n = r.stats.states;
  std::vector<bool> win(n, false);
  for (size_t i = 0; i < n; ++i)
    if (phase[i] == kExited || phase[i] == kKilled) win[i] = true;
  bool changed = true;
  while (changed) {
    changed = false;
    for (size_t k = n; k-- > 0;) {
      if (win[k]) continue;
      const uint64_t b = r.edge_begin[k], e = r.edge_begin[k + 1];
      if (b == e) continue;
      bool w = false;
      if (phase[k] == kStopped) {
        // Some action all of whose outcomes are winning.
        for (uint64_t j = b; j < e && !w;) {
          const uint16_t action = r.edges[j].label.index;
          bool all = true;
          for (; j < e && r.edges[j].label.index == action; ++j)
            if (!(r.edges[j].flags & drive) || !win[r.edges[j].to]) all = false;
          w = all;
        }
      } else {
        w = true;
        for (uint64_t j = b; j < e && w; ++j)
          if (!win[r.edges[j].to]) w = false;
      }
      if (w) {
        win[k] = true;
        changed = true;
      }
    }
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

// The results of the monitored exploration `main`: one per monitor or recompute property the
// profile checks (`applies`), and no-deadlock from its stored edges. Returns whether an
// unexpected violation should stop the check (--fail-fast).
template <class E, class Build>
bool monitored_results(CheckReport& report, const ExploreResult<E>& main, const CheckOptions& o,
                       Violations unexpected, const std::function<bool(PropertyId)>& applies,
                       uint8_t drive, Build&& build, const std::string& deadlock_note) {
  bool failed_fast = false;
  for (const auto& info : property_table()) {
    if (info.method != Method::monitor && info.method != Method::recompute) continue;
    if (!applies(info.id)) continue;
    PropertyResult pr = base_result(info.id, main.stats);
    fill_from_violation(pr, main, static_cast<size_t>(info.id), build);
    failed_fast |= o.fail_fast && pr.verdict == Verdict::violated && (unexpected & bit(info.id));
    report.results.push_back(std::move(pr));
  }
  if (!applies(PropertyId::no_deadlock) || failed_fast) return failed_fast;
  PropertyResult pr = base_result(PropertyId::no_deadlock, main.stats);
  if (main.stats.complete) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto win = tracer_can_end(main, main.tags, drive);
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
  for (size_t i = 0; i + 1 < r.edge_begin.size(); ++i)
    for (uint64_t j = r.edge_begin[i]; j < r.edge_begin[i + 1]; ++j) {
      const auto& e = r.edges[j];
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
