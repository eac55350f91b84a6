// A stateful RapidCheck test with the model as the oracle and the host kernel as the system under
// test. The commands are the tracer's actions at successive stops: a ptrace resume request with,
// sometimes, an injected signal or a register edit. After each command the scenario so far runs
// on both, and the traces must agree line for line; a failure shrinks to a shortest command list.
#include "engine/runner.hpp"
#include "kernel/target.hpp"
#include "model/models.hpp"
#include "model/profile.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

namespace ptmc {
namespace {

struct TracerModel {
  Scenario scenario;
};

struct HostKernel {};

// RapidCheck re-runs the shrunk case to describe it; a failure that does not recur would leave
// no trace of itself. So every failed comparison is also written to stderr when it happens.
void note_failure(const Scenario& s, const std::string& what) {
  fprintf(stderr, "stateful: %s\n%s\n", what.c_str(), format_scenario(s).c_str());
} // the kernel keeps no state between runs: each run starts afresh

// Stop lines in a trace: each consumes one action.
size_t stops(const Trace& t) {
  size_t n = 0;
  for (const auto& l : t)
    if (l.kind != StopKind::exited && l.kind != StopKind::killed && l.kind != StopKind::detached &&
        l.kind != StopKind::hang)
      ++n;
  return n;
}

struct TracerAction : rc::state::Command<TracerModel, HostKernel> {
  Action action;

  TracerAction() {
    action.request =
        *rc::gen::element(Request::cont, Request::syscall, Request::singlestep, Request::sysemu,
                          Request::sysemu_singlestep, Request::detach, Request::kill);
    switch (*rc::gen::inRange(0, 7)) {
    case 0:
      action.signal = *rc::gen::element(sig::usr1, sig::usr2, sig::trap);
      break;
    case 1:
      action.pass = true;
      break;
    case 2:
      action.edits.push_back(Edit{Reg::orig_rax, *rc::gen::element<int64_t>(-1, nr::getpid), {}});
      break;
    case 3:
      action.edits.push_back(Edit{Reg::rax, kTracerResult, {}});
      break;
    case 4:
      action.edits.push_back(Edit{Reg::tf, *rc::gen::inRange<int64_t>(0, 2), {}});
      break;
    default:
      break;
    }
  }

  void checkPreconditions(const TracerModel& m) const override {
    // Only while the tracee is still stopped somewhere: once it has ended, or a detach or kill
    // was sent, there is no next stop for another action.
    const ModelRun run = run_on_model(m.scenario, *find_profile(m.scenario.profile));
    RC_PRE(!run.error.has_value());
    RC_PRE(stops(run.trace) > m.scenario.actions.size());
    // And the scenario with this action must be one the model follows (no refusals in run()).
    Scenario next = m.scenario;
    next.actions.push_back(action);
    RC_PRE(!run_on_model(next, *find_profile(next.profile)).error.has_value());
  }

  void apply(TracerModel& m) const override { m.scenario.actions.push_back(action); }

  void run(const TracerModel& m, HostKernel&) const override {
    Scenario s = m.scenario;
    s.actions.push_back(action);
    const ModelRun expected = run_on_model(s, *find_profile(s.profile));
    RC_ASSERT(!expected.error.has_value());
    const auto host = kernel::run_on_target("host", {s}, kernel::TargetOptions{});
    RC_LOG() << format_scenario(s);
    if (host.error) note_failure(s, "host target error: " + *host.error);
    if (host.outcomes.size() == 1 && host.outcomes[0].status != kernel::OutcomeStatus::ok)
      note_failure(s, "host outcome: " + host.outcomes[0].message);
    if (host.outcomes.size() == 1 && first_difference(expected.trace, host.outcomes[0].trace)) {
      std::string t;
      for (const auto& l : expected.trace) t += "model: " + format_trace_line(l) + "\n";
      for (const auto& l : host.outcomes[0].trace) t += "host:  " + format_trace_line(l) + "\n";
      note_failure(s, "traces differ\n" + t);
    }
    if (host.error) RC_LOG() << "host target: " << *host.error << "\n";
    if (!host.outcomes.empty() && host.outcomes[0].status != kernel::OutcomeStatus::ok)
      RC_LOG() << "host outcome: " << host.outcomes[0].message << "\n";
    RC_ASSERT(!host.error.has_value());
    RC_ASSERT(host.outcomes.size() == 1u);
    RC_ASSERT(host.outcomes[0].status == kernel::OutcomeStatus::ok);
    const auto diff = first_difference(expected.trace, host.outcomes[0].trace);
    if (diff) {
      RC_LOG() << format_scenario(s) << "first difference at trace line " << *diff + 1 << "\n";
      for (const auto& l : expected.trace) RC_LOG() << "model: " << format_trace_line(l) << "\n";
      for (const auto& l : host.outcomes[0].trace)
        RC_LOG() << "host:  " << format_trace_line(l) << "\n";
    }
    RC_ASSERT(!diff.has_value());
  }

