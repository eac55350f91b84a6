#include "kernel/target.hpp"

#include "kernel/host.hpp"
#include "kernel/qemu.hpp"

namespace ptmc::kernel {

std::vector<std::string> target_names() {
  return {"host", "qemu-x86_64", "qemu-aarch64"};
}

bool is_target(const std::string& name) {
  for (const std::string& t : target_names())
    if (t == name) return true;
  return false;
}

Arch target_arch(const std::string& name) {
  if (name == "qemu-aarch64") return Arch::aarch64;
#if defined(__aarch64__)
  if (name == "host") return Arch::aarch64;
#endif
  return Arch::x86_64;
}

TargetResult run_on_target(const std::string& target, const std::vector<Scenario>& batch,
                           const TargetOptions& options) {
  if (target == "host") return run_on_host(batch, options);
  if (target == "qemu-x86_64") return run_on_qemu(batch, options, Arch::x86_64);
  if (target == "qemu-aarch64") return run_on_qemu(batch, options, Arch::aarch64);
  TargetResult r;
  r.target = target;
  r.error = "unknown target '" + target + "'";
  for (size_t k = 0; k < batch.size(); ++k)
    r.outcomes.push_back(Outcome{
        OutcomeStatus::error, {}, target + ": scenario " + std::to_string(k) + ": unknown target"});
  return r;
}

} // namespace ptmc::kernel
