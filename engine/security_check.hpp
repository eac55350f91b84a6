// Deciding the attach-permission properties of a variant (model/security/model.hpp) with the
// explorer, and replaying a list of steps on the model: what `ptmc security` prints and what
// the real-kernel cases are compared with.
#pragma once

#include "engine/check.hpp"
#include "engine/explorer.hpp"
#include "model/security/cases.hpp"
#include "model/security/model.hpp"

#include <optional>
#include <string>
#include <vector>

namespace ptmc::security {

struct StepRecord {
  Label label;
  std::string step;        // format_label
  std::string observed;    // what the model says a kernel shows
  uint32_t violations = 0; // the properties this step breaks (bits of Property)
};

// "unprivileged-control, traced-setuid-exec"
std::vector<std::string> property_names(uint32_t violations);

struct Trail {
  std::string world;
  uint8_t yama = 0;
  std::vector<StepRecord> steps;
};

// The stop protocol's verdicts (engine/check.hpp), for the same four outcomes.
using ptmc::Verdict;
using ptmc::verdict_name;

struct PropertyVerdict {
  Property property;
  Verdict verdict = Verdict::unknown;
  std::optional<Trail> counterexample; // shortest, in steps
  std::string explanation;             // an expected violation's
  bool expected_but_absent = false;    // the variant expects a violation the model no longer has
};

struct VariantReport {
  Policy policy;
  int bound = 0;
  ExploreStats stats;
  std::vector<PropertyVerdict> verdicts;
  // A violation the variant does not expect, or an expected one that is gone.
  bool unexpected() const;
};

inline constexpr int kDefaultSecurityBound = 5;

VariantReport check_variant(const Policy& policy, int bound, uint64_t max_states = 0);

// The model's run of `labels` from the world's start under `yama`.
Trail replay(const Policy& policy, const World& world, uint8_t yama,
             const std::vector<Label>& labels);

// What the model predicts for each step of a case, under the linux variant of the case's scope.
Trail predict(const Case& c);

// The linux variant for a Yama scope: linux, linux-yama1...
const Policy& linux_policy(uint8_t yama);

} // namespace ptmc::security
