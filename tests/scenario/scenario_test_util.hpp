// Helpers shared by the scenario tests.
#pragma once

#include "scenario/scenario.hpp"

#include <gtest/gtest.h>

#include <string>

namespace ptmc::test {

// Scenario has no operator== (its `source` is only for messages); compare everything else.
inline bool same_scenario(const Scenario& a, const Scenario& b) {
  return a.version == b.version && a.profile == b.profile && a.options == b.options &&
         a.program == b.program && a.handler == b.handler && a.actions == b.actions &&
         a.repeat == b.repeat && a.repeat_max == b.repeat_max && a.expect == b.expect &&
         a.redox_actions == b.redox_actions && a.redox_repeat == b.redox_repeat;
}

inline ::testing::AssertionResult SameScenario(const Scenario& a, const Scenario& b) {
  if (same_scenario(a, b)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "scenarios differ:\n--- first\n"
                                       << format_scenario(a) << "--- second\n"
                                       << format_scenario(b);
}

} // namespace ptmc::test
