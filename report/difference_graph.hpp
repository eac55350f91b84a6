// Two profiles' protocol graphs overlaid: which stop classes and which (class, request, class)
// edges only one of them has. Computation only; report/dot.hpp draws it.
#pragma once

#include "report/protocol_graph.hpp"

namespace ptmc::report {

// Which side a node or edge is on.
enum class Side : uint8_t { both, base_only, other_only };

struct DiffNode {
  StopClass cls;
  Side side = Side::both;
};

struct DiffEdge {
  Request request = Request::cont;
  Side side = Side::both;
  uint64_t base_pairs = 0, other_pairs = 0;
  // The protocol edge it comes from: in the base graph when present there, else in the other.
  ProtocolGraph::edge_descriptor source_edge;
};

using DifferenceGraph =
    boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, DiffNode, DiffEdge>;

struct Difference {
  std::string base, other; // profile names
  DifferenceGraph graph;   // nodes in class order, edges in (from, to, request) order
  size_t base_only_nodes = 0, other_only_nodes = 0;
  size_t base_only_edges = 0, other_only_edges = 0, shared_edges = 0;
};

Difference difference(const ProtocolResult& base, const ProtocolResult& other);

} // namespace ptmc::report
