// Scenarios that try to leave the sandbox (docs/containment.md), and what a real kernel must
// show for each: the same list runs on the host (test_containment.cpp) and under QEMU
// (tests/qemu/test_qemu.cpp). The expected lines follow from the kernel's code as cited in
// docs/containment.md, and were checked on the host (Linux 6.18) and on Debian's 6.1.
#pragma once

#include "scenario/scenario.hpp"
#include "scenario/syscalls.hpp"

#include <string>
#include <vector>

namespace ptmc::test {

struct ContainmentCase {
  std::string name;
  Scenario scenario;
  // Lines the trace must contain, in this order (not necessarily next to each other); the last
  // is the trace's last line.
  std::vector<std::string> lines;
};

inline Scenario containment_scenario(const std::string& text) {
  const ParseResult r = parse_scenario(text, "containment");
  return r.scenario ? *r.scenario : Scenario{};
}

// `nr N; syscall`, stepped through its syscall stops: the syscall-enter stop shows N, then either
// the sandbox kills the tracee or the syscall completes.
// With `orig_rax`, the tracer writes it at the syscall-enter stop.
inline Scenario syscall_scenario(int64_t nr, const std::string& orig_rax = "") {
  return containment_scenario(
      "ptmc-scenario 1\nprofile linux-x86_64\noptions tracesysgood\nprogram:\n  nr " +
      std::to_string(nr) + "\n  syscall\nactions:\n  syscall\n  syscall" +
      (orig_rax.empty() ? "" : " orig_rax=" + orig_rax) + "\n  cont\n");
}

inline std::string enter_line(int64_t nr) {
  return "syscall-enter at=2 sig=SIGTRAP code=0x85 op=entry rax=-38 orig_rax=" +
         std::to_string(nr) + " rbx=0 flags=ZF";
}

// The syscall-exit stop. A syscall the sandbox kills still has one, with rax = orig_rax:
// seccomp's kill rolls the registers back (kernel/seccomp.c syscall_rollback) and skips the
// syscall, and syscall exit work still reports to a PTRACE_SYSCALL tracer; the fatal SIGSYS
// comes on the way back to user mode, with no signal-delivery-stop (it is SA_IMMUTABLE).
inline std::string exit_line(const std::string& rax, int64_t orig_rax) {
  return "syscall-exit at=2 sig=SIGTRAP code=0x85 op=exit rax=" + rax +
         " orig_rax=" + std::to_string(orig_rax) + " rbx=0 flags=ZF";
}

inline std::vector<ContainmentCase> containment_cases() {
  std::vector<ContainmentCase> out;
  const std::string killed = "killed sig=SIGSYS written=0";
  // Processes, programs, memory, tracing, and one x32 number: none is on the allowlist.
  const std::pair<const char*, int64_t> denied[] = {{"clone", 56},
                                                    {"fork", 57},
                                                    {"vfork", 58},
                                                    {"execve", 59},
                                                    {"execveat", 322},
                                                    {"clone3", 435},
                                                    {"mmap", 9},
                                                    {"mprotect", 10},
                                                    {"munmap", 11},
                                                    {"brk", 12},
                                                    {"ptrace", 101},
                                                    {"tkill", 200},
                                                    {"x32-getpid", syscalls::kX32Bit + 39},
                                                    {"last-before-invalid", 511}};
  for (const auto& [name, nr] : denied)
    out.push_back({std::string("denied-") + name,
                   syscall_scenario(nr),
                   {enter_line(nr), exit_line(std::to_string(nr), nr), killed}});
  // Numbers no kernel assigns: through the sandbox, and the kernel says -ENOSYS.
  for (int64_t nr : {int64_t{syscalls::kFirstInvalid}, int64_t{547}, int64_t{548}, int64_t{999},
                     int64_t{syscalls::kX32Bit - 1}, int64_t{-2}})
    out.push_back({"invalid-" + std::to_string(nr),
                   syscall_scenario(nr),
                   {enter_line(nr), exit_line("-38", nr), "exited code=0 written=0"}});
  // The tracer turns getpid into fork at the syscall-enter stop: seccomp runs after that stop
  // and sees the new number.
  out.push_back({"tracer-orig-rax-fork",
                 syscall_scenario(39, "57"),
                 {enter_line(39), exit_line("57", 57), killed}});
  // The kernel dispatches on orig_rax's low 32 bits: 0x1_0000_0039 is fork, 0x1_0000_0027 is
  // getpid (and the sandbox agrees, since seccomp sees the same number).
  out.push_back({"upper-half-fork",
                 syscall_scenario(39, "0x100000039"),
                 {enter_line(39), exit_line("4294967353", 0x100000039), killed}});
  out.push_back({"upper-half-getpid",
                 syscall_scenario(999, "0x100000027"),
                 {enter_line(999), exit_line("pid", 0x100000027), "exited code=0 written=0"}});
  // In the handler rdi is the signal number: the tracer moves rip from the handler into the
  // program's kill, which becomes kill(10, SIGUSR1), a signal to another process.
  out.push_back(
      {"kill-another-pid",
       containment_scenario(R"(ptmc-scenario 1
profile linux-x86_64
program:
  nr kill
  arg SIGUSR1
  syscall
handler:
  nop
actions:
  cont
  singlestep sig=SIGUSR1
  cont rip=0
)"),
       {"signal at=3 sig=SIGUSR1 code=SI_USER op=none rax=0 orig_rax=62 rbx=0 flags=ZF", killed}});
  // kill(0, ...) stays allowed: the tracee signals its own process group (itself).
  out.push_back({"kill-own-group",
                 containment_scenario(R"(ptmc-scenario 1
profile linux-x86_64
program:
  nr kill
  arg SIGUSR2
  syscall
actions:
  cont
  cont sig=pass
)"),
                 {"signal at=3 sig=SIGUSR2 code=SI_USER op=none rax=0 orig_rax=62 rbx=0 flags=ZF",
                  "killed sig=SIGUSR2 written=0"}});
  return out;
}

// ---- arm64 (tests/qemu/test_qemu_aarch64.cpp, on Debian's 6.1 arm64 kernel) ------------------
// On arm64 the alphabet names only its own syscalls, so a tracer's syscallno at the entry stop of
// `nr getpid; svc` is the way to any other number.
inline Scenario aarch64_syscallno_scenario(int64_t syscallno) {
  return containment_scenario(
      "ptmc-scenario 1\nprofile linux-aarch64\noptions tracesysgood\nprogram:\n  nr getpid\n"
      "  syscall\nactions:\n  syscall\n  syscall syscallno=" +
      std::to_string(syscallno) + "\n  cont\n");
}

inline std::vector<ContainmentCase> containment_cases_aarch64() {
  std::vector<ContainmentCase> out;
  const std::string enter =
      "syscall-enter at=2 sig=SIGTRAP code=0x85 op=entry x0=0 x8=172 syscallno=172 x7=0 pstate=Z";
  // A killed syscall's exit stop: seccomp's kill rolls x0 back to orig_x0, the first argument,
  // here 0 (arch/arm64/include/asm/syscall.h syscall_rollback), and makes syscall_trace_enter
  // return NO_SYSCALL, which goes straight to the exit work (arch/arm64/kernel/syscall.c
  // el0_svc_common); syscallno keeps the tracer's number. SIGSYS is forced with SA_IMMUTABLE:
  // no signal-delivery-stop.
  const auto exit_line = [](const std::string& x0, int64_t syscallno) {
    return "syscall-exit at=2 sig=SIGTRAP code=0x85 op=exit x0=" + x0 +
           " x8=172 syscallno=" + std::to_string(syscallno) + " x7=1 pstate=Z";
  };
  const std::string killed = "killed sig=SIGSYS written=0";
  // include/uapi/asm-generic/unistd.h: arm64 has no fork or vfork; clone and clone3 make them.
  const std::pair<const char*, int64_t> denied[] = {{"clone", 220},
                                                    {"clone3", 435},
                                                    {"execve", 221},
                                                    {"execveat", 281},
                                                    {"mmap", 222},
                                                    {"mprotect", 226},
                                                    {"munmap", 215},
                                                    {"brk", 214},
                                                    {"ptrace", 117},
                                                    {"tkill", 130},
                                                    {"tgkill", 131},
                                                    {"openat", 56},
                                                    {"last-before-invalid", 511}};
  for (const auto& [name, nr] : denied)
    out.push_back({std::string("aarch64-denied-") + name,
                   aarch64_syscallno_scenario(nr),
                   {enter, exit_line("0", nr), killed}});
  // Past the table: through the sandbox, -ENOSYS from the kernel; exit_group(x0) then exits
  // with -38's low byte, 218.
  for (int64_t nr :
       {int64_t{syscalls::kFirstInvalid}, int64_t{999}, int64_t{0x40000027}, int64_t{-2}})
    out.push_back({"aarch64-invalid-" + std::to_string(nr),
                   aarch64_syscallno_scenario(nr),
                   {enter, exit_line("-38", nr), "exited code=218 written=0"}});
  // x0 is the last result: after a write of one byte, kill(1, SIGUSR1) would signal init.
  out.push_back({"aarch64-kill-init",
                 containment_scenario(R"(ptmc-scenario 1
profile linux-aarch64
program:
  nr write
  syscall
  nr kill
  arg SIGUSR1
  syscall
actions:
  cont
)"),
                 {"killed sig=SIGSYS written=1"}});
  // After getpid, kill(pid, SIGUSR2) signals the tracee itself: allowed.
  out.push_back({"aarch64-kill-self",
                 containment_scenario(R"(ptmc-scenario 1
profile linux-aarch64
program:
  nr getpid
  syscall
  nr kill
  arg SIGUSR2
  syscall
actions:
  cont
  cont sig=pass
)"),
                 {"killed sig=SIGUSR2 written=0"}});
  return out;
}

// Why `trace` does not show what `c` expects, or empty.
inline std::string containment_mismatch(const ContainmentCase& c, const Trace& trace) {
  std::vector<std::string> got;
  std::string shown;
  for (const TraceLine& l : trace) {
    got.push_back(format_trace_line(l));
    shown += "  " + got.back() + "\n";
  }
  size_t at = 0;
  for (const std::string& want : c.lines) {
    while (at < got.size() && got[at] != want) ++at;
    if (at == got.size()) return c.name + ": no line '" + want + "' in order in\n" + shown;
    ++at;
  }
  if (got.empty() || got.back() != c.lines.back())
    return c.name + ": the trace does not end with '" + c.lines.back() + "':\n" + shown;
  return {};
}

} // namespace ptmc::test
