// ptmc: the one command-line tool. Exit codes, everywhere:
//   0  done, nothing unexpected
//   1  an unexpected property violation, a trace that differs from its expectation, or a
//      disagreement between the model and a kernel
//   2  bad input: options, files, names, bounds
//   3  a limit (--max-states, --max-memory, a VM timeout) stopped the run before it finished
#include "cli/commands.hpp"

#include <fmt/core.h>

#include <cerrno>
#include <csignal>
#include <string>
#include <system_error>
#include <vector>

namespace {

void usage() {
  fmt::print(
      "usage: ptmc COMMAND [OPTIONS]\n\n"
      "A model checker for ptrace semantics.\n\n"
      "commands:\n"
      "  profiles                 list the semantics profiles\n"
      "  props                    list the properties with their meaning\n"
      "  rules                    list the model's rules by layer, with their kernel sources\n"
      "  explore --profile P      explore a profile's state space; --dot FILE writes the graph\n"
      "  check --profile P        decide every property; prints counterexamples as scenarios\n"
      "  run FILE --on TARGET     run a scenario on the model, the host kernel or a QEMU kernel\n"
      "  diff --on TARGET         compare the model with a real kernel over many scenarios\n"
      "  mutate --profile P       derive mutants from the rules and score the properties\n"
      "  report --out DIR         write the HTML report: graphs, verdicts, rules, kernel runs\n"
      "  crossarch                compare Linux x86_64 and arm64: differing scenarios, verdicts\n"
      "  compare --profiles L,R   Linux against Redox on the same Linux-API scenarios\n"
      "  security SUBCOMMAND      the attach-permission model and its real-kernel cases\n"
      "  rfc SUBCOMMAND           the RFC answers: record kernel runs, write the answers\n"
      "  prove --profile P        prove register facts for all 64-bit values (Z3)\n\n"
      "Run 'ptmc COMMAND --help' for a command's options.\n"
      "Exit codes: 0 ok, 1 violation or disagreement, 2 bad input, 3 a limit stopped the run.\n");
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage();
    return ptmc::cli::kBadInput;
  }
  const std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    usage();
    return 0;
  }
  // Past RLIMIT_FSIZE a write fails with EFBIG, which the atomic writer reports; the signal's
  // default action would kill ptmc with half a temporary file.
  signal(SIGXFSZ, SIG_IGN);
  std::vector<std::string> args(argv + 2, argv + argc);
  try {
    if (cmd == "profiles") return ptmc::cli::cmd_profiles(args);
    if (cmd == "props") return ptmc::cli::cmd_props(args);
    if (cmd == "rules") return ptmc::cli::cmd_rules(args);
    if (cmd == "explore") return ptmc::cli::cmd_explore(args);
    if (cmd == "check") return ptmc::cli::cmd_check(args);
    if (cmd == "run") return ptmc::cli::cmd_run(args);
    if (cmd == "diff") return ptmc::cli::cmd_diff(args);
    if (cmd == "mutate") return ptmc::cli::cmd_mutate(args);
    if (cmd == "report") return ptmc::cli::cmd_report(args);
    if (cmd == "compare") return ptmc::cli::cmd_compare(args);
    if (cmd == "crossarch") return ptmc::cli::cmd_crossarch(args);
    if (cmd == "prove") return ptmc::cli::cmd_prove(args);
    if (cmd == "security") return ptmc::cli::cmd_security(args);
    if (cmd == "rfc") return ptmc::cli::cmd_rfc(args);
  } catch (const ptmc::cli::UsageError& e) {
    fmt::print(stderr, "ptmc {}: error: {}\n", cmd, e.what());
    return ptmc::cli::kBadInput;
  } catch (const std::system_error& e) {
    // The engine's files on disk ($TMPDIR) hit a limit: the disk, a quota, RLIMIT_FSIZE.
    const int err = e.code().value();
    fmt::print(stderr, "ptmc {}: error: {}\n", cmd, e.what());
    return err == ENOSPC || err == EFBIG || err == EDQUOT ? ptmc::cli::kLimit
                                                          : ptmc::cli::kBadInput;
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "ptmc {}: error: out of memory; try --max-memory or a smaller --bound\n",
               cmd);
    return ptmc::cli::kLimit;
  } catch (const std::exception& e) {
    fmt::print(stderr, "ptmc {}: error: {}\n", cmd, e.what());
    return ptmc::cli::kBadInput;
  }
  fmt::print(stderr, "ptmc: error: unknown command '{}' (try 'ptmc --help')\n", cmd);
  return ptmc::cli::kBadInput;
}
