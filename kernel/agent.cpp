// ptmc-agent: runs scenarios on the kernel it runs on and prints their canonical traces.
//
//   ptmc-agent [--timeout SECONDS] [--pin] BATCH|-
//
// --timeout: each wait for a tracee (default 2 s). --pin: pin the agent and its tracees to the
// CPU it started on (faster on an idle machine, slower on a busy one).
// Output: the protocol of kernel/agent_protocol.hpp. Each scenario runs in a forked child that
// makes itself a tracee (PTRACE_TRACEME) and stops with SIGSTOP; the agent then points rip at
// the scenario's code (kernel/codegen.hpp), which the child inherited mapped, and drives it with
// the scenario's actions. Everything the trace shows is read back through waitpid,
// PTRACE_GETSIGINFO, PTRACE_GET_SYSCALL_INFO and the registers (docs/trace-format.md): on x86_64
// PTRACE_GETREGS, on aarch64 PTRACE_GETREGSET with NT_PRSTATUS and NT_ARM_SYSTEM_CALL.
//
// The agent is built for one architecture (the machine's, and aarch64 with Debian's cross
// compiler for the qemu-aarch64 target) and runs the scenarios of that architecture only.
//
// A static binary with no threads: it is /init's only child inside the QEMU targets.
#include "kernel/agent.hpp"

#include "kernel/agent_protocol.hpp"
#include "kernel/codegen.hpp"
#include "scenario/syscalls.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace ptmc::kernel::agent {

