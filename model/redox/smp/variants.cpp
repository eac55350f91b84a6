#include "model/redox/smp/variants.hpp"

#include <algorithm>

namespace ptmc::redox_smp {

const KnownViolation* Variant::known_violation(Prop p) const {
  for (const auto& k : known)
    if (k.property == p) return &k;
  return nullptr;
}

namespace {

// The full domain the two kernel versions are checked in: every tracer request, a SIGKILL for
// tracer or tracee from a third party, opening with and without O_TRUNC.
Domain full_domain() {
  Domain d;
  d.program_bound = 2;
  d.alphabet = {Insn::nop, Insn::getpid};
  d.writes = {flag::pre, flag::post | flag::ignore, flag::step};
  d.requests = 3;
  d.regs = true;
  d.kill_tracee = true;
  d.kill_tracer = true;
  d.attach = {Attach::plain, Attach::trunc};
  d.cpus = 2;
  return d;
}

// Each B-pair is checked in the smallest domain that holds its bug, the same for both sides.
Domain b1_domain() {
  Domain d;
  d.program_bound = 1;
  d.alphabet = {Insn::nop, Insn::getpid};
  d.writes = {flag::pre};
  d.requests = 2;
  d.regs = false;
  d.kill_tracer = true;
  return d;
}

Domain b2_domain() {
  Domain d;
  d.program_bound = 2;
  d.alphabet = {Insn::nop, Insn::getpid};
  d.writes = {flag::pre, flag::post};
  d.requests = 3;
  d.regs = false;
  return d;
}

Domain b3_domain() {
  Domain d;
  d.program_bound = 2;
  d.alphabet = {Insn::nop, Insn::getpid};
  d.writes = {flag::pre, flag::post | flag::ignore, flag::step};
  d.requests = 3;
  d.regs = false;
  return d;
}

Domain b4_domain() {
  Domain d;
  d.program_bound = 1;
  d.alphabet = {Insn::nop, Insn::getpid};
  d.writes = {flag::pre};
  d.requests = 3;
  d.regs = true;
  d.attach = {Attach::trunc};
  return d;
}

// Explanations shared by the variants that still have a bug another pair is about.
const char* kB2 = "B2, the 2019 lost wakeup: wait() and breakpoint_callback() drop the session "
                  "lock before they are on the WaitCondition (fixed by 75872cc5).";
const char* kB3 = "B3: write() notifies the tracee in cont() before set_breakpoint() arms the "
                  "next stop, and sets TF after that (fixed by 3420339c).";
const char* kB4 = "B4: try_stop_context never saves ptrace_stop, so a register access "
                  "unfreezes an O_TRUNC-frozen tracee (fixed by 3420339c).";
const char* kDetach2019 =
    "B9's 2019 form: close_session() notifies while the tracee is between dropping the session "
    "lock and joining the WaitCondition; the tracee then sleeps on a session nobody owns.";
const char* kDetachArc =
    "B9: the tracee takes its Arc<Session> before close_session() removes and notifies it, "
    "then stops on that orphaned session; close_session's notify (with or without the data "
    "lock) has already happened. Still in e18a8779.";
const char* kExit2019 =
    "The B2 window on exit: close_tracee() notifies between wait()'s check and its "
    "registration.";
const char* kDetach75872cc5 =
    "B9 at 75872cc5: the tracer's wait() returns on the tracee's notify, which the tracee sends "
    "before it is on the WaitCondition; a close() right then notifies without the data lock the "
    "tracee still holds, and the tracee then sleeps on a removed session.";
const char* kExit75872cc5 =
    "B8 from 75872cc5 on: wait() sleeps unless an event is queued or the breakpoint reached; a "
    "tracee that exits without a stop between the tracer's arming and its wait leaves nothing "
    "to wake it (close_tracee's notify came first).";
const char* kStepStale =
    "B11: TF set for SINGLESTEP stays set after the tracer detaches or the tracee stops "
    "elsewhere; the next #DB finds no matching breakpoint and ksignal() kills the tracee with "
    "SIGTRAP.";

std::vector<Variant> make() {
  std::vector<Variant> all;
  auto add = [&](std::string name, std::string summary, Version v, Domain d) -> Variant& {
    Variant x;
    x.name = std::move(name);
    x.summary = std::move(summary);
    x.version = v;
    x.domain = std::move(d);
    all.push_back(std::move(x));
    return all.back();
  };

  {
    Variant& v = add("redox-2019-smp", "Redox a57ea6a7 (2019): tracer and tracee as kernel threads",
                     Version::v2019, full_domain());
    v.known = {
        {Prop::event_wakeup, kB2},          {Prop::resume_wakeup, kB2},
        {Prop::detach_wakeup, kDetach2019}, {Prop::exit_wakeup, kExit2019},
        {Prop::stop_reported, kB3},         {Prop::ignore_exact, kB3},
        {Prop::no_run_while_stopped, kB4},  {Prop::step_only_when_armed, kStepStale},
    };
  }
  {
    Variant& v = add("redox-2020-smp", "Redox e18a8779 (2020): tracer and tracee as kernel threads",
                     Version::v2020, full_domain());
    v.known = {
        {Prop::no_deadlock,
         "N1: read() holds the handles write lock across ptrace::wait (cbb17327); a tracer "
         "killed while it waits runs exit(), whose close() spins on that lock forever: B1 "
         "again."},
        {Prop::detach_wakeup, kDetachArc},
        {Prop::exit_wakeup,
         "B8: wait() sleeps unless an event is queued or the breakpoint reached; a tracee that "
         "exits without an armed stop (killed, or just exiting) before the tracer's read "
         "leaves nothing to wake it, and close_tracee's notify came too early."},
        {Prop::stop_reported,
         "N2: write() notifies the tracee after set_breakpoint() and after clearing "
         "ptrace_stop (727217ad): a tracee that was running, or frozen, reaches the newly "
         "armed stop first and that same notify releases it from the stop."},
        {Prop::ignore_exact, "N2 (see stop-reported): released from its PRE_SYSCALL stop by the "
                             "write that armed it, the tracee reads the next write's flags."},
        {Prop::no_run_while_stopped,
         "N2 (see stop-reported): the tracer reads the stop's event and believes the tracee "
         "stopped while it runs on."},
        {Prop::step_only_when_armed, kStepStale},
    };
  }

  {
    Variant& v = add("redox-2019-smp-b1-before",
                     "B1 before ab1a12ad (cf0a7620): the per-handle mutex is held across wait()",
                     Version::v2019_b1_mutex, b1_domain());
    v.pair = "B1";
    v.before = true;
    v.bug = {Prop::no_deadlock};
    v.known = {{Prop::no_deadlock, "B1: close() spins on the handle mutex held by the killed "
                                   "tracer's own write() frame (fixed by ab1a12ad)."},
               {Prop::event_wakeup, kB2},
               {Prop::detach_wakeup, kDetach2019},
               {Prop::exit_wakeup, kExit2019}};
  }
  {
    Variant& v = add("redox-2019-smp-b1-after", "B1 after ab1a12ad (= the 2019 code)",
                     Version::v2019, b1_domain());
    v.pair = "B1";
    v.bug = {Prop::no_deadlock};
    v.known = {{Prop::event_wakeup, kB2},
               {Prop::detach_wakeup, kDetach2019},
               {Prop::exit_wakeup, kExit2019}};
  }
  {
    Variant& v = add("redox-2019-smp-b2-before", "B2 before 75872cc5 (= the 2019 code)",
                     Version::v2019, b2_domain());
    v.pair = "B2";
    v.before = true;
    v.bug = {Prop::event_wakeup, Prop::resume_wakeup};
    v.known = {{Prop::event_wakeup, kB2},
               {Prop::resume_wakeup, kB2},
               {Prop::detach_wakeup, kDetach2019},
               {Prop::exit_wakeup, kExit2019},
               {Prop::stop_reported, kB3}};
  }
  {
    Variant& v = add("redox-2019-smp-b2-after",
                     "B2 after: the 2019 code with 75872cc5 (data mutex; register under it)",
                     Version::v2019_b2_fix, b2_domain());
    v.pair = "B2";
    v.bug = {Prop::event_wakeup, Prop::resume_wakeup};
    v.known = {{Prop::detach_wakeup, kDetach75872cc5},
               {Prop::exit_wakeup, kExit75872cc5},
               {Prop::stop_reported, kB3}};
  }
  {
    Variant& v = add("redox-2019-smp-b3-before", "B3 before 3420339c (= the 2019 code)",
                     Version::v2019, b3_domain());
    v.pair = "B3";
    v.before = true;
    v.bug = {Prop::stop_reported, Prop::ignore_exact};
    v.known = {{Prop::stop_reported, kB3},
               {Prop::ignore_exact, kB3},
               {Prop::event_wakeup, kB2},
               {Prop::resume_wakeup, kB2},
               {Prop::detach_wakeup, kDetach2019},
               {Prop::exit_wakeup, kExit2019},
               {Prop::step_only_when_armed, kStepStale}};
  }
  {
    Variant& v = add("redox-2019-smp-b3-after",
                     "B3 after: the 2019 code with 3420339c's write (TF, then arm and notify)",
                     Version::v2019_b3_fix, b3_domain());
    v.pair = "B3";
    v.bug = {Prop::stop_reported, Prop::ignore_exact};
    v.known = {{Prop::event_wakeup, kB2},
               {Prop::resume_wakeup, kB2},
               {Prop::detach_wakeup, kDetach2019},
               {Prop::exit_wakeup, kExit2019},
               {Prop::step_only_when_armed, kStepStale}};
  }
  {
    Variant& v = add("redox-2019-smp-b4-before", "B4 before 3420339c (= the 2019 code)",
                     Version::v2019, b4_domain());
    v.pair = "B4";
    v.before = true;
    v.bug = {Prop::no_run_while_stopped};
    v.known = {{Prop::no_run_while_stopped, kB4}, {Prop::event_wakeup, kB2},
               {Prop::resume_wakeup, kB2},        {Prop::detach_wakeup, kDetach2019},
               {Prop::exit_wakeup, kExit2019},    {Prop::stop_reported, kB3}};
  }
  {
    Variant& v = add("redox-2019-smp-b4-after",
                     "B4 after: the 2019 code with 3420339c's try_stop_context (was_stopped kept)",
                     Version::v2019_b4_fix, b4_domain());
    v.pair = "B4";
    v.bug = {Prop::no_run_while_stopped};
    v.known = {{Prop::event_wakeup, kB2},
               {Prop::resume_wakeup, kB2},
               {Prop::detach_wakeup, kDetach2019},
               {Prop::exit_wakeup, kExit2019},
               {Prop::stop_reported, kB3}};
  }
  // The two-run properties fail wherever a lost wakeup can hang one schedule and not another:
  // the atomic kernel (refinement) never hangs there, and the same requests give a result on
  // one schedule and a hang on another (determinism).
  for (Variant& v : all) {
    const char* why = nullptr;
    switch (v.version) {
    case Version::v2019:
    case Version::v2019_b1_mutex:
    case Version::v2019_b3_fix:
    case Version::v2019_b4_fix:
      why = "B2's lost wakeup: on some schedules the tracer's write never returns.";
      break;
    case Version::v2019_b2_fix:
      why = "B8 and B9 at 75872cc5: on some schedules wait() sleeps through the tracee's exit, "
            "or the tracee sleeps through the close.";
      break;
    case Version::v2020:
      why = "B8, B9 and N2 (see the single-run properties): on some schedules the read hangs "
            "after the tracee's exit, or the tracee passes the stop the tracer then reads.";
      break;
    }
    for (Prop p : {Prop::determinism, Prop::refinement})
      if (!v.known_violation(p)) v.known.push_back({p, why});
    // Against the interface profile the same races show: its kernel never loses a wakeup, and
    // its tracee never passes an armed stop (the listings run atomically agree with it, which
    // check() establishes before it tries the concurrent model).
    if (!v.known_violation(Prop::refinement_interface))
      v.known.push_back({Prop::refinement_interface, why});
  }

  // The "before" side of a pair reports its own bug as a violation (check exits 1): finding it
  // is the point. Every other known bug of that code stays known.
  for (Variant& v : all)
    if (v.before)
      std::erase_if(v.known, [&](const KnownViolation& k) {
        return std::find(v.bug.begin(), v.bug.end(), k.property) != v.bug.end();
      });
  return all;
}

} // namespace

const std::vector<Variant>& variants() {
  static const std::vector<Variant> all = make();
  return all;
}

const Variant* find_variant(std::string_view name) {
  for (const auto& v : variants())
    if (v.name == name) return &v;
  return nullptr;
}

} // namespace ptmc::redox_smp
