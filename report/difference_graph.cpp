#include "report/difference_graph.hpp"

#include <map>
#include <tuple>

namespace ptmc::report {

Difference difference(const ProtocolResult& base, const ProtocolResult& other) {
  Difference d;
  d.base = base.profile;
  d.other = other.profile;

  std::map<StopClass, Side> nodes;
  for (auto v : boost::make_iterator_range(boost::vertices(base.graph)))
    nodes[base.graph[v].cls] = Side::base_only;
  for (auto v : boost::make_iterator_range(boost::vertices(other.graph))) {
    auto [it, fresh] = nodes.emplace(other.graph[v].cls, Side::other_only);
    if (!fresh) it->second = Side::both;
  }
  std::map<StopClass, DifferenceGraph::vertex_descriptor> vertex;
  for (const auto& [cls, side] : nodes) {
    vertex[cls] = boost::add_vertex(DiffNode{cls, side}, d.graph);
    d.base_only_nodes += side == Side::base_only;
    d.other_only_nodes += side == Side::other_only;
  }

  using Key = std::tuple<StopClass, StopClass, Request>;
  std::map<Key, DiffEdge> edges;
  auto key_of = [](const ProtocolGraph& g, ProtocolGraph::edge_descriptor e) {
    return Key{g[boost::source(e, g)].cls, g[boost::target(e, g)].cls, g[e].request};
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