namespace {

#if defined(__x86_64__)
constexpr Arch kAgentArch = Arch::x86_64;
#elif defined(__aarch64__)
constexpr Arch kAgentArch = Arch::aarch64;
#else
#error "ptmc-agent knows x86_64 and aarch64"
#endif

// ---- ptrace, by number (include/uapi/linux/ptrace.h, arch/x86/include/uapi/asm/ptrace-abi.h,
// arch/arm64/include/uapi/asm/ptrace.h: SYSEMU and SYSEMU_SINGLESTEP are 31 and 32 on both) ----
constexpr long kTraceMe = 0;
constexpr long kCont = 7;
constexpr long kKill = 8;
constexpr long kSingleStep = 9;
constexpr long kGetRegs = 12; // x86 only: arm64 has GETREGSET alone
constexpr long kSetRegs = 13;
constexpr long kDetach = 17;
constexpr long kSyscall = 24;
constexpr long kSysemu = 31;
constexpr long kSysemuSingleStep = 32;
constexpr long kSetOptions = 0x4200;
constexpr long kGetSigInfo = 0x4202;
constexpr long kGetRegSet = 0x4204;
constexpr long kSetRegSet = 0x4205;
constexpr long kGetSyscallInfo = 0x420e;
constexpr long kOptTraceSysGood = 1;
constexpr long kOptExitKill = 1L << 20;

// The head of struct ptrace_syscall_info: only `op` is read; the kernel copies at most the size
// given, so the tail is just room.
struct SyscallInfo {
  uint8_t op;
  uint8_t pad[3];
  uint32_t arch;
  uint64_t instruction_pointer;
  uint64_t stack_pointer;
  uint64_t rest[8];
};

// struct sigaction as the rt_sigaction syscall takes it (arch/x86/include/asm/signal.h).
struct KernelSigaction {
  uint64_t handler;
  uint64_t flags;
  uint64_t restorer;
  uint64_t mask;
};
constexpr uint64_t kSaSiginfo = 0x4;
constexpr uint64_t kSaRestorer = 0x04000000;

long pt(long request, pid_t pid, uintptr_t addr, uintptr_t data) {
  return syscall(SYS_ptrace, request, pid, addr, data);
}

const char* request_name(long r) {
  switch (r) {
  case kTraceMe:
    return "PTRACE_TRACEME";
  case kCont:
    return "PTRACE_CONT";
  case kKill:
    return "PTRACE_KILL";
  case kSingleStep:
    return "PTRACE_SINGLESTEP";
  case kGetRegs:
    return "PTRACE_GETREGS";
  case kSetRegs:
    return "PTRACE_SETREGS";
  case kGetRegSet:
    return "PTRACE_GETREGSET";
  case kSetRegSet:
    return "PTRACE_SETREGSET";
  case kDetach:
    return "PTRACE_DETACH";
  case kSyscall:
    return "PTRACE_SYSCALL";
  case kSysemu:
    return "PTRACE_SYSEMU";
  case kSysemuSingleStep:
    return "PTRACE_SYSEMU_SINGLESTEP";
  case kSetOptions:
    return "PTRACE_SETOPTIONS";
  case kGetSigInfo:
    return "PTRACE_GETSIGINFO";
  case kGetSyscallInfo:
    return "PTRACE_GET_SYSCALL_INFO";
  default:
    return "ptrace";
  }
}

double now_s() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::string errno_text(const char* what, int err) {
  return std::string(what) + ": " + strerror(err);
}

std::string format_seconds(double s) {
  char buf[32];
  snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

// ---- The tracee's registers ----------------------------------------------------------------
// What the trace shows and the tracer edits, per architecture: read at every stop, changed by
// the initial setup and by an action's edits, written back before the resume.
#if defined(__x86_64__)
class Registers {
public:
  // Returns the failing request and errno (0 on success).
  long read(pid_t pid) { return get(pid) ? 0 : kGetRegs; }
  uint64_t pc() const { return regs_.rip; }

  void set_initial(uint64_t entry) {
    regs_.rip = entry;
    regs_.rax = 0;
    regs_.rbx = 0;
    regs_.rdi = 0;
    regs_.rsi = kBufAddr;
    regs_.rdx = 1;
    regs_.orig_rax = ~0ULL; // -1: no syscall to restart
    regs_.eflags = kInitialFlags;
    dirty_ = true;
  }

  void edit(Reg reg, int64_t value, uint64_t pc) {
    switch (reg) {
    case Reg::orig_rax:
      regs_.orig_rax = static_cast<uint64_t>(value);
      break;
    case Reg::rax:
      regs_.rax = static_cast<uint64_t>(value);
      break;
    case Reg::rip:
      regs_.rip = pc;
      break;
    case Reg::tf:
      if (value != 0)
        regs_.eflags |= kFlagTF;
      else
        regs_.eflags &= ~kFlagTF;
      break;
    }
    dirty_ = true;
  }

  // Writes back what changed since the read: PTRACE_SETREGS, all of it.
  long write(pid_t pid) {
    if (!dirty_) return 0;
    dirty_ = false;
    return pt(kSetRegs, pid, 0, reinterpret_cast<uintptr_t>(&regs_)) == 0 ? 0 : kSetRegs;
  }

  template <class PidOr> void show(TraceLine& t, PidOr pid_or) const {
    t.arch = Arch::x86_64;
    t.rax = pid_or(regs_.rax);
    t.orig_rax = pid_or(regs_.orig_rax);
    t.rbx = regs_.rbx;
    t.tf = (regs_.eflags & kFlagTF) != 0;
    t.zf = (regs_.eflags & kFlagZF) != 0;
    t.cf = (regs_.eflags & kFlagCF) != 0;
  }

private:
  static constexpr uint64_t kFlagCF = 0x1, kFlagZF = 0x40, kFlagTF = 0x100;
  // ZF | PF | IF | the always-one bit 1; TF and CF clear.
  static constexpr uint64_t kInitialFlags = 0x246;

  bool get(pid_t pid) {
    dirty_ = false;
    return pt(kGetRegs, pid, 0, reinterpret_cast<uintptr_t>(&regs_)) == 0;
  }

  user_regs_struct regs_{};
  bool dirty_ = false;
};
#elif defined(__aarch64__)
// struct user_pt_regs (arch/arm64/include/uapi/asm/ptrace.h) through NT_PRSTATUS, and
// pt_regs->syscallno through NT_ARM_SYSTEM_CALL (arch/arm64/kernel/ptrace.c system_call_get/set).
// The two are written back separately and only when changed: every NT_PRSTATUS write goes
// through valid_user_regs, which rewrites PSTATE.SS (user_regs_reset_single_step), so writing
// back unchanged registers would itself be an edit.
class Registers {
public:
  long read(pid_t pid) {
    gprs_dirty_ = syscallno_dirty_ = false;
    iovec gprs{&regs_, sizeof regs_};
    if (pt(kGetRegSet, pid, kNtPrstatus, reinterpret_cast<uintptr_t>(&gprs)) != 0)
      return kGetRegSet;
    iovec nr{&syscallno_, sizeof syscallno_};
    if (pt(kGetRegSet, pid, kNtArmSystemCall, reinterpret_cast<uintptr_t>(&nr)) != 0)
      return kGetRegSet;
    return 0;
  }
  uint64_t pc() const { return regs_.pc; }

  void set_initial(uint64_t entry) {
    regs_.pc = entry;
    regs_.regs[0] = 0;
    regs_.regs[1] = kBufAddr;
    regs_.regs[2] = 1;
    regs_.regs[7] = 0;
    // x86_64 starts with rax = 0, which numbers read; so x8 starts with arm64's read, and a
    // syscall before any `nr` is read(0, buf, 1) on both.
    regs_.regs[8] = kNrRead;
    regs_.pstate = (regs_.pstate & ~kNzcv) | kZ; // Z set, N C V clear, as x86_64's ZF
    syscallno_ = -1;                             // NO_SYSCALL: nothing to restart
    gprs_dirty_ = syscallno_dirty_ = true;
  }

  void edit(Reg reg, int64_t value, uint64_t pc) {
    switch (reg) {
    case Reg::orig_rax:
      syscallno_ = static_cast<int32_t>(value); // the regset is one int
      syscallno_dirty_ = true;
      return;
    case Reg::rax:
      regs_.regs[0] = static_cast<uint64_t>(value);
      break;
    case Reg::rip:
      regs_.pc = pc;
      break;
    case Reg::tf:
      if (value != 0)
        regs_.pstate |= kSs;
      else
        regs_.pstate &= ~kSs;
      break;
    }
    gprs_dirty_ = true;
  }

  long write(pid_t pid) {
    if (gprs_dirty_) {
      gprs_dirty_ = false;
      iovec gprs{&regs_, sizeof regs_};
      if (pt(kSetRegSet, pid, kNtPrstatus, reinterpret_cast<uintptr_t>(&gprs)) != 0)
        return kSetRegSet;
    }
    if (syscallno_dirty_) {
      syscallno_dirty_ = false;
      iovec nr{&syscallno_, sizeof syscallno_};
      if (pt(kSetRegSet, pid, kNtArmSystemCall, reinterpret_cast<uintptr_t>(&nr)) != 0)
        return kSetRegSet;
    }
    return 0;
  }

  template <class PidOr> void show(TraceLine& t, PidOr pid_or) const {
    t.arch = Arch::aarch64;
    t.x0 = pid_or(regs_.regs[0]);
    t.x8 = pid_or(regs_.regs[8]);
    t.syscallno = pid_or(static_cast<uint64_t>(static_cast<int64_t>(syscallno_)));
    t.x7 = regs_.regs[7];
    t.n = (regs_.pstate & kN) != 0;
    t.z = (regs_.pstate & kZ) != 0;
    t.c = (regs_.pstate & kC) != 0;
    t.v = (regs_.pstate & kV) != 0;
    t.ss = (regs_.pstate & kSs) != 0;
  }

private:
  static constexpr uint64_t kNrRead = 63;              // include/uapi/asm-generic/unistd.h
  static constexpr uintptr_t kNtPrstatus = 1;          // include/uapi/linux/elf.h
  static constexpr uintptr_t kNtArmSystemCall = 0x404; // include/uapi/linux/elf.h
  static constexpr uint64_t kN = 1ULL << 31, kZ = 1ULL << 30, kC = 1ULL << 29, kV = 1ULL << 28;
  static constexpr uint64_t kNzcv = kN | kZ | kC | kV;
  static constexpr uint64_t kSs = 1ULL << 21; // DBG_SPSR_SS, asm/debug-monitors.h

  user_regs_struct regs_{}; // glibc's spelling of user_pt_regs
  int32_t syscallno_ = -1;
  bool gprs_dirty_ = false, syscallno_dirty_ = false;
};
#endif

// ---- The process-wide state ----------------------------------------------------------------
int g_devnull = -1;
bool g_mapped = false;
size_t g_code_dirty = 0; // how much of the code region the last scenario's image covered

// Writes the code image into the (normally read+exec) code region.
bool install_code(const Code& code, std::string* error) {
  void* base = reinterpret_cast<void*>(kCodeAddr);
  if (mprotect(base, kCodeSize, PROT_READ | PROT_WRITE) != 0) {
    *error = errno_text("mprotect", errno);
    return false;
  }
  // Only the part either image covers: the rest is int3 in both. Writing fewer pages also means
  // fewer copy-on-write faults, since the last child shared them.
  const size_t n = std::max(code.used, g_code_dirty);
  memcpy(base, code.bytes.data(), n);
  // arm64 does not keep the instruction cache coherent with data writes by itself (Arm ARM
  // "Cache maintenance requirements for self-modifying code"); x86 does, and this is a no-op.
  __builtin___clear_cache(static_cast<char*>(base), static_cast<char*>(base) + n);
  g_code_dirty = code.used;
  if (mprotect(base, kCodeSize, PROT_READ | PROT_EXEC) != 0) {
    *error = errno_text("mprotect", errno);
    return false;
  }
  // buf: one byte the tracee's write(0, buf, 1) sends.
  *reinterpret_cast<volatile uint8_t*>(kBufAddr) = 'p';
  return true;
}

// ---- The sandbox --------------------------------------------------------------------------
// A tracer can point the tracee anywhere: rip into the program from a handler (where rdi is the
// signal number), orig_rax (syscallno) to any number at a syscall-enter stop, or rip through
// rt_sigreturn into whatever the stack holds, and the tracee is a fork of this agent, with all
// its code mapped. As root, that is a process that could fork, exec or signal anything. So a
// seccomp filter lets through exactly what the model follows (scenario/syscalls.hpp, for the
// agent's architecture): the modelled syscalls, with the first argument as the alphabet can set
// it, -1, and the numbers no kernel assigns. Anything else, and any other ABI (x86's int 0x80,
// arm64's AArch32), kills the tracee with SIGSYS before the syscall runs; the tracer sees
// `killed sig=SIGSYS` (docs/containment.md). Seccomp runs after the ptrace entry stop
// (kernel/entry/common.c and arch/arm64/kernel/ptrace.c syscall_trace_enter), so it sees the
// tracer's number, and the syscalls it allows look exactly as without it.
constexpr uint32_t kAllow = SECCOMP_RET_ALLOW;
constexpr uint32_t kKillTracee = SECCOMP_RET_KILL_PROCESS;
constexpr uint32_t kAuditArch =
    kAgentArch == Arch::aarch64 ? AUDIT_ARCH_AARCH64 : AUDIT_ARCH_X86_64;

sock_filter ret(uint32_t action) {
  return BPF_STMT(BPF_RET | BPF_K, action);
}
sock_filter load(uint32_t offset) {
  return BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offset);
}
// if (A op k) skip `if_true` instructions, else skip `if_false`.
sock_filter jump(uint16_t op, uint32_t k, uint8_t if_true, uint8_t if_false) {
  return BPF_JUMP(BPF_JMP | op | BPF_K, k, if_true, if_false);
}

struct Sandbox {
  std::vector<sock_filter> filter;
  // Instructions that compare with the tracee's own pid, known only in the child.
  std::vector<size_t> own_pid_slots;
};

Sandbox build_sandbox() {
  using namespace ptmc::syscalls;
  Sandbox s;
  std::vector<sock_filter>& f = s.filter;
  f = {
      load(offsetof(seccomp_data, arch)),
      jump(BPF_JEQ, kAuditArch, 1, 0),
      ret(kKillTracee),
      // seccomp_data.nr is the int the kernel dispatches on (syscalls::dispatch_number). BPF
      // compares unsigned: negative numbers (-1 included) are 0x80000000 and up.
      load(offsetof(seccomp_data, nr)),
      jump(BPF_JGE, 0x80000000u, 0, 1),
      ret(kAllow),
  };
  if (kAgentArch == Arch::x86_64) {
    f.push_back(jump(BPF_JGE, static_cast<uint32_t>(kX32Bit), 0, 1));
    f.push_back(ret(kKillTracee));
  }
  f.push_back(jump(BPF_JGE, static_cast<uint32_t>(kFirstInvalid), 0, 1));
  f.push_back(ret(kAllow));
  // The first argument's low half: the kernel reads a pid or an fd as an int.
  const uint32_t arg0 = offsetof(seccomp_data, args[0]);
  for (const Modelled& m : modelled(kAgentArch)) {
    std::vector<sock_filter> check;
    bool own_pid = false;
    switch (m.first_arg) {
    case FirstArg::any:
      check = {ret(kAllow)};
      break;
    case FirstArg::zero:
      check = {load(arg0), jump(BPF_JEQ, 0, 0, 1), ret(kAllow), ret(kKillTracee)};
      break;
    case FirstArg::zero_or_ten:
      check = {load(arg0), jump(BPF_JEQ, 0, 1, 0), jump(BPF_JEQ, 10, 0, 1), ret(kAllow),
               ret(kKillTracee)};
      break;
    case FirstArg::zero_or_self:
      check = {load(arg0), jump(BPF_JEQ, 0, 1, 0), jump(BPF_JEQ, 0, 0, 1), ret(kAllow),
               ret(kKillTracee)};
      own_pid = true;
      break;
    }
    f.push_back(jump(BPF_JEQ, static_cast<uint32_t>(m.nr), 0, static_cast<uint8_t>(check.size())));
    if (own_pid) s.own_pid_slots.push_back(f.size() + 2);
    f.insert(f.end(), check.begin(), check.end());
  }
  f.push_back(ret(kKillTracee));
  return s;
}

// Built once in the agent, completed and installed in each child (after fork only
// async-signal-safe calls: the child writes its pid into its own copy).
Sandbox g_sandbox;

// ---- The child ----------------------------------------------------------------------------
// Runs between fork and the initial stop. Only async-signal-safe calls: the agent has one
// thread, but its stdio buffers are copies here and must never be flushed.
[[noreturn]] void child_main(int pipe_w, const Code& code) {
  setpgid(0, 0); // kill(0, sig) reaches the tracee alone
  if (dup2(pipe_w, 0) < 0) _exit(120);
  // The tracee never writes into the protocol or onto the console: on aarch64 its write's fd is
  // x0, the last result, which a tracer may set to anything.
  if (dup2(g_devnull, 1) < 0 || dup2(g_devnull, 2) < 0) _exit(121);
  if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0)
    for (int fd = 3; fd < 1024; ++fd) close(fd);
  limit_tracee();

