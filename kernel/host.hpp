// Running a batch on the kernel ptmc itself runs on, through the ptmc-agent binary
// (kernel/host.cpp).
#pragma once

#include "kernel/target.hpp"

#include <string>

namespace ptmc::kernel {

TargetResult run_on_host(const std::vector<Scenario>& batch, const TargetOptions& options);

// The agent binary: $PTMC_AGENT, else ptmc-agent next to the running executable.
std::string find_agent();

} // namespace ptmc::kernel