  void show(std::ostream& os) const override { os << format_action(action); }
};

// Runs the scenario so far again on both: the host kernel must be deterministic too. Always
// allowed, so that a sequence can go on after the tracee has ended.
struct Rerun : rc::state::Command<TracerModel, HostKernel> {
  void checkPreconditions(const TracerModel& m) const override {
    RC_PRE(!run_on_model(m.scenario, *find_profile(m.scenario.profile)).error.has_value());
  }
  void run(const TracerModel& m, HostKernel&) const override {
    const ModelRun expected = run_on_model(m.scenario, *find_profile(m.scenario.profile));
    RC_ASSERT(!expected.error.has_value());
    const auto host = kernel::run_on_target("host", {m.scenario}, kernel::TargetOptions{});
    if (host.error) note_failure(m.scenario, "rerun: host target error: " + *host.error);
    if (host.outcomes.size() == 1 && host.outcomes[0].status != kernel::OutcomeStatus::ok)
      note_failure(m.scenario, "rerun: host outcome: " + host.outcomes[0].message);
    if (host.outcomes.size() == 1 && first_difference(expected.trace, host.outcomes[0].trace))
      note_failure(m.scenario, "rerun: traces differ");
    if (host.error) RC_LOG() << "host target: " << *host.error << "\n";
    RC_ASSERT(host.outcomes.size() == 1u);
    if (host.outcomes[0].status != kernel::OutcomeStatus::ok)
      RC_LOG() << host.outcomes[0].message << "\n";
    RC_ASSERT(host.outcomes[0].status == kernel::OutcomeStatus::ok);
    if (first_difference(expected.trace, host.outcomes[0].trace)) {
      RC_LOG() << "rerun differs:\n";
      for (const auto& l : expected.trace) RC_LOG() << "model: " << format_trace_line(l) << "\n";
      for (const auto& l : host.outcomes[0].trace)
        RC_LOG() << "host:  " << format_trace_line(l) << "\n";
    }
    RC_ASSERT(!first_difference(expected.trace, host.outcomes[0].trace).has_value());
  }
  void show(std::ostream& os) const override { os << "rerun"; }
};

RC_GTEST_PROP(StatefulHost, ModelPredictsEveryStopOfTheHostKernel, ()) {
  const Profile& p = *find_profile("linux-x86_64");
  TracerModel initial;
  initial.scenario.profile = p.name;
  initial.scenario.options.tracesysgood = *rc::gen::arbitrary<bool>();
  // Programs of single instructions and balanced pushf ... popf blocks, so that every program
  // is one the model follows.
  std::vector<Insn> plain;
  for (const Insn& in : p.domain.alphabet)
    if (in.op != Op::pushf && in.op != Op::popf && in.op != Op::or_tf && in.op != Op::and_tf)
      plain.push_back(in);
  const int units = *rc::gen::inRange(1, 6);
  for (int i = 0; i < units; ++i) {
    if (*rc::gen::inRange(0, 5) == 0) {
      initial.scenario.program.push_back(Insn{Op::pushf, 0, Arg::buf});
      const int middle = *rc::gen::inRange(0, 3);
      if (middle == 1) initial.scenario.program.push_back(Insn{Op::or_tf, 0, Arg::buf});
      if (middle == 2) initial.scenario.program.push_back(Insn{Op::and_tf, 0, Arg::buf});
      initial.scenario.program.push_back(Insn{Op::popf, 0, Arg::buf});
    } else {
      initial.scenario.program.push_back(*rc::gen::elementOf(plain));
    }
  }
  initial.scenario.handler = {Insn{Op::nop, 0, Arg::buf}};
  RC_ASSERT(!unsupported_by_model(initial.scenario).has_value());
  HostKernel sut;
  rc::state::check(
      initial, sut,
      rc::state::gen::execOneOfWithArgs<TracerAction, TracerAction, TracerAction, Rerun>());
}

} // namespace
} // namespace ptmc