  // Every signal at its default action (dispositions the agent's parent ignored survive exec),
  // then SIGUSR1's handler, all with the raw syscall so that glibc adds nothing.
  KernelSigaction dfl{};
  for (int s = 1; s <= 64; ++s)
    if (s != SIGKILL && s != SIGSTOP) syscall(SYS_rt_sigaction, s, &dfl, nullptr, 8);
  KernelSigaction usr1{};
  usr1.handler = code.handler_entry();
  usr1.flags = kSaSiginfo | kSaRestorer;
  usr1.restorer = code.restorer();
  usr1.mask = 0;
  if (syscall(SYS_rt_sigaction, SIGUSR1, &usr1, nullptr, 8) != 0) _exit(122);
  uint64_t none = 0;
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, nullptr, 8);

  if (pt(kTraceMe, 0, 0, 0) != 0) _exit(123);
  if (!install_sandbox()) _exit(125); // after TRACEME: the sandbox denies ptrace too
  // kill(0, ...), not raise(): glibc's raise blocks all signals around the kill, and the sandbox
  // allows only kill(0, ...). The initial stop therefore shows si_code SI_USER.
  syscall(SYS_kill, 0, SIGSTOP);
  _exit(124); // only if the tracer resumed us without moving rip
}

// ---- One run ------------------------------------------------------------------------------
class Run {
public:
  Run(const Scenario& s, const Code& code, double timeout)
      : s_(s), code_(code), timeout_(timeout) {}
  ScenarioRun go();

private:
  struct Failure {
    OutcomeStatus status;
    std::string message;
  };

