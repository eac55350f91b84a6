#include "cli/commands.hpp"
#include "cli/check_json.hpp"
#include "cli/diff_core.hpp"

#include "cli/options.hpp"
#include "cli/redox_smp.hpp"
#include "common/atomic_file.hpp"
#include "engine/check.hpp"
#include "engine/checkpoint.hpp"
#include "engine/runner.hpp"
#include "kernel/target.hpp"
#include "model/profile.hpp"
#include "model/redox/smp/model.hpp"
#include "model/redox/smp/scenario.hpp"
#include "model/redox/smp/variants.hpp"
#include "props/properties.hpp"
#include "report/numbers.hpp"
#include "report/recorded_data.hpp"
#include "scenario/scenario.hpp"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <csignal>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace ptmc::cli {

namespace po = boost::program_options;

bool stderr_is_terminal() {
  return isatty(STDERR_FILENO) != 0;
}

int write_failed(const std::string& command, const WriteError& e) {
  fmt::print(stderr, "ptmc {}: error: {}{}\n", command, e.message,
             e.out_of_space ? " (the previous file, if any, is unchanged)" : "");
  return e.out_of_space ? kLimit : kBadInput;
}

uint64_t parse_size(const std::string& text) {
  if (text.empty()) throw UsageError("empty size");
  size_t pos = 0;
  double value = 0;
  try {
    value = std::stod(text, &pos);
  } catch (...) {
    throw UsageError("not a size: '" + text + "' (use e.g. 8G, 512M, 1048576)");
  }
  std::string unit = text.substr(pos);
  double mult = 1;
  if (unit == "" || unit == "B")
    mult = 1;
  else if (unit == "K" || unit == "KiB" || unit == "k")
    mult = 1024.0;
  else if (unit == "M" || unit == "MiB")
    mult = 1024.0 * 1024;
  else if (unit == "G" || unit == "GiB")
    mult = 1024.0 * 1024 * 1024;
  else
    throw UsageError("unknown size unit '" + unit + "' in '" + text + "'");
  if (value <= 0) throw UsageError("size must be positive: '" + text + "'");
  return static_cast<uint64_t>(value * mult);
}

int check_exit_code(bool unexpected_violation, bool complete) {
  if (unexpected_violation) return kViolation;
  if (!complete) {
    fmt::print(stderr, "ptmc check: a limit stopped the exploration; 'holds' became 'unknown' "
                       "where the space was not covered\n");
    return kLimit;
  }
  return kOk;
}

