#include "engine/check.hpp"

#include "engine/checkpoint.hpp"
#include "engine/counterexample.hpp"
#include "engine/models.hpp"
#include "engine/redox.hpp"
#include "engine/thread_pool.hpp"
#include "engine/verdicts.hpp"
#include "model/models.hpp"

#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <unistd.h>

namespace ptmc {

std::string_view verdict_name(Verdict v) {
  switch (v) {
  case Verdict::holds:
    return "holds";
  case Verdict::violated:
    return "violated";
  case Verdict::expected_violation:
    return "expected-violation";
  case Verdict::unknown:
    return "unknown";
  }
  return "?";
}

namespace {
uint64_t status_field(const char* name) {
  std::ifstream f("/proc/self/status");
  std::string line;
  const size_t n = std::strlen(name);
  while (std::getline(f, line))
    if (line.rfind(name, 0) == 0) return std::stoull(line.substr(n)) * 1024;
  return 0;
}
} // namespace

uint64_t rss_peak_bytes() {
  return status_field("VmHWM:");
}
uint64_t rss_now_bytes() {
  return status_field("VmRSS:");
}

namespace {

Profile with_bound(const Profile& p, const CheckOptions& o) {
  Profile q = p;
  if (o.bound) q.domain.program_bound = *o.bound;
  if (o.tf_edits) q.domain.tf_edits = {0, 1};
  return q;
}

// Where check_profile is, for checkpoints: which exploration runs, or that the main one is done
// and only its graph pass is left.
enum class CheckPhase : uint8_t { transparency, tf_transparency, main, graph_pass };

// The checkpoint side of check_profile: what a resumed run reads back, and when to write.
class Checkpointing {
public:
  Checkpointing(const CheckOptions& options, CheckpointIdentity identity)
      : options_(options), identity_(std::move(identity)),
        last_write_(std::chrono::steady_clock::now()) {}

  // --resume: reads everything up to the exploration in progress, which the phase that owns it
  // reads later (take_exploration).
  void open_resume(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw CheckpointError("cannot read checkpoint " + path);
    reader_ = std::make_unique<BinaryReader>(fd_, "checkpoint " + path);
    try {
      read_and_check_identity(*reader_, identity_);
      const uint64_t n = reader_->u64();
      for (uint64_t i = 0; i < n; ++i) resumed_results.push_back(read_result(*reader_));
      resumed_rules = read_rules(*reader_);
      resumed_phase = static_cast<CheckPhase>(reader_->u8());
      has_exploration_ = reader_->u8() != 0;
    } catch (const SpoolError& e) {
      throw CheckpointError(e.what());
    }
    if (!has_exploration_) close_resume();
  }

  // The saved exploration of `phase`, loaded into `e`; false if there is none for it.
  template <class E> bool take_exploration(CheckPhase phase, E& e) {
    if (!reader_ || resumed_phase != phase) return false;
    try {
      e.load(*reader_);
    } catch (const SpoolError& err) {
      throw CheckpointError(err.what());
    }
    close_resume();
    return true;
  }

  bool interrupted() const { return options_.interrupt && options_.interrupt->load(); }
  bool due() const {
    return options_.checkpoint &&
           std::chrono::duration<double>(std::chrono::steady_clock::now() - last_write_).count() >=
               options_.checkpoint_every;
  }

  // Writes the checkpoint: the results so far, the coverage, the phase and (if any) its
  // exploration.
  template <class E>
  void write(const std::vector<PropertyResult>& results, const RuleSet& rules, CheckPhase phase,
             const E* exploration) {
    if (!options_.checkpoint) return;
    write_binary_atomically(*options_.checkpoint, [&](BinaryWriter& w) {
      write_identity(w, identity_);
      w.u64(results.size());
      for (const auto& r : results) write_result(w, r);
      write_rules(w, rules);
      w.u8(static_cast<uint8_t>(phase));
      w.u8(exploration != nullptr);
      if (exploration) exploration->save(w);
    });
    last_write_ = std::chrono::steady_clock::now();
    written = *options_.checkpoint;
  }

  std::vector<PropertyResult> resumed_results;
  RuleSet resumed_rules;
  CheckPhase resumed_phase = CheckPhase::transparency;
  std::optional<std::string> written;

