// ptmc-sec-helper: runs the attach-permission cases (model/security/cases.cpp) on a real kernel,
// as root inside Debian's kernel under QEMU, where it may switch uids, create setuid-root files,
// set Yama's scope and kill whole process groups without touching anyone else's processes.
// It is not the ptrace scenario agent (kernel/agent.cpp) and shares no code with it: the agent
// runs stop-protocol scenarios under a seccomp filter; this runs processes of several users.
//
// One binary, two roles:
//   ptmc-sec-helper --vm [--yama3] [--case NAME]...   the orchestrator: ptmc-qemu-init's child
//   ptmc-sec-helper --role NAME --dir DIR              one process of a case's world
//
// The orchestrator builds each case's world: it forks the processes without a parent in the
// world with their credentials (uids, gids, an ambient CAP_SYS_PTRACE), and asks each such
// process to fork its children (so that ancestry, Yama's relation, is real; a child in a user or
// pid namespace unshares before it runs). Every process then execs this binary as a role, which
// talks to the orchestrator over two FIFOs, DIR/NAME.in and DIR/NAME.out, one line at a time:
// the orchestrator sends a step, named as world.hpp names the actions ("seize 123 1",
// "exec_setuid", "exit"), the role does it and
// answers with what it saw, in the form world.hpp's format_* functions give the model's
// predictions. A setuid exec re-runs the role from the setuid-root copy of this binary, which
// reconnects to its FIFOs. Every wait has a timeout; at a case's end the orchestrator kills the
// case's process group and reaps it (it is the child subreaper).
//
// Console protocol (kernel/security/runner.cpp reads it):
//   ptmc-sec-helper 1 RELEASE yama=N|none
//   case NAME
//   step NAME INDEX OBSERVATION
//   detail NAME INDEX TEXT          (what else the tracer saw: /proc/PID/status at the exec stop)
//   skip NAME WHY
//   done
#include "model/security/cases.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <map>
#include <optional>
#include <poll.h>
#include <sched.h>
#include <string>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using namespace ptmc::security;

namespace {

constexpr const char* kWorkDir = "/ptmc-sec";
constexpr const char* kSetuidCopy = "/ptmc-sec/suid-helper";
constexpr const char* kYamaScope = "/proc/sys/kernel/yama/ptrace_scope";
constexpr int kReplyTimeoutMs = 8000; // TCG is slow; a stuck step still ends the case
constexpr double kStopTimeoutS = 5.0;

std::string self_exe() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string("/ptmc-sec-helper");
}

void say(const std::string& line) {
  std::string text = line + "\n";
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    const ssize_t n = write(STDOUT_FILENO, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

std::string errno_name(int e) {
  switch (e) {
  case EPERM:
    return "EPERM";
  case ESRCH:
    return "ESRCH";
  case EINVAL:
    return "EINVAL";
  case EBUSY:
    return "EBUSY";
  case EACCES:
    return "EACCES";
  case EIO:
    return "EIO";
  default:
    return "errno" + std::to_string(e);
  }
}

bool write_file(const char* path, const std::string& text, int* err) {
  const int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    *err = errno;
    return false;
  }
  const ssize_t n = write(fd, text.data(), text.size());
  *err = n < 0 ? errno : 0;
  close(fd);
  return n == static_cast<ssize_t>(text.size());
}

std::string read_file(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
  close(fd);
  return text;
}

// A line of /proc/PID/status ("Uid:", "TracerPid:"), its value with tabs as blanks.
std::string status_field(pid_t pid, const std::string& field) {
  const std::string text = read_file("/proc/" + std::to_string(pid) + "/status");
  const size_t at = text.find("\n" + field + ":");
  if (at == std::string::npos) return "";
  size_t start = at + field.size() + 2;
  const size_t end = text.find('\n', start);
  std::string value = text.substr(start, end - start);
  for (char& c : value)
    if (c == '\t') c = ' ';
  while (!value.empty() && value.front() == ' ') value.erase(value.begin());
  return value;
}

bool traced_now() {
  const std::string tracer = status_field(getpid(), "TracerPid");
  return !tracer.empty() && tracer != "0";
}

std::string my_uids() {
  uid_t r = 0, e = 0, s = 0;
  getresuid(&r, &e, &s);
  return format_uids(r, e, s, traced_now());
}

// Reads one line from `fd` within `timeout_ms`; nullopt on timeout or EOF.
std::optional<std::string> read_line(int fd, int timeout_ms) {
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (timeout_ms >= 0 && left <= 0) return std::nullopt;
    pollfd p{fd, POLLIN, 0};
    const int r = poll(&p, 1, timeout_ms < 0 ? -1 : static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return std::nullopt;
    char c = 0;
    const ssize_t n = read(fd, &c, 1);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return std::nullopt;
    if (c == '\n') return line;
    line += c;
  }
}

// Waits for `pid` (a tracee or child) to stop, within kStopTimeoutS; its wait status, or nullopt.
std::optional<int> wait_stop(pid_t pid) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(kStopTimeoutS);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    const pid_t got = waitpid(pid, &status, WNOHANG | __WALL);
    if (got == pid) return status;
    if (got < 0 && errno != EINTR) return std::nullopt;
    usleep(2000);
  }
  return std::nullopt;
}

