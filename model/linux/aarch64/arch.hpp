// The Linux arm64 glue layer: the arch/arm64 code of Linux 6.1 that the generic Linux layer calls
// into, over the AArch64 CPU layer. It is the `Arch` of LinuxModel<Arch> (docs/model-layers.md).
// Its sources are in model/linux/aarch64/rules.hpp; what the kernel was seen to do is in
// docs/arm64-observations.md.
//
// Where arm64 differs from x86 in what a tracer sees, it is here: x0 is both the first argument
// and the result (no -ENOSYS preset); the syscall number lives apart from the registers
// (syscallno, NT_ARM_SYSTEM_CALL) and is forgotten before a signal is dequeued; x7 is overwritten
// at syscall stops; brk leaves pc on itself; a step reported at syscall exit is SIGTRAP with
// SI_USER, under SYSEMU too; the step state is PSTATE.SS, which a register write and a signal
// frame reset from TIF_SINGLESTEP, and which a stepped svc leaves 0, so that an already armed
// step is taken at once on the next return.
#pragma once

#include "model/cpu/aarch64/cpu.hpp"
#include "model/linux/model.hpp"

#include <optional>
#include <string>
#include <vector>

namespace ptmc::linux_aarch64 {

class Arch {
public:
  using Frame = a64::Frame;
  using Task = LinuxTask<Frame>;

  explicit Arch(const Profile&) {}

  static constexpr int16_t kNrRead = 63; // include/uapi/asm-generic/unistd.h

  static constexpr ptmc::Arch kIsa = ptmc::Arch::aarch64; // how traces spell its registers

  // ---- The program as the code generator lays it out (kernel/codegen.cpp) --------------------

  // The same tail as x86_64's, so handler indices agree; its `add rsp, 8` is a nop on arm64.
  static std::vector<Insn> handler_with_tail(const std::vector<Insn>& body);
  // The x86 alphabet's self-step instructions have no arm64 form (scenario/arch.cpp).
  static bool representable_next(const Frame&, Op op) {
    return op != Op::pushf && op != Op::popf && op != Op::or_tf && op != Op::and_tf;
  }
  static bool stack_holds_flags(const Frame&) { return false; }
  static bool sets_trap_flag(Op) { return false; }
  // user_enable_single_step reads no instruction.
  static constexpr bool kArmingPeeksAtNextInsn = false;

  void initial_registers(Frame& f) const {
    // The agent writes x0 = 0, x1 = buf, x7 = 0, x8 = read (as x86's rax = 0) and NZCV = Z (as
    // x86's ZF); SS is clear at the initial stop (kernel/agent.cpp).
    f.nzcv = a64::Z;
    f.x1 = static_cast<uint8_t>(Arg::buf);
    f.x8 = kNrRead;
  }
  static void canonicalize_frame(Frame&) {}

  // ---- User mode ----------------------------------------------------------------------------

  UserStep run_user_insn(Task& t, const Insn& in, RuleCtx& r) const {
    const a64::Step step = a64::execute(t.regs, in, step_active(t, r), r);
    UserStep out;
    out.completed = step.completed;
    out.single_step_trap = step.single_step_trap;
    if (step.single_step_trap) rewind_step(t, r);
    switch (step.exit) {
    case a64::Exit::retired:
      out.exit = UserExit::retired;
      break;
    case a64::Exit::syscall:
      out.exit = UserExit::syscall;
      break;
    case a64::Exit::breakpoint:
      out.exit = UserExit::breakpoint;
      break;
    case a64::Exit::undefined:
      out.exit = UserExit::unrepresentable;
      break;
    }
    return out;
  }

  // The return to EL0 (entry.S ret_to_user): MDSCR_EL1.SS follows TIF_SINGLESTEP, and an
  // active-pending step is taken at once, as a step exception (single_step_handler).
  std::optional<int16_t> return_to_user(Task& t, RuleCtx& r) const {
    if (!a64::eret(t.regs, step_active(t, r), r)) return std::nullopt;
    rewind_step(t, r);
    return single_step_si_code(r);
  }
  void before_signal(Task& t, RuleCtx& r) const {
    if (r.effect(RuleId::arm64_sig_forget_syscall)) t.orig_rax = -1;
  }

  // ---- Syscalls -----------------------------------------------------------------------------

