// The qemu-x86_64 target end to end: Debian's kernel booted under QEMU, the real agent inside.
//
// These tests need what scripts/setup.sh installs (qemu-system-x86, cpio) and the kernel that
// scripts/fetch-kernels.sh downloads. Without them they fail, saying so: a machine where the
// QEMU target cannot run is a broken setup, not a reason to pass.
#include "kernel/qemu.hpp"
#include "tests/kernel/containment_cases.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

namespace ptmc::kernel {
namespace {

std::string kernel_dir() {
  const char* dir = getenv("PTMC_KERNEL_DIR");
  return (dir && *dir ? std::string(dir) : std::string("/var/cache/ptmc/kernels")) + "/x86_64";
}

bool on_path(const std::string& name) {
  const char* path = getenv("PATH");
  std::string rest = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= rest.size()) {
    size_t end = rest.find(':', start);
    if (end == std::string::npos) end = rest.size();
    const std::string dir = rest.substr(start, end - start);
    if (!dir.empty() && access((dir + "/" + name).c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

class Qemu : public ::testing::Test {
protected:
  void SetUp() override {
    setenv("PTMC_AGENT", PTMC_AGENT_PATH, 0);
    setenv("PTMC_QEMU_INIT", PTMC_QEMU_INIT_PATH, 0);
  }

  // The prerequisites of a real boot; a missing one fails the test with the fix.
  static void require_vm() {
    ASSERT_EQ(access((kernel_dir() + "/vmlinuz").c_str(), R_OK), 0)
        << "no Debian kernel at " << kernel_dir()
        << "/vmlinuz: run scripts/setup.sh (it runs scripts/fetch-kernels.sh)";
    ASSERT_TRUE(on_path("qemu-system-x86_64"))
        << "qemu-system-x86_64 is not installed: run scripts/setup.sh";
    ASSERT_TRUE(on_path("cpio")) << "cpio is not installed: run scripts/setup.sh";
  }
};

Scenario parse(const std::string& text) {
  ParseResult r = parse_scenario(text, "test");
  EXPECT_TRUE(r.scenario) << (r.error ? r.error->what() : "");
  return r.scenario ? *r.scenario : Scenario{};
}

std::string show(const Trace& t) {
  std::string out;
  for (const TraceLine& l : t) out += "  " + format_trace_line(l) + "\n";
  return out;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// A few scenarios that between them end in every way a run can end.
std::vector<Scenario> small_batch() {
  return {
      // Syscall stops around getpid, then the exit.
      parse(R"(ptmc-scenario 1
profile linux-x86_64
options tracesysgood
program:
  nr getpid
  syscall
actions:
  syscall
  syscall
  syscall
  cont
)"),
      // A breakpoint, continued to the end.
      parse(R"(ptmc-scenario 1
profile linux-x86_64
program:
  int3
  nop
actions:
  cont
  cont
)"),
      // The actions run out: the tracer kills the tracee.
      parse(R"(ptmc-scenario 1
profile linux-x86_64
program:
  nop
  nop
  nop
actions:
  singlestep
  singlestep
)"),
      // A signal to itself, delivered to the handler, and a write on the way out.
      parse(R"(ptmc-scenario 1
profile linux-x86_64
program:
  nr kill
  arg SIGUSR1
  syscall
  nr write
  arg buf
  syscall
handler:
  nop
actions:
  repeat cont sig=pass max=20
)"),
  };
}

// small_batch() over and over, n scenarios.
std::vector<Scenario> repeated_batch(size_t n) {
  const std::vector<Scenario> kinds = small_batch();
  std::vector<Scenario> batch;
  for (size_t k = 0; k < n; ++k) batch.push_back(kinds[k % kinds.size()]);
  return batch;
}

void expect_round_trip(const TargetResult& r, size_t n) {
  EXPECT_EQ(r.target, "qemu-x86_64");
  ASSERT_FALSE(r.error) << *r.error;
  EXPECT_TRUE(r.kernel_release.starts_with("6.")) << "kernel_release '" << r.kernel_release << "'";
  EXPECT_TRUE(r.accel == "kvm" || r.accel == "tcg") << "accel '" << r.accel << "'";
  EXPECT_GT(r.seconds_boot, 0);
  EXPECT_GE(r.seconds_total, r.seconds_boot);
  ASSERT_EQ(r.outcomes.size(), n);
  for (size_t k = 0; k < n; ++k) {
    const Outcome& o = r.outcomes[k];
    ASSERT_EQ(o.status, OutcomeStatus::ok) << "scenario " << k << ": " << o.message;
    ASSERT_FALSE(o.trace.empty()) << "scenario " << k;
    EXPECT_EQ(o.trace.front().kind, StopKind::initial) << "scenario " << k << "\n" << show(o.trace);
    const StopKind last = o.trace.back().kind;
    EXPECT_TRUE(last == StopKind::exited || last == StopKind::killed) << "scenario " << k << "\n"
                                                                      << show(o.trace);
  }
}

TEST_F(Qemu, SmallBatchRoundTrip) {
  require_vm();
  if (HasFatalFailure()) return;
  const std::vector<Scenario> batch = small_batch();
  TargetOptions o;
  o.wait_timeout_s = 5;
  const TargetResult r = run_on_qemu(batch, o);
  expect_round_trip(r, batch.size());
  if (HasFatalFailure()) return;
  // What each scenario's ending must be (docs/scenario-format.md): exit_group(0) at the end of
  // the program, a PTRACE_KILL when the actions run out.
  EXPECT_EQ(r.outcomes[0].trace.back().kind, StopKind::exited);
  EXPECT_EQ(r.outcomes[1].trace.back().kind, StopKind::exited);
  EXPECT_EQ(r.outcomes[2].trace.back().kind, StopKind::killed);
  EXPECT_EQ(r.outcomes[2].trace.back().signal, sig::kill);
  EXPECT_EQ(r.outcomes[3].trace.back().kind, StopKind::exited);
  EXPECT_EQ(r.outcomes[3].trace.back().written, 1);
}

// A batch the size the checker sends: the initramfs, the serial console and the whole-VM
// timeout derived from the batch size all have to cope.
TEST_F(Qemu, LargeBatch) {
  require_vm();
  if (HasFatalFailure()) return;
  const size_t kinds = small_batch().size();
  const std::vector<Scenario> batch = repeated_batch(2000);
  TargetOptions o;
  o.wait_timeout_s = 5;
  const TargetResult r = run_on_qemu(batch, o);
  expect_round_trip(r, batch.size());
  // Same scenario, same kernel: same trace.
  for (size_t k = kinds; k < r.outcomes.size() && !HasFailure(); ++k)
    EXPECT_EQ(r.outcomes[k].trace, r.outcomes[k % kinds].trace) << "scenario " << k;
  std::printf("%zu scenarios in %.1f s (boot %.1f s, %s)\n", batch.size(), r.seconds_total,
              r.seconds_boot, r.accel.c_str());
}

TEST_F(Qemu, MissingKernelImageSaysWhatToDo) {
  TargetOptions o;
  o.kernel_image = "/nonexistent/ptmc/bzImage";
  const std::vector<Scenario> batch = small_batch();
  const TargetResult r = run_on_qemu(batch, o);
  ASSERT_TRUE(r.error);
  std::printf("error: %s\n", r.error->c_str());
  EXPECT_NE(r.error->find("qemu-x86_64"), std::string::npos) << *r.error;
  EXPECT_NE(r.error->find("/nonexistent/ptmc/bzImage"), std::string::npos) << *r.error;
  ASSERT_EQ(r.outcomes.size(), batch.size());
  for (const Outcome& out : r.outcomes) {
    EXPECT_EQ(out.status, OutcomeStatus::error);
    EXPECT_NE(out.message.find("qemu-x86_64"), std::string::npos) << out.message;
  }
}

TEST_F(Qemu, MissingFetchedKernelSaysRunFetchKernels) {
  char dir[] = "/tmp/ptmc-test-kernels.XXXXXX";
  ASSERT_TRUE(mkdtemp(dir));
  const char* old = getenv("PTMC_KERNEL_DIR");
  const std::string saved = old ? old : "";
  setenv("PTMC_KERNEL_DIR", dir, 1);
  const TargetResult r = run_on_qemu(small_batch(), TargetOptions{});
  if (old)
    setenv("PTMC_KERNEL_DIR", saved.c_str(), 1);
  else
    unsetenv("PTMC_KERNEL_DIR");
  rmdir(dir);
  ASSERT_TRUE(r.error);
  std::printf("error: %s\n", r.error->c_str());
  EXPECT_NE(r.error->find("scripts/fetch-kernels.sh"), std::string::npos) << *r.error;
}

// A file that is no kernel: QEMU refuses it, and the error comes well before the VM timeout.
TEST_F(Qemu, GarbageKernelFailsWithinTheTimeout) {
  require_vm();
  if (HasFatalFailure()) return;
  char path[] = "/tmp/ptmc-test-garbage.XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  const std::string text = "this is not a kernel\n";
  for (int i = 0; i < 1000; ++i)
    ASSERT_EQ(write(fd, text.data(), text.size()), ssize_t(text.size()));
  close(fd);
  TargetOptions o;
  o.kernel_image = path;
  o.vm_timeout_s = 30;
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<Scenario> batch = small_batch();
  const TargetResult r = run_on_qemu(batch, o);
  const double took = seconds_since(t0);
  unlink(path);
  ASSERT_TRUE(r.error) << "a text file booted";
  std::printf("error: %s\n", r.error->c_str());
  EXPECT_NE(r.error->find("qemu-x86_64"), std::string::npos) << *r.error;
  EXPECT_LT(took, o.vm_timeout_s + 5) << *r.error;
  ASSERT_EQ(r.outcomes.size(), batch.size());
  for (const Outcome& out : r.outcomes) EXPECT_EQ(out.status, OutcomeStatus::error);
}

// An init that is not a program: the kernel finds no working init and panics; that is reported
// as a panic, at once, not as a timeout.
TEST_F(Qemu, KernelPanicIsAnError) {
  require_vm();
  if (HasFatalFailure()) return;
  char path[] = "/tmp/ptmc-test-init.XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "garbage\n", 8), 8);
  close(fd);
  chmod(path, 0755);
  setenv("PTMC_QEMU_INIT", path, 1);
  TargetOptions o;
  o.vm_timeout_s = 60;
  const auto t0 = std::chrono::steady_clock::now();
  const TargetResult r = run_on_qemu(small_batch(), o);
  const double took = seconds_since(t0);
  unlink(path);
  setenv("PTMC_QEMU_INIT", PTMC_QEMU_INIT_PATH, 1);
  ASSERT_TRUE(r.error);
  std::printf("error: %s\n", r.error->c_str());
  EXPECT_NE(r.error->find("panic"), std::string::npos) << *r.error;
  EXPECT_LT(took, o.vm_timeout_s) << *r.error;
}

// The whole-VM timeout kills QEMU and says so, naming the target.
TEST_F(Qemu, VmTimeoutKillsQemu) {
  require_vm();
  if (HasFatalFailure()) return;
  TargetOptions o;
  o.vm_timeout_s = 0.5; // no kernel boots that fast under QEMU
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<Scenario> batch = small_batch();
  const TargetResult r = run_on_qemu(batch, o);
  const double took = seconds_since(t0);
  ASSERT_TRUE(r.error);
  std::printf("error: %s\n", r.error->c_str());
  EXPECT_NE(r.error->find("qemu-x86_64"), std::string::npos) << *r.error;
  EXPECT_NE(r.error->find("did not finish within"), std::string::npos) << *r.error;
  EXPECT_LT(took, 10) << *r.error;
  ASSERT_EQ(r.outcomes.size(), batch.size());
  for (const Outcome& out : r.outcomes) EXPECT_EQ(out.status, OutcomeStatus::error);
}

// A VM stopped at its timeout in the middle of a batch keeps the outcomes it had reported.
TEST_F(Qemu, TimeoutKeepsFinishedOutcomes) {
  require_vm();
  if (HasFatalFailure()) return;
  const std::vector<Scenario> batch = repeated_batch(20000);
  TargetOptions o;
  o.vm_timeout_s = 15; // boot takes about 2 s, and the batch about 100 s under TCG
  const TargetResult r = run_on_qemu(batch, o);
  ASSERT_TRUE(r.error) << "20000 scenarios in 15 s: is this KVM? accel=" << r.accel;
  std::printf("error: %s\n", r.error->c_str());
  EXPECT_NE(r.error->find("did not finish within"), std::string::npos) << *r.error;
  ASSERT_EQ(r.outcomes.size(), batch.size());
  EXPECT_FALSE(r.kernel_release.empty());
  size_t ok = 0;
  while (ok < r.outcomes.size() && r.outcomes[ok].status == OutcomeStatus::ok) ++ok;
  EXPECT_GT(ok, 0u) << r.outcomes[0].message;
  ASSERT_LT(ok, r.outcomes.size());
  for (size_t k = ok + 1; k < r.outcomes.size(); ++k)
    ASSERT_EQ(r.outcomes[k].status, OutcomeStatus::error) << "scenario " << k;
  EXPECT_NE(r.outcomes.back().message.find("did not finish within"), std::string::npos)
      << r.outcomes.back().message;
}

// QEMU killed from outside in the middle of a batch (the OOM killer, a user): the error says
// so, and the outcomes the agent had reported are kept. PTMC_QEMU points at a wrapper that runs
// the real QEMU and SIGKILLs it once the console shows 40 results.
TEST_F(Qemu, KilledVmKeepsFinishedOutcomes) {
  require_vm();
  if (HasFatalFailure()) return;
  char dir[] = "/tmp/ptmc-test-killed-vm.XXXXXX";
  ASSERT_TRUE(mkdtemp(dir));
  const std::string wrapper = std::string(dir) + "/qemu";
  {
    std::ofstream w(wrapper);
    w << "#!/bin/bash\n"
         "log=\"$(dirname \"$0\")/console\"\n"
         "qemu-system-x86_64 \"$@\" > >(tee \"$log\") &\n"
         "qemu=$!\n"
         "for i in $(seq 1200); do\n"
         "  [ \"$(grep -c '^end ' \"$log\" 2>/dev/null)\" -ge 40 ] && break\n"
         "  sleep 0.1\n"
         "done\n"
         "kill -KILL $qemu\n"
         "wait $qemu\n"
         "kill -KILL $$\n";
  }
  chmod(wrapper.c_str(), 0755);
  setenv("PTMC_QEMU", wrapper.c_str(), 1);
  const size_t kinds = small_batch().size();
  const std::vector<Scenario> batch = repeated_batch(1000);
  TargetOptions o;
  o.wait_timeout_s = 5;
  const TargetResult r = run_on_qemu(batch, o);
  unsetenv("PTMC_QEMU");
  unlink((std::string(dir) + "/console").c_str());
  unlink(wrapper.c_str());
  rmdir(dir);
  ASSERT_TRUE(r.error) << "the VM was not killed: accel " << r.accel;
  std::printf("error: %s\n", r.error->c_str());
  EXPECT_NE(r.error->find("QEMU killed by signal 9"), std::string::npos) << *r.error;
  EXPECT_EQ(r.error->find("did not finish within"), std::string::npos) << *r.error;
  ASSERT_EQ(r.outcomes.size(), batch.size());
  size_t ok = 0;
  while (ok < r.outcomes.size() && r.outcomes[ok].status == OutcomeStatus::ok) ++ok;
  EXPECT_GE(ok, 40u);
  ASSERT_LT(ok, r.outcomes.size());
  for (size_t k = 0; k < ok; ++k)
    EXPECT_EQ(r.outcomes[k].trace, r.outcomes[k % kinds].trace) << "scenario " << k;
  for (size_t k = ok + 1; k < r.outcomes.size(); ++k)
    ASSERT_EQ(r.outcomes[k].status, OutcomeStatus::error) << "scenario " << k;
  EXPECT_NE(r.outcomes.back().message.find("killed by"), std::string::npos)
      << r.outcomes.back().message;
}

// The sandbox on Debian's kernel (docs/containment.md): every scenario of containment_cases.hpp
// in one VM, plus a tracee detached into a group stop, which no wait ever sees end: the agent's
// wait timeout cuts it, and the batch goes on.
TEST_F(Qemu, Containment) {
  require_vm();
  if (HasFatalFailure()) return;
  const auto cases = test::containment_cases();
  std::vector<Scenario> batch;
  for (const auto& c : cases) batch.push_back(c.scenario);
  batch.push_back(parse("ptmc-scenario 1\nprofile linux-x86_64\nprogram:\n  nop\n"
                        "actions:\n  detach sig=SIGSTOP\n"));
  batch.push_back(cases.front().scenario); // after the hang
  TargetOptions o;
  o.wait_timeout_s = 3;
  const TargetResult r = run_on_qemu(batch, o);
  ASSERT_FALSE(r.error) << *r.error;
  ASSERT_EQ(r.outcomes.size(), batch.size());
  for (size_t k = 0; k < cases.size(); ++k) {
    EXPECT_EQ(r.outcomes[k].status, OutcomeStatus::ok) << cases[k].name << r.outcomes[k].message;
    const std::string mismatch = test::containment_mismatch(cases[k], r.outcomes[k].trace);
    EXPECT_TRUE(mismatch.empty()) << mismatch;
  }
  const Outcome& hang = r.outcomes[cases.size()];
  EXPECT_EQ(hang.status, OutcomeStatus::hang) << hang.message;
  ASSERT_FALSE(hang.trace.empty());
  EXPECT_EQ(hang.trace.back().kind, StopKind::hang) << show(hang.trace);
  EXPECT_TRUE(test::containment_mismatch(cases.front(), r.outcomes.back().trace).empty())
      << show(r.outcomes.back().trace);
}

} // namespace
} // namespace ptmc::kernel
