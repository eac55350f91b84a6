// ptmc diff --on TARGET: the model against a real kernel, over a systematic enumeration or a
// random sample. Disagreements are minimized and shown side by side.
#include "cli/commands.hpp"
#include "cli/diff_core.hpp"
#include "cli/options.hpp"
#include "common/atomic_file.hpp"
#include "engine/runner.hpp"
#include "kernel/subprocess.hpp"
#include "model/models.hpp"
#include "report/recorded_data.hpp"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>

namespace ptmc::cli {

namespace po = boost::program_options;

namespace {

bool disagrees(const Scenario& s, const kernel::Outcome& o, const Profile& p) {
  if (o.status != kernel::OutcomeStatus::ok) return false;
  const ModelRun run = run_on_model(s, p);
  return !run.error && first_difference(run.trace, o.trace).has_value();
}

// One-step shrinks of a scenario: drop an action, drop an instruction, make one a nop, drop the
// repeat. Each is still a valid scenario for the model.
std::vector<Scenario> shrinks(const Scenario& s) {
  std::vector<Scenario> out;
  for (size_t i = s.actions.size(); i-- > 0;) {
    Scenario t = s;
    t.actions.erase(t.actions.begin() + static_cast<long>(i));
    out.push_back(t);
  }
  for (size_t i = s.program.size(); i-- > 0;) {
    Scenario t = s;
    t.program.erase(t.program.begin() + static_cast<long>(i));
    if (!t.program.empty()) out.push_back(t);
    if (s.program[i].op != Op::nop) {
      Scenario u = s;
      u.program[i] = Insn{Op::nop, 0, Arg::buf};
      out.push_back(u);
    }
  }
  for (size_t i = 0; i < s.actions.size(); ++i)
    if (!s.actions[i].edits.empty() || s.actions[i].signal || s.actions[i].pass) {
      Scenario t = s;
      t.actions[i].edits.clear();
      t.actions[i].signal = 0;
      t.actions[i].pass = false;
      out.push_back(t);
    }
  std::vector<Scenario> valid;
  for (auto& t : out)
    if (!unsupported_by_model(t)) valid.push_back(std::move(t));
  return valid;
}

// Greedy shrinking against the real target: each round runs every one-step shrink in one batch
// (one VM boot on qemu) and keeps the first that still disagrees.
std::pair<Scenario, kernel::Outcome> minimize(const DiffSpec& spec, Scenario s, kernel::Outcome o,
                                              int max_rounds) {
  for (int round = 0; round < max_rounds; ++round) {
    const auto candidates = shrinks(s);
    if (candidates.empty()) break;
    DiffSpec quiet = spec;
    quiet.quiet = true;
    const DiffCorpus c = run_batch_on_target(quiet, candidates);
    bool progressed = false;
    for (size_t i = 0; i < candidates.size() && i < c.outcomes.size(); ++i)
      if (disagrees(candidates[i], c.outcomes[i], *spec.profile)) {
        s = candidates[i];
        o = c.outcomes[i];
        progressed = true;
        break;
      }
    if (!progressed) break;
  }
  return {s, o};
}

void side_by_side(const Trace& model, const Trace& kernel, const std::string& kernel_name) {
  fmt::print("  {:<4} {:<70} | {}\n", "", "model", kernel_name);
  const size_t n = std::max(model.size(), kernel.size());
  for (size_t i = 0; i < n; ++i) {
    const std::string a = i < model.size() ? format_trace_line(model[i]) : "";
    const std::string b = i < kernel.size() ? format_trace_line(kernel[i]) : "";
    fmt::print("  {:<4} {:<70} | {}\n", a == b ? "" : "≠", a, a == b ? "=" : b);
  }
}

} // namespace

int cmd_diff(const Args& args) {
  po::options_description d(
      "ptmc diff --on TARGET [options]: compare the model with a real kernel");
  d.add_options()("on", po::value<std::string>()->required(), "host, qemu-x86_64 or qemu-aarch64")(
      "profile,p", po::value<std::string>()->default_value("linux-x86_64"),
      "the model profile")("length", po::value<int>()->default_value(2),
                           "programs of 1..N instructions over the alphabet")(
      "depth", po::value<int>()->default_value(2),
      "tracer actions per scenario, before `repeat cont sig=pass`")(
      "random", po::value<long long>(), "sample N random scenarios instead of enumerating")(
      "seed", po::value<unsigned long long>()->default_value(1), "seed for --random")(
      "add-random", po::value<long long>(), "add N random scenarios to the enumeration")(
      "require-all-rules", "exit 1 unless every model rule is confirmed by an agreeing run")(
      "scenarios", po::value<std::string>(), "also run every *.ptmc file in this directory")(
      "kernel", po::value<std::string>(), "qemu targets: boot this kernel image")(
      "batch", po::value<long long>()->default_value(4000), "scenarios per agent run / VM boot")(
      "jobs", po::value<int>(),
      "agents (host) or VMs (qemu) side by side (default: host one per core, qemu 1)")(
      "examples", po::value<int>()->default_value(3), "disagreements to minimize and show")(
      "json", "print JSON")("report", po::value<std::string>(),
                            "write a Markdown report to this file")(
      "record", po::value<std::string>(),
      "write the results, with each rule's number of confirming scenarios, to this data file "
      "(for ptmc report)")("quiet,q", "no progress");
  po::variables_map vm;
  if (!parse_options(args, d, nullptr, vm)) return kOk;

  DiffSpec spec;
  const std::string pname = vm["profile"].as<std::string>();
  spec.profile = find_profile(pname);
  if (!spec.profile) throw UsageError("unknown profile '" + pname + "'");
  if (const auto why = no_target_for_kernel(*spec.profile)) throw UsageError(*why);
  spec.target = vm["on"].as<std::string>();
  if (!kernel::is_target(spec.target))
    throw UsageError("unknown target '" + spec.target + "' (host, qemu-x86_64, qemu-aarch64)");
  if (const auto why = target_arch_mismatch(*spec.profile, spec.target)) throw UsageError(*why);
  spec.length = vm["length"].as<int>();
  spec.depth = vm["depth"].as<int>();
  if (spec.length < 1 || spec.length > 4) throw UsageError("--length must be 1..4");
  if (spec.depth < 0 || spec.depth > 6) throw UsageError("--depth must be 0..6");
  if (vm.count("jobs")) {
    const int j = vm["jobs"].as<int>();
    if (j < 1 || j > 256) throw UsageError("--jobs must be between 1 and 256");
    spec.jobs = static_cast<unsigned>(j);
  }
  if (vm.count("random")) {
    const long long n = vm["random"].as<long long>();
    if (n < 1) throw UsageError("--random must be positive");
    spec.random = static_cast<size_t>(n);
  }
  spec.seed = vm["seed"].as<unsigned long long>();
  if (vm.count("add-random")) {
    const long long n = vm["add-random"].as<long long>();
    if (n < 1) throw UsageError("--add-random must be positive");
    spec.add_random = static_cast<size_t>(n);
  }
  const long long batch = vm["batch"].as<long long>();
  if (batch < 1) throw UsageError("--batch must be positive");
  spec.batch = static_cast<size_t>(batch);
  spec.quiet = vm.count("quiet") > 0;
  if (vm.count("kernel")) spec.target_options.kernel_image = vm["kernel"].as<std::string>();
  if (vm.count("scenarios")) {
    const std::string dir = vm["scenarios"].as<std::string>();
    if (!std::filesystem::is_directory(dir))
      throw UsageError("--scenarios: not a directory: " + dir);
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(dir))
      if (e.path().extension() == ".ptmc") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    spec.extra_files = files;
  }

