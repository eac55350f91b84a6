// ptmc compare: Linux against Redox over the same Linux-API scenarios, on the common observation
// (engine/compare.hpp). The scenarios are the diff enumeration (cli/diff_core.hpp), the *.ptmc
// files of a folder, or both; each one is run on the Linux profile as it is and on the Redox
// profile through relibc's translation.
#include "engine/compare.hpp"
#include "cli/commands.hpp"
#include "cli/diff_core.hpp"
#include "cli/options.hpp"
#include "common/atomic_file.hpp"
#include "model/profile.hpp"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

namespace ptmc::cli {

namespace po = boost::program_options;

namespace {

// What kind of difference a case shows: its first differing lines, reduced to their kinds and
// the field that differs.
std::string signature(const CompareCase& c) {
  const size_t i = c.first_difference;
  const auto kind = [](const std::vector<CommonLine>& v, size_t k) {
    return k < v.size() ? v[k].kind : std::string("(no more)");
  };
  const std::string l = kind(c.linux_common, i), r = kind(c.redox_common, i);
  if (l != r) return "Linux " + l + " / Redox " + r;
  const CommonLine &a = c.linux_common[i], &b = c.redox_common[i];
  std::string field = !(a.at == b.at)                                  ? "at"
                      : a.signal != b.signal                           ? "signal"
                      : a.code != b.code                               ? "code"
                      : a.written != b.written                         ? "written"
                      : a.rbx != b.rbx                                 ? "rbx"
                      : (a.tf != b.tf || a.zf != b.zf || a.cf != b.cf) ? "flags"
                                                                       : "rax";
  return l + ": " + field;
}

std::string lines_text(const Trace& t) {
  std::string out;
  for (const auto& l : t) out += "    " + format_trace_line(l) + "\n";
  return out;
}

std::string common_text(const std::vector<CommonLine>& v, size_t mark) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i)
    out += std::string(i == mark ? "  > " : "    ") + format_common(v[i]) + "\n";
  return out;
}

std::string case_text(const CompareCase& c) {
  std::string out = "### " + c.scenario.source + " (" + signature(c) + ")\n\n```\n" +
                    format_scenario(c.scenario) + "```\n\n";
  out += "Common observation, Linux then Redox (`>` marks the first difference):\n\n```\n";
  out += common_text(c.linux_common, c.first_difference) + "---\n" +
         common_text(c.redox_common, c.first_difference) + "```\n\n";
  out += "Linux trace:\n\n```\n" + lines_text(c.linux_trace) + "```\n\n";
  out += "Redox trace (the operations relibc performs):\n\n```\n" + lines_text(c.redox_trace) +
         "```\n";
  for (const auto& n : c.notes) out += "\n- relibc: " + n;
  if (!c.notes.empty()) out += "\n";
  return out + "\n";
}

} // namespace

