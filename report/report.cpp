#include "report/report.hpp"

#include "engine/check.hpp"
#include "kernel/target.hpp"
#include "model/models.hpp"
#include "report/difference_graph.hpp"
#include "report/drawing.hpp"
#include "report/html.hpp"
#include "report/numbers.hpp"
#include "report/protocol_graph.hpp"
#include "report/recorded_data.hpp"
#include "report/scenario_graph.hpp"
#include "report/views.hpp"

#include <fmt/core.h>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace ptmc::report {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kMarker = ".ptmc-report";

std::string profile_page(const std::string& name) {
  return "profile-" + name + ".html";
}
std::string difference_page(const std::string& base, const std::string& other) {
  return "difference-" + base + "--" + other + ".html";
}
// Every protocol edge's witness of a profile, one batch file, and the replay test's manifest.
std::string witness_batch(const std::string& profile) {
  return "witnesses/" + profile + ".ptmc";
}
std::string witness_manifest(const std::string& profile) {
  return "witnesses/" + profile + ".json";
}
// How to run edge eN's witness, from the report's directory.
std::string run_command(const std::string& profile, size_t edge) {
  return fmt::format("ptmc run {} --only {}", witness_batch(profile), edge);
}

// Why the report explores nothing for the profile (report/protocol_graph.hpp), or nullopt.
std::optional<std::string> no_model(const Profile& p) {
  return protocol_graph_unsupported(p);
}

std::string counterexample_name(const std::string& profile, std::string_view property) {
  return profile + "--" + std::string(property);
}

std::string verdict_text(Verdict v) {
  switch (v) {
  case Verdict::holds:
    return "holds";
  case Verdict::violated:
    return "VIOLATED";
  case Verdict::expected_violation:
    return "expected violation";
  case Verdict::unknown:
    return "unknown";
  }
  return "?";
}

std::string seconds_text(double s) {
  return fmt::format("{:.1f}", s);
}

// The kernel targets a scenario can run on, as the page suggests them ("" for a profile whose
// kernel no target runs). Written from the architecture alone, not from this machine's, so the
// page is the same wherever the report is made.
std::string kernel_targets(const Scenario& s) {
  const Profile* p = find_profile(s.profile);
  if (!p || p->kernel != "linux") return "";
  const Arch arch = arch_of_profile(s.profile);
  std::string out = arch == Arch::x86_64 ? "host" : "";
  for (const auto& t : kernel::target_names())
    if (t != "host" && kernel::target_arch(t) == arch) out += (out.empty() ? "" : "|") + t;
  return out;
}

// A scenario as text, without what does not change its run: the key recorded runs are found by.
std::string run_key(Scenario s) {
  s.expect.reset();
  s.source.clear();
  return format_scenario(s);
}

// Everything written, kept in memory until the end so that a failure leaves the old report.
struct Output {
  std::map<std::string, std::string> files; // path relative to the report -> content
  void add(const std::string& path, std::string content) { files[path] = std::move(content); }
};

// A picture waiting for `dot`, and where its figure goes in the page models.
struct FigureJob {
  Drawing drawing;
  std::string caption;
  std::string svg;
  std::optional<std::string> error;
};

class ReportBuilder {
public:
  explicit ReportBuilder(const ReportOptions& o)
      : options_(o), profiles_(o.profiles.empty() ? profiles() : o.profiles) {}

