// ptmc crossarch: Linux x86_64 against Linux arm64, on one scenario family.
//
// Every scenario of the family runs on both models (or, with --on-kernels, on both QEMU targets,
// Debian's 6.1 amd64 and arm64 kernels); the traces are projected onto the common observation
// (docs/trace-format.md) and compared. For each scenario whose observations differ, the reason
// is the rule that explains the first difference: the one rule of either architecture's own
// layers whose mutant (model/rules.hpp) moves that difference furthest, or removes it. The
// property verdicts of both profiles are printed side by side, and a property that holds on one
// and not on the other is attributed the same way: to the rules of the violating profile whose
// mutants make it hold.
#include "cli/commands.hpp"
#include "cli/diff_core.hpp"
#include "cli/options.hpp"
#include "common/atomic_file.hpp"
#include "engine/check.hpp"
#include "engine/runner.hpp"
#include "model/profile.hpp"
#include "props/properties.hpp"

#include <fmt/core.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>

namespace ptmc::cli {

namespace po = boost::program_options;

namespace {

using Common = std::vector<CommonObservation>;

Common project(const Trace& t) {
  Common c;
  for (const TraceLine& l : t) c.push_back(common_observation(l));
  return c;
}

// Index of the first common observation that differs, or nullopt when the two are equal.
std::optional<size_t> first_common_difference(const Common& a, const Common& b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i)
    if (!(a[i] == b[i])) return i;
  if (a.size() != b.size()) return n;
  return std::nullopt;
}

// The x86_64 twin of an arm64 scenario: the same program and actions; a syscall-number edit
// keeps its meaning (172, getpid on arm64, becomes 39).
Scenario as_x86(const Scenario& arm) {
  Scenario s = arm;
  s.profile = "linux-x86_64";
  s.expect.reset();
  const auto translate = [](Action& a) {
    for (Edit& e : a.edits)
      if (e.reg == Reg::orig_rax)
        e.value = alphabet_syscall(Arch::aarch64, e.value).value_or(e.value);
  };
  for (Action& a : s.actions) translate(a);
  if (s.repeat) translate(*s.repeat);
  return s;
}

// The rules a profile has of its own, apart from the layers both architectures share.
std::vector<RuleId> own_rules(const Profile& p, const Profile& other) {
  std::vector<RuleId> out;
  const RuleSet mine = p.rules(), theirs = other.rules();
  for (const RuleInfo& r : rule_table())
    if (mine.test(static_cast<size_t>(r.id)) && !theirs.test(static_cast<size_t>(r.id)))
      out.push_back(r.id);
  return out;
}

struct Pair {
  Scenario arm, x86;
  Trace arm_trace, x86_trace;
};

struct Reason {
  std::optional<RuleId> rule; // nullopt: no single rule explains it
  std::string field;          // of the first difference
};

// Which field of the first differing observations differs, for the report.
std::string differing_field(const Common& a, const Common& b, size_t at) {
  if (at >= a.size() || at >= b.size()) return "length";
  const CommonObservation &x = a[at], &y = b[at];
  if (x.kind != y.kind) return "kind";
  if (!(x.at == y.at)) return "at";
  if (x.signal != y.signal) return "sig";
  if (x.op != y.op) return "op";
  if (x.result != y.result) return "result";
  if (x.syscall != y.syscall) return "nr";
  if (x.seteq != y.seteq) return "seteq";
  if (x.zero != y.zero) return "zero";
  if (x.step_flag != y.step_flag) return "step";
  if (x.exit_code != y.exit_code) return "code";
  return "written";
}

// The rule behind the first difference. First choice: the one rule of either side whose mutant
// moves that difference furthest, or removes it. Failing that: a rule whose mutant changes the
// differing field of that line on its own side and nothing before it, the fewest lines changed
// winning: its side makes that value by that rule, and the other side has no such rule.
Reason attribute(const Pair& p, const Profile& arm, const Profile& x86,
                 const std::vector<RuleId>& arm_rules, const std::vector<RuleId>& x86_rules) {
  const Common a = project(p.arm_trace), b = project(p.x86_trace);
  const size_t first = *first_common_difference(a, b);
  Reason out;
  out.field = differing_field(a, b, first);
  size_t best = first;
  std::optional<RuleId> involved;
  size_t involved_changes = std::numeric_limits<size_t>::max();
  const auto consider = [&](const Profile& base, const Scenario& s, RuleId rule, const Common& mine,
                            const Common& other, bool arm_side) {
    const ModelRun run = run_on_model(s, mutant_profile(base, rule));
    if (run.error) return;
    const Common mutated = project(run.trace);
    const auto d = arm_side ? first_common_difference(mutated, other)
                            : first_common_difference(other, mutated);
    const size_t reach = d ? *d : std::numeric_limits<size_t>::max();
    if (reach > best) {
      best = reach;
      out.rule = rule;
    }
    const auto own = first_common_difference(mutated, mine);
    if (!own || *own != first || differing_field(mine, mutated, first) != out.field) return;
    size_t changes = 0;
    for (size_t i = first; i < std::max(mutated.size(), mine.size()); ++i)
      changes += i >= mutated.size() || i >= mine.size() || !(mutated[i] == mine[i]);
    if (changes < involved_changes) {
      involved_changes = changes;
      involved = rule;
    }
  };
  for (RuleId r : arm_rules) consider(arm, p.arm, r, a, b, true);
  for (RuleId r : x86_rules) consider(x86, p.x86, r, b, a, false);
  if (!out.rule) out.rule = involved;
  return out;
}

// A difference no rule of either side explains is the calling convention itself.
std::string abi_reason(const std::string& field) {
  if (field == "result")
    return "calling convention (no rule): x86_64's rax holds the number `nr` loads as well as "
           "the result; arm64 loads the number into x8 and x0 keeps the last result";
  if (field == "code")
    return "calling convention (no rule): exit_group's status is rdi on x86_64 (0 in the "
           "program) and x0 on arm64, the last result";
  return "no single rule of either side";
}

std::string rule_line(RuleId r) {
  const RuleInfo& i = rule_info(r);
  return fmt::format("{} ({}): {}", i.name, layer_info(i.layer).path, i.summary);
}

bool holds(Verdict v) {
  return v == Verdict::holds;
}

} // namespace

