#include "cli/redox_smp.hpp"

#include "cli/options.hpp"
#include "model/profile.hpp"
#include "model/redox/smp/check.hpp"
#include "model/redox/smp/scenario.hpp"
#include "report/numbers.hpp"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

namespace ptmc::cli {

namespace po = boost::program_options;
namespace rs = ptmc::redox_smp;

std::optional<std::string> profile_argument(const Args& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if ((a == "--profile" || a == "-p") && i + 1 < args.size()) return args[i + 1];
    if (a.rfind("--profile=", 0) == 0) return a.substr(10);
  }
  return std::nullopt;
}

bool is_concurrent_profile(const std::string& name) {
  const Profile* p = find_profile(name);
  return p && p->level == Level::concurrent;
}

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t i = s.find(sep, start);
    out.push_back(s.substr(start, i == std::string::npos ? std::string::npos : i - start));
    if (i == std::string::npos) break;
    start = i + 1;
  }
  return out;
}

void add_domain_options(po::options_description& d) {
  d.add_options()("profile,p", po::value<std::string>()->required(),
                  "a concurrent profile (see 'ptmc profiles')")(
      "program-bound", po::value<int>(), "tracee instructions before exit (0-4)")(
      "requests", po::value<int>(), "tracer requests before its final close (0-7)")(
      "writes", po::value<std::string>(),
      "flag words the tracer may write, comma-separated (e.g. "
      "PRE_SYSCALL,POST_SYSCALL|FLAG_IGNORE)")("alphabet", po::value<std::string>(),
                                               "tracee instructions: nop,getpid,clone")(
      "no-getregs", "no register reads in the tracer's alphabet")(
      "kills", po::value<std::string>(), "SIGKILL by a third party: none, tracee, tracer, both")(
      "open", po::value<std::string>(),
      "how the trace file is opened: plain, O_TRUNC (tracee running), O_TRUNC-frozen (tracee "
      "off its CPU), comma-separated")(
      "cpus", po::value<int>(), "CPUs (1-3): tracer on 0, tracee on 1 mod N, clone on 2 mod N")(
      "close-last", "the tracer closes only after all its requests (not earlier)")(
      "no-por", "explore every interleaving (no partial-order reduction)")(
      "max-states", po::value<long long>(), "stop after this many states (exit 3)")(
      "max-memory", po::value<std::string>(),
      "stop before the engine's tables exceed this")("quiet,q", "no progress line");
}

rs::Domain domain_from(const po::variables_map& vm, rs::Domain d) {
  if (vm.count("program-bound")) {
    const int b = vm["program-bound"].as<int>();
    if (b < 0 || b > 4) throw UsageError("--program-bound must be between 0 and 4");
    d.program_bound = b;
  }
  if (vm.count("requests")) {
    const int n = vm["requests"].as<int>();
    if (n < 0 || n > 7) throw UsageError("--requests must be between 0 and 7");
    d.requests = n;
  }
  if (vm.count("writes")) {
    d.writes.clear();
    for (const auto& w : split(vm["writes"].as<std::string>(), ',')) {
      uint8_t f = 0;
      if (w.empty() || !rs::parse_flags(w, f))
        throw UsageError("--writes: unknown flag word '" + w +
                         "' (PRE_SYSCALL, POST_SYSCALL, SINGLESTEP, SIGNAL, EXIT, EVENT_CLONE, "
                         "FLAG_IGNORE joined by |)");
      d.writes.push_back(f);
    }
  }
  if (vm.count("alphabet")) {
    d.alphabet.clear();
    for (const auto& a : split(vm["alphabet"].as<std::string>(), ',')) {
      if (a == "nop")
        d.alphabet.push_back(rs::Insn::nop);
      else if (a == "getpid")
        d.alphabet.push_back(rs::Insn::getpid);
      else if (a == "clone")
        d.alphabet.push_back(rs::Insn::clone);
      else
        throw UsageError("--alphabet: unknown instruction '" + a + "' (nop, getpid, clone)");
    }
  }
  if (vm.count("no-getregs")) d.regs = false;
  if (vm.count("close-last")) d.close_anytime = false;
  if (vm.count("kills")) {
    const std::string k = vm["kills"].as<std::string>();
    if (k != "none" && k != "tracee" && k != "tracer" && k != "both")
      throw UsageError("--kills must be none, tracee, tracer or both");
    d.kill_tracee = k == "tracee" || k == "both";
    d.kill_tracer = k == "tracer" || k == "both";
  }
  if (vm.count("open")) {
    const std::string o = vm["open"].as<std::string>();
    d.attach.clear();
    for (const auto& a : split(o, ',')) {
      const auto attach = rs::attach_by_name(a);
      if (!attach)
        throw UsageError("--open takes plain, O_TRUNC, O_TRUNC-frozen (comma-separated)");
      d.attach.push_back(*attach);
    }
  }
  if (vm.count("cpus")) {
    const int c = vm["cpus"].as<int>();
    if (c < 1 || c > 3) throw UsageError("--cpus must be 1, 2 or 3");
    d.cpus = c;
  }
  return d;
}

