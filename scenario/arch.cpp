// What the abstract alphabet means on each architecture (docs/scenario-format.md).
#include "scenario/scenario.hpp"

namespace ptmc {

std::string_view arch_name(Arch a) {
  return a == Arch::aarch64 ? "aarch64" : "x86_64";
}

std::optional<Arch> arch_by_name(std::string_view name) {
  if (name == "x86_64") return Arch::x86_64;
  if (name == "aarch64") return Arch::aarch64;
  return std::nullopt;
}

Arch arch_of_profile(std::string_view profile) {
  constexpr std::string_view kArm64 = "linux-aarch64";
  if (profile.starts_with(kArm64) &&
      (profile.size() == kArm64.size() || profile[kArm64.size()] == '~'))
    return Arch::aarch64;
  return Arch::x86_64;
}

namespace {

struct SyscallPair {
  int64_t alphabet;
  int64_t aarch64;
};
// `invalid` and `none` keep their numbers: 999 is above arm64's __NR_syscalls too, and -1 is
// NO_SYSCALL (arch/arm64/include/asm/syscall.h).
constexpr SyscallPair kAarch64Syscalls[] = {
    {nr::write, nr_aarch64::write},
    {nr::rt_sigreturn, nr_aarch64::rt_sigreturn},
    {nr::getpid, nr_aarch64::getpid},
    {nr::kill, nr_aarch64::kill},
    {nr::exit_group, nr_aarch64::exit_group},
    {nr::invalid, nr::invalid},
    {nr::none, nr::none},
};

} // namespace

std::optional<int64_t> syscall_number(Arch arch, int64_t alphabet_nr) {
  if (arch == Arch::x86_64) return alphabet_nr;
  for (const SyscallPair& p : kAarch64Syscalls)
    if (p.alphabet == alphabet_nr) return p.aarch64;
  return std::nullopt;
}

std::optional<int64_t> alphabet_syscall(Arch arch, int64_t arch_nr) {
  if (arch == Arch::x86_64) return arch_nr;
  for (const SyscallPair& p : kAarch64Syscalls)
    if (p.aarch64 == arch_nr) return p.alphabet;
  return std::nullopt;
}

std::optional<std::string> unsupported_on(Arch arch, const Insn& insn) {
  if (arch == Arch::x86_64) return std::nullopt;
  switch (insn.op) {
  case Op::pushf:
  case Op::or_tf:
  case Op::and_tf:
  case Op::popf:
    // x86 lets user code set its own TF (pushf; or; popf). arm64 has no such path: software step
    // is armed by MDSCR_EL1.SS, which EL0 can neither read nor write, and PSTATE.SS changes only
    // on an exception return from SPSR_EL1 (Arm ARM DDI 0487, "Software Step exceptions" and
    // MDSCR_EL1's access rules). Linux sets both only for a task with TIF_SINGLESTEP
    // (arch/arm64/kernel/debug-monitors.c, entry.S enable_step_tsk), and rewrites SS in every
    // register set that sigreturn or ptrace installs (ptrace.c valid_user_regs ->
    // user_regs_reset_single_step).
    return format_insn(insn) +
           " has no meaning on aarch64: user code cannot arm its own single step there "
           "(MDSCR_EL1.SS and PSTATE.SS are out of EL0's reach)";
  case Op::set_nr:
    if (!syscall_number(arch, insn.imm))
      return "'nr " + std::to_string(insn.imm) +
             "' has no meaning on aarch64: a bare number is an x86_64 syscall number; name the "
             "syscall (write, getpid, kill, exit_group, rt_sigreturn, invalid, none)";
    return std::nullopt;
  default:
    return std::nullopt;
  }
}

std::string_view edit_key(Reg r, Arch arch) {
  const bool arm = arch == Arch::aarch64;
  switch (r) {
  case Reg::orig_rax:
    return arm ? "syscallno" : "orig_rax";
  case Reg::rax:
    return arm ? "x0" : "rax";
  case Reg::rip:
    return arm ? "pc" : "rip";
  case Reg::tf:
    return arm ? "ss" : "tf";
  }
  return "";
}

} // namespace ptmc
