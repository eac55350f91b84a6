// Checkpoints of `ptmc check`: what identifies the run a checkpoint belongs to, and the
// property results it has already decided. The explorations save themselves
// (Exploration::save); check.cpp puts the pieces in order.
//
// File layout: the magic and format version, the identity, the decided results, the rule
// coverage so far, the phase in progress, and that phase's exploration. The file is written
// through a temporary file and a rename (spool.hpp), so it is always a whole checkpoint.
#pragma once

#include "engine/check.hpp"
#include "engine/spool.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>

namespace ptmc {

inline constexpr uint32_t kCheckpointFormat = 1;

// A checkpoint that cannot be used: unreadable, or made by another run. The message says which.
struct CheckpointError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Everything a checkpoint must agree on to be resumed.
struct CheckpointIdentity {
  uint32_t format = kCheckpointFormat;
  std::string profile;
  int bound = 0;
  unsigned threads = 0;
  bool exact = false;
  uint64_t model_hash = 0;   // the rule table, the properties, the profile's deltas and domain
  uint64_t options_hash = 0; // --property, --fail-fast, --tf-edits: what the run decides
};

// A hash over the text of the rule table, the property table and the profile (its deltas and
// its whole domain): a checkpoint of another model or domain is refused.
uint64_t model_hash(const Profile& profile);
uint64_t options_hash(const CheckOptions& options);

void write_identity(BinaryWriter& w, const CheckpointIdentity& id);
// Reads the identity and compares it with `expected`; throws CheckpointError naming the first
// difference ("made with --threads 4, this run has --threads 2").
void read_and_check_identity(BinaryReader& r, const CheckpointIdentity& expected);

void write_result(BinaryWriter& w, const PropertyResult& r);
PropertyResult read_result(BinaryReader& r);

void write_rules(BinaryWriter& w, const RuleSet& rules);
RuleSet read_rules(BinaryReader& r);

} // namespace ptmc
