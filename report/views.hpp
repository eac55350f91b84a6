// Drawings made from the graphs: which nodes and edges a picture shows, with what text, and
// where each links. Graphs larger than kMaxDrawnNodes are drawn grouped by kind, and the
// drawing says so in its title; the full graph is always written as DOT beside it.
#pragma once

#include "report/difference_graph.hpp"
#include "report/drawing.hpp"
#include "report/protocol_graph.hpp"
#include "report/scenario_graph.hpp"

#include <functional>
#include <string>

namespace ptmc::report {

inline constexpr size_t kMaxDrawnNodes = 40;

// Links from a drawn protocol edge (by its id in the full graph) and from a node (by class).
struct ProtocolLinks {
  std::function<std::string(size_t edge_id)> edge;
  std::function<std::string(const StopClass&)> node;
};

// The graph to draw: the graph itself, or its summary by kind when it has too many nodes.
struct Shown {
  ProtocolGraph graph;
  bool grouped = false;
};
Shown shown_graph(const ProtocolGraph& g);

// The protocol at a glance: classes grouped by kind (every `step` class in one node, ...), one
// arrow per pair of kinds, labelled with the requests that take it.
Drawing protocol_by_kind(const ProtocolResult& r, const std::string& id,
                         const ProtocolLinks& links);
// Every class and every edge, one arrow per (from, to) pair labelled with its requests. Exact,
// and dense: grouped by kind when it has more than kMaxDrawnNodes nodes.
Drawing protocol_classes(const ProtocolResult& r, const std::string& id,
                         const ProtocolLinks& links);
// The full graph with every edge, for the DOT download (never grouped).
Drawing protocol_full(const ProtocolResult& r, const std::string& id);

// Shared structure faint; what only one side has in red (base) or green (other).
Drawing difference_drawing(const Difference& d, const std::string& id,
                           const std::function<std::string(size_t diff_edge_index)>& edge_link);

Drawing scenario_drawing(const ScenarioGraph& g, const std::string& id);

// A short name for a request in dense labels ("ss" for singlestep), and the legend for them.
std::string request_abbreviation(Request r);
std::string request_legend();

} // namespace ptmc::report