namespace {

const Profile& profile_or_throw(const std::string& name) {
  if (const Profile* p = find_profile(name)) return *p;
  std::string known;
  for (const auto& p : profiles()) known += (known.empty() ? "" : ", ") + p.name;
  throw UsageError("unknown profile '" + name + "' (known: " + known + ")");
}

CheckOptions check_options(const po::variables_map& vm) {
  CheckOptions o;
  if (vm.count("bound")) {
    const int b = vm["bound"].as<int>();
    if (b < 1 || b > 200)
      throw UsageError("--bound must be between 1 and 200, not " + std::to_string(b));
    o.bound = b;
  }
  if (vm.count("max-states")) {
    const auto n = vm["max-states"].as<long long>();
    if (n < 1) throw UsageError("--max-states must be positive");
    o.max_states = static_cast<uint64_t>(n);
  }
  if (vm.count("max-memory")) o.max_bytes = parse_size(vm["max-memory"].as<std::string>());
  o.tf_edits = vm.count("tf-edits") > 0;
  if (vm.count("threads")) {
    const int t = vm["threads"].as<int>();
    if (t < 1 || t > 1024)
      throw UsageError("--threads must be between 1 and 1024, not " + std::to_string(t));
    o.threads = static_cast<unsigned>(t);
  }
  o.exact = vm.count("exact") > 0;
  if (vm.count("property"))
    for (const auto& name : vm["property"].as<std::vector<std::string>>()) {
      auto id = property_by_name(name);
      if (!id) throw UsageError("unknown property '" + name + "' (see 'ptmc props')");
      o.only.push_back(*id);
    }
  if ((stderr_is_terminal() || vm.count("progress")) && !vm.count("quiet")) {
    o.progress = [](const std::string& phase, uint64_t s, uint64_t t, uint32_t d, double sec) {
      fmt::print(stderr, "\r[{}] {} states, {} transitions, depth {}, {:.0f} states/s   ", phase,
                 with_commas(s), with_commas(t), d, sec > 0 ? s / sec : 0.0);
      std::fflush(stderr);
    };
  }
  return o;
}

void clear_progress_line() {
  if (stderr_is_terminal()) fmt::print(stderr, "\r{:80}\r", "");
}

// --checkpoint: SIGINT and SIGTERM ask the engine to write a checkpoint and stop between two
// blocks. A second signal ends the process the ordinary way.
std::atomic<bool> g_interrupt{false};

extern "C" void on_interrupt(int signo) {
  g_interrupt.store(true);
  std::signal(signo, SIG_DFL);
}

void catch_interrupts() {
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
}

std::string probability_text(double p) {
  if (p == 0) return "0";
  return fmt::format("{:.1e}", p);
}

void add_limit_options(po::options_description& d) {
  d.add_options()("profile,p", po::value<std::string>()->required(),
                  "profile name (see 'ptmc profiles')")(
      "bound,b", po::value<int>(), "program length bound (default: the profile's)")(
      "max-states", po::value<long long>(), "stop after this many states (exit 3)")(
      "max-memory", po::value<std::string>(),
      "stop before the engine's tables exceed this, e.g. 8G (exit 3)")(
      "tf-edits",
      "let the tracer also write TF (tf=0, tf=1) at stops: about four times the states")(
      "threads,j", po::value<int>(),
      "worker threads (default: every core); results do not depend on it")(
      "exact", "keep whole states, not 64-bit fingerprints: no collision possible, more memory")(
      "quiet,q", "no progress line")("progress",
                                     "print the progress line even when stderr is not a terminal");
}

} // namespace

// ---- profiles, props, rules ------------------------------------------------------------------

namespace {
std::string_view level_name(Level l) {
  return l == Level::interface ? "interface" : "concurrent";
}

std::vector<std::string> layer_paths(const Profile& p) {
  std::vector<std::string> out;
  for (Layer l : p.layers) out.emplace_back(layer_info(l).path);
  return out;
}
} // namespace

int cmd_profiles(const Args& args) {
  po::options_description d("ptmc profiles: list the profiles");
  d.add_options()("json", "print JSON");
  po::variables_map vm;
  if (!parse_options(args, d, nullptr, vm)) return kOk;
  if (vm.count("json")) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& p : profiles())
      j.push_back({{"name", p.name},
                   {"parent", p.parent},
                   {"kernel", p.kernel},
                   {"arch", p.arch},
                   {"level", level_name(p.level)},
                   {"summary", p.summary},
                   {"layers", layer_paths(p)},
                   {"bound", p.domain.program_bound}});
    fmt::print("{}\n", j.dump(2));
    return kOk;
  }
  // `interface`: one tracer, one tracee, each kernel entry atomic; `concurrent`: kernel threads
  // interleaved on several CPUs (docs/redox-model.md, docs/redox-smp.md).
  size_t width = std::string_view("profile").size();
  size_t kwidth = std::string_view("kernel").size();
  for (const auto& p : profiles()) {
    width = std::max(width, p.name.size());
    kwidth = std::max(kwidth, p.kernel.size());
  }
  fmt::print("{:<{}} {:<{}} {:<10} {}\n", "profile", width, "kernel", kwidth, "level", "summary");
  for (const auto& p : profiles())
    fmt::print("{:<{}} {:<{}} {:<10} {}{}\n", p.name, width, p.kernel, kwidth, level_name(p.level),
               p.summary, p.parent.empty() ? "" : " [delta on " + p.parent + "]");
  return kOk;
}