  // Each returns false after recording a failure in `failure_`.
  bool call(long request, uintptr_t addr, uintptr_t data);
  bool wait_event(int& wstatus, const char* what);
  bool observe(int wstatus, bool initial);
  bool setup_initial();
  bool apply_edits(const Action& a);
  bool registers(long failed_request); // a Registers result: 0, or the request that failed
  void record_end(int wstatus);
  void fail(OutcomeStatus status, std::string message);
  int drain_pipe();

  const Scenario& s_;
  const Code& code_;
  double timeout_;
  pid_t pid_ = -1;
  int pipe_r_ = -1;
  int written_ = 0;
  bool reaped_ = false;
  bool pid_distinct_ = false; // pid_low_byte_is_distinct(pid_)
  Registers regs_;            // as read at the current stop
  Trace trace_;
  std::optional<Failure> failure_;
};

void Run::fail(OutcomeStatus status, std::string message) {
  if (!failure_) failure_ = Failure{status, std::move(message)};
}

bool Run::call(long request, uintptr_t addr, uintptr_t data) {
  if (pt(request, pid_, addr, data) == 0) return true;
  fail(OutcomeStatus::error, errno_text(request_name(request), errno));
  return false;
}

bool Run::wait_event(int& wstatus, const char* what) {
  const WaitResult w = wait_child(pid_, timeout_);
  if (w.status == WaitStatus::event) {
    wstatus = w.wstatus;
    if (WIFEXITED(wstatus) || WIFSIGNALED(wstatus)) reaped_ = true;
    return true;
  }
  if (w.status == WaitStatus::timeout) {
    kill_and_reap(pid_);
    reaped_ = true;
    TraceLine h;
    h.kind = StopKind::hang;
    trace_.push_back(h);
    fail(OutcomeStatus::hang, std::string("no ") + what + " within " + format_seconds(timeout_) +
                                  "s after " + std::to_string(trace_.size() - 1) + " trace lines");
    return false;
  }
  fail(OutcomeStatus::error, errno_text("waitpid", w.error));
  return false;
}

