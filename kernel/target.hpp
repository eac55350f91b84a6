// Running scenarios on real kernels. A target runs a batch of scenarios through the tracer agent
// (kernel/agent.cpp) and gives back one outcome per scenario, in order, plus the kernel release
// the agent reported. Results already collected survive a later failure of the target.
#pragma once

#include "scenario/scenario.hpp"

#include <optional>
#include <string>
#include <vector>

namespace ptmc::kernel {

enum class OutcomeStatus { ok, hang, error };

struct Outcome {
  OutcomeStatus status = OutcomeStatus::error;
  Trace trace;         // what was observed, complete for ok, partial otherwise
  std::string message; // for hang and error: what went wrong, naming the scenario and target
};

struct TargetOptions {
  std::string kernel_image;    // --kernel PATH for qemu targets; empty: Debian's fetched kernel
  double wait_timeout_s = 2.0; // each waitpid on a tracee
  double vm_timeout_s = 0;     // whole VM run; 0: derived from the batch size
  bool verbose = false;        // progress and QEMU's command line on stderr
};

struct TargetResult {
  std::string target;               // "host", "qemu-x86_64", "qemu-aarch64"
  std::string kernel_release;       // uname -r as the agent saw it
  std::string accel;                // qemu: "kvm" or "tcg"; host: empty
  std::vector<Outcome> outcomes;    // one per scenario given, in order; missing ones are errors
  std::optional<std::string> error; // a failure of the target as a whole (no VM, no agent...)
  double seconds_total = 0, seconds_boot = 0;
};

// The names accepted by `--on`, besides "model".
std::vector<std::string> target_names();
bool is_target(const std::string& name);
// The architecture a target runs: the machine's for host, the guest's for a QEMU target.
Arch target_arch(const std::string& name);

TargetResult run_on_target(const std::string& target, const std::vector<Scenario>& batch,
                           const TargetOptions& options);

} // namespace ptmc::kernel