std::string describe_domain(const rs::Domain& d) {
  std::string writes;
  for (uint8_t w : d.writes) writes += (writes.empty() ? "" : ", ") + rs::format_flags(w);
  std::string alphabet;
  for (rs::Insn i : d.alphabet)
    alphabet += (alphabet.empty() ? "" : ", ") + std::string(rs::insn_name(i));
  std::string open;
  for (rs::Attach a : d.attach)
    open += (open.empty() ? "" : " and ") + std::string(rs::attach_name(a));
  const std::string kills = d.kill_tracee && d.kill_tracer ? "tracee or tracer"
                            : d.kill_tracee                ? "tracee"
                            : d.kill_tracer                ? "tracer"
                                                           : "none";
  return fmt::format(
      "tracee programs of at most {} instructions ({}) then exit; at most {} tracer requests "
      "(write {}; read{}) then close; {} CPU{}; open {}; SIGKILL from a third party: {}",
      d.program_bound, alphabet, d.requests, writes.empty() ? "-" : writes,
      d.regs ? "; getregs" : "", d.cpus, d.cpus == 1 ? "" : "s", open, kills);
}

rs::CheckOptions options_from(const po::variables_map& vm, const rs::Variant& v) {
  rs::CheckOptions o;
  o.domain = domain_from(vm, v.domain);
  o.por = !vm.count("no-por");
  if (vm.count("max-states")) {
    const auto n = vm["max-states"].as<long long>();
    if (n < 1) throw UsageError("--max-states must be positive");
    o.max_states = static_cast<uint64_t>(n);
  }
  if (vm.count("max-memory")) o.max_bytes = parse_size(vm["max-memory"].as<std::string>());
  if (stderr_is_terminal() && !vm.count("quiet"))
    o.progress = [](const std::string& phase, uint64_t s, uint64_t t, uint32_t d, double) {
      fmt::print(stderr, "\r[{}] {} states, {} transitions, depth {}   ", phase, with_commas(s),
                 with_commas(t), d);
      std::fflush(stderr);
    };
  return o;
}

void clear_line() {
  if (stderr_is_terminal()) fmt::print(stderr, "\r{:80}\r", "");
}

const rs::Variant& variant_or_throw(const po::variables_map& vm) {
  const std::string name = vm["profile"].as<std::string>();
  if (const rs::Variant* v = rs::find_variant(name)) return *v;
  throw UsageError("'" + name + "' is not a concurrent profile");
}

} // namespace

