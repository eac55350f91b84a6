// relibc's Linux ptrace() on Redox (redox-os/relibc a5e02650, src/platform/redox/ptrace.rs and
// mod.rs waitpid): a Linux-API scenario translated into the Redox operations relibc performs, so
// that it runs on a Redox profile "as a Redox program would see it". The rules cited are the
// `redox/relibc` layer of model/redox/rules.hpp; docs/redox-model.md, "relibc", lists what the
// translation keeps and what it cannot express.
#pragma once

#include "model/rules.hpp"
#include "scenario/scenario.hpp"

#include <optional>
#include <string>
#include <vector>

namespace ptmc::redox {

struct RelibcTranslation {
  Scenario scenario;                  // Redox operations, for the given Redox profile
  std::vector<std::string> notes;     // where relibc's meaning differs from Linux's
  std::optional<std::string> refused; // why the scenario cannot be mapped, if it cannot
  RuleSet rules;                      // the relibc rules the translation used
};

// The operations relibc performs for the scenario's tracer: at every stop, waitpid's read of one
// event, the agent's PTRACE_GETREGS (getregs), its PTRACE_SETREGS if it edits (setregs), and the
// resume request's flag word (write).
RelibcTranslation translate_with_relibc(const Scenario& linux_scenario,
                                        const std::string& redox_profile);

} // namespace ptmc::redox