  ReportSummary build() {
    try {
      data_ = load_recorded_data(options_.data_dir);
    } catch (const std::runtime_error& e) {
      throw ReportError(e.what());
    }
    for (const auto& p : profiles_) {
      if (const auto why = no_model(p)) {
        status(fmt::format("{}: {}", p.name, *why));
        without_model_.emplace(p.name, *why);
        continue;
      }
      status(fmt::format("{}: protocol graph at bound {}", p.name, options_.bound));
      ProtocolOptions po;
      po.bound = options_.bound;
      po.progress = options_.progress;
      protocol_.emplace(p.name, build_protocol_graph(p, po));
      status(fmt::format("{}: checking every property at bound {}", p.name, options_.bound));
      CheckOptions co;
      co.bound = options_.bound;
      if (options_.progress)
        co.progress = [this, &p](const std::string& phase, uint64_t s, uint64_t, uint32_t, double) {
          status(fmt::format("{}: check [{}] {} states", p.name, phase, with_commas(s)));
        };
      checks_.emplace(p.name, check_profile(p, co));
    }
    load_scenarios();

    json index = base_model("ptmc report");
    for (const auto& p : profiles_) profile_section(p, index);
    unexplored_section(index);
    difference_section(index);
    rules_section(index);
    recorded_sections(index);
    scenario_section(index);
    documents_section(index);
    pages_.emplace_back("index.html", "index", std::move(index));

    render_figures();
    for (auto& [path, name, model] : pages_) {
      fill_figures(model);
      out_.add(path, render_page(name, model));
    }
    out_.add("style.css", style_sheet());
    out_.add(kMarker, "This directory is written by `ptmc report`; it replaces everything here.\n");
    write_out();

    ReportSummary summary;
    for (const auto& p : profiles_) {
      if (without_model_.count(p.name)) {
        summary.profiles.push_back(
            ProfileFigures{p.name, 0, 0, 0, false, without_model_.at(p.name)});
        continue;
      }
      const auto& r = protocol_.at(p.name);
      summary.profiles.push_back(ProfileFigures{p.name,
                                                r.explored.states,
                                                boost::num_vertices(r.graph),
                                                boost::num_edges(r.graph),
                                                shown_graph(r.graph).grouped,
                                                {}});
    }
    summary.files = out_.files.size();
    summary.index = (fs::path(options_.out_dir) / "index.html").string();
    return summary;
  }

private:
  void status(const std::string& s) const {
    if (options_.progress) options_.progress(s);
  }

  json base_model(const std::string& title) const {
    json m = {{"title", title},
              {"data_dir", options_.data_dir},
              {"scenarios_dir", options_.scenarios_dir},
              {"bound", options_.bound},
              {"max_nodes", kMaxDrawnNodes},
              {"first_profile", profiles_.front().name}};
    m["profile_links"] = json::array();
    for (const auto& p : profiles_)
      m["profile_links"].push_back({{"name", p.name}, {"href", profile_page(p.name)}});
    return m;
  }

  // Queues a drawing for `dot`; the page model gets a placeholder that fill_figures replaces.
  json figure(Drawing d, const std::string& caption) {
    jobs_.push_back(FigureJob{std::move(d), caption, {}, {}});
    return json{{"figure_ref", jobs_.size() - 1}};
  }

  // ---- profiles ------------------------------------------------------------------------------

  // A profile whose transition function `with_model` does not provide (a concurrent kernel, say)
  // still gets its page and index row, saying why nothing was explored.
  void profile_without_model(const Profile& p, const std::string& why, json& index) {
    json m = base_model("Profile " + p.name);
    m["summary"] = p.summary;
    m["parent"] = p.parent;
    m["parent_href"] = p.parent.empty() ? "" : profile_page(p.parent);
    m["no_model"] = why;
    index["profiles"].push_back({{"name", p.name},
                                 {"href", profile_page(p.name)},
                                 {"summary", p.summary},
                                 {"parent", p.parent},
                                 {"no_model", why}});
    pages_.emplace_back(profile_page(p.name), "profile", std::move(m));
  }

  // The profiles the report explores nothing for, named once for the verdict and difference
  // sections (each has its page and its row in the profile table, saying why).
  void unexplored_section(json& index) const {
    std::vector<std::string> names;
    for (const auto& p : profiles_)
      if (without_model_.count(p.name)) names.push_back(p.name);
    index["unexplored"] = fmt::format("{}", fmt::join(names, ", "));
  }

