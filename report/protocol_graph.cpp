#include "report/protocol_graph.hpp"

#include "engine/counterexample.hpp"
#include "engine/models.hpp"
#include "model/models.hpp"

#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/compressed_sparse_row_graph.hpp>
#include <boost/property_map/property_map.hpp>
#include <fmt/core.h>

#include <concepts>
#include <map>
#include <queue>
#include <sstream>
#include <tuple>

namespace ptmc::report {

StopClass stop_class(const TraceLine& line) {
  StopClass c;
  c.kind = line.kind;
  switch (line.kind) {
  case StopKind::exited:
  case StopKind::detached:
  case StopKind::hang:
    break;
  case StopKind::killed:
    c.signal = line.signal;
    break;
  default:
    c.signal = line.signal & 0x7f; // the line never shows TRACESYSGOOD's 0x80
    c.si_code = line.si_code;
    c.op = line.op;
    c.arm64_ss = line.arch == Arch::aarch64;
    c.tf = c.arm64_ss ? line.ss : line.tf;
  }
  return c;
}

bool is_end(const StopClass& c) {
  return c.kind == StopKind::exited || c.kind == StopKind::killed || c.kind == StopKind::hang;
}

namespace {

// A trace line carrying just the class's fields, so that names come from the one formatter.
TraceLine line_of(const StopClass& c) {
  TraceLine t;
  t.kind = c.kind;
  t.signal = c.signal;
  t.si_code = c.si_code;
  t.op = c.op;
  t.arch = c.arm64_ss ? Arch::aarch64 : Arch::x86_64;
  if (c.arm64_ss)
    t.ss = c.tf;
  else
    t.tf = c.tf;
  return t;
}

// The words of a formatted trace line: the kind, then key=value fields.
std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

} // namespace

std::string kind_text(StopKind kind) {
  TraceLine t;
  t.kind = kind;
  return words(format_trace_line(t)).front();
}

std::string class_text(const StopClass& c) {
  const auto w = words(format_trace_line(line_of(c)));
  std::string out = w.front();
  if (c.kind == StopKind::killed) return out + " " + w[1];
  if (is_end(c)) return out;
  for (const auto& field : w)
    if (field.rfind("sig=", 0) == 0 || field.rfind("code=", 0) == 0 || field.rfind("op=", 0) == 0)
      out += " " + field;
  if (c.tf) out += c.arm64_ss ? " SS" : " TF";
  return out;
}

std::string class_id(const StopClass& c) {
  std::string out;
  for (const auto& w : words(class_text(c))) {
    const auto eq = w.find('=');
    out += (out.empty() ? "" : "-") + (eq == std::string::npos ? w : w.substr(eq + 1));
  }
  for (char& ch : out)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_') ch = '_';
  return out;
}

ProtocolGraph group_by_kind(const ProtocolGraph& g) {
  std::map<StopKind, uint64_t> kinds;
  for (auto v : boost::make_iterator_range(boost::vertices(g))) kinds[g[v].cls.kind] += g[v].states;
  ProtocolGraph out;
  std::map<StopKind, ProtocolGraph::vertex_descriptor> vertex;
  for (const auto& [kind, states] : kinds) {
    StopClass c;
    c.kind = kind;
    vertex[kind] = boost::add_vertex(ProtocolNode{c, states}, out);
  }
  std::map<std::tuple<StopKind, StopKind, Request>, ProtocolEdge> merged;
  for (auto e : boost::make_iterator_range(boost::edges(g))) {
    const ProtocolEdge& pe = g[e];
    auto [it, fresh] = merged.try_emplace(
        {g[boost::source(e, g)].cls.kind, g[boost::target(e, g)].cls.kind, pe.request}, pe);
    if (fresh) continue;
    it->second.pairs += pe.pairs;
    if (pe.witness_transitions < it->second.witness_transitions) {
      const uint64_t pairs = it->second.pairs;
      it->second = pe;
      it->second.pairs = pairs;
    }
  }
  for (const auto& [key, pe] : merged)
    boost::add_edge(vertex[std::get<0>(key)], vertex[std::get<1>(key)], pe, out);
  return out;
}

std::optional<ProtocolGraph::vertex_descriptor> find_node(const ProtocolGraph& g,
                                                          const StopClass& c) {
  for (auto v : boost::make_iterator_range(boost::vertices(g)))
    if (g[v].cls == c) return v;
  return std::nullopt;
}

namespace {

// The tracee's part of the state graph: only the transitions out of user states (program
// instructions). A breadth-first search over it from a tracer transition's successor finds the
// stops the tracee can reach before the tracer acts again; stopped and dead states have no
// out-edges here, so the search ends at them.
using TraceeGraph = boost::compressed_sparse_row_graph<boost::directedS, boost::no_property, Label>;
using Vertex = boost::graph_traits<TraceeGraph>::vertex_descriptor;

// A colour map that is reset in O(1) between searches: a vertex not stamped with the current
// search's number is white. Thousands of searches over a few touched vertices each would
// otherwise pay for clearing a map of every state each time.
struct StampedColors {
  std::vector<uint32_t>* stamp;
  std::vector<boost::default_color_type>* color;
  uint32_t now;
};

} // namespace
} // namespace ptmc::report

