// The Linux x86_64 glue layer: the arch/x86 code that the generic Linux layer calls into, over
// the x86_64 CPU layer. It is the `Arch` of LinuxModel<Arch>; docs/model-layers.md lists what an
// Arch provides. Syscall entry and dispatch (entry_64.S, do_syscall_64), single-step bookkeeping
// (step.c), register access through ptrace (ptrace.c), traps (traps.c) and signal frames
// (signal.c) are here; the instruction semantics are the CPU layer's.
#pragma once

#include "model/cpu/x86_64/cpu.hpp"
#include "model/linux/model.hpp"

#include <optional>
#include <string>
#include <vector>

namespace ptmc::linux_x86_64 {

// What does not depend on the value domain: the program's layout (kernel/codegen.cpp).
struct Layout {
  // The handler block: the body, then `add rsp, 8; nr rt_sigreturn; syscall; jmp` back to the
  // `nr`, so a tracer that skips rt_sigreturn loops instead of running off the end.
  static std::vector<Insn> handler_with_tail(const std::vector<Insn>& body);
  // Why a scenario's program cannot run on this model, or nullopt.
  static std::optional<std::string> unsupported(const Scenario& s);
};

// The glue over the value domain D (model/value.hpp); `Arch` is the explicit model's.
template <class D> class BasicArch : public Layout {
public:
  using Domain = D;
  using Frame = x86::BasicFrame<D>;
  using Task = LinuxTask<Frame>;
  using Rules = typename D::Rules;
  using Bool = typename D::Bool;
  using W = typename D::U64;
  using Flags = typename D::Flags;

  explicit BasicArch(const Profile& p) : fmask_(p.fmask), step_arm_assigns_(p.step_arm_assigns) {}

  static constexpr ptmc::Arch kIsa = ptmc::Arch::x86_64; // how traces spell its registers

  // ---- The program as the code generator lays it out (kernel/codegen.cpp) --------------------

  // Whether `op` can run next on this frame: the model keeps one stack slot.
  static bool representable_next(const Frame& f, Op op) {
    const bool needs_stack = op == Op::popf || op == Op::or_tf || op == Op::and_tf;
    if (needs_stack && f.stack_depth == 0) return false;
    return !(op == Op::pushf && f.stack_depth == 1);
  }
  static bool stack_holds_flags(const Frame& f) { return f.stack_depth == 1; }
  static bool sets_trap_flag(Op op) { return x86::sets_trap_flag(op); }
  // enable_single_step reads the instruction at rip (step.c is_setting_trap_flag).
  static constexpr bool kArmingPeeksAtNextInsn = true;

  void initial_registers(Frame& f) const {
    // The agent writes rflags 0x246 (ZF, PF, IF, the fixed bit) and rsi = buf (kernel/agent.cpp).
    f.rflags = Flags(x86::kInitialFlags);
    f.rsi = static_cast<uint8_t>(Arg::buf);
  }
  static void canonicalize_frame(Frame& f) {
    if (f.stack_depth == 0) f.stack_top = 0; // nothing pushed: the slot is unreadable
  }

  // ---- User mode ----------------------------------------------------------------------------

  // The step with the trap condition in the domain: a symbolic TF decides it.
  struct Step {
    UserExit exit = UserExit::retired;
    Bool single_step_trap = false;
    bool completed = true; // x86's exceptions all come after the instruction
  };
  Step run_user_insn(Task& t, const Insn& in, Rules& r) const {
    const x86::BasicStep<D> step = x86::execute(t.regs, in, r);
    // step.c has no pushf case, so a pushf under a debugger's single step pushes its TF
    // (TIF_FORCED_TF); the mutant is a kernel that would hide it.
    if (step.pushed_flags && !r.decide(RuleId::pushf_leaks_tf, true) && (t.work & work::forced_tf))
      t.regs.stack_top &= Flags(~x86::TF);
    Step out;
    out.single_step_trap = step.single_step_trap;
    switch (step.exit) {
    case x86::Exit::retired:
      out.exit = UserExit::retired;
      break;
    case x86::Exit::syscall:
      out.exit = UserExit::syscall;
      break;
    case x86::Exit::breakpoint:
      out.exit = UserExit::breakpoint;
      break;
    case x86::Exit::unrepresentable:
      out.exit = UserExit::unrepresentable;
      break;
    }
    return out;
  }

  // ---- Syscalls -----------------------------------------------------------------------------

  // x86 selects CONFIG_GENERIC_ENTRY: kernel/entry/common.c does the syscall work, and
  // report_single_step skips the exit step report under SYSCALL_EMU.
  static constexpr SyscallWorkRules kSyscallWork{RuleId::entry_work_captured, RuleId::entry_stop,
                                                 RuleId::entry_emu_skips, RuleId::exit_step_report,
                                                 RuleId::exit_trace_stop};
  static bool exit_step_wanted(uint8_t w) { return (w & work::exit_trap) && !(w & work::emu); }

  // entry_SYSCALL_64: the CPU masked RFLAGS with the FMASK syscall_init programmed; the entry code
  // saves orig_ax and presets ax = -ENOSYS before any work.
  void enter_syscall(Task& t, Rules& r, Events& ev) const {
    const uint64_t fmask =
        r.effect(RuleId::entry_fmask_clears_tf) ? fmask_ : (fmask_ & ~uint64_t{x86::TF});
    if ((x86::kernel_rflags_after_syscall<D>(t.regs, fmask) & x86::TF) != 0) ev.kernel_tf = true;
    if (r.effect(RuleId::entry_orig_rax)) t.orig_rax = t.regs.rax;
    if (r.effect(RuleId::entry_rax_enosys)) t.regs.rax = kEnosys;
  }
  // arch/x86/entry/syscalls/syscall_64.tbl, through the list the agent's sandbox is built from
  // (scenario/syscalls.hpp): do_syscall_64 dispatches on orig_ax's low 32 bits, as an int.
  static Syscall syscall_named(const typename D::I64& orig_rax) {
    if constexpr (D::symbolic)
      return classify_syscall(kIsa, orig_rax); // the same function the table is made from
    else
      return syscall_in_table<ptmc::Arch::x86_64>(orig_rax);
  }
  static SyscallArgs syscall_args(const Frame& f) {
    return SyscallArgs::decode(f.rdi, f.rsi, x86::kArgFramePtr);
  }
  static void set_return(Frame& f, int64_t v) { f.rax = v; }
  // do_syscall_64: nr -1 (a tracer's skip) runs nothing and leaves ax alone.
  void no_syscall(Task& t, Rules& r) const {
    if (!r.decide(RuleId::sys_minus1_keeps_rax, true)) t.regs.rax = kEnosys;
  }
  void invalid_syscall(Task& t, Rules& r) const {
    if (r.effect(RuleId::sys_invalid_enosys)) t.regs.rax = kEnosys;
  }
  void rt_sigreturn(Task& t, Rules& r, Events& ev) const;
  // user_single_step_report: the step reported at syscall exit.
  int16_t syscall_step_si_code(Rules& r) const {
    return r.template choose<int16_t>(RuleId::exit_step_si_code, code::trap_brkpt,
                                      code::trap_trace);
  }

  // ---- Exceptions ---------------------------------------------------------------------------

  // Returning to user mode raises nothing by itself on x86: a TF set for the debugger traps
  // after the next instruction, not before it.
  std::optional<int16_t> return_to_user(Task&, Rules&) const { return std::nullopt; }
  // x86's arch_do_signal_or_restart calls get_signal with orig_ax as it is.
  void before_signal(Task&, Rules&) const {}

  void exception_entry(Task& t, Rules& r) const {
    if (r.effect(RuleId::exc_orig_rax)) t.orig_rax = -1; // idtentry pushes -1 as orig_ax
  }
  int16_t single_step_si_code(Rules& r) const {
    return r.template choose<int16_t>(RuleId::trap_db_si_code, code::trap_trace, code::trap_brkpt);
  }
  // do_int3_user: SIGTRAP with SI_KERNEL; nullopt for the mutant that sends nothing.
  std::optional<int16_t> breakpoint_si_code(Rules& r) const {
    if (!r.effect(RuleId::trap_int3)) return std::nullopt;
    return static_cast<int16_t>(code::si_kernel);
  }

  // ---- Single-step bookkeeping (arch/x86/kernel/step.c) --------------------------------------

  void enable_single_step(Task& t, Peek peek, Rules& r) const;
  void disable_single_step(Task& t, Rules& r) const;

  // ---- Signals (arch/x86/kernel/signal.c handle_signal) --------------------------------------

  void handle_signal(Task& t, int sig, bool stepping, Rules& r, Events& ev) const;

  // ---- Registers through ptrace (arch/x86/kernel/ptrace.c) -----------------------------------

  void write_register(Task& t, const Edit& e, Rules& r) const;
  void read_registers(const Task& t, TraceLine& out, Rules& r) const {
    out.rax = D::observed(t.regs.rax);
    out.orig_rax = D::observed(t.orig_rax);
    out.rbx = t.regs.rbx;
    const bool forced = t.work & work::forced_tf;
    const W flags = x86::rflags_as_read<W>(W(t.regs.rflags),
                                           r.decide(RuleId::regs_get_hides_forced_tf, forced));
    out.tf = (flags & x86::TF) != 0;
    out.zf = (flags & x86::ZF) != 0;
    out.cf = (flags & x86::CF) != 0;
  }

  // ---- What properties read (props/monitor.hpp, the transparency product) -------------------

  // In the domain's types, so that the monitors of props/ also run over symbolic states (the
  // prover's protocol invariants): there a comparison forks through the path oracle.
  static typename D::I64 result_register(const Frame& f) { return f.rax; }
  static typename D::Bool user_step_flag(const Frame& f) { return (f.rflags & x86::TF) != 0; }
  // The TF a popf would load from the pushed image.
  static typename D::Bool pushed_step_flag(const Frame& f) { return (f.stack_top & x86::TF) != 0; }
  // Whether two tasks' user registers agree on everything the program can read: rip, the
  // registers the alphabet reads, the flags as the program sees them, the pushed image.
  static bool program_sees_same(const Task& t, const Task& u) {
    const auto program_view = [](const Task& s) {
      return x86::rflags_as_read<uint64_t>(s.regs.rflags, (s.work & work::forced_tf) != 0);
    };
    return t.pc() == u.pc() && t.regs.rax == u.regs.rax && t.regs.rbx == u.regs.rbx &&
           t.regs.rsi == u.regs.rsi && program_view(t) == program_view(u) &&
           t.regs.stack_depth == u.regs.stack_depth && t.regs.stack_top == u.regs.stack_top;
  }

private:
  static constexpr int64_t kEnosys = -38;
  uint64_t fmask_;        // IA32_FMASK as the kernel programs it (the seed's bug 2 is a delta)
  bool step_arm_assigns_; // the seed's bug 3: rflags = TF instead of |=
};

// ---- Definitions ------------------------------------------------------------------------------

template <class D> void BasicArch<D>::rt_sigreturn(Task& t, Rules& r, Events& ev) const {
  if (!t.in_handler || !t.regs.rsp_moved) {
    // The frame would come from whatever the stack holds (no handler frame, or rsp not moved
    // onto it because the tracer jumped over `add rsp, 8`): the kernel then restores garbage or
    // raises SIGSEGV, and neither is predictable.
    t.phase = Phase::unmodelled;
    t.exit_value = unmodelled::sigreturn_without_frame;
    return;
  }
  if (r.effect(RuleId::sys_sigreturn_restores)) {
    const Flags flags = Flags(x86::rflags_from_sigframe<W>(W(t.regs.rflags), W(t.saved.rflags)));
    t.regs = t.saved; // the peek too: the program at the restored rip is what it was
    t.regs.rflags = flags;
    t.in_handler = 0;
    t.saved = Frame{};
    ev.frame_replaced = true;
  }
  if (r.effect(RuleId::sys_sigreturn_orig_rax)) t.orig_rax = -1;
}

template <class D> void BasicArch<D>::enable_single_step(Task& t, Peek peek, Rules& r) const {
  if (!r.effect(RuleId::step_enable)) return;
  if (t.work & work::singlestep) t.regs.rflags |= Flags(x86::TF);
  t.work |= work::singlestep | work::exit_trap;
  const W old = W(t.regs.rflags);
  t.regs.rflags = Flags(step_arm_assigns_ ? x86::rflags_arm_step_by_assignment<W>(old)
                                          : x86::rflags_arm_step<W>(old));
  t.regs.peek = static_cast<uint8_t>(peek);
  if (r.decide(RuleId::step_popf_is_users, peek == Peek::popf)) {
    t.work &= static_cast<uint8_t>(~work::forced_tf);
    return;
  }
  if (r.decide(RuleId::step_forced_tf, (old & x86::TF) != 0)) return;
  t.work |= work::forced_tf;
}

template <class D> void BasicArch<D>::disable_single_step(Task& t, Rules& r) const {
  if (r.effect(RuleId::step_disable))
    t.work &= static_cast<uint8_t>(~(work::singlestep | work::exit_trap));
  if (r.decide(RuleId::step_disable_clears_forced_tf, (t.work & work::forced_tf) != 0)) {
    t.work &= static_cast<uint8_t>(~work::forced_tf);
    t.regs.rflags &= Flags(~x86::TF);
  }
}

template <class D>
void BasicArch<D>::handle_signal(Task& t, int sig, bool stepping, Rules& r, Events& ev) const {
  if (stepping && r.effect(RuleId::sig_handler_disables_step)) disable_single_step(t, r);
  if (r.effect(RuleId::sig_handler_frame)) {
    // The saved frame keeps the peek: it is what the explorer committed the instruction at the
    // saved rip to be, and rt_sigreturn returns to that same instruction.
    t.saved = t.regs;
    t.regs.pc_space = static_cast<uint8_t>(Loc::Space::handler);
    t.regs.pc = 0;
    t.regs.rax = 0;
    t.regs.rdi = static_cast<uint8_t>(sig); // the handler's first argument
    t.regs.rsi = x86::kArgFramePtr;
    t.regs.stack_depth = 0;
    t.regs.stack_top = 0;
    t.regs.peek = 0;
    t.in_handler = 1;
    ev.frame_replaced = true;
  }
  if (r.effect(RuleId::sig_handler_clears_tf))
    t.regs.rflags = Flags(x86::rflags_for_handler<W>(W(t.regs.rflags)));
}

template <class D> void BasicArch<D>::write_register(Task& t, const Edit& e, Rules& r) const {
  switch (e.reg) {
  case Reg::orig_rax:
    t.orig_rax = D::edit_value(e);
    break;
  case Reg::rax:
    t.regs.rax = D::edit_value(e);
    break;
  case Reg::rip:
    // value -1 is the explorer's "skip the next instruction"; otherwise a location.
    if (is_skip_next(e)) {
      t.regs.pc = static_cast<uint8_t>(t.regs.pc + 1);
    } else {
      t.regs.pc_space = static_cast<uint8_t>(e.loc.space);
      t.regs.pc = static_cast<uint8_t>(e.loc.index);
    }
    t.regs.peek = 0;
    break;
  case Reg::tf: {
    // The agent reads the registers, flips TF and writes them back: get_flags then set_flags.
    const bool forced = t.work & work::forced_tf;
    W value = x86::rflags_as_read<W>(W(t.regs.rflags),
                                     r.decide(RuleId::regs_get_hides_forced_tf, forced));
    value = e.value ? (value | W(x86::TF)) : (value & W(~x86::TF));
    if ((value & x86::TF) != 0) t.work &= static_cast<uint8_t>(~work::forced_tf);
    const Bool keep = r.decide(RuleId::regs_set_keeps_forced_tf, (t.work & work::forced_tf) != 0);
    t.regs.rflags = Flags(x86::rflags_as_written<W>(value, keep));
    break;
  }
  }
}

using Arch = BasicArch<Concrete>;

} // namespace ptmc::linux_x86_64

namespace ptmc {
// Linux on x86_64: the profile linux-x86_64 and its deltas run this model.
using LinuxX86Model = LinuxModel<linux_x86_64::Arch>;
} // namespace ptmc