// ---- Capabilities, without libcap -----------------------------------------------------------

bool set_caps(uint64_t mask) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  for (int i = 0; i < 2; ++i) {
    const auto part = static_cast<uint32_t>(mask >> (32 * i));
    data[i].effective = data[i].permitted = data[i].inheritable = part;
  }
  return syscall(SYS_capset, &header, data) == 0;
}

// ---- A role ---------------------------------------------------------------------------------

class Role {
public:
  Role(std::string name, std::string dir) : name_(std::move(name)), dir_(std::move(dir)) {}

  int run() {
    in_ = open((dir_ + "/" + name_ + ".in").c_str(), O_RDONLY | O_CLOEXEC);
    out_ = open((dir_ + "/" + name_ + ".out").c_str(), O_WRONLY | O_CLOEXEC);
    if (in_ < 0 || out_ < 0) return 70;
    reply("hello " + std::to_string(getpid()) + " " + my_uids());
    for (;;) {
      const auto line = read_line(in_, -1);
      if (!line) return 0;
      handle(*line);
    }
  }

private:
  void reply(const std::string& text) {
    const std::string line = text + "\n";
    if (write(out_, line.data(), line.size()) < 0) _exit(71);
  }

  std::vector<std::string> words(const std::string& line) {
    std::vector<std::string> out;
    size_t at = 0;
    while (at < line.size()) {
      const size_t end = line.find(' ', at);
      out.push_back(line.substr(at, end == std::string::npos ? std::string::npos : end - at));
      if (end == std::string::npos) break;
      at = end + 1;
    }
    return out;
  }

  [[noreturn]] void exec_role(const char* path, const std::string& name) {
    execl(path, path, "--role", name.c_str(), "--dir", dir_.c_str(), static_cast<char*>(nullptr));
    _exit(72);
  }

  void spawn(const std::string& child, const std::string& kind) {
    if (kind == "pidns") {
      int pipefd[2];
      if (pipe2(pipefd, O_CLOEXEC) != 0) return reply("error: pipe: " + errno_name(errno));
      const pid_t mid = fork();
      if (mid < 0) return reply("error: fork: " + errno_name(errno));
      if (mid == 0) {
        if (unshare(CLONE_NEWPID) != 0) _exit(73);
        const pid_t grandchild = fork(); // pid 1 of the new namespace
        if (grandchild < 0) _exit(74);
        if (grandchild == 0) exec_role(self_exe().c_str(), child);
        const std::string pid = std::to_string(grandchild) + "\n";
        if (write(pipefd[1], pid.data(), pid.size()) < 0) _exit(75);
        int status = 0;
        waitpid(grandchild, &status, 0);
        _exit(0);
      }
      close(pipefd[1]);
      const auto pid = read_line(pipefd[0], kReplyTimeoutMs);
      close(pipefd[0]);
      return reply(pid ? "spawned " + *pid : "error: the pid namespace's first process is missing");
    }
    const uid_t uid = geteuid();
    const gid_t gid = getegid();
    const pid_t pid = fork();
    if (pid < 0) return reply("error: fork: " + errno_name(errno));
    if (pid == 0) {
      if (kind == "nocaps") prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
      if (kind == "userns") {
        // Root of a user namespace that maps it to its own uid and gid, as `unshare -r` does.
        int err = 0;
        if (unshare(CLONE_NEWUSER) != 0) _exit(76);
        if (!write_file("/proc/self/setgroups", "deny", &err)) _exit(77);
        if (!write_file("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1", &err)) _exit(78);
        if (!write_file("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1", &err)) _exit(79);
      }
      exec_role(self_exe().c_str(), child);
    }
    reply("spawned " + std::to_string(pid));
  }

