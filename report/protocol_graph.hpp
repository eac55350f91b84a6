// The protocol graph of a profile: the explored state space divided by what a tracer can tell
// apart at a stop. It answers "after this kind of stop, which request leads to which kind of
// stop", which the full state graph (millions of states) cannot show to a person.
//
// Nodes are stop classes (see StopClass). An edge A -request-> B exists iff the exploration
// holds a stopped state s in A, a tracer transition from s whose request is `request`, and a
// stopped or dead state t in B that the tracee reaches from that transition's successor by
// running user instructions only (tracee transitions, no further stop in between). Its count is
// the number of distinct (s, t) pairs, and its witness is a shortest label path from an initial
// state through such a pair, written as a scenario that `ptmc run` replays.
//
// Computation only: rendering is in report/dot.hpp, pages in report/html.hpp.
#pragma once

#include "engine/explorer.hpp"
#include "model/profile.hpp"
#include "scenario/scenario.hpp"

#include <boost/graph/adjacency_list.hpp>

#include <compare>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ptmc::report {

// What forms a node, taken from the trace line `ptmc run` prints at that stop:
//  - a stop line: its kind, sig, code (si_code), op, and whether TF is among its flags (on arm64:
//    whether SS is in its pstate);
//  - `killed`: its kind and sig;  `exited`: its kind alone.
// Everything else on the line (at, rax, orig_rax, rbx, ZF, CF, exit code, written) is left out.
struct StopClass {
  StopKind kind = StopKind::initial;
  int signal = 0;
  int si_code = 0;
  SyscallOp op = SyscallOp::none;
  bool tf = false;       // the single-step bit the tracer reads: TF (x86_64) or PSTATE.SS (arm64)
  bool arm64_ss = false; // the bit is arm64's SS, so the class is written "SS", not "TF"
  auto operator<=>(const StopClass&) const = default;
};

StopClass stop_class(const TraceLine& line);
bool is_end(const StopClass& c);
// The class as the fields of a trace line, e.g. "step sig=SIGTRAP code=TRAP_TRACE op=none TF".
std::string class_text(const StopClass& c);
// The first word of the trace line, e.g. "syscall-enter".
std::string kind_text(StopKind kind);
// A short id usable in file names and DOT: "step-SIGTRAP-TRAP_TRACE-none-tf".
std::string class_id(const StopClass& c);

struct ProtocolNode {
  StopClass cls;
  uint64_t states = 0; // explored stopped (or dead) states in this class
};

struct ProtocolEdge {
  size_t id = 0; // the edge's number in the full graph, in (from, to, request) order
  Request request = Request::cont;
  uint64_t pairs = 0; // distinct (stop state, next stop state) pairs behind the edge
  Scenario witness;   // a shortest scenario whose model trace contains the edge
  size_t witness_transitions = 0;
  size_t witness_line = 0; // the trace line of the witness where the edge starts (0: initial)
};

using ProtocolGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS,
                                            ProtocolNode, ProtocolEdge>;

struct ProtocolOptions {
  int bound = 3; // program length bound of the exploration behind the graph
  uint64_t max_states = 0;
  std::function<void(const std::string& status)> progress; // a one-line status, now and then
};

struct ProtocolResult {
  std::string profile;
  int bound = 0;
  ProtocolGraph graph; // nodes in class order, edges in (from, to, request) order
  ExploreStats explored;
  uint64_t stopped_states = 0, dead_states = 0;
  uint64_t tracer_transitions = 0; // tracer transitions the edges summarise
};

ProtocolResult build_protocol_graph(const Profile& profile, const ProtocolOptions& options);

// Why the profile has no protocol graph (no model type for it in `with_model`, or a model whose
// stops are not trace lines, as Redox's interface model), or nullopt if it has one.
std::optional<std::string> protocol_graph_unsupported(const Profile& profile);

// The summary of a graph too large to draw: classes merged by kind (every `step` class into one
// `step` node, and so on). Counts add up; each merged edge keeps the shortest witness and the id
// of the edge it came from.
ProtocolGraph group_by_kind(const ProtocolGraph& g);

// The node of a class, if the graph has it.
std::optional<ProtocolGraph::vertex_descriptor> find_node(const ProtocolGraph& g,
                                                          const StopClass& c);

} // namespace ptmc::report
