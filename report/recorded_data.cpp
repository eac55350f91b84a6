#include "report/recorded_data.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/utsname.h>

namespace ptmc::report {

namespace {

namespace fs = std::filesystem;

std::string shell_word(const std::string& w) {
  if (!w.empty() && w.find_first_of(" \t\n'\"\\$`*?;&|<>()") == std::string::npos) return w;
  std::string out = "'";
  for (char c : w) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

template <class T> T field(const nlohmann::json& j, const char* key, const std::string& file) {
  if (!j.contains(key))
    throw std::runtime_error(file + ": recorded data lacks the field '" + key + "'");
  try {
    return j.at(key).get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(file + ": field '" + key + "': " + e.what());
  }
}

Provenance provenance_of(const nlohmann::json& j, const std::string& file) {
  if (!j.contains("record") || !j["record"].is_object())
    throw std::runtime_error(file + ": not a ptmc data file (no 'record' object)");
  const auto& r = j["record"];
  const int format = field<int>(r, "format", file);
  if (format != kRecordFormat)
    throw std::runtime_error(file + ": data format " + std::to_string(format) +
                             ", this ptmc reads " + std::to_string(kRecordFormat));
  return Provenance{fs::path(file).filename().string(), field<std::string>(r, "kind", file),
                    field<std::string>(r, "command", file), field<std::string>(r, "date", file),
                    field<std::string>(r, "machine_kernel", file)};
}

} // namespace

nlohmann::json trace_lines(const Trace& t) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& line : t) a.push_back(format_trace_line(line));
  return a;
}

Trace trace_from_lines(const nlohmann::json& lines, const std::string& where) {
  Trace t;
  for (const auto& l : lines) {
    const auto parsed = parse_trace_line(l.get<std::string>());
    if (!parsed.line) throw std::runtime_error(where + ": bad trace line: " + parsed.error);
    t.push_back(*parsed.line);
  }
  return t;
}

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return date;
}

std::string command_text(const std::vector<std::string>& args) {
  std::string command = "ptmc";
  for (const auto& a : args) command += " " + shell_word(a);
  return command;
}

nlohmann::json record_header(const std::string& kind, const std::vector<std::string>& args) {
  utsname u{};
  uname(&u);
  return {{"format", kRecordFormat},
          {"kind", kind},
          {"command", command_text(args)},
          {"date", utc_now()},
          {"machine_kernel", u.release}};
}

std::optional<WriteError> write_record(const std::string& path, const nlohmann::json& header,
                                       nlohmann::json body) {
  nlohmann::json j = {{"record", header}};
  for (auto& [k, v] : body.items()) j[k] = v;
  return write_file_atomically(path, j.dump(1) + "\n");
}

RecordedData load_recorded_data(const std::string& dir) {
  RecordedData d;
  d.directory = dir;
  if (!fs::is_directory(dir)) return d;
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".json") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::ifstream f(file);
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(f);
    } catch (const nlohmann::json::exception& e) {
      throw std::runtime_error(file + ": not JSON: " + e.what());
    }
    const Provenance p = provenance_of(j, file);
    d.files.push_back(p);
    if (p.kind == "diff") {
      DiffRecord r;
      r.provenance = p;
      r.profile = field<std::string>(j, "profile", file);
      r.target = field<std::string>(j, "target", file);
      r.kernel = field<std::string>(j, "kernel", file);
      r.accel = field<std::string>(j, "accel", file);
      r.scenarios = field<uint64_t>(j, "scenarios", file);
      r.agree = field<uint64_t>(j, "agree", file);
      r.disagree = field<uint64_t>(j, "disagree", file);
      r.kernel_failed = field<uint64_t>(j, "kernel_failed", file);
      r.model_refused = field<uint64_t>(j, "model_refused", file);
      r.seconds = field<double>(j, "seconds", file);
      r.seconds_boot = field<double>(j, "seconds_boot", file);
      r.rule_confirmations = field<std::map<std::string, uint64_t>>(j, "rule_confirmations", file);
      r.unconfirmed_rules = field<std::vector<std::string>>(j, "unconfirmed_rules", file);
      d.diffs.push_back(std::move(r));
    } else if (p.kind == "mutation") {
      MutationRecord r;
      r.provenance = p;
      r.profile = field<std::string>(j, "profile", file);
      r.target = field<std::string>(j, "target", file);
      r.kernel = field<std::string>(j, "kernel", file);
      r.bound = field<int>(j, "bound", file);
      r.mutants = field<uint64_t>(j, "mutants", file);
      r.killed = field<uint64_t>(j, "killed", file);
      r.seconds = field<double>(j, "seconds", file);
      for (const auto& row : field<nlohmann::json>(j, "rows", file))
        r.rows.push_back(MutationRow{
            field<std::string>(row, "rule", file), row.value("layer", std::string()),
            field<std::string>(row, "kind", file), field<std::string>(row, "result", file),
            field<std::string>(row, "by", file)});
      d.mutations.push_back(std::move(r));
    } else if (p.kind == "check") {
      CheckRecord r;
      r.provenance = p;
      r.result = j;
      r.result.erase("record");
      field<std::string>(j, "profile", file); // the fields the report reads
      field<double>(j, "seconds", file);
      field<uint64_t>(j, "states", file);
      field<uint64_t>(j, "rss_peak_bytes", file);
      field<int>(j, "bound", file);
      d.checks.push_back(std::move(r));
    } else if (p.kind == "runs") {
      RunsRecord r;
      r.provenance = p;
      r.target = field<std::string>(j, "target", file);
      r.kernel = field<std::string>(j, "kernel", file);
      for (const auto& run : field<nlohmann::json>(j, "runs", file))
        r.runs.push_back(RecordedRun{
            field<std::string>(run, "source", file), field<std::string>(run, "scenario", file),
            trace_from_lines(field<nlohmann::json>(run, "trace", file), file)});
      d.runs.push_back(std::move(r));
    } else if (p.kind == "prove") {
      ProveRecord r;
      r.provenance = p;
      r.profile = field<std::string>(j, "profile", file);
      r.mutant = j.value("mutant", std::string());
      for (const auto& row : field<nlohmann::json>(j, "results", file))
        r.rows.push_back(ProofRow{
            field<std::string>(row, "property", file), field<std::string>(row, "verdict", file),
            row.contains("expected")
                ? "expected for this profile: " + row.value("expected", std::string())
                : row.value("reason", std::string()),
            field<double>(row, "seconds", file), row.value("core", std::vector<std::string>())});
      d.proofs.push_back(std::move(r));
    } else {
      throw std::runtime_error(file + ": unknown kind of recorded data '" + p.kind + "'");
    }
  }
  return d;
}

} // namespace ptmc::report
