#include "engine/check.hpp"

#include "engine/counterexample.hpp"
#include "engine/models.hpp"
#include "engine/redox.hpp"
#include "engine/verdicts.hpp"
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

template <class M> CheckReport check_model(const Profile& profile, const CheckOptions& options) {
  CheckReport report;
  report.profile = profile.name;
  report.bound = profile.domain.program_bound;
  const M model(profile, std::nullopt, profile.domain.handler);
  std::vector<bool> root_tsg;
  for (const auto& s : model.initial_states()) root_tsg.push_back(s.tracesysgood != 0);

  const auto wanted = [&](PropertyId p) { return ptmc::wanted(options, p); };
  const uint32_t unexpected = unexpected_properties(profile);
  // Replays a path from the initial state numbered `root` into a scenario.
  const auto builder = [&](const std::vector<Action>& actions) {
    return [&model, &actions, &root_tsg](uint32_t root, const std::vector<Label>& path) {
      return build_counterexample(model, actions, root_tsg[root], path);
    };
  };
  bool failed_fast = false; // with --fail-fast, an unexpected violation ends the check

  // 1. The transparency products: small, so they go first.
  for (bool with_tf : {false, true}) {
    const PropertyId id = with_tf ? PropertyId::tf_transparency : PropertyId::transparency;
    if (!wanted(id) || failed_fast) continue;
    M passing = model;
    passing.track_last_request(true); // the product's tracer resumes with sig=pass
    const TransparencyModel<M> product(passing, with_tf);
    failed_fast |=
        product_result(report, product, id, options, unexpected, builder(product.actions()));
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
    limits.progress = progress_for(options, "explore");
    if (options.fail_fast) limits.stop_on = unexpected;
    const auto main = explore(monitored, limits);
    report.main = main.stats;
    report.complete = report.complete && main.stats.complete;

    failed_fast = monitored_results(
        report, main, options, unexpected,
        [&](PropertyId id) {
          return wanted(id) && property_applies(property_info(id), profile.kernel);
        },
        edge::drive, builder(model.tracer_domain()),
        "from the last state of this scenario no resume-only tracer can end the tracee");
  }

  apply_expectations(report, profile);
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
    RuleCtx rules;
    out.dot_error = write_dot(
        *dot_path, profile.name, r, model.alphabet(),
        [&](const auto& cs) {
          const auto& s = cs.s;
          return DotNode{s.phase == Phase::user ? "user at=" + format_loc(s.pc())
                                                : format_trace_line(model.observe(s, rules)),
                         s.phase == Phase::stopped, s.dead()};
        },
        [&](uint16_t i) { return format_action(model.tracer_domain()[i]); });
  }
  out.rss_peak_bytes = rss_peak_bytes();
  return out;
}

} // namespace

CheckReport check_profile(const Profile& base, const CheckOptions& options) {
  const Profile profile = with_bound(base, options);
  return with_model(profile, [&]<class M>(std::type_identity<M>) {
    if constexpr (kIsRedox<M>)
      return check_redox(profile, options);
    else
      return check_model<M>(profile, options);
  });
}

ExploreReport explore_profile(const Profile& base, const CheckOptions& options,
                              const std::optional<std::string>& dot_path) {
  const Profile profile = with_bound(base, options);
  return with_model(profile, [&]<class M>(std::type_identity<M>) {
    if constexpr (kIsRedox<M>)
      return explore_redox(profile, options, dot_path);
    else
      return explore_model<M>(profile, options, dot_path);
  });
}

} // namespace ptmc
