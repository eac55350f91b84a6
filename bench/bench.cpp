// ptmc-bench: the speed and memory figures the issues set targets for, each printed with its
// ratio to the target (> 1 is better than the target for rates, < 1 for times and memory).
//   - check of linux-x86_64 at program bound 6: under 60 s and 8 GiB
//   - scenarios per second on the host kernel: at least 1000
//   - a 5000-scenario QEMU batch under TCG, boot included: under 60 s (with --qemu)
#include "cli/diff_core.hpp"
#include "engine/check.hpp"
#include "model/profile.hpp"

#include <fmt/core.h>

#include <cstring>

using namespace ptmc;

namespace {

void ratio(const char* what, double value, const char* unit, double target, bool higher_is_better) {
  const double r = higher_is_better ? value / target : target / value;
  fmt::print("{:<44} {:>12.2f} {:<10} target {:>8.0f}  ratio {:>5.2f} {}\n", what, value, unit,
             target, r, r >= 1 ? "(meets)" : "(misses)");
}

} // namespace

int main(int argc, char** argv) {
  bool qemu = false;
  int bound = 6;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--qemu"))
      qemu = true;
    else if (!strcmp(argv[i], "--bound") && i + 1 < argc)
      bound = atoi(argv[++i]);
    else {
      fmt::print(stderr, "usage: ptmc-bench [--qemu] [--bound N]\n");
      return 2;
    }
  }
  const Profile& linux = *find_profile("linux-x86_64");

  CheckOptions o;
  o.bound = bound;
  const CheckReport rep = check_profile(linux, o);
  double total = rep.main.seconds;
  for (const auto& r : rep.results)
    if (r.property == PropertyId::transparency || r.property == PropertyId::tf_transparency)
      total += r.seconds;
  fmt::print("check linux-x86_64, bound {}: {} states, {} transitions, {:.0f} states/s\n", bound,
             rep.main.states, rep.main.transitions, rep.main.states / rep.main.seconds);
  ratio("check time (s)", total, "s", 60, false);
  ratio("check peak RSS (GiB)", rep.rss_peak_bytes / double(1ull << 30), "GiB", 8, false);
  fmt::print("{:<44} {:>12.1f} bytes per state (engine tables)\n", "memory per state",
             double(rep.main.peak_bytes) / double(rep.main.states));

  cli::DiffSpec spec;
  spec.profile = &linux;
  spec.target = "host";
  spec.length = 2;
  spec.depth = 2;
  spec.quiet = true;
  const cli::DiffCorpus host = cli::collect_kernel_traces(spec);
  if (host.fatal) {
    fmt::print("host: {}\n", *host.fatal);
  } else {
    fmt::print("host: Linux {}, {} scenarios in {:.2f} s\n", host.kernel_release,
               host.scenarios.size(), host.seconds);
    ratio("host scenarios per second", host.scenarios.size() / host.seconds, "scen/s", 1000, true);
  }

  if (qemu) {
    cli::DiffSpec q = spec;
    q.target = "qemu-x86_64";
    q.random = 5000;
    q.seed = 1;
    q.batch = 5000;
    const cli::DiffCorpus vm = cli::collect_kernel_traces(q);
    if (vm.fatal) {
      fmt::print("qemu: {}\n", *vm.fatal);
      return 1;
    }
    fmt::print("qemu: Linux {} ({}), {} scenarios in {:.1f} s, {:.1f} s of it booting\n",
               vm.kernel_release, vm.accel, vm.scenarios.size(), vm.seconds, vm.seconds_boot);
    ratio("qemu batch of 5000, boot included (s)", vm.seconds, "s", 60, false);
    ratio("qemu scenarios per second, with boot", vm.scenarios.size() / vm.seconds, "scen/s",
          5000.0 / 60, true);
    fmt::print("{:<44} {:>12.1f} scen/s\n", "qemu scenarios per second, without boot",
               vm.scenarios.size() / (vm.seconds - vm.seconds_boot));
  }
  return 0;
}
