#include "engine/runner.hpp"

#include "engine/models.hpp"
#include "engine/redox.hpp"
#include "model/models.hpp"
#include "scenario/syscalls.hpp"

namespace ptmc {

namespace {

constexpr size_t kMaxTransitions = 100000; // a run that has not ended by then is cut

bool is_transparent_tracer(const Scenario& s) {
  auto ok = [](const Action& a) {
    return a.pass && a.edits.empty() &&
           (a.request == Request::cont || a.request == Request::syscall ||
            a.request == Request::singlestep);
  };
  for (const Action& a : s.actions)
    if (!ok(a)) return false;
  return !s.repeat || ok(*s.repeat);
}

bool touches_tf(const Scenario& s) {
  for (const Insn& in : s.program)
    if (in.op == Op::pushf || in.op == Op::popf || in.op == Op::or_tf || in.op == Op::and_tf)
      return true;
  return false;
}

// The refusal of a syscall number the model does not follow (scenario/syscalls.hpp).
std::string unmodelled_syscall_message(Arch arch, Loc at, int64_t orig_rax) {
  const std::string where = "the syscall at instruction " + format_loc(at) + " runs number " +
                            syscalls::describe(arch, orig_rax);
  if (syscalls::classify(arch, orig_rax) == syscalls::Class::x32)
    return where + ", an x32 syscall: whether a kernel runs it depends on CONFIG_X86_X32_ABI "
                   "and its syscall.x32= option, so the model does not guess";
  return where + ", which the model does not follow (it models read, write, rt_sigreturn, "
                 "getpid, kill, exit_group, -1 and the numbers no kernel assigns; "
                 "docs/scenario-format.md)";
}

void record(std::vector<RunViolation>& out, Violations v, size_t line) {
  for (size_t k = 0; k < kPropertyCount; ++k)
    if (v & (Violations{1} << k)) out.push_back(RunViolation{static_cast<PropertyId>(k), line});
}

} // namespace

// Lines are compared as printed (docs/trace-format.md): fields a line does not print, such as
// the exit code of a stop line, do not count.
std::optional<size_t> first_difference(const Trace& expected, const Trace& actual) {
  const size_t n = std::min(expected.size(), actual.size());
  for (size_t i = 0; i < n; ++i)
    if (format_trace_line(expected[i]) != format_trace_line(actual[i])) return i;
  if (expected.size() != actual.size()) return n;
  return std::nullopt;
}

template <class M> ModelRun run_model(const Scenario& scenario, const Profile& profile) {
  ModelRun run;
  if (auto why = M::unsupported(scenario)) {
    run.error = *why;
    return run;
  }
  M model(profile, scenario.program, scenario.handler);
  model.track_last_request(true); // for sig=pass
  const MonitoredModel<M> monitored(model, false);
  RuleCtx observe_rules(profile.mutation);

  typename MonitoredModel<M>::State cs;
  cs.s = model.initial_states(scenario.options.tracesysgood).front();
  run.trace.push_back(model.observe(cs.s, observe_rules));

  bool check_transparency = is_transparent_tracer(scenario);
  const PropertyId transparency_kind =
      touches_tf(scenario) ? PropertyId::tf_transparency : PropertyId::transparency;
  auto untraced = TransparencyModel<M>::untraced_start(cs.s);
  bool diverged = false;

  size_t next_action = 0;
  int repeats = 0;
  Loc last_syscall_at; // the syscall instruction the tracee last executed
  for (size_t steps = 0;; ++steps) {
    if (steps > kMaxTransitions) {
      run.error = "the run did not end within " + std::to_string(kMaxTransitions) + " transitions";
      break;
    }
    if (cs.s.dead()) break;
    if (cs.s.phase == Phase::unmodelled) {
      switch (cs.s.exit_value) {
      case unmodelled::syscall:
        run.error = unmodelled_syscall_message(scenario.arch(), last_syscall_at, cs.s.orig_rax);
        break;
      case unmodelled::kill_other_process:
        run.error = "kill() with a pid other than 0 or the tracee's own (on x86_64 rdi is the "
                    "signal number in a handler; on aarch64 x0 is the last result): another "
                    "process, which the agent's sandbox refuses and the model does not follow";
        break;
      case unmodelled::stack_misuse:
        run.error = "the stack left the model's one slot: a second pushf, a popf or or/and with "
                    "nothing pushed, or the handler's add rsp, 8 run twice";
        break;
      default:
        run.error = "rt_sigreturn without a signal frame; the registers would come from stack "
                    "garbage";
      }
      break;
    }
    typename MonitoredModel<M>::State next;
    Violations v = 0;
    if (cs.s.phase == Phase::stopped) {
      const Action* a = nullptr;
      Action kill{Request::kill, 0, false, {}};
      if (next_action < scenario.actions.size()) {
        a = &scenario.actions[next_action++];
      } else if (scenario.repeat && repeats < scenario.repeat_max) {
        a = &*scenario.repeat;
        ++repeats;
      } else if (scenario.repeat) {
        break; // cut at the cap: the trace ends with the last stop seen
      } else {
        a = &kill;
        check_transparency = false; // the implicit kill is not a resume
      }
      Peek peeks[2];
      model.peeks_for(cs.s, *a, peeks);
      v = monitored.step_tracer(cs, *a, peeks[0], next, &run.rules_fired);
      cs = next;
      if (a->request == Request::detach) {
        TraceLine d;
        d.kind = StopKind::detached;
        run.trace.push_back(d);
      }
    } else {
      uint16_t choices[M::kMaxChoices];
      if (model.program_choices(cs.s, choices) == 0) {
        run.error = "rip left the program (" + format_loc(cs.s.pc()) + "); the model cannot follow";
        break;
      }
      const Insn in = monitored.insn_for_choice(cs, choices[0]);
      if (in.op == Op::syscall) last_syscall_at = cs.s.pc();
      v = monitored.step_tracee(cs, choices[0], next, &run.rules_fired);
      cs = next;
      if (check_transparency && !diverged && untraced.phase == Phase::user) {
        RuleCtx r(profile.mutation);
        Events ev;
        untraced = model.execute(untraced, in, r, ev);
      }
    }
    if (cs.s.phase == Phase::stopped || cs.s.dead()) {
      run.trace.push_back(model.observe(cs.s, observe_rules));
    }
    if (check_transparency && !diverged && (cs.s.phase == Phase::user || cs.s.dead()) &&
        !TransparencyModel<M>::agree(cs.s, untraced)) {
      diverged = true;
      v |= bit(transparency_kind);
    }
    record(run.violations, v, run.trace.size() - 1);
  }
  run.rules_fired |= observe_rules.fired();
  return run;
}

ModelRun run_on_model(const Scenario& scenario, const Profile& profile) {
  return with_model(profile, [&]<class M>(std::type_identity<M>) {
    if constexpr (kIsRedox<M>)
      return run_redox(scenario, profile);
    else
      return run_model<M>(scenario, profile);
  });
}

} // namespace ptmc
