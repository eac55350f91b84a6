// Differential testing: enumerate scenarios, run them on a real kernel and on the model, compare
// the traces. Used by `ptmc diff` and by `ptmc mutate --on`.
#pragma once

#include "kernel/target.hpp"
#include "model/profile.hpp"
#include "model/rules.hpp"
#include "scenario/scenario.hpp"

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace ptmc::cli {

struct DiffSpec {
  const Profile* profile = nullptr;
  std::string target;
  int length = 2;               // programs of 1..length instructions
  int depth = 3;                // tracer actions before the final `repeat cont sig=pass`
  std::optional<size_t> random; // sample this many random scenarios instead
  size_t add_random = 0;        // and/or this many random ones on top of the enumeration
  uint64_t seed = 1;
  std::vector<std::string> extra_files; // hand-written scenarios to add (scenarios/*.ptmc)
  bool quiet = false;
  kernel::TargetOptions target_options;
  size_t batch = 4000; // scenarios per agent run (one VM boot each on qemu)
  unsigned jobs = 0;   // agents or VMs side by side (0: host one per core, QEMU one)
};

struct DiffCorpus {
  std::string target, kernel_release, accel;
  std::vector<Scenario> scenarios;
  std::vector<kernel::Outcome> outcomes; // one per scenario
  std::optional<std::string> fatal;      // the target failed before any result
  std::vector<std::string> errors;       // per-batch target errors (kept results stay)
  double seconds = 0, seconds_boot = 0;
};

// Why no kernel target runs a profile's scenarios (it models a kernel other than Linux), or
// nullopt.
std::optional<std::string> no_target_for_kernel(const Profile& profile);
// Why a profile's scenarios cannot run on a target (their architectures differ), or nullopt.
std::optional<std::string> target_arch_mismatch(const Profile& profile, const std::string& target);

// The systematic enumeration (or the random sample) for a spec, deterministic for a seed.
std::vector<Scenario> enumerate_scenarios(const DiffSpec& spec);

DiffCorpus collect_kernel_traces(const DiffSpec& spec);
// Runs the given scenarios on the spec's target (used by collect and by the minimizer).
DiffCorpus run_batch_on_target(const DiffSpec& spec, const std::vector<Scenario>& scenarios);

struct DiffOutcome {
  size_t compared = 0, agree = 0, disagree = 0, kernel_failed = 0, model_refused = 0;
  std::vector<size_t> disagreements; // indices into the corpus, the first max_examples
  RuleSet confirmed;                 // rules the model used in scenarios that agreed
  std::array<uint64_t, kRuleCount> confirmations{}; // per rule: how many agreeing scenarios used it
  RuleSet exercised;                                // rules the model used at all
};

DiffOutcome diff_model_against(const DiffCorpus& corpus, const Profile& profile,
                               size_t max_examples);

} // namespace ptmc::cli