int Run::drain_pipe() {
  char buf[4096];
  for (;;) {
    const ssize_t n = read(pipe_r_, buf, sizeof buf);
    if (n > 0) {
      written_ += static_cast<int>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break; // 0: every writer gone; EAGAIN: nothing more for now
  }
  return written_;
}

void Run::record_end(int wstatus) {
  TraceLine t;
  if (WIFEXITED(wstatus)) {
    t.kind = StopKind::exited;
    t.exit_code = WEXITSTATUS(wstatus);
    // On aarch64 exit_group's argument is x0, the last result: after getpid the exit code is
    // the pid's low byte, which differs from run to run. The pid was picked so that its low
    // byte is no other value a program computes (pid_low_byte_is_distinct), so this is exact.
    if (kAgentArch == Arch::aarch64 && pid_distinct_ && t.exit_code == (pid_ & 0xff))
      t.exit_code = static_cast<int>(kPidToken);
  } else {
    t.kind = StopKind::killed;
    t.signal = WTERMSIG(wstatus); // the core-dump bit is not part of it
  }
  t.written = drain_pipe();
  trace_.push_back(t);
}

bool Run::observe(int wstatus, bool initial) {
  const int stopsig = WSTOPSIG(wstatus);
  TraceLine t;
  t.signal = stopsig & 0x7f;

  siginfo_t si{};
  if (pt(kGetSigInfo, pid_, 0, reinterpret_cast<uintptr_t>(&si)) == 0) {
    t.si_code = si.si_code;
  } else if (errno == EINVAL) {
    t.si_code = 0; // a group-stop has no siginfo (ptrace(2), "Group-stop")
  } else {
    fail(OutcomeStatus::error, errno_text("PTRACE_GETSIGINFO", errno));
    return false;
  }

  SyscallInfo info{};
  if (pt(kGetSyscallInfo, pid_, sizeof info, reinterpret_cast<uintptr_t>(&info)) >= 0) {
    t.op = static_cast<SyscallOp>(info.op);
  } else if (errno == EIO || errno == EINVAL) {
    t.op = SyscallOp::none; // a kernel before 5.3
  } else {
    fail(OutcomeStatus::error, errno_text("PTRACE_GET_SYSCALL_INFO", errno));
    return false;
  }

  if (!registers(regs_.read(pid_))) return false;
  t.at = code_.loc_of(regs_.pc());
  const auto pid_or = [this](uint64_t v) {
    const auto value = static_cast<int64_t>(v);
    return value == static_cast<int64_t>(pid_) ? kPidToken : value;
  };
  regs_.show(t, pid_or);

  // The kind from the observables alone (docs/trace-format.md), by the same function the model
  // uses. With TRACESYSGOOD the stop signal's 0x80 bit and si_code SIGTRAP|0x80 go together
  // (ptrace_report_syscall sends one as the other), so si_code alone decides syscall stops.
  t.kind = initial ? StopKind::initial : classify_stop(t.signal, t.si_code, t.op, kAgentArch);
  trace_.push_back(t);
  return true;
}

bool Run::setup_initial() {
  long options = kOptExitKill;
  if (s_.options.tracesysgood) options |= kOptTraceSysGood;
  if (!call(kSetOptions, 0, static_cast<uintptr_t>(options))) return false;
  if (!registers(regs_.read(pid_))) return false;
  regs_.set_initial(code_.entry());
  return registers(regs_.write(pid_));
}

bool Run::registers(long failed_request) {
  if (failed_request == 0) return true;
  fail(OutcomeStatus::error, errno_text(request_name(failed_request), errno));
  return false;
}

bool Run::apply_edits(const Action& a) {
  if (a.edits.empty()) return true;
  for (const Edit& e : a.edits) {
    uint64_t pc = 0;
    if (e.reg == Reg::rip) {
      const auto addr = code_.addr_of(e.loc);
      if (!addr) {
        fail(OutcomeStatus::error, std::string(edit_key(Reg::rip, kAgentArch)) + "=" +
                                       format_loc(e.loc) + " names no instruction of the scenario");
        return false;
      }
      pc = *addr;
    }
    regs_.edit(e.reg, e.value, pc);
  }
  return registers(regs_.write(pid_));
}

long request_number(Request r) {
  switch (r) {
  case Request::cont:
    return kCont;
  case Request::syscall:
    return kSyscall;
  case Request::singlestep:
    return kSingleStep;
  case Request::sysemu:
    return kSysemu;
  case Request::sysemu_singlestep:
    return kSysemuSingleStep;
  case Request::detach:
    return kDetach;
  case Request::kill:
    return kKill;
  }
  return kCont;
}

// The lowest pid a tracee may have; see Run::go.
constexpr pid_t kLowestPid = 10000;

// In a freshly booted VM pids start near 100, and after pid_max they start again near 300:
// discarding children until one passes kLowestPid would take thousands of forks. Move the pid
// counter there instead (root; Documentation/admin-guide/sysctl/kernel.rst ns_last_pid). Called
// only when a pid below kLowestPid turns up, so a machine whose pids are past it is left alone.
void skip_low_pids() {
  const int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  const std::string value = std::to_string(kLowestPid);
  if (write(fd, value.data(), value.size()) < 0) {
    // Not allowed here: Run::go discards low pids one by one instead.
  }
  close(fd);
}

// Whether an exit code equal to the pid's low byte can only be exit_group(pid) (record_end):
// not 0-15 (results and signal numbers), not 200-255 (the low byte of -1..-56, the errnos a
// syscall returns) and not 4242's (kTracerResult, the explorer's result edit).
bool pid_low_byte_is_distinct(pid_t pid) {
  const int low = pid & 0xff;
  return low > 15 && low < 200 && low != (kTracerResult & 0xff);
}

ScenarioRun Run::go() {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0)
    return ScenarioRun{OutcomeStatus::error, {}, errno_text("pipe", errno)};
  // Only the agent's end is non-blocking: the tracee's write(2) keeps its ordinary semantics.
  fcntl(p[0], F_SETFL, O_NONBLOCK);
  pipe_r_ = p[0];

  // The trace prints a register equal to the tracee's pid as `pid` (getpid's result differs
  // between runs). A pid that is also a value the program can compute (a syscall number, an
  // errno, 4242) would be misread, and pids do come round again after many forks (seen: pid 999
  // after 380,000 scenarios). So a child with a pid below kLowestPid is discarded and another
  // forked; it is stopped in its initial stop, or dead, so killing it is harmless.
  for (int attempt = 0;; ++attempt) {
    pid_ = fork();
    if (pid_ < 0) {
      const int err = errno;
      close(p[0]);
      close(p[1]);
      return ScenarioRun{OutcomeStatus::error, {}, errno_text("fork", err)};
    }
    if (pid_ == 0) child_main(p[1], code_);
    pid_distinct_ = pid_low_byte_is_distinct(pid_);
    const bool distinct = kAgentArch != Arch::aarch64 || pid_distinct_;
    if ((pid_ >= kLowestPid && distinct) || attempt >= 64) break;
    kill_and_reap(pid_);
    if (pid_ < kLowestPid) skip_low_pids();
  }
  close(p[1]);

  const Action kill_action{Request::kill, sig::none, false, {}};
  int wstatus = 0;
  bool cut = false; // the repeat cap ended the run, not the tracee
  do {
    if (!wait_event(wstatus, "initial stop")) break;
    if (!WIFSTOPPED(wstatus)) {
      char what[64];
      if (WIFEXITED(wstatus))
        snprintf(what, sizeof what, "exited with %d", WEXITSTATUS(wstatus));
      else
        snprintf(what, sizeof what, "was killed by signal %d", WTERMSIG(wstatus));
      fail(OutcomeStatus::error, std::string("the tracee ") + what + " before its initial stop");
      break;
    }
    if (!setup_initial() || !observe(wstatus, true)) break;

    Request last_request = Request::cont; // what the model assumes before the first action
    size_t next_action = 0;
    int repeats = 0;
    for (;;) {
      const Action* a = nullptr;
      if (next_action < s_.actions.size()) {
        a = &s_.actions[next_action++];
      } else if (s_.repeat && repeats < s_.repeat_max) {
        a = &*s_.repeat;
        ++repeats;
      } else if (s_.repeat) {
        cut = true; // the trace ends with the last stop seen
        break;
      } else {
        a = &kill_action;
      }
      if (!apply_edits(*a)) break;
      const int signal = a->pass ? tracer_pass_signal(trace_.back(), last_request) : a->signal;
      last_request = a->request;
      if (a->request == Request::detach) {
        TraceLine d;
        d.kind = StopKind::detached;
        trace_.push_back(d);
      }
      if (!call(request_number(a->request), 0, static_cast<uintptr_t>(signal))) break;
      if (!wait_event(wstatus, a->request == Request::detach ? "end after detach" : "stop")) break;
      if (WIFSTOPPED(wstatus)) {
        if (!observe(wstatus, false)) break;
        continue;
      }
      record_end(wstatus);
      break;
    }
  } while (false);

  if (!reaped_) kill_and_reap(pid_);
  if (cut) drain_pipe();
  close(pipe_r_);
  ScenarioRun out;
  out.trace = std::move(trace_);
  if (failure_) {
    out.status = failure_->status;
    out.message = failure_->message;
  } else {
    out.status = OutcomeStatus::ok;
  }
  return out;
}

