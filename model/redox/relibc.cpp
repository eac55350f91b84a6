#include "model/redox/relibc.hpp"

namespace ptmc::redox {

namespace {

struct Translator {
  RelibcTranslation out;
  bool first = true; // relibc's Session::first: no resume request made yet

  void use(RuleId r) { out.rules.set(static_cast<size_t>(r)); }
  void note(const std::string& n) {
    for (const auto& x : out.notes)
      if (x == n) return;
    out.notes.push_back(n);
  }
  void refuse(const std::string& why) {
    if (!out.refused) out.refused = why;
  }

  // The operations of one Linux action at one stop.
  std::vector<RedoxAction> ops_for(const Action& a) {
    std::vector<RedoxAction> ops;
    use(RuleId::rlc_waitpid_reads_event);
    ops.push_back(RedoxAction{RedoxOp::read, 0, {}});
    use(RuleId::rlc_getregs_orig_rax);
    ops.push_back(RedoxAction{RedoxOp::getregs, 0, {}});
    if (a.request == Request::detach || a.request == Request::kill) {
      use(RuleId::rlc_unimplemented);
      refuse("PTRACE_" + std::string(a.request == Request::detach ? "DETACH" : "KILL") +
             ": relibc's ptrace() reaches unimplemented!() and the tracer panics (relibc "
             "ptrace.rs:213)");
      return ops;
    }
    if (a.signal != 0) {
      use(RuleId::rlc_data_ignored);
      refuse("a signal injected with the resume (sig=" + format_signal(a.signal) +
             "): relibc ignores ptrace()'s data argument and Redox's interface has no injection");
    }
    if (a.pass)
      note("sig=pass: relibc ignores the data argument, so a signal Linux would re-inject is not "
           "passed (relibc ptrace.rs:114-143); on Redox the signal was already handled at its "
           "SIGNAL stop");
    std::vector<Edit> edits;
    for (const Edit& e : a.edits) {
      switch (e.reg) {
      case Reg::orig_rax:
        refuse(
            "an orig_rax edit: Redox's register struct has no orig_rax; relibc's SETREGS "
            "copies the caller's orig_rax into rax (relibc ptrace.rs:192), which is not what the "
            "edit means on Linux");
        break;
      case Reg::tf:
        refuse("a TF edit: the Redox kernel ignores rflags in a written register struct "
               "(InterruptStack::load, kernel macros.rs:264-288)");
        break;
      case Reg::rax:
        use(RuleId::rlc_setregs_rax_from_orig);
        note("a rax edit: relibc's SETREGS writes rax from the caller's orig_rax, which GETREGS "
             "set to the old rax, so the new rax is lost (relibc ptrace.rs:164, 192)");
        break;
      case Reg::rip:
        edits.push_back(e);
        break;
      }
    }
    if (!a.edits.empty()) {
      use(RuleId::rlc_setregs_rax_from_orig);
      ops.push_back(RedoxAction{RedoxOp::setregs, 0, edits});
    }
    use(RuleId::rlc_resume_words);
    use(RuleId::rlc_sigcont_first);
    const uint64_t syscall_pair = redox::pre_syscall | redox::post_syscall;
    uint64_t word = 0;
    switch (a.request) {
    case Request::cont:
      word = 0;
      break;
    case Request::singlestep:
      word = redox::singlestep;
      break;
    case Request::syscall:
      word = first ? redox::pre_syscall : syscall_pair;
      break;
    case Request::sysemu:
      word = redox::flag_ignore | (first ? redox::pre_syscall : syscall_pair);
      break;
    case Request::sysemu_singlestep:
      word = redox::flag_ignore | redox::singlestep;
      break;
    case Request::detach:
    case Request::kill:
      break;
    }
    if (first && (a.request == Request::syscall || a.request == Request::sysemu))
      use(RuleId::rlc_first_syscall_pre_only);
    first = false;
    ops.push_back(RedoxAction{RedoxOp::write, word, {}});
    return ops;
  }
};

} // namespace

RelibcTranslation translate_with_relibc(const Scenario& in, const std::string& redox_profile) {
  Translator t;
  Scenario& s = t.out.scenario;
  s.version = in.version;
  s.profile = redox_profile;
  s.source = in.source;
  s.program = in.program;
  s.handler = in.handler;
  t.use(RuleId::rlc_open_nonblock);
  s.options.o_nonblock = true;
  if (in.options.tracesysgood)
    t.note("tracesysgood: PTRACE_SETOPTIONS reaches unimplemented!() in relibc, so the "
           "translation leaves it out; it changes only si_code and op, which the common "
           "observation does not compare");
  for (const Action& a : in.actions)
    for (const RedoxAction& op : t.ops_for(a)) s.redox_actions.push_back(op);
  if (in.repeat) {
    // relibc's first SYSCALL arms PRE only: one iteration spelled out, then the group.
    int max = in.repeat_max;
    if (t.first && max > 0) {
      for (const RedoxAction& op : t.ops_for(*in.repeat)) s.redox_actions.push_back(op);
      --max;
    }
    if (max > 0) {
      s.redox_repeat = t.ops_for(*in.repeat);
      s.repeat_max = max;
    }
  }
  if (in.expect) t.note("the expect block is Linux's and is not carried over");
  return t.out;
}

} // namespace ptmc::redox
