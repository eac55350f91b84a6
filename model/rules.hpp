// Every semantic rule of the model has a name, a kind, the layer it belongs to and the source it
// follows. Each layer keeps its own table (model/<layer>/rules.hpp); this header is the registry
// that numbers them all, so a RuleId names one rule of one layer.
//
// The transition function consults rules only through `RuleCtx`, which records coverage (which
// rules a run exercised) and applies a mutation (a mutant changes one rule; see RuleKind).
// A profile is built from layers (model/profile.hpp); coverage, mutation and "rules confirmed by
// a real kernel" count only the rules of the profile's own layers.
#pragma once

#include "model/cpu/aarch64/rules.hpp"
#include "model/cpu/x86_64/rules.hpp"
#include "model/linux/aarch64/rules.hpp"
#include "model/linux/entry/rules.hpp"
#include "model/linux/rules.hpp"
#include "model/linux/x86_64/rules.hpp"
#include "model/redox/rules.hpp"
#include "model/redox/smp/rules.hpp"
#include "model/security/rules.hpp"

#include <array>
#include <bitset>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace ptmc {

// A rule's kind decides how it can be mutated without a hand-written list of cases:
//  - decision: a condition; the mutant negates it.
//  - effect:   a state change; the mutant skips it.
//  - choice:   a value picked among two (a stop kind, an si_code); the mutant picks the other.
enum class RuleKind : uint8_t { decision, effect, choice };

// The layers, in registry order. A layer is a CPU (what the processor does) or a kernel layer
// (generic code, or one architecture's glue under it); docs/model-layers.md shows how they stack.
#define PTMC_LAYERS(L)                                                                             \
  L(linux_generic, "linux", "Linux, architecture-independent", PTMC_RULES_LINUX)                   \
  L(linux_entry, "linux/entry", "Linux generic entry (kernel/entry/common.c)",                     \
    PTMC_RULES_LINUX_ENTRY)                                                                        \
  L(linux_x86_64, "linux/x86_64", "Linux x86_64 glue (arch/x86)", PTMC_RULES_LINUX_X86_64)         \
  L(cpu_x86_64, "cpu/x86_64", "x86_64 processor (Intel SDM)", PTMC_RULES_CPU_X86_64)               \
  L(linux_aarch64, "linux/aarch64", "Linux arm64 glue (arch/arm64, 6.1)",                          \
    PTMC_RULES_LINUX_AARCH64)                                                                      \
  L(cpu_aarch64, "cpu/aarch64", "AArch64 processor (Arm ARM)", PTMC_RULES_CPU_AARCH64)             \
  L(redox, "redox", "Redox kernel, interface level (redox-os/kernel)", PTMC_RULES_REDOX)           \
  L(relibc, "redox/relibc", "relibc's Linux ptrace() over proc: (redox-os/relibc)",                \
    PTMC_RULES_RELIBC)                                                                             \
  L(redox_smp, "redox/smp", "Redox kernel, concurrent level (tracer, tracee as kernel threads)",   \
    PTMC_RULES_REDOX_SMP)                                                                          \
  L(security_linux, "security/linux", "Linux attach permission (ptrace_may_access, Yama, exec)",   \
    PTMC_RULES_SECURITY_LINUX)                                                                     \
  L(security_redox, "security/redox", "Redox attach permission (proc: scheme, exec)",              \
    PTMC_RULES_SECURITY_REDOX)

enum class Layer : uint8_t {
#define PTMC_LAYER_ENUM(id, path, title, rules) id,
  PTMC_LAYERS(PTMC_LAYER_ENUM)
#undef PTMC_LAYER_ENUM
      count_
};
inline constexpr size_t kLayerCount = static_cast<size_t>(Layer::count_);

enum class RuleId : uint16_t {
#define PTMC_RULE_ENUM(name, kind, source, summary) name,
#define PTMC_LAYER_RULES(id, path, title, rules) rules(PTMC_RULE_ENUM)
  PTMC_LAYERS(PTMC_LAYER_RULES)
#undef PTMC_LAYER_RULES
#undef PTMC_RULE_ENUM
      count_
};

inline constexpr size_t kRuleCount = static_cast<size_t>(RuleId::count_);

struct RuleInfo {
  RuleId id;
  std::string_view name; // kebab-case, as printed
  RuleKind kind;
  Layer layer;
  std::string_view source;
  std::string_view summary;
};

struct LayerInfo {
  Layer id;
  std::string_view path;  // its folder under model/, and its printed name
  std::string_view title; // one line
};

const std::array<RuleInfo, kRuleCount>& rule_table();
const RuleInfo& rule_info(RuleId id);
std::optional<RuleId> rule_by_name(std::string_view name);
std::string_view rule_kind_name(RuleKind k);
const LayerInfo& layer_info(Layer l);

// How a layer's rules are confirmed: by differential runs against real kernels (`ptmc diff`), or,
// where no such kernel can run here (Redox), by reading the cited source line only.
bool layer_confirmed_by_source_only(Layer l);

using RuleSet = std::bitset<kRuleCount>;

// The rules of the given layers.
RuleSet rules_of(const std::vector<Layer>& layers);

// The only door from the transition function to its rules. `mutated` is the one rule whose
// behaviour a mutant changes, or none.
class RuleCtx {
public:
  explicit RuleCtx(std::optional<RuleId> mutated = std::nullopt) : mutated_(mutated) {}

  bool decide(RuleId r, bool condition) {
    fired_.set(static_cast<size_t>(r));
    return is_mutated(r) ? !condition : condition;
  }
  bool effect(RuleId r) {
    fired_.set(static_cast<size_t>(r));
    return !is_mutated(r);
  }
  template <class T> T choose(RuleId r, T normal, T mutant) {
    fired_.set(static_cast<size_t>(r));
    return is_mutated(r) ? mutant : normal;
  }
  const RuleSet& fired() const { return fired_; }
  void clear_fired() { fired_.reset(); }

private:
  bool is_mutated(RuleId r) const { return mutated_ && *mutated_ == r; }
  std::optional<RuleId> mutated_;
  RuleSet fired_;
};

} // namespace ptmc
