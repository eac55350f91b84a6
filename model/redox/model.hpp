// The Redox ptrace model at the interface level: one tracer, one tracee, the kernel's steps
// atomic. The tracer's actions are Redox's own operations on proc:<pid>/trace and regs/int
// (scenario/scenario.hpp RedoxAction); the tracee runs the x86_64 CPU layer's instructions.
//
// A state is stopped (the tracer acts), in user mode (the tracee executes the instruction at
// rip) or ended. A tracer operation that lets the tracee run takes it, inside the same
// transition, through the kernel until it is back in user mode, stops in a callback or ends:
// the tracee runs before the tracer's next operation. Each operation's result is an observation
// (a trace line); a 2019 write that blocks has its result when the tracee next stops or ends.
// docs/redox-model.md states the model, docs/redox-sources.md the sources; the rules are in
// rules.hpp of this folder.
#pragma once

#include "model/profile.hpp"
#include "model/redox/task.hpp"
#include "model/rules.hpp"
#include "model/transition.hpp"
#include "scenario/scenario.hpp"

#include <optional>
#include <string>
#include <vector>

namespace ptmc::redox {

// The syscall numbers of Redox (redox-os/syscall src/number.rs) for the alphabet's names.
inline constexpr int64_t kSysExit = 1, kSysGetpid = 20, kSysKill = 37, kSysSigreturn = 119;
inline constexpr int64_t kSysWrite = 0x21000004; // SYS_CLASS_FILE | SYS_ARG_SLICE | 4
// The Redox number a program's `nr` loads, or nullopt if the name has no Redox counterpart.
std::optional<int64_t> redox_number(int64_t linux_nr);

// The signals the Redox layer knows (Linux's numbers; redox-os/syscall src/flag.rs agrees).
inline constexpr int kSigCont = 18;

class Model {
public:
  using State = Task;

  // `program` fixed: the scenario runner. nullopt: explore every program up to the bound.
  // `keep_copy`: whether the tracer's register buffer is part of the state (the runner's
  // setregs writes it back; the explorer's setregs reads it first, so it is dead there).
  Model(const Profile& profile, std::optional<std::vector<Insn>> program, std::vector<Insn> handler,
        bool keep_copy = true);

  const Profile& profile() const { return profile_; }
  bool is_2020() const { return profile_.redox_version >= 2020; }

  // The tracee frozen where the RFC's attach leaves it (docs/redox-model.md, "The start").
  State initial_state(bool excl, bool nonblock) const;
  // The concurrent model's attach (docs/redox-smp.md, "Refinement against the interface
  // profiles"): the tracee frozen in user mode before instruction 0, nothing pending, rax
  // holding `rax` (the number its first `syscall` runs).
  State frozen_before_first_instruction(int64_t rax) const;
  // The profile's domain: with and without O_EXCL. `fired` collects the rules consulted.
  std::vector<State> initial_states(RuleSet* fired = nullptr) const;

  // The tracer can act: the tracee is stopped or frozen, and the tracer is not stuck.
  static bool tracer_turn(const State& s) { return s.phase == Phase::stopped && !s.hung; }

  // The tracer's operation. Appends its result line(s) to `out` when given.
  State apply(const State& s, const RedoxAction& a, RuleCtx& rules, Events& ev,
              Trace* out = nullptr) const;
  // The tracee's next user instruction. Appends a deferred write result to `out`.
  State execute(const State& s, const Insn& insn, RuleCtx& rules, Events& ev,
                Trace* out = nullptr) const;
  // The harness ends a run whose actions ran out: it closes the trace file as with O_EXCL.
  State finish(const State& s, RuleCtx& rules, Events& ev) const;
  // The end line of an ended run (exited, killed), or `hang`.
  static TraceLine end_line(const State& s);

