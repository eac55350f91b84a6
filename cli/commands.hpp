// The sub-commands of ptmc, one function each. Each parses its own options and returns the exit
// code; bad options throw UsageError, which main turns into exit code 2.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace ptmc {
struct WriteError;
} // namespace ptmc

namespace ptmc::cli {

inline constexpr int kOk = 0;
inline constexpr int kViolation = 1;
inline constexpr int kBadInput = 2;
inline constexpr int kLimit = 3;

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

using Args = std::vector<std::string>;

int cmd_profiles(const Args& args);
int cmd_props(const Args& args);
int cmd_rules(const Args& args);
int cmd_explore(const Args& args);
int cmd_check(const Args& args);
int cmd_run(const Args& args);
int cmd_diff(const Args& args);
int cmd_mutate(const Args& args);
int cmd_report(const Args& args);
int cmd_compare(const Args& args);
int cmd_crossarch(const Args& args);
int cmd_security(const Args& args); // cli/security.cpp
int cmd_rfc(const Args& args);      // cli/rfc.cpp

// Shared helpers.
// The command line after `ptmc`, for a data file's record of what produced it.
inline Args command_line(const std::string& command, const Args& args) {
  Args out{command};
  out.insert(out.end(), args.begin(), args.end());
  return out;
}

// Says that an output file could not be written; returns the exit code: kLimit for a full disk
// or a file-size limit, kBadInput otherwise (no such directory, no permission).
int write_failed(const std::string& command, const WriteError& e);
uint64_t parse_size(const std::string& text); // "8G", "512M", "4096"
// check's exit code: 1 for a violation the profile does not expect, else 3 if a limit stopped
// the exploration (said on stderr), else 0.
int check_exit_code(bool unexpected_violation, bool complete);
bool stderr_is_terminal();

} // namespace ptmc::cli
