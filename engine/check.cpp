#include "engine/check.hpp"

#include "engine/counterexample.hpp"
#include "engine/models.hpp"
#include "model/models.hpp"

#include <fstream>
#include <map>
#include <sstream>

namespace ptmc {

std::string_view verdict_name(Verdict v) {
  switch (v) {
  case Verdict::holds:
    return "holds";
  case Verdict::violated:
    return "violated";
  case Verdict::expected_violation:
    return "expected-violation";
  case Verdict::unknown:
    return "unknown";
  }
  return "?";
}

uint64_t rss_peak_bytes() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  return 0;
}

namespace {

Profile with_bound(const Profile& p, const CheckOptions& o) {
  Profile q = p;
  if (o.bound) q.domain.program_bound = *o.bound;
  if (o.tf_edits) q.domain.tf_edits = {0, 1};
  return q;
}

template <class E, class M>
void fill_from_violation(PropertyResult& out, const ExploreResult<E>& r, size_t kind,
                         const M& model, const std::vector<Action>& actions,
                         const std::vector<bool>& root_tsg) {
  const auto& v = r.first_violation[kind];
  if (!v) return;
  std::vector<Label> path = r.path_to(v->first);
  path.push_back(v->second);
  const bool tsg = root_tsg[r.root_of(v->first)];
  out.verdict = Verdict::violated;
  out.note.clear();
  out.found_seconds = r.violation_seconds[kind];
  out.counterexample = build_counterexample(model, actions, tsg, path);
  out.counterexample_length = path.size();
}

// no-deadlock: the states from which a tracer that only resumes (no signal, no edits) can force
// the tracee to end, whatever the program does. A least fixpoint, computed by sweeps.
template <class E>
std::vector<bool> tracer_can_end(const ExploreResult<E>& r, const std::vector<uint8_t>& phase) {
  const size_t n = r.stats.states;
  std::vector<bool> win(n, false);
  for (size_t i = 0; i < n; ++i)
    if (phase[i] == static_cast<uint8_t>(Phase::exited) ||
        phase[i] == static_cast<uint8_t>(Phase::killed))
      win[i] = true;
  bool changed = true;
  while (changed) {
    changed = false;
    for (size_t k = n; k-- > 0;) {
      if (win[k]) continue;
      const uint64_t b = r.edge_begin[k], e = r.edge_begin[k + 1];
      if (b == e) continue;
      bool w = false;
      if (phase[k] == static_cast<uint8_t>(Phase::stopped)) {
        // Some action all of whose peek outcomes are winning.
        for (uint64_t j = b; j < e && !w;) {
          const uint16_t action = r.edges[j].label.index;
          bool all = true;
          for (; j < e && r.edges[j].label.index == action; ++j)
            if (!(r.edges[j].flags & edge::drive) || !win[r.edges[j].to]) all = false;
          w = all;
        }
      } else {
        w = true;
        for (uint64_t j = b; j < e && w; ++j)
          if (!win[r.edges[j].to]) w = false;
      }
      if (w) {
        win[k] = true;
        changed = true;
      }
    }
  }
  return win;
}

template <class M> CheckReport check_model(const Profile& profile, const CheckOptions& options) {
  CheckReport report;
  report.profile = profile.name;
  report.bound = profile.domain.program_bound;
  const M model(profile, std::nullopt, profile.domain.handler);
  std::vector<bool> root_tsg;
  for (const auto& s : model.initial_states()) root_tsg.push_back(s.tracesysgood != 0);

  auto wanted = [&](PropertyId p) {
    if (options.only.empty()) return true;
    for (PropertyId q : options.only)
      if (q == p) return true;
    return false;
  };
  auto progress_for = [&](const std::string& phase) {
    std::function<void(uint64_t, uint64_t, uint32_t, double)> f;
    if (options.progress)
      f = [&options, phase](uint64_t s, uint64_t t, uint32_t d, double sec) {
        options.progress(phase, s, t, d, sec);
      };
    return f;
  };

  uint32_t unexpected = 0;
  for (const auto& info : property_table())
    if (!profile.expected_violation(std::string(info.name))) unexpected |= bit(info.id);

  auto base_result = [&](PropertyId id, const ExploreStats& st) {
    PropertyResult pr;
    pr.property = id;
    pr.states = st.states;
    pr.depth = st.depth;
    pr.seconds = st.seconds;
    pr.peak_bytes = st.peak_bytes;
    pr.verdict = st.complete ? Verdict::holds : Verdict::unknown;
    if (!st.complete) pr.note = "stopped by " + st.stopped_by + " before the space was covered";
    if (!st.complete && st.stopped_by == "fail-fast")
      pr.note = "not decided: --fail-fast stopped at a violation";
    return pr;
  };
  bool failed_fast = false; // with --fail-fast, an unexpected violation ends the check

  // 1. The transparency products: small, so they go first.
  for (bool with_tf : {false, true}) {
    const PropertyId id = with_tf ? PropertyId::tf_transparency : PropertyId::transparency;
    if (!wanted(id) || failed_fast) continue;
    M passing = model;
    passing.track_last_request(true); // the product's tracer resumes with sig=pass
    const TransparencyModel<M> product(passing, with_tf);
    ExploreLimits pl;
    pl.max_states = options.max_states;
    pl.max_bytes = options.max_bytes;
    pl.progress = progress_for(std::string(property_info(id).name));
    if (options.fail_fast) pl.stop_on = unexpected;
    const auto r = explore(product, pl);
    PropertyResult pr = base_result(id, r.stats);
    fill_from_violation(pr, r, static_cast<size_t>(id), model, product.actions(), root_tsg);
    if (!r.stats.complete) report.complete = false;
    failed_fast |= options.fail_fast && pr.verdict == Verdict::violated && (unexpected & bit(id));
    report.results.push_back(std::move(pr));
  }

  // 2. The monitored exploration: every monitor property, determinism, and the edges for the
  //    graph pass (no-deadlock).
  const MonitoredModel<M> monitored(model, wanted(PropertyId::determinism));
  if (!failed_fast) {
    ExploreLimits limits;
    limits.max_states = options.max_states;
    limits.max_bytes = options.max_bytes;
    limits.store_edges = wanted(PropertyId::no_deadlock);
    limits.edge_filter = edge::drive | edge::env;
    limits.progress = progress_for("explore");
    if (options.fail_fast) limits.stop_on = unexpected;
    const auto main = explore(monitored, limits);
    report.main = main.stats;
    report.complete = report.complete && main.stats.complete;

    for (const auto& info : property_table()) {
      if (!wanted(info.id)) continue;
      if (info.method != Method::monitor && info.method != Method::recompute) continue;
      PropertyResult pr = base_result(info.id, main.stats);
      fill_from_violation(pr, main, static_cast<size_t>(info.id), model, model.tracer_domain(),
                          root_tsg);
      failed_fast |=
          options.fail_fast && pr.verdict == Verdict::violated && (unexpected & bit(info.id));
      report.results.push_back(std::move(pr));
    }

    if (wanted(PropertyId::no_deadlock) && !failed_fast) {
      PropertyResult pr = base_result(PropertyId::no_deadlock, main.stats);
      if (main.stats.complete) {
        const auto t0 = std::chrono::steady_clock::now();
        const auto win = tracer_can_end(main, main.tags);
        for (size_t i = 0; i < win.size(); ++i) {
          if (win[i]) continue;
          pr.verdict = Verdict::violated;
          const auto path = main.path_to(static_cast<uint32_t>(i));
          pr.counterexample = build_counterexample(
              model, model.tracer_domain(), root_tsg[main.root_of(static_cast<uint32_t>(i))], path);
          pr.counterexample_length = path.size();
          pr.note = "from the last state of this scenario no resume-only tracer can end the tracee";
          break; // BFS numbering: the first is a shallowest one
        }
        pr.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      }
      report.results.push_back(std::move(pr));
    }
  }

  // 3. Verdicts the profile expects.
  for (auto& pr : report.results) {
    if (pr.verdict != Verdict::violated) continue;
    if (const auto* e = profile.expected_violation(std::string(property_info(pr.property).name))) {
      pr.verdict = Verdict::expected_violation;
      pr.note = e->explanation;
    }
  }
  for (auto& pr : report.results)
    if (pr.counterexample) pr.depth = static_cast<uint32_t>(pr.counterexample_length);

  report.rules_covered = monitored.covered() & profile.rules();
  report.rules_total = profile.rules().count();
  report.rss_peak_bytes = rss_peak_bytes();
  return report;
}

template <class M>
ExploreReport explore_model(const Profile& profile, const CheckOptions& options,
                            const std::optional<std::string>& dot_path) {
  const M model(profile, std::nullopt, profile.domain.handler);
  const MonitoredModel<M> monitored(model, false);
  ExploreLimits limits;
  limits.max_states = options.max_states;
  limits.max_bytes = options.max_bytes;
  limits.store_edges = dot_path.has_value();
  limits.keep_states = dot_path.has_value();
  if (options.progress)
    limits.progress = [&options](uint64_t s, uint64_t t, uint32_t d, double sec) {
      options.progress("explore", s, t, d, sec);
    };
  const auto r = explore(monitored, limits);
  ExploreReport out;
  out.stats = r.stats;
  if (dot_path) {
    std::ofstream f(*dot_path);
    if (!f) {
      out.dot_error = "cannot write " + *dot_path;
    } else {
      RuleCtx rules;
      f << "digraph \"" << profile.name
        << "\" {\n  node [shape=box, fontname=monospace, fontsize=9];\n";
      for (size_t i = 0; i < r.states.size(); ++i) {
        const auto& s = r.states[i].s;
        std::string text = s.phase == Phase::user ? "user at=" + format_loc(s.pc())
                                                  : format_trace_line(model.observe(s, rules));
        f << "  s" << i << " [label=\"" << i << ": " << text << "\"";
        if (s.phase == Phase::stopped) f << ", style=filled, fillcolor=lightyellow";
        if (s.dead()) f << ", style=filled, fillcolor=lightgrey";
        f << "];\n";
      }
      for (size_t i = 0; i + 1 < r.edge_begin.size(); ++i)
        for (uint64_t j = r.edge_begin[i]; j < r.edge_begin[i + 1]; ++j) {
          const auto& e = r.edges[j];
          std::string label = e.label.who == Label::Who::tracer
                                  ? format_action(model.tracer_domain()[e.label.index])
                                  : (e.label.index < model.alphabet().size()
                                         ? format_insn(model.alphabet()[e.label.index])
                                         : std::string("(fixed)"));
          f << "  s" << i << " -> s" << e.to << " [label=\"" << label << "\"];\n";
        }
      f << "}\n";
    }
  }
  out.rss_peak_bytes = rss_peak_bytes();
  return out;
}

} // namespace

CheckReport check_profile(const Profile& base, const CheckOptions& options) {
  const Profile profile = with_bound(base, options);
  return with_model(
      profile, [&]<class M>(std::type_identity<M>) { return check_model<M>(profile, options); });
}

ExploreReport explore_profile(const Profile& base, const CheckOptions& options,
                              const std::optional<std::string>& dot_path) {
  const Profile profile = with_bound(base, options);
  return with_model(profile, [&]<class M>(std::type_identity<M>) {
    return explore_model<M>(profile, options, dot_path);
  });
}

} // namespace ptmc
