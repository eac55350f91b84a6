// The attach-permission model's vocabulary (RFC question 5): who the processes are, what
// credentials and namespaces they hold, and what they can do. Standard C++ only: the real-kernel
// security helper (kernel/security/) is built from this same vocabulary and the same case table
// (cases.hpp), so a case means the same thing to the model and to the kernel.
//
// The stop protocol plays no part here: this model knows who traces whom and with what
// credentials, nothing about stops. docs/security-model.md describes it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ptmc::security {

enum class Kernel : uint8_t { linux, redox };
std::string_view kernel_name(Kernel k);

// The users of every world. A small universe is enough: the rules only ever compare ids.
enum Ident : uint8_t { kRoot = 0, kAlice = 1, kBob = 2, kOper = 3, kIdentCount = 4 };
uint32_t numeric_uid(uint8_t ident); // 0, 1000, 1001, 1002
uint32_t numeric_gid(uint8_t ident); // 0, 1000, 1001, and 0 for oper (a member of root's group)
std::string_view ident_name(uint8_t ident);

// Capabilities, three classes of Linux's: what ptrace consults, what setuid consults, and all
// others together. A process's set is both permitted and effective (the model never splits them;
// no rule here needs the difference). Redox has none: root is euid 0.
enum CapBits : uint8_t { kCapSysPtrace = 1, kCapSetuid = 2, kCapOther = 4, kAllCaps = 7 };

// The programs a process can run: the helper as it is, or its setuid-root copy (owner root,
// mode 4755).
enum class Image : uint8_t { plain, setuid_root };

inline constexpr int8_t kNone = -1;
inline constexpr int8_t kAnyone = -2; // PR_SET_PTRACER_ANY

// One process. Every field is a byte so that a state hashes as plain bytes.
struct Proc {
  uint8_t exists = 0, alive = 0;
  uint8_t ruid = 0, euid = 0, suid = 0; // Idents; Redox has no saved id and keeps suid = euid
  uint8_t rgid = 0, egid = 0, sgid = 0; // Idents, numbered as numeric_gid
  uint8_t caps = 0;                     // CapBits, in its own user namespace
  uint8_t ambient = 0;                  // its caps survive exec (PR_CAP_AMBIENT)
  // Namespaces, each kernel reading its own. Linux: userns 1 is a child of the initial user
  // namespace created by alice; pidns 1 a child pid namespace. Redox: schemens 0 is the root
  // scheme namespace, 1 a namespace holding proc:, 2 the null namespace (capability mode).
  uint8_t userns = 0, pidns = 0, schemens = 0;
  int8_t parent = kNone; // index of the parent, for ancestry
  uint8_t dumpable = 1;  // Linux mm dumpable == SUID_DUMP_USER
  Image image = Image::plain;
  // Tracing.
  int8_t tracer = kNone;
  uint8_t exit_kill = 0;          // attached with PTRACE_O_EXITKILL / opened with O_EXCL
  uint8_t ptracer_caps = 0;       // Linux ptracer_cred: the caps recorded when tracing began,
  uint8_t ptracer_userns = 0;     //   the user namespace of those creds,
  uint8_t ptracer_euid = 0;       //   and their euid (owner of a child namespace has all caps)
  int8_t ptracer_allowed = kNone; // Yama PR_SET_PTRACER: an index, kAnyone, or kNone
  // History since the last exec: every uid and gid (bits of Ident) and cap the process held.
  // What a process held stays in its memory until exec replaces it; "other credentials" are
  // judged on this, which is what Linux's dumpable flag protects.
  uint8_t held_uids = 0, held_gids = 0, held_caps = 0;
};

inline constexpr size_t kProcs = 4;

struct State {
  std::array<Proc, kProcs> procs{};
  uint8_t yama = 0; // Linux Yama ptrace_scope 0..3 (0 also stands for "no Yama")
  uint8_t world = 0;
  // Actions taken since the world's start. Last, and not part of a state's identity: the
  // explorer reaches each state first by a shortest path, so its count is that path's length.
  uint8_t steps = 0;
};

// What a process does. `actor` acts; `target` is the other process, when there is one.
enum class Act : uint8_t {
  none,
  attach,          // PTRACE_ATTACH / open proc:PID/trace with O_TRUNC
  seize,           // PTRACE_SEIZE / open proc:PID/trace
  traceme,         // PTRACE_TRACEME: the actor asks its parent to trace it (Linux)
  exec_setuid,     // execve of the setuid-root binary
  exec_plain,      // execve of the plain binary
  lower_euid,      // a setuid-root program swaps: setreuid(0, its real uid)
  raise_euid,      // setreuid(-1, 0)
  drop_to_user,    // a root process becomes alice for good: setresgid, setresuid(alice x3)
  set_nondumpable, // prctl(PR_SET_DUMPABLE, 0) (Linux)
  set_ptracer,     // prctl(PR_SET_PTRACER, target) (Linux Yama)
  drop_cap,        // capset: drop every capability, ambient too (Linux)
  exit,            // the actor exits (a tracer: its tracees are released or killed)
  set_yama,        // write `value` to /proc/sys/kernel/yama/ptrace_scope (Linux)
  count_
};
std::string_view act_name(Act a);
std::optional<Act> act_by_name(std::string_view name);

struct Label {
  Act act = Act::none;
  int8_t actor = kNone;
  int8_t target = kNone;
  uint8_t value = 0; // attach/seize: 1 = PTRACE_O_EXITKILL / O_EXCL; set_yama: the scope
  bool operator==(const Label&) const = default;
};

// A small world: who exists at the start and how they are related. A world names the kernels
// it means something on (Linux namespaces and capabilities have no Redox counterpart, and the
// reverse).
struct World {
  std::string name;
  std::string summary;
  bool linux = true, redox = true;
  std::array<std::string, kProcs> names; // role names, e.g. "alice-shell"
  State initial;
};

const std::vector<World>& worlds();
const World* find_world(std::string_view name);
bool world_applies(const World& w, Kernel k);

// "attach alice-shell -> bob", "exec_setuid alice-child", "set_yama 3".
std::string format_label(const World& w, const Label& l);

// What a step shows on a real kernel, in the canonical form the model predicts and the helper
// prints (kernel/security/helper.cpp):
//   attach, seize, traceme, set_yama: "ok" or an errno name ("EPERM", "ESRCH", "EINVAL")
//   exec_*, lower_euid, raise_euid, drop_to_user: "uids=R,E,S" plus " traced" when traced, or
//                                                 an errno name
//   set_nondumpable, set_ptracer, drop_cap: "ok"
//   exit: for each process the actor traced, "NAME=killed" or "NAME=untraced", or "none"
std::string format_uids(uint32_t r, uint32_t e, uint32_t s, bool traced);

} // namespace ptmc::security
