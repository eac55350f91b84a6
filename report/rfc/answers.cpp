#include "report/rfc/answers.hpp"

#include "engine/runner.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace ptmc::rfc {

namespace {

// The kernels whose recorded traces the answers show, and their data files (scripts/rfc-data.sh
// linux writes them with `ptmc rfc record`).
struct KernelRecord {
  std::string key;  // in the computed data: "host", "qemu"
  std::string file; // under the data directory
};
const std::vector<KernelRecord> kKernels = {{"host", "linux-runs-host"},
                                            {"qemu", "linux-runs-qemu-x86_64"}};

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot read");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Scenario load_scenario(const std::string& path) {
  const ParseResult parsed = parse_scenario(read_text(path), path);
  if (!parsed.scenario) throw std::runtime_error(parsed.error->what());
  return *parsed.scenario;
}

// A scenario file's leading comment, which says what it shows (the scenarios' convention).
std::string first_comment(const std::string& path) {
  std::istringstream in(read_text(path));
  std::string text;
  for (std::string line; std::getline(in, line) && line.starts_with("#");)
    text += (text.empty() ? "" : " ") + line.substr(std::min<size_t>(2, line.size()));
  return text;
}

// The scenario as a kernel run it: without its expect block.
std::string scenario_text(Scenario s) {
  s.expect.reset();
  return format_scenario(s);
}

// A trace in one line: each stop's kind and place, and rax where the question is about it.
std::string compact(const Trace& trace, bool show_rax) {
  std::string out;
  for (const TraceLine& line : trace) {
    const std::string text = format_trace_line(line);
    std::istringstream words(text);
    std::string kind, word, at, rax;
    words >> kind;
    while (words >> word) {
      if (word.starts_with("at=")) at = word.substr(3);
      if (word.starts_with("rax=")) rax = word.substr(4);
      if (word.starts_with("code=") && kind == "exited") at = word.substr(5);
    }
    if (!out.empty()) out += ", ";
    out += kind;
    if (!at.empty()) out += (kind == "exited" ? "(" + at + ")" : "@" + at);
    if (show_rax && !rax.empty()) out += " rax=" + rax;
  }
  return out;
}

const Profile& profile_named(const AnswerInputs& in, const std::string& name) {
  for (const Profile& p : in.profiles)
    if (p.name == name) return p;
  throw std::runtime_error("rfc-answers: no profile " + name);
}

Json load_json(const std::string& path) {
  std::ifstream f(path);
  if (!f) return Json();
  Json j = Json::parse(f, nullptr, false);
  if (j.is_discarded()) throw std::runtime_error(path + ": not valid JSON");
  return j;
}

} // namespace

const std::vector<QuestionPlan>& question_plans() {
  static const std::vector<QuestionPlan> plans = {
      {"q1",
       {"linux-x86_64", "variant-write-restored-frame", "variant-write-restored-when-next",
        "bug-signal-frame"},
       {"register-write-persistence", "transparency", "signal-injection-once", "determinism"},
       {"rfc-q1-write-at-signal-stop.ptmc", "rfc-q1-write-in-handler.ptmc",
        "rfc-q1-write-at-sigreturn.ptmc"},
       true},
      // Question 1 on Redox: 6a3825d4 (redox-2019) and the two designs around it. No scenarios:
      // Redox's scenarios have their own syntax and no kernel to run on here.
      {"q1redox",
       {"redox-2019", "redox-2019-write-backup-always", "redox-2019-bug-signal-frame"},
       {"register-write-persistence", "access-keeps-stopped", "transparency", "determinism"},
       {},
       true,
       false},
      {"q2",
       {"linux-x86_64", "variant-step-twice", "variant-step-at-entry"},
       {"step-granularity", "transparency", "sysemu-step-granularity", "kernel-mode-tf"},
       {"step-over-syscall.ptmc"},
       false},
      {"q3",
       {"linux-x86_64", "variant-sysemu-step-exit"},
       {"sysemu-step-granularity", "sysemu-never-executes", "step-granularity", "transparency"},
       {"sysemu-singlestep.ptmc", "rfc-q3-sysemu-then-singlestep.ptmc"},
       false},
      // Questions 2 and 3 on Redox, on the hand-derived Redox scenarios (their expect blocks come
      // from reading the kernel's source; there is no Redox kernel to run them on here).
      {"q2redox",
       {"redox-2019", "redox-2020"},
       {"step-granularity", "transparency", "tf-transparency", "determinism"},
       {"redox/step-over-syscall.ptmc"},
       false,
       false},
      {"q3redox",
       {"redox-2019", "redox-2020"},
       {"sysemu-never-executes", "signal-suppression", "step-granularity", "determinism"},
       {"redox/ignore-emulates.ptmc", "redox/ignore-without-stop-bit.ptmc"},
       false,
       false},
  };
  return plans;
}

