// What a picture shows, independent of how it is laid out: nodes and edges with their text,
// links and a style name. The views (report/views.hpp) make drawings from graphs; to_dot writes
// any drawing as Graphviz DOT, and render_svg has `dot` lay it out. No layout is computed here.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace ptmc::report {

// Style names, mapped to Graphviz attributes in one table (dot.cpp).
enum class NodeStyle : uint8_t {
  initial,
  syscall,
  step,
  breakpoint,
  notify,
  signal,
  end,
  group,
  added,   // only in the other profile of a difference
  removed, // only in the base profile of a difference
  differs, // a trace line where model and kernel disagree
};
enum class EdgeStyle : uint8_t { plain, faint, added, removed, path };

struct DrawnNode {
  std::string id; // unique within the page that shows the drawing
  std::vector<std::string> lines;
  NodeStyle style = NodeStyle::signal;
  bool bold = false; // e.g. TF shows at this stop
  std::string link, tooltip;
  int column = -1; // side-by-side drawings: the column (cluster) it belongs to
  int row = -1;    // and its row: nodes of one row are ranked together
};

struct DrawnEdge {
  size_t from = 0, to = 0; // indices into nodes
  std::string label, link, tooltip;
  EdgeStyle style = EdgeStyle::plain;
  double width = 1.0;
};

struct Drawing {
  std::string id; // unique within the page
  std::string title;
  bool left_to_right = false;
  std::vector<std::string> columns; // titles of the side-by-side columns, if any
  std::vector<DrawnNode> nodes;
  std::vector<DrawnEdge> edges;
};

std::string to_dot(const Drawing& d);

struct SvgResult {
  std::string svg; // the SVG document as `dot` wrote it
  std::optional<std::string> error;
};
// Lays the DOT out with Graphviz `dot -Tsvg` (PTMC_DOT overrides the program), within a deadline.
SvgResult render_svg(const std::string& dot_text, double timeout_s = 120);

// The <svg> element alone, without the XML prolog and DOCTYPE, for inlining into HTML.
std::string inline_svg(const std::string& svg_document);

} // namespace ptmc::report