int smp_check(const Args& args) {
  po::options_description d("ptmc check --profile P [options]: decide every property of a "
                            "concurrent (Redox SMP) profile");
  add_domain_options(d);
  d.add_options()("property", po::value<std::vector<std::string>>(),
                  "check only this property (repeatable)")(
      "no-products", "skip the two-run properties (determinism, refinement)")(
      "paired", "decide determinism with the paired product of two copies (slower; the same "
                "verdict as the default, which walks the model's own observation histories)")(
      "json", "print JSON");
  po::variables_map vm;
  if (!parse_options(args, d, nullptr, vm)) return kOk;
  const rs::Variant& v = variant_or_throw(vm);
  rs::CheckOptions o = options_from(vm, v);
  o.products = !vm.count("no-products");
  o.paired_determinism = vm.count("paired") > 0;
  if (vm.count("property"))
    for (const auto& name : vm["property"].as<std::vector<std::string>>()) {
      const auto p = rs::prop_by_name(name);
      if (!p) throw UsageError("unknown property '" + name + "' (see 'ptmc props')");
      o.only.push_back(*p);
    }
  const rs::CheckReport rep = rs::check(v, o);
  clear_line();
  const rs::SmpModel model(v.version, rep.domain, rep.por);
  bool unexpected = false;
  for (const auto& r : rep.results) unexpected |= r.verdict == rs::Verdict::violated;

  if (vm.count("json")) {
    nlohmann::json props = nlohmann::json::array();
    for (const auto& r : rep.results) {
      nlohmann::json p = {{"property", rs::prop_table()[static_cast<size_t>(r.property)].name},
                          {"verdict", rs::verdict_name(r.verdict)},
                          {"note", r.note}};
      if (r.counterexample) {
        p["counterexample"] = rs::format_interleaving(v, model, *r.counterexample, "");
        p["length"] = r.length;
        p["context_switches"] = r.context_switches;
      }
      props.push_back(p);
    }
    nlohmann::json phases = nlohmann::json::array();
    for (const auto& ph : rep.phases)
      phases.push_back({{"phase", ph.phase},
                        {"states", ph.stats.states},
                        {"transitions", ph.stats.transitions},
                        {"depth", ph.stats.depth},
                        {"seconds", ph.stats.seconds},
                        {"complete", ph.stats.complete}});
    fmt::print("{}\n", nlohmann::json{{"profile", v.name},
                                      {"kernel", model.code().summary},
                                      {"bound", describe_domain(rep.domain)},
                                      {"partial_order_reduction", rep.por},
                                      {"complete", rep.complete},
                                      {"phases", phases},
                                      {"properties", props}}
                           .dump(2));
  } else {
    fmt::print("profile {} ({}), a concurrent model\nkernel: {}\nbound: {}\n", v.name, v.summary,
               model.code().summary, describe_domain(rep.domain));
    fmt::print("partial-order reduction: {}\n", rep.por ? "on" : "off");
    for (const auto& ph : rep.phases)
      fmt::print("{:<12} {} states, {} transitions, depth {}, {:.2f} s{}\n", ph.phase,
                 with_commas(ph.stats.states), with_commas(ph.stats.transitions), ph.stats.depth,
                 ph.stats.seconds,
                 ph.stats.complete ? "" : " (stopped: " + ph.stats.stopped_by + ")");
    if (rep.overflows)
      fmt::print("successors cut by the 4-slot event queue: {}\n", with_commas(rep.overflows));
    fmt::print("\n{:<26} {:<16} {:>7} {:>9}\n", "property", "verdict", "steps", "switches");
    for (const auto& r : rep.results)
      fmt::print("{:<26} {:<16} {:>7} {:>9}\n",
                 rs::prop_table()[static_cast<size_t>(r.property)].name,
                 rs::verdict_name(r.verdict), r.counterexample ? std::to_string(r.length) : "",
                 r.counterexample ? std::to_string(r.context_switches) : "");
    for (const auto& r : rep.results)
      if (!r.counterexample && !r.note.empty())
        fmt::print("# {}: {}\n", rs::prop_table()[static_cast<size_t>(r.property)].name, r.note);
    for (const auto& r : rep.results) {
      if (!r.counterexample) continue;
      const std::string name(rs::prop_table()[static_cast<size_t>(r.property)].name);
      const bool known = r.verdict == rs::Verdict::known_violation;
      fmt::print("\n{} {}: shortest interleaving, {} steps, {} context switches{}\n",
                 known ? "known violation of" : "VIOLATED", name, r.length, r.context_switches,
                 known ? "" : " (replay: save it to a file, 'ptmc run FILE --on model')");
      if (!r.note.empty()) fmt::print("# {}\n", r.note);
      fmt::print("{}",
                 rs::format_interleaving(v, model, *r.counterexample,
                                         name + " " + std::string(rs::verdict_name(r.verdict))));
    }
  }
  return check_exit_code(unexpected, rep.complete);
}