  // PTRACE_ATTACH or PTRACE_SEIZE, then proof of control: the tracee stops, its registers can be
  // read, and it is let go on (still traced).
  void attach(bool seize, pid_t pid, bool exit_kill) {
    long rc;
    if (seize) {
      const long options = PTRACE_O_TRACEEXEC | (exit_kill ? PTRACE_O_EXITKILL : 0);
      rc = ptrace(PTRACE_SEIZE, pid, nullptr, reinterpret_cast<void*>(options));
    } else {
      rc = ptrace(PTRACE_ATTACH, pid, nullptr, nullptr);
    }
    if (rc != 0) return reply(errno_name(errno));
    if (seize && ptrace(PTRACE_INTERRUPT, pid, nullptr, nullptr) != 0)
      return reply("error: PTRACE_INTERRUPT: " + errno_name(errno));
    const auto status = wait_stop(pid);
    if (!status || !WIFSTOPPED(*status)) return reply("error: the tracee did not stop");
    if (!seize && exit_kill &&
        ptrace(PTRACE_SETOPTIONS, pid, nullptr, reinterpret_cast<void*>(PTRACE_O_EXITKILL)) != 0)
      return reply("error: PTRACE_SETOPTIONS: " + errno_name(errno));
    errno = 0;
    ptrace(PTRACE_PEEKUSER, pid, reinterpret_cast<void*>(offsetof(user_regs_struct, rip)), nullptr);
    if (errno != 0) return reply("error: PTRACE_PEEKUSER: " + errno_name(errno));
    if (ptrace(PTRACE_CONT, pid, nullptr, nullptr) != 0)
      return reply("error: PTRACE_CONT: " + errno_name(errno));
    reply("ok");
  }

  // The tracee's exec stop: what the tracer sees of it, then let it go on.
  void await_exec(pid_t pid) {
    const auto status = wait_stop(pid);
    if (!status || !WIFSTOPPED(*status) || WSTOPSIG(*status) != SIGTRAP)
      return reply("error: no exec stop");
    const std::string seen = "exec-stop Uid: " + status_field(pid, "Uid");
    if (ptrace(PTRACE_CONT, pid, nullptr, nullptr) != 0)
      return reply("error: PTRACE_CONT: " + errno_name(errno));
    reply(seen);
  }

  void handle(const std::string& line) {
    const std::vector<std::string> w = words(line);
    const std::string& cmd = w.empty() ? line : w[0];
    const auto arg = [&](size_t i) { return i < w.size() ? w[i] : std::string(); };
    const auto pid = [&](size_t i) { return static_cast<pid_t>(atoi(arg(i).c_str())); };
    if (cmd == "spawn") return spawn(arg(1), arg(2));
    if (cmd == "attach" || cmd == "seize") return attach(cmd == "seize", pid(1), arg(2) == "1");
    if (cmd == "await_exec") return await_exec(pid(1));
    if (cmd == "traceme")
      return reply(ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) == 0 ? "ok" : errno_name(errno));
    if (cmd == "exec_setuid" || cmd == "exec_plain") {
      reply("exec");
      exec_role(cmd == "exec_setuid" ? kSetuidCopy : self_exe().c_str(), name_);
    }
    if (cmd == "lower_euid")
      return reply(setreuid(0, getuid()) == 0 ? my_uids() : errno_name(errno));
    if (cmd == "raise_euid")
      return reply(setreuid(static_cast<uid_t>(-1), 0) == 0 ? my_uids() : errno_name(errno));
    if (cmd == "drop_to_user") {
      const uid_t alice = numeric_uid(kAlice);
      const gid_t group = numeric_gid(kAlice);
      if (setgroups(0, nullptr) != 0 || setresgid(group, group, group) != 0 ||
          setresuid(alice, alice, alice) != 0)
        return reply(errno_name(errno));
      return reply(my_uids());
    }
    if (cmd == "set_nondumpable")
      return reply(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 ? "ok" : errno_name(errno));
    if (cmd == "set_ptracer")
      return reply(prctl(PR_SET_PTRACER, pid(1), 0, 0, 0) == 0 ? "ok" : errno_name(errno));
    if (cmd == "drop_cap") {
      prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
      return reply(set_caps(0) ? "ok" : errno_name(errno));
    }
    if (cmd == "set_yama") {
      int err = 0;
      return reply(write_file(kYamaScope, arg(1), &err) ? "ok" : errno_name(err));
    }
    if (cmd == "exit") {
      reply("bye");
      _exit(0);
    }
    reply("error: unknown command '" + line + "'");
  }

  std::string name_, dir_;
  int in_ = -1, out_ = -1;
};

