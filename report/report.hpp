// `ptmc report`: one self-contained HTML report (no network; it opens from disk) of every
// profile: property verdicts with counterexamples drawn as scenario graphs, protocol graphs,
// difference graphs, the rule table with real-kernel confirmations, the mutation table and the
// differential runs. Computed from the source, except what reports/data/ recorded, so the same
// inputs give byte-identical files.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ptmc::report {

// The report's program bound: large enough that every stop class of linux-x86_64 that a
// program of the alphabet can reach shows up (`kill(0, SIGUSR2)` needs three instructions), and
// small enough that all profiles take well under a minute.
inline constexpr int kReportBound = 3;

struct ReportOptions {
  std::string out_dir;
  std::string data_dir = "reports/data";
  std::string scenarios_dir = "scenarios";
  int bound = kReportBound;
  std::function<void(const std::string& status)> progress;
};

struct ProfileFigures {
  std::string profile;
  uint64_t states = 0;
  size_t nodes = 0, edges = 0;
  bool grouped = false;
};

struct ReportSummary {
  std::vector<ProfileFigures> profiles;
  size_t files = 0;
  std::string index; // the index page's path
};

// Bad input (a data file that does not parse, an output directory that is not a report) throws
// ReportError; the caller prints it and exits 2.
struct ReportError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

ReportSummary write_report(const ReportOptions& options);

} // namespace ptmc::report