  // No generic entry in 6.1: syscall_trace_enter and syscall_trace_exit (arch/arm64/kernel/
  // ptrace.c) make the decisions, and the exit report follows TIF_SINGLESTEP alone.
  static constexpr SyscallWorkRules kSyscallWork{
      RuleId::arm64_entry_work_captured, RuleId::arm64_entry_stop, RuleId::arm64_entry_emu_skips,
      RuleId::arm64_exit_step_report, RuleId::arm64_exit_trace_stop};
  static bool exit_step_wanted(uint8_t w) { return (w & work::singlestep) != 0; }

  void enter_syscall(Task& t, RuleCtx& r, Events&) const {
    if (r.effect(RuleId::arm64_entry_syscallno)) t.orig_rax = t.regs.x8;
    if (r.decide(RuleId::arm64_entry_nosys_preset, t.regs.x8 == nr::none)) t.regs.x0 = kEnosys;
  }
  // include/uapi/asm-generic/unistd.h, through the list the agent's sandbox is built from
  // (scenario/syscalls.hpp): el0_svc_common and seccomp read syscallno, an s32.
  static Syscall syscall_named(int64_t number) {
    return syscall_in_table<ptmc::Arch::aarch64>(number);
  }
  static SyscallArgs syscall_args(const Frame& f) {
    return SyscallArgs::decode(f.x0, f.x1, a64::kArgFramePtr);
  }
  static void set_return(Frame& f, int64_t v) { f.x0 = v; }
  void no_syscall(Task& t, RuleCtx& r) const {
    if (!r.decide(RuleId::arm64_sys_minus1_keeps_x0, true)) t.regs.x0 = kEnosys;
  }
  void invalid_syscall(Task& t, RuleCtx& r) const {
    if (r.effect(RuleId::arm64_sys_invalid_enosys)) t.regs.x0 = kEnosys;
  }
  void rt_sigreturn(Task& t, RuleCtx& r, Events& ev) const;
  int16_t syscall_step_si_code(RuleCtx& r) const {
    return r.choose<int16_t>(RuleId::arm64_exit_step_si_user, code::si_user, code::trap_brkpt);
  }

  // ---- Exceptions ---------------------------------------------------------------------------

  void exception_entry(Task& t, RuleCtx& r) const {
    if (r.effect(RuleId::arm64_exc_syscallno)) t.orig_rax = -1;
  }
  int16_t single_step_si_code(RuleCtx& r) const {
    return r.choose<int16_t>(RuleId::arm64_step_si_code, code::trap_trace, code::trap_brkpt);
  }
  std::optional<int16_t> breakpoint_si_code(RuleCtx& r) const {
    return r.choose<int16_t>(RuleId::arm64_brk_si_code, code::trap_brkpt, code::trap_trace);
  }

  // ---- Single step (arch/arm64/kernel/debug-monitors.c) ---------------------------------------

  void enable_single_step(Task& t, Peek, RuleCtx& r) const {
    if (!r.effect(RuleId::arm64_step_enable)) return;
    const bool was_armed = t.work & work::singlestep;
    t.work |= work::singlestep;
    if (r.decide(RuleId::arm64_step_enable_sets_ss_once, !was_armed)) t.regs.ss = 1;
  }
  void disable_single_step(Task& t, RuleCtx& r) const {
    if (r.effect(RuleId::arm64_step_disable)) t.work &= static_cast<uint8_t>(~work::singlestep);
  }

  // ---- Signals (arch/arm64/kernel/signal.c handle_signal) ------------------------------------

  void handle_signal(Task& t, int sig, bool stepping, RuleCtx& r, Events& ev) const;

  // ---- Registers through ptrace (arch/arm64/kernel/ptrace.c) ---------------------------------

  void write_register(Task& t, const Edit& e, RuleCtx& r) const;
  void read_registers(const Task& t, TraceLine& out, RuleCtx& r) const {
    out.x0 = t.regs.x0;
    out.x8 = t.regs.x8;
    out.syscallno = t.orig_rax;
    const bool at_syscall_stop = t.phase == Phase::stopped && (t.why == StopWhy::syscall_enter ||
                                                               t.why == StopWhy::syscall_exit);
    out.x7 = r.decide(RuleId::arm64_stop_x7_dir, at_syscall_stop)
                 ? (t.why == StopWhy::syscall_exit ? 1u : 0u)
                 : t.regs.x7;
    out.n = t.regs.nzcv & a64::N;
    out.z = t.regs.nzcv & a64::Z;
    out.c = t.regs.nzcv & a64::C;
    out.v = t.regs.nzcv & a64::V;
    out.ss = t.regs.ss;
  }

  // ---- What properties read (props/monitor.hpp, the transparency product) -------------------

