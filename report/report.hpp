// `ptmc report`: one self-contained HTML report (no network; it opens from disk) of every
// profile: property verdicts with counterexamples drawn as scenario graphs, protocol graphs,
// difference graphs, the rule table with real-kernel confirmations, the mutation table and the
// differential runs. Computed from the source, except what reports/data/ recorded, so the same
// inputs give byte-identical files.
#pragma once

#include "common/atomic_file.hpp"
#include "model/profile.hpp"
#include "report/documents.hpp"

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ptmc::report {

// The report's program bound. Bound 2 keeps the whole report (every profile's protocol graph and
// property check) to a few seconds of CPU per profile, so CI can regenerate it to check the
// committed copy; docs/report.md says which stop class it misses against bound 3.
inline constexpr int kReportBound = 2;

struct ReportOptions {
  std::string out_dir;
  std::string data_dir = "reports/data";
  std::string scenarios_dir = "scenarios";
  std::string source_dir = "."; // the source tree: the prose of generated documents (report/rfc)
  int bound = kReportBound;
  std::function<void(const std::string& status)> progress;
  // The profiles to report on, in this order; empty means every profile (ptmc::profiles()).
  std::vector<Profile> profiles;
  // The Markdown documents to write (report/documents.hpp): into the report's documents/ folder,
  // and also into documents_dir if it is not empty.
  std::vector<DocumentGenerator> documents = document_generators();
  std::string documents_dir;
};

struct ProfileFigures {
  std::string profile;
  uint64_t states = 0;
  size_t nodes = 0, edges = 0;
  bool grouped = false;
  std::string no_model; // why with_model cannot run the profile (then nothing was explored)
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
// A file of the report could not be written; the earlier report, if any, is left whole.
struct ReportWriteError : ReportError {
  explicit ReportWriteError(WriteError e) : ReportError(e.message), error(std::move(e)) {}
  WriteError error;
};

ReportSummary write_report(const ReportOptions& options);

} // namespace ptmc::report
