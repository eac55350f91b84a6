// The layer registry: every rule belongs to one layer, names are unique, and a profile counts
// only its own layers' rules (docs/model-layers.md).
#include "model/profile.hpp"
#include "model/rules.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace ptmc {
namespace {

TEST(Layers, RuleNamesAreUniqueAcrossLayers) {
  std::set<std::string> names;
  for (const RuleInfo& r : rule_table())
    EXPECT_TRUE(names.insert(std::string(r.name)).second) << r.name;
}

TEST(Layers, EachRuleIsFoundByItsNameAndKeepsItsLayer) {
  for (const RuleInfo& r : rule_table()) {
    const auto id = rule_by_name(r.name);
    ASSERT_TRUE(id.has_value()) << r.name;
    EXPECT_EQ(rule_info(*id).layer, r.layer);
    EXPECT_FALSE(r.source.empty()) << r.name << " cites no source";
  }
}

TEST(Layers, LinuxX86_64IsTheThreeLayersAndTheirRulesOnly) {
  const Profile& p = *find_profile("linux-x86_64");
  const RuleSet own = p.rules();
  size_t per_layer[kLayerCount] = {};
  for (const RuleInfo& r : rule_table())
    if (own.test(static_cast<size_t>(r.id))) ++per_layer[static_cast<size_t>(r.layer)];
  EXPECT_EQ(per_layer[static_cast<size_t>(Layer::linux_generic)], 29u);
  EXPECT_EQ(per_layer[static_cast<size_t>(Layer::linux_x86_64)], 22u);
  EXPECT_EQ(per_layer[static_cast<size_t>(Layer::cpu_x86_64)], 3u);
  EXPECT_EQ(own.count(), 54u);
}

TEST(Layers, RulesOfALayerAreExactlyThoseTaggedWithIt) {
  for (size_t l = 0; l < kLayerCount; ++l) {
    const RuleSet set = rules_of({static_cast<Layer>(l)});
    for (const RuleInfo& r : rule_table())
      EXPECT_EQ(set.test(static_cast<size_t>(r.id)), static_cast<size_t>(r.layer) == l) << r.name;
  }
}

TEST(Layers, SeededBugsKeepTheirParentsLayers) {
  const Profile& linux = *find_profile("linux-x86_64");
  for (const Profile& p : profiles()) {
    if (p.parent == linux.name) EXPECT_EQ(p.rules(), linux.rules()) << p.name;
  }
}

} // namespace
} // namespace ptmc