// ---- The orchestrator -----------------------------------------------------------------------

struct Member {
  pid_t pid = -1;
  int in = -1, out = -1; // the orchestrator's ends of NAME.in and NAME.out
};

class CaseRun {
public:
  CaseRun(const Case& c, const World& w) : case_(c), world_(w) {}
  ~CaseRun() { cleanup(); }

  void run() {
    dir_ = std::string(kWorkDir) + "/" + case_.name;
    if (mkdir(dir_.c_str(), 0777) != 0 && errno != EEXIST) return skip("mkdir " + dir_);
    chmod(dir_.c_str(), 0777);
    if (!set_scope()) return;
    say("case " + case_.name);
    std::array<bool, kProcs> needed{};
    for (const Label& l : case_.steps) {
      mark(needed, l.actor);
      mark(needed, l.target);
    }
    for (size_t i = 0; i < kProcs; ++i)
      if (needed[i] && !spawn(static_cast<int8_t>(i))) return;
    for (size_t i = 0; i < case_.steps.size(); ++i) step(i, case_.steps[i]);
  }

private:
  void skip(const std::string& why) { say("skip " + case_.name + " " + why); }

  void mark(std::array<bool, kProcs>& needed, int8_t i) {
    for (size_t hops = 0; i >= 0 && hops < kProcs; ++hops) {
      needed[static_cast<size_t>(i)] = true;
      i = world_.initial.procs[static_cast<size_t>(i)].parent;
    }
  }

  bool set_scope() {
    if (access(kYamaScope, F_OK) != 0) {
      if (case_.yama == 0) return true;
      skip("the kernel has no Yama");
      return false;
    }
    int err = 0;
    const std::string now = read_file(kYamaScope);
    if (atoi(now.c_str()) == case_.yama) return true;
    if (!write_file(kYamaScope, std::to_string(case_.yama), &err)) {
      skip("cannot set Yama's scope to " + std::to_string(case_.yama) + ": " + errno_name(err));
      return false;
    }
    return true;
  }

  // What kind of child `i` is of its parent in the world.
  std::string kind_of(size_t i) const {
    const Proc& c = world_.initial.procs[i];
    const Proc& p = world_.initial.procs[static_cast<size_t>(c.parent)];
    if (c.userns != p.userns) return "userns";
    if (c.pidns != p.pidns) return "pidns";
    if (p.ambient && !c.caps) return "nocaps";
    return "plain";
  }

  bool spawn(int8_t index) {
    const size_t i = static_cast<size_t>(index);
    const std::string& name = world_.names[i];
    Member& m = members_[i];
    if (m.pid > 0) return true;
    for (const char* suffix : {".in", ".out"}) {
      const std::string path = dir_ + "/" + name + suffix;
      if (mkfifo(path.c_str(), 0666) != 0 && errno != EEXIST) {
        say("step " + case_.name + " 0 error: mkfifo " + path + ": " + errno_name(errno));
        return false;
      }
      chmod(path.c_str(), 0666);
    }
    // O_RDWR: opening never blocks, and the FIFOs outlive a role's exec.
    m.in = open((dir_ + "/" + name + ".in").c_str(), O_RDWR | O_CLOEXEC);
    m.out = open((dir_ + "/" + name + ".out").c_str(), O_RDWR | O_CLOEXEC);
    const Proc& p = world_.initial.procs[i];
    // Its pid as this (the initial) pid namespace numbers it: the process's own getpid() says 1
    // in a pid namespace of its own.
    pid_t pid = -1;
    if (p.parent == kNone) {
      pid = fork();
      if (pid < 0) return false;
      if (pid == 0) become(p, name);
      setpgid(pid, pgid_ > 1 ? pgid_ : pid);
      if (pgid_ <= 1) pgid_ = pid;
    } else {
      if (!spawn(p.parent)) return false;
      const std::string answer =
          ask(static_cast<size_t>(p.parent), "spawn " + name + " " + kind_of(i));
      if (!answer.starts_with("spawned ")) {
        say("step " + case_.name + " 0 error: spawning " + name + ": " + answer);
        return false;
      }
      pid = static_cast<pid_t>(atoi(answer.c_str() + 8));
    }
    const auto hello = read_line(m.out, kReplyTimeoutMs);
    if (!hello || !hello->starts_with("hello ") || pid <= 1) {
      say("step " + case_.name + " 0 error: " + name + " did not start");
      return false;
    }
    m.pid = pid;
    return true;
  }