int cmd_props(const Args& args) {
  po::options_description d("ptmc props: list the properties");
  d.add_options()("json", "print JSON")("verbose,v", "print each precise definition");
  po::variables_map vm;
  if (!parse_options(args, d, nullptr, vm)) return kOk;
  if (vm.count("json")) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& p : property_table()) {
      nlohmann::json on = nlohmann::json::array();
      if (p.kernels & kernels::on_linux) on.push_back("linux");
      if (p.kernels & kernels::on_redox) on.push_back("redox");
      j.push_back({{"name", p.name},
                   {"method", method_name(p.method)},
                   {"meaning", p.meaning},
                   {"definition", p.definition},
                   {"tracer_visible", p.tracer_visible},
                   {"kernels", on},
                   {"redox_definition", p.redox_definition}});
    }
    fmt::print("{}\n", j.dump(2));
    return kOk;
  }
  for (const auto& p : property_table()) {
    const bool for_linux = p.kernels & kernels::on_linux;
    const bool for_redox = p.kernels & kernels::on_redox;
    const std::string_view where = for_linux && for_redox ? ""
                                   : for_linux            ? " (Linux only)"
                                                          : " (Redox only)";
    fmt::print("{:<28} [{}] {}{}\n", p.name, method_name(p.method), p.meaning, where);
    if (!vm.count("verbose")) continue;
    if (for_linux) fmt::print("    {}\n", p.definition);
    if (for_redox) fmt::print("    {}{}\n", for_linux ? "On Redox: " : "", p.redox_definition);
    fmt::print("\n");
  }
  fmt::print("\nproperties of the concurrent (Redox SMP) profiles:\n");
  for (const auto& p : redox_smp::prop_table()) {
    fmt::print("{:<28} {}\n", p.name, p.meaning);
    if (vm.count("verbose")) fmt::print("    {}\n\n", p.definition);
  }
  return kOk;
}

namespace {
// How a layer's rules are confirmed (model/rules.hpp layer_confirmed_by_source_only).
std::string_view confirmation(Layer l) {
  return layer_confirmed_by_source_only(l) ? "source only (no kernel to run)"
                                           : "differential runs on real kernels";
}
} // namespace

int cmd_rules(const Args& args) {
  po::options_description d("ptmc rules [--profile P] [--layer L]: list the model's rules, layer "
                            "by layer, with the source each follows");
  d.add_options()("profile,p", po::value<std::string>(), "only the rules of this profile's layers")(
      "layer,l", po::value<std::string>(), "only this layer (e.g. linux/x86_64)")("json",
                                                                                  "print JSON");
  po::variables_map vm;
  if (!parse_options(args, d, nullptr, vm)) return kOk;
  RuleSet wanted;
  wanted.set();
  if (vm.count("profile")) wanted = profile_or_throw(vm["profile"].as<std::string>()).rules();
  if (vm.count("layer")) {
    const std::string name = vm["layer"].as<std::string>();
    std::vector<Layer> match;
    std::string known;
    for (size_t i = 0; i < kLayerCount; ++i) {
      const LayerInfo& li = layer_info(static_cast<Layer>(i));
      known += (known.empty() ? "" : ", ") + std::string(li.path);
      if (li.path == name) match.push_back(li.id);
    }
    if (match.empty()) throw UsageError("unknown layer '" + name + "' (known: " + known + ")");
    wanted &= rules_of(match);
  }
  nlohmann::json j = nlohmann::json::array();
  std::optional<Layer> current;
  for (const RuleInfo& r : rule_table()) {
    if (!wanted.test(static_cast<size_t>(r.id))) continue;
    if (vm.count("json")) {
      j.push_back({{"rule", r.name},
                   {"layer", layer_info(r.layer).path},
                   {"kind", rule_kind_name(r.kind)},
                   {"source", r.source},
                   {"summary", r.summary},
                   {"confirmed_by", confirmation(r.layer)}});
      continue;
    }
    if (current != r.layer) {
      fmt::print("{}{} ({}; confirmed by {})\n", current ? "\n" : "", layer_info(r.layer).path,
                 layer_info(r.layer).title, confirmation(r.layer));
      current = r.layer;
    }
    fmt::print("  {:<32} {:<8} {}\n  {:<32} {:<8} {}\n", r.name, rule_kind_name(r.kind), r.summary,
               "", "", r.source);
  }
  if (vm.count("json")) fmt::print("{}\n", j.dump(2));
  // A concurrent Redox profile's steps cite a line of Redox at a commit each; list them too.
  if (vm.count("profile") && !vm.count("json"))
    if (const auto* v = redox_smp::find_variant(vm["profile"].as<std::string>())) {
      const auto& k = redox_smp::SmpModel(v->version, v->domain, false).code();
      fmt::print("\nthe steps of {} (redox-os/kernel; docs/redox-smp-sources.md):\n", k.summary);
      for (const auto& s : k.rules)
        fmt::print("  {} {}:{} {}: {}\n", s.commit, s.file, s.line, s.function, s.text);
    }
  return kOk;
}

