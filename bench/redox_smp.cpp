// ptmc-bench-redox-smp: the full check of every concurrent Redox profile, in its own domain,
// timed against the target (under 2 minutes each), and the state counts with and
// without the partial-order reduction. A benchmark, not a test: ctest does not run it.
//   build/ptmc-bench-redox-smp [--no-unreduced] [PROFILE...]
#include "model/redox/smp/check.hpp"

#include <fmt/core.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

using namespace ptmc::redox_smp;

namespace {

std::string commas(uint64_t n) {
  std::string s = std::to_string(n), out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i && (s.size() - i) % 3 == 0) out += ',';
    out += s[i];
  }
  return out;
}

} // namespace

int main(int argc, char** argv) {
  bool unreduced = true;
  std::vector<std::string> names;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--no-unreduced"))
      unreduced = false;
    else if (find_variant(argv[i]))
      names.push_back(argv[i]);
    else {
      fmt::print(stderr, "usage: ptmc-bench-redox-smp [--no-unreduced] [PROFILE...]\n");
      return 2;
    }
  }
  if (names.empty())
    for (const auto& v : variants()) names.push_back(v.name);

  constexpr double kTarget = 120; // seconds, issue 8: each variant's full check
  fmt::print("{:<26} {:>11} {:>11} {:>11} {:>11} {:>8} {:>7}  {}\n", "profile", "explore",
             "unreduced", "histories", "refinement", "check s", "ratio", "verdicts");
  for (const auto& n : names) {
    const Variant& v = *find_variant(n);
    CheckOptions o;
    const auto t0 = std::chrono::steady_clock::now();
    const CheckReport r = check(v, o);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    auto phase = [&](const std::string& p) -> uint64_t {
      for (const auto& ph : r.phases)
        if (ph.phase == p) return ph.stats.states;
      return 0;
    };
    std::string unreduced_states = "-";
    if (unreduced) unreduced_states = commas(explore_only(v, v.domain, false).states);
    int violated = 0, known = 0, holds = 0;
    for (const auto& pr : r.results) {
      violated += pr.verdict == Verdict::violated;
      known += pr.verdict == Verdict::known_violation;
      holds += pr.verdict == Verdict::holds;
    }
    fmt::print("{:<26} {:>11} {:>11} {:>11} {:>11} {:>8.1f} {:>7.2f}  {} hold, {} known, {} "
               "violated{}\n",
               n, commas(phase("explore")), unreduced_states, commas(phase("determinism")),
               commas(phase("refinement")), secs, kTarget / secs, holds, known, violated,
               r.complete ? "" : " (incomplete)");
  }
  fmt::print("ratio = {:.0f} s / check time: above 1 meets the target. 'unreduced' is the "
             "single-run exploration without the reduction (no products).\n",
             kTarget);
  return 0;
}