CheckReport check_at(const Profile& profile, int bound) {
  CheckOptions options;
  options.bound = bound;
  return check_profile(profile, options);
}

Json computed_data(const AnswerInputs& in) {
  Json out;
  out["bound"] = in.bound;
  // Until the Z3 issue lands nothing here is proved: the verdicts are exhaustive up to the bound.
  out["proved"] = "not proved";

  std::map<std::string, Json> kernels;
  for (const KernelRecord& k : kKernels) {
    const std::string path = in.data_dir + "/" + k.file + ".json";
    Json j = load_json(path);
    if (j.is_null()) throw std::runtime_error(path + ": missing; run scripts/rfc-data.sh linux");
    kernels[k.key] = std::move(j);
  }

  std::map<std::string, CheckReport> checked; // a variant can serve several questions
  const auto verdicts_of = [&](const Profile& p) -> const CheckReport& {
    auto it = checked.find(p.name);
    if (it == checked.end()) it = checked.emplace(p.name, in.check(p)).first;
    return it->second;
  };

  for (const QuestionPlan& plan : question_plans()) {
    if (!in.questions.empty() &&
        std::find(in.questions.begin(), in.questions.end(), plan.key) == in.questions.end())
      continue;
    Json q;
    std::vector<Scenario> scenarios;
    for (const std::string& file : plan.scenarios)
      scenarios.push_back(load_scenario(in.scenario_dir + "/" + file));

    // What Linux (the model's linux-x86_64) shows: what the kernels are compared with.
    const Profile& linux = profile_named(in, plan.variants.front());
    std::vector<Trace> linux_traces;
    for (const Scenario& s : scenarios) {
      const ModelRun run = run_on_model(s, linux);
      if (run.error) throw std::runtime_error(s.source + " on " + linux.name + ": " + *run.error);
      linux_traces.push_back(run.trace);
    }

    Json variants = Json::array();
    for (const std::string& name : plan.variants) {
      const Profile& p = profile_named(in, name);
      const CheckReport& report = verdicts_of(p);
      Json v;
      v["name"] = p.name;
      v["summary"] = p.summary;
      v["proved"] = out["proved"];
      Json verdicts, broken = Json::array();
      for (const PropertyResult& r : report.results) {
        const std::string prop(property_info(r.property).name);
        verdicts[prop] = std::string(verdict_name(r.verdict));
        if (r.verdict == Verdict::violated || r.verdict == Verdict::expected_violation)
          broken.push_back(prop);
      }
      for (const std::string& prop : plan.properties)
        if (!verdicts.contains(prop))
          throw std::runtime_error("rfc-answers: " + p.name + " has no verdict for " + prop);
      v["verdicts"] = verdicts;
      std::string broken_text;
      for (const auto& b : broken)
        broken_text += (broken_text.empty() ? "" : ", ") + b.get<std::string>();
      v["breaks"] = broken_text.empty() ? "none" : broken_text;
      v["broken"] = broken;
      v["complete"] = report.complete;
      Json runs = Json::array();
      for (size_t i = 0; i < scenarios.size(); ++i) {
        const ModelRun run = run_on_model(scenarios[i], p);
        Json cell;
        cell["scenario"] = plan.scenarios[i];
        cell["trace"] = run.error ? "(the model refuses it: " + *run.error + ")"
                                  : compact(run.trace, plan.show_rax);
        cell["same_as_linux"] = !run.error && !first_difference(linux_traces[i], run.trace);
        runs.push_back(cell);
      }
      v["runs"] = runs;
      variants.push_back(v);
    }
    // What each design changes against the first (Linux's, or 6a3825d4 on Redox): the
    // properties it breaks that the first keeps, and those it keeps that the first breaks.
    const Json base_broken = variants.front()["broken"];
    for (Json& v : variants) {
      std::string adds, fixes;
      for (const Json& b : v["broken"])
        if (std::find(base_broken.begin(), base_broken.end(), b) == base_broken.end())
          adds += (adds.empty() ? "" : ", ") + b.get<std::string>();
      for (const Json& b : base_broken)
        if (std::find(v["broken"].begin(), v["broken"].end(), b) == v["broken"].end())
          fixes += (fixes.empty() ? "" : ", ") + b.get<std::string>();
      v["adds"] = adds.empty() ? "nothing" : adds;
      v["fixes"] = fixes.empty() ? "nothing" : fixes;
    }
    q["variants"] = variants;

    Json shown = Json::array();
    for (size_t i = 0; i < scenarios.size(); ++i) {
      Json s;
      s["file"] = plan.scenarios[i];
      s["title"] = first_comment(in.scenario_dir + "/" + plan.scenarios[i]);
      s["model"] = compact(linux_traces[i], plan.show_rax);
      for (const KernelRecord& k : plan.on_kernels ? kKernels : std::vector<KernelRecord>{}) {
        const Json& rec = kernels[k.key];
        const std::string where = in.data_dir + "/" + k.file + ".json";
        if (!rec.contains("runs") || !rec["runs"].contains(plan.scenarios[i]))
          throw std::runtime_error(where + ": no run of " + plan.scenarios[i] +
                                   "; run scripts/rfc-data.sh linux");
        const Json& run = rec["runs"][plan.scenarios[i]];
        if (run.value("scenario", std::string()) != scenario_text(scenarios[i]))
          throw std::runtime_error(where + ": the recorded run of " + plan.scenarios[i] +
                                   " is of an older version of it; run scripts/rfc-data.sh linux");
        Trace trace;
        for (const auto& l : run["trace"]) {
          const auto parsed = parse_trace_line(l.get<std::string>());
          if (!parsed.line) throw std::runtime_error(where + ": bad trace line: " + parsed.error);
          trace.push_back(*parsed.line);
        }
        Json kj;
        kj["status"] = run.value("status", std::string("ok"));
        kj["trace"] = compact(trace, plan.show_rax);
        kj["agrees"] = kj["status"] == "ok" && !first_difference(linux_traces[i], trace);
        s[k.key] = kj;
      }
      shown.push_back(s);
    }
    q["scenarios"] = shown;
    out[plan.key] = q;
  }
  for (const KernelRecord& k : kKernels) {
    const Json& rec = kernels[k.key];
    Json kj;
    for (const char* field : {"produced_by", "generated_at", "kernel_release", "target", "accel"})
      kj[field] = rec.value(field, std::string());
    out["kernels"][k.key] = kj;
  }
  return out;
}

