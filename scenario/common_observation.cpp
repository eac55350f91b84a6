// The projection of a trace line onto what both architectures can show (scenario.hpp).
#include "scenario/scenario.hpp"

namespace ptmc {

CommonObservation common_observation(const TraceLine& t) {
  CommonObservation o;
  o.kind = t.kind;
  o.exit_code = t.exit_code;
  o.written = t.written;
  if (t.kind == StopKind::detached || t.kind == StopKind::exited || t.kind == StopKind::killed ||
      t.kind == StopKind::hang) {
    o.signal = t.signal;
    return o;
  }
  o.at = t.at;
  o.signal = t.signal & 0x7f;
  o.op = t.op;
  const bool arm = t.arch == Arch::aarch64;
  o.result = arm ? t.x0 : t.rax;
  const int64_t number = arm ? t.syscallno : t.orig_rax;
  const std::optional<int64_t> alphabet = alphabet_syscall(t.arch, number);
  const std::string name = alphabet ? format_nr(*alphabet) : std::string();
  // A number the alphabet has no name for keeps its architecture: 0 is read on x86_64 and
  // io_setup on aarch64.
  const bool named = alphabet && name != std::to_string(*alphabet);
  o.syscall = named ? name : std::string(arch_name(t.arch)) + ":" + std::to_string(number);
  o.seteq = arm ? t.x7 : t.rbx;
  o.zero = arm ? t.z : t.zf;
  o.step_flag = arm ? t.ss : t.tf;
  return o;
}

} // namespace ptmc