void write_all(const std::string& s) {
  fwrite(s.data(), 1, s.size(), stdout);
}

bool read_input(const char* path, std::string& out, std::string* error) {
  int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = errno_text(path, errno);
    return false;
  }
  char buf[65536];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = errno_text(path, errno);
      if (fd != 0) close(fd);
      return false;
    }
    break;
  }
  if (fd != 0) close(fd);
  return true;
}

} // namespace

// ---- The tracee's limits and sandbox ------------------------------------------------------------
namespace {

// The first number of /proc/self/statm: the address space in pages. Only async-signal-safe
// calls (it runs in the child); 0 when /proc is not there.
uint64_t address_space_bytes() {
  const int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[64];
  const ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  uint64_t pages = 0;
  for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; ++i)
    pages = pages * 10 + static_cast<uint64_t>(buf[i] - '0');
  return pages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

} // namespace

void limit_tracee() {
  // SIGTRAP's default action dumps core; RLIMIT_CORE = 0 stops a plain core_pattern, but not a
  // pipe to a crash collector. A non-dumpable process dumps no core at all (fs/coredump.c).
  const rlimit core{0, 0};
  setrlimit(RLIMIT_CORE, &core);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  // Every wait on a tracee has a timeout, but a tracee that spins where nobody waits (detached,
  // and the agent gone) must end too: at the hard limit the kernel sends SIGKILL
  // (kernel/time/posix-cpu-timers.c check_process_timers).
  const rlimit cpu{kTraceeCpuSeconds, kTraceeCpuSeconds};
  setrlimit(RLIMIT_CPU, &cpu);
  // The sandbox already denies mmap and brk; this bounds the one way left to grow, the stack,
  // which only signal frames and pushf use.
  if (const uint64_t used = address_space_bytes(); used > 0) {
    const rlimit as{used + kTraceeSpareBytes, used + kTraceeSpareBytes};
    setrlimit(RLIMIT_AS, &as);
  }
}

