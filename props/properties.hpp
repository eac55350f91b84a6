// The named properties, and the monitors that decide the ones expressible over single runs.
//
// How each property is decided (docs in props/README.md):
//  - monitor:   a small record carried in the explored state, updated on every transition from
//               the model's Events; a violation is flagged on the edge that breaks it.
//  - product:   two copies of the tracee in lockstep, traced and untraced (transparency).
//  - graph:     a second pass over the stored edges (no-deadlock).
//  - recompute: each transition is computed twice and compared (determinism).
#pragma once

#include "model/transition.hpp"
#include "scenario/scenario.hpp"

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ptmc {

enum class PropertyId : uint8_t {
  kernel_mode_tf,
  step_granularity,
  sysemu_step_granularity,
  sysemu_never_executes,
  register_write_persistence,
  tracee_tf_persistence,
  signal_suppression,
  signal_injection_once,
  transparency,
  tf_transparency,
  no_deadlock,
  determinism,
  access_keeps_stopped,
  count_
};
inline constexpr size_t kPropertyCount = static_cast<size_t>(PropertyId::count_);

enum class Method : uint8_t { monitor, product, graph, recompute };

// The kernels a property is checked on (a bit per kernel family of model/profile.hpp).
namespace kernels {
inline constexpr uint8_t on_linux = 1;
inline constexpr uint8_t on_redox = 2;
inline constexpr uint8_t both = on_linux | on_redox;
} // namespace kernels

struct PropertyInfo {
  PropertyId id;
  std::string_view name;
  Method method;
  std::string_view meaning;    // one line, for `ptmc props`
  std::string_view definition; // what is compared, over which states
  bool tracer_visible;         // false: no real-kernel diff can confirm it
  uint8_t kernels = kernels::on_linux;
  // On Redox, what the property means there (the same idea over Redox's interface), or empty
  // when it does not apply; docs/redox-model.md, "Properties", says why.
  std::string_view redox_definition = {};
};

// Whether `p` is checked on profiles of this kernel ("linux", "redox").
bool property_applies(const PropertyInfo& p, const std::string& kernel);

const std::vector<PropertyInfo>& property_table();
const PropertyInfo& property_info(PropertyId id);
std::optional<PropertyId> property_by_name(std::string_view name);
std::string_view method_name(Method m);

using Violations = uint32_t; // bit i: PropertyId i
inline Violations bit(PropertyId p) {
  return Violations{1} << static_cast<unsigned>(p);
}

// The monitor record. Fixed-size and zeroed like State, so it is hashed with it.
struct MonitorState {
  int64_t check_rax;
  uint8_t step_armed;     // 0, or 1 after SINGLESTEP, 2 after SYSEMU_SINGLESTEP
  uint8_t retired;        // user instructions since that resume, saturating at 3
  uint8_t signal_first;   // a signal was delivered since that resume
  uint8_t owned_tf;       // the TF the program itself last set
  uint8_t saved_owned_tf; // owned_tf when the handler frame was saved
  uint8_t pad_[3];
};
static_assert(sizeof(MonitorState) == 16);

// A model state with its monitor record; the explorer hashes both.
template <class ModelState> struct CheckState {
  ModelState s;
  MonitorState m;
  CheckState() { std::memset(static_cast<void*>(&m), 0, sizeof(m)); }
  bool operator==(const CheckState& o) const {
    return s == o.s && std::memcmp(&m, &o.m, sizeof(m)) == 0;
  }
};

// What the tracer did on a tracer edge, for the monitor.
struct TracerStep {
  const Action* action = nullptr; // null on a tracee edge
  const Insn* insn = nullptr;     // null on a tracer edge
};

// monitor_step, which advances the monitor over one transition, is in props/monitor.hpp: it
// reads the model's state and so is instantiated per model.

} // namespace ptmc