int smp_explore(const Args& args) {
  po::options_description d("ptmc explore --profile P [options]: the state space of a "
                            "concurrent (Redox SMP) profile");
  add_domain_options(d);
  d.add_options()("json", "print JSON");
  po::variables_map vm;
  if (!parse_options(args, d, nullptr, vm)) return kOk;
  const rs::Variant& v = variant_or_throw(vm);
  const rs::CheckOptions o = options_from(vm, v);
  const auto stats = rs::explore_only(v, *o.domain, o.por, o.max_states);
  clear_line();
  if (vm.count("json")) {
    fmt::print("{}\n", nlohmann::json{{"profile", v.name},
                                      {"bound", describe_domain(*o.domain)},
                                      {"partial_order_reduction", o.por},
                                      {"states", stats.states},
                                      {"transitions", stats.transitions},
                                      {"depth", stats.depth},
                                      {"seconds", stats.seconds},
                                      {"complete", stats.complete}}
                           .dump(2));
  } else {
    fmt::print("profile {}, a concurrent model\nbound: {}\npartial-order reduction: {}\n", v.name,
               describe_domain(*o.domain), o.por ? "on" : "off");
    fmt::print("states       {}\ntransitions  {}\ndepth        {}\ntime         {:.2f} s\n",
               with_commas(stats.states), with_commas(stats.transitions), stats.depth,
               stats.seconds);
  }
  return stats.complete ? kOk : kLimit;
}

int smp_run(const std::string& path, const std::string& text, const Args& args) {
  po::options_description d("ptmc run FILE --on model: replay an interleaving");
  d.add_options()("file", po::value<std::string>()->required(), "scenario file")(
      "on", po::value<std::string>()->default_value("model"), "model (only)")("json", "print JSON");
  po::positional_options_description pos;
  pos.add("file", 1);
  po::variables_map vm;
  if (!parse_options(args, d, &pos, vm)) return kOk;
  if (vm["on"].as<std::string>() != "model") {
    fmt::print(stderr,
               "{}: error: a concurrent Redox profile runs on the model only (no Redox kernel "
               "can run here)\n",
               path);
    return kBadInput;
  }
  const auto parsed = rs::parse_interleaving(text, path);
  if (parsed.error) {
    fmt::print(stderr, "{}\n", parsed.error->what());
    return kBadInput;
  }
  const rs::InterleavingScenario& sc = *parsed.scenario;
  const rs::Variant& v = *rs::find_variant(sc.profile);
  const rs::ReplayResult r = rs::replay(v, sc);
  if (vm.count("json")) {
    nlohmann::json j = {
        {"scenario", path}, {"profile", v.name}, {"steps", r.printed}, {"outcome", r.outcome}};
    if (r.error) j["error"] = r.error->what();
    if (sc.expect) j["matches_expect"] = r.matches_expect;
    fmt::print("{}\n", j.dump(2));
  } else {
    fmt::print("# {} on model:{}\n", path, v.name);
    for (const auto& l : r.printed) fmt::print("{}\n", l);
    fmt::print("# outcome\n");
    for (const auto& o : r.outcome) fmt::print("{}\n", o);
  }
  if (r.error) {
    fmt::print(stderr, "{}\n", r.error->what());
    return kBadInput;
  }
  if (sc.expect && !r.matches_expect) {
    const auto& e = *sc.expect;
    const size_t i = r.first_difference;
    fmt::print("# differs from expect at line {}\n#   expected: {}\n#   actual:   {}\n", i + 1,
               i < e.size() ? e[i] : "(end)", i < r.outcome.size() ? r.outcome[i] : "(end)");
    return kViolation;
  }
  if (sc.expect) fmt::print("# matches expect\n");
  return kOk;
}

} // namespace ptmc::cli