// ---- explore --------------------------------------------------------------------------------

int cmd_explore(const Args& args) {
  if (const auto name = profile_argument(args); name && is_concurrent_profile(*name))
    return smp_explore(args);
  po::options_description d("ptmc explore --profile P [options]: explore a profile's state space");
  add_limit_options(d);
  d.add_options()("dot", po::value<std::string>(),
                  "write the state graph as Graphviz DOT to this file")(
      "no-monitors", "count the model's own states, without the property monitors")("json",
                                                                                    "print JSON");
  po::variables_map vm;
  if (!parse_options(args, d, nullptr, vm)) return kOk;
  const Profile& profile = profile_or_throw(vm["profile"].as<std::string>());
  CheckOptions o = check_options(vm);
  o.monitors = vm.count("no-monitors") == 0;
  std::optional<std::string> dot;
  if (vm.count("dot")) dot = vm["dot"].as<std::string>();
  const auto r = explore_profile(profile, o, dot);
  clear_progress_line();
  if (r.dot_error) return write_failed("explore", *r.dot_error);
  const double rate = r.stats.seconds > 0 ? r.stats.states / r.stats.seconds : 0;
  if (vm.count("json")) {
    nlohmann::json j = {{"profile", profile.name},
                        {"bound", o.bound.value_or(profile.domain.program_bound)},
                        {"states", r.stats.states},
                        {"transitions", r.stats.transitions},
                        {"depth", r.stats.depth},
                        {"seconds", r.stats.seconds},
                        {"states_per_second", rate},
                        {"engine_bytes", r.stats.peak_bytes},
                        {"disk_bytes", r.stats.disk_bytes},
                        {"rss_start_bytes", r.rss_start_bytes},
                        {"rss_peak_bytes", r.rss_peak_bytes},
                        {"exact", r.stats.exact},
                        {"collision_probability", r.stats.collision_probability()},
                        {"complete", r.stats.complete}};
    fmt::print("{}\n", j.dump(2));
  } else {
    fmt::print("profile {}, program bound {}\n", profile.name,
               o.bound.value_or(profile.domain.program_bound));
    fmt::print("states       {}\ntransitions  {}\ndepth        {}\ntime         {:.2f} s\n"
               "rate         {} states/s\nmemory       {} peak RSS ({} in the engine's tables)\n",
               with_commas(r.stats.states), with_commas(r.stats.transitions), r.stats.depth,
               r.stats.seconds, with_commas(static_cast<uint64_t>(rate)),
               human_bytes(r.rss_peak_bytes), human_bytes(r.stats.peak_bytes));
    fmt::print("seen-set     {}\n", r.stats.exact
                                        ? std::string("exact (whole states)")
                                        : "64-bit fingerprints, collision probability at most " +
                                              probability_text(r.stats.collision_probability()));
    if (dot) fmt::print("graph        {}\n", *dot);
  }
  if (!r.stats.complete) {
    fmt::print(stderr,
               "ptmc explore: stopped by {} before the state space was covered; the figures above "
               "are partial\n",
               r.stats.stopped_by);
    return kLimit;
  }
  return kOk;
}

// ---- check ----------------------------------------------------------------------------------

namespace {
// The rules of the profile's layers that no explored transition consulted.
nlohmann::json not_exercised(const Profile& profile, const CheckReport& rep) {
  nlohmann::json out = nlohmann::json::array();
  const RuleSet missing = profile.rules() & ~rep.rules_covered;
  for (const RuleInfo& r : rule_table())
    if (missing.test(static_cast<size_t>(r.id))) out.push_back(r.name);
  return out;
}
} // namespace

