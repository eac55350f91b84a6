// Running a batch inside Debian's kernel under QEMU (kernel/qemu.cpp).
#pragma once

#include "kernel/target.hpp"

namespace ptmc::kernel {

TargetResult run_on_qemu(const std::vector<Scenario>& batch, const TargetOptions& options);

} // namespace ptmc::kernel
