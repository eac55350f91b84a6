// ptmc-regs-bench: RFC question 4, "is the register struct so big that single registers must be
// writable?", measured. Against a tracee held in a signal-delivery-stop it times each way Linux
// x86_64 offers to read and write registers through ptrace:
//
//   getregs / setregs         PTRACE_GETREGS / SETREGS, the whole user_regs_struct (216 bytes)
//   peekuser / pokeuser       PTRACE_PEEKUSER / POKEUSER, one register (8 bytes)
//   getregset / setregset     PTRACE_GETREGSET / SETREGSET with NT_PRSTATUS (the same 216 bytes)
//   getfpregs / setfpregs     PTRACE_GETFPREGS / SETFPREGS, the 512-byte FXSAVE area
//   getregset-xstate          PTRACE_GETREGSET with NT_X86_XSTATE, the CPU's whole XSAVE area
//                             (when the CPU has XSAVE; QEMU's TCG CPU has not)
//   floor                     PTRACE_GETEVENTMSG: a ptrace call on the stopped tracee that
//                             moves no registers (8 bytes), the fixed cost every call pays
//
// Each figure is the median over many rounds of the per-call time of a batch of calls, with the
// 10th and 90th percentiles as the spread; the operations take turns within each round, so load
// from other processes falls on all of them alike. From the medians come the break-even numbers
// of registers (how many single-register calls one whole-struct call is worth).
//
// It runs on the host kernel, and with --qemu also inside Debian's kernel under QEMU (the same
// static binary as the VM's payload, run with --in-vm) as a cross-check: TCG's timings say little
// about hardware. Every run records the machine's load (/proc/loadavg, as `uptime` prints it),
// because a loaded machine inflates and spreads the figures. Before timing, it checks that the
// paths read and write the same registers (a POKEUSER is seen by GETREGS and GETREGSET, a SETREGS
// by PEEKUSER), so the figures are of working register access.
//
//   ptmc-regs-bench [--qemu] [--rounds N] [--batch N] [--qemu-rounds N] [--json FILE]
//
// scripts/rfc-data.sh q4 runs it as the RFC answer's data wants it (reports/data/rfc/).
#include "kernel/qemu.hpp"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstddef>
#include <cstring>
#include <ctime>
#include <elf.h>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

// ordered: the figures keep the order they are measured and printed in.
using json = nlohmann::ordered_json;

constexpr const char* kReady = "ptmc-regs-bench 1";
constexpr const char* kResultPrefix = "ptmc-regs-bench-json ";

struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void fail_errno(const std::string& what) {
  throw Failure(what + ": " + strerror(errno));
}

std::string read_text(const char* path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  std::string t = s.str();
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  return t;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("model name")) {
      const size_t colon = line.find(':');
      return colon == std::string::npos ? line : line.substr(colon + 2);
    }
  return "unknown";
}

long online_cpus() {
  return sysconf(_SC_NPROCESSORS_ONLN);
}

// The load figures `uptime` prints: 1, 5 and 15-minute averages, and runnable/total tasks.
json load_now() {
  const std::string avg = read_text("/proc/loadavg");
  std::istringstream in(avg);
  double l1 = 0, l5 = 0, l15 = 0;
  std::string tasks;
  in >> l1 >> l5 >> l15 >> tasks;
  return {{"load_average", fmt::format("{:.2f}, {:.2f}, {:.2f}", l1, l5, l15)},
          {"loadavg", avg},
          {"load1", l1},
          {"load5", l5},
          {"load15", l15},
          {"cpus", online_cpus()}};
}

std::string iso_now() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// ---- The tracee ---------------------------------------------------------------------------------

