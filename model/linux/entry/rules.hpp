// The generic entry code's rules: kernel/entry/common.c, the syscall entry and exit work of the
// architectures that select CONFIG_GENERIC_ENTRY (x86 since 5.11). arm64 did not select it in
// Linux 6.1 and makes the same decisions in arch/arm64/kernel/syscall.c and ptrace.c
// (model/linux/aarch64/rules.hpp). The generic layer consults these through its Arch's
// `kSyscallWork` (model/linux/model.hpp).
#pragma once

#define PTMC_RULES_LINUX_ENTRY(X)                                                                  \
  X(entry_work_captured, effect, "kernel/entry/common.c syscall_enter_from_user_mode_work",        \
    "the syscall work flags are read once, at entry, before the entry stop")                       \
  X(entry_stop, decision, "kernel/entry/common.c syscall_trace_enter",                             \
    "SYSCALL_TRACE or SYSCALL_EMU in the entry work gives a syscall-enter-stop")                   \
  X(entry_emu_skips, decision, "kernel/entry/common.c syscall_trace_enter",                        \
    "SYSCALL_EMU in the entry work skips the syscall, whatever the tracer resumes with")           \
  X(exit_step_report, decision, "kernel/entry/common.c report_single_step",                        \
    "at syscall exit, SYSCALL_EXIT_TRAP without SYSCALL_EMU reports a single step")                \
  X(exit_trace_stop, decision, "kernel/entry/common.c syscall_exit_work",                          \
    "at syscall exit, SYSCALL_TRACE gives a syscall-exit-stop")