bool install_sandbox() {
  if (g_sandbox.filter.empty()) return false; // init() builds it
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return false;
  for (size_t slot : g_sandbox.own_pid_slots)
    g_sandbox.filter[slot].k = static_cast<uint32_t>(getpid());
  const sock_fprog prog{static_cast<unsigned short>(g_sandbox.filter.size()),
                        g_sandbox.filter.data()};
  return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0;
}

// ---- Waiting --------------------------------------------------------------------------------
void block_sigchld() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, nullptr);
}

WaitResult wait_child(pid_t pid, double timeout_s) {
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  const double deadline = now_s() + timeout_s;
  for (;;) {
    int wstatus = 0;
    const pid_t r = waitpid(pid, &wstatus, WNOHANG | __WALL);
    if (r == pid) return WaitResult{WaitStatus::event, wstatus, 0};
    if (r < 0 && errno != EINTR) return WaitResult{WaitStatus::error, 0, errno};
    const double left = deadline - now_s();
    if (left <= 0) return WaitResult{WaitStatus::timeout, 0, 0};
    // SIGCHLD is blocked, so one that arrives between the waitpid and here stays pending and
    // ends this sleep at once. A ptrace stop sends the tracer SIGCHLD too (kernel/signal.c,
    // ptrace_stop -> do_notify_parent_cldstop).
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(left);
    ts.tv_nsec = static_cast<long>((left - std::floor(left)) * 1e9);
    sigtimedwait(&chld, nullptr, &ts);
  }
}

