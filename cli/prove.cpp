// ptmc prove: the register facts of prove/ for one profile (or one mutant of it). Each fact runs
// in a child process (this same binary) that the parent kills at the deadline, because Z3 4.8
// does not always honour its own timeouts.
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "common/atomic_file.hpp"
#include "kernel/subprocess.hpp"
#include "model/profile.hpp"
#include "prove/facts.hpp"
#include "prove/induction.hpp"
#include "report/recorded_data.hpp"

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unistd.h>

namespace ptmc::cli {

namespace po = boost::program_options;
using nlohmann::json;

namespace {

json to_json(const prove::FactResult& r) {
  json j = {{"property", r.fact},
            {"verdict", prove::verdict_name(r.verdict)},
            {"seconds", r.seconds},
            {"cases", r.cases},
            {"paths", r.paths}};
  if (!r.reason.empty()) j["reason"] = r.reason;
  if (r.verdict == prove::Verdict::proved) j["core"] = r.core;
  if (r.verdict == prove::Verdict::refuted) {
    j["from"] = r.from;
    j["move"] = r.move;
    j["counterexample"] = r.counterexample;
    j["alphabet_writes_it"] = r.alphabet_writes_it;
    if (!r.scenario.empty()) j["scenario"] = r.scenario;
    if (!r.scenario_note.empty()) j["scenario_note"] = r.scenario_note;
  }
  return j;
}

json to_json(const prove::ProtocolResult& r) {
  json j = {{"property", r.property},     {"verdict", prove::verdict_name(r.verdict)},
            {"seconds", r.seconds},       {"kind", "protocol"},
            {"controls", r.controls},     {"paths", r.paths},
            {"bmc_states", r.bmc_states}, {"bmc_depth", r.bmc_depth},
            {"invariants", r.invariants}};
  if (!r.reason.empty()) j["reason"] = r.reason;
  if (r.verdict == prove::Verdict::proved) {
    j["core"] = r.core;
    j["k"] = r.k;
  }
  if (r.verdict == prove::Verdict::refuted && !r.scenario.empty()) {
    j["scenario"] = r.scenario;
    j["steps"] = r.steps;
  }
  return j;
}

std::string self_path() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw std::runtime_error("cannot find this program's path (/proc/self/exe)");
  return std::string(buf, static_cast<size_t>(n));
}

// Runs one fact in a child and returns its result; a child that misses the deadline is killed
// and the fact is unknown.
json prove_in_child(const std::string& profile, const std::string& mutant, const std::string& fact,
                    int bound, double timeout_s, bool explain) {
  std::vector<std::string> argv = {self_path(),  "prove", "--profile", profile,
                                   "--property", fact,    "--bound",   std::to_string(bound),
                                   "--child"};
  if (!mutant.empty()) argv.insert(argv.end(), {"--mutant", mutant});
  if (explain) argv.push_back("--explain"); // a protocol proof then enumerates rule literals
  const auto start = std::chrono::steady_clock::now();
  const kernel::ChildResult c = kernel::run_child(argv, timeout_s);
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const json unknown = {{"property", fact}, {"verdict", "unknown"}, {"seconds", elapsed}};
  if (c.timed_out) {
    json j = unknown;
    j["reason"] = fmt::format("timeout: no answer within {} s (the prover was killed)", timeout_s);
    return j;
  }
  if (c.spawn_error || !WIFEXITED(c.status) || WEXITSTATUS(c.status) != 0) {
    json j = unknown;
    j["reason"] =
        "the prover's child failed: " + (c.spawn_error ? *c.spawn_error : c.err.substr(0, 300));
    return j;
  }
  try {
    return json::parse(c.out);
  } catch (const json::exception&) {
    json j = unknown;
    j["reason"] = "the prover's child printed no result";
    return j;
  }
}

} // namespace

