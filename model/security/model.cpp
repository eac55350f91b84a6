#include "model/security/model.hpp"

#include "model/fingerprint.hpp"

#include <cstddef>
#include <string>

namespace ptmc::security {

namespace {

using R = RuleId;

// ---- Credentials as the properties judge them ----------------------------------------------

uint8_t uid_bits(const Proc& p) {
  return static_cast<uint8_t>((1u << p.ruid) | (1u << p.euid) | (1u << p.suid));
}
uint8_t gid_bits(const Proc& p) {
  return static_cast<uint8_t>((1u << p.rgid) | (1u << p.egid) | (1u << p.sgid));
}

// Redox has no capabilities: root is euid 0, and holds everything a capability would give.
uint8_t effective_caps(Kernel k, const Proc& p) {
  if (k == Kernel::redox) return p.euid == kRoot ? kAllCaps : 0;
  return p.caps;
}

// Whether credentials holding `caps` in user namespace `holder_ns`, with effective uid `euid`,
// hold `cap` in namespace `ns`. Two namespaces exist: 0, the initial one, and 1, its child that
// alice created. Capabilities reach into descendant namespaces, never up; the owner of a child
// namespace holds every capability in it (security/commoncap.c cap_capable).
bool holds_cap_in(uint8_t caps, uint8_t holder_ns, uint8_t euid, uint8_t ns, uint8_t cap) {
  if (holder_ns == ns) return (caps & cap) != 0;
  if (holder_ns == 0 && ns == 1) return (caps & cap) != 0 || euid == kAlice;
  return false;
}

// "Privileged over X", for the properties: CAP_SYS_PTRACE in X's user namespace, which root of
// the initial namespace has everywhere.
bool privileged(Kernel k, const Proc& t, const Proc& x) {
  return holds_cap_in(effective_caps(k, t), t.userns, t.euid, x.userns, kCapSysPtrace);
}

// Does X hold, or has it held since its last exec, an id or capability T does not have?
bool other_credentials(Kernel k, const Proc& x, const Proc& t) {
  return (x.held_uids & ~uid_bits(t)) != 0 || (x.held_gids & ~gid_bits(t)) != 0 ||
         (x.held_caps & ~effective_caps(k, t)) != 0;
}

// Is X's namespace strictly wider than T's, in a dimension the kernel has?
bool wider(Kernel k, const Proc& x, const Proc& t) {
  if (k == Kernel::redox) return x.schemens < t.schemens;
  return x.userns < t.userns || x.pidns < t.pidns;
}

void note_held(Kernel k, Proc& p) {
  p.held_uids |= uid_bits(p);
  p.held_gids |= gid_bits(p);
  p.held_caps |= effective_caps(k, p);
}

void reset_held(Kernel k, Proc& p) {
  p.held_uids = p.held_gids = p.held_caps = 0;
  note_held(k, p);
}

// Is `p` a descendant of `ancestor` (a strict one)?
bool descends_from(const State& s, int8_t p, int8_t ancestor) {
  int8_t at = s.procs[static_cast<size_t>(p)].parent;
  for (size_t hops = 0; at != kNone && hops < kProcs; ++hops) {
    if (at == ancestor) return true;
    at = s.procs[static_cast<size_t>(at)].parent;
  }
  return false;
}

std::string uids_of(const Proc& p) {
  return format_uids(numeric_uid(p.ruid), numeric_uid(p.euid), numeric_uid(p.suid),
                     p.tracer != kNone);
}

// ---- The transition function ----------------------------------------------------------------

class Transition {
public:
  Transition(const Policy& policy, const State& s, RuleCtx& rules)
      : policy_(policy), k_(policy.kernel), s_(s), n_(s), rules_(rules) {}

  Step run(const Label& l);

private:
  const Proc& before(int8_t i) const { return s_.procs[static_cast<size_t>(i)]; }
  Proc& after(int8_t i) { return n_.procs[static_cast<size_t>(i)]; }
  bool linux() const { return k_ == Kernel::linux; }

