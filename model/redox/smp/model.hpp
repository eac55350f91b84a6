// The Redox SMP model: tracer, tracee (and the tracee's clone) as kernel threads on CPUs,
// executing the listings of one kernel version (kernel.hpp) step by step. It offers the
// explorer's interface (initial_states, expand, fingerprint, tag) and one `apply` that both the
// explorer and the scenario replay use: there is one transition function.
#pragma once

#include "model/redox/smp/kernel.hpp"
#include "model/redox/smp/state.hpp"
#include "model/rules.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ptmc::redox_smp {

// ---- Properties -----------------------------------------------------------------------------

enum class Prop : uint8_t {
  no_deadlock,
  event_wakeup,
  resume_wakeup,
  detach_wakeup,
  exit_wakeup,
  stop_reported,
  ignore_exact,
  no_run_while_stopped,
  step_only_when_armed,
  clone_released,
  clone_frozen_before_run,
  kernel_assert,
  determinism,
  refinement,
  refinement_interface,
  count
};
inline constexpr int kProps = static_cast<int>(Prop::count);
inline constexpr uint32_t bit(Prop p) {
  return 1u << static_cast<unsigned>(p);
}

struct PropInfo {
  Prop id;
  std::string_view name;
  std::string_view meaning;
  std::string_view definition;
};
const std::vector<PropInfo>& prop_table();
std::optional<Prop> prop_by_name(std::string_view name);

// ---- The domain: what the explorer enumerates -------------------------------------------------

// How the tracer opened proc:<pid>/trace. O_TRUNC sets ptrace_stop, which stops the tracee only
// at its next context switch (`trunc`: it was running); `frozen` is O_TRUNC while the tracee was
// off its CPU, so it is frozen before its first instruction (the interface model's attach).
enum class Attach : uint8_t { plain, trunc, frozen };
std::string_view attach_name(Attach a); // "plain", "O_TRUNC", "O_TRUNC-frozen"
std::optional<Attach> attach_by_name(std::string_view name);

struct Domain {
  int program_bound = 2;                               // tracee instructions before exit
  std::vector<Insn> alphabet{Insn::nop, Insn::getpid}; // the tracee's instructions
  std::vector<uint8_t> writes{flag::pre, flag::post | flag::ignore, flag::step};
  int requests = 3;                          // tracer requests before its final close
  bool regs = true;                          // regs/int reads in the tracer's alphabet
  bool kill_tracee = false;                  // a third party may SIGKILL the tracee once
  bool kill_tracer = false;                  // ... or the tracer
  std::vector<Attach> attach{Attach::plain}; // how the trace file was opened
  int cpus = 2;
  bool close_anytime = true; // false: the tracer closes only after all its requests
};

// The tracer's alphabet: the writes, then read, regs, close.
struct Request {
  enum class Kind : uint8_t { write, read, regs, close } kind = Kind::read;
  uint8_t flags = 0;
};
std::string format_request(const Request& r); // "write PRE_SYSCALL|IGNORE", "read", ...

// ---- Labels and what a step did ---------------------------------------------------------------

enum class Act : uint8_t {
  step,     // the thread's next kernel step
  user,     // the tracee's next user instruction (or the tracer's request, see `request`)
  request,  // the tracer starts a request (arg: its index in the tracer's alphabet)
  sched_in, // the scheduler switches the context in on its CPU
  preempt,  // the timer preempts the context in user mode
  sigwake,  // context::switch's update(): a blocked context with a pending signal is unblocked
  kill,     // a third party sends SIGKILL (the env thread)
};

struct Label {
  uint8_t who = 0; // Thread, or 3 for the env
  Act act = Act::step;
  uint8_t arg = 0;
  bool operator==(const Label&) const = default;
};
inline constexpr uint8_t kEnv = 3;
std::string_view who_name(uint8_t who);

struct StepInfo {
  uint16_t rule = 0xffff;  // the step's source, for steps
  uint32_t violations = 0; // Prop bits
  std::string note;        // extra words for the printout (a result, a choice)
  bool observation = false;
  std::string observed; // the tracer's observation, when a request returns
  uint32_t obs = 0;     // the same, as a code: 0 for an internal step (see `obs_code`)
};

// Observation codes: what the tracer sees (a request it makes, the result it gets) and how the
// tracee ends. Zero is "internal".
namespace obs {
inline constexpr uint32_t request = 1u << 28; // | request index
inline constexpr uint32_t result = 2u << 28;  // | index << 20 | Ret << 16 | payload
inline constexpr uint32_t end = 3u << 28;     // | the tracee's exit status
inline constexpr uint32_t hang = 4u << 28;    // nothing can move any more
inline constexpr uint32_t fin = 5u << 28;     // | the tracee's exit status: everything ended
} // namespace obs