int cmd_prove(const Args& args) {
  po::options_description d("ptmc prove --profile P [options]: prove the register facts for all "
                            "64-bit values (prove/README.md)");
  d.add_options()("profile,p", po::value<std::string>()->required(), "the profile")(
      "property", po::value<std::string>(), "only this fact or protocol property (see --list)")(
      "mutant", po::value<std::string>(), "prove against the mutant of this rule (ptmc rules)")(
      "bound", po::value<int>()->default_value(prove::kDefaultBound),
      "the facts range over the states the explorer reaches at this program bound, with every "
      "register value")("timeout", po::value<double>()->default_value(300.0),
                        "seconds per fact or property; the prover is killed then and the result "
                        "is unknown (a protocol proof takes 15-25 s on a quiet 2-core machine, "
                        "several times that under load)")(
      "explain", "name the rules and deltas each proof's unsat core used")(
      "json", "print the results as JSON (stable keys: profile, mutant, results[])")(
      "scenario-out", po::value<std::string>(),
      "write each refutation's counterexample scenario to this file (back to back; `ptmc run "
      "FILE` replays them)")(
      "record", po::value<std::string>(),
      "also write the JSON, with the command, date and kernel, to this data file (ptmc report "
      "shows it)")("list", "list the facts and exit")("child",
                                                      "(internal) decide one fact in this process");
  po::variables_map vm;
  if (!parse_options(args, d, nullptr, vm)) return kOk;

  if (vm.count("list")) {
    for (const auto& f : prove::register_facts()) fmt::print("{:<26} {}\n", f.name, f.statement);
    for (PropertyId id : prove::protocol_properties())
      fmt::print("{:<26} (protocol, by induction) {}\n", property_info(id).name,
                 property_info(id).meaning);
    for (const auto& i : prove::strengthening_invariants())
      fmt::print("{:<26} (strengthening invariant, proved with the properties that use it) {}\n",
                 i.name, i.statement);
    return kOk;
  }
  const std::string name = vm["profile"].as<std::string>();
  const Profile* base = find_profile(name);
  if (!base) throw UsageError("unknown profile '" + name + "' (see 'ptmc profiles')");
  if (const auto why = prove::unsupported(*base)) throw UsageError(*why);
  Profile profile = *base;
  std::string mutant;
  if (vm.count("mutant")) {
    mutant = vm["mutant"].as<std::string>();
    const auto rule = rule_by_name(mutant);
    if (!rule) throw UsageError("unknown rule '" + mutant + "' (see 'ptmc rules')");
    if (!profile.rules().test(static_cast<size_t>(*rule)))
      throw UsageError("rule '" + mutant + "' is not one of " + name + "'s rules");
    profile = mutant_profile(*base, *rule);
  }
  std::vector<std::string> facts;
  if (vm.count("property")) {
    const std::string f = vm["property"].as<std::string>();
    bool known = false;
    for (const auto& info : prove::register_facts()) known = known || info.name == f;
    known = known || prove::is_protocol_property(f);
    if (!known) throw UsageError("unknown property '" + f + "' (see 'ptmc prove --list')");
    facts.push_back(f);
  } else {
    for (const auto& info : prove::register_facts()) facts.emplace_back(info.name);
    for (PropertyId id : prove::protocol_properties()) facts.emplace_back(property_info(id).name);
  }
  const double timeout = vm["timeout"].as<double>();
  if (!(timeout > 0)) throw UsageError("--timeout must be positive");
  const int bound = vm["bound"].as<int>();
  if (bound < 0 || bound > 6) throw UsageError("--bound must be 0 to 6");

  if (vm.count("child")) {
    prove::InductionOptions induction;
    induction.explain = vm.count("explain") > 0;
    for (const auto& f : facts)
      fmt::print("{}\n", prove::is_protocol_property(f)
                             ? to_json(prove::prove_protocol(profile, f, induction)).dump()
                             : to_json(prove::prove_fact(profile, f, bound)).dump());
    return kOk;
  }

  json results = json::array();
  bool refuted = false, unknown = false;
  for (const auto& f : facts) {
    json r = prove_in_child(name, mutant, f, bound, timeout, vm.count("explain") > 0);
    // A violation the profile documents (a quirk of the kernel it models, as `ptmc check` lists
    // it) is still refuted, but does not fail the run, as in check.
    const ExpectedViolation* expected =
        r["verdict"] == "refuted" ? profile.expected_violation(f) : nullptr;
    if (expected) r["expected"] = expected->explanation;
    refuted = refuted || (r["verdict"] == "refuted" && !expected);
    unknown = unknown || r["verdict"] == "unknown";
    results.push_back(std::move(r));
  }
  const json all = {{"profile", name}, {"mutant", mutant}, {"bound", bound}, {"results", results}};
  if (vm.count("scenario-out")) {
    std::string text;
    for (const json& r : results)
      if (r.contains("scenario"))
        text += "# ptmc prove: a counterexample to " + r["property"].get<std::string>() + "\n" +
                r["scenario"].get<std::string>();
    AtomicFile file(vm["scenario-out"].as<std::string>());
    file.out() << text;
    if (auto e = file.commit()) return write_failed("prove", *e);
  }
  if (vm.count("record"))
    if (auto e =
            report::write_record(vm["record"].as<std::string>(),
                                 report::record_header("prove", command_line("prove", args)), all))
      return write_failed("prove", *e);
  if (vm.count("json")) {
    fmt::print("{}\n", all.dump(2));
  } else {
    fmt::print("prove {}{}: register facts for all 64-bit values; protocol properties for "
               "programs of any length\n",
               name, mutant.empty() ? "" : " (mutant " + mutant + ")");
    for (const json& r : results) {
      fmt::print("  {:<8} {:<26} {:.3f} s\n", r["verdict"].get<std::string>(),
                 r["property"].get<std::string>(), r["seconds"].get<double>());
      if (r.contains("reason")) fmt::print("           {}\n", r["reason"].get<std::string>());
      if (r.contains("expected"))
        fmt::print("           expected for this profile: {}\n", r["expected"].get<std::string>());
      if (r.contains("counterexample")) {
        std::string values;
        for (const auto& [k, v] : r["counterexample"].items())
          values += fmt::format("{}{} = {}", values.empty() ? "" : ", ", k, v.get<std::string>());
        fmt::print("           counterexample: from a {}, {}\n", r["from"].get<std::string>(),
                   r["move"].get<std::string>());
        fmt::print("           with {}\n", values);
        if (r.contains("scenario")) {
          fmt::print("           a scenario that replays it (`ptmc run`; --scenario-out FILE "
                     "writes it):\n");
          std::istringstream lines(r["scenario"].get<std::string>());
          for (std::string line; std::getline(lines, line);) fmt::print("             {}\n", line);
        } else if (!r["alphabet_writes_it"].get<bool>()) {
          fmt::print("           (register values the scenario alphabet cannot write: it sets "
                     "only the RFLAGS bits CF, ZF, TF, IF and bit 1)\n");
        } else {
          fmt::print("           (no replayable scenario: {})\n",
                     r.value("scenario_note", std::string("not found")));
        }
      }
      if (r.contains("steps")) { // a protocol property's counterexample
        fmt::print("           counterexample ({} steps from the initial stop; `ptmc run` "
                   "replays it):\n",
                   r["steps"].get<int>());
        std::string text = r["scenario"].get<std::string>();
        for (size_t at = 0; at < text.size();) {
          const size_t end = text.find('\n', at);
          fmt::print("             {}\n", text.substr(at, end - at));
          at = end == std::string::npos ? text.size() : end + 1;
        }
      }
      if (r.contains("k") && r.contains("invariants")) {
        std::string invs;
        for (const auto& i : r["invariants"])
          invs += (invs.empty() ? "" : ", ") + i.get<std::string>();
        fmt::print("           by induction, k = {}, over {} abstract control parts{}\n",
                   r["k"].get<int>(), r["controls"].get<size_t>(),
                   invs.empty() ? "" : ", with the invariants " + invs);
      }
      if (vm.count("explain") && r.contains("core")) {
        std::string core;
        for (const auto& c : r["core"]) core += (core.empty() ? "" : ", ") + c.get<std::string>();
        fmt::print("           rests on: {}\n", core);
      }
    }
  }
  return refuted ? kViolation : unknown ? kLimit : kOk;
}

} // namespace ptmc::cli
