// The syscall numbers a scenario can reach, and what becomes of each, per architecture. One list
// serves the two sides that must agree (docs/containment.md):
//  - the model follows exactly the modelled syscalls, gives -ENOSYS for the numbers no kernel
//    we target assigns (`invalid`), and refuses the scenario for every other number;
//  - the agent's seccomp filter (kernel/agent.cpp build_sandbox) lets exactly the same numbers
//    through and kills the tracee with SIGSYS on any other.
// Standard library only: the agent links it statically.
#pragma once

#include "scenario/scenario.hpp"

#include <cstdint>
#include <span>
#include <string>

namespace ptmc::syscalls {

// What the first argument (rdi, x0) may be for the sandbox to let a modelled syscall through.
enum class FirstArg : uint8_t {
  any,
  // x86_64's rdi is 0 in the program and the signal number, 10, in the handler; no tracer edit
  // reaches it, so only code the tracee was never meant to run can pass anything else.
  zero,        // kill: pid 0, the tracee's own process group; any other pid is another process
  zero_or_ten, // read, write: fd 0 (the output pipe), or fd 10 (closed) in the handler
  // arm64's x0 is also the result register, so kill's pid is any earlier result: 0, or the
  // tracee's own pid after getpid, both reach the tracee alone; 1 (after a write) is init.
  zero_or_self,
};

struct Modelled {
  int32_t nr;
  const char* name;
  FirstArg first_arg;
};

// Linux x86_64 numbers (arch/x86/entry/syscalls/syscall_64.tbl). Each has rules in the model
// (model/linux/rules.hpp, sys-*) that `ptmc diff` confirms against the host and Debian's kernel.
inline constexpr Modelled kModelledX86_64[] = {
    {0, "read", FirstArg::zero_or_ten},  {1, "write", FirstArg::zero_or_ten},
    {15, "rt_sigreturn", FirstArg::any}, {39, "getpid", FirstArg::any},
    {62, "kill", FirstArg::zero},        {231, "exit_group", FirstArg::any},
};

// The same syscalls on arm64: the generic table (include/uapi/asm-generic/unistd.h, which
// arm64's uapi unistd.h includes). read and write take any fd: the tracee has fds 0-2 only
// (kernel/agent.cpp child_main), 1 and 2 /dev/null opened write-only, so every other fd is
// -EBADF and the model follows each.
inline constexpr Modelled kModelledAarch64[] = {
    {63, "read", FirstArg::any},          {64, "write", FirstArg::any},
    {94, "exit_group", FirstArg::any},    {129, "kill", FirstArg::zero_or_self},
    {139, "rt_sigreturn", FirstArg::any}, {172, "getpid", FirstArg::any},
};

constexpr std::span<const Modelled> modelled(Arch arch) {
  return arch == Arch::aarch64 ? std::span<const Modelled>(kModelledAarch64)
                               : std::span<const Modelled>(kModelledX86_64);
}

// The syscall tables end below this number on every kernel we target, on both architectures:
// x86_64's at 450 in Linux 6.1 (6.18: 470 already gives -ENOSYS), with 512-547 the x32 ABI's own
// slots, which the 64-bit ABI does not reach; the generic table arm64 uses at __NR_syscalls =
// 451 in 6.1 and below 471 in 6.18, and arm64's invoke_syscall gives -ENOSYS from there up
// (arch/arm64/kernel/syscall.c, do_ni_syscall). So from here up to the x32 bit (x86_64) or
// INT32_MAX (arm64), every number is -ENOSYS. x86_64's syscall_64.tbl opens 548 and up to future
// syscalls, and the generic table will grow past 511 some day: a kernel that assigns one needs
// this raised, and `ptmc diff` against it would show the difference.
inline constexpr int32_t kFirstInvalid = 512;

// Numbers no seccomp filter sees on newer x86_64 kernels: uretprobe (335, Linux 6.11) and uprobe
// (336, 6.16) are let through every filter (kernel/seccomp.c, the uprobe exception), since
// uprobes depend on them. Outside a uprobe trampoline they do nothing to anyone else: on the host
// (6.18) uretprobe sends the caller SIGILL and uprobe fails with -ENXIO. The model refuses both
// (they are `unmodelled`); on a kernel without them the sandbox kills, as for any other number.
// arm64 has neither.
inline constexpr int32_t kSeccompExempt[] = {335, 336};

// __X32_SYSCALL_BIT (arch/x86/include/uapi/asm/unistd.h): x86_64 numbers with it set are the
// x32 ABI.
inline constexpr int32_t kX32Bit = 0x40000000;

enum class Class : uint8_t {
  skip,       // -1: no syscall runs and the result register keeps its value
  modelled,   // one of modelled(arch)
  invalid,    // -ENOSYS on every kernel we target: below -1, or kFirstInvalid and up (x86_64:
              // up to kX32Bit - 1)
  unmodelled, // a syscall of some kernel we target that the model does not follow: refused
  x32,        // x86_64, kX32Bit and up: whether it runs depends on CONFIG_X86_X32_ABI and, on
              // Debian, the syscall.x32= boot option; refused
};

// The number the kernel dispatches on: orig_rax's (syscallno's) low 32 bits, as a signed int.
// x86_64's do_syscall_64(struct pt_regs *, int nr) drops the upper half, and seccomp_data.nr is
// the same int, so orig_rax = 0x100000027 is getpid (seen on the host, Linux 6.18). arm64 keeps
// syscallno as an s32 in pt_regs (arch/arm64/include/asm/ptrace.h), set through the one-int
// NT_ARM_SYSTEM_CALL regset.
constexpr int32_t dispatch_number(int64_t orig_rax) {
  return static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(orig_rax)));
}

constexpr const Modelled* find_modelled(Arch arch, int32_t nr) {
  for (const Modelled& m : modelled(arch))
    if (m.nr == nr) return &m;
  return nullptr;
}

// classify's test, without find_modelled's pointer: GCC 12 with -fsanitize=undefined rejects a
// pointer compared with null in a constant expression, and model/linux/model.hpp builds its
// table of classes at compile time.
constexpr bool is_modelled(Arch arch, int32_t nr) {
  for (const Modelled& m : modelled(arch))
    if (m.nr == nr) return true;
  return false;
}

constexpr Class classify(Arch arch, int64_t orig_rax) {
  const int32_t nr = dispatch_number(orig_rax);
  if (nr == -1) return Class::skip;
  if (nr < 0) return Class::invalid;
  if (arch == Arch::x86_64 && nr >= kX32Bit) return Class::x32;
  if (is_modelled(arch, nr)) return Class::modelled;
  return nr >= kFirstInvalid ? Class::invalid : Class::unmodelled;
}

// The number for a message: "57 (fork)", "1073741863 (x32 getpid)", "4294967335 (dispatched as
// 39, getpid)". Names come from the build machine's headers (x86_64: <asm/unistd_64.h>; arm64:
// the cross compiler's <asm/unistd.h>), so a syscall newer than them is shown by number only.
std::string describe(Arch arch, int64_t orig_rax);

} // namespace ptmc::syscalls
