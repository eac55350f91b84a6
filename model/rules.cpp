#include "model/rules.hpp"

#include <string>

namespace ptmc {
namespace {

constexpr std::string_view kNames[] = {
#define PTMC_RULE_NAME(name, kind, source, summary) #name,
    PTMC_RULES(PTMC_RULE_NAME)
#undef PTMC_RULE_NAME
};

// Printed names use dashes; the enum needs underscores.
std::array<std::string, kRuleCount> make_dashed_names() {
  std::array<std::string, kRuleCount> out;
  for (size_t i = 0; i < kRuleCount; ++i) {
    out[i] = std::string(kNames[i]);
    for (char& c : out[i])
      if (c == '_') c = '-';
  }
  return out;
}

const std::array<std::string, kRuleCount>& dashed_names() {
  static const auto names = make_dashed_names();
  return names;
}

std::array<RuleInfo, kRuleCount> make_table() {
  std::array<RuleInfo, kRuleCount> t{};
  size_t i = 0;
#define PTMC_RULE_INFO(name, kind, source, summary)                                                \
  t[i] = RuleInfo{RuleId::name, dashed_names()[i], RuleKind::kind, source, summary};               \
  ++i;
  PTMC_RULES(PTMC_RULE_INFO)
#undef PTMC_RULE_INFO
  return t;
}

} // namespace

const std::array<RuleInfo, kRuleCount>& rule_table() {
  static const auto table = make_table();
  return table;
}

const RuleInfo& rule_info(RuleId id) {
  return rule_table()[static_cast<size_t>(id)];
}

std::optional<RuleId> rule_by_name(std::string_view name) {
  for (const auto& r : rule_table())
    if (r.name == name) return r.id;
  return std::nullopt;
}

std::string_view rule_kind_name(RuleKind k) {
  switch (k) {
  case RuleKind::decision:
    return "decision";
  case RuleKind::effect:
    return "effect";
  case RuleKind::choice:
    return "choice";
  }
  return "?";
}

} // namespace ptmc
