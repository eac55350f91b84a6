// ptmc security: the attach-permission model (RFC question 5) and its real-kernel cases.
//
//   ptmc security variants                 the variants, worlds and properties
//   ptmc security check [--variant V]...   decide the properties of each variant (all by default)
//   ptmc security predict [--case C]...    the model's prediction for each real-kernel case
//   ptmc security diff --on qemu-x86_64    run the cases in Debian's kernel, compare
//   ptmc security compare                  every case on linux and the Redox variants
//   ptmc security mutate [--variant V]     each rule changed: caught by a property or the kernel?
//
// check and diff write --json FILE for reports/data/rfc/ (report/rfc/README.md).
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "common/atomic_file.hpp"
#include "engine/security_check.hpp"
#include "kernel/security/runner.hpp"
#include "report/recorded_data.hpp"

#include <fmt/core.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <optional>

namespace ptmc::cli {

namespace po = boost::program_options;
using namespace ptmc::security;
// ordered: the data files keep the order things are listed in (report/rfc/README.md).
using json = nlohmann::ordered_json;

namespace {

json steps_json(const Trail& t) {
  json steps = json::array();
  for (const StepRecord& s : t.steps)
    steps.push_back(
        {{"step", s.step}, {"observed", s.observed}, {"breaks", property_names(s.violations)}});
  return steps;
}

json trail_json(const Trail& t) {
  return {{"world", t.world}, {"yama", t.yama}, {"steps", steps_json(t)}};
}

std::string breaks_text(uint32_t violations) {
  std::string text;
  for (const std::string& n : property_names(violations)) text += (text.empty() ? "" : ", ") + n;
  return text.empty() ? "" : "   [breaks " + text + "]";
}

void print_trail(const Trail& t, const std::string& indent) {
  fmt::print("{}world {}{}\n", indent, t.world,
             t.yama ? fmt::format(", Yama ptrace_scope {}", t.yama) : std::string());
  for (const StepRecord& s : t.steps)
    fmt::print("{}  {:<44} -> {}{}\n", indent, s.step, s.observed, breaks_text(s.violations));
}

const Policy& policy_or_throw(const std::string& name) {
  if (const Policy* p = find_policy(name)) return *p;
  std::string known;
  for (const Policy& p : policies()) known += (known.empty() ? "" : ", ") + p.name;
  throw UsageError("unknown variant '" + name + "' (known: " + known + ")");
}

int security_variants(const Args& args) {
  po::options_description d("ptmc security variants: the attach-permission variants, worlds and "
                            "properties");
  d.add_options()("json", "print JSON");
  po::variables_map vm;
  if (!parse_options(args, d, nullptr, vm)) return kOk;
  if (vm.count("json")) {
    json j = {
        {"variants", json::array()}, {"worlds", json::array()}, {"properties", json::array()}};
    for (const Policy& p : policies())
      j["variants"].push_back({{"name", p.name},
                               {"kernel", kernel_name(p.kernel)},
                               {"parent", p.parent},
                               {"summary", p.summary}});
    for (const World& w : worlds())
      j["worlds"].push_back({{"name", w.name},
                             {"summary", w.summary},
                             {"linux", w.linux},
                             {"redox", w.redox},
                             {"processes", w.names}});
    for (const security::PropertyInfo& p : security::properties())
      j["properties"].push_back({{"name", p.name}, {"meaning", p.meaning}});
    fmt::print("{}\n", j.dump(2));
    return kOk;
  }
  fmt::print("variants:\n");
  for (const Policy& p : policies())
    fmt::print("  {:<28} {}{}\n", p.name, p.summary,
               p.parent.empty() ? "" : " [delta on " + p.parent + "]");
  fmt::print("worlds:\n");
  for (const World& w : worlds())
    fmt::print("  {:<24} [{}{}] {}\n", w.name, w.linux ? "linux" : "",
               w.redox ? (w.linux ? " redox" : "redox") : "", w.summary);
  fmt::print("properties:\n");
  for (const security::PropertyInfo& p : security::properties())
    fmt::print("  {:<24} {}\n", p.name, p.meaning);
  return kOk;
}

int security_check(const Args& args) {
  po::options_description d("ptmc security check [--variant V]...: decide the attach-permission "
                            "properties; exit 1 on a violation the variant does not expect");
  d.add_options()("variant", po::value<std::vector<std::string>>(),
                  "a variant (repeatable; default: all)")(
      "bound", po::value<int>()->default_value(kDefaultSecurityBound),
      "actions per path from a world's start")("max-states", po::value<uint64_t>(),
                                               "stop a variant's exploration after this many "
                                               "states (exit 3)")(
      "mutant", po::value<std::string>(),
      "change this rule (kebab-case, see ptmc rules --layer security/linux) in each variant")(
      "json", po::value<std::string>(), "also write the verdicts to FILE")("quiet,q",
                                                                           "only the summary");
  po::variables_map vm;
  if (!parse_options(args, d, nullptr, vm)) return kOk;
  const int bound = vm["bound"].as<int>();
  if (bound < 1 || bound > 12)
    throw UsageError("--bound must be between 1 and 12, not " + std::to_string(bound));
  std::vector<const Policy*> chosen;
  if (vm.count("variant"))
    for (const std::string& n : vm["variant"].as<std::vector<std::string>>())
      chosen.push_back(&policy_or_throw(n));
  else
    for (const Policy& p : policies()) chosen.push_back(&p);

  json out = {
      {"question", 5},
      {"produced_by", report::command_text(command_line("security", command_line("check", args)))},
      {"generated_at", report::utc_now()},
      {"bound", bound},
      {"property_count", security::properties().size()},
      {"variants", json::object()}};
  bool unexpected = false, incomplete = false;
  std::optional<RuleId> mutation;
  if (vm.count("mutant")) {
    mutation = rule_by_name(vm["mutant"].as<std::string>());
    if (!mutation) throw UsageError("unknown rule '" + vm["mutant"].as<std::string>() + "'");
  }
  for (const Policy* chosen_policy : chosen) {
    const Policy mutant = mutation ? mutant_policy(*chosen_policy, *mutation) : *chosen_policy;
    const Policy* p = &mutant;
    const VariantReport r =
        check_variant(*p, bound, vm.count("max-states") ? vm["max-states"].as<uint64_t>() : 0);
    unexpected = unexpected || r.unexpected();
    incomplete = incomplete || !r.stats.complete;
    fmt::print("{} ({}): {} states, {} transitions, depth {}, {:.2f} s{}\n", p->name,
               kernel_name(p->kernel), r.stats.states, r.stats.transitions, r.stats.depth,
               r.stats.seconds, r.stats.complete ? "" : " [stopped by " + r.stats.stopped_by + "]");
    json variant = {{"name", p->name},
                    {"kernel", kernel_name(p->kernel)},
                    {"parent", p->parent},
                    {"summary", p->summary},
                    {"states", r.stats.states},
                    {"transitions", r.stats.transitions},
                    {"seconds", r.stats.seconds},
                    {"complete", r.stats.complete},
                    {"properties", json::object()}};
    std::vector<std::string> broken, kept;
    for (const PropertyVerdict& v : r.verdicts)
      (v.verdict == Verdict::holds ? kept : broken)
          .push_back(std::string(security::properties()[static_cast<size_t>(v.property)].name));
    // For the prose (report/rfc/q5.md): how many properties the variant breaks, and which.
    variant["broken_count"] = broken.size();
    variant["broken"] = broken.empty() ? "none" : fmt::format("{}", fmt::join(broken, ", "));
    variant["kept"] = kept.empty() ? "none" : fmt::format("{}", fmt::join(kept, ", "));
    for (const PropertyVerdict& v : r.verdicts) {
      const std::string_view name = security::properties()[static_cast<size_t>(v.property)].name;
      fmt::print("  {:<24} {}\n", name, verdict_name(v.verdict));
      json pv = {{"verdict", verdict_name(v.verdict)}, {"explanation", v.explanation}};
      if (v.counterexample) {
        pv["counterexample"] = trail_json(*v.counterexample);
        if (!vm.count("quiet")) {
          print_trail(*v.counterexample, "    ");
          if (!v.explanation.empty()) fmt::print("    ({})\n", v.explanation);
        }
      }
      variant["properties"][std::string(name)] = pv;
    }
    out["variants"][p->name] = variant;
  }
  if (vm.count("json"))
    if (auto e = write_file_atomically(vm["json"].as<std::string>(), out.dump(2) + "\n"))
      return write_failed("security", *e);
  if (unexpected) return kViolation;
  return incomplete ? kLimit : kOk;
}

std::vector<const Case*> chosen_cases(const po::variables_map& vm) {
  std::vector<const Case*> out;
  if (vm.count("case")) {
    for (const std::string& n : vm["case"].as<std::vector<std::string>>()) {
      const Case* c = find_case(n);
      if (!c) throw UsageError("unknown case '" + n + "' (see ptmc security predict)");
      out.push_back(c);
    }
  } else {
    for (const Case& c : linux_cases()) out.push_back(&c);
  }
  return out;
}

int security_predict(const Args& args) {
  po::options_description d("ptmc security predict [--case C]...: what the model predicts for "
                            "the real-kernel cases");
  d.add_options()("case", po::value<std::vector<std::string>>(), "a case (repeatable)");
  po::variables_map vm;
  if (!parse_options(args, d, nullptr, vm)) return kOk;
  for (const Case* c : chosen_cases(vm)) {
    fmt::print("{}: {}\n", c->name, c->question);
    print_trail(predict(*c), "  ");
  }
  return kOk;
}

int security_compare(const Args& args) {
  po::options_description d("ptmc security compare: every case (the real-kernel ones and the "
                            "Redox ones) replayed on the linux, redox-2019 and redox-proposed "
                            "variants, with the properties each step breaks");
  d.add_options()("json", po::value<std::string>(), "also write the table to FILE");
  po::variables_map vm;
  if (!parse_options(args, d, nullptr, vm)) return kOk;
  json out = {{"question", 5},
              {"produced_by",
               report::command_text(command_line("security", command_line("compare", args)))},
              {"generated_at", report::utc_now()},
              {"variants", {"linux", "redox-2019", "redox-proposed"}},
              {"cases", json::object()}};
  for (const auto* list : {&linux_cases(), &redox_cases()}) {
    for (const Case& c : *list) {
      const World& w = *find_world(c.world);
      json row = {{"name", c.name},
                  {"world", c.world},
                  {"yama", c.yama},
                  {"question", c.question},
                  {"runs_on_linux", list == &linux_cases()},
                  {"variants", json::object()}};
      fmt::print("{}: {}\n", c.name, c.question);
      for (const Policy* p :
           {&linux_policy(c.yama), find_policy("redox-2019"), find_policy("redox-proposed")}) {
        const std::string column = p->kernel == Kernel::linux ? "linux" : p->name;
        // Every column is there, so that a table can name each: n/a where the case's world has
        // no counterpart on that kernel, or it needs Yama, which Redox has not.
        if (!world_applies(w, p->kernel) || (p->kernel == Kernel::redox && c.yama != 0)) {
          const std::string why =
              c.yama != 0 && p->kernel == Kernel::redox
                  ? "n/a (Redox has no Yama)"
                  : "n/a (no such world on " + std::string(kernel_name(p->kernel)) + ")";
          row["variants"][column] = {{"steps", json::array()}, {"outcome", why}, {"breaks", ""}};
          continue;
        }
        const Trail t = replay(*p, w, c.yama, c.steps);
        uint32_t broken = 0;
        for (const StepRecord& s : t.steps) broken |= s.violations;
        std::string outcome;
        for (const StepRecord& s : t.steps) outcome += (outcome.empty() ? "" : "; ") + s.observed;
        const std::vector<std::string> names = property_names(broken);
        row["variants"][column] = {{"steps", steps_json(t)},
                                   {"outcome", outcome},
                                   {"breaks", names.empty()
                                                  ? std::string("none")
                                                  : fmt::format("{}", fmt::join(names, ", "))}};
        fmt::print("  {}\n", column);
        print_trail(t, "    ");
      }
      out["cases"][c.name] = row;
    }
  }
  if (vm.count("json"))
    if (auto e = write_file_atomically(vm["json"].as<std::string>(), out.dump(2) + "\n"))
      return write_failed("security", *e);
  return kOk;
}

int security_diff(const Args& args) {
  po::options_description d("ptmc security diff --on qemu-x86_64: run the attach-permission "
                            "cases in Debian's kernel under QEMU and compare each step with the "
                            "model's prediction; exit 1 on a disagreement, 3 if the VM failed");
  d.add_options()("on", po::value<std::string>()->required(), "the target: qemu-x86_64")(
      "case", po::value<std::vector<std::string>>(), "a case (repeatable; default: all)")(
      "kernel", po::value<std::string>(), "a kernel image instead of Debian's fetched one")(
      "vm-timeout", po::value<double>(), "seconds per VM boot (default 240)")(
      "json", po::value<std::string>(), "also write the comparison to FILE")("verbose,v",
                                                                             "QEMU's progress");
  po::variables_map vm;
  if (!parse_options(args, d, nullptr, vm)) return kOk;
  if (vm["on"].as<std::string>() != "qemu-x86_64")
    throw UsageError("security cases run only on qemu-x86_64 (they switch uids and set Yama for "
                     "the whole kernel, which the host must not see)");
  const std::vector<const Case*> cases = chosen_cases(vm);
  std::vector<std::string> names;
  if (vm.count("case"))
    for (const Case* c : cases) names.push_back(c->name);
  kernel::TargetOptions o;
  if (vm.count("kernel")) o.kernel_image = vm["kernel"].as<std::string>();
  if (vm.count("vm-timeout")) o.vm_timeout_s = vm["vm-timeout"].as<double>();
  o.verbose = vm.count("verbose") > 0;
  const kernel::SecurityRun run = kernel::run_security_cases_on_qemu(names, o);

  json out = {
      {"question", 5},
      {"produced_by", report::command_text(command_line("security", command_line("diff", args)))},
      {"generated_at", report::utc_now()},
      {"target", "qemu-x86_64"},
      {"kernel", run.kernel_release},
      {"yama_at_boot", run.yama},
      {"boots", json::array()},
      {"cases", json::object()}};
  for (const kernel::SecurityBoot& b : run.boots)
    out["boots"].push_back({{"group", b.group},
                            {"accel", b.accel},
                            {"seconds", b.seconds},
                            {"seconds_boot", b.seconds_boot},
                            {"error", b.error ? *b.error : ""}});
  size_t agree = 0, disagree = 0, not_run = 0;
  fmt::print("qemu-x86_64: Linux {} (Yama at boot: {})\n", run.kernel_release, run.yama);
  for (const Case* c : cases) {
    const Trail predicted = predict(*c);
    const auto found = run.cases.find(c->name);
    const kernel::SecurityCaseResult* real = found == run.cases.end() ? nullptr : &found->second;
    json cj = {{"name", c->name},
               {"world", c->world},
               {"yama", c->yama},
               {"question", c->question},
               {"steps", json::array()}};
    bool case_agrees = real && real->ran && real->skipped.empty();
    if (!real || !real->ran || !real->skipped.empty()) {
      ++not_run;
      cj["not_run"] = real && !real->skipped.empty() ? real->skipped : "no result from the VM";
      fmt::print("  NOT RUN   {:<32} {}\n", c->name, cj["not_run"].get<std::string>());
    }
    for (size_t i = 0; i < predicted.steps.size(); ++i) {
      const StepRecord& s = predicted.steps[i];
      std::string kernel_saw = "(no result)";
      if (real)
        if (const auto it = real->steps.find(i); it != real->steps.end()) kernel_saw = it->second;
      const bool same = kernel_saw == s.observed;
      if (!same) case_agrees = false;
      json sj = {{"step", s.step}, {"model", s.observed}, {"kernel", kernel_saw}, {"agree", same}};
      if (real)
        if (const auto it = real->details.find(i); it != real->details.end())
          sj["tracer_saw"] = it->second;
      cj["steps"].push_back(sj);
    }
    cj["agree"] = case_agrees;
    std::string model_outcome, kernel_outcome;
    for (const json& sj : cj["steps"]) {
      model_outcome += (model_outcome.empty() ? "" : "; ") + sj["model"].get<std::string>();
      kernel_outcome += (kernel_outcome.empty() ? "" : "; ") + sj["kernel"].get<std::string>();
    }
    cj["model_outcome"] = model_outcome;
    cj["kernel_outcome"] = kernel_outcome;
    if (real && real->ran && real->skipped.empty()) {
      (case_agrees ? agree : disagree) += 1;
      fmt::print("  {:<9} {:<32} {}\n", case_agrees ? "agree" : "DISAGREE", c->name, c->question);
      for (const json& sj : cj["steps"]) {
        fmt::print("            {:<44} model {:<24} kernel {}\n", sj["step"].get<std::string>(),
                   sj["model"].get<std::string>(), sj["kernel"].get<std::string>());
        if (sj.contains("tracer_saw"))
          fmt::print("            {:<44} (tracer saw {})\n", "",
                     sj["tracer_saw"].get<std::string>());
      }
    }
    out["cases"][c->name] = cj;
  }
  out["agree"] = agree;
  out["disagree"] = disagree;
  out["not_run"] = not_run;
  fmt::print("{} cases agree, {} disagree, {} not run\n", agree, disagree, not_run);
  if (vm.count("json"))
    if (auto e = write_file_atomically(vm["json"].as<std::string>(), out.dump(2) + "\n"))
      return write_failed("security", *e);
  if (run.error) {
    fmt::print(stderr, "ptmc security diff: {}\n", *run.error);
    return kLimit;
  }
  if (disagree > 0) return kViolation;
  return not_run > 0 ? kLimit : kOk;
}

// Each rule of a variant's layer, changed (RuleKind: a decision negated, an effect skipped):
// is the mutant caught by a property, or by what Debian's kernel did in the recorded cases?
int security_mutate(const Args& args) {
  po::options_description d("ptmc security mutate [--variant V]: one mutant per rule of the "
                            "variant's layer; each is killed by a property, refuted by the "
                            "recorded real-kernel cases, or survives");
  d.add_options()("variant", po::value<std::string>()->default_value("linux"),
                  "the variant")("bound", po::value<int>()->default_value(4), "actions per path")(
      "kernel-run", po::value<std::string>(),
      "a `security diff --json` file whose kernel outcomes refute mutants (Linux variants)")(
      "json", po::value<std::string>(), "also write the table to FILE");
  po::variables_map vm;
  if (!parse_options(args, d, nullptr, vm)) return kOk;
  const Policy& base = policy_or_throw(vm["variant"].as<std::string>());
  const int bound = vm["bound"].as<int>();
  if (bound < 1 || bound > 12) throw UsageError("--bound must be between 1 and 12");
  json run;
  if (vm.count("kernel-run")) {
    std::ifstream in(vm["kernel-run"].as<std::string>());
    if (!in) throw UsageError("cannot read " + vm["kernel-run"].as<std::string>());
    run = json::parse(in, nullptr, false);
    if (run.is_discarded() || !run.contains("cases"))
      throw UsageError(vm["kernel-run"].as<std::string>() + " is not a security diff --json file");
  }
  const auto refuted_by_kernel = [&](const Policy& mutant) -> std::string {
    if (!run.contains("cases") || mutant.kernel != Kernel::linux) return "";
    for (const Case& c : linux_cases()) {
      if (!run["cases"].contains(c.name)) continue;
      Policy p = mutant;
      p.yama = c.yama;
      const Trail t = replay(p, *find_world(c.world), c.yama, c.steps);
      const json& steps = run["cases"][c.name]["steps"];
      for (size_t i = 0; i < t.steps.size() && i < steps.size(); ++i)
        if (steps[i].value("kernel", "") != t.steps[i].observed) return c.name;
    }
    return "";
  };
  json out = {
      {"question", 5},
      {"produced_by", report::command_text(command_line("security", command_line("mutate", args)))},
      {"generated_at", report::utc_now()},
      {"variant", base.name},
      {"bound", bound},
      {"rules", json::object()}};
  size_t killed = 0, refuted = 0, survived = 0;
  for (const RuleInfo& r : rule_table()) {
    if (r.layer != base.layer()) continue;
    const Policy mutant = mutant_policy(base, r.id);
    const VariantReport rep = check_variant(mutant, bound);
    std::vector<std::string> by;
    for (const PropertyVerdict& v : rep.verdicts)
      if (v.verdict == Verdict::violated || v.expected_but_absent)
        by.push_back(std::string(security::properties()[static_cast<size_t>(v.property)].name));
    const std::string kernel_case = refuted_by_kernel(mutant);
    std::string status = "survived";
    if (!by.empty()) {
      status = "killed by " + fmt::format("{}", fmt::join(by, ", "));
      ++killed;
    } else if (!kernel_case.empty()) {
      status = "refuted by the kernel in case " + kernel_case;
      ++refuted;
    } else {
      ++survived;
    }
    fmt::print("  {:<36} {:<9} {}\n", r.name, rule_kind_name(r.kind), status);
    out["rules"][std::string(r.name)] = {
        {"name", r.name},  {"kind", rule_kind_name(r.kind)}, {"source", r.source},
        {"killed_by", by}, {"refuted_by_case", kernel_case}, {"status", status}};
  }
  out["mutants"] = killed + refuted + survived;
  out["killed"] = killed;
  out["refuted"] = refuted;
  out["survived"] = survived;
  fmt::print("{}: {} mutants, {} killed by a property, {} more refuted by the kernel, {} "
             "survived\n",
             base.name, killed + refuted + survived, killed, refuted, survived);
  if (vm.count("json"))
    if (auto e = write_file_atomically(vm["json"].as<std::string>(), out.dump(2) + "\n"))
      return write_failed("security", *e);
  return kOk;
}

void usage() {
  fmt::print(
      "usage: ptmc security SUBCOMMAND [OPTIONS]\n\n"
      "The attach-permission model (RFC question 5): who may trace whom.\n\n"
      "  variants                 the variants, worlds and properties\n"
      "  check [--variant V]...   decide the properties (all variants by default)\n"
      "  predict [--case C]...    the model's prediction for each real-kernel case\n"
      "  diff --on qemu-x86_64    run the cases in Debian's kernel and compare\n"
      "  compare                  every case on the linux and Redox variants, side by side\n\n"
      "Run 'ptmc security SUBCOMMAND --help' for its options.\n");
}

} // namespace

int cmd_security(const Args& args) {
  if (args.empty()) {
    usage();
    return kBadInput;
  }
  const std::string sub = args[0];
  const Args rest(args.begin() + 1, args.end());
  if (sub == "--help" || sub == "-h" || sub == "help") {
    usage();
    return kOk;
  }
  if (sub == "variants") return security_variants(rest);
  if (sub == "check") return security_check(rest);
  if (sub == "predict") return security_predict(rest);
  if (sub == "diff") return security_diff(rest);
  if (sub == "compare") return security_compare(rest);
  if (sub == "mutate") return security_mutate(rest);
  throw UsageError("unknown sub-command '" + sub + "' (try 'ptmc security --help')");
}

} // namespace ptmc::cli
