// The attach-permission model (RFC question 5): a small model of who may trace whom, run by the
// same explorer as the stop protocol (engine/explorer.hpp). Its variants are a kernel's rules
// plus a delta, as profiles are for the stop protocol; docs/security-model.md describes the
// state, the actions, the properties and the variants.
#pragma once

#include "model/rules.hpp"
#include "model/security/world.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ptmc::security {

// The properties, one violation bit each.
enum class Property : uint8_t {
  unprivileged_control,  // no step gives an unprivileged tracer control of other credentials
  traced_setuid_exec,    // a traced setuid exec does not raise privileges (unprivileged tracer)
  no_upward_attach,      // no tracer attaches to a process in a wider namespace than its own
  contained_tracee_dies, // a tracee held with EXITKILL / O_EXCL dies with its tracer
  count_
};
inline constexpr size_t kPropertyCount = static_cast<size_t>(Property::count_);

struct PropertyInfo {
  Property id;
  std::string_view name;
  std::string_view meaning;
};
const std::vector<PropertyInfo>& properties();
std::optional<Property> property_by_name(std::string_view name);
inline uint32_t bit(Property p) {
  return 1u << static_cast<unsigned>(p);
}

// Actions an expected violation may be confined to: with them taken out of the model
// (AccessModel::without) the property must hold, or the violation was not the one expected.
enum Without : uint8_t {
  kNothing = 0,
  kTracerPrivilegeDrops = 1, // drop_cap, drop_to_user by a process that traces someone
  kCapabilityDrops = 2,      // drop_cap by anyone
};

struct ExpectedViolation {
  std::string property;
  std::string explanation;
  uint8_t only_through = kNothing; // Without bits; kNothing: expected unconditionally
};

// A variant: a kernel's rules under a Yama scope, plus a delta.
struct Policy {
  std::string name;
  std::string summary;
  std::string parent; // the variant this one is a delta on
  Kernel kernel = Kernel::linux;
  uint8_t yama = 0; // Linux: ptrace_scope (0 also stands for a kernel without Yama)
  // Deltas. Linux seeded bugs, each of which some property must catch:
  bool exec_ignores_tracer = false; // no LSM_UNSAFE_PTRACE downgrade at a setuid exec
  bool skip_dumpable = false;       // __ptrace_may_access without task_still_dumpable
  bool caps_subset_any_ns = false;  // cap_ptrace_access_check without its same-namespace test
  bool exitkill_ignored = false;    // exit_ptrace without PT_EXITKILL
  // Redox proposals (ptmc's; report/rfc/q5.md argues them):
  bool redox_all_ids = false;
  bool redox_root_ns_only = false;
  bool redox_traced_exec_keeps_ids = false;
  bool redox_changed_creds_root_only = false;
  std::optional<RuleId> mutation; // a mutant: one rule changed
  std::vector<ExpectedViolation> expected;

  Layer layer() const {
    return kernel == Kernel::linux ? Layer::security_linux : Layer::security_redox;
  }
  const ExpectedViolation* expected_violation(std::string_view property) const;
};

const std::vector<Policy>& policies();
const Policy* find_policy(std::string_view name);
Policy mutant_policy(const Policy& base, RuleId rule);

// What one step did: the next state, what a real kernel would show (world.hpp's formats), and
// the properties the step breaks.
struct Step {
  State next;
  std::string observed;
  uint32_t violations = 0;
};

class AccessModel {
public:
  using State = security::State;
  using Label = security::Label;

  // `bound`: how many actions a path may take from its world's start.
  AccessModel(const Policy& policy, int bound) : policy_(policy), bound_(bound) {}

  // Takes away the actions named by `bits` (Without): the domain in which a conditional
  // expected violation must vanish.
  void without(uint8_t bits) { without_ = bits; }

  std::vector<State> initial_states() const;
  // The world's start under this policy (its Yama scope), or for another scope.
  State start(const World& w) const;
  State start(const World& w, uint8_t yama) const;

  // Every action enabled in `s` (not set_yama, which only cases use).
  std::vector<Label> labels(const State& s) const;

  // The one transition function: explore, replay and diff all come here.
  Step apply(const State& s, const Label& l, RuleCtx& rules) const;

  template <class Emit> void expand(const State& s, Emit& emit) const {
    if (s.steps >= bound_) return;
    for (const Label& l : labels(s)) {
      RuleCtx rules(policy_.mutation);
      Step st = apply(s, l, rules);
      st.next.steps = static_cast<uint8_t>(s.steps + 1);
      emit(l, st.next, st.violations, uint8_t{0});
    }
  }
  uint64_t fingerprint(const State& s) const;
  uint8_t tag(const State& s) const { return s.world; }

  const Policy& policy() const { return policy_; }
  int bound() const { return bound_; }

private:
  const Policy& policy_;
  int bound_;
  uint8_t without_ = kNothing;
};

} // namespace ptmc::security
