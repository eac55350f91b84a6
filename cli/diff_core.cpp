#include "cli/diff_core.hpp"

#include "engine/runner.hpp"
#include "model/models.hpp"

#include <fmt/core.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <future>
#include <random>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace ptmc::cli {

namespace {

const Request kResumes[] = {Request::cont, Request::syscall, Request::singlestep, Request::sysemu,
                            Request::sysemu_singlestep};

Scenario base_scenario(const DiffSpec& spec) {
  Scenario s;
  s.profile = spec.profile->name;
  s.handler = spec.profile->domain.handler;
  s.repeat = Action{Request::cont, 0, true, {}};
  s.repeat_max = 40;
  return s;
}

void enumerate_programs(const std::vector<Insn>& alphabet, int length,
                        std::vector<std::vector<Insn>>& out) {
  std::vector<Insn> cur;
  std::function<void()> rec = [&] {
    if (!cur.empty()) out.push_back(cur);
    if (static_cast<int>(cur.size()) == length) return;
    for (const Insn& in : alphabet) {
      cur.push_back(in);
      rec();
      cur.pop_back();
    }
  };
  rec();
}

} // namespace

std::optional<std::string> no_target_for_kernel(const Profile& profile) {
  if (profile.kernel == "linux") return std::nullopt;
  return "profile '" + profile.name + "' models " + profile.kernel +
         ", which no target here runs; its rules are confirmed by source only (run it --on "
         "model, or compare it with Linux with 'ptmc compare')";
}

std::optional<std::string> target_arch_mismatch(const Profile& profile, const std::string& target) {
  const Arch want = arch_of_profile(profile.name);
  const Arch runs = kernel::target_arch(target);
  if (want == runs) return std::nullopt;
  return "the profile " + profile.name + " is " + std::string(arch_name(want)) + " and " + target +
         " runs " + std::string(arch_name(runs)) +
         (want == Arch::aarch64 ? " (use --on qemu-aarch64)" : "");
}

std::vector<Scenario> enumerate_scenarios(const DiffSpec& spec) {
  std::vector<Scenario> out;
  const auto& alphabet = spec.profile->domain.alphabet;
  const Arch arch = arch_of_profile(spec.profile->name);
  if (spec.random) {
    std::mt19937_64 rng(spec.seed);
    auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
    const int signals[] = {0, sig::usr1, sig::usr2, sig::trap};
    while (out.size() < *spec.random) {
      Scenario s = base_scenario(spec);
      s.options.tracesysgood = rng() & 1;
      const size_t n = 1 + pick(static_cast<size_t>(spec.length) + 3);
      for (size_t i = 0; i < n; ++i) s.program.push_back(alphabet[pick(alphabet.size())]);
      const size_t k = 1 + pick(static_cast<size_t>(spec.depth) + 3);
      for (size_t i = 0; i < k; ++i) {
        Action a{kResumes[pick(5)], 0, false, {}};
        if (pick(40) == 0) a.request = pick(2) ? Request::detach : Request::kill;
        switch (pick(9)) {
        case 7: {
          // rip to an instruction of the program or the handler (both are real code).
          const bool handler = pick(4) == 0;
          const size_t limit = handler ? s.handler.size() + 4 : s.program.size() + 3;
          a.edits.push_back(Edit{Reg::rip, 0,
                                 Loc{handler ? Loc::Space::handler : Loc::Space::program,
                                     static_cast<uint16_t>(pick(limit))}});
          break;
        }
        case 0:
          a.signal = signals[pick(4)];
          break;
        case 1:
          a.pass = true;
          break;
        case 2:
          // Skip the syscall, or make it getpid.
          a.edits.push_back(
              Edit{Reg::orig_rax, pick(2) ? -1 : *syscall_number(arch, nr::getpid), {}});
          break;
        case 3:
          a.edits.push_back(Edit{Reg::rax, kTracerResult, {}});
          break;
        case 4:
          a.edits.push_back(Edit{Reg::tf, static_cast<int64_t>(pick(2)), {}});
          break;
        default:
          break;
        }
        s.actions.push_back(a);
      }
      if (unsupported_by_model(s)) continue;
      s.source = fmt::format("random-{}-{}", spec.seed, out.size());
      out.push_back(std::move(s));
    }
  } else {
    std::vector<std::vector<Insn>> programs;
    enumerate_programs(alphabet, spec.length, programs);
    std::vector<std::vector<Request>> sequences{{}};
    for (int d = 0; d < spec.depth; ++d) {
      std::vector<std::vector<Request>> longer;
      for (const auto& seq : sequences)
        for (Request r : kResumes) {
          auto s = seq;
          s.push_back(r);
          longer.push_back(s);
        }
      sequences = std::move(longer);
    }
    size_t n = 0;
    for (const auto& prog : programs)
      for (const auto& seq : sequences) {
        Scenario s = base_scenario(spec);
        s.program = prog;
        for (Request r : seq) s.actions.push_back(Action{r, 0, false, {}});
        s.options.tracesysgood = (n++ % 2) == 0;
        if (unsupported_by_model(s)) continue;
        s.source = fmt::format("enum-{}", out.size());
        out.push_back(std::move(s));
      }
  }
  if (spec.add_random && !spec.random) {
    DiffSpec r = spec;
    r.random = spec.add_random;
    r.extra_files.clear();
    for (auto& sc : enumerate_scenarios(r)) out.push_back(std::move(sc));
  }
  for (const auto& file : spec.extra_files) {
    std::ifstream f(file);
    std::stringstream ss;
    ss << f.rdbuf();
    auto parsed = parse_scenario(ss.str(), file);
    if (parsed.scenario && parsed.scenario->profile == spec.profile->name)
      out.push_back(*parsed.scenario);
  }
  return out;
}

