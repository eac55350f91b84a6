#include "engine/verdicts.hpp"

namespace ptmc {

PropertyResult base_result(PropertyId id, const ExploreStats& st) {
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
  if (!st.complete && st.stopped_by == "interrupted")
    pr.note = "not decided: interrupted (resume from the checkpoint)";
  return pr;
}

bool wanted(const CheckOptions& o, PropertyId p) {
  if (o.only.empty()) return true;
  for (PropertyId q : o.only)
    if (q == p) return true;
  return false;
}

Violations unexpected_properties(const Profile& profile) {
  Violations out = 0;
  for (const auto& info : property_table())
    if (!profile.expected_violation(std::string(info.name))) out |= bit(info.id);
  return out;
}

void apply_expectations(CheckReport& report, const Profile& profile) {
  for (auto& pr : report.results) {
    if (pr.verdict != Verdict::violated) continue;
    if (const auto* e = profile.expected_violation(std::string(property_info(pr.property).name))) {
      pr.verdict = Verdict::expected_violation;
      pr.note = e->explanation;
    }
  }
  for (auto& pr : report.results)
    if (pr.counterexample) pr.depth = static_cast<uint32_t>(pr.counterexample_length);
}

std::function<void(uint64_t, uint64_t, uint32_t, double)> progress_for(const CheckOptions& options,
                                                                       const std::string& phase) {
  std::function<void(uint64_t, uint64_t, uint32_t, double)> f;
  if (options.progress)
    f = [&options, phase](uint64_t s, uint64_t t, uint32_t d, double sec) {
      options.progress(phase, s, t, d, sec);
    };
  return f;
}

} // namespace ptmc
