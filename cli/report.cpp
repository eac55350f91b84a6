// ptmc report --out DIR: the HTML report (report/report.hpp).
#include "report/report.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"

#include <fmt/core.h>
#include <fmt/format.h>

#include <filesystem>
#include <string>
#include <vector>

namespace ptmc::cli {

namespace po = boost::program_options;

int cmd_report(const Args& args) {
  po::options_description d("ptmc report --out DIR [options]: write the HTML report");
  d.add_options()("out,o", po::value<std::string>()->required(),
                  "the report's directory (created; an earlier report there is replaced)")(
      "data", po::value<std::string>()->default_value("reports/data"),
      "recorded data files (see scripts/reports.sh)")(
      "scenarios", po::value<std::string>()->default_value("scenarios"),
      "hand-written scenarios to draw")("source", po::value<std::string>()->default_value("."),
                                        "the source tree (the RFC answers' prose, report/rfc)")(
      "documents", po::value<std::string>(),
      "also write the generated Markdown documents (report/documents.hpp) into this directory")(
      "bound,b", po::value<int>()->default_value(report::kReportBound),
      "program bound of the explorations behind the graphs and verdicts")("quiet,q",
                                                                          "no progress line");
  po::variables_map vm;
  if (!parse_options(args, d, nullptr, vm)) return kOk;
  report::ReportOptions o;
  o.out_dir = vm["out"].as<std::string>();
  o.data_dir = vm["data"].as<std::string>();
  o.scenarios_dir = vm["scenarios"].as<std::string>();
  o.source_dir = vm["source"].as<std::string>();
  o.bound = vm["bound"].as<int>();
  if (vm.count("documents")) o.documents_dir = vm["documents"].as<std::string>();
  if (o.bound < 1 || o.bound > 6) throw UsageError("--bound must be 1..6 for a report");
  if (!std::filesystem::is_directory(o.scenarios_dir))
    throw UsageError("--scenarios: not a directory: " + o.scenarios_dir);
  const bool show = stderr_is_terminal() && !vm.count("quiet");
  if (show)
    o.progress = [](const std::string& s) {
      fmt::print(stderr, "\r[report] {:<90.90}", s);
      std::fflush(stderr);
    };
  report::ReportSummary summary;
  try {
    summary = report::write_report(o);
  } catch (const report::ReportWriteError& e) {
    if (show) fmt::print(stderr, "\r{:100}\r", "");
    return write_failed("report", e.error);
  } catch (const report::ReportError& e) {
    if (show) fmt::print(stderr, "\r{:100}\r", "");
    fmt::print(stderr, "ptmc report: error: {}\n", e.what());
    return kBadInput;
  }
  if (show) fmt::print(stderr, "\r{:100}\r", "");
  // The reasons are on each profile's page; here they would bury the line saying where it is.
  std::vector<std::string> without_graph;
  for (const auto& p : summary.profiles) {
    if (!p.no_model.empty()) {
      without_graph.push_back(p.profile);
      continue;
    }
    fmt::print("{:<22} protocol graph: {} nodes, {} edges ({} states at bound {}){}\n", p.profile,
               p.nodes, p.edges, p.states, o.bound, p.grouped ? ", drawn grouped by kind" : "");
  }
  if (!without_graph.empty())
    fmt::print("no protocol graph (each page says why): {}\n", fmt::join(without_graph, ", "));
  fmt::print("wrote {} files; open {}\n", summary.files,
             std::filesystem::absolute(summary.index).lexically_normal().string());
  return kOk;
}

} // namespace ptmc::cli