int cmd_check(const Args& args) {
  if (const auto name = profile_argument(args); name && is_concurrent_profile(*name))
    return smp_check(args);
  po::options_description d("ptmc check --profile P [options]: decide every property");
  add_limit_options(d);
  d.add_options()("property", po::value<std::vector<std::string>>(),
                  "check only this property (repeatable)")(
      "fail-fast", "stop at the first violation the profile does not expect")(
      "checkpoint", po::value<std::string>(),
      "write a checkpoint to this file periodically and on SIGINT/SIGTERM (then stop)")(
      "checkpoint-every", po::value<double>(), "seconds between checkpoints (default 300)")(
      "resume", po::value<std::string>(),
      "continue from this checkpoint (and keep checkpointing to it)")("json", "print JSON")(
      "record", po::value<std::string>(),
      "also write the JSON, with the command, date and kernel, to this data file");
  po::variables_map vm;
  if (!parse_options(args, d, nullptr, vm)) return kOk;
  const Profile& profile = profile_or_throw(vm["profile"].as<std::string>());
  CheckOptions o = check_options(vm);
  o.fail_fast = vm.count("fail-fast") > 0;
  if (vm.count("checkpoint")) o.checkpoint = vm["checkpoint"].as<std::string>();
  if (vm.count("resume")) {
    o.resume = vm["resume"].as<std::string>();
    if (!o.checkpoint) o.checkpoint = o.resume;
  }
  if (vm.count("checkpoint-every")) {
    o.checkpoint_every = vm["checkpoint-every"].as<double>();
    if (!(o.checkpoint_every > 0)) throw UsageError("--checkpoint-every must be positive");
    if (!o.checkpoint) throw UsageError("--checkpoint-every needs --checkpoint FILE");
  }
  if (o.checkpoint) {
    o.interrupt = &g_interrupt;
    catch_interrupts();
  }
  CheckReport rep;
  try {
    rep = check_profile(profile, o);
  } catch (const CheckpointError& e) {
    clear_progress_line();
    fmt::print(stderr, "ptmc check: error: {}\n", e.what());
    return kBadInput;
  }
  clear_progress_line();
  if (rep.interrupted) {
    fmt::print(stderr,
               "ptmc check: interrupted at {} states; checkpoint written to {}; continue with "
               "'ptmc check --profile {} --bound {} --threads {} --resume {}'\n",
               with_commas(rep.main.states), rep.checkpoint_written.value_or("(none)"), rep.profile,
               rep.bound, rep.threads, rep.checkpoint_written.value_or("FILE"));
    return kLimit;
  }

  bool unexpected = false;
  for (const auto& r : rep.results) unexpected |= r.verdict == Verdict::violated;

  if (vm.count("json") || vm.count("record")) {
    nlohmann::json props = nlohmann::json::array();
    for (const auto& r : rep.results) props.push_back(property_result_json(r));
    nlohmann::json j = {{"profile", rep.profile},
                        {"bound", rep.bound},
                        {"states", rep.main.states},
                        {"transitions", rep.main.transitions},
                        {"depth", rep.main.depth},
                        {"seconds", rep.main.seconds},
                        {"complete", rep.complete},
                        {"threads", rep.threads},
                        {"exact", rep.main.exact},
                        {"collision_probability", rep.main.collision_probability()},
                        {"engine_bytes", rep.main.peak_bytes},
                        {"disk_bytes", rep.main.disk_bytes},
                        {"rss_start_bytes", rep.rss_start_bytes},
                        {"rss_peak_bytes", rep.rss_peak_bytes},
                        {"rules_covered", rep.rules_covered.count()},
                        {"rules", rep.rules_total},
                        {"rules_not_exercised", not_exercised(profile, rep)},
                        {"properties", props}};
    if (rep.resumed_states) j["resumed_states"] = *rep.resumed_states;
    if (vm.count("record"))
      if (auto e =
              report::write_record(vm["record"].as<std::string>(),
                                   report::record_header("check", command_line("check", args)), j))
        return write_failed("check", *e);
    if (vm.count("json")) fmt::print("{}\n", j.dump(2));
  }
  if (!vm.count("json")) {
    const double rate = rep.main.seconds > 0 ? rep.main.states / rep.main.seconds : 0;
    fmt::print("profile {}, program bound {}\n", rep.profile, rep.bound);
    fmt::print(
        "explored {} states, {} transitions, depth {}, in {:.2f} s ({} states/s); peak RSS {}\n",
        with_commas(rep.main.states), with_commas(rep.main.transitions), rep.main.depth,
        rep.main.seconds, with_commas(static_cast<uint64_t>(rate)),
        human_bytes(rep.rss_peak_bytes));
    fmt::print("{} threads; seen-set: {}; {} on disk\n", rep.threads,
               rep.main.exact ? std::string("exact (whole states)")
                              : "64-bit fingerprints, collision probability at most " +
                                    probability_text(rep.main.collision_probability()),
               human_bytes(rep.main.disk_bytes));
    fmt::print("rules exercised: {} of {}\n\n", rep.rules_covered.count(), rep.rules_total);
    fmt::print("{:<28} {:<19} {:>11} {:>6} {:>8} {:>10}\n", "property", "verdict", "states",
               "depth", "time", "memory");
    for (const auto& r : rep.results)
      fmt::print("{:<28} {:<19} {:>11} {:>6} {:>7.2f}s {:>10}\n", property_info(r.property).name,
                 verdict_name(r.verdict), with_commas(r.states), r.depth, r.seconds,
                 human_bytes(r.peak_bytes));
    for (const auto& r : rep.results) {
      if (!r.counterexample) continue;
      const bool expected = r.verdict == Verdict::expected_violation;
      fmt::print("\n{} {}: shortest counterexample, {} transitions, found after {:.3f} s{}\n",
                 expected ? "expected violation of" : "VIOLATED", property_info(r.property).name,
                 r.counterexample_length, r.found_seconds,
                 expected ? "" : " (replay: save it to a file and run 'ptmc run FILE --on model')");
      if (!r.note.empty()) fmt::print("# {}\n", r.note);
      fmt::print("{}", format_scenario(*r.counterexample));
    }
  }
  return check_exit_code(unexpected, rep.complete);
}

