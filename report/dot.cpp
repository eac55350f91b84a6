// Drawings as Graphviz DOT, and `dot` as the layout engine.
#include "report/drawing.hpp"

#include "kernel/subprocess.hpp"

#include <fmt/core.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sys/wait.h>
#include <unistd.h>

namespace ptmc::report {

namespace {

std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

// Each line left-justified: trace lines read better aligned than centred.
std::string label_of(const std::vector<std::string>& lines, bool left) {
  std::string joined;
  for (const auto& l : lines) {
    std::string escaped;
    for (char c : l) {
      if (c == '"' || c == '\\') escaped += '\\';
      escaped += c;
    }
    joined += escaped + (left ? "\\l" : "\\n");
  }
  if (!left && !joined.empty()) joined.resize(joined.size() - 2);
  return "\"" + joined + "\"";
}

struct NodeLook {
  const char* fill;
  const char* border;
  const char* shape;
  const char* extra;
};

NodeLook look(NodeStyle s) {
  switch (s) {
  case NodeStyle::initial:
    return {"#ffffff", "#444444", "box", ""};
  case NodeStyle::syscall:
    return {"#dbe9f6", "#3b6ea5", "box", ""};
  case NodeStyle::step:
    return {"#dff0d8", "#3c763d", "box", ""};
  case NodeStyle::breakpoint:
    return {"#fbe3c9", "#a0522d", "box", ""};
  case NodeStyle::notify:
    return {"#fff5c2", "#8a6d3b", "box", ""};
  case NodeStyle::signal:
    return {"#f6dbe6", "#8b3a62", "box", ""};
  case NodeStyle::end:
    return {"#e6e6e6", "#666666", "ellipse", ""};
  case NodeStyle::group:
    return {"#eeeeee", "#444444", "box3d", ""};
  case NodeStyle::added:
    return {"#c9efc9", "#1a7f1a", "box", ", penwidth=2.5"};
  case NodeStyle::removed:
    return {"#f8cccc", "#b00000", "box", ", penwidth=2.5, style=\"rounded,filled,dashed\""};
  case NodeStyle::differs:
    return {"#f8cccc", "#b00000", "box", ", penwidth=2"};
  }
  return {"#ffffff", "#000000", "box", ""};
}

std::string edge_look(EdgeStyle s) {
  switch (s) {
  case EdgeStyle::plain:
    return "color=\"#555555\"";
  case EdgeStyle::faint:
    return "color=\"#c4c4c4\", fontcolor=\"#999999\"";
  case EdgeStyle::added:
    return "color=\"#1a7f1a\", fontcolor=\"#1a7f1a\", penwidth=2.5";
  case EdgeStyle::removed:
    return "color=\"#b00000\", fontcolor=\"#b00000\", penwidth=2.5, style=dashed";
  case EdgeStyle::path:
    return "color=\"#333333\", penwidth=1.5";
  }
  return "";
}

void write_node(std::string& out, const DrawnNode& n, bool left_justify, const char* indent) {
  const NodeLook l = look(n.style);
  out += fmt::format("{}{} [id={}, label={}, shape={}, fillcolor=\"{}\", color=\"{}\"", indent,
                     quoted(n.id), quoted(n.id), label_of(n.lines, left_justify), l.shape, l.fill,
                     l.border);
  if (n.bold) out += ", penwidth=3";
  out += l.extra;
  if (!n.link.empty()) out += ", URL=" + quoted(n.link) + ", target=\"_top\"";
  if (!n.tooltip.empty()) out += ", tooltip=" + quoted(n.tooltip);
  out += "];\n";
}

} // namespace

std::string to_dot(const Drawing& d) {
  std::string out = fmt::format("digraph {} {{\n", quoted(d.id));
  out += fmt::format("  graph [id={}, label={}, labelloc=t, fontname=\"DejaVu Sans\", "
                     "fontsize=14, rankdir={}, nodesep=0.3, ranksep=0.45, newrank=true];\n",
                     quoted(d.id), quoted(d.title), d.left_to_right ? "LR" : "TB");
  out += "  node [fontname=\"DejaVu Sans Mono\", fontsize=10, style=\"rounded,filled\", "
         "margin=\"0.12,0.05\"];\n";
  out += "  edge [fontname=\"DejaVu Sans\", fontsize=9, arrowsize=0.7];\n";
  const bool columns = !d.columns.empty();
  if (columns) {
    for (size_t c = 0; c < d.columns.size(); ++c) {
      out += fmt::format("  subgraph {} {{\n    graph [label={}, style=rounded, color=\"#999999\", "
                         "id={}];\n",
                         quoted("cluster_" + d.id + "_" + std::to_string(c)), quoted(d.columns[c]),
                         quoted(d.id + "-column-" + std::to_string(c)));
      for (const auto& n : d.nodes)
        if (n.column == static_cast<int>(c)) write_node(out, n, true, "    ");
      out += "  }\n";
    }
    // Rows across columns: line i of every column on one rank.
    int max_row = -1;
    for (const auto& n : d.nodes) max_row = std::max(max_row, n.row);
    for (int r = 0; r <= max_row; ++r) {
      std::string same;
      for (const auto& n : d.nodes)
        if (n.row == r) same += " " + quoted(n.id) + ";";
      if (!same.empty()) out += "  { rank=same;" + same + " }\n";
    }
  }
  for (const auto& n : d.nodes)
    if (!columns || n.column < 0) write_node(out, n, false, "  ");
  for (size_t i = 0; i < d.edges.size(); ++i) {
    const auto& e = d.edges[i];
    out +=
        fmt::format("  {} -> {} [id={}, {}", quoted(d.nodes[e.from].id), quoted(d.nodes[e.to].id),
                    quoted(d.id + "-edge-" + std::to_string(i)), edge_look(e.style));
    if (!e.label.empty()) out += ", label=" + quoted(e.label);
    if (e.width != 1.0) out += fmt::format(", penwidth={:.2f}", e.width);
    if (!e.link.empty()) out += ", URL=" + quoted(e.link) + ", target=\"_top\"";
    if (!e.tooltip.empty()) out += ", tooltip=" + quoted(e.tooltip);
    out += "];\n";
  }
  out += "}\n";
  return out;
}

SvgResult render_svg(const std::string& dot_text, double timeout_s) {
  SvgResult r;
  const char* env = std::getenv("PTMC_DOT");
  const std::string program = env && *env ? env : "/usr/bin/dot";
  char path[] = "/tmp/ptmc-report-XXXXXX.dot";
  const int fd = mkstemps(path, 4);
  if (fd < 0) {
    r.error = "cannot create a temporary file for dot";
    return r;
  }
  close(fd);
  {
    std::ofstream f(path);
    f << dot_text;
    f.close();
    if (!f) {
      std::filesystem::remove(path);
      r.error = std::string("cannot write the temporary file ") + path + " for dot";
      return r;
    }
  }
  const auto child = kernel::run_child({program, "-Tsvg", path}, timeout_s);
  std::filesystem::remove(path);
  if (child.spawn_error) {
    r.error = *child.spawn_error + " (Graphviz is in scripts/setup.sh's package list)";
  } else if (child.timed_out) {
    r.error = fmt::format("{} did not finish within {:.0f} s", program, timeout_s);
  } else if (!WIFEXITED(child.status) || WEXITSTATUS(child.status) != 0) {
    r.error = program + " failed: " + child.err;
  } else {
    r.svg = child.out;
  }
  return r;
}

std::string inline_svg(const std::string& svg_document) {
  const auto start = svg_document.find("<svg");
  const std::string_view svg = start == std::string::npos
                                   ? std::string_view(svg_document)
                                   : std::string_view(svg_document).substr(start);
  // Graphviz repeats every node's DOT name in a comment and a <title> beside the element, with
  // each '-' escaped as "&#45;": on a dense graph that is half the bytes. The tooltips readers
  // see are the links' xlink:title, so comments and titles go, and '-' is written plainly.
  std::string out;
  out.reserve(svg.size());
  for (size_t i = 0; i < svg.size();) {
    if (svg.compare(i, 4, "<!--") == 0) {
      const auto end = svg.find("-->", i + 4);
      if (end == std::string_view::npos) break;
      i = end + 3;
      if (i < svg.size() && svg[i] == '\n') ++i;
    } else if (svg.compare(i, 7, "<title>") == 0) {
      const auto end = svg.find("</title>", i + 7);
      if (end == std::string_view::npos) break;
      i = end + 8;
      if (i < svg.size() && svg[i] == '\n') ++i;
    } else if (svg.compare(i, 5, "&#45;") == 0) {
      out += '-';
      i += 5;
    } else {
      out += svg[i++];
    }
  }
  return out;
}

} // namespace ptmc::report
