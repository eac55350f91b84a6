// Running the attach-permission cases (model/security/cases.hpp) on Debian's kernel under QEMU,
// through ptmc-sec-helper (kernel/security/helper.cpp) as the VM's payload. Two boots: Yama's
// scope 3 cannot be lowered once set, so its cases get a VM of their own.
#pragma once

#include "kernel/target.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ptmc::kernel {

struct SecurityCaseResult {
  bool ran = false;
  std::string skipped;                 // why the helper did not run it
  std::map<size_t, std::string> steps; // step index -> what the kernel showed
  std::map<size_t, std::string> details;
};

struct SecurityBoot {
  std::string group; // "scopes 0-2" or "scope 3"
  std::string accel;
  double seconds = 0, seconds_boot = 0;
  std::optional<std::string> error;
};

struct SecurityRun {
  std::string kernel_release;
  std::string yama; // the scope the VM booted with, or "none"
  std::vector<SecurityBoot> boots;
  std::map<std::string, SecurityCaseResult> cases;
  std::optional<std::string> error; // the first boot that failed as a whole
};

// The helper binary: $PTMC_SEC_HELPER, else ptmc-sec-helper next to the running executable.
std::string find_security_helper();

// Runs the named cases (all when `only` is empty).
SecurityRun run_security_cases_on_qemu(const std::vector<std::string>& only,
                                       const TargetOptions& options);

} // namespace ptmc::kernel
