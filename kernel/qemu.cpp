// The qemu-x86_64 and qemu-aarch64 targets: a batch run by the static agent inside Debian's
// kernel under QEMU. qemu-aarch64 boots Debian's arm64 kernel with qemu-system-aarch64 -M virt
// -cpu cortex-a57 under TCG (there is no arm64 hardware here, so its single-stepping is QEMU's
// emulation of the architecture's), with the agent and init cross-compiled into BUILD/aarch64.
//
// One VM per batch. The initramfs holds /init (ptmc-qemu-init, kernel/qemu_init.cpp), the payload
// program and its files: for a batch, /ptmc-agent and /batch. Init runs the payload with the
// arguments given after `--` on the kernel command line, its output on the console, which is the
// VM's serial port, which is QEMU's stdout, which is a pipe read here (and, for a batch, given to
// parse_agent_stream). Init then powers the VM off and QEMU exits. run_payload_on_qemu boots any
// static payload the same way (the register benchmark and the security helper are two more).
//
// Acceleration: KVM when /dev/kvm opens and a KVM boot reaches the agent's header; otherwise TCG.
// The first batch of the process finds out (a KVM that cannot run the guest, like one that fails
// with "failed to set MSR 0x10a", makes QEMU abort at once) and later batches reuse the answer.
//
// Kernel image: --kernel PATH, else the one scripts/fetch-kernels.sh left in
// $PTMC_KERNEL_DIR/x86_64 (default /var/cache/ptmc/kernels). That script also unpacks the
// bzImage into an uncompressed vmlinux, which QEMU boots through its PVH entry point, saving the
// kernel's own decompression: about 3 of 5.5 seconds of boot under TCG. (Same kernel code; only
// the decompressor's KASLR is skipped, which no trace can see.)
//
// Measured under TCG on a 2-core machine: the agent's header about 2 s after QEMU starts; a batch
// of 5000 generated scenarios in 28 s including boot, of which about 8 s is the serial console
// (1.6 MB of traces) and the rest the agent's ptrace work. -smp 2 was slower, with or without
// the agent's --pin. seconds_boot is the time from QEMU's start to the agent's header.
#include "kernel/qemu.hpp"
#include "kernel/subprocess.hpp"

#include "kernel/agent_protocol.hpp"
#include "kernel/host.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <poll.h>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace ptmc::kernel {

namespace {

namespace fs = std::filesystem;

// What differs between the two targets.
struct Machine {
  Arch arch;
  std::string target;              // the --on name
  std::string qemu;                // the QEMU binary
  std::vector<std::string> board;  // the machine and CPU, before the accelerator
  std::string console;             // the serial console's device name in the guest
  std::string agent_env, init_env; // the variables that name another agent or init
  bool try_kvm;                    // KVM can only run the host's own architecture
};

const Machine& machine(Arch arch) {
  static const Machine x86{Arch::x86_64, "qemu-x86_64", "qemu-system-x86_64", {},
                           "ttyS0",      "PTMC_AGENT",  "PTMC_QEMU_INIT",     true};
  static const Machine arm{Arch::aarch64,
                           "qemu-aarch64",
                           "qemu-system-aarch64",
                           {"-M", "virt", "-cpu", "cortex-a57"},
                           "ttyAMA0",
                           "PTMC_AGENT_AARCH64",
                           "PTMC_QEMU_INIT_AARCH64",
                           false};
  return arch == Arch::aarch64 ? arm : x86;
}

double now_s() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = getenv(name);
  return v && *v ? std::string(v) : fallback;
}

std::string format_seconds(double s) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.3g", s);
  return buf;
}

std::string errno_text(const std::string& what, int err) {
  return what + ": " + strerror(err);
}

// The last `lines` non-empty lines of `text`, \r removed, joined with " | ": for messages.
std::string tail_lines(const std::string& text, size_t lines) {
  std::vector<std::string> kept;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::erase(line, '\r');
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    kept.push_back(line);
    if (kept.size() > lines) kept.erase(kept.begin());
  }
  std::string out;
  for (const std::string& l : kept) out += (out.empty() ? "" : " | ") + l;
  return out;
}