int cmd_compare(const Args& args) {
  po::options_description d(
      "ptmc compare --profiles LINUX,REDOX [options]: run the same Linux-API scenarios on a Linux "
      "profile and on a Redox one (through relibc's ptrace()), and list where they differ");
  d.add_options()("profiles", po::value<std::string>()->default_value("linux-x86_64,redox-2020"),
                  "the Linux profile and the Redox profile, comma-separated")(
      "length", po::value<int>(), "enumerate programs of 1..N instructions")(
      "depth", po::value<int>(), "with --length: N resume requests before `repeat cont`")(
      "scenarios", po::value<std::string>(), "also the Linux *.ptmc files of this folder")(
      "report", po::value<std::string>(), "write the whole comparison as Markdown to this file")(
      "examples", po::value<int>()->default_value(10),
      "differing scenarios to print in full, one per kind of difference")(
      "report-examples", po::value<int>()->default_value(3),
      "with --report: scenarios of each kind of difference written in full (the others by "
      "name)")("json", "print JSON")("quiet,q", "no progress");
  po::variables_map vm;
  if (!parse_options(args, d, nullptr, vm)) return kOk;
  const std::string names = vm["profiles"].as<std::string>();
  const auto comma = names.find(',');
  if (comma == std::string::npos)
    throw UsageError("--profiles takes two names, LINUX,REDOX (e.g. linux-x86_64,redox-2020)");
  const Profile* lp = find_profile(names.substr(0, comma));
  const Profile* rp = find_profile(names.substr(comma + 1));
  if (!lp || !rp) throw UsageError("unknown profile in '" + names + "' (see 'ptmc profiles')");
  if (lp->kernel != "linux" || lp->arch != "x86_64" || rp->kernel != "redox" ||
      rp->redox_version != 2020)
    throw UsageError("--profiles wants a Linux x86_64 profile then redox-2020, the version "
                     "relibc's mapping is modelled for (relibc a5e02650)");
  if (!vm.count("length") && !vm.count("scenarios"))
    throw UsageError("give --length N --depth N, or --scenarios DIR, or both");
  if (vm.count("length") != vm.count("depth")) throw UsageError("--length and --depth go together");

  std::vector<Scenario> corpus;
  std::vector<std::string> other_arch; // scenario files of another architecture, left out
  if (vm.count("length")) {
    DiffSpec spec;
    spec.profile = lp;
    spec.length = vm["length"].as<int>();
    spec.depth = vm["depth"].as<int>();
    if (spec.length < 1 || spec.length > 3 || spec.depth < 0 || spec.depth > 4)
      throw UsageError("--length must be 1..3 and --depth 0..4");
    corpus = enumerate_scenarios(spec);
  }
  if (vm.count("scenarios")) {
    const std::string dir = vm["scenarios"].as<std::string>();
    if (!std::filesystem::is_directory(dir)) throw UsageError("not a folder: '" + dir + "'");
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(dir))
      if (e.path().extension() == ".ptmc") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      std::ifstream in(f);
      std::stringstream ss;
      ss << in.rdbuf();
      auto parsed = parse_scenario(ss.str(), f);
      if (parsed.error) {
        fmt::print(stderr, "{}\n", parsed.error->what());
        return kBadInput;
      }
      // Only Linux-API scenarios: a Redox scenario has no Linux meaning to compare with.
      if (parsed.scenario->uses_redox_actions()) continue;
      const Profile* own = find_profile(parsed.scenario->profile);
      if (!own || own->kernel != "linux") continue;
      // Redox runs on x86_64 only: another architecture's scenario is no input for relibc.
      if (parsed.scenario->arch() != Arch::x86_64) {
        other_arch.push_back(f);
        continue;
      }
      corpus.push_back(*parsed.scenario);
    }
  }

  std::vector<CompareCase> cases;
  cases.reserve(corpus.size());
  for (size_t i = 0; i < corpus.size(); ++i) {
    cases.push_back(compare_kernels(corpus[i], *lp, *rp));
    if (!vm.count("quiet") && stderr_is_terminal() && i % 200 == 0)
      fmt::print(stderr, "\r[compare] {}/{}", i, corpus.size());
  }
  if (!vm.count("quiet") && stderr_is_terminal()) fmt::print(stderr, "\r{:40}\r", "");

  std::map<CompareOutcome, size_t> count;
  std::map<std::string, std::vector<const CompareCase*>> by_signature, unmappable, untraced,
      refused;
  for (const auto& c : cases) {
    ++count[c.outcome];
    if (c.outcome == CompareOutcome::differ) by_signature[signature(c)].push_back(&c);
    if (c.outcome == CompareOutcome::unmappable) unmappable[c.reason].push_back(&c);
    if (c.outcome == CompareOutcome::untraced_differ) untraced[c.reason].push_back(&c);
    if (c.outcome == CompareOutcome::refused) refused[c.reason].push_back(&c);
  }
  const auto n = [&](CompareOutcome o) { return count.count(o) ? count[o] : size_t{0}; };

  if (vm.count("json")) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& c : cases) {
      nlohmann::json o = {{"scenario", c.scenario.source},
                          {"outcome", outcome_name(c.outcome)},
                          {"reason", c.reason}};
      if (c.outcome == CompareOutcome::differ) {
        o["signature"] = signature(c);
        o["first_difference"] = c.first_difference;
        nlohmann::json lc = nlohmann::json::array(), rc = nlohmann::json::array();
        for (const auto& l : c.linux_common) lc.push_back(format_common(l));
        for (const auto& r : c.redox_common) rc.push_back(format_common(r));
        o["linux"] = lc;
        o["redox"] = rc;
      }
      j.push_back(o);
    }
    fmt::print("{}\n", j.dump(2));
  } else {
    fmt::print("ptmc compare: {} against {} through relibc's ptrace(), {} scenarios\n", lp->name,
               rp->name, cases.size());
    fmt::print("  agree {}, differ {}, unmappable {}, differ untraced already {}, refused {}\n",
               n(CompareOutcome::agree), n(CompareOutcome::differ), n(CompareOutcome::unmappable),
               n(CompareOutcome::untraced_differ), n(CompareOutcome::refused));
    if (!other_arch.empty())
      fmt::print("  not compared: {} scenario file(s) of another architecture (Redox's model is "
                 "x86_64's)\n",
                 other_arch.size());
    fmt::print("\ndifferences, by their first differing observation:\n");
    for (const auto& [sig, v] : by_signature)
      fmt::print("  {:>6}  {}  (e.g. {})\n", v.size(), sig, v.front()->scenario.source);
    fmt::print("\nnot mappable through relibc:\n");
    for (const auto& [why, v] : unmappable) fmt::print("  {:>6}  {}\n", v.size(), why);
    if (!untraced.empty()) fmt::print("\nthe programs already differ untraced:\n");
    for (const auto& [why, v] : untraced) fmt::print("  {:>6}  {}\n", v.size(), why);
    if (!refused.empty()) fmt::print("\nrefused by a model:\n");
    for (const auto& [why, v] : refused) fmt::print("  {:>6}  {}\n", v.size(), why);
    int left = vm["examples"].as<int>();
    for (const auto& [sig, v] : by_signature) {
      if (left-- <= 0) break;
      fmt::print("\n{}", case_text(*v.front()));
    }
  }

  if (vm.count("report")) {
    const std::string path = vm["report"].as<std::string>();
    AtomicFile report(path); // whole or not at all (docs/reliability.md)
    std::ostream& f = report.out();
    f << "# Linux against Redox: " << lp->name << " and " << rp->name << "\n\n"
      << "Generated by `ptmc compare --profiles " << names << "` (scripts/redox-compare.sh). "
      << "Each Linux-API scenario runs on the Linux model as it is and on the Redox model "
      << "through relibc's ptrace() (relibc a5e02650); both traces are reduced to the common "
      << "observation of docs/redox-model.md. Every Redox rule is confirmed by source only.\n\n"
      << "| outcome | scenarios |\n|---|---|\n";
    for (CompareOutcome o :
         {CompareOutcome::agree, CompareOutcome::differ, CompareOutcome::unmappable,
          CompareOutcome::untraced_differ, CompareOutcome::refused})
      f << "| " << outcome_name(o) << " | " << n(o) << " |\n";
    if (!other_arch.empty()) {
      f << "\nNot compared, being scenarios of another architecture (Redox's model is x86_64's):";
      for (const auto& file : other_arch) f << " " << file;
      f << "\n";
    }
    f << "\n## Differences, by their first differing observation\n\n| count | first difference "
         "| example |\n|---|---|---|\n";
    for (const auto& [sig, v] : by_signature)
      f << "| " << v.size() << " | " << sig << " | " << v.front()->scenario.source << " |\n";
    f << "\n## Not mappable through relibc (each scenario, with the reason)\n\n";
    for (const auto& [why, v] : unmappable) {
      f << "- " << why << ": " << v.size() << " scenarios:";
      for (const auto* c : v) f << " " << c->scenario.source;
      f << "\n";
    }
    f << "\n## Programs that already differ untraced (not ptrace differences)\n\n";
    for (const auto& [why, v] : untraced) {
      f << "- " << why << ": " << v.size() << " scenarios:";
      for (const auto* c : v) f << " " << c->scenario.source;
      f << "\n";
    }
    if (!refused.empty()) f << "\n## Refused by a model\n\n";
    for (const auto& [why, v] : refused) {
      f << "- " << why << ": " << v.size() << " scenarios:";
      for (const auto* c : v) f << " " << c->scenario.source;
      f << "\n";
    }
    const size_t full = static_cast<size_t>(std::max(0, vm["report-examples"].as<int>()));
    f << "\n## The differing scenarios, kind by kind, with both traces\n\n"
      << "The first " << full << " of each kind in full; the others by name (`ptmc compare` "
      << "prints any of them in full).\n\n";
    for (const auto& [sig, v] : by_signature) {
      f << "## " << sig << " (" << v.size() << ")\n\n";
      for (size_t i = 0; i < v.size() && i < full; ++i) f << case_text(*v[i]);
      if (v.size() > full) {
        f << "Also:";
        for (size_t i = full; i < v.size(); ++i) f << " " << v[i]->scenario.source;
        f << "\n\n";
      }
    }
    if (auto e = report.commit()) return write_failed("compare", *e);
  }
  return n(CompareOutcome::differ) ? kViolation : kOk;
}

} // namespace ptmc::cli
