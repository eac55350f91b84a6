// Deciding every property of a profile, kept apart from how verdicts are printed (cli/).
#pragma once

#include "common/atomic_file.hpp"

#include "engine/explorer.hpp"
#include "model/profile.hpp"
#include "props/properties.hpp"
#include "scenario/scenario.hpp"

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ptmc {

enum class Verdict { holds, violated, expected_violation, unknown };
std::string_view verdict_name(Verdict v);

struct PropertyResult {
  PropertyId property;
  Verdict verdict = Verdict::unknown;
  uint64_t states = 0; // of the exploration that decided it
  uint32_t depth = 0;  // that exploration's depth, or the counterexample's length
  double seconds = 0;
  uint64_t peak_bytes = 0;
  std::optional<Scenario> counterexample;
  size_t counterexample_length = 0; // transitions
  double found_seconds = 0;         // from the start of its exploration to the violation
  std::string note;                 // the expected-violation explanation, or why unknown
};

struct CheckOptions {
  std::optional<int> bound; // overrides the profile's program bound
  uint64_t max_states = 0;
  uint64_t max_bytes = 0;
  std::vector<PropertyId> only; // empty: all
  bool fail_fast = false;       // stop at the first violation the profile does not expect
  bool tf_edits = false; // add the tracer edits tf=0 and tf=1 to the domain (about 4x states)
  unsigned threads = 0;  // 0: every hardware thread
  bool exact = false;    // keep whole states instead of 64-bit fingerprints
  // Checkpoints: written to `checkpoint` every `checkpoint_every` seconds and when `interrupt`
  // becomes true (the run then stops); `resume` continues from one.
  std::optional<std::string> checkpoint;
  std::optional<std::string> resume;
  double checkpoint_every = 300;
  const std::atomic<bool>* interrupt = nullptr;
  bool monitors = true; // explore: false counts the model's own states (the SPIN twin's count)
  std::function<void(const std::string& phase, uint64_t states, uint64_t transitions,
                     uint32_t depth, double seconds)>
      progress;
};

struct CheckReport {
  std::string profile;
  int bound = 0;
  std::vector<PropertyResult> results;
  ExploreStats main;      // the monitored exploration
  RuleSet rules_covered;  // rules of the profile's layers some explored transition consulted
  size_t rules_total = 0; // rules of the profile's layers
  bool complete = true;   // every exploration covered its whole space
  uint64_t rss_start_bytes = 0;
  uint64_t rss_peak_bytes = 0;
  unsigned threads = 1;
  bool interrupted = false;                      // stopped by `interrupt`; a checkpoint was written
  std::optional<std::string> checkpoint_written; // the last checkpoint written, if any
  // --resume: the states of the main exploration the checkpoint held (0: it had none yet).
  std::optional<uint64_t> resumed_states;
};

CheckReport check_profile(const Profile& profile, const CheckOptions& options);

// `explore`: the monitored exploration alone, optionally writing its state graph as DOT.
struct ExploreReport {
  ExploreStats stats;
  uint64_t rss_start_bytes = 0;
  uint64_t rss_peak_bytes = 0;
  std::optional<WriteError> dot_error;
};
ExploreReport explore_profile(const Profile& profile, const CheckOptions& options,
                              const std::optional<std::string>& dot_path);

// The peak resident set size of this process so far (VmHWM), in bytes, and the current one.
uint64_t rss_peak_bytes();
uint64_t rss_now_bytes();

} // namespace ptmc