// ---- run ------------------------------------------------------------------------------------

// The scenarios of one file: one, or several back to back (a batch, such as a report's
// witnesses/PROFILE.ptmc). In a batch each scenario's source is "FILE#N", N counting from 0.
std::optional<std::vector<Scenario>> load_scenarios(const std::string& path, int& exit_code) {
  std::ifstream f(path);
  if (!f) {
    fmt::print(stderr, "ptmc: error: cannot read '{}'\n", path);
    exit_code = kBadInput;
    return std::nullopt;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  auto parsed = parse_batch(ss.str(), path);
  if (!parsed.error && parsed.scenarios.empty())
    parsed.error = parse_scenario(ss.str(), path).error; // the single-file message for no header
  if (parsed.error) {
    fmt::print(stderr, "{}\n", parsed.error->what());
    exit_code = kBadInput;
    return std::nullopt;
  }
  for (size_t i = 0; i < parsed.scenarios.size(); ++i) {
    Scenario& s = parsed.scenarios[i];
    if (parsed.scenarios.size() > 1) s.source = fmt::format("{}#{}", path, i);
    if (!find_profile(s.profile)) {
      fmt::print(stderr, "{}: error: unknown profile '{}' (see 'ptmc profiles')\n", s.source,
                 s.profile);
      exit_code = kBadInput;
      return std::nullopt;
    }
  }
  return std::move(parsed.scenarios);
}

nlohmann::json trace_json(const Trace& t) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& line : t) {
    // The JSON carries the same fields as the text: split the canonical line into them.
    const std::string text = format_trace_line(line);
    nlohmann::json o;
    std::istringstream in(text);
    std::string word;
    in >> word;
    o["kind"] = word;
    while (in >> word) {
      const auto eq = word.find('=');
      if (eq != std::string::npos) o[word.substr(0, eq)] = word.substr(eq + 1);
    }
    a.push_back(o);
  }
  return a;
}