  // The forked child of the orchestrator: take the world's credentials, run the role.
  [[noreturn]] void become(const Proc& p, const std::string& name) {
    setpgid(0, pgid_ > 1 ? pgid_ : 0);
    const uid_t uid = numeric_uid(p.ruid);
    const gid_t gid = numeric_gid(p.rgid);
    if (uid != 0) {
      if (p.ambient) prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
      if (setgroups(0, nullptr) != 0 || setresgid(gid, gid, gid) != 0 ||
          setresuid(uid, uid, uid) != 0)
        _exit(80);
      if (p.ambient) {
        if (!set_caps(1ull << CAP_SYS_PTRACE)) _exit(81);
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_SYS_PTRACE, 0, 0) != 0) _exit(82);
      }
    }
    const std::string self = self_exe();
    execl(self.c_str(), self.c_str(), "--role", name.c_str(), "--dir", dir_.c_str(),
          static_cast<char*>(nullptr));
    _exit(83);
  }

  void send(size_t i, const std::string& line) {
    const std::string text = line + "\n";
    if (write(members_[i].in, text.data(), text.size()) < 0) return;
  }
  std::string receive(size_t i) {
    const auto line = read_line(members_[i].out, kReplyTimeoutMs);
    return line ? *line : "error: " + world_.names[i] + " did not answer";
  }
  std::string ask(size_t i, const std::string& line) {
    send(i, line);
    return receive(i);
  }

  void step(size_t index, const Label& l) {
    const size_t a = static_cast<size_t>(l.actor);
    const auto target_pid = [&] {
      return std::to_string(members_[static_cast<size_t>(l.target)].pid);
    };
    std::string seen;
    switch (l.act) {
    case Act::attach:
    case Act::seize:
      seen =
          ask(a, std::string(act_name(l.act)) + " " + target_pid() + " " + std::to_string(l.value));
      if (seen == "ok") tracer_[static_cast<size_t>(l.target)] = l.actor;
      break;
    case Act::traceme:
      seen = ask(a, "traceme");
      if (seen == "ok") tracer_[a] = world_.initial.procs[a].parent;
      break;
    case Act::exec_setuid:
    case Act::exec_plain: {
      const int8_t t = tracer_[a];
      if (t != kNone) send(static_cast<size_t>(t), "await_exec " + std::to_string(members_[a].pid));
      const std::string going = ask(a, std::string(act_name(l.act)));
      if (going != "exec") {
        seen = going;
        break;
      }
      if (t != kNone)
        say("detail " + case_.name + " " + std::to_string(index) + " " +
            receive(static_cast<size_t>(t)));
      const std::string hello = receive(a);
      // "hello PID uids=..." from the new image.
      const size_t at = hello.find(" uids=");
      seen = hello.starts_with("hello ") && at != std::string::npos ? hello.substr(at + 1) : hello;
      break;
    }
    case Act::set_ptracer:
      seen = ask(a, "set_ptracer " + target_pid());
      break;
    case Act::set_yama:
      seen = ask(a, "set_yama " + std::to_string(l.value));
      break;
    case Act::lower_euid:
    case Act::raise_euid:
    case Act::drop_to_user:
    case Act::set_nondumpable:
    case Act::drop_cap:
      seen = ask(a, std::string(act_name(l.act)));
      break;
    case Act::exit:
      seen = tracer_exit(a);
      break;
    default:
      seen = "error: no such step";
    }
    say("step " + case_.name + " " + std::to_string(index) + " " + seen);
  }

  // The tracer exits; each of its tracees is then killed (its pidfd turns readable) or runs on
  // with no tracer.
  std::string tracer_exit(size_t a) {
    std::vector<std::pair<size_t, int>> tracees;
    for (size_t i = 0; i < kProcs; ++i)
      if (tracer_[i] == static_cast<int8_t>(a))
        tracees.emplace_back(i, static_cast<int>(syscall(SYS_pidfd_open, members_[i].pid, 0)));
    const std::string bye = ask(a, "exit");
    if (bye != "bye") return bye;
    std::string out;
    for (auto [i, fd] : tracees) {
      std::string fate = "unknown";
      if (fd >= 0) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 2000) > 0) {
          fate = "killed";
        } else {
          const std::string tracer = status_field(members_[i].pid, "TracerPid");
          fate = tracer == "0" ? "untraced" : "traced-by-" + tracer;
        }
        close(fd);
      }
      out += (out.empty() ? "" : " ") + world_.names[i] + "=" + fate;
      tracer_[i] = kNone;
    }
    return out.empty() ? "none" : out;
  }

  void cleanup() {
    // Never kill(-1, ...): a group of this case's own, or nothing.
    if (pgid_ > 1) kill(-pgid_, SIGKILL);
    // Reap the case's processes (orphans come to us: we are the child subreaper).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      const pid_t got = waitpid(-1, &status, WNOHANG | __WALL);
      if (got < 0 && errno == ECHILD) break;
      if (got <= 0) usleep(5000);
    }
    for (Member& m : members_) {
      if (m.in >= 0) close(m.in);
      if (m.out >= 0) close(m.out);
    }
    for (size_t i = 0; i < kProcs; ++i)
      for (const char* suffix : {".in", ".out"})
        unlink((dir_ + "/" + world_.names[i] + suffix).c_str());
    rmdir(dir_.c_str());
  }

  const Case& case_;
  const World& world_;
  std::string dir_;
  pid_t pgid_ = -1;
  std::array<Member, kProcs> members_{};
  std::array<int8_t, kProcs> tracer_{kNone, kNone, kNone, kNone};
};

