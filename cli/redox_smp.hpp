// The sub-commands on a concurrent (Redox SMP) profile: check, explore, run. commands.cpp hands
// over when the profile a command names is concurrent (Profile::concurrent).
#pragma once

#include "cli/commands.hpp"

#include <optional>
#include <string>

namespace ptmc::cli {

// The value of --profile/-p in `args`, if any.
std::optional<std::string> profile_argument(const Args& args);
bool is_concurrent_profile(const std::string& name);

int smp_check(const Args& args);
int smp_explore(const Args& args);
// `text` is the scenario file's content; its profile is concurrent.
int smp_run(const std::string& path, const std::string& text, const Args& args);

} // namespace ptmc::cli