  kernel::end_children_on_signals(); // Ctrl-C or SIGTERM ends the VMs and agents too
  const DiffCorpus corpus = collect_kernel_traces(spec);
  if (corpus.fatal) {
    fmt::print(stderr, "ptmc diff: {}: {}\n", spec.target, *corpus.fatal);
    return kLimit;
  }
  const DiffOutcome out =
      diff_model_against(corpus, *spec.profile, static_cast<size_t>(vm["examples"].as<int>()));
  const std::string kernel_name = spec.target + " Linux " + corpus.kernel_release;

  // Only the rules of the profile's own layers can be confirmed by running it.
  const RuleSet own = spec.profile->rules();
  std::vector<std::string> unconfirmed;
  for (const auto& r : rule_table())
    if (own.test(static_cast<size_t>(r.id)) && !out.confirmed.test(static_cast<size_t>(r.id)))
      unconfirmed.push_back(std::string(r.name));

  const double rate = corpus.seconds > 0 ? corpus.scenarios.size() / corpus.seconds : 0;
  // What --json prints and --record keeps.
  nlohmann::json summary = {{"profile", spec.profile->name},
                            {"target", spec.target},
                            {"kernel", corpus.kernel_release},
                            {"accel", corpus.accel},
                            {"scenarios", corpus.scenarios.size()},
                            {"compared", out.compared},
                            {"agree", out.agree},
                            {"disagree", out.disagree},
                            {"kernel_failed", out.kernel_failed},
                            {"model_refused", out.model_refused},
                            {"seconds", corpus.seconds},
                            {"seconds_boot", corpus.seconds_boot},
                            {"unconfirmed_rules", unconfirmed},
                            {"errors", corpus.errors}};
  if (vm.count("json")) {
    fmt::print("{}\n", summary.dump(2));
  } else {
    fmt::print("ptmc diff: model {} against {} ({}{})\n", spec.profile->name, spec.target,
               corpus.kernel_release.empty() ? "kernel unknown" : "Linux " + corpus.kernel_release,
               corpus.accel.empty() ? "" : ", " + corpus.accel);
    fmt::print(
        "scenarios {}: {} agree, {} disagree, {} failed on the kernel, {} refused by the model\n",
        corpus.scenarios.size(), out.agree, out.disagree, out.kernel_failed, out.model_refused);
    fmt::print("kernel time {:.1f} s ({:.0f} scenarios/s{})\n", corpus.seconds, rate,
               corpus.seconds_boot > 0 ? fmt::format(", {:.1f} s booting", corpus.seconds_boot)
                                       : "");
    fmt::print("rules confirmed by agreeing runs: {} of {}\n", own.count() - unconfirmed.size(),
               own.count());
    if (!unconfirmed.empty()) {
      fmt::print("unconfirmed rules:");
      for (const auto& u : unconfirmed) fmt::print(" {}", u);
      fmt::print("\n");
    }
    for (const auto& e : corpus.errors) fmt::print("target error: {}\n", e);
    size_t failures = 0;
    for (size_t k = 0; k < corpus.outcomes.size(); ++k)
      if (corpus.outcomes[k].status != kernel::OutcomeStatus::ok && failures++ < 10)
        fmt::print("kernel failure in {}: {}\n", corpus.scenarios[k].source,
                   corpus.outcomes[k].message);
    if (failures > 10) fmt::print("... and {} more kernel failures\n", failures - 10);
    for (size_t idx : out.disagreements) {
      auto [s, o] = minimize(spec, corpus.scenarios[idx], corpus.outcomes[idx], 12);
      const ModelRun run = run_on_model(s, *spec.profile);
      fmt::print("\ndisagreement ({}, minimized):\n{}", corpus.scenarios[idx].source,
                 format_scenario(s));
      side_by_side(run.trace, o.trace, kernel_name);
    }
  }
  if (vm.count("report")) {
    const std::string report = fmt::format(
        "# Differential run: {} against {}\n\n{} scenarios, {} agree, {} disagree, {} failed on "
        "the kernel, {} refused by the model.\n\nUnconfirmed rules: {}\n",
        spec.profile->name, kernel_name, corpus.scenarios.size(), out.agree, out.disagree,
        out.kernel_failed, out.model_refused,
        unconfirmed.empty() ? std::string("none")
                            : fmt::format("{}", fmt::join(unconfirmed, ", ")));
    if (auto e = write_file_atomically(vm["report"].as<std::string>(), report))
      return write_failed("diff", *e);
  }
  if (vm.count("record")) {
    nlohmann::json confirmations = nlohmann::json::object();
    for (const auto& r : rule_table())
      if (own.test(static_cast<size_t>(r.id)))
        confirmations[std::string(r.name)] = out.confirmations[static_cast<size_t>(r.id)];
    summary["rule_confirmations"] = confirmations;
    if (auto e = report::write_record(vm["record"].as<std::string>(),
                                      report::record_header("diff", command_line("diff", args)),
                                      summary))
      return write_failed("diff", *e);
  }
  if (out.disagree > 0 || out.kernel_failed > 0) return kViolation;
  if (vm.count("require-all-rules") && !unconfirmed.empty()) {
    fmt::print(stderr, "ptmc diff: {} rules have no agreeing run on {}\n", unconfirmed.size(),
               spec.target);
    return kViolation;
  }
  if (!corpus.errors.empty()) return kLimit;
  return kOk;
}

} // namespace ptmc::cli
