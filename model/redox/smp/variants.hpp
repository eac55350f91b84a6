// The concurrent Redox profiles: one per kernel version, and the before/after pairs of the four
// historical fixes. `ptmc profiles` lists them as concurrent models.
#pragma once

#include "model/redox/smp/model.hpp"

#include <string>
#include <vector>

namespace ptmc::redox_smp {

struct KnownViolation {
  Prop property;
  std::string explanation; // why this version violates it (and where it is fixed, if it is)
};

struct Variant {
  std::string name;
  std::string summary;
  Version version;
  Domain domain;                     // what `check` explores by default
  std::vector<KnownViolation> known; // violations this version is known to have
  std::vector<Prop> bug;             // for a B-pair: the properties the historical bug breaks
  std::string pair;                  // "B1".."B4", or empty
  bool before = false;               // the "before" side of its pair

  const KnownViolation* known_violation(Prop p) const;
};

const std::vector<Variant>& variants();
const Variant* find_variant(std::string_view name);

} // namespace ptmc::redox_smp
