// Every semantic rule of the model has a name, a kind and the kernel source it follows.
// The transition function consults rules only through `RuleCtx`, which records coverage (which
// rules a run exercised) and applies a mutation (issue 4 derives mutants from this table).
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ptmc {

// A rule's kind decides how it can be mutated without a hand-written list of cases:
//  - decision: a condition; the mutant negates it.
//  - effect:   a state change; the mutant skips it.
//  - choice:   a value picked among two (a stop kind, an si_code); the mutant picks the other.
enum class RuleKind : uint8_t { decision, effect, choice };

#define PTMC_RULES(X)                                                                              \
  X(entry_orig_rax, effect, "arch/x86/entry/entry_64.S entry_SYSCALL_64",                          \
    "orig_rax = syscall number on syscall entry")                                                  \
  X(entry_rax_enosys, effect, "arch/x86/entry/entry_64.S entry_SYSCALL_64",                        \
    "rax = -ENOSYS on syscall entry (pushq $-ENOSYS into pt_regs->ax)")                            \
  X(entry_fmask_clears_tf, effect, "arch/x86/kernel/cpu/common.c syscall_init",                    \
    "SYSCALL clears TF through MSR_SYSCALL_MASK, so the kernel never runs with TF")                \
  X(entry_work_captured, effect, "kernel/entry/common.c syscall_enter_from_user_mode_work",        \
    "the syscall work flags are read once, at entry, before the entry stop")                       \
  X(entry_stop, decision, "kernel/entry/common.c syscall_trace_enter",                             \
    "SYSCALL_TRACE or SYSCALL_EMU in the entry work gives a syscall-enter-stop")                   \
  X(entry_emu_skips, decision, "kernel/entry/common.c syscall_trace_enter",                        \
    "SYSCALL_EMU in the entry work skips the syscall, whatever the tracer resumes with")           \
  X(sys_minus1_keeps_rax, decision, "arch/x86/entry/common.c do_syscall_64",                       \
    "nr == -1 runs nothing and leaves rax as it is (the tracer's result)")                         \
  X(sys_invalid_enosys, effect, "arch/x86/entry/common.c do_syscall_64 (b337b4965e3a, 5.14)",      \
    "an invalid nr other than -1 sets rax = -ENOSYS")                                              \
  X(sys_write, effect, "fs/read_write.c ksys_write", "write(0, buf, 1) writes one byte")           \
  X(sys_write_efault, decision, "fs/read_write.c vfs_write",                                       \
    "write from a bad pointer fails with -EFAULT")                                                 \
  X(sys_read_ebadf, effect, "fs/read_write.c ksys_read",                                           \
    "read on the write end of the output pipe fails with -EBADF")                                  \
  X(sys_getpid, effect, "kernel/sys.c getpid", "getpid returns the tgid")                          \
  X(sys_kill_pends, effect, "kernel/signal.c kill_something_info",                                 \
    "kill(0, sig) makes sig pending for the caller's process group")                               \
  X(sys_kill_einval, decision, "kernel/signal.c kill_something_info (valid_signal)",               \
    "kill with an invalid signal number fails with -EINVAL")                                       \
  X(sys_exit_group, effect, "kernel/exit.c do_group_exit", "exit_group ends the process")          \
  X(sys_sigreturn_restores, effect, "arch/x86/kernel/signal_64.c rt_sigreturn",                    \
    "rt_sigreturn restores the saved frame: rip, rax, rbx, rsi, FIX_EFLAGS bits, the stack")       \
  X(sys_sigreturn_orig_rax, effect, "arch/x86/kernel/signal.c restore_sigcontext",                 \
    "rt_sigreturn sets orig_rax = -1 so no syscall restart follows")                               \
  X(exit_step_report, decision, "kernel/entry/common.c report_single_step",                        \
    "at syscall exit, SYSCALL_EXIT_TRAP without SYSCALL_EMU reports a single step")                \
  X(exit_trace_stop, decision, "kernel/entry/common.c syscall_exit_work",                          \
    "at syscall exit, SYSCALL_TRACE gives a syscall-exit-stop")                                    \
  X(exit_step_replaces_stop, decision, "include/linux/ptrace.h ptrace_report_syscall_exit",        \
    "a single-step report replaces the syscall-exit-stop instead of adding to it")                 \
  X(exit_step_si_code, choice, "arch/x86/kernel/ptrace.c user_single_step_report",                 \
    "the syscall-exit step report is SIGTRAP with si_code TRAP_BRKPT")                             \
  X(report_tracesysgood, decision, "include/linux/ptrace.h ptrace_report_syscall",                 \
    "syscall stops report SIGTRAP|0x80 with PTRACE_O_TRACESYSGOOD, else SIGTRAP")                  \
  X(report_syscall_injects, effect, "include/linux/ptrace.h ptrace_report_syscall",                \
    "a signal given when resuming from a syscall stop is sent with send_sig")                      \
  X(report_fatal_skips, decision,                                                                  \
    "include/linux/ptrace.h ptrace_report_syscall, kernel/signal.c complete_signal",               \
    "a fatal signal given on detach from an entry stop ends the task before the syscall runs")     \
  X(report_syscall_info_op, decision, "kernel/ptrace.c ptrace_get_syscall_info",                   \
    "GET_SYSCALL_INFO's op is entry/exit only when si_code is SIGTRAP|0x80")                       \
  X(resume_sets_trace, decision, "kernel/ptrace.c ptrace_resume",                                  \
    "PTRACE_SYSCALL sets SYSCALL_TRACE, every other resume clears it")                             \
  X(resume_sets_emu, decision, "kernel/ptrace.c ptrace_resume",                                    \
    "SYSEMU and SYSEMU_SINGLESTEP set SYSCALL_EMU, every other resume clears it")                  \
  X(step_enable, effect, "arch/x86/kernel/step.c enable_single_step",                              \
    "stepping sets TIF_SINGLESTEP, SYSCALL_EXIT_TRAP and TF in the user frame")                    \
  X(step_forced_tf, decision, "arch/x86/kernel/step.c enable_single_step",                         \
    "TIF_FORCED_TF marks a TF the debugger set, unless the user had it set already")               \
  X(step_popf_is_users, decision, "arch/x86/kernel/step.c is_setting_trap_flag",                   \
    "stepping onto popf leaves TF to the user (TIF_FORCED_TF cleared)")                            \
  X(step_disable, effect, "arch/x86/kernel/step.c user_disable_single_step",                       \
    "a non-step resume clears TIF_SINGLESTEP and SYSCALL_EXIT_TRAP")                               \
  X(step_disable_clears_forced_tf, decision, "arch/x86/kernel/step.c user_disable_single_step",    \
    "a non-step resume clears TF only if the debugger set it (TIF_FORCED_TF)")                     \
  X(regs_get_hides_forced_tf, decision, "arch/x86/kernel/ptrace.c get_flags",                      \
    "GETREGS hides a TF that the debugger set")                                                    \
  X(regs_set_keeps_forced_tf, decision, "arch/x86/kernel/ptrace.c set_flags",                      \
    "SETREGS keeps a debugger TF; writing TF=1 hands TF to the user")                              \
  X(hw_trap_after_insn, decision, "Intel SDM vol. 3B 17.3.1.4 single-step trap",                   \
    "an instruction that began with TF set is followed by #DB")                                    \
  X(hw_no_trap_after_syscall, decision, "arch/x86/entry/entry_64.S, Intel SDM SYSCALL",            \
    "no #DB follows the SYSCALL instruction: FMASK cleared TF as it executed")                     \
  X(trap_db_si_code, choice, "arch/x86/kernel/traps.c exc_debug_user, asm/traps.h get_si_code",    \
    "#DB from a single step sends SIGTRAP with si_code TRAP_TRACE")                                \
  X(trap_int3, effect, "arch/x86/kernel/traps.c do_int3_user",                                     \
    "int3 sends SIGTRAP with si_code SI_KERNEL, rip past the int3")                                \
  X(exc_orig_rax, effect, "arch/x86/entry/entry_64.S idtentry (pushq $-1)",                        \
    "an exception entry sets orig_rax = -1")                                                       \
  X(sig_delivery_stop, decision, "kernel/signal.c get_signal, ptrace_signal",                      \
    "a traced task stops before delivering each dequeued signal")                                  \
  X(sig_suppress, decision, "kernel/signal.c ptrace_signal",                                       \
    "resuming with signal 0 discards the signal")                                                  \
  X(sig_inject_si_user, choice, "kernel/signal.c ptrace_signal",                                   \
    "a different signal from the tracer is delivered with si_code SI_USER")                        \
  X(sig_blocked_requeue, decision, "kernel/signal.c ptrace_signal",                                \
    "an injected signal that is blocked is queued again as pending")                               \
  X(sig_order, decision, "kernel/signal.c next_signal",                                            \
    "synchronous signals (SIGTRAP) are dequeued first, then the lowest number")                    \
  X(sig_handler_frame, effect, "arch/x86/kernel/signal.c handle_signal, setup_rt_frame",           \
    "delivery to a handler saves the frame, enters h0 with rax = 0, blocks SIGUSR1")               \
  X(sig_handler_clears_tf, effect, "arch/x86/kernel/signal.c handle_signal",                       \
    "the handler starts with TF clear")                                                            \
  X(sig_handler_disables_step, effect, "arch/x86/kernel/signal.c handle_signal",                   \
    "delivery while stepping calls user_disable_single_step before saving the frame")              \
  X(sig_handler_step_notify, decision, "kernel/signal.c signal_delivered",                         \
    "delivery while stepping stops once more, at the handler's first instruction")                 \
  X(sig_notify_ignores_signal, effect, "kernel/signal.c signal_delivered, ptrace_notify",          \
    "a signal given when resuming from the handler-entry stop is ignored")                         \
  X(sig_default_kills, effect, "kernel/signal.c get_signal (sig_kernel_*)",                        \
    "SIGUSR2 and SIGTRAP with the default action end the process")                                 \
  X(ptrace_detach, effect,                                                                         \
    "kernel/ptrace.c ptrace_detach, arch/x86/kernel/ptrace.c ptrace_disable",                      \
    "detach stops stepping and syscall tracing, then resumes with the given signal")               \
  X(ptrace_kill, effect, "kernel/ptrace.c ptrace_resume (PTRACE_KILL)",                            \
    "PTRACE_KILL ends the tracee with SIGKILL")                                                    \
  X(user_insn, effect, "Intel SDM vol. 2 (nop, mov, cmp, setz, pushf, popf, or, and)",             \
    "user instructions update registers, flags and the stack as the SDM says")                     \
  X(pushf_leaks_tf, decision, "Intel SDM vol. 2B PUSHF; arch/x86/kernel/step.c has no pushf case", \
    "pushf pushes the live TF, a debugger's TF included")

enum class RuleId : uint8_t {
#define PTMC_RULE_ENUM(name, kind, source, summary) name,
  PTMC_RULES(PTMC_RULE_ENUM)
#undef PTMC_RULE_ENUM
      count_
};

inline constexpr size_t kRuleCount = static_cast<size_t>(RuleId::count_);

struct RuleInfo {
  RuleId id;
  std::string_view name; // kebab-case, as printed
  RuleKind kind;
  std::string_view source;
  std::string_view summary;
};

const std::array<RuleInfo, kRuleCount>& rule_table();
const RuleInfo& rule_info(RuleId id);
std::optional<RuleId> rule_by_name(std::string_view name);
std::string_view rule_kind_name(RuleKind k);

using RuleSet = std::bitset<kRuleCount>;

// The only door from the transition function to its rules. `mutated` is the one rule whose
// behaviour a mutant changes (issue 4), or none.
class RuleCtx {
public:
  explicit RuleCtx(std::optional<RuleId> mutated = std::nullopt) : mutated_(mutated) {}

  bool decide(RuleId r, bool condition) {
    fired_.set(static_cast<size_t>(r));
    return is_mutated(r) ? !condition : condition;
  }
  bool effect(RuleId r) {
    fired_.set(static_cast<size_t>(r));
    return !is_mutated(r);
  }
  template <class T> T choose(RuleId r, T normal, T mutant) {
    fired_.set(static_cast<size_t>(r));
    return is_mutated(r) ? mutant : normal;
  }
  const RuleSet& fired() const { return fired_; }
  void clear_fired() { fired_.reset(); }

private:
  bool is_mutated(RuleId r) const { return mutated_ && *mutated_ == r; }
  std::optional<RuleId> mutated_;
  RuleSet fired_;
};

} // namespace ptmc