int cmd_crossarch(const Args& args) {
  po::options_description d(
      "ptmc crossarch [options]: compare Linux x86_64 and arm64 on one scenario family");
  d.add_options()("length", po::value<int>()->default_value(2),
                  "programs of 1..N instructions over the common alphabet")(
      "depth", po::value<int>()->default_value(2), "tracer actions per enumerated scenario")(
      "add-random", po::value<long long>()->default_value(1000), "random scenarios added")(
      "seed", po::value<unsigned long long>()->default_value(2026), "seed for the random ones")(
      "bound,b", po::value<int>()->default_value(3), "program bound of the property checks")(
      "cause-bound", po::value<int>()->default_value(2),
      "program bound of the mutant checks that find a differing verdict's rules")(
      "on-kernels", "compare the traces of qemu-x86_64 and qemu-aarch64, not of the two models")(
      "report", po::value<std::string>(), "write the report as Markdown to this file")(
      "list", po::value<std::string>(),
      "write every differing scenario, one line each, to this file")("quiet,q", "no progress");
  po::variables_map vm;
  if (!parse_options(args, d, nullptr, vm)) return kOk;
  const Profile& arm = *find_profile("linux-aarch64");
  const Profile& x86 = *find_profile("linux-x86_64");
  const bool quiet = vm.count("quiet") > 0;
  const auto t0 = std::chrono::steady_clock::now();

  // The family: arm64's alphabet is the common one (x86's without its self-step instructions).
  DiffSpec spec;
  spec.profile = &arm;
  spec.length = vm["length"].as<int>();
  spec.depth = vm["depth"].as<int>();
  spec.seed = vm["seed"].as<unsigned long long>();
  spec.add_random = static_cast<size_t>(std::max(0LL, vm["add-random"].as<long long>()));
  spec.quiet = quiet;
  if (spec.length < 1 || spec.length > 4) throw UsageError("--length must be 1..4");
  if (spec.depth < 0 || spec.depth > 6) throw UsageError("--depth must be 0..6");
  std::vector<Pair> pairs;
  for (Scenario& s : enumerate_scenarios(spec)) {
    Pair p;
    p.x86 = as_x86(s);
    p.arm = std::move(s);
    pairs.push_back(std::move(p));
  }

  // The traces: the models, or the two kernels.
  size_t refused = 0, failed = 0;
  std::string source = "the models linux-x86_64 and linux-aarch64";
  std::vector<bool> usable(pairs.size(), true);
  if (vm.count("on-kernels")) {
    std::vector<Scenario> arms, x86s;
    for (const Pair& p : pairs) {
      arms.push_back(p.arm);
      x86s.push_back(p.x86);
    }
    DiffSpec on = spec;
    on.target = "qemu-aarch64";
    const DiffCorpus ca = run_batch_on_target(on, arms);
    on.profile = &x86;
    on.target = "qemu-x86_64";
    const DiffCorpus cx = run_batch_on_target(on, x86s);
    if (ca.fatal || cx.fatal) {
      fmt::print(stderr, "ptmc crossarch: {}\n", ca.fatal ? *ca.fatal : *cx.fatal);
      return kLimit;
    }
    source = fmt::format("Debian's kernels under QEMU: qemu-x86_64 (Linux {}) and qemu-aarch64 "
                         "(Linux {})",
                         cx.kernel_release, ca.kernel_release);
    for (size_t i = 0; i < pairs.size(); ++i) {
      const bool ok = ca.outcomes[i].status == kernel::OutcomeStatus::ok &&
                      cx.outcomes[i].status == kernel::OutcomeStatus::ok;
      if (!ok) {
        ++failed;
        usable[i] = false;
        continue;
      }
      pairs[i].arm_trace = ca.outcomes[i].trace;
      pairs[i].x86_trace = cx.outcomes[i].trace;
    }
  }
  // The models run every scenario anyway: attribution needs them, and a scenario either model
  // refuses is left out on both.
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (!usable[i]) continue;
    const ModelRun ra = run_on_model(pairs[i].arm, arm);
    const ModelRun rx = run_on_model(pairs[i].x86, x86);
    if (ra.error || rx.error) {
      ++refused;
      usable[i] = false;
      continue;
    }
    if (!vm.count("on-kernels")) {
      pairs[i].arm_trace = ra.trace;
      pairs[i].x86_trace = rx.trace;
    }
  }

  // The scenarios whose observations differ, each with its reason.
  const std::vector<RuleId> arm_rules = own_rules(arm, x86), x86_rules = own_rules(x86, arm);
  struct Group {
    size_t count = 0;
    size_t example = 0; // index into pairs
  };
  std::map<std::pair<std::string, std::string>, Group> groups; // (reason, field)
  std::vector<std::string> listing;
  size_t compared = 0, differ = 0;
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (!usable[i]) continue;
    ++compared;
    const Common a = project(pairs[i].arm_trace), b = project(pairs[i].x86_trace);
    const auto at = first_common_difference(a, b);
    if (!at) continue;
    ++differ;
    const Reason why = attribute(pairs[i], arm, x86, arm_rules, x86_rules);
    const std::string reason = why.rule ? rule_line(*why.rule) : abi_reason(why.field);
    Group& g = groups[{reason, why.field}];
    if (g.count++ == 0) g.example = i;
    listing.push_back(
        fmt::format("{}: line {} ({}): {}", pairs[i].arm.source, *at + 1, why.field, reason));
    if (!quiet && stderr_is_terminal() && differ % 100 == 0)
      fmt::print(stderr, "\r[crossarch] {} differing scenarios attributed", differ);
  }
  if (!quiet && stderr_is_terminal()) fmt::print(stderr, "\r{:60}\r", "");

  // The properties, side by side, and the rules behind each verdict that differs.
  CheckOptions co;
  co.bound = vm["bound"].as<int>();
  co.tf_edits = true; // the step flag is the subject: let the tracer write TF and SS too
  const CheckReport rx = check_profile(x86, co);
  const CheckReport ra = check_profile(arm, co);
  struct PropertyRow {
    std::string name;
    Verdict x86, arm;
    std::vector<RuleId> causes; // of the violating side
    std::string side;
  };
  std::vector<PropertyRow> props;
  for (size_t k = 0; k < rx.results.size(); ++k) {
    PropertyRow row{std::string(property_info(rx.results[k].property).name),
                    rx.results[k].verdict,
                    ra.results[k].verdict,
                    {},
                    ""};
    if (holds(row.x86) != holds(row.arm)) {
      const bool arm_violates = !holds(row.arm);
      const Profile& base = arm_violates ? arm : x86;
      row.side = arm_violates ? "aarch64" : "x86_64";
      CheckOptions one = co;
      one.bound = vm["cause-bound"].as<int>();
      one.only = {rx.results[k].property};
      for (RuleId r : arm_violates ? arm_rules : x86_rules) {
        const CheckReport m = check_profile(mutant_profile(base, r), one);
        if (!m.results.empty() && holds(m.results[0].verdict)) row.causes.push_back(r);
      }
    }
    props.push_back(row);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // Text.
  fmt::print("ptmc crossarch: {} scenarios, {} compared ({} refused by a model, {} failed on a "
             "kernel), {} differ; traces of {}\n",
             pairs.size(), compared, refused, failed, differ, source);
  for (const auto& [key, g] : groups)
    fmt::print("  {:>5}  {:<7} {}\n", g.count, key.second, key.first);
  fmt::print("\n{:<28} {:<19} {:<19}\n", "property", "x86_64", "aarch64");
  for (const auto& row : props) {
    fmt::print("{:<28} {:<19} {:<19}\n", row.name, verdict_name(row.x86), verdict_name(row.arm));
    for (RuleId r : row.causes) fmt::print("    {} because of {}\n", row.side, rule_line(r));
  }

  if (vm.count("list")) {
    AtomicFile file(vm["list"].as<std::string>());
    for (const auto& l : listing) file.out() << l << "\n";
    if (auto e = file.commit()) return write_failed("crossarch", *e);
  }
  if (vm.count("report")) {
    AtomicFile file(vm["report"].as<std::string>());
    std::ostream& f = file.out();
    f << "# Linux x86_64 against Linux arm64\n\n"
      << "Generated by `scripts/cross-arch-report.sh` (`ptmc crossarch`) in "
      << fmt::format("{:.0f}", seconds) << " s. One scenario family (programs of 1.." << spec.length
      << " instructions over the "
      << "alphabet both architectures give a meaning to, " << spec.depth
      << " tracer actions, then `repeat cont sig=pass`; and " << spec.add_random
      << " random scenarios with signals, register edits, detach and kill, seed " << spec.seed
      << "), run as linux-x86_64 and as linux-aarch64; traces of " << source
      << ", projected onto the common observation (docs/trace-format.md).\n\n"
      << pairs.size() << " scenarios, " << compared << " compared (" << refused
      << " refused by a model, " << failed << " failed on a kernel), **" << differ
      << " differ**.\n\n"
      << "## Why they differ\n\n"
      << "Each differing scenario's reason is the rule that explains its first difference: the "
         "one rule of either architecture's own layers (linux/entry, linux/x86_64, cpu/x86_64; "
         "linux/aarch64, cpu/aarch64) whose mutant moves that first difference furthest or "
         "removes it. `ptmc crossarch --list FILE` writes every scenario with its reason; the "
         "table groups them, with the first scenario of each group.\n\n"
      << "| scenarios | first difference in | reason (rule, layer: summary) | example |\n"
      << "|---:|---|---|---|\n";
    for (const auto& [key, g] : groups)
      f << "| " << g.count << " | " << key.second << " | " << key.first << " | "
        << pairs[g.example].arm.source << " |\n";
    f << "\n### One example per reason\n";
    for (const auto& [key, g] : groups) {
      const Pair& p = pairs[g.example];
      const Common a = project(p.arm_trace), b = project(p.x86_trace);
      f << "\n**" << key.first << "** (" << g.count << " scenarios)\n\n```\n"
        << format_scenario(p.arm) << "```\n\n| x86_64 | aarch64 |\n|---|---|\n";
      for (size_t i = 0; i < std::max(a.size(), b.size()); ++i)
        f << "| " << (i < b.size() ? format_common(b[i]) : "") << " | "
          << (i < a.size() ? format_common(a[i]) : "") << " |\n";
    }
    f << "\n## Property verdicts side by side\n\n"
      << "`ptmc check --tf-edits` of both profiles (the tracer may also write TF / SS) at "
         "program bound "
      << *co.bound
      << ". A property that holds on one architecture and not on the other is a finding; its "
         "cause is given as the rules of the violating profile's own layers whose mutant makes "
         "the property hold (checked at program bound "
      << vm["cause-bound"].as<int>() << ").\n\n"
      << "| property | x86_64 | aarch64 | cause |\n|---|---|---|---|\n";
    for (const auto& row : props) {
      std::string cause;
      for (RuleId r : row.causes)
        cause += (cause.empty() ? "" : "; ") + row.side + ": `" + std::string(rule_info(r).name) +
                 "` (" + std::string(rule_info(r).summary) + ")";
      if (holds(row.x86) != holds(row.arm) && row.causes.empty())
        cause = "no single rule of the violating side";
      f << "| " << row.name << " | " << verdict_name(row.x86) << " | " << verdict_name(row.arm)
        << " | " << cause << " |\n";
    }
    f << "\nCounterexamples of the violations on aarch64:\n";
    for (const auto& r : ra.results)
      if (r.counterexample)
        f << "\n"
          << property_info(r.property).name << "\n```\n"
          << format_scenario(*r.counterexample) << "```\n";
    if (auto e = file.commit()) return write_failed("crossarch", *e);
  }
  return kOk;
}

} // namespace ptmc::cli