namespace {

// One scenario's run on one target, as cmd_run prints it.
struct RunOutput {
  const Scenario* scenario = nullptr;
  Trace trace;
  std::vector<RunViolation> violations;
  std::string where;
  int code = kOk; // this scenario's own exit code
};

void print_run(const RunOutput& r, bool json_wanted, nlohmann::json& all, const std::string& target,
               const std::string& kernel_release) {
  const Scenario& scenario = *r.scenario;
  std::optional<size_t> diff;
  if (scenario.expect) diff = first_difference(*scenario.expect, r.trace);
  if (json_wanted) {
    nlohmann::json j = {
        {"scenario", scenario.source}, {"target", target}, {"trace", trace_json(r.trace)}};
    if (!kernel_release.empty()) j["kernel"] = kernel_release;
    nlohmann::json vs = nlohmann::json::array();
    for (const auto& v : r.violations)
      vs.push_back({{"property", property_info(v.property).name}, {"line", v.trace_line}});
    j["violations"] = vs;
    if (scenario.expect) j["matches_expect"] = !diff.has_value();
    all.push_back(j);
    return;
  }
  fmt::print("# {} on {}\n", scenario.source, r.where);
  for (const auto& line : r.trace) fmt::print("{}\n", format_trace_line(line));
  for (const auto& v : r.violations)
    fmt::print("# violates {} at trace line {}\n", property_info(v.property).name,
               v.trace_line + 1);
  if (diff) {
    fmt::print("# differs from expect: at line {}\n", *diff + 1);
    fmt::print("#   expected: {}\n", *diff < scenario.expect->size()
                                         ? format_trace_line((*scenario.expect)[*diff])
                                         : "(end)");
    fmt::print("#   actual:   {}\n",
               *diff < r.trace.size() ? format_trace_line(r.trace[*diff]) : "(end)");
  } else if (scenario.expect) {
    fmt::print("# matches expect\n");
  }
}

} // namespace

