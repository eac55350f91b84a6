#include "engine/security_check.hpp"

namespace ptmc::security {

bool VariantReport::unexpected() const {
  for (const PropertyVerdict& v : verdicts)
    if (v.verdict == Verdict::violated || v.expected_but_absent) return true;
  return false;
}

Trail replay(const Policy& policy, const World& world, uint8_t yama,
             const std::vector<Label>& labels) {
  const AccessModel model(policy, static_cast<int>(labels.size()));
  Trail t;
  t.world = world.name;
  t.yama = policy.kernel == Kernel::linux ? yama : 0;
  State s = model.start(world, yama);
  for (const Label& l : labels) {
    RuleCtx rules(policy.mutation);
    Step st = model.apply(s, l, rules);
    t.steps.push_back({l, format_label(world, l), st.observed, st.violations});
    s = st.next;
  }
  return t;
}

const Policy& linux_policy(uint8_t yama) {
  return *find_policy(yama == 0 ? "linux" : "linux-yama" + std::to_string(yama));
}

Trail predict(const Case& c) {
  return replay(linux_policy(c.yama), *find_world(c.world), c.yama, c.steps);
}

std::vector<std::string> property_names(uint32_t violations) {
  std::vector<std::string> out;
  for (const PropertyInfo& p : properties())
    if (violations & bit(p.id)) out.push_back(std::string(p.name));
  return out;
}

namespace {

using Result = ExploreResult<AccessModel>;

std::optional<Trail> counterexample(const Policy& policy, const AccessModel& model,
                                    const Result& result, Property p) {
  const auto& first = result.first_violation[static_cast<size_t>(p)];
  if (!first) return std::nullopt;
  std::vector<Label> labels = result.path_to(first->first);
  labels.push_back(first->second);
  const State init = model.initial_states()[result.root_of(first->first)];
  return replay(policy, worlds()[init.world], init.yama, labels);
}

} // namespace

VariantReport check_variant(const Policy& policy, int bound, uint64_t max_states) {
  VariantReport r;
  r.policy = policy;
  r.bound = bound;
  ExploreLimits limits;
  limits.max_states = max_states;
  const AccessModel model(policy, bound);
  const Result result = explore(model, limits);
  r.stats = result.stats;
  // A conditional expectation is judged again in the model without the actions it names.
  for (const PropertyInfo& p : properties()) {
    PropertyVerdict v;
    v.property = p.id;
    v.counterexample = counterexample(policy, model, result, p.id);
    const ExpectedViolation* e = policy.expected_violation(p.name);
    if (v.counterexample) {
      v.verdict = e ? Verdict::expected_violation : Verdict::violated;
      if (e) v.explanation = e->explanation;
      if (e && e->only_through != kNothing) {
        AccessModel narrower(policy, bound);
        narrower.without(e->only_through);
        const Result again = explore(narrower, limits);
        if (!again.stats.complete) r.stats.complete = false;
        if (auto other = counterexample(policy, narrower, again, p.id)) {
          // Violated without the actions the expectation names: not the violation expected.
          v.verdict = Verdict::violated;
          v.counterexample = std::move(other);
          v.explanation.clear();
        }
      }
    } else {
      v.verdict = result.stats.complete ? Verdict::holds : Verdict::unknown;
      if (e && v.verdict == Verdict::holds) {
        v.expected_but_absent = true;
        v.explanation = "expected a violation, found none: " + e->explanation;
      }
    }
    r.verdicts.push_back(v);
  }
  return r;
}

} // namespace ptmc::security