  // The instructions the tracee may execute next (alphabet indices, or alphabet().size() for a
  // fixed instruction). Writes at most kMaxChoices; returns how many.
  static constexpr size_t kMaxChoices = 64;
  size_t program_choices(const State& s, uint16_t* out) const;
  const std::vector<Insn>& alphabet() const { return alphabet_; }
  const std::vector<RedoxAction>& tracer_domain() const { return tracer_domain_; }
  std::optional<Insn> fixed_insn(Loc at) const;
  size_t program_length() const { return program_length_; }
  const std::vector<Insn>& handler() const { return handler_; }

  // What register access reaches now (regs_for).
  const x86::Frame& frame_for_access(const State& s) const;

  // Why a scenario cannot run on this model, or nullopt.
  static std::optional<std::string> unsupported(const Scenario& s);

private:
  // The tracee's kernel paths; each runs until the tracee is back in user mode, stopped or ended.
  void resume_kernel(State& s, RuleCtx& r, Events& ev) const;
  void syscall_entry(State& s, RuleCtx& r, Events& ev) const;
  bool kernel_debug_trap(State& s, RuleCtx& r, Events& ev) const;
  void pre_then_body(State& s, RuleCtx& r, Events& ev) const;
  void syscall_body_then_post(State& s, RuleCtx& r, Events& ev) const;
  void post_then_return(State& s, RuleCtx& r, Events& ev) const;
  void return_to_user(State& s) const;
  void deliver(State& s, int sig, RuleCtx& r, Events& ev) const;
  void signal_action(State& s, bool stopped, RuleCtx& r, Events& ev) const;
  void restore_after_signal(State& s, RuleCtx& r, Events& ev) const;
  void kill_returns(State& s, RuleCtx& r, Events& ev) const;
  void do_exit(State& s, int status, RuleCtx& r, Events& ev) const;
  void finish_exit(State& s, int status, Events& ev) const;
  void ksignal_trap(State& s, RuleCtx& r, Events& ev) const;
  void debug_trap(State& s, RuleCtx& r, Events& ev) const;
  // A callback (breakpoint_callback) called from `site`: true if the tracee stopped.
  bool callback(State& s, uint64_t bit, Where at, Event e, RuleId site, RuleCtx& r) const;
  bool pop_pending(State& s, int& sig) const;
  bool push_pending(State& s, int sig) const;

  // The tracer's operations.
  void op_write(State& s, uint64_t word, RuleCtx& r, Events& ev, TraceLine& line) const;
  void op_read(State& s, RuleCtx& r, TraceLine& line) const;
  void op_getregs(State& s, RuleCtx& r, Events& ev, TraceLine& line) const;
  void op_setregs(State& s, const RedoxAction& a, RuleCtx& r, Events& ev, TraceLine& line) const;
  void op_close(State& s, RuleCtx& r, Events& ev, TraceLine& line) const;
  void after_access(State& s, bool was_frozen, RuleCtx& r, Events& ev) const;
  void release(State& s, bool notified, RuleCtx& r, Events& ev) const;
  x86::Frame& frame_for_access_mut(State& s, RuleCtx& r) const;
  bool access_reaches_backup(const State& s) const;
  void settle_write_wait(State& s, Trace* out) const;

  void canonicalize(State& s) const;

  Profile profile_;
  std::optional<std::vector<Insn>> program_;
  std::vector<Insn> handler_; // the body plus the fixed tail
  size_t program_length_;
  std::vector<Insn> alphabet_;
  std::vector<RedoxAction> tracer_domain_;
  bool keep_copy_;
};

// The explorer's relative rip edit in a setregs: rip = the next instruction (see
// model/linux/model.hpp is_skip_next; the same encoding).
inline bool is_skip_edit(const Edit& e) {
  return e.reg == Reg::rip && e.value == -1 && e.loc == Loc{};
}

// The operations the explorer tries at every stop, from the profile's domain.
std::vector<RedoxAction> build_tracer_domain(const Profile& p);

} // namespace ptmc::redox