  void profile_section(const Profile& p, json& index) {
    if (without_model_.count(p.name))
      return profile_without_model(p, without_model_.at(p.name), index);
    const ProtocolResult& r = protocol_.at(p.name);
    const CheckReport& check = checks_.at(p.name);
    const ProtocolGraph& g = r.graph;
    json m = base_model("Profile " + p.name);
    m["summary"] = p.summary;
    m["parent"] = p.parent;
    m["parent_href"] = p.parent.empty() ? "" : profile_page(p.parent);
    m["states"] = with_commas(r.explored.states);
    m["transitions"] = with_commas(r.explored.transitions);
    m["stopped_states"] = with_commas(r.stopped_states);
    m["dead_states"] = with_commas(r.dead_states);
    m["nodes"] = boost::num_vertices(g);
    m["edges"] = boost::num_edges(g);
    m["grouped"] = shown_graph(g).grouped;
    m["legend"] = request_legend();
    const std::string witness_file = witness_batch(p.name);
    m["witness_file"] = witness_file;

    const std::string full_dot = "graphs/" + p.name + "-protocol-full.dot";
    out_.add(full_dot, to_dot(protocol_full(r, p.name + "-protocol-full")));
    m["full_dot"] = full_dot;

    ProtocolLinks links;
    links.edge = [](size_t id) { return "#e" + std::to_string(id); };
    links.node = [](const StopClass& c) { return "#class-" + class_id(c); };
    m["overview"] = figure(protocol_by_kind(r, p.name + "-kinds", links),
                           "The protocol at a glance: stop classes grouped by kind");
    m["everything"] =
        figure(protocol_classes(r, p.name + "-classes", links), "Every stop class and every edge");

    m["classes"] = json::array();
    for (auto v : boost::make_iterator_range(boost::vertices(g)))
      m["classes"].push_back({{"id", class_id(g[v].cls)},
                              {"text", class_text(g[v].cls)},
                              {"states", with_commas(g[v].states)},
                              {"out", std::to_string(boost::out_degree(v, g))},
                              {"in", std::to_string(boost::in_degree(v, g))}});

    // Every edge's witness in one batch file, in edge order, so that scenario N of the file is
    // edge eN (`ptmc run FILE --only N`); a manifest beside it is what the replay test reads.
    m["edge_rows"] = json::array();
    json manifest = json::array();
    std::string batch = fmt::format(
        "# {}: a shortest scenario for every protocol edge at bound {}, edge eN being scenario N\n"
        "# (counting from 0). Run one with: ptmc run {}.ptmc --only N\n",
        p.name, r.bound, p.name);
    for (auto e : boost::make_iterator_range(boost::edges(g))) {
      const ProtocolEdge& pe = g[e];
      const StopClass& from = g[boost::source(e, g)].cls;
      const StopClass& to = g[boost::target(e, g)].cls;
      batch +=
          fmt::format("\n# e{}: {} -{}-> {}; {} transitions, the edge starts at trace line "
                      "{}\n{}",
                      pe.id, class_text(from), format_request(pe.request), class_text(to),
                      pe.witness_transitions, pe.witness_line + 1, format_scenario(pe.witness));
      manifest.push_back({{"id", pe.id},
                          {"from", class_text(from)},
                          {"request", format_request(pe.request)},
                          {"to", class_text(to)},
                          {"line", pe.witness_line}});
      const bool from_first = m["edge_rows"].empty() ||
                              m["edge_rows"].back()["from"].get<std::string>() != class_text(from);
      m["edge_rows"].push_back({
          {"id", std::to_string(pe.id)},
          {"from_first", from_first},
          {"from", class_text(from)},
          {"from_id", class_id(from)},
          {"request", format_request(pe.request)},
          {"to", class_text(to)},
          {"to_id", class_id(to)},
          {"pairs", with_commas(pe.pairs)},
          {"witness", witness_file},
          {"run", run_command(p.name, pe.id)},
          {"transitions", std::to_string(pe.witness_transitions)},
          {"line", std::to_string(pe.witness_line + 1)},
      });
    }
    out_.add(witness_file, batch);
    out_.add(witness_manifest(p.name), json{{"profile", p.name},
                                            {"bound", r.bound},
                                            {"batch", fs::path(witness_file).filename().string()},
                                            {"edges", manifest}}
                                               .dump(1) +
                                           "\n");

    // Verdicts, with each counterexample drawn as a scenario graph.
    m["verdicts"] = json::array();
    json counts = {{"holds", 0}, {"expected", 0}, {"violated", 0}, {"unknown", 0}};
    for (const auto& pr : check.results) {
      const std::string_view name = property_info(pr.property).name;
      json row = {{"property", name},
                  {"verdict", verdict_name(pr.verdict)},
                  {"verdict_text", verdict_text(pr.verdict)},
                  {"states", with_commas(pr.states)},
                  {"note", pr.note}};
      if (pr.counterexample) {
        const std::string page = counterexample_page(p, name, pr);
        row["href"] = page;
        row["transitions"] = std::to_string(pr.counterexample_length);
        verdict_links_[{p.name, std::string(name)}] = page;
      }
      verdicts_[{p.name, std::string(name)}] = pr.verdict;
      m["verdicts"].push_back(row);
      switch (pr.verdict) {
      case Verdict::holds:
        counts["holds"] = counts["holds"].get<int>() + 1;
        break;
      case Verdict::expected_violation:
        counts["expected"] = counts["expected"].get<int>() + 1;
        break;
      case Verdict::violated:
        counts["violated"] = counts["violated"].get<int>() + 1;
        break;
      case Verdict::unknown:
        counts["unknown"] = counts["unknown"].get<int>() + 1;
        break;
      }
    }
    const RuleSet own = p.rules();
    m["rules_covered"] = (check.rules_covered & own).count();
    m["rule_count"] = own.count();

    json row = {{"name", p.name},
                {"href", profile_page(p.name)},
                {"summary", p.summary},
                {"parent", p.parent},
                {"nodes", std::to_string(boost::num_vertices(g))},
                {"edges", std::to_string(boost::num_edges(g))}};
    for (const char* k : {"holds", "expected", "violated", "unknown"}) {
      const int n = counts[k].get<int>();
      row[k] = n > 0 || std::string(k) == "holds" ? json(std::to_string(n)) : json();
    }
    index["profiles"].push_back(row);
    pages_.emplace_back(profile_page(p.name), "profile", std::move(m));
  }

