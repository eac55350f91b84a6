#include "report/views.hpp"

#include <fmt/core.h>
#include <fmt/format.h>

#include "report/numbers.hpp"

#include <map>
#include <set>

namespace ptmc::report {

namespace {

NodeStyle style_of(StopKind k) {
  switch (k) {
  case StopKind::initial:
    return NodeStyle::initial;
  case StopKind::syscall_enter:
  case StopKind::syscall_exit:
    return NodeStyle::syscall;
  case StopKind::step:
    return NodeStyle::step;
  case StopKind::breakpoint:
    return NodeStyle::breakpoint;
  case StopKind::trap_notify:
    return NodeStyle::notify;
  case StopKind::signal:
    return NodeStyle::signal;
  default:
    return NodeStyle::end;
  }
}

// "syscall-enter · TF" over "SIGTRAP code=0x85 op=entry".
std::vector<std::string> class_lines(const StopClass& c) {
  const std::string text = class_text(c);
  std::string head = kind_text(c.kind), rest;
  size_t pos = text.find(' ');
  if (pos != std::string::npos) rest = text.substr(pos + 1);
  if (c.tf) {
    head += " · TF";
    rest.resize(rest.size() - 3); // the trailing " TF"
  }
  if (rest.rfind("sig=", 0) == 0) rest = rest.substr(4);
  if (rest.empty()) return {head};
  return {head, rest};
}

DrawnNode class_node(const std::string& drawing_id, const StopClass& c, uint64_t states,
                     const ProtocolLinks* links, bool grouped) {
  DrawnNode n;
  n.id = drawing_id + "-" + class_id(c);
  n.lines =
      grouped ? std::vector<std::string>{kind_text(c.kind) + " (all classes)"} : class_lines(c);
  n.style = grouped ? NodeStyle::group : style_of(c.kind);
  n.bold = c.tf;
  n.tooltip =
      fmt::format("{}: {} explored states", grouped ? kind_text(c.kind) : class_text(c), states);
  if (links && links->node && !grouped) n.link = links->node(c);
  return n;
}

std::string pairs_text(uint64_t pairs) {
  return fmt::format("{} state pair{}", pairs, pairs == 1 ? "" : "s");
}

std::string grouped_note(const ProtocolResult& r, const Shown& s) {
  if (!s.grouped) return "";
  return fmt::format(" — grouped by kind: {} classes into {} nodes (more than {}); the full "
                     "graph is in the DOT file",
                     boost::num_vertices(r.graph), boost::num_vertices(s.graph), kMaxDrawnNodes);
}

} // namespace

Shown shown_graph(const ProtocolGraph& g) {
  if (boost::num_vertices(g) <= kMaxDrawnNodes) return {g, false};
  return {group_by_kind(g), true};
}

std::string request_abbreviation(Request r) {
  switch (r) {
  case Request::cont:
    return "c";
  case Request::syscall:
    return "sc";
  case Request::singlestep:
    return "ss";
  case Request::sysemu:
    return "se";
  case Request::sysemu_singlestep:
    return "ses";
  case Request::detach:
    return "d";
  case Request::kill:
    return "k";
  }
  return "?";
}

std::string request_legend() {
  std::string out;
  for (int i = 0; i <= static_cast<int>(Request::kill); ++i) {
    const auto r = static_cast<Request>(i);
    out += (out.empty() ? "" : ", ") + request_abbreviation(r) + " = " + format_request(r);
  }
  return out;
}

namespace {

// One arrow per ordered pair of nodes, over the edges `keep` accepts, labelled with their
// requests (abbreviated, or in full with their state-pair counts).
void add_pair_arrows(Drawing& d, const ProtocolGraph& g,
                     const std::map<ProtocolGraph::vertex_descriptor, size_t>& index,
                     const std::function<bool(ProtocolGraph::edge_descriptor)>& keep,
                     const ProtocolLinks& links, bool full_labels) {
  std::map<std::pair<size_t, size_t>, std::vector<ProtocolGraph::edge_descriptor>> pairs;
  std::vector<std::pair<size_t, size_t>> order;
  for (auto e : boost::make_iterator_range(boost::edges(g))) {
    if (!keep(e)) continue;
    const auto key = std::make_pair(index.at(boost::source(e, g)), index.at(boost::target(e, g)));
    if (!pairs.count(key)) order.push_back(key);
    pairs[key].push_back(e);
  }
  for (const auto& key : order) {
    DrawnEdge de;
    de.from = key.first;
    de.to = key.second;
    std::vector<std::string> names, tips;
    for (auto e : pairs[key]) {
      names.push_back(
          full_labels ? fmt::format("{} {}", format_request(g[e].request), with_commas(g[e].pairs))
                      : request_abbreviation(g[e].request));
      tips.push_back(fmt::format("{}: {}", format_request(g[e].request), pairs_text(g[e].pairs)));
    }
    de.label = fmt::format("{}", fmt::join(names, full_labels ? "\n" : ","));
    de.tooltip = fmt::format("{}", fmt::join(tips, "; "));
    if (links.edge) de.link = links.edge(g[pairs[key].front()].id);
    d.edges.push_back(de);
  }
}

std::map<ProtocolGraph::vertex_descriptor, size_t>
add_all_nodes(Drawing& d, const ProtocolGraph& g, const ProtocolLinks* links, bool grouped) {
  std::map<ProtocolGraph::vertex_descriptor, size_t> index;
  for (auto v : boost::make_iterator_range(boost::vertices(g))) {
    index[v] = d.nodes.size();
    d.nodes.push_back(class_node(d.id, g[v].cls, g[v].states, links, grouped));
  }
  return index;
}

} // namespace

Drawing protocol_by_kind(const ProtocolResult& r, const std::string& id,
                         const ProtocolLinks& links) {
  const ProtocolGraph g = group_by_kind(r.graph);
  Drawing d;
  d.id = id;
  d.title = fmt::format("{} at a glance: {} stop classes grouped into {} kinds (bound {})",
                        r.profile, boost::num_vertices(r.graph), boost::num_vertices(g), r.bound);
  const auto index = add_all_nodes(d, g, &links, true);
  add_pair_arrows(
      d, g, index, [](auto) { return true; }, links, false);
  return d;
}

Drawing protocol_classes(const ProtocolResult& r, const std::string& id,
                         const ProtocolLinks& links) {
  const Shown s = shown_graph(r.graph);
  Drawing d;
  d.id = id;
  d.title = fmt::format("{}: every stop class and every edge (bound {}){}", r.profile, r.bound,
                        grouped_note(r, s));
  const auto index = add_all_nodes(d, s.graph, &links, s.grouped);
  add_pair_arrows(
      d, s.graph, index, [](auto) { return true; }, links, false);
  return d;
}

Drawing protocol_full(const ProtocolResult& r, const std::string& id) {
  const ProtocolGraph& g = r.graph;
  Drawing d;
  d.id = id;
  d.title = fmt::format("{}: protocol graph, bound {}, every edge", r.profile, r.bound);
  for (auto v : boost::make_iterator_range(boost::vertices(g)))
    d.nodes.push_back(class_node(id, g[v].cls, g[v].states, nullptr, false));
  for (auto e : boost::make_iterator_range(boost::edges(g))) {
    DrawnEdge de;
    de.from = boost::source(e, g);
    de.to = boost::target(e, g);
    de.label = format_request(g[e].request) + " " + std::to_string(g[e].pairs);
    d.edges.push_back(de);
  }
  return d;
}

Drawing difference_drawing(const Difference& diff, const std::string& id,
                           const std::function<std::string(size_t)>& edge_link) {
  const DifferenceGraph& g = diff.graph;
  Drawing d;
  d.id = id;
  d.title = fmt::format("{} (red, dashed: only here) against {} (green: only here)", diff.base,
                        diff.other);
  for (auto v : boost::make_iterator_range(boost::vertices(g))) {
    DrawnNode n = class_node(id, g[v].cls, 0, nullptr, false);
    n.tooltip = class_text(g[v].cls);
    if (g[v].side == Side::base_only) {
      n.style = NodeStyle::removed;
      n.tooltip += " (only in " + diff.base + ")";
    } else if (g[v].side == Side::other_only) {
      n.style = NodeStyle::added;
      n.tooltip += " (only in " + diff.other + ")";
    }
    d.nodes.push_back(n);
  }
  // Up to three arrows per ordered pair: shared requests, base-only and other-only ones.
  struct Bucket {
    std::vector<size_t> edges;
    std::vector<std::string> names;
  };
  std::map<std::tuple<size_t, size_t, Side>, Bucket> buckets;
  std::vector<std::tuple<size_t, size_t, Side>> order;
  size_t index = 0;
  for (auto e : boost::make_iterator_range(boost::edges(g))) {
    const auto key = std::make_tuple(boost::source(e, g), boost::target(e, g), g[e].side);
    if (!buckets.count(key)) order.push_back(key);
    auto& b = buckets[key];
    b.edges.push_back(index++);
    const char* sign = g[e].side == Side::both ? "" : g[e].side == Side::base_only ? "−" : "+";
    b.names.push_back(sign + request_abbreviation(g[e].request));
  }
  for (const auto& key : order) {
    const auto& b = buckets[key];
    DrawnEdge de;
    de.from = std::get<0>(key);
    de.to = std::get<1>(key);
    const Side side = std::get<2>(key);
    de.style = side == Side::both        ? EdgeStyle::faint
               : side == Side::base_only ? EdgeStyle::removed
                                         : EdgeStyle::added;
    de.label = side == Side::both ? "" : fmt::format("{}", fmt::join(b.names, ","));
    de.tooltip = fmt::format("{} in {}", fmt::join(b.names, ","),
                             side == Side::both        ? "both"
                             : side == Side::base_only ? "only " + diff.base
                                                       : "only " + diff.other);
    if (side != Side::both && edge_link) de.link = edge_link(b.edges.front());
    d.edges.push_back(de);
  }
  return d;
}

Drawing scenario_drawing(const ScenarioGraph& g, const std::string& id) {
  Drawing d;
  d.id = id;
  d.title = g.name;
  for (size_t c = 0; c < g.columns.size(); ++c) {
    const TraceColumn& col = g.columns[c];
    d.columns.push_back(col.title);
    size_t previous = SIZE_MAX;
    for (size_t i = 0; i < col.trace.size(); ++i) {
      const TraceLine& line = col.trace[i];
      DrawnNode n;
      n.id = fmt::format("{}-c{}-l{}", id, c, i);
      const std::string text = format_trace_line(line);
      const auto space = text.find(" rax=");
      if (space == std::string::npos) {
        n.lines = {text};
      } else {
        n.lines = {text.substr(0, space), text.substr(space + 1)};
      }
      n.style = style_of(line.kind);
      if (col.differs_from && i >= *col.differs_from) n.style = NodeStyle::differs;
      n.bold = line.tf;
      n.tooltip = fmt::format("{} line {}: {}", col.title, i + 1, text);
      for (const auto& v : g.violations)
        if (c == 0 && v.trace_line == i)
          n.tooltip += "\nviolates " + std::string(property_info(v.property).name);
      n.column = static_cast<int>(c);
      n.row = static_cast<int>(i);
      const size_t me = d.nodes.size();
      d.nodes.push_back(n);
      if (previous != SIZE_MAX) {
        DrawnEdge e;
        e.from = previous;
        e.to = me;
        e.style = EdgeStyle::path;
        e.label = col.actions[i - 1];
        d.edges.push_back(e);
      }
      previous = me;
    }
  }
  return d;
}

} // namespace ptmc::report