  ~Checkpointing() { close_resume(); }

private:
  void close_resume() {
    reader_.reset();
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  const CheckOptions& options_;
  CheckpointIdentity identity_;
  std::chrono::steady_clock::time_point last_write_;
  int fd_ = -1;
  std::unique_ptr<BinaryReader> reader_;
  bool has_exploration_ = false;
};

struct NoExploration {
  void save(BinaryWriter&) const {}
};

template <class M> CheckReport check_model(const Profile& profile, const CheckOptions& options) {
  CheckReport report;
  report.rss_start_bytes = rss_now_bytes();
  report.profile = profile.name;
  report.bound = profile.domain.program_bound;
  report.threads = options.threads ? options.threads : ThreadPool::hardware_threads();
  const M model(profile, std::nullopt, profile.domain.handler);
  std::vector<bool> root_tsg;
  for (const auto& s : model.initial_states()) root_tsg.push_back(s.tracesysgood != 0);

  const auto wanted = [&](PropertyId p) { return ptmc::wanted(options, p); };
  auto limits_for = [&](const std::string& phase) {
    ExploreLimits l;
    l.max_states = options.max_states;
    l.max_bytes = options.max_bytes;
    l.threads = report.threads;
    l.exact = options.exact;
    l.progress = progress_for(options, phase);
    return l;
  };

  CheckpointIdentity identity;
  identity.profile = profile.name;
  identity.bound = report.bound;
  identity.threads = report.threads;
  identity.exact = options.exact;
  identity.model_hash = model_hash(profile);
  identity.options_hash = options_hash(options);
  Checkpointing ck(options, identity);
  if (options.resume) ck.open_resume(*options.resume);
  auto resumed = [&](PropertyId id) -> const PropertyResult* {
    for (const auto& r : ck.resumed_results)
      if (r.property == id) return &r;
    return nullptr;
  };

  const uint32_t unexpected = unexpected_properties(profile);
  // Replays a path from the initial state numbered `root` into a scenario.
  const auto builder = [&](const std::vector<Action>& actions) {
    return [&model, &actions, &root_tsg](uint32_t root, const std::vector<Label>& path) {
      return build_counterexample(model, actions, root_tsg[root], path);
    };
  };
  bool failed_fast = false; // with --fail-fast, an unexpected violation ends the check
  const MonitoredModel<M> monitored(model, wanted(PropertyId::determinism));
  monitored.add_covered(ck.resumed_rules);

  // Between blocks of every exploration: a checkpoint when one is due or the run is
  // interrupted, and the interruption itself.
  auto after_block = [&](CheckPhase phase) {
    return [&, phase](const auto& exploration) {
      const bool stop = ck.interrupted();
      if (stop || ck.due()) ck.write(report.results, monitored.covered(), phase, &exploration);
      return !stop;
    };
  };
  auto interrupted_between = [&](CheckPhase next) {
    if (!ck.interrupted()) return false;
    ck.write(report.results, monitored.covered(), next, static_cast<const NoExploration*>(nullptr));
    report.interrupted = true;
    report.complete = false;
    return true;
  };

  // 1. The transparency products: small, so they go first.
  for (bool with_tf : {false, true}) {
    const PropertyId id = with_tf ? PropertyId::tf_transparency : PropertyId::transparency;
    const CheckPhase phase = with_tf ? CheckPhase::tf_transparency : CheckPhase::transparency;
    if (!wanted(id) || failed_fast || report.interrupted) continue;
    if (const PropertyResult* done = resumed(id)) {
      report.results.push_back(*done);
      if (done->verdict == Verdict::unknown) report.complete = false;
      failed_fast |=
          options.fail_fast && done->verdict == Verdict::violated && (unexpected & bit(id));
      continue;
    }
    if (interrupted_between(phase)) break;
    M passing = model;
    passing.track_last_request(true); // the product's tracer resumes with sig=pass
    const TransparencyModel<M> product(passing, with_tf);
    ExploreLimits pl = limits_for(std::string(property_info(id).name));
    if (options.fail_fast) pl.stop_on = unexpected;
    Exploration<TransparencyModel<M>> r(product, pl);
    if (!ck.take_exploration(phase, r)) r.start();
    r.run(after_block(phase));
    if (r.stats.stopped_by == "interrupted") {
      report.interrupted = true;
      report.complete = false;
      break;
    }
    PropertyResult pr = base_result(id, r.stats);
    fill_from_violation(pr, r, static_cast<size_t>(id), builder(product.actions()));
    if (!r.stats.complete) report.complete = false;
    failed_fast |= options.fail_fast && pr.verdict == Verdict::violated && (unexpected & bit(id));
    report.results.push_back(std::move(pr));
  }

  // 2. The monitored exploration: every monitor property, determinism, and the edges for the
  //    graph pass (no-deadlock).
  const auto decided_before_main = static_cast<std::ptrdiff_t>(report.results.size());
  if (!failed_fast && !report.interrupted && !interrupted_between(CheckPhase::main)) {
    ExploreLimits limits = limits_for("explore");
    limits.store_edges = wanted(PropertyId::no_deadlock);
    limits.edge_filter = edge::drive | edge::env;
    if (options.fail_fast) limits.stop_on = unexpected;
    Exploration<MonitoredModel<M>> main(monitored, limits);
    const bool explored = ck.take_exploration(CheckPhase::graph_pass, main);
    const bool resumed_main = explored || ck.take_exploration(CheckPhase::main, main);
    if (!resumed_main) main.start();
    if (options.resume) report.resumed_states = resumed_main ? main.stats.states : 0;
    if (!explored) main.run(after_block(CheckPhase::main));
    report.main = main.stats;
    report.complete = report.complete && main.stats.complete;
    if (main.stats.stopped_by == "interrupted") report.interrupted = true;

    const std::function<bool(PropertyId)> applies = [&](PropertyId id) {
      return wanted(id) && property_applies(property_info(id), profile.kernel);
    };
    if (!report.interrupted)
      failed_fast = monitor_results(report, main, options, unexpected, applies,
                                    builder(model.tracer_domain()));
    if (applies(PropertyId::no_deadlock) && !failed_fast && !report.interrupted &&
        main.stats.complete && ck.interrupted()) {
      // Keep the explored graph: a resumed run goes straight to the graph pass.
      const std::vector<PropertyResult> before(report.results.begin(),
                                               report.results.begin() + decided_before_main);
      ck.write(before, monitored.covered(), CheckPhase::graph_pass, &main);
      report.interrupted = true;
      report.complete = false;
    }
    if (applies(PropertyId::no_deadlock) && !failed_fast && !report.interrupted)
      no_deadlock_result(
          report, main, edge::drive, builder(model.tracer_domain()),
          "from the last state of this scenario no resume-only tracer can end the tracee");
  }

  apply_expectations(report, profile);
  report.rules_covered = monitored.covered() & profile.rules();
  report.rules_total = profile.rules().count();
  report.rss_peak_bytes = rss_peak_bytes();
  report.checkpoint_written = ck.written;
  return report;
}

template <class M>
ExploreReport explore_model(const Profile& profile, const CheckOptions& options,
                            const std::optional<std::string>& dot_path) {
  const M model(profile, std::nullopt, profile.domain.handler);
  const MonitoredModel<M> monitored(model, false, options.monitors);
  ExploreLimits limits;
  limits.max_states = options.max_states;
  limits.max_bytes = options.max_bytes;
  limits.threads = options.threads;
  limits.exact = options.exact;
  limits.store_edges = dot_path.has_value();
  limits.keep_states = dot_path.has_value();
  if (options.progress)
    limits.progress = [&options](uint64_t s, uint64_t t, uint32_t d, double sec) {
      options.progress("explore", s, t, d, sec);
    };
  ExploreReport out;
  out.rss_start_bytes = rss_now_bytes();
  const auto r = explore(monitored, limits);
  out.stats = r.stats;
  if (dot_path) {
    RuleCtx rules;
    out.dot_error = write_dot(
        *dot_path, profile.name, r, model.alphabet(),
        [&](const auto& cs) {
          const auto& s = cs.s;
          return DotNode{s.phase == Phase::user ? "user at=" + format_loc(s.pc())
                                                : format_trace_line(model.observe(s, rules)),
                         s.phase == Phase::stopped, s.dead()};
        },
        [&](uint16_t i) { return format_action(model.tracer_domain()[i]); });
  }
  out.rss_peak_bytes = rss_peak_bytes();
  return out;
}

} // namespace

CheckReport check_profile(const Profile& base, const CheckOptions& options) {
  const Profile profile = with_bound(base, options);
  return with_model(profile, [&]<class M>(std::type_identity<M>) {
    if constexpr (kIsRedox<M>)
      return check_redox(profile, options);
    else
      return check_model<M>(profile, options);
  });
}

ExploreReport explore_profile(const Profile& base, const CheckOptions& options,
                              const std::optional<std::string>& dot_path) {
  const Profile profile = with_bound(base, options);
  return with_model(profile, [&]<class M>(std::type_identity<M>) {
    if constexpr (kIsRedox<M>)
      return explore_redox(profile, options, dot_path);
    else
      return explore_model<M>(profile, options, dot_path);
  });
}

} // namespace ptmc