  std::string counterexample_page(const Profile& p, std::string_view property,
                                  const PropertyResult& pr) {
    const std::string name = counterexample_name(p.name, property);
    const std::string file = "counterexamples/" + name + ".ptmc";
    out_.add(file, format_scenario(*pr.counterexample));
    ScenarioGraph g = scenario_graph(fmt::format("{}: counterexample to {}", p.name, property),
                                     *pr.counterexample, p);
    add_recorded_columns(g);
    const std::string description =
        fmt::format("A shortest counterexample to {} in {} ({} transitions), found by the "
                    "report's check at bound {}.{}",
                    property, p.name, pr.counterexample_length, options_.bound,
                    pr.note.empty() ? "" : " " + pr.note);
    const std::string page = "counterexample-" + name + ".html";
    scenario_page(page, g, description, file);
    return page;
  }

  // ---- scenarios -----------------------------------------------------------------------------

  void load_scenarios() {
    if (!fs::is_directory(options_.scenarios_dir)) return;
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(options_.scenarios_dir))
      if (e.path().extension() == ".ptmc") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      std::ifstream in(f);
      std::stringstream ss;
      ss << in.rdbuf();
      auto parsed = parse_scenario(ss.str(), f);
      if (parsed.error) throw ReportError(parsed.error->what());
      scenarios_.emplace_back(fs::path(f).stem().string(), *parsed.scenario);
    }
  }

  void add_recorded_columns(ScenarioGraph& g) const {
    const std::string key = run_key(g.scenario);
    for (const auto& rec : data_.runs)
      for (const auto& run : rec.runs)
        if (run.scenario == key)
          add_kernel_column(
              g,
              fmt::format("{} Linux {} (recorded {})", rec.target, rec.kernel, rec.provenance.date),
              run.trace);
  }

  void scenario_section(json& index) {
    index["scenarios"] = json::array();
    for (const auto& [name, sc] : scenarios_) {
      const Profile* p = find_profile(sc.profile);
      if (!p) throw ReportError(sc.source + ": unknown profile '" + sc.profile + "'");
      ScenarioGraph g = scenario_graph(name, sc, *p);
      if (sc.expect)
        add_kernel_column(g, "expect: (recorded from a real kernel; see the file)", *sc.expect);
      add_recorded_columns(g);
      const std::string file = "scenarios/" + name + ".ptmc";
      std::ifstream in(sc.source);
      std::stringstream ss;
      ss << in.rdbuf();
      out_.add(file, ss.str());
      const std::string page = "scenario-" + name + ".html";
      bool differs = false;
      for (const auto& c : g.columns) differs |= c.differs_from.has_value();
      scenario_page(
          page, g,
          fmt::format("The hand-written scenario {}.ptmc of {}, run on the model{}.", name,
                      options_.scenarios_dir,
                      g.columns.size() > 1 ? ", beside the kernel traces recorded for it" : ""),
          file);
      index["scenarios"].push_back({{"name", name}, {"href", page}, {"differs", differs}});
    }
  }

  void scenario_page(const std::string& page, const ScenarioGraph& g,
                     const std::string& description, const std::string& file) {
    json m = base_model(g.name);
    m["description"] = description;
    m["file"] = file;
    m["file_name"] = fs::path(file).filename().string();
    m["kernel_targets"] = kernel_targets(g.scenario);
    m["text"] = format_scenario(g.scenario);
    m["error"] = g.error.value_or("");
    std::optional<size_t> first;
    for (const auto& c : g.columns)
      if (c.differs_from && (!first || *c.differs_from < *first)) first = c.differs_from;
    if (first) m["difference"] = std::to_string(*first + 1);
    m["agree"] = g.columns.size() > 1 && !first;
    m["violations"] = json::array();
    for (const auto& v : g.violations)
      m["violations"].push_back({{"property", property_info(v.property).name},
                                 {"line", std::to_string(v.trace_line + 1)}});
    m["columns"] = json::array();
    for (const auto& c : g.columns) {
      std::string lines;
      for (const auto& l : c.trace) lines += format_trace_line(l) + "\n";
      m["columns"].push_back({{"title", c.title}, {"trace", lines}});
    }
    const std::string id = fs::path(page).stem().string();
    m["figure"] =
        figure(scenario_drawing(g, id),
               g.columns.size() > 1 ? "Model and kernel side by side; lines that differ are red"
                                    : "The model's trace");
    pages_.emplace_back(page, "scenario", std::move(m));
  }

  // ---- differences ---------------------------------------------------------------------------

  void difference_section(json& index) {
    index["differences"] = json::array();
    const std::string first = profiles_.front().name;
    for (const auto& p : profiles_) {
      if (p.name == first) continue;
      const bool parent_here = std::any_of(profiles_.begin(), profiles_.end(),
                                           [&](const Profile& q) { return q.name == p.parent; });
      const std::string base = parent_here ? p.parent : first;
      // The index names the profiles not explored once (unexplored_section), not per row.
      if (without_model_.count(base) || without_model_.count(p.name)) continue;
      const ProtocolResult& a = protocol_.at(base);
      const ProtocolResult& b = protocol_.at(p.name);
      const Difference d = difference(a, b);
      const std::string page = difference_page(base, p.name);
      json m = base_model(base + " against " + p.name);
      m["base"] = base;
      m["other"] = p.name;
      m["base_href"] = profile_page(base);
      m["other_href"] = profile_page(p.name);
      m["legend"] = request_legend();
      m["base_only_edges"] = std::to_string(d.base_only_edges);
      m["other_only_edges"] = std::to_string(d.other_only_edges);
      m["shared_edges"] = std::to_string(d.shared_edges);
      m["base_only_nodes"] = std::to_string(d.base_only_nodes);
      m["other_only_nodes"] = std::to_string(d.other_only_nodes);
      m["same"] =
          d.base_only_edges + d.other_only_edges + d.base_only_nodes + d.other_only_nodes == 0;
      m["edge_rows"] = json::array();
      size_t index_in_diff = 0;
      for (auto e : boost::make_iterator_range(boost::edges(d.graph))) {
        const DiffEdge& de = d.graph[e];
        const size_t here = index_in_diff++;
        if (de.side == Side::both) continue;
        const bool base_side = de.side == Side::base_only;
        const ProtocolResult& owner = base_side ? a : b;
        const ProtocolEdge& pe = owner.graph[de.source_edge];
        m["edge_rows"].push_back(
            {{"index", std::to_string(here)},
             {"only_in", owner.profile},
             {"side_class", base_side ? "removed" : "added"},
             {"from", class_text(d.graph[boost::source(e, d.graph)].cls)},
             {"request", format_request(de.request)},
             {"to", class_text(d.graph[boost::target(e, d.graph)].cls)},
             {"pairs", with_commas(base_side ? de.base_pairs : de.other_pairs)},
             {"witness", witness_batch(owner.profile)},
             {"run", run_command(owner.profile, pe.id)},
             {"transitions", std::to_string(pe.witness_transitions)},
             {"scenario", format_scenario(pe.witness)}});
      }
      m["graph"] = figure(difference_drawing(d, "difference-" + base + "--" + p.name,
                                             [](size_t i) { return "#d" + std::to_string(i); }),
                          base + " against " + p.name);
      index["differences"].push_back({{"base", base},
                                      {"other", p.name},
                                      {"href", page},
                                      {"base_only_edges", std::to_string(d.base_only_edges)},
                                      {"other_only_edges", std::to_string(d.other_only_edges)},
                                      {"base_only_nodes", std::to_string(d.base_only_nodes)},
                                      {"other_only_nodes", std::to_string(d.other_only_nodes)},
                                      {"shared_edges", std::to_string(d.shared_edges)}});
      pages_.emplace_back(page, "difference", std::move(m));
    }
  }

  // ---- rules, verdict matrix, recorded data ---------------------------------------------------

  void rules_section(json& index) {
    index["diff_columns"] = json::array();
    for (const auto& d : data_.diffs)
      index["diff_columns"].push_back(
          {{"target", d.target}, {"kernel", d.kernel}, {"profile", d.profile}});
    // A rule counts only for profiles whose own layers hold it: a diff of an arm64 profile says
    // nothing about an x86_64 glue rule, so that cell is empty rather than a zero.
    index["rules"] = json::array();
    for (const auto& rule : rule_table()) {
      const auto id = static_cast<size_t>(rule.id);
      json counts = json::array();
      for (const auto& d : data_.diffs) {
        const Profile* owner = find_profile(d.profile);
        if (!owner || !owner->rules().test(id)) {
          counts.push_back({{"count", "—"}, {"zero", false}});
          continue;
        }
        const auto it = d.rule_confirmations.find(std::string(rule.name));
        const uint64_t n = it == d.rule_confirmations.end() ? 0 : it->second;
        counts.push_back({{"count", with_commas(n)}, {"zero", n == 0}});
      }
      // Explored: consulted by the report's exploration of a root profile (no parent) whose
      // layers hold the rule; deltas share their root's layers.
      std::vector<std::string> explored_by, not_by;
      for (const auto& p : profiles_) {
        if (!p.parent.empty() || !p.rules().test(id)) continue;
        if (!checks_.count(p.name)) continue;
        (checks_.at(p.name).rules_covered.test(id) ? explored_by : not_by).push_back(p.name);
      }
      std::string explored = "no";
      if (!explored_by.empty()) explored = fmt::format("{}", fmt::join(explored_by, ", "));
      index["rules"].push_back({{"name", rule.name},
                                {"layer", layer_info(rule.layer).path},
                                {"kind", rule_kind_name(rule.kind)},
                                {"source", rule.source},
                                {"summary", rule.summary},
                                {"explored", explored},
                                {"unexplored", explored_by.empty()},
                                {"counts", counts}});
    }

    // Columns for the explored profiles only: a column per unexplored profile would say
    // "not decided here" all the way down (there are fifteen of them with the Redox profiles).
    index["verdict_profiles"] = json::array();
    for (const auto& p : profiles_)
      if (!without_model_.count(p.name)) index["verdict_profiles"].push_back({{"name", p.name}});
    index["properties"] = json::array();
    for (const auto& info : property_table()) {
      json cells = json::array();
      for (const auto& p : profiles_) {
        if (without_model_.count(p.name)) continue;
        const auto key = std::make_pair(p.name, std::string(info.name));
        const auto v = verdicts_.count(key) ? verdicts_.at(key) : Verdict::unknown;
        cells.push_back({{"verdict", verdict_name(v)},
                         {"verdict_text", verdict_text(v)},
                         {"href", verdict_links_.count(key) ? verdict_links_.at(key) : ""}});
      }
      index["properties"].push_back(
          {{"name", info.name}, {"meaning", info.meaning}, {"cells", cells}});
    }
  }

  void recorded_sections(json& index) {
    index["mutations"] = json::array();
    for (const auto& mr : data_.mutations) {
      json rows = json::array();
      for (const auto& r : mr.rows)
        rows.push_back({{"rule", r.rule},
                        {"layer", r.layer},
                        {"kind", r.kind},
                        {"result", r.result},
                        {"by", r.by},
                        {"survived", r.result == "survived"}});
      index["mutations"].push_back({{"profile", mr.profile},
                                    {"mutants", std::to_string(mr.mutants)},
                                    {"killed", std::to_string(mr.killed)},
                                    {"bound", std::to_string(mr.bound)},
                                    {"target", mr.target},
                                    {"kernel", mr.kernel},
                                    {"seconds", seconds_text(mr.seconds)},
                                    {"command", mr.provenance.command},
                                    {"date", mr.provenance.date},
                                    {"file", mr.provenance.file},
                                    {"rows", rows}});
    }
    index["diffs"] = json::array();
    for (const auto& d : data_.diffs)
      index["diffs"].push_back(
          {{"profile", d.profile},
           {"target", d.target},
           {"kernel", d.kernel},
           {"accel", d.accel},
           {"scenarios", with_commas(d.scenarios)},
           {"agree", with_commas(d.agree)},
           {"disagree", with_commas(d.disagree)},
           {"disagree_nonzero", d.disagree > 0},
           {"kernel_failed", with_commas(d.kernel_failed)},
           {"model_refused", with_commas(d.model_refused)},
           {"seconds", seconds_text(d.seconds)},
           {"boot", d.seconds_boot > 0 ? seconds_text(d.seconds_boot) : ""},
           {"unconfirmed", d.unconfirmed_rules.empty()
                               ? std::string("none")
                               : fmt::format("{}", fmt::join(d.unconfirmed_rules, ", "))},
           {"command", d.provenance.command},
           {"date", d.provenance.date},
           {"file", d.provenance.file}});
    index["checks"] = json::array();
    for (const auto& c : data_.checks) {
      std::vector<std::string> violated;
      if (c.result.contains("properties"))
        for (const auto& p : c.result["properties"])
          if (p.value("verdict", "") == "violated") violated.push_back(p.value("property", ""));
      index["checks"].push_back(
          {{"profile", c.result["profile"].get<std::string>()},
           {"bound", std::to_string(c.result["bound"].get<int>())},
           {"states", with_commas(c.result["states"].get<uint64_t>())},
           {"seconds", seconds_text(c.result["seconds"].get<double>())},
           {"rss", human_bytes(c.result["rss_peak_bytes"].get<uint64_t>())},
           {"violated",
            violated.empty() ? std::string("none") : fmt::format("{}", fmt::join(violated, ", "))},
           {"command", c.provenance.command},
           {"date", c.provenance.date},
           {"machine_kernel", c.provenance.machine_kernel}});
    }
    index["data_files"] = json::array();
    for (const auto& f : data_.files)
      index["data_files"].push_back({{"file", f.file},
                                     {"kind", f.kind},
                                     {"command", f.command},
                                     {"date", f.date},
                                     {"machine_kernel", f.machine_kernel}});
  }

  // ---- documents (report/documents.hpp) ------------------------------------------------------

  void documents_section(json& index) {
    index["documents"] = json::array();
    const DocumentInputs inputs{data_,
                                protocol_,
                                checks_,
                                options_.bound,
                                options_.source_dir,
                                options_.data_dir,
                                options_.scenarios_dir};
    for (const auto& d : options_.documents) {
      if (d.file.find('/') != std::string::npos || fs::path(d.file).extension() != ".md")
        throw ReportError("document '" + d.file + "': give a plain file name ending in .md");
      status("writing " + d.file);
      std::string text;
      try {
        text = d.write(inputs);
      } catch (const std::runtime_error& e) {
        throw ReportError(d.file + ": " + e.what());
      }
      out_.add("documents/" + d.file, text);
      if (!options_.documents_dir.empty())
        extra_files_[fs::path(options_.documents_dir) / d.file] = text;
      index["documents"].push_back(
          {{"title", d.title}, {"href", "documents/" + d.file}, {"file", d.file}});
    }
    index["has_documents"] = !options_.documents.empty();
  }

  // ---- figures and files ---------------------------------------------------------------------

  // `dot` runs in parallel, one process per core; results go back by index, so the output does
  // not depend on which finished first.
  void render_figures() {
    std::atomic<size_t> next{0}, done{0};
    const unsigned workers = std::max(1u, std::min(4u, std::thread::hardware_concurrency()));
    auto work = [&] {
      for (size_t i; (i = next++) < jobs_.size();) {
        const SvgResult r = render_svg(to_dot(jobs_[i].drawing));
        jobs_[i].svg = r.svg;
        jobs_[i].error = r.error;
        ++done;
      }
    };
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < workers; ++t) threads.emplace_back(work);
    while (done < jobs_.size()) {
      status(fmt::format("laying out graphs with dot: {} of {}", done.load(), jobs_.size()));
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    for (auto& t : threads) t.join();
    for (const auto& j : jobs_)
      if (j.error) throw ReportError("graph " + j.drawing.id + ": " + *j.error);
  }

  void fill_figures(json& j) {
    if (j.is_object() && j.contains("figure_ref")) {
      const FigureJob& job = jobs_.at(j["figure_ref"].get<size_t>());
      const std::string base = "graphs/" + job.drawing.id;
      out_.add(base + ".dot", to_dot(job.drawing));
      j = json{{"id", job.drawing.id},
               {"caption", job.caption},
               {"nodes", std::to_string(job.drawing.nodes.size())},
               {"edges", std::to_string(job.drawing.edges.size())},
               {"dot_file", base + ".dot"},
               {"svg", inline_svg(job.svg)}};
      return;
    }
    if (j.is_structured())
      for (auto& v : j) fill_figures(v);
  }

  // The new report is written into a sibling directory and renamed into place, so a full disk
  // or a failed write leaves the earlier report whole (docs/reliability.md, "A full disk").
  void write_out() {
    fs::path dir = fs::path(options_.out_dir).lexically_normal();
    if (dir.filename().empty()) dir = dir.parent_path(); // "DIR/"
    std::error_code ec;
    if (fs::exists(dir)) {
      if (!fs::is_directory(dir))
        throw ReportError(options_.out_dir + " exists and is not a directory");
      if (!fs::is_empty(dir) && !fs::exists(dir / kMarker))
        throw ReportError(options_.out_dir +
                          " is not empty and holds no earlier report; give a new directory");
    }
    const fs::path parent = dir.has_parent_path() ? dir.parent_path() : fs::path(".");
    fs::create_directories(parent, ec);
    if (ec) throw ReportError("cannot create " + parent.string() + ": " + ec.message());
    const std::string suffix = "." + std::to_string(getpid());
    const fs::path fresh = parent / ("." + dir.filename().string() + ".new" + suffix);
    const fs::path old = parent / ("." + dir.filename().string() + ".old" + suffix);
    fs::remove_all(fresh, ec);
    auto write = [&](const fs::path& p, const std::string& content) {
      fs::create_directories(p.parent_path(), ec);
      if (auto e = write_file_atomically(p.string(), content)) {
        fs::remove_all(fresh, ec);
        throw ReportWriteError(*e);
      }
    };
    for (const auto& [path, content] : out_.files) write(fresh / path, content);
    if (fs::exists(dir)) {
      fs::rename(dir, old, ec);
      if (ec) throw ReportError("cannot replace " + dir.string() + ": " + ec.message());
    }
    fs::rename(fresh, dir, ec);
    if (ec)
      throw ReportError("cannot rename " + fresh.string() + " to " + dir.string() + ": " +
                        ec.message());
    fs::remove_all(old, ec);
    for (const auto& [path, content] : extra_files_) write(path, content);
  }

  const ReportOptions& options_;
  const std::vector<Profile> profiles_;
  RecordedData data_;
  std::map<std::string, ProtocolResult> protocol_;
  std::map<std::string, std::string> without_model_; // profile -> why with_model cannot run it
  std::map<std::string, CheckReport> checks_;
  std::vector<std::pair<std::string, Scenario>> scenarios_;
  std::map<std::pair<std::string, std::string>, Verdict> verdicts_;
  std::map<std::pair<std::string, std::string>, std::string> verdict_links_;
  std::vector<FigureJob> jobs_;
  std::vector<std::tuple<std::string, std::string, json>> pages_;
  Output out_;
  std::map<fs::path, std::string> extra_files_; // documents written outside the report
};

} // namespace

ReportSummary write_report(const ReportOptions& options) {
  if (options.out_dir.empty()) throw ReportError("no output directory");
  ReportBuilder b(options);
  return b.build();
}

} // namespace ptmc::report