int cmd_run(const Args& args) {
  // A scenario for a concurrent profile is an interleaving; it has its own format and runner.
  for (const auto& a : args) {
    if (a.empty() || a[0] == '-') continue;
    std::ifstream f(a);
    if (!f) break;
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string text = ss.str();
    if (const auto name = redox_smp::scenario_profile(text); name && is_concurrent_profile(*name))
      return smp_run(a, text, args);
    break;
  }
  po::options_description d("ptmc run FILE... --on TARGET [options]: run scenarios");
  d.add_options()("file", po::value<std::vector<std::string>>()->required(),
                  "scenario files (a file may hold several scenarios back to back); on a kernel "
                  "target they run as one batch")("on",
                                                  po::value<std::string>()->default_value("model"),
                                                  "model, host, qemu-x86_64 or qemu-aarch64")(
      "kernel", po::value<std::string>(),
      "qemu targets: boot this kernel image instead of Debian's")(
      "only", po::value<size_t>(),
      "run only scenario N (counting from 0) of each file, e.g. edge eN of a report's "
      "witnesses/PROFILE.ptmc")("timeout", po::value<double>()->default_value(2.0),
                                "seconds for each wait on the tracee")(
      "profile,p", po::value<std::string>(),
      "run the model with this profile instead of the file's")(
      "record", po::value<std::string>(),
      "kernel targets: also write the traces to this data file (for ptmc report)")(
      "json", "print JSON (an array when several files are given)");
  po::positional_options_description pos;
  pos.add("file", -1);
  po::variables_map vm;
  if (!parse_options(args, d, &pos, vm)) return kOk;
  const auto files = vm["file"].as<std::vector<std::string>>();
  std::vector<Scenario> scenarios;
  for (const auto& file : files) {
    int code = kOk;
    auto loaded = load_scenarios(file, code);
    if (!loaded) return code;
    if (vm.count("only")) {
      const size_t n = vm["only"].as<size_t>();
      if (n >= loaded->size())
        throw UsageError(fmt::format("--only {}: {} holds {} scenario(s), numbered from 0", n, file,
                                     loaded->size()));
      *loaded = {std::move((*loaded)[n])};
    }
    for (auto& scenario : *loaded) {
      if (vm.count("profile"))
        scenario.profile = profile_or_throw(vm["profile"].as<std::string>()).name;
      scenarios.push_back(std::move(scenario));
    }
  }
  const std::string target = vm["on"].as<std::string>();
  if (vm.count("record") && !kernel::is_target(target))
    throw UsageError("--record keeps kernel traces; give --on host or a qemu target");

  std::vector<RunOutput> runs(scenarios.size());
  std::string kernel_release;
  if (target == "model") {
    for (size_t i = 0; i < scenarios.size(); ++i) {
      const Scenario& sc = scenarios[i];
      const ModelRun run = run_on_model(sc, *find_profile(sc.profile));
      if (run.error) {
        fmt::print(stderr, "{}: error: the model cannot run this scenario: {}\n", sc.source,
                   *run.error);
        return kBadInput;
      }
      runs[i] = RunOutput{&sc, run.trace, run.violations, "model:" + sc.profile, kOk};
    }
  } else if (kernel::is_target(target)) {
    for (const Scenario& sc : scenarios) {
      const Profile& profile = *find_profile(sc.profile);
      if (const auto why = cli::no_target_for_kernel(profile))
        throw UsageError(sc.source + ": " + *why);
      if (const auto why = cli::target_arch_mismatch(profile, target))
        throw UsageError(sc.source + ": " + *why);
    }
    kernel::TargetOptions to;
    if (vm.count("kernel")) to.kernel_image = vm["kernel"].as<std::string>();
    to.wait_timeout_s = vm["timeout"].as<double>();
    const auto res = kernel::run_on_target(target, scenarios, to);
    kernel_release = res.kernel_release;
    if (res.error) fmt::print(stderr, "ptmc run: {}: {}\n", target, *res.error);
    if (res.outcomes.empty()) return kBadInput;
    const std::string where =
        target + (kernel_release.empty() ? "" : " (Linux " + kernel_release + ")");
    for (size_t i = 0; i < scenarios.size(); ++i) {
      runs[i].scenario = &scenarios[i];
      runs[i].where = where;
      if (i >= res.outcomes.size()) {
        fmt::print(stderr, "ptmc run: {} on {}: no result\n", scenarios[i].source, target);
        runs[i].code = kLimit;
        continue;
      }
      const auto& o = res.outcomes[i];
      runs[i].trace = o.trace;
      if (o.status != kernel::OutcomeStatus::ok) {
        fmt::print(stderr, "ptmc run: {} on {}: {}\n", scenarios[i].source, target, o.message);
        if (o.trace.empty()) runs[i].code = kLimit;
      }
    }
    if (vm.count("record")) {
      nlohmann::json recorded = nlohmann::json::array();
      for (size_t i = 0; i < scenarios.size(); ++i) {
        if (runs[i].code != kOk) continue;
        Scenario key = scenarios[i];
        key.expect.reset();
        recorded.push_back({{"source", scenarios[i].source},
                            {"scenario", format_scenario(key)},
                            {"trace", report::trace_lines(runs[i].trace)}});
      }
      if (auto e = report::write_record(
              vm["record"].as<std::string>(),
              report::record_header("runs", command_line("run", args)),
              {{"target", target}, {"kernel", kernel_release}, {"runs", recorded}}))
        return write_failed("run", *e);
    }
  } else {
    std::string known = "model";
    for (const auto& t : kernel::target_names()) known += ", " + t;
    throw UsageError("unknown target '" + target + "' (known: " + known + ")");
  }

  int code = kOk;
  nlohmann::json all = nlohmann::json::array();
  for (const auto& r : runs) {
    if (!r.scenario) continue;
    print_run(r, vm.count("json") > 0, all, target, kernel_release);
    int c = r.code;
    if (c == kOk && r.scenario->expect && first_difference(*r.scenario->expect, r.trace))
      c = kViolation;
    code = std::max(code, c);
  }
  if (vm.count("json")) fmt::print("{}\n", (scenarios.size() == 1 ? all.front() : all).dump(2));
  return code;
}

} // namespace ptmc::cli
