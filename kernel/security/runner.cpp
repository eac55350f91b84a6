#include "kernel/security/runner.hpp"

#include "kernel/qemu.hpp"
#include "model/security/cases.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace ptmc::kernel {

namespace {

// The rest of `line` after `word` and a blank, or nullopt.
std::optional<std::string> after_word(const std::string& line, const std::string& word) {
  if (!line.starts_with(word + " ")) return std::nullopt;
  return line.substr(word.size() + 1);
}

// "NAME INDEX TEXT" -> its three parts.
bool split_step(const std::string& rest, std::string& name, size_t& index, std::string& text) {
  const size_t a = rest.find(' ');
  if (a == std::string::npos) return false;
  const size_t b = rest.find(' ', a + 1);
  if (b == std::string::npos) return false;
  name = rest.substr(0, a);
  index = static_cast<size_t>(std::strtoul(rest.substr(a + 1, b - a - 1).c_str(), nullptr, 10));
  text = rest.substr(b + 1);
  return true;
}

void parse_console(const std::string& console, SecurityRun& run, bool& saw_done) {
  std::istringstream lines(console);
  for (std::string line; std::getline(lines, line);) {
    std::erase(line, '\r');
    if (const auto rest = after_word(line, "ptmc-sec-helper 1")) {
      const size_t yama = rest->find(" yama=");
      run.kernel_release = rest->substr(0, yama);
      if (yama != std::string::npos && run.yama.empty()) run.yama = rest->substr(yama + 6);
    } else if (const auto name = after_word(line, "case")) {
      run.cases[*name].ran = true;
    } else if (const auto rest = after_word(line, "step")) {
      std::string n, text;
      size_t i = 0;
      if (split_step(*rest, n, i, text)) run.cases[n].steps[i] = text;
    } else if (const auto rest = after_word(line, "detail")) {
      std::string n, text;
      size_t i = 0;
      if (split_step(*rest, n, i, text)) run.cases[n].details[i] = text;
    } else if (const auto rest = after_word(line, "skip")) {
      const size_t blank = rest->find(' ');
      run.cases[rest->substr(0, blank)].skipped =
          blank == std::string::npos ? "skipped" : rest->substr(blank + 1);
    } else if (line == "done") {
      saw_done = true;
    } else if (const auto why = after_word(line, "fatal")) {
      if (!run.error) run.error = "ptmc-sec-helper: " + *why;
    }
  }
}

} // namespace

std::string find_security_helper() {
  if (const char* env = getenv("PTMC_SEC_HELPER"); env && *env) return env;
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (ec ? std::string(".") : self.parent_path().string()) + "/ptmc-sec-helper";
}

SecurityRun run_security_cases_on_qemu(const std::vector<std::string>& only,
                                       const TargetOptions& options) {
  SecurityRun run;
  bool want_low = false, want_high = false;
  for (const security::Case& c : security::linux_cases()) {
    if (!only.empty() && std::find(only.begin(), only.end(), c.name) == only.end()) continue;
    (c.yama == 3 ? want_high : want_low) = true;
  }
  for (const bool high : {false, true}) {
    if (!(high ? want_high : want_low)) continue;
    VmPayload p;
    p.program = find_security_helper();
    p.missing_hint = "the security helper " + p.program +
                     " is missing or not executable (build the ptmc-sec-helper target, or set "
                     "PTMC_SEC_HELPER)";
    p.args = {"--vm"};
    if (high) p.args.push_back("--yama3");
    for (const std::string& name : only) {
      p.args.push_back("--case");
      p.args.push_back(name);
    }
    p.ready_prefix = "ptmc-sec-helper 1 ";
    p.timeout_s = options.vm_timeout_s > 0 ? options.vm_timeout_s : 240;
    const VmRun vm = run_payload_on_qemu(p, options);
    SecurityBoot boot;
    boot.group = high ? "scope 3" : "scopes 0-2";
    boot.accel = vm.accel;
    boot.seconds = vm.seconds_total;
    boot.seconds_boot = vm.ready_s.value_or(0);
    bool saw_done = false;
    parse_console(vm.console, run, saw_done);
    if (const std::string why = vm.failure(); !why.empty())
      boot.error = why;
    else if (!saw_done)
      boot.error = "the helper stopped before the end (" +
                   (vm.init_exit.empty() ? std::string("no exit status") : vm.init_exit) + ")";
    if (boot.error && !run.error) run.error = "qemu-x86_64 (" + boot.group + "): " + *boot.error;
    run.boots.push_back(boot);
  }
  return run;
}

} // namespace ptmc::kernel