  static int64_t result_register(const Frame& f) { return f.x0; }
  static bool user_step_flag(const Frame& f) { return f.ss; }
  static bool pushed_step_flag(const Frame&) { return false; }
  // Everything EL0 can read: pc, the registers the alphabet reads or a syscall takes, NZCV.
  // PSTATE.SS is not readable at EL0.
  static bool program_sees_same(const Task& t, const Task& u) {
    return t.pc() == u.pc() && t.regs.x0 == u.regs.x0 && t.regs.x1 == u.regs.x1 &&
           t.regs.x7 == u.regs.x7 && t.regs.x8 == u.regs.x8 && t.regs.nzcv == u.regs.nzcv;
  }

  // Why a scenario's program cannot run on this model, or nullopt.
  static std::optional<std::string> unsupported(const Scenario& s);

private:
  static constexpr int64_t kEnosys = -38;

  bool step_active(const Task& t, RuleCtx& r) const {
    return r.decide(RuleId::arm64_step_mdscr, (t.work & work::singlestep) != 0);
  }
  // single_step_handler -> user_rewind_single_step: back to active-not-pending.
  void rewind_step(Task& t, RuleCtx& r) const {
    if (r.effect(RuleId::arm64_step_rewind) && (t.work & work::singlestep)) t.regs.ss = 1;
  }
  // valid_user_regs -> user_regs_reset_single_step.
  void reset_step_flag(Task& t, RuleCtx& r) const {
    if (r.effect(RuleId::arm64_regs_set_resets_ss)) t.regs.ss = (t.work & work::singlestep) ? 1 : 0;
  }
};

// ---- Definitions ------------------------------------------------------------------------------

inline void Arch::rt_sigreturn(Task& t, RuleCtx& r, Events& ev) const {
  if (!t.in_handler) {
    // No frame on the stack: the kernel restores whatever is there, or raises SIGSEGV.
    t.phase = Phase::unmodelled;
    t.exit_value = unmodelled::sigreturn_without_frame;
    return;
  }
  if (r.effect(RuleId::arm64_sys_sigreturn_restores)) {
    t.regs = t.saved; // the peek too: the program at the restored pc is what it was
    t.in_handler = 0;
    t.saved = Frame{};
    ev.frame_replaced = true;
  }
  if (r.effect(RuleId::arm64_sys_sigreturn_forgets)) t.orig_rax = -1;
  reset_step_flag(t, r);
}

inline void Arch::handle_signal(Task& t, int sig, bool stepping, RuleCtx& r, Events& ev) const {
  if (stepping && !r.decide(RuleId::arm64_sig_handler_keeps_step, true)) disable_single_step(t, r);
  if (r.effect(RuleId::arm64_sig_handler_frame)) {
    t.saved = t.regs; // with the peek: rt_sigreturn returns to that same instruction
    t.saved.ss = 0;   // dead: rt_sigreturn sets SS from TIF_SINGLESTEP, not from the frame
    t.regs.pc_space = static_cast<uint8_t>(Loc::Space::handler);
    t.regs.pc = 0;
    t.regs.x0 = sig; // the handler's first argument
    t.regs.x1 = a64::kArgFramePtr;
    t.regs.peek = 0;
    t.in_handler = 1;
    ev.frame_replaced = true;
  }
  reset_step_flag(t, r); // handle_signal checks the new frame with valid_user_regs
}

inline void Arch::write_register(Task& t, const Edit& e, RuleCtx& r) const {
  switch (e.reg) {
  case Reg::orig_rax:
    // NT_ARM_SYSTEM_CALL: one int, apart from NT_PRSTATUS.
    t.orig_rax = static_cast<int32_t>(e.value);
    return;
  case Reg::rax:
    t.regs.x0 = e.value;
    break;
  case Reg::rip:
    if (is_skip_next(e)) {
      t.regs.pc = static_cast<uint8_t>(t.regs.pc + 1);
    } else {
      t.regs.pc_space = static_cast<uint8_t>(e.loc.space);
      t.regs.pc = static_cast<uint8_t>(e.loc.index);
    }
    t.regs.peek = 0;
    break;
  case Reg::tf:
    t.regs.ss = e.value != 0;
    break;
  }
  reset_step_flag(t, r); // an NT_PRSTATUS write goes through valid_user_regs
}

} // namespace ptmc::linux_aarch64

namespace ptmc {
// Linux on arm64: the profile linux-aarch64 and its deltas run this model.
using LinuxArm64Model = LinuxModel<linux_aarch64::Arch>;
} // namespace ptmc
