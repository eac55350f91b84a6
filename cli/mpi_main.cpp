// ptmc-mpi: `ptmc check` across the processes of an MPI job (engine/mpi_explorer.hpp), for
// state spaces that outgrow one machine. A separate executable, so that ptmc itself does not
// need MPI at run time. Run it under mpirun (README, "MPI"); every rank reads the same options.
// Exit codes as ptmc's: 0 ok, 1 an unexpected violation, 2 bad input.
#include "cli/check_json.hpp"
#include "engine/check.hpp"
#include "engine/counterexample.hpp"
#include "engine/models.hpp"
#include "engine/mpi_explorer.hpp"
#include "engine/verdicts.hpp"
#include "model/models.hpp"
#include "scenario/scenario.hpp"

#include <boost/program_options.hpp>
#include <fmt/core.h>
#include <fmt/ostream.h>
#include <mpi.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace po = boost::program_options;
using namespace ptmc;

namespace {

constexpr int kOk = 0, kViolation = 1, kBadInput = 2;

struct Options {
  Profile profile;
  std::vector<PropertyId> only;
  bool json = false;
};

// Decides the profile's properties as `ptmc check` does (engine/check.cpp), each exploration
// distributed over the ranks. Collective; the results are the same on every rank.
template <class M> CheckReport check_distributed(const Options& o, MPI_Comm comm) {
  CheckReport report;
  report.profile = o.profile.name;
  report.bound = o.profile.domain.program_bound;
  CheckOptions co;
  co.only = o.only;
  const M model(o.profile, std::nullopt, o.profile.domain.handler);
  std::vector<bool> root_tsg;
  for (const auto& s : model.initial_states()) root_tsg.push_back(s.tracesysgood != 0);
  const auto applies = [&](PropertyId id) {
    return wanted(co, id) && property_applies(property_info(id), o.profile.kernel);
  };
  auto counterexample = [&](const std::vector<Action>& actions, uint32_t root,
                            const std::vector<Label>& path) {
    return build_counterexample(model, actions, root_tsg[root], path);
  };
  auto violation = [&](auto& exploration, PropertyResult& pr, size_t kind,
                       const std::vector<Action>& actions) {
    if (!exploration.violated[kind]) return;
    const auto [root, path] = exploration.violation_path(kind);
    pr.verdict = Verdict::violated;
    pr.counterexample = counterexample(actions, root, path);
    pr.counterexample_length = path.size();
  };

  for (bool with_tf : {false, true}) {
    const PropertyId id = with_tf ? PropertyId::tf_transparency : PropertyId::transparency;
    if (!applies(id)) continue;
    M passing = model;
    passing.track_last_request(true); // the product's tracer resumes with sig=pass
    const TransparencyModel<M> product(passing, with_tf);
    MpiExploration<TransparencyModel<M>> r(product, comm, false, 0);
    r.run();
    PropertyResult pr = base_result(id, r.stats);
    violation(r, pr, static_cast<size_t>(id), product.actions());
    report.results.push_back(std::move(pr));
  }

  const MonitoredModel<M> monitored(model, applies(PropertyId::determinism));
  MpiExploration<MonitoredModel<M>> main(monitored, comm, applies(PropertyId::no_deadlock),
                                         edge::drive | edge::env);
  main.run();
  report.main = main.stats;
  for (const auto& info : property_table()) {
    if (info.method != Method::monitor && info.method != Method::recompute) continue;
    if (!applies(info.id)) continue;
    PropertyResult pr = base_result(info.id, main.stats);
    violation(main, pr, static_cast<size_t>(info.id), model.tracer_domain());
    report.results.push_back(std::move(pr));
  }
  if (applies(PropertyId::no_deadlock)) {
    PropertyResult pr = base_result(PropertyId::no_deadlock, main.stats);
    const auto t0 = std::chrono::steady_clock::now();
    if (const auto lost = main.deadlock(edge::drive)) {
      pr.verdict = Verdict::violated;
      pr.counterexample = counterexample(model.tracer_domain(), lost->first, lost->second);
      pr.counterexample_length = lost->second.size();
      pr.note = "from the last state of this scenario no resume-only tracer can end the tracee";
    }
    pr.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    report.results.push_back(std::move(pr));
  }
  apply_expectations(report, o.profile);
  return report;
}

void print(const CheckReport& rep, int ranks, bool json) {
  if (json) {
    nlohmann::json props = nlohmann::json::array();
    for (const auto& r : rep.results) props.push_back(cli::property_result_json(r));
    const nlohmann::json j = {{"profile", rep.profile},
                              {"bound", rep.bound},
                              {"ranks", ranks},
                              {"states", rep.main.states},
                              {"transitions", rep.main.transitions},
                              {"depth", rep.main.depth},
                              {"seconds", rep.main.seconds},
                              {"properties", props}};
    fmt::print("{}\n", j.dump(2));
    return;
  }
  fmt::print("profile {}, program bound {}, {} MPI ranks\n", rep.profile, rep.bound, ranks);
  fmt::print("explored {} states, {} transitions, depth {} in {:.1f} s\n", rep.main.states,
             rep.main.transitions, rep.main.depth, rep.main.seconds);
  for (const auto& r : rep.results) {
    fmt::print("  {:<22} {:<18} {} states", property_info(r.property).name, verdict_name(r.verdict),
               r.states);
    if (r.counterexample) fmt::print(", counterexample of {} steps", r.counterexample_length);
    fmt::print("\n");
    if (r.counterexample) fmt::print("{}", format_scenario(*r.counterexample));
  }
}

int run(int argc, char** argv, int rank, int ranks) {
  po::options_description d("ptmc-mpi --profile P [--bound N] [--property X]... [--json]: "
                            "ptmc check distributed over MPI ranks (run under mpirun)");
  d.add_options()("help", "this text")("profile", po::value<std::string>(), "the profile")(
      "bound", po::value<int>(), "program bound (instructions)")(
      "property", po::value<std::vector<std::string>>(),
      "check only this property (repeatable)")("json", "print JSON");
  po::variables_map vm;
  Options o;
  try {
    po::store(po::parse_command_line(argc, argv, d), vm);
    po::notify(vm);
    if (vm.count("help")) {
      if (rank == 0) fmt::print("{}\n", fmt::streamed(d));
      return kOk;
    }
    if (!vm.count("profile")) throw std::invalid_argument("--profile is required");
    const Profile* p = find_profile(vm["profile"].as<std::string>());
    if (!p) throw std::invalid_argument("unknown profile " + vm["profile"].as<std::string>());
    if (p->kernel != "linux")
      throw std::invalid_argument("ptmc-mpi checks the Linux profiles; " + p->name + " is " +
                                  p->kernel);
    o.profile = *p;
    if (vm.count("bound")) {
      const int b = vm["bound"].as<int>();
      if (b < 0 || b > 64) throw std::invalid_argument("--bound must be between 0 and 64");
      o.profile.domain.program_bound = b;
    }
    if (vm.count("property"))
      for (const auto& name : vm["property"].as<std::vector<std::string>>()) {
        const auto id = property_by_name(name);
        if (!id) throw std::invalid_argument("unknown property " + name);
        o.only.push_back(*id);
      }
    o.json = vm.count("json") > 0;
  } catch (const std::exception& e) {
    if (rank == 0) fmt::print(stderr, "ptmc-mpi: error: {}\n", e.what());
    return kBadInput;
  }
  const CheckReport rep = with_model(o.profile, [&]<class M>(std::type_identity<M>) {
    if constexpr (kIsRedox<M>)
      return CheckReport{}; // refused above
    else
      return check_distributed<M>(o, MPI_COMM_WORLD);
  });
  if (rank == 0) print(rep, ranks, o.json);
  for (const auto& r : rep.results)
    if (r.verdict == Verdict::violated) return kViolation;
  return kOk;
}

} // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  int code = kOk;
  try {
    code = run(argc, argv, rank, ranks);
  } catch (const std::exception& e) {
    fmt::print(stderr, "ptmc-mpi: rank {}: error: {}\n", rank, e.what());
    MPI_Abort(MPI_COMM_WORLD, kBadInput);
  }
  MPI_Finalize();
  return code;
}