  bool ns_capable(const Proc& holder, uint8_t ns, uint8_t cap) {
    return rules_.decide(R::sec_linux_ns_capable,
                         holds_cap_in(holder.caps, holder.userns, holder.euid, ns, cap));
  }

  std::string attach(int8_t t, int8_t x, uint8_t exit_kill);
  std::string attach_linux(int8_t t, int8_t x);
  std::string attach_redox(int8_t t, int8_t x);
  void link(int8_t x, int8_t tracer, uint8_t exit_kill, const Proc& recorded);
  std::string traceme(int8_t x);
  std::string exec(int8_t x, bool setuid_file);
  std::string lower_euid(int8_t x);
  std::string raise_euid(int8_t x);
  std::string drop_to_user(int8_t x);
  std::string tracer_exits(int8_t t);
  std::string set_yama(int8_t writer, uint8_t scope);
  void die(int8_t p, std::string* report);
  void creds_changed(Proc& p) {
    // Redox keeps no dumpable flag; the model records the change for the changed-creds proposal.
    if (!linux() || rules_.effect(R::sec_linux_commit_creds_nondumpable)) p.dumpable = 0;
  }
  uint32_t judge(const Label& l) const;

  const Policy& policy_;
  const Kernel k_;
  const State& s_;
  State n_;
  RuleCtx& rules_;
};

std::string Transition::attach(int8_t t, int8_t x, uint8_t exit_kill) {
  const std::string result = linux() ? attach_linux(t, x) : attach_redox(t, x);
  if (result == "ok") link(x, t, exit_kill, before(t));
  return result;
}

std::string Transition::attach_linux(int8_t ti, int8_t xi) {
  const Proc& t = before(ti);
  const Proc& x = before(xi);
  if (!rules_.decide(R::sec_linux_pid_visible, t.pidns == 0 || t.pidns == x.pidns)) return "ESRCH";
  // __ptrace_may_access, PTRACE_MODE_ATTACH_REALCREDS.
  const bool same_ids = t.ruid == x.ruid && t.ruid == x.euid && t.ruid == x.suid &&
                        t.rgid == x.rgid && t.rgid == x.egid && t.rgid == x.sgid;
  const bool cap = ns_capable(t, x.userns, kCapSysPtrace);
  if (!rules_.decide(R::sec_linux_creds_match, same_ids) &&
      !rules_.decide(R::sec_linux_cap_overrides_ids, cap))
    return "EPERM";
  if (!policy_.skip_dumpable && rules_.decide(R::sec_linux_dumpable, !x.dumpable && !cap))
    return "EPERM";
  // The LSMs: commoncap, then Yama.
  const bool caps_covered = (x.caps & ~t.caps) == 0;
  const bool same_ns = t.userns == x.userns || policy_.caps_subset_any_ns;
  if (!rules_.decide(R::sec_linux_caps_subset, (same_ns && caps_covered) || cap)) return "EPERM";
  switch (s_.yama) {
  case 1: {
    const bool named = x.ptracer_allowed == kAnyone ||
                       (x.ptracer_allowed >= 0 &&
                        (x.ptracer_allowed == ti || descends_from(s_, ti, x.ptracer_allowed)));
    if (!rules_.decide(R::sec_linux_yama_relational, descends_from(s_, xi, ti) || named || cap))
      return "EPERM";
    break;
  }
  case 2:
    if (!rules_.decide(R::sec_linux_yama_capability, cap)) return "EPERM";
    break;
  case 3:
    if (rules_.decide(R::sec_linux_yama_no_attach, true)) return "EPERM";
    break;
  default:
    break;
  }
  if (rules_.decide(R::sec_linux_already_traced, x.tracer != kNone)) return "EPERM";
  return "ok";
}

std::string Transition::attach_redox(int8_t ti, int8_t xi) {
  const Proc& t = before(ti);
  const Proc& x = before(xi);
  if (!rules_.decide(R::sec_redox_proc_visible, t.schemens != 2)) return "ENODEV";
  // ProcScheme::open gets the caller's euid and egid (src/syscall/fs.rs open).
  const bool root =
      policy_.redox_root_ns_only
          ? rules_.decide(R::sec_redox_prop_root_ns, t.euid == kRoot && t.schemens == 0)
          : rules_.decide(R::sec_redox_root_bypass, t.euid == kRoot || t.egid == kRoot);
  if (!root) {
    const bool owner =
        policy_.redox_all_ids
            ? rules_.decide(R::sec_redox_prop_all_ids, t.euid == x.euid && t.euid == x.ruid &&
                                                           t.egid == x.egid && t.egid == x.rgid)
            : rules_.decide(R::sec_redox_owner, t.euid == x.euid || t.egid == x.egid);
    if (!owner) return "EPERM";
    if (policy_.redox_changed_creds_root_only &&
        rules_.decide(R::sec_redox_prop_changed_creds, !x.dumpable))
      return "EPERM";
    if (!rules_.decide(R::sec_redox_descendant, descends_from(s_, xi, ti))) return "EPERM";
  }
  if (rules_.decide(R::sec_redox_session_busy, x.tracer != kNone)) return "EBUSY";
  return "ok";
}

void Transition::link(int8_t x, int8_t tracer, uint8_t exit_kill, const Proc& recorded) {
  Proc& p = after(x);
  p.tracer = tracer;
  p.exit_kill = exit_kill;
  if (linux() && rules_.effect(R::sec_linux_ptracer_cred)) {
    p.ptracer_caps = recorded.caps;
    p.ptracer_userns = recorded.userns;
    p.ptracer_euid = recorded.euid;
  }
}

std::string Transition::traceme(int8_t xi) {
  const Proc& x = before(xi);
  if (!linux() || x.parent == kNone || !before(x.parent).alive) return "n/a";
  const Proc& parent = before(x.parent);
  if (rules_.decide(R::sec_linux_already_traced, x.tracer != kNone)) return "EPERM";
  const bool cap = ns_capable(parent, x.userns, kCapSysPtrace);
  const bool covered = parent.userns == x.userns && (x.caps & ~parent.caps) == 0;
  if (!rules_.decide(R::sec_linux_traceme_caps, covered || cap)) return "EPERM";
  if (s_.yama == 2 && !rules_.decide(R::sec_linux_yama_traceme, cap)) return "EPERM";
  if (s_.yama == 3 && rules_.decide(R::sec_linux_yama_traceme, true)) return "EPERM";
  // TRACEME records the tracee's own credentials (ptrace_link runs in the tracee).
  link(xi, x.parent, 0, x);
  return "ok";
}

std::string Transition::exec(int8_t xi, bool setuid_file) {
  const Proc& x = before(xi);
  Proc& n = after(xi);
  const bool traced = x.tracer != kNone;
  if (linux()) {
    // In alice's user namespace only alice is mapped: a root-owned setuid bit means nothing.
    if (setuid_file && x.userns == 0 && rules_.effect(R::sec_linux_exec_setuid)) n.euid = kRoot;
    const bool is_setid = n.euid != x.ruid; // __is_setuid: the new euid against the old uid
    const bool ns_root = x.userns == 0 ? (n.euid == kRoot || n.ruid == kRoot) : (n.euid == kAlice);
    if (rules_.effect(R::sec_linux_exec_root_caps))
      n.caps = ns_root ? kAllCaps : (x.ambient ? x.caps : 0);
    const bool gained = (n.caps & ~x.caps) != 0;
    const bool tracer_capable = !traced || holds_cap_in(x.ptracer_caps, x.ptracer_userns,
                                                        x.ptracer_euid, n.userns, kCapSysPtrace);
    if (!policy_.exec_ignores_tracer &&
        rules_.decide(R::sec_linux_exec_ptrace_downgrade,
                      (is_setid || gained) && traced && !tracer_capable)) {
      if ((x.caps & kCapSetuid) == 0) {
        n.euid = n.ruid;
        n.egid = n.rgid;
      }
      n.caps &= x.caps;
    }
    n.suid = n.euid;
    n.sgid = n.egid;
    if (is_setid) n.ambient = 0;
    if (rules_.effect(R::sec_linux_exec_dumpable))
      n.dumpable = n.euid == n.ruid && n.egid == n.rgid;
  } else {
    const bool keep =
        policy_.redox_traced_exec_keeps_ids &&
        rules_.decide(R::sec_redox_prop_traced_exec, traced && before(x.tracer).euid != kRoot);
    if (setuid_file && !keep && rules_.effect(R::sec_redox_exec_setuid)) n.euid = kRoot;
    n.suid = n.euid;
    n.sgid = n.egid;
    // Redox keeps no dumpable flag; this records what the changed-creds proposal asks.
    n.dumpable = n.euid == n.ruid && n.egid == n.rgid;
  }
  n.image = setuid_file ? Image::setuid_root : Image::plain;
  reset_held(k_, n);
  return uids_of(n);
}

std::string Transition::lower_euid(int8_t xi) {
  const Proc& x = before(xi);
  Proc& n = after(xi);
  // setreuid(0, real uid): allowed to euid 0 on both kernels.
  const bool allowed = x.euid == kRoot;
  if (!rules_.decide(linux() ? R::sec_linux_setreuid : R::sec_redox_setreuid, allowed))
    return "EPERM";
  n.ruid = kRoot;
  n.euid = x.ruid;
  n.suid = n.euid; // Linux: a changed real uid moves the saved uid to the new euid (Redox has none)
  creds_changed(n);
  note_held(k_, n);
  return uids_of(n);
}

std::string Transition::raise_euid(int8_t xi) {
  const Proc& x = before(xi);
  Proc& n = after(xi);
  // setreuid(-1, 0). Linux: 0 must be the real or saved uid (no CAP_SETUID while euid is not
  // 0); Redox has no saved uid: the real uid must be 0.
  const bool allowed =
      linux() ? (x.ruid == kRoot || x.suid == kRoot) : (x.euid == kRoot || x.ruid == kRoot);
  if (!rules_.decide(linux() ? R::sec_linux_setreuid : R::sec_redox_setreuid, allowed))
    return "EPERM";
  n.euid = kRoot;
  // Linux moves the saved uid to the new euid when that differs from the real uid; Redox's
  // saved uid is only the model's mirror of its euid.
  if (!linux() || x.ruid != kRoot) n.suid = kRoot;
  creds_changed(n);
  note_held(k_, n);
  return uids_of(n);
}

std::string Transition::drop_to_user(int8_t xi) {
  const Proc& x = before(xi);
  Proc& n = after(xi);
  const bool allowed = linux() ? (x.caps & kCapSetuid) != 0 : x.euid == kRoot;
  if (!rules_.decide(linux() ? R::sec_linux_setreuid : R::sec_redox_setreuid, allowed))
    return "EPERM";
  n.ruid = n.euid = n.suid = kAlice;
  n.rgid = n.egid = n.sgid = kAlice;
  if (linux() && rules_.effect(R::sec_linux_setuid_drops_caps)) n.caps = n.ambient = 0;
  creds_changed(n);
  note_held(k_, n);
  return uids_of(n);
}

void Transition::die(int8_t p, std::string* report) {
  after(p).alive = 0;
  after(p).tracer = kNone;
  for (size_t i = 0; i < kProcs; ++i) {
    Proc& y = n_.procs[i];
    if (y.exists && y.parent == p) y.parent = kNone; // reparented to init, outside the world
    if (!y.exists || !y.alive || y.tracer != p) continue;
    const bool kill = linux() ? rules_.decide(R::sec_linux_exitkill,
                                              y.exit_kill != 0 && !policy_.exitkill_ignored)
                              : rules_.decide(R::sec_redox_close_excl, y.exit_kill != 0);
    y.tracer = kNone;
    y.exit_kill = 0;
    if (report)
      *report += std::string(report->empty() ? "" : " ") + worlds()[s_.world].names[i] +
                 (kill ? "=killed" : "=untraced");
    if (kill) die(static_cast<int8_t>(i), nullptr);
  }
}

std::string Transition::tracer_exits(int8_t t) {
  std::string report;
  die(t, &report);
  return report.empty() ? "none" : report;
}

std::string Transition::set_yama(int8_t writer, uint8_t scope) {
  if (!linux()) return "n/a";
  const Proc& w = before(writer);
  if (!rules_.decide(R::sec_linux_yama_sticky,
                     holds_cap_in(w.caps, w.userns, w.euid, 0, kCapSysPtrace)))
    return "EPERM";
  if (scope > 3 || rules_.decide(R::sec_linux_yama_sticky, s_.yama == 3 && scope < 3))
    return "EINVAL";
  n_.yama = scope;
  return "ok";
}

uint32_t Transition::judge(const Label& l) const {
  uint32_t v = 0;
  for (size_t i = 0; i < kProcs; ++i) {
    const Proc& xn = n_.procs[i];
    const Proc& xs = s_.procs[i];
    if (!xn.exists) continue;
    const int8_t t = xn.tracer;
    if (t != kNone) {
      const Proc& tn = n_.procs[static_cast<size_t>(t)];
      const Proc& ts = s_.procs[static_cast<size_t>(t)];
      // unprivileged-control: control of other credentials begins on this step, and not by
      // the tracee's own request (TRACEME) or the tracer's own act (dropping its privileges
      // keeps what it had; both kernels check at attach).
      const bool bad_now = !privileged(k_, tn, xn) && other_credentials(k_, xn, tn);
      const bool bad_before =
          xs.tracer == t && !privileged(k_, ts, xs) && other_credentials(k_, xs, ts);
      const bool voluntary = l.act == Act::traceme && l.actor == static_cast<int8_t>(i);
      const bool tracer_gave_up_privileges = l.actor == t && xs.tracer == t;
      if (bad_now && !bad_before && !voluntary && !tracer_gave_up_privileges)
        v |= bit(Property::unprivileged_control);
      // traced-setuid-exec: an exec under an unprivileged tracer gains no uid or capability.
      if ((l.act == Act::exec_setuid || l.act == Act::exec_plain) &&
          l.actor == static_cast<int8_t>(i) && xs.tracer == t && !privileged(k_, tn, xn)) {
        const bool new_uid = (uid_bits(xn) & ~uid_bits(xs)) != 0;
        const bool new_caps = (effective_caps(k_, xn) & ~effective_caps(k_, xs)) != 0;
        if (new_uid || new_caps) v |= bit(Property::traced_setuid_exec);
      }
      // no-upward-attach: a tracing that begins here reaches into a wider namespace.
      if (xs.tracer == kNone && wider(k_, xn, tn)) v |= bit(Property::no_upward_attach);
    }
    // contained-tracee-dies: a tracee held with EXITKILL / O_EXCL outlives its exiting tracer.
    if (l.act == Act::exit && xs.tracer == l.actor && xs.exit_kill && xn.alive)
      v |= bit(Property::contained_tracee_dies);
  }
  return v;
}

Step Transition::run(const Label& l) {
  Step out;
  const int8_t a = l.actor, x = l.target;
  switch (l.act) {
  case Act::attach:
  case Act::seize:
    out.observed = attach(a, x, l.value);
    break;
  case Act::traceme:
    out.observed = traceme(a);
    break;
  case Act::exec_setuid:
  case Act::exec_plain:
    out.observed = exec(a, l.act == Act::exec_setuid);
    break;
  case Act::lower_euid:
    out.observed = lower_euid(a);
    break;
  case Act::raise_euid:
    out.observed = raise_euid(a);
    break;
  case Act::drop_to_user:
    out.observed = drop_to_user(a);
    break;
  case Act::set_nondumpable:
    if (linux() && rules_.effect(R::sec_linux_prctl_dumpable)) after(a).dumpable = 0;
    out.observed = linux() ? "ok" : "n/a";
    break;
  case Act::set_ptracer:
    if (linux() && rules_.effect(R::sec_linux_yama_set_ptracer)) after(a).ptracer_allowed = x;
    out.observed = linux() ? "ok" : "n/a";
    break;
  case Act::drop_cap:
    if (linux() && rules_.effect(R::sec_linux_capset_drop)) after(a).caps = after(a).ambient = 0;
    out.observed = linux() ? "ok" : "n/a";
    break;
  case Act::exit:
    out.observed = tracer_exits(a);
    break;
  case Act::set_yama:
    out.observed = set_yama(a, l.value);
    break;
  case Act::none:
  case Act::count_:
    out.observed = "n/a";
    break;
  }
  out.violations = judge(l);
  out.next = n_;
  return out;
}

} // namespace

// ---- Properties, variants -----------------------------------------------------------------------

const std::vector<PropertyInfo>& properties() {
  static const std::vector<PropertyInfo> all = {
      {Property::unprivileged_control, "unprivileged-control",
       "no step gives a tracer without CAP_SYS_PTRACE over the tracee (root, on Redox) control of "
       "a process that holds, or held since its last exec, a uid, gid or capability the tracer "
       "does not have"},
      {Property::traced_setuid_exec, "traced-setuid-exec",
       "an exec under a tracer without CAP_SYS_PTRACE over the tracee gains no uid and no "
       "capability"},
      {Property::no_upward_attach, "no-upward-attach",
       "no tracing begins from a tracer in a narrower namespace (user or pid namespace on Linux, "
       "scheme namespace on Redox) into a wider one"},
      {Property::contained_tracee_dies, "contained-tracee-dies",
       "a tracee held with PTRACE_O_EXITKILL (Linux) or O_EXCL (Redox) dies with its tracer"},
  };
  return all;
}

std::optional<Property> property_by_name(std::string_view name) {
  for (const PropertyInfo& p : properties())
    if (p.name == name) return p.id;
  return std::nullopt;
}

const ExpectedViolation* Policy::expected_violation(std::string_view property) const {
  for (const ExpectedViolation& e : expected)
    if (e.property == property) return &e;
  return nullptr;
}

namespace {

const char* kRecordedCreds =
    "Linux records the tracer's credentials when tracing begins (kernel/ptrace.c ptrace_link) "
    "and a later setuid exec asks those (kernel/capability.c ptracer_capable), not the tracer's "
    "current ones: a tracer that attached with CAP_SYS_PTRACE (or as root) and then dropped it "
    "still lets its tracee's setuid exec raise the euid, and so controls a root process without "
    "privilege. Deliberate since 4.10 (ptracer_cred).";

const char* kDroppedCaps =
    "Besides: a process that drops its capabilities keeps its uid and stays dumpable "
    "(kernel/cred.c commit_creds marks a process non-dumpable when it gains capabilities or "
    "changes ids, not when it drops capabilities), so any process of the same uid may attach to "
    "it afterwards and read what it obtained with them; while it holds them, "
    "security/commoncap.c cap_ptrace_access_check keeps such tracers out.";

Policy delta(const Policy& base, std::string name, std::string summary) {
  Policy p = base;
  p.parent = base.name;
  p.name = std::move(name);
  p.summary = std::move(summary);
  return p;
}

std::vector<Policy> make_policies() {
  std::vector<Policy> all;
  Policy linux;
  linux.name = "linux";
  linux.summary = "Linux's ptrace_may_access with commoncap, exec under ptrace, no Yama (or "
                  "ptrace_scope 0)";
  linux.kernel = Kernel::linux;
  linux.expected = {{"unprivileged-control", std::string(kRecordedCreds) + " " + kDroppedCaps,
                     kTracerPrivilegeDrops | kCapabilityDrops},
                    {"traced-setuid-exec", kRecordedCreds, kTracerPrivilegeDrops}};
  all.push_back(linux);
  for (uint8_t scope = 1; scope <= 3; ++scope) {
    Policy y = delta(linux, "linux-yama" + std::to_string(scope),
                     std::string("Linux with Yama ptrace_scope ") + std::to_string(scope) +
                         (scope == 1   ? " (relational: ancestors, PR_SET_PTRACER, or the cap)"
                          : scope == 2 ? " (admin-only: CAP_SYS_PTRACE)"
                                       : " (no attach, for good)"));
    y.yama = scope;
    if (scope == 3) y.expected.clear(); // nobody traces anybody
    all.push_back(y);
  }
  // Seeded bugs: each must be caught by the properties it names, or they prove too little. A
  // bug's own violations are expected (check fails when one goes uncaught); the rest of its
  // parent's expectations stay as they were.
  struct SeededBug {
    const char* name;
    const char* summary;
    bool Policy::*delta;
    std::vector<std::string> caught_by;
  };
  const std::vector<SeededBug> bugs = {
      {"linux-bug-exec-keeps-setuid",
       "seeded bug: a setuid exec under ptrace is not downgraded",
       &Policy::exec_ignores_tracer,
       {"unprivileged-control", "traced-setuid-exec"}},
      {"linux-bug-no-dumpable",
       "seeded bug: __ptrace_may_access skips the dumpable check",
       &Policy::skip_dumpable,
       {"unprivileged-control"}},
      {"linux-bug-caps-across-ns",
       "seeded bug: commoncap compares permitted caps across user namespaces",
       &Policy::caps_subset_any_ns,
       {"no-upward-attach"}},
      {"linux-bug-no-exitkill",
       "seeded bug: a tracer's exit ignores PTRACE_O_EXITKILL",
       &Policy::exitkill_ignored,
       {"contained-tracee-dies"}},
  };
  for (const SeededBug& bug : bugs) {
    Policy p = delta(linux, bug.name, bug.summary);
    p.*bug.delta = true;
    for (const std::string& property : bug.caught_by) {
      std::erase_if(p.expected, [&](const ExpectedViolation& e) { return e.property == property; });
      p.expected.push_back({property, std::string(bug.summary) + ": must be caught", kNothing});
    }
    all.push_back(p);
  }

  Policy redox;
  redox.name = "redox-2019";
  redox.summary = "Redox's proc: scheme at a57ea6a7 (2019; unchanged in e18a8779, 2020): root "
                  "or egid 0, else a descendant with the same euid or egid; O_EXCL";
  redox.kernel = Kernel::redox;
  redox.expected = {
      {"unprivileged-control",
       "finding: ProcScheme::open lets a caller through when its euid matches the target's euid "
       "OR its egid the target's egid, and skips every check for egid 0: a setuid-root program "
       "keeps its caller's egid, so the caller's shell can trace it; a setuid program that "
       "swapped its euid down is judged by that euid; and a process that dropped root keeps its "
       "memory. src/scheme/proc.rs ProcScheme::open @a57ea6a7."},
      {"traced-setuid-exec",
       "finding: fexec_noreturn sets euid from a setuid file whether or not the process is "
       "traced, and the tracing session survives the exec (src/syscall/process.rs @a57ea6a7)."},
      {"no-upward-attach",
       "finding: proc: names every process of the system; root in any namespace that holds proc: "
       "passes ProcScheme::open's checks and attaches outside its namespace (Redox has no pid "
       "namespaces; only leaving proc: out, or the null namespace, contains root)."},
  };
  all.push_back(redox);
  Policy proposed = delta(redox, "redox-proposed",
                          "Redox with ptmc's four proposals: all ids compared, root only from the "
                          "root namespace, traced exec keeps ids, changed creds need root");
  proposed.redox_all_ids = proposed.redox_root_ns_only = true;
  proposed.redox_traced_exec_keeps_ids = proposed.redox_changed_creds_root_only = true;
  proposed.expected.clear();
  all.push_back(proposed);
  return all;
}

} // namespace

const std::vector<Policy>& policies() {
  static const std::vector<Policy> all = make_policies();
  return all;
}

const Policy* find_policy(std::string_view name) {
  for (const Policy& p : policies())
    if (p.name == name) return &p;
  return nullptr;
}

Policy mutant_policy(const Policy& base, RuleId rule) {
  Policy p =
      delta(base, base.name + "~" + std::string(rule_info(rule).name),
            "mutant of " + base.name + ": " + std::string(rule_info(rule).name) + " changed");
  p.mutation = rule;
  return p;
}

// ---- The model ------------------------------------------------------------------------------

State AccessModel::start(const World& w, uint8_t yama) const {
  State s = w.initial;
  s.yama = policy_.kernel == Kernel::linux ? yama : 0;
  for (Proc& p : s.procs)
    if (p.exists) reset_held(policy_.kernel, p);
  return s;
}

State AccessModel::start(const World& w) const {
  return start(w, policy_.yama);
}

std::vector<State> AccessModel::initial_states() const {
  std::vector<State> out;
  for (const World& w : worlds())
    if (world_applies(w, policy_.kernel)) out.push_back(start(w));
  return out;
}

std::vector<Label> AccessModel::labels(const State& s) const {
  std::vector<Label> out;
  const bool linux = policy_.kernel == Kernel::linux;
  const auto add = [&](Act act, size_t actor, int8_t target = kNone, uint8_t value = 0) {
    out.push_back(Label{act, static_cast<int8_t>(actor), target, value});
  };
  for (size_t a = 0; a < kProcs; ++a) {
    const Proc& p = s.procs[a];
    if (!p.exists || !p.alive) continue;
    bool tracing = false;
    for (size_t x = 0; x < kProcs; ++x) {
      const Proc& q = s.procs[x];
      if (x == a || !q.exists || !q.alive) continue;
      if (q.tracer == static_cast<int8_t>(a)) tracing = true;
      for (Act act : {Act::attach, Act::seize})
        for (uint8_t kill : {0, 1}) add(act, a, static_cast<int8_t>(x), kill);
      if (linux && s.yama == 1) add(Act::set_ptracer, a, static_cast<int8_t>(x));
    }
    if (linux && p.parent != kNone && s.procs[static_cast<size_t>(p.parent)].alive)
      add(Act::traceme, a);
    add(Act::exec_setuid, a);
    add(Act::exec_plain, a);
    if (p.euid == kRoot && p.ruid != kRoot) add(Act::lower_euid, a);
    if (p.euid != kRoot) add(Act::raise_euid, a);
    const bool may_drop = !((without_ & kTracerPrivilegeDrops) && tracing);
    if (p.euid == kRoot && p.ruid == kRoot && may_drop) add(Act::drop_to_user, a);
    if (linux && p.dumpable) add(Act::set_nondumpable, a);
    if (linux && p.caps && may_drop && !(without_ & kCapabilityDrops)) add(Act::drop_cap, a);
    if (tracing) add(Act::exit, a);
  }
  return out;
}

Step AccessModel::apply(const State& s, const Label& l, RuleCtx& rules) const {
  return Transition(policy_, s, rules).run(l);
}

uint64_t AccessModel::fingerprint(const State& s) const {
  return ptmc::fingerprint(&s, offsetof(State, steps));
}

} // namespace ptmc::security
