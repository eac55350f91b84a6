// Running a batch inside Debian's kernel under QEMU (kernel/qemu.cpp).
#pragma once

#include "kernel/target.hpp"

namespace ptmc::kernel {

// The qemu-x86_64 target, or qemu-aarch64 for Arch::aarch64.
TargetResult run_on_qemu(const std::vector<Scenario>& batch, const TargetOptions& options,
                         Arch arch = Arch::x86_64);

} // namespace ptmc::kernel
