// The Linux ptrace model over any architecture: one transition function, used by every engine.
//
// A state is either stopped (the tracer acts), at a user instruction boundary (the tracee acts:
// it executes the instruction at rip), or dead. Each transition runs the kernel deterministically
// from one of those points to the next, so the only branching is the tracer's action and the
// program's instruction. The explorer enumerates both; the scenario runner picks the ones its
// scenario names.
//
// This class is the generic Linux layer (kernel/ptrace.c, kernel/signal.c, kernel/entry/common.c).
// Everything architecture-specific goes through `Arch`, the glue layer, which owns the CPU layer
// below it; docs/model-layers.md lists what an Arch must provide. The definitions are in
// model_impl.hpp, instantiated once per architecture (model/linux/x86_64/model.cpp).
#pragma once

#include "model/linux/task.hpp"
#include "model/profile.hpp"
#include "model/rules.hpp"
#include "model/transition.hpp"
#include "scenario/scenario.hpp"
#include "scenario/syscalls.hpp"

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ptmc {

// The syscalls the generic layer implements, as the arch's table names them.
// `unmodelled`: a syscall of a kernel we target that the model does not follow; it refuses the
// run rather than guess (scenario/syscalls.hpp).
enum class Syscall : uint8_t {
  none,
  read,
  write,
  getpid,
  kill,
  exit_group,
  rt_sigreturn,
  invalid,
  unmodelled
};

// The syscall `number` names in `arch`'s table, through the list the agent's sandbox is built
// from (scenario/syscalls.hpp), so that the model follows exactly what the sandbox lets through.
// Generic over the number's type, as syscalls::classify is.
template <class I> constexpr Syscall classify_syscall(ptmc::Arch arch, const I& number) {
  switch (syscalls::classify(arch, number)) {
  case syscalls::Class::skip:
    return Syscall::none;
  case syscalls::Class::invalid:
    return Syscall::invalid;
  case syscalls::Class::unmodelled:
  case syscalls::Class::x32:
    return Syscall::unmodelled;
  case syscalls::Class::modelled:
    break;
  }
  const auto nr = syscalls::dispatch_number_of(number);
  std::string_view name;
  for (const syscalls::Modelled& m : syscalls::modelled(arch))
    if (m.nr == nr) name = m.name;
  constexpr std::pair<std::string_view, Syscall> kByName[] = {
      {"read", Syscall::read},
      {"write", Syscall::write},
      {"getpid", Syscall::getpid},
      {"kill", Syscall::kill},
      {"exit_group", Syscall::exit_group},
      {"rt_sigreturn", Syscall::rt_sigreturn}};
  for (const auto& [n, call] : kByName)
    if (n == name) return call;
  return Syscall::unmodelled; // on the list without a rule here: refuse, not guess
}

// The same, looked up in a table made at compile time: the explorer asks at every syscall.
template <ptmc::Arch A> Syscall syscall_in_table(int64_t number) {
  static constexpr auto kBelowInvalid = [] {
    std::array<Syscall, syscalls::kFirstInvalid> table{};
    for (int32_t nr = 0; nr < syscalls::kFirstInvalid; ++nr)
      table[nr] = classify_syscall(A, int64_t{nr});
    return table;
  }();
  const int32_t nr = syscalls::dispatch_number(number);
  return nr >= 0 && nr < syscalls::kFirstInvalid ? kBelowInvalid[nr] : classify_syscall(A, number);
}

// A syscall's arguments as the alphabet can set them, read from the arch's registers.
struct SyscallArgs {
  // write's fd, kill's pid, exit_group's status. On x86_64 it is rdi (0, or the signal number
  // in a handler); on arm64 it is x0, which is also the result register, so any earlier result.
  int64_t arg0;
  bool buffer_valid; // write's buffer is readable memory
  int signal;        // kill's signal, or 0 when the argument is no signal the model knows

  // The alphabet's argument encoding, the same on every architecture: `arg0` as the program left
  // it, and the second argument register holding an Arg code or the signal frame's address.
  static SyscallArgs decode(int64_t arg0, uint64_t second, uint64_t frame_ptr) {
    SyscallArgs a;
    a.arg0 = arg0;
    a.buffer_valid = second == static_cast<uint8_t>(Arg::buf) || second == frame_ptr;
    a.signal = second == static_cast<uint8_t>(Arg::sigusr1)   ? sig::usr1
               : second == static_cast<uint8_t>(Arg::sigusr2) ? sig::usr2
                                                              : 0;
    return a;
  }
};

// How a user instruction ended, as the arch glue reports it to the generic layer.
enum class UserExit : uint8_t { retired, syscall, breakpoint, unrepresentable };
struct UserStep {
  UserExit exit = UserExit::retired;
  bool single_step_trap = false; // the CPU raises the single-step exception after it
  bool completed = true;         // false: its exception came before it completed (arm64 brk)
};

// The rules an architecture's syscall entry and exit work consults: the generic entry code's
// (model/linux/entry/rules.hpp) where the architecture selects CONFIG_GENERIC_ENTRY, or its own
// with its own sources (arm64 in 6.1). The decisions are the same and made here, once; only who
// makes them, and the condition of the exit step report (Arch::exit_step_wanted), differ.
struct SyscallWorkRules {
  RuleId work_captured, entry_stop, emu_skips, exit_step_report, exit_trace_stop;
};

template <class Arch> class LinuxModel {
public:
  using ArchType = Arch;
  using Frame = typename Arch::Frame;
  using State = LinuxTask<Frame>;
  // The value domain of the registers and the rule door (model/value.hpp): Concrete for the
  // explicit engines, the prover's symbolic domain for prove/.
  using Domain = domain_of_t<Arch>;
  using Rules = typename Domain::Rules;

  // `program` fixed: the scenario runner. nullopt: explore every program up to the bound.
  LinuxModel(const Profile& profile, std::optional<std::vector<Insn>> program,
             std::vector<Insn> handler);

  const Profile& profile() const { return profile_; }
  const Arch& arch() const { return arch_; }

  // Why a scenario cannot run on this model, or nullopt: a signal the model does not know given
  // to a resume, then what the arch glue cannot lay out or follow (Arch::unsupported).
  static std::optional<std::string> unsupported(const Scenario& s);
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
  Loc peek_location(const State& s, const Action& a) const { return with_rip_edits(s, a).pc(); }
  // Whether register writes at this stop are lost (the seed's bug 1, bug-signal-frame).
  bool edits_lost(const State& s) const {
    return profile_.signal_stop_writes_to_live &&
           (s.why == StopWhy::signal_delivery || s.why == StopWhy::initial);
  }

  // Whether this stop's register writes (all but orig_rax) reach the pending signal frame rather
  // than the live registers: the design variants of the RFC's question 1 (RegisterWriteTarget).
  bool edits_reach_saved(const State& s) const;

  State resume(const State& s, const Action& a, Peek peek, Rules& rules, Events& ev) const;
  // The stop after the tracer's register writes (PTRACE_SETREGS, POKEUSER), before any resume:
  // the first thing resume does, and what a register read at the same stop then sees.
  State write_registers(const State& s, const std::vector<Edit>& edits, Rules& rules) const;
  State execute(const State& s, const Insn& insn, Rules& rules, Events& ev) const;

  // What the tracer observes at a stop or at the end.
  TraceLine observe(const State& s, Rules& rules) const;

  // The instruction at a location when it is fixed: the scenario's program, the exit tail,
  // the handler. nullopt while exploring an index below the bound.
  std::optional<Insn> fixed_insn(Loc at) const;
  size_t program_length() const { return program_length_; }
  const std::vector<Insn>& handler() const { return handler_; }

  // Signal `pass` resolves to at this stop (docs/scenario-format.md).
  int pass_signal(const State& s, Rules& rules) const;

  // Whether states remember the last request. Only `sig=pass` needs it (the scenario runner and
  // the transparency product); the explorer's own tracer never passes, and a field nobody reads
  // would only split states.
  void track_last_request(bool on) { track_last_request_ = on; }

private:
  // The tracer's edits at a stop, into the frame the profile sends them to.
  void write_edits(State& s, const std::vector<Edit>& edits, bool rip_only, Rules& r) const;

  // kernel/entry/common.c
  void syscall_entry(State& s, Rules& r, Events& ev) const;
  void syscall_body(State& s, Rules& r, Events& ev) const;
  void syscall_exit_work(State& s, Rules& r, Events& ev) const;
  // kernel/signal.c
  // `in_get_signal`: resuming from a signal-delivery-stop whose signal was discarded, so the
  // same get_signal loop goes on (no new arch signal-handling entry, Arch::before_signal).
  void exit_to_user(State& s, Rules& r, Events& ev, bool in_get_signal = false) const;
  void deliver(State& s, int sig, Rules& r, Events& ev) const;
  void raise(State& s, int sig, int16_t code, Events& ev, bool shared = false) const;
  void trap(State& s, int16_t code, Rules& r, Events& ev) const;
  void stop(State& s, StopWhy why, int sig, int16_t code, SyscallOp op) const;
  void canonicalize(State& s) const;
  State with_rip_edits(const State& s, const Action& a) const;
  State resume_raw(const State& s, const Action& a, Peek peek, Rules& rules, Events& ev) const;
  State execute_raw(const State& s, const Insn& insn, Rules& rules, Events& ev) const;

  Profile profile_;
  Arch arch_;
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

// The tracer actions the explorer tries at every stop, from the profile's domain.
std::vector<Action> build_tracer_domain(const Domain& d);

} // namespace ptmc