// The setuid-root copy of this binary, which exec_setuid runs.
bool make_setuid_copy(std::string* error) {
  const std::string bytes = read_file("/proc/self/exe");
  if (bytes.empty()) {
    *error = "cannot read /proc/self/exe";
    return false;
  }
  const int fd = open(kSetuidCopy, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
  if (fd < 0 || write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
    *error = std::string("cannot write ") + kSetuidCopy;
    return false;
  }
  close(fd);
  if (chown(kSetuidCopy, 0, 0) != 0 || chmod(kSetuidCopy, 04755) != 0) {
    *error = std::string("cannot make ") + kSetuidCopy + " setuid root";
    return false;
  }
  return true;
}

int orchestrate(bool yama3, const std::vector<std::string>& only) {
  // Only inside the VM: this switches uids, kills process groups and sets Yama for good.
  if (getppid() != 1 || getuid() != 0) {
    fprintf(stderr, "ptmc-sec-helper: --vm runs only as root under ptmc-qemu-init (pid 1)\n");
    return 2;
  }
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  umask(0);
  mkdir(kWorkDir, 0777);
  chmod(kWorkDir, 0777);
  int err = 0;
  // Debian's kernel can forbid unprivileged user namespaces; the cases need alice to make one.
  if (access("/proc/sys/kernel/unprivileged_userns_clone", F_OK) == 0)
    write_file("/proc/sys/kernel/unprivileged_userns_clone", "1", &err);
  std::string error;
  utsname u{};
  uname(&u);
  const std::string yama = access(kYamaScope, F_OK) == 0 ? read_file(kYamaScope) : "none";
  say(std::string("ptmc-sec-helper 1 ") + u.release +
      " yama=" + (yama.empty() ? "?" : yama.substr(0, yama.find('\n'))));
  if (!make_setuid_copy(&error)) {
    say("fatal " + error);
    return 1;
  }
  for (const Case& c : linux_cases()) {
    if ((c.yama == 3) != yama3) continue;
    if (!only.empty() && std::find(only.begin(), only.end(), c.name) == only.end()) continue;
    const World* w = find_world(c.world);
    if (!w) continue;
    CaseRun(c, *w).run();
  }
  say("done");
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  std::string role, dir;
  bool vm = false, yama3 = false;
  std::vector<std::string> only;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--role" && i + 1 < argc)
      role = argv[++i];
    else if (a == "--dir" && i + 1 < argc)
      dir = argv[++i];
    else if (a == "--vm")
      vm = true;
    else if (a == "--yama3")
      yama3 = true;
    else if (a == "--case" && i + 1 < argc)
      only.push_back(argv[++i]);
    else {
      fprintf(stderr, "usage: ptmc-sec-helper --vm [--yama3] [--case NAME]... | --role NAME "
                      "--dir DIR\n");
      return 2;
    }
  }
  if (!role.empty() && !dir.empty()) return Role(role, dir).run();
  if (vm) return orchestrate(yama3, only);
  fprintf(stderr, "ptmc-sec-helper: give --vm (inside the VM) or --role\n");
  return 2;
}
