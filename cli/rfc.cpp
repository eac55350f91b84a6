// ptmc rfc: the data behind the RFC answers (report/rfc/README.md).
//
//   ptmc rfc record --on TARGET --json FILE SCENARIO...   run scenarios on a real kernel and keep
//                                                          their traces, the kernel and the time
//   ptmc rfc answers [--out FILE] [--bound N]             write reports/rfc-answers.md; the same
//                                                          generator `ptmc report` runs
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "common/atomic_file.hpp"
#include "kernel/target.hpp"
#include "report/recorded_data.hpp"
#include "report/rfc/answers.hpp"

#include <fmt/core.h>

#include <fstream>
#include <sstream>

namespace ptmc::cli {

namespace po = boost::program_options;

namespace {

int rfc_record(const Args& args) {
  po::options_description d("ptmc rfc record --on TARGET --json FILE SCENARIO...: run scenarios "
                            "on a real kernel and record their traces for the RFC answers");
  d.add_options()("on", po::value<std::string>()->required(), "host, qemu-x86_64, qemu-aarch64")(
      "json", po::value<std::string>()->required(), "the data file to write")(
      "timeout", po::value<double>()->default_value(2.0), "seconds for each wait on the tracee")(
      "kernel", po::value<std::string>(), "qemu: boot this kernel image")(
      "scenario", po::value<std::vector<std::string>>()->required(), "scenario files");
  po::positional_options_description pos;
  pos.add("scenario", -1);
  po::variables_map vm;
  if (!parse_options(args, d, &pos, vm)) return kOk;
  const std::string target = vm["on"].as<std::string>();
  if (!kernel::is_target(target)) throw UsageError("--on: no kernel target '" + target + "'");

  std::vector<Scenario> batch;
  std::vector<std::string> names;
  for (const std::string& path : vm["scenario"].as<std::vector<std::string>>()) {
    std::ifstream in(path);
    if (!in) throw UsageError(path + ": cannot read");
    std::stringstream text;
    text << in.rdbuf();
    const ParseResult parsed = parse_scenario(text.str(), path);
    if (!parsed.scenario) {
      fmt::print(stderr, "{}\n", parsed.error->what());
      return kBadInput;
    }
    batch.push_back(*parsed.scenario);
    batch.back().expect.reset();
    names.push_back(path.substr(path.rfind('/') + 1));
  }
  kernel::TargetOptions options;
  options.wait_timeout_s = vm["timeout"].as<double>();
  if (vm.count("kernel")) options.kernel_image = vm["kernel"].as<std::string>();
  const kernel::TargetResult result = kernel::run_on_target(target, batch, options);

  rfc::Json out = {
      {"produced_by", report::command_text(command_line("rfc", command_line("record", args)))},
      {"generated_at", report::utc_now()},
      {"target", target},
      {"kernel_release", result.kernel_release},
      {"accel", result.accel},
      {"runs", rfc::Json::object()}};
  int failed = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    const kernel::Outcome& o = i < result.outcomes.size() ? result.outcomes[i] : kernel::Outcome{};
    rfc::Json lines = rfc::Json::array();
    for (const TraceLine& l : o.trace) lines.push_back(format_trace_line(l));
    const char* status = o.status == kernel::OutcomeStatus::ok     ? "ok"
                         : o.status == kernel::OutcomeStatus::hang ? "hang"
                                                                   : "error";
    if (o.status != kernel::OutcomeStatus::ok) {
      ++failed;
      fmt::print(stderr, "ptmc rfc record: {}: {}\n", names[i], o.message);
    }
    out["runs"][names[i]] = {{"scenario", format_scenario(batch[i])},
                             {"status", status},
                             {"message", o.message},
                             {"trace", lines}};
    fmt::print("{} on {} ({}): {}\n", names[i], target, result.kernel_release, status);
  }
  if (result.error) fmt::print(stderr, "ptmc rfc record: {}\n", *result.error);
  if (auto e = write_file_atomically(vm["json"].as<std::string>(), out.dump(2) + "\n"))
    return write_failed("rfc record", *e);
  return failed || result.error ? kViolation : kOk;
}

int rfc_answers(const Args& args) {
  po::options_description d("ptmc rfc answers: write the RFC answers (reports/rfc-answers.md) "
                            "from report/rfc/*.md, the model and reports/data/rfc/");
  d.add_options()("out", po::value<std::string>()->default_value("reports/rfc-answers.md"),
                  "the file to write ('-': standard output)")(
      "bound", po::value<int>()->default_value(3), "program bound of the variants' checks")(
      "source", po::value<std::string>()->default_value("."), "the source tree");
  po::variables_map vm;
  if (!parse_options(args, d, nullptr, vm)) return kOk;
  const std::string root = vm["source"].as<std::string>();
  const int bound = vm["bound"].as<int>();
  if (bound < 1) throw UsageError("--bound must be at least 1");
  rfc::AnswerInputs in;
  in.source_dir = root + "/report/rfc";
  in.data_dir = root + "/reports/data/rfc";
  in.scenario_dir = root + "/scenarios";
  in.bound = bound;
  in.profiles = profiles();
  in.check = [bound](const Profile& p) {
    fmt::print(stderr, "ptmc rfc answers: checking {} at bound {}\n", p.name, bound);
    return rfc::check_at(p, bound);
  };
  std::string text;
  try {
    text = rfc::write_rfc_answers(in);
  } catch (const std::runtime_error& e) {
    fmt::print(stderr, "ptmc rfc answers: {}\n", e.what());
    return kBadInput;
  }
  const std::string out = vm["out"].as<std::string>();
  if (out == "-") {
    fmt::print("{}", text);
    return kOk;
  }
  if (auto e = write_file_atomically(out, text)) return write_failed("rfc answers", *e);
  return kOk;
}

void usage() {
  fmt::print("ptmc rfc SUBCOMMAND: the RFC answers' data (report/rfc/README.md)\n"
             "  record --on TARGET --json FILE SCENARIO...  run scenarios on a kernel, keep them\n"
             "  answers [--out FILE] [--bound N]            write reports/rfc-answers.md\n");
}

} // namespace

int cmd_rfc(const Args& args) {
  if (args.empty()) {
    usage();
    return kBadInput;
  }
  const std::string sub = args[0];
  const Args rest(args.begin() + 1, args.end());
  if (sub == "--help" || sub == "-h" || sub == "help") {
    usage();
    return kOk;
  }
  if (sub == "record") return rfc_record(rest);
  if (sub == "answers") return rfc_answers(rest);
  throw UsageError("unknown sub-command '" + sub + "' (try 'ptmc rfc --help')");
}

} // namespace ptmc::cli