namespace boost {
template <> struct property_traits<ptmc::report::StampedColors> {
  using key_type = ptmc::report::Vertex;
  using value_type = default_color_type;
  using reference = default_color_type;
  using category = read_write_property_map_tag;
};
} // namespace boost

namespace ptmc::report {
namespace {

boost::default_color_type get(const StampedColors& m, Vertex v) {
  return (*m.stamp)[v] == m.now ? (*m.color)[v] : boost::white_color;
}
void put(StampedColors& m, Vertex v, boost::default_color_type c) {
  (*m.stamp)[v] = m.now;
  (*m.color)[v] = c;
}

constexpr uint16_t kNoClass = UINT16_MAX;

// Per search: how far each reached state is from the tracer transition, and the tracee edge
// that reached it (for the witness). Valid where the colour map's stamp is current.
struct SearchTables {
  std::vector<uint32_t> dist, pred;
  std::vector<Label> pred_label;
};

struct Recorder : boost::default_bfs_visitor {
  SearchTables* t;
  const std::vector<uint16_t>* cls;
  std::vector<Vertex>* stops; // stopped or dead states reached, in discovery order
  void tree_edge(boost::graph_traits<TraceeGraph>::edge_descriptor e, const TraceeGraph& g) const {
    const Vertex from = boost::source(e, g), to = boost::target(e, g);
    t->dist[to] = t->dist[from] + 1;
    t->pred[to] = static_cast<uint32_t>(from);
    t->pred_label[to] = g[e];
  }
  void discover_vertex(Vertex v, const TraceeGraph&) const {
    if ((*cls)[v] != kNoClass) stops->push_back(v);
  }
};

struct EdgeKey {
  uint16_t from, to;
  Request request;
  auto operator<=>(const EdgeKey&) const = default;
};

struct EdgeAcc {
  uint64_t pairs = 0;
  size_t best_length = SIZE_MAX;
  std::vector<Label> best_path;
  uint32_t best_root = 0;
  size_t best_line = 0;
};

// The graph of one profile whose transition function is M (model/models.hpp with_model).
template <class M>
ProtocolResult protocol_graph_of(const Profile& profile, const ProtocolOptions& options) {
  const M model(profile, std::nullopt, profile.domain.handler);
  const MonitoredModel<M> monitored(model, false);
  ExploreLimits limits;
  limits.store_edges = true;
  limits.keep_states = true;
  limits.max_states = options.max_states;
  if (options.progress)
    limits.progress = [&](uint64_t s, uint64_t t, uint32_t d, double) {
      options.progress(fmt::format("{}: exploring at bound {}: {} states, {} transitions, depth {}",
                                   profile.name, options.bound, s, t, d));
    };
  const auto r = explore(monitored, limits);
  const auto graph = r.graph();

  ProtocolResult out;
  out.profile = profile.name;
  out.bound = options.bound;
  out.explored = r.stats;
  const size_t n = r.states.size();

  // Classes, numbered in class order so that the graph's node order is independent of the
  // exploration order.
  RuleCtx observe_rules(profile.mutation);
  std::vector<StopClass> state_class(n);
  std::map<StopClass, uint64_t> class_states;
  std::vector<bool> is_stop(n, false);
  for (size_t i = 0; i < n; ++i) {
    const auto& s = r.states[i].s;
    if (s.phase != Phase::stopped && !s.dead()) continue;
    is_stop[i] = true;
    state_class[i] = stop_class(model.observe(s, observe_rules));
    ++class_states[state_class[i]];
    (s.dead() ? out.dead_states : out.stopped_states) += 1;
  }
  std::map<StopClass, uint16_t> class_number;
  for (const auto& [c, count] : class_states) {
    const auto v = boost::add_vertex(ProtocolNode{c, count}, out.graph);
    class_number[c] = static_cast<uint16_t>(v);
  }
  std::vector<uint16_t> cls(n, kNoClass);
  for (size_t i = 0; i < n; ++i)
    if (is_stop[i]) cls[i] = class_number[state_class[i]];

  // Breadth-first depth of every state: its parent always has a smaller number.
  std::vector<uint32_t> depth(n, 0);
  for (size_t i = 0; i < n; ++i)
    if (const uint32_t p = r.parent_of(static_cast<uint32_t>(i)); p != r.kNoParent)
      depth[i] = depth[p] + 1;

  std::vector<std::pair<uint32_t, uint32_t>> tracee_edges;
  std::vector<Label> tracee_labels;
  for (size_t i = 0; i < n; ++i) {
    if (r.states[i].s.phase != Phase::user) continue;
    for (uint64_t j = graph.edge_begin[i]; j < graph.edge_begin[i + 1]; ++j) {
      tracee_edges.emplace_back(static_cast<uint32_t>(i), graph.edges[j].to);
      tracee_labels.push_back(graph.edges[j].label);
    }
  }
  const TraceeGraph tracee(boost::edges_are_sorted, tracee_edges.begin(), tracee_edges.end(),
                           tracee_labels.begin(), n);
  tracee_edges = {};
  tracee_labels = {};

  std::vector<uint32_t> stamp(n, 0);
  std::vector<boost::default_color_type> color(n);
  SearchTables tables{std::vector<uint32_t>(n), std::vector<uint32_t>(n), std::vector<Label>(n)};
  std::vector<Label> source_label(n); // the tracer transition that reached a search source
  std::vector<uint32_t> seen_target(n, 0);
  std::vector<Vertex> stops, sources;
  std::map<EdgeKey, EdgeAcc> edges;
  uint32_t search = 0;
  const auto& domain = model.tracer_domain();

  for (size_t s = 0; s < n; ++s) {
    if (r.states[s].s.phase != Phase::stopped) continue;
    if (options.progress && (s & 0x3fff) == 0)
      options.progress(
          fmt::format("{}: protocol graph: {:.0f}% of states", profile.name, 100.0 * s / n));
    const uint64_t b = graph.edge_begin[s], e = graph.edge_begin[s + 1];
    out.tracer_transitions += e - b;
    // One search per request: every transition of this state with that request is a source,
    // so a stop reached through several of them is one pair.
    for (int req = 0; req <= static_cast<int>(Request::kill); ++req) {
      const Request request = static_cast<Request>(req);
      sources.clear();
      ++search;
      StampedColors colors{&stamp, &color, search};
      for (uint64_t j = b; j < e; ++j) {
        const auto& edge = graph.edges[j];
        if (domain[edge.label.index].request != request) continue;
        if (get(colors, edge.to) != boost::white_color) continue;
        put(colors, edge.to, boost::white_color); // stamped: not a second source
        tables.dist[edge.to] = 0;
        source_label[edge.to] = edge.label;
        sources.push_back(edge.to);
      }
      if (sources.empty()) continue;
      ++search; // the stamps above only deduplicated the sources
      colors.now = search;
      stops.clear();
      boost::queue<Vertex> queue;
      boost::breadth_first_visit(tracee, sources.begin(), sources.end(), queue,
                                 Recorder{{}, &tables, &cls, &stops}, colors);
      for (Vertex t : stops) {
        if (seen_target[t] == search) continue;
        seen_target[t] = search;
        EdgeAcc& acc = edges[EdgeKey{cls[s], cls[t], request}];
        ++acc.pairs;
        const size_t length = depth[s] + 1 + tables.dist[t];
        if (length >= acc.best_length) continue;
        acc.best_length = length;
        acc.best_path = r.path_to(static_cast<uint32_t>(s));
        acc.best_root = r.root_of(static_cast<uint32_t>(s));
        acc.best_line = 0;
        for (const Label& l : acc.best_path) acc.best_line += l.who == Label::Who::tracer;
        std::vector<Label> tail;
        Vertex v = t;
        for (; tables.dist[v] > 0; v = tables.pred[v]) tail.push_back(tables.pred_label[v]);
        acc.best_path.push_back(source_label[v]);
        acc.best_path.insert(acc.best_path.end(), tail.rbegin(), tail.rend());
      }
    }
  }

  const auto inits = model.initial_states();
  for (auto& [key, acc] : edges) {
    ProtocolEdge pe;
    pe.id = boost::num_edges(out.graph);
    pe.request = key.request;
    pe.pairs = acc.pairs;
    pe.witness =
        build_counterexample(model, domain, inits[acc.best_root].tracesysgood != 0, acc.best_path);
    pe.witness_transitions = acc.best_path.size();
    pe.witness_line = acc.best_line;
    boost::add_edge(key.from, key.to, pe, out.graph);
  }
  return out;
}

// A model whose stops a tracer reads as trace lines (the Linux models): what a stop class is made
// of. The Redox interface model answers requests with results instead, so it has no such stops.
template <class M>
concept TraceLineStops = requires(const M& m, const typename M::State& s, RuleCtx& r) {
  { m.observe(s, r) } -> std::same_as<TraceLine>;
  { s.phase == Phase::stopped } -> std::convertible_to<bool>;
};

} // namespace

std::optional<std::string> protocol_graph_unsupported(const Profile& profile) {
  // with_model would refuse it too, but say what it is rather than that no model is known.
  if (profile.level == Level::concurrent)
    return "profile " + profile.name +
           " is at the concurrent level (tracer and tracee as kernel threads on several CPUs; "
           "docs/redox-smp.md): its steps are interleavings of kernel threads, not stops a "
           "tracer reads as trace lines, and `with_model` does not run it; `ptmc check --profile " +
           profile.name + "` decides its properties";
  try {
    return with_model(profile, [&]<class M>(std::type_identity<M>) -> std::optional<std::string> {
      if constexpr (TraceLineStops<M>)
        return std::nullopt;
      else
        return "profile " + profile.name +
               ": its model has no stops that a tracer reads as trace lines, which are what a "
               "protocol graph's nodes are made of; `ptmc check --profile " +
               profile.name + "` decides its properties";
    });
  } catch (const std::invalid_argument& e) {
    return std::string(e.what());
  }
}

ProtocolResult build_protocol_graph(const Profile& base, const ProtocolOptions& options) {
  Profile profile = base;
  profile.domain.program_bound = options.bound;
  return with_model(profile, [&]<class M>(std::type_identity<M>) -> ProtocolResult {
    if constexpr (TraceLineStops<M>)
      return protocol_graph_of<M>(profile, options);
    else
      throw std::invalid_argument(*protocol_graph_unsupported(profile));
  });
}

} // namespace ptmc::report