// ---- The model --------------------------------------------------------------------------------

class SmpModel {
public:
  using Label = redox_smp::Label;
  using State = redox_smp::State;

  // `atomic`: the interface level. A thread in kernel code runs alone until it returns to user
  // mode or gives up its CPU, as on one CPU with a non-preemptible kernel: every system call,
  // every stop, is one atomic block between user-mode steps.
  SmpModel(Version version, Domain domain, bool por, bool atomic = false);

  std::vector<State> initial_states() const;
  State initial_state(const std::vector<Insn>& program, Attach attach) const;
  template <class Emit> void expand(const State& s, Emit& emit) const {
    for_each_successor(s, [&](const Label& l, const State& n, const StepInfo& info) {
      emit(l, n, info.violations, uint8_t{1});
    });
  }
  uint64_t fingerprint(const State& s) const;
  uint8_t tag(const State& s) const; // 0 running, 1 finished, 2 stuck

  // Applies one label; nullopt if it is not enabled. The transition function.
  std::optional<State> apply(const State& s, const Label& l, StepInfo* info = nullptr) const;

  // Every enabled label with its successor (after partial-order reduction, if on).
  template <class F> void for_each_successor(const State& s, F&& f) const {
    std::vector<Label> labels;
    enabled(s, labels);
    for (const Label& l : labels) {
      StepInfo info;
      auto n = apply_reduced(s, l, &info);
      if (n) f(l, *n, info);
    }
  }

  // With partial-order reduction, a thread's step runs on as one atomic block while the steps
  // after it are movers (docs/redox-smp.md, "Scale"): lock acquires and the accesses a held lock
  // protects, at most one step other threads can see, then releases and protected accesses.
  // `steps` receives the single steps the block was made of.
  std::optional<State> apply_block(const State& s, const Label& l, StepInfo* info = nullptr,
                                   std::vector<Label>* steps = nullptr) const;
  // The transition of the explored graph: a block with partial-order reduction, else one step.
  std::optional<State> apply_reduced(const State& s, const Label& l,
                                     StepInfo* info = nullptr) const {
    return por_ && l.act == Act::step ? apply_block(s, l, info) : apply(s, l, info);
  }
  // The single steps of a path of the reduced model, for printing and replay.
  std::vector<Label> unfold(const State& initial, const std::vector<Label>& path) const;
  void enabled(const State& s, std::vector<Label>& out) const;

  const Kernel& code() const { return kernel_; }
  const Domain& domain() const { return domain_; }
  Version version() const { return version_; }
  bool por() const { return por_; }
  bool atomic() const { return atomic_; }
  const std::vector<Request>& requests() const { return requests_; }

  // What the state is: finished, stuck (no thread can step), and the stuck state's diagnosis.
  bool finished(const State& s) const;
  bool stuck(const State& s) const;
  uint32_t diagnose_stuck(const State& s) const;

  // Human-readable: the step a label stands for, and a short state summary.
  std::string describe(const State& before, const Label& l, const StepInfo& info) const;
  std::string summary(const State& s) const;

  // States cut off because the event queue would exceed its four slots.
  uint64_t overflow_count() const { return overflows_; }

  // The rules (of the redox/smp and cpu/x86_64 layers) some applied step consulted.
  const RuleSet& covered() const { return covered_; }
  static RuleId rule_of(Kind k);

private:
  bool step_enabled(const State& s, Thread t) const;
  void run_step(State& s, Thread t, StepInfo& info) const;
  void run_control(State& s, Thread t) const;
  void start_code(State& s, Thread t, Code c) const;
  bool request_allowed(const State& s, size_t index) const;
  bool safe_step(const State& s, Thread t) const;
  enum class Mover { right, left, both, none };
  Mover mover(const State& s, Thread t) const;
  void enabled_all(const State& s, std::vector<Label>& out) const;
  uint32_t monitor_user(const State& s, Insn insn) const;

  Version version_;
  const Kernel& kernel_;
  Domain domain_;
  bool por_;
  bool atomic_;
  std::vector<Request> requests_;
  Lock data_lock_; // which lock guards the breakpoint and the queue in this version
  mutable uint64_t overflows_ = 0;
  mutable RuleSet covered_;
};

} // namespace ptmc::redox_smp
