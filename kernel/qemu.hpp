// Booting Debian's kernel under QEMU (kernel/qemu.cpp): a scenario batch run by the agent, or any
// other static program as the VM's payload.
#pragma once

#include "kernel/target.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ptmc::kernel {

// The qemu-x86_64 target, or qemu-aarch64 for Arch::aarch64.
TargetResult run_on_qemu(const std::vector<Scenario>& batch, const TargetOptions& options,
                         Arch arch = Arch::x86_64);

// A static program that ptmc-qemu-init runs in the VM, with its output on the console.
struct VmPayload {
  std::string program;           // a static executable on this machine; /BASENAME in the VM
  std::string missing_hint;      // the error when `program` is not executable: how to build it
  std::vector<std::string> args; // its arguments (no blanks or quotes: the kernel command line)
  std::vector<std::pair<std::string, std::string>> files; // more files in /: name, contents
  std::string ready_prefix; // a console line starting so says the payload runs (KVM probation)
  double timeout_s = 60;    // the whole VM, boot included
  // Each console line as it arrives, and the seconds since QEMU started.
  std::function<void(std::string_view line, double elapsed)> on_line;
};

struct VmRun {
  std::string target = "qemu-x86_64";
  std::string payload;              // the payload's name
  std::string kernel;               // the image booted
  std::string accel;                // "kvm" or "tcg"
  std::string console;              // the serial console, as QEMU printed it
  std::string qemu_stderr;          // QEMU's own complaints
  std::optional<int> status;        // QEMU's wait status, once it has exited
  std::optional<double> ready_s;    // seconds from QEMU's start to the payload's ready line
  bool timed_out = false;           // killed at the payload's deadline
  bool probe_failed = false;        // KVM on probation showed no ready line
  std::string panic;                // the first "Kernel panic" line
  std::string init_exit;            // "exit=N" or "signal=N": how the payload ended
  std::optional<std::string> error; // the VM could not be started (no kernel, QEMU, payload...)
  double seconds_total = 0;

  // Why the run says nothing about the payload (not started, timed out, a panic), or "".
  std::string failure() const;
};

// Boots the kernel of `arch` (options.kernel_image, else Debian's fetched one) with `payload`, a
// static program of that architecture. KVM when it works (x86_64 only), else TCG, as for batches.
VmRun run_payload_on_qemu(const VmPayload& payload, const TargetOptions& options,
                          Arch arch = Arch::x86_64);

} // namespace ptmc::kernel