void kill_and_reap(pid_t pid) {
  kill(pid, SIGKILL);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, __WALL) < 0 && errno == EINTR) {
  }
}

bool init(std::string* error) {
  // fds 0-2 open, so that no pipe the agent makes lands on them.
  for (int fd = 0; fd <= 2; ++fd) {
    if (fcntl(fd, F_GETFD) >= 0) continue;
    const int n = open("/dev/null", O_RDWR);
    if (n >= 0 && n != fd) {
      dup2(n, fd);
      close(n);
    }
  }
  if (g_devnull < 0) g_devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (g_devnull < 0) {
    *error = errno_text("/dev/null", errno);
    return false;
  }
  block_sigchld();
  if (g_sandbox.filter.empty()) g_sandbox = build_sandbox();
  if (getpid() < kLowestPid) skip_low_pids();
  if (!g_mapped) {
    void* c = mmap(reinterpret_cast<void*>(kCodeAddr), kCodeSize, PROT_READ | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (c != reinterpret_cast<void*>(kCodeAddr)) {
      *error = errno_text("mmap of the code region", c == MAP_FAILED ? errno : EEXIST);
      return false;
    }
    void* d = mmap(reinterpret_cast<void*>(kDataAddr), kDataSize, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (d != reinterpret_cast<void*>(kDataAddr)) {
      *error = errno_text("mmap of the data page", d == MAP_FAILED ? errno : EEXIST);
      return false;
    }
    g_mapped = true;
    g_code_dirty = kCodeSize; // zeros so far: the first image writes it all
  }
  return true;
}

ScenarioRun run_scenario(const Scenario& s, double timeout_s) {
  if (s.arch() != kAgentArch)
    return ScenarioRun{OutcomeStatus::error,
                       {},
                       "this agent runs " + std::string(arch_name(kAgentArch)) +
                           " scenarios; the profile " + s.profile + " is " +
                           std::string(arch_name(s.arch()))};
  std::string error;
  const std::optional<Code> code = generate(s, &error);
  if (!code) return ScenarioRun{OutcomeStatus::error, {}, error};
  if (!install_code(*code, &error)) return ScenarioRun{OutcomeStatus::error, {}, error};
  Run run(s, *code, timeout_s);
  return run.go();
}

int agent_main(int argc, char** argv) {
  double timeout = 2.0;
  bool pin = false;
  const char* input = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--pin") == 0) {
      pin = true;
    } else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
      char* end = nullptr;
      timeout = strtod(argv[++i], &end);
      if (!end || *end != '\0' || !(timeout > 0)) {
        fprintf(stderr, "ptmc-agent: bad --timeout %s\n", argv[i]);
        return 2;
      }
    } else if (!input) {
      input = argv[i];
    } else {
      fprintf(stderr, "usage: ptmc-agent [--timeout SECONDS] [--pin] BATCH|-\n");
      return 2;
    }
  }
  if (!input) {
    fprintf(stderr, "usage: ptmc-agent [--timeout SECONDS] [--pin] BATCH|-\n");
    return 2;
  }

  static char outbuf[1 << 16];
  setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
  utsname u{};
  uname(&u);
  write_all(format_agent_header(u.release, arch_name(kAgentArch)));
  fflush(stdout);

  const auto fatal = [](const std::string& message) {
    write_all(format_agent_fatal(message));
    fflush(stdout);
    fprintf(stderr, "ptmc-agent: %s\n", message.c_str());
    return 2;
  };

  std::string text, error;
  // Map the fixed code and data regions before the heap grows: a large batch parsed first can
  // push the brk heap into them (kernel/codegen.hpp says where the heap was seen).
  if (!init(&error)) return fatal(error);
  if (!read_input(input, text, &error)) return fatal(error);
  const BatchParseResult batch = parse_batch(text, strcmp(input, "-") == 0 ? "<stdin>" : input);
  if (batch.error) return fatal(batch.error->what());
  // The agent and its tracees take turns, never run at once: on one CPU each ptrace stop is a
  // plain switch, while across CPUs it is a wakeup of an idle CPU (slow in a VM). The children
  // inherit the mask. Measured on an idle 2-vCPU VM: about twice the scenarios per second; but
  // on a loaded machine the pinned CPU may be the busy one, so it is not the default.
  if (pin) {
    const int cpu = sched_getcpu();
    cpu_set_t set;
    CPU_ZERO(&set);
    if (cpu >= 0) {
      CPU_SET(cpu, &set);
      sched_setaffinity(0, sizeof set, &set);
    }
  }

  for (size_t k = 0; k < batch.scenarios.size(); ++k) {
    const ScenarioRun run = run_scenario(batch.scenarios[k], timeout);
    write_all(format_agent_result(k, run.status, run.trace, run.message));
    fflush(stdout);
  }
  write_all(format_agent_done(batch.scenarios.size()));
  fflush(stdout);
  return 0;
}

} // namespace ptmc::kernel::agent

#ifndef PTMC_AGENT_NO_MAIN
int main(int argc, char** argv) {
  return ptmc::kernel::agent::agent_main(argc, argv);
}
#endif
