// Documents in Markdown that `ptmc report` writes beside its pages, computed from the same inputs
// (the recorded data of reports/data and the report's own explorations), so they are as
// reproducible as the pages. This is the place where a generated document plugs in: add a
// DocumentGenerator to document_generators() (report/documents.cpp). Issue 14's
// reports/rfc-answers.md is one: `scripts/reports.sh` passes `--documents reports`, so it lands in
// reports/rfc-answers.md, and the copy in the HTML report's documents/ folder is linked from its
// index.
#pragma once

#include "engine/check.hpp"
#include "report/protocol_graph.hpp"
#include "report/recorded_data.hpp"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace ptmc::report {

// What a generator may read. Profiles that `with_model` cannot run are in neither map.
struct DocumentInputs {
  const RecordedData& data;
  const std::map<std::string, ProtocolResult>& protocol; // by profile name
  const std::map<std::string, CheckReport>& checks;      // by profile name, at `bound`
  int bound = 0;
  std::string source_dir;    // the source tree, for prose kept beside a generator
  std::string data_dir;      // reports/data
  std::string scenarios_dir; // scenarios
};

struct DocumentGenerator {
  std::string file;  // a plain file name ending in .md, e.g. "rfc-answers.md"
  std::string title; // how the index lists it
  // The document's Markdown; it must depend on the inputs only (no clock, no environment).
  // Throwing std::runtime_error makes `ptmc report` fail with that message (exit 2).
  std::function<std::string(const DocumentInputs&)> write;
};

// Every document `ptmc report` writes, in this order.
const std::vector<DocumentGenerator>& document_generators();

} // namespace ptmc::report
