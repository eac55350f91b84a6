#include "report/difference_graph.hpp"

#include <map>
#include <tuple>

namespace ptmc::report {

namespace {

// Profiles of two architectures are compared on what the tracer reads: the single-step bit is
// one field whether it is spelled TF or SS. Matching on the spelling too made every class of an
// arm64 profile differ from its x86 namesake, and drew both under one DOT id.
StopClass compared(StopClass c) {
  c.arm64_ss = false;
  return c;
}

} // namespace

Difference difference(const ProtocolResult& base, const ProtocolResult& other) {
  Difference d;
  d.base = base.profile;
  d.other = other.profile;

  // Keyed by the compared class; the value keeps the class as first seen (the base's spelling).
  std::map<StopClass, std::pair<StopClass, Side>> nodes;
  for (auto v : boost::make_iterator_range(boost::vertices(base.graph)))
    nodes[compared(base.graph[v].cls)] = {base.graph[v].cls, Side::base_only};
  for (auto v : boost::make_iterator_range(boost::vertices(other.graph))) {
    const StopClass& cls = other.graph[v].cls;
    auto [it, fresh] = nodes.try_emplace(compared(cls), cls, Side::other_only);
    if (!fresh) it->second.second = Side::both;
  }
  std::map<StopClass, DifferenceGraph::vertex_descriptor> vertex;
  for (const auto& [key, node] : nodes) {
    const auto& [cls, side] = node;
    vertex[key] = boost::add_vertex(DiffNode{cls, side}, d.graph);
    d.base_only_nodes += side == Side::base_only;
    d.other_only_nodes += side == Side::other_only;
  }

  using Key = std::tuple<StopClass, StopClass, Request>;
  std::map<Key, DiffEdge> edges;
  auto key_of = [](const ProtocolGraph& g, ProtocolGraph::edge_descriptor e) {
    return Key{compared(g[boost::source(e, g)].cls), compared(g[boost::target(e, g)].cls),
               g[e].request};
  };
  for (auto e : boost::make_iterator_range(boost::edges(base.graph))) {
    DiffEdge de;
    de.request = base.graph[e].request;
    de.side = Side::base_only;
    de.base_pairs = base.graph[e].pairs;
    de.source_edge = e;
    edges[key_of(base.graph, e)] = de;
  }
  for (auto e : boost::make_iterator_range(boost::edges(other.graph))) {
    const Key k = key_of(other.graph, e);
    auto it = edges.find(k);
    if (it != edges.end()) {
      it->second.side = Side::both;
      it->second.other_pairs = other.graph[e].pairs;
      continue;
    }
    DiffEdge de;
    de.request = other.graph[e].request;
    de.side = Side::other_only;
    de.other_pairs = other.graph[e].pairs;
    de.source_edge = e;
    edges[k] = de;
  }
  for (const auto& [k, de] : edges) {
    boost::add_edge(vertex[std::get<0>(k)], vertex[std::get<1>(k)], de, d.graph);
    d.base_only_edges += de.side == Side::base_only;
    d.other_only_edges += de.side == Side::other_only;
    d.shared_edges += de.side == Side::both;
  }
  return d;
}

} // namespace ptmc::report