std::optional<std::string> find_in_path(const std::string& name) {
  std::istringstream path(env_or("PATH", "/usr/local/bin:/usr/bin:/bin"));
  for (std::string dir; std::getline(path, dir, ':');) {
    if (dir.empty()) continue;
    const std::string candidate = dir + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

std::string self_dir() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : self.parent_path().string();
}

// The agent and init of the machine's architecture: the host's next to ptmc, arm64's in the
// aarch64/ folder beside it (kernel/CMakeLists.txt), unless the environment names others.
std::string find_agent_for(const Machine& m) {
  if (m.arch == Arch::x86_64) return find_agent();
  return env_or(m.agent_env.c_str(), self_dir() + "/aarch64/ptmc-agent");
}

std::string find_init(const Machine& m) {
  const std::string dir = self_dir() + (m.arch == Arch::x86_64 ? "" : "/aarch64");
  return env_or(m.init_env.c_str(), dir + "/ptmc-qemu-init");
}

std::string kernel_dir() {
  return env_or("PTMC_KERNEL_DIR", "/var/cache/ptmc/kernels");
}

bool is_regular_file(const std::string& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

// A temporary directory, removed with everything in it at the end of the scope.
class TempDir {
public:
  bool create(std::string* error) {
    std::string pattern = env_or("TMPDIR", "/tmp") + "/ptmc-qemu.XXXXXX";
    if (!mkdtemp(pattern.data())) {
      *error = errno_text("cannot create a directory from " + pattern, errno);
      return false;
    }
    path_ = pattern;
    return true;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

private:
  std::string path_;
};

// Runs argv with stdin from /dev/null, stdout and stderr to the given fds (-1: /dev/null).
// Returns the pid, or -1 with `error` set.

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  return "status " + std::to_string(status);
}

// The batch as the agent reads it. Expected traces are left out: the agent has no use for them.
std::string batch_text(const std::vector<Scenario>& batch) {
  std::string text;
  for (Scenario s : batch) {
    s.expect.reset();
    text += format_scenario(s);
    if (!text.empty() && text.back() != '\n') text += '\n';
  }
  return text;
}

bool copy_executable(const std::string& from, const fs::path& to, std::string* error) {
  std::error_code ec;
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (!ec) fs::permissions(to, fs::perms(0755), ec);
  if (ec) *error = "cannot copy " + from + " into the initramfs: " + ec.message();
  return !ec;
}

// The payload's file name in the initramfs (and so its path in the VM, under /).
std::string payload_name(const VmPayload& payload) {
  return fs::path(payload.program).filename().string();
}

// Writes DIR/initrd.gz: a newc cpio of /init, the payload program under its own name, the
// payload's files and the mount points, made by Debian's cpio and gzip.
std::optional<std::string> build_initramfs(const std::string& dir, const std::string& init,
                                           const VmPayload& payload, std::string* error) {
  const fs::path root = fs::path(dir) / "root";
  std::error_code ec;
  for (const char* d : {"dev", "proc", "sys"}) fs::create_directories(root / d, ec);
  if (ec) {
    *error = "cannot create " + root.string() + ": " + ec.message();
    return std::nullopt;
  }
  if (!copy_executable(init, root / "init", error)) return std::nullopt;
  if (!copy_executable(payload.program, root / payload_name(payload), error)) return std::nullopt;
  for (const auto& [name, contents] : payload.files) {
    std::ofstream out(root / name, std::ios::binary);
    out << contents;
    if (!out.flush()) {
      *error = "cannot write " + (root / name).string();
      return std::nullopt;
    }
  }
  for (const char* tool : {"cpio", "gzip"}) {
    if (!find_in_path(tool)) {
      *error = std::string(tool) + " not found: run scripts/setup.sh";
      return std::nullopt;
    }
  }
  const std::string cpio = dir + "/initrd";
  const std::string log = dir + "/initrd.log";
  // $1: the root, $2: the archive. gzip -1: the kernel unpacks it under emulation, and the
  // agent, the bulk of it, compresses well enough at any level.
  const std::string script = "cd \"$1\" && find . | LC_ALL=C sort | cpio -o -H newc --quiet "
                             ">\"$2\" && gzip -1 -f \"$2\"";
  const int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const pid_t pid =
      spawn_child({"/bin/sh", "-c", script, "sh", root.string(), cpio}, log_fd, log_fd, error);
  if (log_fd >= 0) close(log_fd);
  if (pid < 0) return std::nullopt;
  const int status = wait_child(pid);
  const std::string archive = cpio + ".gz";
  if (status != 0 || !is_regular_file(archive)) {
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    *error = "making the initramfs with cpio and gzip failed (" + describe_status(status) +
             "): " + tail_lines(text.str(), 3);
    return std::nullopt;
  }
  return archive;
}

// ---- Booting -----------------------------------------------------------------------------------

std::string shell_words(const std::vector<std::string>& args) {
  std::string text;
  for (const std::string& a : args) {
    const bool quote = a.find_first_of(" \"'") != std::string::npos;
    text += (text.empty() ? "" : " ") + (quote ? "'" + a + "'" : a);
  }
  return text;
}

// One QEMU run, into `r`. `probe_s` > 0: give up if no ready line appears within that many
// seconds.
void boot(const std::string& target, const std::vector<std::string>& args, const VmPayload& payload,
          double timeout_s, double probe_s, bool verbose, VmRun& r) {
  size_t scanned = 0; // console bytes already looked at line by line
  // Watches the console for the events that matter while the VM runs; false stops the VM.
  const auto watch = [&](const std::string& console, double elapsed) {
    for (size_t nl; (nl = console.find('\n', scanned)) != std::string::npos; scanned = nl + 1) {
      const std::string_view line(console.data() + scanned, nl - scanned);
      if (!r.ready_s && line.starts_with(payload.ready_prefix)) {
        r.ready_s = elapsed;
        if (verbose)
          fprintf(stderr, "%s: %s started after %.1f s\n", target.c_str(),
                  payload_name(payload).c_str(), *r.ready_s);
      } else if (r.panic.empty() && line.find("Kernel panic") != std::string_view::npos) {
        r.panic = std::string(line);
        std::erase(r.panic, '\r');
      } else if (const size_t at = line.find("ptmc-qemu-init "); at != std::string_view::npos) {
        std::string rest(line.substr(at + strlen("ptmc-qemu-init ")));
        std::erase(rest, '\r');
        if (rest.starts_with("exit=") || rest.starts_with("signal=")) r.init_exit = rest;
      }
      if (payload.on_line) payload.on_line(line, elapsed);
    }
    if (probe_s > 0 && !r.ready_s && elapsed >= probe_s) {
      r.probe_failed = true;
      return false;
    }
    return true;
  };
  const double tick = probe_s > 0 ? std::min(1.0, probe_s / 4) : 1.0;
  ChildResult c = run_child(args, timeout_s, watch, tick);
  r.console = std::move(c.out);
  r.qemu_stderr = c.spawn_error ? *c.spawn_error : std::move(c.err);
  r.timed_out = c.timed_out;
  if (c.spawn_error)
    r.status = 127 << 8;
  else if (c.status >= 0)
    r.status = c.status;
}

// The accelerator that worked for this process; empty until a first boot found out.
std::mutex accel_mutex;
std::string known_accel;

bool kvm_usable() {
  const int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  close(fd);
  return true;
}

std::vector<std::string> accel_args(const std::string& accel) {
  if (accel == "kvm") return {"-accel", "kvm", "-cpu", "host"};
  return {"-accel", "tcg"};
}

} // namespace

std::string VmRun::failure() const {
  if (error) return *error;
  const std::string ran = "after " + format_seconds(seconds_total) + " s, accel " + accel;
  if (timed_out) return "the VM did not finish within its time (" + ran + "); QEMU was killed";
  if (!panic.empty()) return "the kernel panicked (" + ran + "): " + panic;
  if (!ready_s) {
    std::string why = status ? "QEMU " + describe_status(*status) : "QEMU did not exit";
    if (const std::string e = tail_lines(qemu_stderr, 2); !e.empty()) why += ": " + e;
    if (const std::string c = tail_lines(console, 2); !c.empty()) why += "; console: " + c;
    return payload + " never started in the VM (kernel " + kernel + "); " + why;
  }
  return "";
}

VmRun run_payload_on_qemu(const VmPayload& payload, const TargetOptions& options, Arch arch) {
  const double start = now_s();
  const Machine& m = machine(arch);
  const std::string& kTarget = m.target;
  VmRun r;
  r.target = kTarget;
  r.payload = payload_name(payload);
  const auto fail = [&](const std::string& message) {
    r.error = message;
    r.seconds_total = now_s() - start;
    return r;
  };

  // What to boot, and with what.
  std::string kernel = options.kernel_image;
  if (!kernel.empty()) {
    if (!is_regular_file(kernel)) return fail("kernel image " + kernel + " does not exist");
  } else {
    const std::string dir = kernel_dir() + "/" + std::string(arch_name(arch));
    kernel = is_regular_file(dir + "/vmlinux") ? dir + "/vmlinux" : dir + "/vmlinuz";
    if (!is_regular_file(kernel))
      return fail("no kernel image at " + dir +
                  "/vmlinuz: run scripts/fetch-kernels.sh (part of scripts/setup.sh), or "
                  "give one with --kernel PATH");
  }
  r.kernel = kernel;
  std::string qemu = env_or("PTMC_QEMU", "");
  if (qemu.empty()) {
    const auto found = find_in_path(m.qemu);
    if (!found) return fail(m.qemu + " not found: run scripts/setup.sh");
    qemu = *found;
  }
  if (access(payload.program.c_str(), X_OK) != 0) return fail(payload.missing_hint);
  const std::string init = find_init(m);
  if (access(init.c_str(), X_OK) != 0)
    return fail("the VM's init " + init + " is missing or not executable (" +
                (arch == Arch::x86_64 ? std::string("build the ptmc-qemu-init target")
                                      : std::string("build the ptmc-aarch64 target")) +
                ", or set " + m.init_env + ")");

  TempDir tmp;
  std::string error;
  if (!tmp.create(&error)) return fail(error);
  const auto initrd = build_initramfs(tmp.path(), init, payload, &error);
  if (!initrd) return fail(error);

  // Init runs the words after `--` as the payload's command line.
  std::string append = "console=" + m.console + " quiet panic=-1 -- /" + payload_name(payload);
  for (const std::string& a : payload.args) {
    if (a.empty() || a.find_first_of(" \t\n\"") != std::string::npos)
      return fail("a payload argument cannot be empty or hold blanks or quotes: '" + a + "'");
    append += " " + a;
  }
  const auto command = [&](const std::string& accel) {
    std::vector<std::string> args = {qemu};
    for (const std::string& a : m.board) args.push_back(a);
    for (const char* a : {"-m", "512", "-smp", "1", "-nographic", "-no-reboot", "-nic", "none"})
      args.push_back(a);
    for (const std::string& a : accel_args(accel)) args.push_back(a);
    for (const std::string& a : {std::string("-kernel"), kernel, std::string("-initrd"), *initrd,
                                 std::string("-append"), append})
      args.push_back(a);
    return args;
  };

  // Pick the accelerator: the one found before, else KVM on probation, falling back to TCG.
  std::string accel = m.try_kvm ? env_or("PTMC_QEMU_ACCEL", "") : "tcg";
  bool probing = false;
  if (accel.empty()) {
    std::lock_guard lock(accel_mutex);
    accel = known_accel;
  }
  if (accel.empty()) {
    accel = kvm_usable() ? "kvm" : "tcg";
    probing = accel == "kvm";
  }

  for (;;) {
    const std::vector<std::string> args = command(accel);
    if (options.verbose) fprintf(stderr, "%s: %s\n", kTarget.c_str(), shell_words(args).c_str());
    VmRun attempt;
    attempt.target = kTarget;
    attempt.payload = r.payload;
    attempt.kernel = kernel;
    // On probation KVM gets a few seconds to show the ready line; it boots in about one.
    boot(kTarget, args, payload, payload.timeout_s, probing ? 10.0 : 0, options.verbose, attempt);
    r = std::move(attempt);
    // A KVM boot that reached the payload, or that only ran out of the whole VM's time, stands.
    if (!probing || r.ready_s || r.timed_out) break;
    if (options.verbose)
      fprintf(stderr, "%s: KVM did not work (%s); using TCG\n", kTarget.c_str(),
              r.probe_failed ? "no payload within 10 s" : tail_lines(r.qemu_stderr, 1).c_str());
    accel = "tcg";
    probing = false;
  }
  r.accel = accel;
  if (r.ready_s && m.try_kvm) {
    // Only a boot that reached the payload says anything about the accelerator.
    std::lock_guard lock(accel_mutex);
    if (known_accel.empty()) known_accel = accel;
  }
  r.seconds_total = now_s() - start;
  return r;
}

TargetResult run_on_qemu(const std::vector<Scenario>& batch, const TargetOptions& options,
                         Arch arch) {
  const double start = now_s();
  const Machine& m = machine(arch);
  const std::string& kTarget = m.target;
  TargetResult result;
  result.target = kTarget;
  // Until the agent says otherwise, every scenario failed for the reason the VM failed.
  const auto fail_all = [&](const std::string& message) {
    result.error = kTarget + ": " + message;
    result.outcomes.clear();
    for (size_t k = 0; k < batch.size(); ++k)
      result.outcomes.push_back(
          Outcome{OutcomeStatus::error,
                  {},
                  kTarget + ": scenario " + std::to_string(k) + ": not run: " + message});
    result.seconds_total = now_s() - start;
    return result;
  };

  for (const Scenario& s : batch)
    if (s.arch() != arch)
      return fail_all("the profile " + s.profile + " is " + std::string(arch_name(s.arch())) +
                      ", and " + kTarget + " runs " + std::string(arch_name(arch)));

  VmPayload agent;
  agent.program = find_agent_for(m);
  agent.missing_hint =
      "the agent " + agent.program + " is missing or not executable (" +
      (arch == Arch::x86_64 ? std::string("build the ptmc-agent and ptmc-qemu-init targets")
                            : std::string("build the ptmc-aarch64 target, which needs "
                                          "aarch64-linux-gnu-g++ from scripts/setup.sh")) +
      ", or set " + m.agent_env + ")";
  agent.args = {"/batch", "--timeout", format_seconds(options.wait_timeout_s)};
  agent.files = {{"batch", batch_text(batch)}};
  agent.ready_prefix = "ptmc-agent 1 ";
  agent.timeout_s = options.vm_timeout_s > 0 ? options.vm_timeout_s
                                             : 60.0 + 0.05 * static_cast<double>(batch.size());
  size_t ended = 0; // `end` lines seen
  double next_progress = 5;
  agent.on_line = [&](std::string_view line, double elapsed) {
    if (line.starts_with("end ")) ++ended;
    if (options.verbose && elapsed >= next_progress) {
      fprintf(stderr, "%s: %zu of %zu scenarios after %.0f s\n", kTarget.c_str(), ended,
              batch.size(), elapsed);
      next_progress += 5;
    }
  };
  const VmRun vm = run_payload_on_qemu(agent, options, arch);
  if (vm.error) return fail_all(*vm.error);

  const AgentStream stream = parse_agent_stream(vm.console, batch.size(), kTarget);
  result.outcomes = stream.outcomes;
  result.kernel_release = stream.kernel_release;
  result.accel = vm.accel;
  result.seconds_boot = vm.ready_s.value_or(0);
  result.seconds_total = now_s() - start;

  const std::string ran = std::to_string(ended) + " of " + std::to_string(batch.size());
  if (vm.timed_out) {
    result.error = kTarget + ": the VM did not finish within " + format_seconds(agent.timeout_s) +
                   " s (" + ran + " scenarios done, accel " + vm.accel + "); QEMU was killed";
  } else if (!vm.panic.empty()) {
    result.error = kTarget + ": the kernel panicked (" + ran + " scenarios done): " + vm.panic;
  } else if (!stream.saw_header) {
    result.error = kTarget + ": " + vm.failure();
  } else if (stream.arch != arch_name(arch)) {
    result.error = kTarget + ": the agent in the VM runs " + stream.arch + ", not " +
                   std::string(arch_name(arch)) + " (agent " + agent.program + ")";
  } else if (!stream.fatal.empty()) {
    result.error = kTarget + ": the agent gave up on the batch: " + stream.fatal;
  } else if (!stream.saw_done) {
    // QEMU gone before the agent finished: killed (the OOM killer, a user), or crashed.
    std::string why =
        vm.init_exit.empty() ? "the VM stopped" : "the agent ended with " + vm.init_exit;
    if (vm.status && vm.init_exit.empty() &&
        (WIFSIGNALED(*vm.status) || WEXITSTATUS(*vm.status) != 0))
      why = "QEMU " + describe_status(*vm.status);
    if (const std::string c = tail_lines(vm.console, 2); !c.empty()) why += "; console: " + c;
    result.error = kTarget + ": the agent stopped after " + ran + " scenarios: " + why;
  }
  // Scenarios the VM never finished: say why, after what the parser said.
  if (result.error)
    for (Outcome& o : result.outcomes)
      if (o.status == OutcomeStatus::error && o.message.find(": no result: ") != std::string::npos)
        o.message += " (" + *result.error + ")";
  if (options.verbose)
    fprintf(stderr, "%s: %zu scenarios in %.1f s (boot %.1f s, %s)\n", kTarget.c_str(),
            batch.size(), result.seconds_total, result.seconds_boot, vm.accel.c_str());
  return result;
}

} // namespace ptmc::kernel