namespace {

// The outcomes of scenarios [begin, end), one agent run (or VM boot) per spec.batch of them.
struct SliceResult {
  std::string kernel_release, accel;
  std::vector<kernel::Outcome> outcomes;
  std::vector<std::string> errors;
  std::optional<std::string> fatal;
  double seconds_boot = 0;
};

SliceResult run_slice(const DiffSpec& spec, const std::vector<Scenario>& scenarios, size_t begin,
                      size_t end, bool show_progress) {
  SliceResult c;
  for (size_t start = begin; start < end; start += spec.batch) {
    const size_t stop = std::min(end, start + spec.batch);
    std::vector<Scenario> batch(scenarios.begin() + static_cast<std::ptrdiff_t>(start),
                                scenarios.begin() + static_cast<std::ptrdiff_t>(stop));
    if (show_progress)
      fmt::print(stderr, "\r[diff] {} scenarios {}..{} on {}   ", spec.target, start, stop,
                 spec.target);
    const auto res = kernel::run_on_target(spec.target, batch, spec.target_options);
    if (!res.kernel_release.empty()) c.kernel_release = res.kernel_release;
    if (!res.accel.empty()) c.accel = res.accel;
    c.seconds_boot += res.seconds_boot;
    if (res.error) {
      c.errors.push_back(*res.error);
      if (res.outcomes.empty() && start == begin) c.fatal = *res.error;
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      if (i < res.outcomes.size()) {
        c.outcomes.push_back(res.outcomes[i]);
      } else {
        kernel::Outcome o;
        o.status = kernel::OutcomeStatus::error;
        o.message = "no result from " + spec.target;
        c.outcomes.push_back(o);
      }
    }
  }
  return c;
}

} // namespace

DiffCorpus run_batch_on_target(const DiffSpec& spec, const std::vector<Scenario>& scenarios) {
  DiffCorpus c;
  c.target = spec.target;
  c.scenarios = scenarios;
  const auto t0 = std::chrono::steady_clock::now();
  const bool show_progress = !spec.quiet && isatty(STDERR_FILENO);
  // Host agents, or QEMU VMs, run side by side, each on a contiguous slice (the scenarios are
  // independent: each runs in its own forked tracee). A VM has its own temporary directory and
  // initramfs, no disk image (the kernel image is only read) and no network (-nic none; the
  // agent talks over the serial console), so nothing else is shared; each keeps its own timeout.
  // QEMU targets default to one VM (each takes 512 MiB); --jobs asks for more.
  size_t jobs = 1;
  if (spec.target == "host")
    jobs = spec.jobs ? spec.jobs : std::max(1u, std::thread::hardware_concurrency());
  else if (spec.jobs)
    jobs = spec.jobs;
  jobs = std::max<size_t>(1, std::min(jobs, scenarios.size() / 64));
  const size_t per = (scenarios.size() + jobs - 1) / std::max<size_t>(jobs, 1);
  std::vector<std::future<SliceResult>> slices;
  for (size_t k = 0; k < jobs; ++k) {
    const size_t begin = std::min(scenarios.size(), k * per);
    const size_t end = std::min(scenarios.size(), begin + per);
    slices.push_back(std::async(jobs > 1 ? std::launch::async : std::launch::deferred, run_slice,
                                std::cref(spec), std::cref(scenarios), begin, end,
                                show_progress && k == 0));
  }
  for (auto& f : slices) {
    SliceResult r = f.get();
    if (!r.kernel_release.empty()) c.kernel_release = r.kernel_release;
    if (!r.accel.empty()) c.accel = r.accel;
    c.seconds_boot += r.seconds_boot;
    if (r.fatal && c.outcomes.empty()) c.fatal = r.fatal;
    for (auto& e : r.errors) c.errors.push_back(std::move(e));
    for (auto& o : r.outcomes) c.outcomes.push_back(std::move(o));
  }
  if (show_progress) fmt::print(stderr, "\r{:80}\r", "");
  c.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return c;
}

DiffCorpus collect_kernel_traces(const DiffSpec& spec) {
  return run_batch_on_target(spec, enumerate_scenarios(spec));
}

DiffOutcome diff_model_against(const DiffCorpus& corpus, const Profile& profile,
                               size_t max_examples) {
  DiffOutcome d;
  for (size_t i = 0; i < corpus.scenarios.size(); ++i) {
    const auto& o = corpus.outcomes[i];
    if (o.status != kernel::OutcomeStatus::ok) {
      ++d.kernel_failed;
      continue;
    }
    const ModelRun run = run_on_model(corpus.scenarios[i], profile);
    if (run.error) {
      ++d.model_refused;
      continue;
    }
    ++d.compared;
    d.exercised |= run.rules_fired;
    if (!first_difference(run.trace, o.trace)) {
      ++d.agree;
      d.confirmed |= run.rules_fired;
      for (size_t r = 0; r < kRuleCount; ++r) d.confirmations[r] += run.rules_fired.test(r);
    } else {
      ++d.disagree;
      if (d.disagreements.size() < max_examples) d.disagreements.push_back(i);
    }
  }
  return d;
}

} // namespace ptmc::cli
