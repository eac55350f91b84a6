#include "model/security/cases.hpp"

#include <cstdio>
#include <cstdlib>

namespace ptmc::security {

namespace {

// Builds a case's steps from role names, so the table reads as the scenario it is.
class CaseBuilder {
public:
  CaseBuilder(std::string name, std::string world, uint8_t yama, std::string question)
      : world_(find_world(world)) {
    if (!world_) die("unknown world " + world);
    c_.name = std::move(name);
    c_.world = std::move(world);
    c_.yama = yama;
    c_.question = std::move(question);
  }
  CaseBuilder& step(Act act, std::string_view actor, std::string_view target = {},
                    uint8_t value = 0) {
    Label l;
    l.act = act;
    l.actor = index(actor);
    l.target = target.empty() ? kNone : (target == "anyone" ? kAnyone : index(target));
    l.value = value;
    c_.steps.push_back(l);
    return *this;
  }
  Case done() const { return c_; }

private:
  int8_t index(std::string_view role) const {
    for (size_t i = 0; i < kProcs; ++i)
      if (world_->names[i] == role) return static_cast<int8_t>(i);
    die("world " + world_->name + " has no " + std::string(role));
  }
  [[noreturn]] void die(const std::string& why) const {
    fprintf(stderr, "security case table: %s\n", why.c_str());
    abort();
  }
  const World* world_;
  Case c_;
};

std::vector<Case> make_cases() {
  using A = Act;
  std::vector<Case> all;
  const auto add = [&](const CaseBuilder& b) { all.push_back(b.done()); };

  // Credentials: PTRACE_ATTACH and PTRACE_SEIZE across uids, no Yama.
  add(CaseBuilder("attach-same-uid", "users", 0, "may a user attach to its own process?")
          .step(A::attach, "alice-shell", "alice-child"));
  add(CaseBuilder("seize-same-uid", "users", 0, "the same with PTRACE_SEIZE")
          .step(A::seize, "alice-shell", "alice-child"));
  add(CaseBuilder("attach-other-uid", "users", 0, "may a user attach to another user's process?")
          .step(A::attach, "alice-shell", "bob-shell"));
  add(CaseBuilder("seize-other-uid", "users", 0, "the same with PTRACE_SEIZE")
          .step(A::seize, "alice-shell", "bob-shell"));
  add(CaseBuilder("attach-root", "users", 0, "may a user attach to a root process?")
          .step(A::attach, "alice-shell", "root-daemon"));
  add(CaseBuilder("attach-parent", "users", 0, "may a child attach to its parent (no Yama)?")
          .step(A::attach, "alice-child", "alice-shell"));
  add(CaseBuilder("root-attaches-user", "users", 0, "may root attach to any user's process?")
          .step(A::attach, "root-daemon", "bob-shell"));

  // CAP_SYS_PTRACE without root.
  add(CaseBuilder("cap-attach-other-uid", "capability", 0,
                  "does CAP_SYS_PTRACE let uid 1000 attach to uid 1001?")
          .step(A::attach, "cap-tracer", "bob-shell"));
  add(CaseBuilder("cap-seize-root", "capability", 0,
                  "does CAP_SYS_PTRACE let uid 1000 seize a root process?")
          .step(A::seize, "cap-tracer", "root-daemon"));
  add(CaseBuilder("cap-dropped-is-attachable", "capability", 0,
                  "once it drops CAP_SYS_PTRACE, may its own uid attach to it (it stays dumpable)?")
          .step(A::drop_cap, "cap-tracer")
          .step(A::attach, "alice-child", "cap-tracer"));
  add(CaseBuilder("cap-dropped-attach", "capability", 0,
                  "once it drops CAP_SYS_PTRACE, is the tracer an ordinary user again?")
          .step(A::drop_cap, "cap-tracer")
          .step(A::attach, "cap-tracer", "bob-shell"));

  // Dumpable: a process that changed credentials, or asked not to be dumped.
  add(CaseBuilder("nondumpable", "users", 0, "may a user attach to its own non-dumpable process?")
          .step(A::set_nondumpable, "alice-child")
          .step(A::attach, "alice-shell", "alice-child"));
  add(CaseBuilder("nondumpable-until-exec", "users", 0,
                  "does an exec make a non-dumpable process dumpable again?")
          .step(A::set_nondumpable, "alice-child")
          .step(A::exec_plain, "alice-child")
          .step(A::attach, "alice-shell", "alice-child"));
  add(CaseBuilder("cap-nondumpable", "capability", 0,
                  "does CAP_SYS_PTRACE pass the dumpable check?")
          .step(A::set_nondumpable, "alice-child")
          .step(A::attach, "cap-tracer", "alice-child"));
  add(CaseBuilder("dropped-root", "users", 0,
                  "may alice attach to a root process that became alice for good?")
          .step(A::drop_to_user, "root-daemon")
          .step(A::attach, "alice-shell", "root-daemon"));

  // Setuid programs: running, and exec'd under trace.
  add(CaseBuilder("setuid-exec-untraced", "users", 0,
                  "is the helper's setuid-root copy really setuid (euid 0 when untraced)?")
          .step(A::exec_setuid, "alice-child"));
  add(CaseBuilder("running-setuid", "users", 0,
                  "may a user attach to a setuid-root program it started?")
          .step(A::exec_setuid, "alice-child")
          .step(A::attach, "alice-shell", "alice-child"));
  add(CaseBuilder("lowered-euid", "users", 0,
                  "may a user attach to a setuid-root program that swapped its euid down to the "
                  "user's (and will swap it back)?")
          .step(A::exec_setuid, "alice-child")
          .step(A::lower_euid, "alice-child")
          .step(A::seize, "alice-shell", "alice-child")
          .step(A::raise_euid, "alice-child"));
  add(CaseBuilder("setuid-dropped-for-good", "users", 0,
                  "may a user attach to a setuid-root program that became the user for good?")
          .step(A::exec_setuid, "alice-child")
          .step(A::lower_euid, "alice-child")
          .step(A::raise_euid, "alice-child")
          .step(A::drop_to_user, "alice-child")
          .step(A::attach, "alice-shell", "alice-child"));
  add(CaseBuilder("group-root-attach", "root-group", 0,
                  "does group 0 let uid 1002 attach to a root process?")
          .step(A::attach, "oper-shell", "root-daemon"));
  add(CaseBuilder("traced-setuid-exec-seize", "users", 0,
                  "does a setuid exec under PTRACE_SEIZE by its user raise the euid?")
          .step(A::seize, "alice-shell", "alice-child")
          .step(A::exec_setuid, "alice-child"));
  add(CaseBuilder("traced-setuid-exec-attach", "users", 0, "the same under PTRACE_ATTACH")
          .step(A::attach, "alice-shell", "alice-child")
          .step(A::exec_setuid, "alice-child"));
  add(CaseBuilder("traceme-setuid-exec", "users", 0, "the same under PTRACE_TRACEME")
          .step(A::traceme, "alice-child")
          .step(A::exec_setuid, "alice-child"));
  add(CaseBuilder("cap-traced-setuid-exec", "capability", 0,
                  "under a tracer with CAP_SYS_PTRACE, does a setuid exec raise the euid?")
          .step(A::seize, "cap-tracer", "alice-child")
          .step(A::exec_setuid, "alice-child"));
  add(CaseBuilder("cap-dropped-traced-setuid-exec", "capability", 0,
                  "and after that tracer dropped CAP_SYS_PTRACE (its creds were recorded when it "
                  "attached)?")
          .step(A::seize, "cap-tracer", "alice-child")
          .step(A::drop_cap, "cap-tracer")
          .step(A::exec_setuid, "alice-child"));
  add(CaseBuilder("root-dropped-traced-setuid-exec", "users", 0,
                  "and under a root tracer that became alice after attaching?")
          .step(A::seize, "root-daemon", "alice-child")
          .step(A::drop_to_user, "root-daemon")
          .step(A::exec_setuid, "alice-child"));

  // A tracee contained by its tracer: PTRACE_O_EXITKILL.
  add(CaseBuilder("exitkill", "users", 0, "does PTRACE_O_EXITKILL kill the tracee with its tracer?")
          .step(A::seize, "root-daemon", "alice-child", 1)
          .step(A::exit, "root-daemon"));
  add(CaseBuilder("no-exitkill", "users", 0, "without it, does the tracee run on, untraced?")
          .step(A::seize, "root-daemon", "bob-shell")
          .step(A::exit, "root-daemon"));

  // Namespaces: can a sandboxed tracer attach upward?
  add(CaseBuilder("userns-attach-up", "user-namespace", 0,
                  "may root of alice's user namespace attach to alice's shell outside it?")
          .step(A::seize, "sandbox", "alice-shell"));
  add(CaseBuilder("userns-attach-out", "user-namespace", 0, "or to bob's shell, or root's daemon?")
          .step(A::seize, "sandbox", "bob-shell")
          .step(A::seize, "sandbox", "root-daemon"));
  add(CaseBuilder("userns-attach-down", "user-namespace", 0,
                  "may alice attach into the namespace she created?")
          .step(A::seize, "alice-shell", "sandbox"));
  add(CaseBuilder("pidns-attach-up", "pid-namespace", 0,
                  "may root in a child pid namespace attach to processes outside it?")
          .step(A::seize, "root-sandbox", "root-daemon")
          .step(A::seize, "root-sandbox", "alice-shell"));
  add(CaseBuilder("pidns-attach-down", "pid-namespace", 0,
                  "may root outside attach into the child pid namespace?")
          .step(A::seize, "root-daemon", "root-sandbox"));

  // Yama 1: relational.
  add(CaseBuilder("yama1-child", "users", 1, "scope 1: may a user attach to its own child?")
          .step(A::attach, "alice-shell", "alice-child"));
  add(CaseBuilder("yama1-parent", "users", 1, "scope 1: may a child attach to its parent?")
          .step(A::attach, "alice-child", "alice-shell"));
  add(CaseBuilder("yama1-ptracer", "users", 1, "scope 1: after PR_SET_PTRACER names the child?")
          .step(A::set_ptracer, "alice-shell", "alice-child")
          .step(A::seize, "alice-child", "alice-shell"));
  add(CaseBuilder("yama1-cap", "capability", 1, "scope 1: CAP_SYS_PTRACE to a stranger?")
          .step(A::seize, "cap-tracer", "bob-shell"));
  add(CaseBuilder("yama1-traceme", "users", 1, "scope 1: PTRACE_TRACEME?")
          .step(A::traceme, "alice-child"));

  // Yama 2: admin-only.
  add(CaseBuilder("yama2-child", "users", 2, "scope 2: may a user attach to its own child?")
          .step(A::seize, "alice-shell", "alice-child"));
  add(CaseBuilder("yama2-cap", "capability", 2, "scope 2: with CAP_SYS_PTRACE?")
          .step(A::seize, "cap-tracer", "alice-child"));
  add(CaseBuilder("yama2-root", "users", 2, "scope 2: root?")
          .step(A::seize, "root-daemon", "bob-shell"));
  add(CaseBuilder("yama2-traceme", "users", 2, "scope 2: PTRACE_TRACEME under a plain parent?")
          .step(A::traceme, "alice-child"));

  // Yama 3: no attach; it cannot be lowered again, so these run in their own VM boot.
  add(CaseBuilder("yama3-root", "users", 3, "scope 3: root?")
          .step(A::seize, "root-daemon", "bob-shell"));
  add(CaseBuilder("yama3-child", "users", 3, "scope 3: a user's own child?")
          .step(A::attach, "alice-shell", "alice-child"));
  add(CaseBuilder("yama3-traceme", "users", 3, "scope 3: PTRACE_TRACEME?")
          .step(A::traceme, "alice-child"));
  add(CaseBuilder("yama3-sticky", "users", 3, "scope 3: can root lower the scope again?")
          .step(A::set_yama, "root-daemon", {}, 0)
          .step(A::seize, "root-daemon", "bob-shell"));
  return all;
}

std::vector<Case> make_redox_cases() {
  using A = Act;
  std::vector<Case> all;
  const auto add = [&](const CaseBuilder& b) { all.push_back(b.done()); };
  add(CaseBuilder("redox-sandbox-up", "scheme-namespace", 0,
                  "may alice's sandboxed child (proc: in its namespace) open alice's shell?")
          .step(A::attach, "sandbox", "alice-shell"));
  add(CaseBuilder("redox-null-namespace", "scheme-namespace", 0,
                  "may a child in the null namespace open anything?")
          .step(A::attach, "null-sandbox", "alice-shell"));
  add(CaseBuilder("redox-root-sandbox", "root-scheme-namespace", 0,
                  "may root in a namespace holding proc: open processes outside it?")
          .step(A::attach, "root-sandbox", "root-daemon")
          .step(A::attach, "root-sandbox", "alice-shell"));
  return all;
}

} // namespace

const std::vector<Case>& linux_cases() {
  static const std::vector<Case> all = make_cases();
  return all;
}

const std::vector<Case>& redox_cases() {
  static const std::vector<Case> all = make_redox_cases();
  return all;
}

const Case* find_case(std::string_view name) {
  for (const auto* list : {&linux_cases(), &redox_cases()})
    for (const Case& c : *list)
      if (c.name == name) return &c;
  return nullptr;
}

} // namespace ptmc::security
