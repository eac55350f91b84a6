#include "report/scenario_graph.hpp"

namespace ptmc::report {

std::vector<std::string> actions_along(const Scenario& s, const Trace& trace) {
  std::vector<std::string> out(trace.size());
  size_t next = 0;
  int repeats = 0;
  for (size_t i = 0; i < trace.size(); ++i) {
    const StopKind k = trace[i].kind;
    if (k == StopKind::detached || k == StopKind::exited || k == StopKind::killed ||
        k == StopKind::hang)
      continue;
    if (next < s.actions.size()) {
      out[i] = format_action(s.actions[next++]);
    } else if (s.repeat && repeats < s.repeat_max) {
      out[i] = format_action(*s.repeat);
      ++repeats;
    } else if (!s.repeat) {
      out[i] = "kill (actions ran out)";
    }
  }
  return out;
}

ScenarioGraph scenario_graph(const std::string& name, const Scenario& scenario,
                             const Profile& profile) {
  ScenarioGraph g;
  g.name = name;
  g.scenario = scenario;
  const ModelRun run = run_on_model(scenario, profile);
  g.error = run.error;
  g.violations = run.violations;
  g.columns.push_back(TraceColumn{"model " + profile.name, run.trace,
                                  actions_along(scenario, run.trace), std::nullopt});
  return g;
}

void add_kernel_column(ScenarioGraph& g, const std::string& title, const Trace& kernel_trace) {
  g.columns.push_back(TraceColumn{title, kernel_trace, actions_along(g.scenario, kernel_trace),
                                  first_difference(g.columns.front().trace, kernel_trace)});
}

} // namespace ptmc::report
