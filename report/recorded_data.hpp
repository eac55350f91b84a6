// Recorded data: the volatile facts a report shows (times, memory, kernel versions, results of
// runs on real kernels), each file saying which command produced it, when, and on which kernel.
// `ptmc diff|mutate|check|run --record FILE` write them (scripts/reports.sh keeps them in
// reports/data/); `ptmc report` only reads them, so its output depends on nothing else that
// changes between runs.
#pragma once

#include "common/atomic_file.hpp"
#include "scenario/scenario.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ptmc::report {

inline constexpr int kRecordFormat = 1;

struct Provenance {
  std::string file; // the data file's name, without its directory
  std::string kind, command, date, machine_kernel;
};

struct DiffRecord {
  Provenance provenance;
  std::string profile, target, kernel, accel;
  uint64_t scenarios = 0, agree = 0, disagree = 0, kernel_failed = 0, model_refused = 0;
  double seconds = 0, seconds_boot = 0;
  std::map<std::string, uint64_t> rule_confirmations; // rule -> agreeing scenarios that fired it
  std::vector<std::string> unconfirmed_rules;
};

struct MutationRow {
  std::string rule, layer, kind, result, by; // layer: empty in records made before layers
};
struct MutationRecord {
  Provenance provenance;
  std::string profile, target, kernel;
  int bound = 0;
  uint64_t mutants = 0, killed = 0;
  double seconds = 0;
  std::vector<MutationRow> rows;
};

struct CheckRecord {
  Provenance provenance;
  nlohmann::json result; // `ptmc check --json`'s output
};

// `ptmc prove --record`'s output: what Z3 decided for one profile (or one mutant of it).
struct ProofRow {
  // verdict: proved, refuted or unknown; reason: why unknown, or why a refutation is expected
  std::string property, verdict, reason;
  double seconds = 0;
  std::vector<std::string> core; // the rules a proof's unsat core used
};
struct ProveRecord {
  Provenance provenance;
  std::string profile, mutant; // mutant: empty for the profile itself
  std::vector<ProofRow> rows;
};

struct RecordedRun {
  std::string source;   // the scenario's file name when it was run
  std::string scenario; // its text (format_scenario, without expect), to match it by content
  Trace trace;
};
struct RunsRecord {
  Provenance provenance;
  std::string target, kernel;
  std::vector<RecordedRun> runs;
};

struct RecordedData {
  std::string directory;
  std::vector<Provenance> files; // every data file, in name order
  std::vector<DiffRecord> diffs;
  std::vector<MutationRecord> mutations;
  std::vector<CheckRecord> checks;
  std::vector<RunsRecord> runs;
  std::vector<ProveRecord> proofs;
};

// Reads every *.json file of `dir` in name order. A missing directory gives empty data; a file
// that does not parse or lacks a field throws std::runtime_error naming the file.
RecordedData load_recorded_data(const std::string& dir);

// The UTC time now, as data files record it: 2026-11-27T08:41:06Z.
std::string utc_now();
// `ptmc ARGS...` as a shell would take it back (words quoted where needed). `args` is the
// command line after `ptmc`.
std::string command_text(const std::vector<std::string>& args);

// The `record` object every data file starts with: the kind, the command line, the UTC time now
// and the running kernel's release. `args` is the command line after `ptmc`.
nlohmann::json record_header(const std::string& kind, const std::vector<std::string>& args);
// Writes {"record": header, ...body} to `path`, whole or not at all (common/atomic_file.hpp).
std::optional<WriteError> write_record(const std::string& path, const nlohmann::json& header,
                                       nlohmann::json body);

// A trace as its canonical lines, and back.
nlohmann::json trace_lines(const Trace& t);
Trace trace_from_lines(const nlohmann::json& lines, const std::string& where);

} // namespace ptmc::report
