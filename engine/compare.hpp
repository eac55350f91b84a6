// Linux against Redox, scenario by scenario. Traces of the two kernels cannot be compared as
// text (Redox has no orig_rax and no si_code, its syscall numbers differ, its tracer reads
// events instead of waitpid statuses), so both are reduced to the common observation
// (docs/redox-model.md, "Common observation"): at each stop its kind, where, the syscall (at a
// syscall entry) or rax, rbx, the flags, the signal of a signal stop; then the end. A Linux-API
// scenario reaches Redox through relibc's ptrace() (model/redox/relibc.hpp).
#pragma once

#include "model/profile.hpp"
#include "scenario/scenario.hpp"

#include <optional>
#include <string>
#include <vector>

namespace ptmc {

struct CommonLine {
  std::string kind; // start, syscall-enter, syscall-exit, step, breakpoint, signal, exit-stop,
                    // exited, killed, hang, detached
  bool linux_side = true;
  Loc at;
  bool has_regs = false;
  int64_t value = 0; // syscall-enter: the syscall number; other stops: rax
  uint64_t rbx = 0;
  bool tf = false, zf = false, cf = false;
  int signal = 0; // a signal stop's signal, or the killing signal
  int code = 0, written = 0;
};

// The syscall name of a number of that kernel, or empty (the alphabet's syscalls only).
std::string syscall_name_of(int64_t nr, bool linux_side);

// Whether two lines of the two kernels mean the same (rax values that are the same syscall's
// number on each side count as equal).
bool same_observation(const CommonLine& l, const CommonLine& r);
std::string format_common(const CommonLine& c);

std::vector<CommonLine> common_from_linux(const Trace& t);
// From a Redox trace: a stop is an event read, with the registers read after it; the start is
// the registers read before any event.
std::vector<CommonLine> common_from_redox(const Trace& t);

enum class CompareOutcome {
  agree,           // the common observations are equal
  differ,          // they differ: the interesting case
  unmappable,      // relibc cannot express the scenario's tracer (the reason says why)
  untraced_differ, // the program alone already behaves differently on the two kernels
  refused,         // a model cannot run it (the reason says why)
};
std::string_view outcome_name(CompareOutcome o);

struct CompareCase {
  Scenario scenario; // the Linux-API scenario
  CompareOutcome outcome = CompareOutcome::agree;
  std::string reason;
  Scenario redox_scenario; // what relibc makes of it
  Trace linux_trace, redox_trace;
  std::vector<CommonLine> linux_common, redox_common;
  size_t first_difference = 0;    // index into the common lines, when they differ
  std::vector<std::string> notes; // where relibc's meaning differs from Linux's
};

CompareCase compare_kernels(const Scenario& linux_scenario, const Profile& linux_profile,
                            const Profile& redox_profile);

} // namespace ptmc
