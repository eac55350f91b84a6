// The sub-commands of ptmc, one function each. Each parses its own options and returns the exit
// code; bad options throw UsageError, which main turns into exit code 2.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

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
int cmd_crossarch(const Args& args);

// Shared helpers.
uint64_t parse_size(const std::string& text); // "8G", "512M", "4096"
bool stderr_is_terminal();

} // namespace ptmc::cli
