// ptmc mutate: derive one mutant per rule from the rule table (a decision negated, an effect
// skipped, a choice flipped; see model/rules.hpp), check each with the properties, and, given a
// real-kernel target, with a differential run. Reports which check killed each mutant.
#include "cli/commands.hpp"
#include "cli/diff_core.hpp"
#include "cli/options.hpp"
#include "common/atomic_file.hpp"
#include "engine/check.hpp"
#include "model/profile.hpp"
#include "props/properties.hpp"
#include "report/recorded_data.hpp"

#include <fmt/core.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

namespace ptmc::cli {

namespace po = boost::program_options;

int cmd_mutate(const Args& args) {
  po::options_description d(
      "ptmc mutate --profile P [options]: score the properties against mutants");
  d.add_options()("profile,p", po::value<std::string>()->required(),
                  "the profile to mutate")("bound,b", po::value<int>()->default_value(4),
                                           "program length bound for each mutant's check")(
      "on", po::value<std::string>(),
      "also diff each mutant against this kernel target (host, qemu-x86_64, qemu-aarch64)")(
      "diff-length", po::value<int>()->default_value(2),
      "with --on: program length of the diff enumeration")(
      "diff-depth", po::value<int>()->default_value(2),
      "with --on: tracer actions per diff scenario")(
      "diff-random", po::value<long long>()->default_value(3000),
      "with --on: random scenarios (signals, edits, detach, kill) added to the enumeration")(
      "scenarios", po::value<std::string>(), "with --on: also the *.ptmc files of this directory")(
      "report", po::value<std::string>(), "write the table as Markdown to this file")(
      "record", po::value<std::string>(),
      "write the table, with the command, date and kernel, to this data file (for ptmc report)")(
      "quiet,q", "no progress");
  po::variables_map vm;
  if (!parse_options(args, d, nullptr, vm)) return kOk;
  const std::string name = vm["profile"].as<std::string>();
  const Profile* base = find_profile(name);
  if (!base) throw UsageError("unknown profile '" + name + "' (see 'ptmc profiles')");
  if (base->kernel != "linux")
    throw UsageError("mutation scores are for Linux profiles, whose mutants a real kernel can "
                     "kill; '" +
                     name + "' is " + base->kernel);
  const int bound = vm["bound"].as<int>();
  if (bound < 1 || bound > 12) throw UsageError("--bound must be 1..12 for mutation runs");

  // The real kernel's traces do not depend on the mutant: run the corpus once. It is the
  // systematic enumeration, a random sample with signals and register edits, and the
  // hand-written scenarios.
  std::vector<DiffCorpus> corpora;
  std::string kernel_desc;
  size_t corpus_size = 0;
  if (vm.count("on")) {
    DiffSpec spec;
    spec.profile = base;
    spec.target = vm["on"].as<std::string>();
    if (!kernel::is_target(spec.target)) throw UsageError("unknown target '" + spec.target + "'");
    if (const auto why = target_arch_mismatch(*base, spec.target)) throw UsageError(*why);
    spec.length = vm["diff-length"].as<int>();
    spec.depth = vm["diff-depth"].as<int>();
    spec.quiet = vm.count("quiet") > 0;
    if (vm.count("scenarios")) {
      for (const auto& e : std::filesystem::directory_iterator(vm["scenarios"].as<std::string>()))
        if (e.path().extension() == ".ptmc") spec.extra_files.push_back(e.path().string());
      std::sort(spec.extra_files.begin(), spec.extra_files.end());
    }
    corpora.push_back(collect_kernel_traces(spec));
    const long long n = vm["diff-random"].as<long long>();
    if (n > 0) {
      DiffSpec random = spec;
      random.extra_files.clear();
      random.random = static_cast<size_t>(n);
      random.seed = 2026;
      corpora.push_back(collect_kernel_traces(random));
    }
    for (const auto& c : corpora)
      if (c.fatal) {
        fmt::print(stderr, "ptmc mutate: {}\n", *c.fatal);
        return kBadInput;
      }
    for (const auto& c : corpora) corpus_size += c.scenarios.size();
    kernel_desc = fmt::format("with a diff of {} scenarios on {} (Linux {})", corpus_size,
                              corpora[0].target, corpora[0].kernel_release);
    // The unmutated model must agree with the kernel first, or every mutant looks killed.
    for (const auto& c : corpora) {
      const auto d = diff_model_against(c, *base, 0);
      if (d.disagree) {
        fmt::print(
            stderr,
            "ptmc mutate: {} itself disagrees with {} on {} scenarios; run ptmc diff first\n",
            base->name, c.target, d.disagree);
        return kViolation;
      }
    }
  }

  struct Row {
    std::string rule, layer, kind, status, detail;
    bool killed;
  };
  std::vector<Row> rows;
  const auto t0 = std::chrono::steady_clock::now();
  // One mutant per rule of the profile's own layers.
  std::vector<RuleInfo> rules;
  const RuleSet own = base->rules();
  for (const RuleInfo& r : rule_table())
    if (own.test(static_cast<size_t>(r.id))) rules.push_back(r);
  for (size_t i = 0; i < rules.size(); ++i) {
    const RuleInfo& rule = rules[i];
    const Profile mutant = mutant_profile(*base, rule.id);
    if (!vm.count("quiet") && stderr_is_terminal())
      fmt::print(stderr, "\r[mutate] {}/{} {:<40}", i + 1, rules.size(), rule.name);
    CheckOptions o;
    o.bound = bound;
    const CheckReport rep = check_profile(mutant, o);
    Row row{std::string(rule.name),
            std::string(layer_info(rule.layer).path),
            std::string(rule_kind_name(rule.kind)),
            "survived",
            "",
            false};
    std::vector<std::string> by;
    for (const auto& r : rep.results)
      if (r.verdict == Verdict::violated) by.push_back(std::string(property_info(r.property).name));
    if (!by.empty()) {
      row.killed = true;
      row.status = "killed by property";
      row.detail = fmt::format("{}", fmt::join(by, ", "));
    } else {
      size_t disagree = 0, compared = 0;
      for (const auto& c : corpora) {
        const auto diff = diff_model_against(c, mutant, 0);
        disagree += diff.disagree;
        compared += diff.compared;
      }
      if (disagree > 0) {
        row.killed = true;
        row.status = "killed only by diff";
        row.detail = fmt::format("{} of {} scenarios disagree", disagree, compared);
      }
    }
    if (!row.killed && !rep.rules_covered.test(static_cast<size_t>(rule.id)))
      row.detail = "rule never consulted at this bound";
    rows.push_back(row);
  }
  if (!vm.count("quiet") && stderr_is_terminal()) fmt::print(stderr, "\r{:80}\r", "");
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  size_t killed = 0;
  for (const auto& r : rows) killed += r.killed;
  const double rate = rows.empty() ? 0 : 100.0 * killed / rows.size();
  std::string table = fmt::format(
      "| mutant (rule changed) | layer | kind | result | by |\n|---|---|---|---|---|\n");
  for (const auto& r : rows)
    table +=
        fmt::format("| {} | {} | {} | {} | {} |\n", r.rule, r.layer, r.kind, r.status, r.detail);
  const std::string summary = fmt::format(
      "{} mutants of {}, {} killed ({:.1f}%), bound {}, {}; {:.1f} s", rows.size(), base->name,
      killed, rate, bound, corpora.empty() ? std::string("properties only") : kernel_desc, secs);
  fmt::print("{}\n\n{}", summary, table);
  if (vm.count("report")) {
    const std::string report =
        fmt::format("# Mutation score: {}\n\nGenerated by `ptmc mutate --profile {} --bound {}{}`."
                    "\n\n{}\n\n{}",
                    base->name, base->name, bound,
                    corpora.empty() ? std::string() : " --on " + corpora[0].target, summary, table);
    if (auto e = write_file_atomically(vm["report"].as<std::string>(), report))
      return write_failed("mutate", *e);
  }
  if (vm.count("record")) {
    nlohmann::json rows_json = nlohmann::json::array();
    for (const auto& r : rows)
      rows_json.push_back({{"rule", r.rule},
                           {"layer", r.layer},
                           {"kind", r.kind},
                           {"result", r.status},
                           {"by", r.detail}});
    if (auto e = report::write_record(
            vm["record"].as<std::string>(),
            report::record_header("mutation", command_line("mutate", args)),
            {{"profile", base->name},
             {"bound", bound},
             {"target", corpora.empty() ? std::string() : corpora[0].target},
             {"kernel", corpora.empty() ? std::string() : corpora[0].kernel_release},
             {"scenarios", corpus_size},
             {"mutants", rows.size()},
             {"killed", killed},
             {"seconds", secs},
             {"rows", rows_json}}))
      return write_failed("mutate", *e);
  }
  return kOk;
}

} // namespace ptmc::cli