// A child that asks to be traced and stops itself: it stays in that signal-delivery-stop, where
// every register request works, until it is killed.
class StoppedTracee {
public:
  StoppedTracee() {
    pid_ = fork();
    if (pid_ < 0) fail_errno("fork");
    if (pid_ == 0) {
      if (ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) _exit(120);
      raise(SIGSTOP);
      _exit(121); // never resumed
    }
    // Wait for the stop, for at most five seconds.
    for (int tries = 0;; ++tries) {
      int status = 0;
      const pid_t got = waitpid(pid_, &status, WNOHANG);
      if (got == pid_) {
        if (WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP) return;
        throw Failure("the tracee did not stop with SIGSTOP (wait status " +
                      std::to_string(status) + ")");
      }
      if (got < 0 && errno != EINTR) fail_errno("waitpid");
      if (tries >= 500) {
        kill(pid_, SIGKILL);
        throw Failure("the tracee did not stop within 5 s");
      }
      usleep(10000);
    }
  }
  ~StoppedTracee() {
    kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  StoppedTracee(const StoppedTracee&) = delete;
  StoppedTracee& operator=(const StoppedTracee&) = delete;
  pid_t pid() const { return pid_; }

private:
  pid_t pid_ = -1;
};

// ---- The operations -----------------------------------------------------------------------------

struct Operation {
  const char* name;
  const char* request; // as the kernel names it
  size_t bytes;        // what one call moves
  std::function<long()> call;
};

constexpr size_t kRaxOffset = offsetof(struct user, regs) + offsetof(user_regs_struct, rax);

struct Buffers {
  user_regs_struct regs{};
  user_fpregs_struct fpregs{};
  std::vector<unsigned char> xstate = std::vector<unsigned char>(16384);
  size_t xstate_bytes = 0;
  unsigned long message = 0;
};

long checked(long rc, const char* what) {
  if (rc < 0) fail_errno(what);
  return rc;
}

// The register file as GETREGSET/NT_PRSTATUS returns it.
user_regs_struct getregset(pid_t pid) {
  user_regs_struct r{};
  iovec io{&r, sizeof r};
  checked(ptrace(PTRACE_GETREGSET, pid, reinterpret_cast<void*>(NT_PRSTATUS), &io),
          "PTRACE_GETREGSET");
  if (io.iov_len != sizeof r) throw Failure("PTRACE_GETREGSET returned an unexpected size");
  return r;
}

user_regs_struct getregs(pid_t pid) {
  user_regs_struct r{};
  checked(ptrace(PTRACE_GETREGS, pid, nullptr, &r), "PTRACE_GETREGS");
  return r;
}

long peek_rax(pid_t pid) {
  errno = 0;
  const long v = ptrace(PTRACE_PEEKUSER, pid, reinterpret_cast<void*>(kRaxOffset), nullptr);
  if (errno != 0) fail_errno("PTRACE_PEEKUSER");
  return v;
}

// The paths must agree before their speed means anything: a POKEUSER is seen by GETREGS and by
// GETREGSET, a SETREGS by PEEKUSER, and the tracee's registers are left as they were.
void verify_paths(pid_t pid) {
  const user_regs_struct before = getregs(pid);
  const user_regs_struct as_regset = getregset(pid);
  if (memcmp(&before, &as_regset, sizeof before) != 0)
    throw Failure("GETREGS and GETREGSET(NT_PRSTATUS) disagree");
  if (peek_rax(pid) != static_cast<long>(before.rax))
    throw Failure("PEEKUSER(rax) disagrees with GETREGS");
  const unsigned long probe = before.rax ^ 0x5a5a5a5a5a5aUL;
  checked(ptrace(PTRACE_POKEUSER, pid, reinterpret_cast<void*>(kRaxOffset),
                 reinterpret_cast<void*>(probe)),
          "PTRACE_POKEUSER");
  if (getregs(pid).rax != probe) throw Failure("GETREGS does not see a POKEUSER to rax");
  if (getregset(pid).rax != probe) throw Failure("GETREGSET does not see a POKEUSER to rax");
  user_regs_struct edited = before;
  edited.rax = probe + 1;
  checked(ptrace(PTRACE_SETREGS, pid, nullptr, &edited), "PTRACE_SETREGS");
  if (peek_rax(pid) != static_cast<long>(probe + 1))
    throw Failure("PEEKUSER does not see a SETREGS of rax");
  checked(ptrace(PTRACE_SETREGS, pid, nullptr, &before), "PTRACE_SETREGS");
  const user_regs_struct restored = getregs(pid);
  if (memcmp(&before, &restored, sizeof before) != 0)
    throw Failure("SETREGS did not restore the registers");
}

std::vector<Operation> operations(pid_t pid, Buffers& b) {
  b.regs = getregs(pid);
  checked(ptrace(PTRACE_GETFPREGS, pid, nullptr, &b.fpregs), "PTRACE_GETFPREGS");
  {
    // A CPU without XSAVE (QEMU's TCG default) has no NT_X86_XSTATE: ENODEV, and no such row.
    iovec io{b.xstate.data(), b.xstate.size()};
    if (ptrace(PTRACE_GETREGSET, pid, reinterpret_cast<void*>(NT_X86_XSTATE), &io) == 0)
      b.xstate_bytes = io.iov_len;
    else if (errno != ENODEV)
      fail_errno("PTRACE_GETREGSET(NT_X86_XSTATE)");
  }
  void* const rax = reinterpret_cast<void*>(kRaxOffset);
  void* const rax_value = reinterpret_cast<void*>(b.regs.rax);
  std::vector<Operation> ops = {
      {"floor", "PTRACE_GETEVENTMSG", sizeof b.message,
       [pid, &b] { return ptrace(PTRACE_GETEVENTMSG, pid, nullptr, &b.message); }},
      {"getregs", "PTRACE_GETREGS", sizeof b.regs,
       [pid, &b] { return ptrace(PTRACE_GETREGS, pid, nullptr, &b.regs); }},
      {"setregs", "PTRACE_SETREGS", sizeof b.regs,
       [pid, &b] { return ptrace(PTRACE_SETREGS, pid, nullptr, &b.regs); }},
      {"peekuser", "PTRACE_PEEKUSER", sizeof(long),
       [pid, rax] {
         // PEEKUSER returns the value; only errno tells a failure.
         errno = 0;
         ptrace(PTRACE_PEEKUSER, pid, rax, nullptr);
         return errno ? -1L : 0L;
       }},
      {"pokeuser", "PTRACE_POKEUSER", sizeof(long),
       [pid, rax, rax_value] { return ptrace(PTRACE_POKEUSER, pid, rax, rax_value); }},
      {"getregset", "PTRACE_GETREGSET NT_PRSTATUS", sizeof b.regs,
       [pid, &b] {
         iovec io{&b.regs, sizeof b.regs};
         return ptrace(PTRACE_GETREGSET, pid, reinterpret_cast<void*>(NT_PRSTATUS), &io);
       }},
      {"setregset", "PTRACE_SETREGSET NT_PRSTATUS", sizeof b.regs,
       [pid, &b] {
         iovec io{&b.regs, sizeof b.regs};
         return ptrace(PTRACE_SETREGSET, pid, reinterpret_cast<void*>(NT_PRSTATUS), &io);
       }},
      {"getfpregs", "PTRACE_GETFPREGS", sizeof b.fpregs,
       [pid, &b] { return ptrace(PTRACE_GETFPREGS, pid, nullptr, &b.fpregs); }},
      {"setfpregs", "PTRACE_SETFPREGS", sizeof b.fpregs,
       [pid, &b] { return ptrace(PTRACE_SETFPREGS, pid, nullptr, &b.fpregs); }},
  };
  if (b.xstate_bytes > 0)
    ops.push_back({"getregset-xstate", "PTRACE_GETREGSET NT_X86_XSTATE", b.xstate_bytes, [pid, &b] {
                     iovec io{b.xstate.data(), b.xstate_bytes};
                     return ptrace(PTRACE_GETREGSET, pid, reinterpret_cast<void*>(NT_X86_XSTATE),
                                   &io);
                   }});
  return ops;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const double at = p * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(at));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (at - static_cast<double>(lo));
}

