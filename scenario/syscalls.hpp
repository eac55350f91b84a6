// The syscall numbers a scenario can reach, and what becomes of each. One list serves the two
// sides that must agree (docs/containment.md):
//  - the model follows exactly the kModelled syscalls, gives -ENOSYS for the numbers no kernel
//    we target assigns (`invalid`), and refuses the scenario for every other number;
//  - the agent's seccomp filter (kernel/agent.cpp) lets exactly the same numbers through and
//    kills the tracee with SIGSYS on any other.
// Standard library only: the agent links it statically.
#pragma once

#include <cstdint>
#include <string>

namespace ptmc::syscalls {

// What the first argument (rdi) may be for the sandbox to let a modelled syscall through. The
// alphabet's rdi is 0 in the program and the signal number, 10, in the handler; no tracer edit
// reaches it, so only code the tracee was never meant to run can pass anything else.
enum class FirstArg : uint8_t {
  any,
  zero,        // kill: pid 0, the tracee's own process group; any other pid is another process
  zero_or_ten, // read, write: fd 0 (the output pipe), or fd 10 (closed) in the handler
};

struct Modelled {
  int32_t nr;
  const char* name;
  FirstArg first_arg;
};

// Linux x86_64 numbers (arch/x86/entry/syscalls/syscall_64.tbl). Each has rules in the model
// (model/rules.hpp, sys-*) that `ptmc diff` confirms against the host and Debian's kernel.
inline constexpr Modelled kModelled[] = {
    {0, "read", FirstArg::zero_or_ten},  {1, "write", FirstArg::zero_or_ten},
    {15, "rt_sigreturn", FirstArg::any}, {39, "getpid", FirstArg::any},
    {62, "kill", FirstArg::zero},        {231, "exit_group", FirstArg::any},
};

// The x86_64 syscall table ends below this number on every kernel we target (Linux 6.1: 450 is
// the last; 6.18: 470 already gives -ENOSYS), and 512-547 are the x32 ABI's own slots, which the
// 64-bit ABI does not reach. So from here up to the x32 bit, every number is -ENOSYS.
// syscall_64.tbl opens 548 and up to future syscalls: a kernel that assigns one needs this
// raised, and `ptmc diff` against it would show the difference.
inline constexpr int32_t kFirstInvalid = 512;

// Numbers no seccomp filter sees on newer kernels: uretprobe (335, Linux 6.11) and uprobe (336,
// 6.16) are let through every filter (kernel/seccomp.c, the uprobe exception), since uprobes
// depend on them. Outside a uprobe trampoline they do nothing to anyone else: on the host (6.18)
// uretprobe sends the caller SIGILL and uprobe fails with -ENXIO. The model refuses both (they
// are `unmodelled`); on a kernel without them the sandbox kills, as for any other number.
inline constexpr int32_t kSeccompExempt[] = {335, 336};

// __X32_SYSCALL_BIT (arch/x86/include/uapi/asm/unistd.h): numbers with it set are the x32 ABI.
inline constexpr int32_t kX32Bit = 0x40000000;

enum class Class : uint8_t {
  skip,       // -1: no syscall runs and rax keeps its value (arch/x86/entry/common.c)
  modelled,   // one of kModelled
  invalid,    // -ENOSYS on every kernel we target: below -1, or kFirstInvalid..kX32Bit-1
  unmodelled, // a syscall of some kernel we target that the model does not follow: refused
  x32,        // kX32Bit and up: whether it runs depends on CONFIG_X86_X32_ABI and, on Debian,
              // the syscall.x32= boot option; refused
};

// The number the kernel dispatches on: orig_rax's low 32 bits, as a signed int.
// do_syscall_64(struct pt_regs *, int nr) drops the upper half, and seccomp_data.nr is the same
// int, so orig_rax = 0x100000027 is getpid (seen on the host, Linux 6.18).
constexpr int32_t dispatch_number(int64_t orig_rax) {
  return static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(orig_rax)));
}

constexpr const Modelled* find_modelled(int32_t nr) {
  for (const Modelled& m : kModelled)
    if (m.nr == nr) return &m;
  return nullptr;
}

constexpr Class classify(int64_t orig_rax) {
  const int32_t nr = dispatch_number(orig_rax);
  if (nr == -1) return Class::skip;
  if (nr < 0) return Class::invalid;
  if (nr >= kX32Bit) return Class::x32;
  if (find_modelled(nr)) return Class::modelled;
  return nr >= kFirstInvalid ? Class::invalid : Class::unmodelled;
}

// The number for a message: "57 (fork)", "1073741863 (x32 getpid)", "4294967335 (dispatched as
// 39, getpid)". Names come from the build machine's <asm/unistd_64.h>, so a syscall newer than
// its headers is shown by number only.
std::string describe(int64_t orig_rax);

} // namespace ptmc::syscalls
