#include "model/security/world.hpp"

#include <array>

namespace ptmc::security {

std::string_view kernel_name(Kernel k) {
  return k == Kernel::linux ? "linux" : "redox";
}

uint32_t numeric_uid(uint8_t ident) {
  static constexpr std::array<uint32_t, kIdentCount> uids = {0, 1000, 1001, 1002};
  return ident < kIdentCount ? uids[ident] : 65534;
}

uint32_t numeric_gid(uint8_t ident) {
  // oper's primary group is root's: the group Redox's proc: check lets through (world root-group).
  static constexpr std::array<uint32_t, kIdentCount> gids = {0, 1000, 1001, 0};
  return ident < kIdentCount ? gids[ident] : 65534;
}

std::string_view ident_name(uint8_t ident) {
  static constexpr std::array<std::string_view, kIdentCount> names = {"root", "alice", "bob",
                                                                      "oper"};
  return ident < kIdentCount ? names[ident] : "?";
}

namespace {

constexpr std::array<std::string_view, static_cast<size_t>(Act::count_)> kActNames = {
    "none",        "attach",     "seize",      "traceme",      "exec_setuid",
    "exec_plain",  "lower_euid", "raise_euid", "drop_to_user", "set_nondumpable",
    "set_ptracer", "drop_cap",   "exit",       "set_yama"};

uint8_t gid_ident(uint8_t ident) {
  // Groups are numbered like users except that oper's group is root's (gid 0).
  return ident == kOper ? uint8_t{kRoot} : ident;
}

// A process of `who`, alive, dumpable, holding what it holds.
Proc user(uint8_t who, int8_t parent = kNone) {
  Proc p;
  p.exists = p.alive = 1;
  p.ruid = p.euid = p.suid = who;
  p.rgid = p.egid = p.sgid = gid_ident(who);
  p.caps = who == kRoot ? kAllCaps : 0;
  p.parent = parent;
  p.held_uids = static_cast<uint8_t>(1u << who);
  p.held_gids = static_cast<uint8_t>(1u << p.rgid);
  p.held_caps = p.caps;
  return p;
}

std::vector<World> make_worlds() {
  std::vector<World> all;

  World users{"users",
              "alice's shell and its child, bob's shell, a root daemon: uids, setuid programs, "
              "dumpable, Yama's relations",
              true,
              true,
              {"alice-shell", "alice-child", "bob-shell", "root-daemon"},
              {}};
  users.initial.procs = {user(kAlice), user(kAlice, 0), user(kBob), user(kRoot)};
  all.push_back(users);

  World oper{"root-group",
             "oper (uid 1002) whose group is root's (gid 0), its child, alice's shell, a root "
             "daemon: does group 0 count as root?",
             true,
             true,
             {"oper-shell", "oper-child", "alice-shell", "root-daemon"},
             {}};
  oper.initial.procs = {user(kOper), user(kOper, 0), user(kAlice), user(kRoot)};
  all.push_back(oper);

  World caps{"capability",
             "a tracer of uid alice holding CAP_SYS_PTRACE (ambient), its child without it, "
             "bob's shell, a root daemon",
             true,
             false,
             {"cap-tracer", "alice-child", "bob-shell", "root-daemon"},
             {}};
  caps.initial.procs = {user(kAlice), user(kAlice, 0), user(kBob), user(kRoot)};
  caps.initial.procs[0].caps = caps.initial.procs[0].held_caps = kCapSysPtrace;
  caps.initial.procs[0].ambient = 1;
  all.push_back(caps);

  World userns{"user-namespace",
               "alice's shell and its child sandboxed in a user namespace alice created (root "
               "there, alice outside, every capability inside), bob's shell, a root daemon",
               true,
               false,
               {"alice-shell", "sandbox", "bob-shell", "root-daemon"},
               {}};
  userns.initial.procs = {user(kAlice), user(kAlice, 0), user(kBob), user(kRoot)};
  userns.initial.procs[1].userns = 1;
  userns.initial.procs[1].caps = userns.initial.procs[1].held_caps = kAllCaps;
  all.push_back(userns);

  World pidns{"pid-namespace",
              "a root daemon and its child, root in a new pid namespace, alice's and bob's "
              "shells",
              true,
              false,
              {"root-daemon", "root-sandbox", "alice-shell", "bob-shell"},
              {}};
  pidns.initial.procs = {user(kRoot), user(kRoot, 0), user(kAlice), user(kBob)};
  pidns.initial.procs[1].pidns = 1;
  all.push_back(pidns);

  World scheme{"scheme-namespace",
               "alice's shell, a child of it in a scheme namespace that holds proc:, another in "
               "the null namespace, a root daemon",
               false,
               true,
               {"alice-shell", "sandbox", "null-sandbox", "root-daemon"},
               {}};
  scheme.initial.procs = {user(kAlice), user(kAlice, 0), user(kAlice, 0), user(kRoot)};
  scheme.initial.procs[1].schemens = 1;
  scheme.initial.procs[2].schemens = 2;
  all.push_back(scheme);

  World root_scheme{"root-scheme-namespace",
                    "a root daemon and its child, root in a scheme namespace that holds proc:, "
                    "alice's and bob's shells",
                    false,
                    true,
                    {"root-daemon", "root-sandbox", "alice-shell", "bob-shell"},
                    {}};
  root_scheme.initial.procs = {user(kRoot), user(kRoot, 0), user(kAlice), user(kBob)};
  root_scheme.initial.procs[1].schemens = 1;
  all.push_back(root_scheme);

  for (size_t i = 0; i < all.size(); ++i) all[i].initial.world = static_cast<uint8_t>(i);
  return all;
}

} // namespace

std::string_view act_name(Act a) {
  const size_t i = static_cast<size_t>(a);
  return i < kActNames.size() ? kActNames[i] : "?";
}

std::optional<Act> act_by_name(std::string_view name) {
  for (size_t i = 0; i < kActNames.size(); ++i)
    if (kActNames[i] == name) return static_cast<Act>(i);
  return std::nullopt;
}

const std::vector<World>& worlds() {
  static const std::vector<World> all = make_worlds();
  return all;
}

const World* find_world(std::string_view name) {
  for (const World& w : worlds())
    if (w.name == name) return &w;
  return nullptr;
}

bool world_applies(const World& w, Kernel k) {
  return k == Kernel::linux ? w.linux : w.redox;
}

std::string format_label(const World& w, const Label& l) {
  const auto who = [&](int8_t i) -> std::string {
    if (i == kAnyone) return "anyone";
    if (i < 0 || static_cast<size_t>(i) >= kProcs) return "?";
    return w.names[static_cast<size_t>(i)];
  };
  std::string text = std::string(act_name(l.act)) + " " + who(l.actor);
  switch (l.act) {
  case Act::attach:
  case Act::seize:
    text += " -> " + who(l.target);
    if (l.value) text += " exitkill";
    break;
  case Act::set_ptracer:
    text += " -> " + who(l.target);
    break;
  case Act::set_yama:
    text = "set_yama " + std::to_string(l.value) + " by " + who(l.actor);
    break;
  default:
    break;
  }
  return text;
}

std::string format_uids(uint32_t r, uint32_t e, uint32_t s, bool traced) {
  return "uids=" + std::to_string(r) + "," + std::to_string(e) + "," + std::to_string(s) +
         (traced ? " traced" : "");
}

} // namespace ptmc::security