double now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// Runs the measurement in this process and returns its figures (one kernel's "run" object).
json measure(int rounds, int batch) {
  const json load_before = load_now();
  const auto t0 = std::chrono::steady_clock::now();
  StoppedTracee tracee;
  verify_paths(tracee.pid());
  Buffers buffers;
  const std::vector<Operation> ops = operations(tracee.pid(), buffers);
  std::vector<std::vector<double>> per_call(ops.size());
  // Round 0 warms caches and is not kept.
  for (int round = 0; round <= rounds; ++round) {
    for (size_t k = 0; k < ops.size(); ++k) {
      const Operation& op = ops[(k + static_cast<size_t>(round)) % ops.size()];
      const double start = now_ns();
      for (int i = 0; i < batch; ++i)
        if (op.call() < 0) fail_errno(op.request);
      const double ns = (now_ns() - start) / batch;
      if (round > 0) per_call[(k + static_cast<size_t>(round)) % ops.size()].push_back(ns);
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  utsname u{};
  uname(&u);
  json figures = json::object();
  for (size_t k = 0; k < ops.size(); ++k) {
    const std::vector<double>& v = per_call[k];
    figures[ops[k].name] = {
        {"request", ops[k].request},       {"bytes", ops[k].bytes},
        {"median_ns", percentile(v, 0.5)}, {"p10_ns", percentile(v, 0.1)},
        {"p90_ns", percentile(v, 0.9)},    {"min_ns", *std::min_element(v.begin(), v.end())}};
  }
  return {{"kernel_release", u.release},
          {"machine", u.machine},
          {"cpu", cpu_model()},
          {"rounds", rounds},
          {"batch", batch},
          {"calls_per_operation", static_cast<long>(rounds) * batch},
          {"seconds", seconds},
          {"paths_verified", true},
          {"load_before", load_before},
          {"load_after", load_now()},
          {"operations", figures}};
}

// ---- What the figures say -----------------------------------------------------------------------

double median(const json& run, const char* op) {
  return run["operations"][op]["median_ns"].get<double>();
}

// How many single-register calls one whole-struct call is worth, for each way a tracer uses
// registers at a stop (docs in report/rfc/q4.md).
json break_even(const json& run) {
  const double get = median(run, "getregs"), set = median(run, "setregs");
  const double peek = median(run, "peekuser"), poke = median(run, "pokeuser");
  const double gset = median(run, "getregset"), sset = median(run, "setregset");
  const double floor = median(run, "floor");
  return {
      // Reading k registers: k PEEKUSERs against one GETREGS.
      {"read", get / peek},
      // Writing k registers whose neighbours the tracer already holds: k POKEUSERs against one
      // SETREGS.
      {"write", set / poke},
      // Changing k registers at a stop where the tracer holds no copy: k POKEUSERs against
      // GETREGS + SETREGS (Redox's regs/int always works this way: read the struct, write it).
      {"modify", (get + set) / poke},
      {"read_regset", gset / peek},
      {"modify_regset", (gset + sset) / poke},
      // The part of a GETREGS that is not the fixed cost of a ptrace call on a stopped tracee.
      {"struct_share_of_getregs", std::max(0.0, (get - floor) / get)},
      {"struct_share_of_setregs", std::max(0.0, (set - floor) / set)},
  };
}

void print_run(const std::string& title, const json& run) {
  fmt::print("{}: Linux {} on {} ({}), {} rounds x {} calls, load {}\n", title,
             run["kernel_release"].get<std::string>(), run["cpu"].get<std::string>(),
             run.value("accel", std::string("native")), run["rounds"].get<int>(),
             run["batch"].get<int>(), run["load_before"]["load_average"].get<std::string>());
  fmt::print("  {:<18} {:>6} {:>10} {:>10} {:>10}\n", "operation", "bytes", "median ns", "p10 ns",
             "p90 ns");
  for (const auto& [name, f] : run["operations"].items())
    fmt::print("  {:<18} {:>6} {:>10.0f} {:>10.0f} {:>10.0f}\n", name, f["bytes"].get<size_t>(),
               f["median_ns"].get<double>(), f["p10_ns"].get<double>(), f["p90_ns"].get<double>());
  const json& b = run["break_even"];
  fmt::print("  break-even registers: read {:.2f}, write {:.2f}, modify {:.2f} "
             "(regset: read {:.2f}, modify {:.2f}); struct share of GETREGS {:.0f}%\n",
             b["read"].get<double>(), b["write"].get<double>(), b["modify"].get<double>(),
             b["read_regset"].get<double>(), b["modify_regset"].get<double>(),
             100 * b["struct_share_of_getregs"].get<double>());
}

// The answer, computed from the host's figures: the struct is "too big" only if moving it, rather
// than making the call, is what a whole-struct access costs.
json verdict(const json& host) {
  const json& b = host["break_even"];
  const double share = b["struct_share_of_getregs"].get<double>();
  const bool too_big = share >= 0.5;
  const std::string one_line = fmt::format(
      "{}: on the host (Linux {}) one GETREGS of the whole {}-byte struct costs {:.0f} ns, one "
      "PEEKUSER {:.0f} ns; moving the struct is {:.0f}% of the call, so a whole-struct read pays "
      "off from {:.1f} registers and a read-modify-write from {:.1f} changed registers.",
      too_big ? "Yes" : "No", host["kernel_release"].get<std::string>(),
      host["operations"]["getregs"]["bytes"].get<size_t>(), median(host, "getregs"),
      median(host, "peekuser"), 100 * share, b["read"].get<double>(), b["modify"].get<double>());
  return {{"answer", too_big ? "yes" : "no"},
          {"rule", "yes when moving the struct is at least half the cost of a GETREGS "
                   "(struct_share_of_getregs >= 0.5)"},
          {"one_line", one_line}};
}

std::string self_path() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "ptmc-regs-bench";
  return std::string(buf, static_cast<size_t>(n));
}

std::optional<json> run_in_qemu(int rounds, int batch, std::string* error) {
  ptmc::kernel::VmPayload p;
  p.program = self_path();
  p.missing_hint = p.program + " is not executable";
  p.args = {"--in-vm", "--rounds", std::to_string(rounds), "--batch", std::to_string(batch)};
  p.ready_prefix = kReady;
  p.timeout_s = 600;
  ptmc::kernel::TargetOptions o;
  o.verbose = true;
  // The guest's own load says nothing of the machine QEMU shares: record the host's too.
  const json host_load_before = load_now();
  const ptmc::kernel::VmRun vm = ptmc::kernel::run_payload_on_qemu(p, o);
  if (const std::string why = vm.failure(); !why.empty()) {
    *error = why;
    return std::nullopt;
  }
  std::istringstream lines(vm.console);
  for (std::string line; std::getline(lines, line);) {
    std::erase(line, '\r');
    if (line.starts_with("ptmc-regs-bench: error: ")) {
      *error = "in the VM: " + line;
      return std::nullopt;
    }
    if (!line.starts_with(kResultPrefix)) continue;
    json run = json::parse(line.substr(strlen(kResultPrefix)), nullptr, false);
    if (run.is_discarded()) break;
    run["accel"] = vm.accel;
    run["host_load_before"] = host_load_before;
    run["host_load_after"] = load_now();
    run["seconds_boot"] = vm.ready_s.value_or(0);
    return run;
  }
  *error = "the VM printed no figures (" + vm.init_exit + ")";
  return std::nullopt;
}

int usage() {
  fmt::print(stderr, "usage: ptmc-regs-bench [--qemu] [--rounds N] [--batch N] [--qemu-rounds N] "
                     "[--json FILE]\n");
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  bool qemu = false, in_vm = false;
  int rounds = 1001, batch = 100, qemu_rounds = 101;
  std::string json_path;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto number = [&](int& into) {
      if (i + 1 >= argc) return false;
      char* end = nullptr;
      const long v = strtol(argv[++i], &end, 10);
      if (*end != '\0' || v < 1 || v > 1000000) return false;
      into = static_cast<int>(v);
      return true;
    };
    if (a == "--qemu")
      qemu = true;
    else if (a == "--in-vm")
      in_vm = true;
    else if (a == "--rounds") {
      if (!number(rounds)) return usage();
    } else if (a == "--batch") {
      if (!number(batch)) return usage();
    } else if (a == "--qemu-rounds") {
      if (!number(qemu_rounds)) return usage();
    } else if (a == "--json" && i + 1 < argc)
      json_path = argv[++i];
    else
      return usage();
  }

  try {
    if (in_vm) {
      // The payload: figures on the console, one line, for run_in_qemu.
      fmt::print("{}\n", kReady);
      fflush(stdout);
      json run = measure(rounds, batch);
      fmt::print("{}{}\n", kResultPrefix, run.dump());
      return 0;
    }
    std::string command = "ptmc-regs-bench";
    for (int i = 1; i < argc; ++i) command += std::string(" ") + argv[i];
    json out = {{"question", 4},
                {"produced_by", command},
                {"generated_at", iso_now()},
                {"runs", json::object()}};
    json host = measure(rounds, batch);
    host["target"] = "host";
    host["break_even"] = break_even(host);
    print_run("host", host);
    out["runs"]["host"] = host;
    out["verdict"] = verdict(host);
    if (qemu) {
      std::string error;
      const auto vm = run_in_qemu(qemu_rounds, batch, &error);
      if (!vm) {
        fmt::print(stderr, "ptmc-regs-bench: qemu-x86_64: {}\n", error);
        return 3;
      }
      json run = *vm;
      run["target"] = "qemu-x86_64";
      run["break_even"] = break_even(run);
      print_run("qemu-x86_64 (cross-check only: TCG timings say little about hardware)", run);
      out["runs"]["qemu-x86_64"] = run;
    }
    fmt::print("answer: {}\n", out["verdict"]["one_line"].get<std::string>());
    if (!json_path.empty()) {
      std::ofstream f(json_path);
      f << out.dump(2) << "\n";
      if (!f.flush()) {
        fmt::print(stderr, "ptmc-regs-bench: cannot write {}\n", json_path);
        return 2;
      }
    }
  } catch (const Failure& e) {
    fmt::print("ptmc-regs-bench: error: {}\n", e.what());
    fflush(stdout);
    return 1;
  }
  return 0;
}
