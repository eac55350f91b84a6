#include "model/rules.hpp"

#include <string>

namespace ptmc {
namespace {

struct Row {
  std::string_view name;
  RuleKind kind;
  std::string_view source, summary;
};
struct LayerRows {
  LayerInfo info;
  std::vector<Row> rows;
};

// One entry per layer, in registry order, so a rule's place here is its RuleId.
const std::vector<LayerRows>& layer_rows() {
#define PTMC_RULE_ROW(name, kind, source, summary) Row{#name, RuleKind::kind, source, summary},
#define PTMC_LAYER_ROWS(id, path, title, rules)                                                    \
  LayerRows{{Layer::id, path, title}, {rules(PTMC_RULE_ROW)}},
  static const std::vector<LayerRows> all = {PTMC_LAYERS(PTMC_LAYER_ROWS)};
#undef PTMC_LAYER_ROWS
#undef PTMC_RULE_ROW
  return all;
}

// Printed names use dashes; the enum needs underscores.
struct Table {
  std::array<std::string, kRuleCount> names;
  std::array<RuleInfo, kRuleCount> rules;
};

Table make_table() {
  Table t;
  size_t i = 0;
  for (const LayerRows& layer : layer_rows())
    for (const Row& row : layer.rows) {
      t.names[i] = std::string(row.name);
      for (char& c : t.names[i])
        if (c == '_') c = '-';
      t.rules[i] = RuleInfo{static_cast<RuleId>(i), t.names[i], row.kind,
                            layer.info.id,          row.source, row.summary};
      ++i;
    }
  return t;
}

const Table& table() {
  static const Table t = make_table();
  return t;
}

} // namespace

const std::array<RuleInfo, kRuleCount>& rule_table() {
  return table().rules;
}

const RuleInfo& rule_info(RuleId id) {
  return rule_table()[static_cast<size_t>(id)];
}

std::optional<RuleId> rule_by_name(std::string_view name) {
  for (const auto& r : rule_table())
    if (r.name == name) return r.id;
  return std::nullopt;
}

const LayerInfo& layer_info(Layer l) {
  return layer_rows()[static_cast<size_t>(l)].info;
}

bool layer_confirmed_by_source_only(Layer l) {
  return l == Layer::redox || l == Layer::relibc;
}

RuleSet rules_of(const std::vector<Layer>& layers) {
  RuleSet out;
  for (const auto& r : rule_table())
    for (Layer l : layers)
      if (r.layer == l) out.set(static_cast<size_t>(r.id));
  return out;
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
