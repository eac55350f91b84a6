// The qemu-aarch64 target end to end: Debian's arm64 kernel booted under qemu-system-aarch64
// (TCG), the cross-compiled agent inside. Like test_qemu.cpp, these need what scripts/setup.sh
// installs (qemu-system-arm, g++-aarch64-linux-gnu) and the kernel scripts/fetch-kernels.sh
// downloads; without them they fail and say so.
#include "kernel/qemu.hpp"
#include "tests/kernel/containment_cases.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <unistd.h>

namespace ptmc::kernel {
namespace {

std::string kernel_image() {
  const char* dir = getenv("PTMC_KERNEL_DIR");
  return (dir && *dir ? std::string(dir) : std::string("/var/cache/ptmc/kernels")) +
         "/aarch64/vmlinuz";
}

class QemuAarch64 : public ::testing::Test {
protected:
  void SetUp() override {
    setenv("PTMC_AGENT_AARCH64", PTMC_AGENT_AARCH64_PATH, 0);
    setenv("PTMC_QEMU_INIT_AARCH64", PTMC_QEMU_INIT_AARCH64_PATH, 0);
  }
  static void require_vm() {
    ASSERT_EQ(access(kernel_image().c_str(), R_OK), 0)
        << "no Debian arm64 kernel at " << kernel_image()
        << ": run scripts/setup.sh (it runs scripts/fetch-kernels.sh)";
    ASSERT_EQ(access(PTMC_AGENT_AARCH64_PATH, X_OK), 0)
        << "no arm64 agent at " << PTMC_AGENT_AARCH64_PATH
        << ": scripts/setup.sh installs g++-aarch64-linux-gnu, then rebuild";
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

// What the arm64 kernel shows of its own register conventions, checked against the source
// (docs/arm64-observations.md cites it): every run of these must come out this way.
TEST_F(QemuAarch64, SyscallStopsShowArm64Registers) {
  require_vm();
  if (HasFatalFailure()) return;
  const std::vector<Scenario> batch = {parse(R"(ptmc-scenario 1
profile linux-aarch64
options tracesysgood
program:
  nr getpid
  syscall
actions:
  syscall
  syscall
  syscall
  cont
)")};
  TargetOptions o;
  o.wait_timeout_s = 5;
  const TargetResult r = run_on_qemu(batch, o, Arch::aarch64);
  ASSERT_FALSE(r.error) << *r.error;
  EXPECT_EQ(r.target, "qemu-aarch64");
  EXPECT_EQ(r.accel, "tcg"); // no KVM for a foreign architecture
  EXPECT_TRUE(r.kernel_release.starts_with("6.1.")) << r.kernel_release;
  ASSERT_EQ(r.outcomes.size(), 1u);
  const Trace& t = r.outcomes[0].trace;
  ASSERT_EQ(t.size(), 5u) << show(t);
  EXPECT_EQ(t[0].arch, Arch::aarch64);
  // syscall-enter: x0 is getpid's first argument, 0 (no -ENOSYS preset); x7 is 0 (entry).
  EXPECT_EQ(t[1].kind, StopKind::syscall_enter) << show(t);
  EXPECT_EQ(t[1].x0, 0);
  EXPECT_EQ(t[1].x8, nr_aarch64::getpid);
  EXPECT_EQ(t[1].syscallno, nr_aarch64::getpid);
  EXPECT_EQ(t[1].x7, 0u);
  // syscall-exit: the pid in x0, x7 is 1 (exit).
  EXPECT_EQ(t[2].kind, StopKind::syscall_exit);
  EXPECT_EQ(t[2].x0, kPidToken);
  EXPECT_EQ(t[2].x7, 1u);
  // exit_group(x0): the exit status is the pid's low byte.
  EXPECT_EQ(t[3].syscallno, nr_aarch64::exit_group);
  EXPECT_EQ(t[4].kind, StopKind::exited);
  EXPECT_EQ(t[4].exit_code, kPidToken);
}

// The sandbox on Debian's arm64 kernel (docs/containment.md): the allowlist built from
// scenario/syscalls.hpp's arm64 list kills what the model refuses and lets the rest through.
TEST_F(QemuAarch64, Containment) {
  require_vm();
  if (HasFatalFailure()) return;
  const auto cases = test::containment_cases_aarch64();
  std::vector<Scenario> batch;
  for (const auto& c : cases) batch.push_back(c.scenario);
  TargetOptions o;
  o.wait_timeout_s = 5;
  const TargetResult r = run_on_qemu(batch, o, Arch::aarch64);
  ASSERT_FALSE(r.error) << *r.error;
  ASSERT_EQ(r.outcomes.size(), batch.size());
  for (size_t k = 0; k < cases.size(); ++k) {
    EXPECT_EQ(r.outcomes[k].status, OutcomeStatus::ok) << cases[k].name << r.outcomes[k].message;
    const std::string mismatch = test::containment_mismatch(cases[k], r.outcomes[k].trace);
    EXPECT_TRUE(mismatch.empty()) << mismatch;
  }
}

TEST_F(QemuAarch64, X86ScenariosAreRefused) {
  Scenario s = parse("ptmc-scenario 1\nprofile linux-x86_64\nprogram:\n  nop\n");
  const TargetResult r = run_on_qemu({s}, TargetOptions{}, Arch::aarch64);
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->find("runs aarch64"), std::string::npos) << *r.error;
  ASSERT_EQ(r.outcomes.size(), 1u);
  EXPECT_EQ(r.outcomes[0].status, OutcomeStatus::error);
}

TEST_F(QemuAarch64, MissingAgentSaysHowToBuildIt) {
  setenv("PTMC_AGENT_AARCH64", "/nonexistent/ptmc-agent", 1);
  Scenario s = parse("ptmc-scenario 1\nprofile linux-aarch64\nprogram:\n  nop\n");
  const TargetResult r = run_on_qemu({s}, TargetOptions{}, Arch::aarch64);
  setenv("PTMC_AGENT_AARCH64", PTMC_AGENT_AARCH64_PATH, 1);
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->find("qemu-aarch64"), std::string::npos) << *r.error;
  EXPECT_NE(r.error->find("aarch64-linux-gnu-g++"), std::string::npos) << *r.error;
}

} // namespace
} // namespace ptmc::kernel
