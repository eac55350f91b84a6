// The Linux x86_64 ptrace model: one transition function, used by every engine.
//
// A state is either stopped (the tracer acts), at a user instruction boundary (the tracee acts:
// it executes the instruction at rip), or dead. Each transition runs the kernel deterministically
// from one of those points to the next, so the only branching is the tracer's action and the
// program's instruction. The explorer enumerates both; the scenario runner picks the ones its
// scenario names; a later Z3 encoder reuses the register rules in regs.hpp.
#pragma once

#include "model/profile.hpp"
#include "model/rules.hpp"
#include "model/state.hpp"
#include "scenario/scenario.hpp"

#include <optional>
#include <string>
#include <vector>

namespace ptmc {

// What happened inside one transition that a tracer cannot see but a property needs.
struct Events {
  bool kernel_tf = false;        // kernel code ran with TF set in RFLAGS
  bool emu_syscall_ran = false;  // a syscall entered under SYSCALL_EMU was executed
  bool syscall_ran = false;      // some syscall was executed (it may have changed rax)
  bool frame_replaced = false;   // handler entry or rt_sigreturn rewrote the user frame
  bool step_armed = false;       // the resume armed single-stepping
  uint8_t retired = 0;           // user instructions completed; a syscall completes at its exit
  uint8_t generated = 0;         // pend:: bits of signals raised (kill, traps, send_sig, requeue)
  uint8_t delivered = 0;         // pend:: bits acted on: a handler entered or a default action
  uint8_t suppressed = 0;        // pend:: bits discarded at a signal-delivery-stop
  uint8_t injected = 0;          // pend:: bits the tracer injected with this resume
  uint8_t ignored_injection = 0; // pend:: bits a resume gave where the kernel ignores them
  bool writes_lost = false;      // the resume's register edits went to a frame that is dropped
};

// Whether the instruction at rip is popf, as far as the model has committed to it. The kernel
// reads the instruction at rip when it arms single-stepping (step.c is_setting_trap_flag), so a
// step resume before that instruction is chosen commits to one of two answers.
enum class Peek : uint8_t { unknown = 0, popf = 1, not_popf = 2 };

// One edge label, enough to replay it.
struct Label {
  enum class Who : uint8_t { tracer, tracee } who = Who::tracer;
  uint16_t index = 0; // tracer: index into tracer_domain(); tracee: index into alphabet
  Peek peek = Peek::unknown;
};

class X86Model {
public:
  // `program` fixed: the scenario runner. nullopt: explore every program up to the bound.
  X86Model(const Profile& profile, std::optional<std::vector<Insn>> program,
           std::vector<Insn> handler);

  const Profile& profile() const { return profile_; }
  std::vector<State> initial_states(std::optional<bool> tracesysgood = std::nullopt) const;

  // The instructions the tracee may execute next, in alphabet order; a fixed instruction is
  // reported as alphabet().size(). Writes at most kMaxChoices; returns how many.
  static constexpr size_t kMaxChoices = 64;
  size_t program_choices(const State& s, uint16_t* out) const;
  const std::vector<Insn>& alphabet() const { return alphabet_; }
  const std::vector<Action>& tracer_domain() const { return tracer_domain_; }

  // Peek outcomes a resume with this request must branch over: writes 1 or 2, returns how many.
  // The instruction it peeks at is the one at rip after the action's edits.
  size_t peeks_for(const State& s, const Action& a, Peek out[2]) const;
  // Where that instruction is: rip after the action's edits, unless the profile loses them.
  Loc peek_location(const State& s, const Action& a) const;
  // Whether register writes at this stop are lost (the bug-signal-frame delta).
  bool edits_lost(const State& s) const;

  State resume(const State& s, const Action& a, Peek peek, RuleCtx& rules, Events& ev) const;
  State execute(const State& s, const Insn& insn, RuleCtx& rules, Events& ev) const;

  // What the tracer observes at a stop or at the end.
  TraceLine observe(const State& s, RuleCtx& rules) const;

  // The instruction at a location when it is fixed: the scenario's program, the exit tail,
  // the handler. nullopt while exploring an index below the bound.
  std::optional<Insn> fixed_insn(Loc at) const;
  size_t program_length() const { return program_length_; }
  const std::vector<Insn>& handler() const { return handler_; }

  // Signal `pass` resolves to at this stop (docs/scenario-format.md).
  int pass_signal(const State& s, RuleCtx& rules) const;

  // Whether states remember the last request. Only `sig=pass` needs it (the scenario runner and
  // the transparency product); the explorer's own tracer never passes, and a field nobody reads
  // would only split states.
  void track_last_request(bool on) { track_last_request_ = on; }

private:
  void enable_step(State& s, Peek peek, RuleCtx& r) const;
  void disable_step(State& s, RuleCtx& r) const;
  void syscall_entry(State& s, RuleCtx& r, Events& ev) const;
  void syscall_body(State& s, RuleCtx& r, Events& ev) const;
  void syscall_exit_work(State& s, RuleCtx& r, Events& ev) const;
  void exit_to_user(State& s, RuleCtx& r, Events& ev) const;
  void deliver(State& s, int sig, RuleCtx& r, Events& ev) const;
  void raise(State& s, int sig, int16_t code, Events& ev, bool shared = false) const;
  void debug_trap(State& s, int16_t code, RuleCtx& r, Events& ev) const;
  void apply_edit(State& s, const Edit& e, RuleCtx& r) const;
  State with_rip_edits(const State& s, const Action& a) const;
  void stop(State& s, StopWhy why, int sig, int16_t code, SyscallOp op) const;
  void canonicalize(State& s) const;
  State resume_raw(const State& s, const Action& a, Peek peek, RuleCtx& rules, Events& ev) const;
  State execute_raw(const State& s, const Insn& insn, RuleCtx& rules, Events& ev) const;

  Profile profile_;
  std::optional<std::vector<Insn>> program_;
  std::vector<Insn> handler_; // the body plus the fixed tail
  size_t program_length_;     // the bound when exploring, the program's size otherwise
  std::vector<Insn> alphabet_;
  std::vector<Action> tracer_domain_;
  bool track_last_request_ = false;
  bool alphabet_has_popf_ = false, alphabet_has_other_ = false;
};

// The explorer's relative rip edit, "skip the next instruction": rip with value -1 and no
// location. Scenarios always name an absolute location; counterexamples are written that way.
inline bool is_skip_next(const Edit& e) {
  return e.reg == Reg::rip && e.value == -1 && e.loc == Loc{};
}
inline Edit skip_next_edit() {
  return Edit{Reg::rip, -1, {}};
}

// The handler block as the tracee runs it: the body, then `add rsp, 8; nr rt_sigreturn;
// syscall; jmp` back to the `nr`, so a tracer that skips rt_sigreturn loops instead of running
// off the end.
std::vector<Insn> handler_with_tail(const std::vector<Insn>& body);

// Why a scenario cannot run on the model, or nullopt: a popf with nothing pushed, a syscall in
// the handler body, an rt_sigreturn outside the handler.
std::optional<std::string> unsupported_by_model(const Scenario& s);

} // namespace ptmc