std::string write_rfc_answers(const AnswerInputs& in) {
  const Json computed = computed_data(in);
  std::map<std::string, std::unique_ptr<Json>> loaded;
  std::vector<std::string> problems;
  const auto data = [&](const std::string& name) -> const Json* {
    if (name == "computed") return &computed;
    auto it = loaded.find(name);
    if (it == loaded.end()) {
      const std::string path = in.data_dir + "/" + name + ".json";
      Json j = load_json(path);
      it = loaded.emplace(name, j.is_null() ? nullptr : std::make_unique<Json>(std::move(j))).first;
    }
    return it->second.get();
  };

  std::string body;
  std::vector<std::string> files;
  for (const char* key : {"summary", "q1", "q2", "q3", "q4", "q5"}) {
    const std::string name = std::string(key) + ".md";
    const Rendered r = render(read_text(in.source_dir + "/" + name), name, data);
    problems.insert(problems.end(), r.errors.begin(), r.errors.end());
    for (const std::string& f : r.files)
      if (f != "computed" && std::find(files.begin(), files.end(), f) == files.end())
        files.push_back(f);
    body += r.text;
    if (!body.ends_with("\n\n")) body += "\n";
  }
  if (!problems.empty()) {
    std::string message = "rfc-answers: placeholders that did not resolve:";
    for (const std::string& p : problems) message += "\n  " + p;
    throw std::runtime_error(message);
  }

  std::string doc =
      "# Answers to the Redox ptrace RFC's open questions\n\n"
      "<!-- Generated by `ptmc report` (scripts/reports.sh html) or `ptmc rfc answers`, both "
      "through report/rfc/answers.cpp, from report/rfc/*.md; do not edit. -->\n\n";
  doc += body;
  doc += "## Where the figures come from\n\n";
  doc += "Computed when this file was generated: every property verdict (`ptmc check`'s "
         "explorer, program bound " +
         std::to_string(in.bound) +
         ", not proved), every run of a scenario on the model, and whether a kernel's recorded "
         "trace equals the model's. Read from recorded data (reports/data/rfc/):\n\n";
  doc += "| file | command | when (UTC) | kernel |\n|---|---|---|---|\n";
  for (const std::string& f : files) {
    const Json* j = data(f);
    std::string kernel = j->value("kernel_release", std::string());
    if (kernel.empty()) kernel = j->value("kernel", std::string());
    if (kernel.empty() && j->contains("runs") && (*j)["runs"].contains("host"))
      kernel = (*j)["runs"]["host"].value("kernel_release", std::string()) + " (host)";
    if (kernel.empty()) kernel = "none (the model only)";
    doc += "| " + f + ".json | `" + j->value("produced_by", std::string("?")) + "` | " +
           j->value("generated_at", std::string("?")) + " | " + kernel + " |\n";
  }
  return doc;
}

} // namespace ptmc::rfc
