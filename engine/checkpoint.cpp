#include "engine/checkpoint.hpp"

#include "model/fingerprint.hpp"

#include <sstream>

namespace ptmc {

namespace {

constexpr char kMagic[8] = {'p', 't', 'm', 'c', 'c', 'k', 'p', 't'};

uint64_t hash_text(const std::string& text) {
  return fingerprint(text.data(), text.size());
}

template <class T> std::string join(const std::vector<T>& v) {
  std::ostringstream o;
  for (const auto& x : v) o << x << ',';
  return o.str();
}

} // namespace

uint64_t model_hash(const Profile& p) {
  std::ostringstream o;
  // The rule tables of the profile's layers.
  for (const RuleInfo& r : rule_table())
    if (p.rules().test(static_cast<size_t>(r.id)))
      o << layer_info(r.layer).path << '|' << r.name << '|' << rule_kind_name(r.kind) << '|'
        << r.source << '|' << r.summary << '\n';
  for (const PropertyInfo& q : property_table())
    o << q.name << '|' << method_name(q.method) << '|' << q.definition << '\n';
  o << p.name << '|' << p.kernel << '|' << p.arch << '|' << p.fmask << '|' << p.step_arm_assigns
    << '|' << p.signal_stop_writes_to_live << '|' << static_cast<int>(p.step_around_syscall) << '|'
    << p.sysemu_step_reports_exit << '|'
    << (p.mutation ? std::string(rule_info(*p.mutation).name) : "-") << '\n';
  const Domain& d = p.domain;
  o << d.program_bound << '|';
  for (const Insn& i : d.alphabet) o << format_insn(i) << ',';
  o << '|';
  for (const Insn& i : d.handler) o << format_insn(i) << ',';
  o << '|' << join(d.inject_signals) << '|' << join(d.orig_rax_edits) << '|' << join(d.rax_edits)
    << '|' << d.rip_skip_edit << '|' << join(d.tf_edits) << '|' << d.both_tracesysgood << '\n';
  for (const auto& e : p.expected) o << e.property << '\n';
  return hash_text(o.str());
}

uint64_t options_hash(const CheckOptions& options) {
  std::ostringstream o;
  for (PropertyId id : options.only) o << property_info(id).name << ',';
  o << '|' << options.fail_fast << '|' << options.tf_edits;
  return hash_text(o.str());
}

void write_identity(BinaryWriter& w, const CheckpointIdentity& id) {
  w.bytes(kMagic, sizeof(kMagic));
  w.u32(id.format);
  w.str(id.profile);
  w.u32(static_cast<uint32_t>(id.bound));
  w.u32(id.threads);
  w.u8(id.exact);
  w.u64(id.model_hash);
  w.u64(id.options_hash);
}

void read_and_check_identity(BinaryReader& r, const CheckpointIdentity& want) {
  char magic[sizeof(kMagic)];
  try {
    r.bytes(magic, sizeof(magic));
  } catch (const SpoolError&) {
    throw CheckpointError(r.what() + ": not a ptmc checkpoint (too short)");
  }
  if (std::string(magic, sizeof(magic)) != std::string(kMagic, sizeof(kMagic)))
    throw CheckpointError(r.what() + ": not a ptmc checkpoint");
  const uint32_t format = r.u32();
  if (format != want.format)
    throw CheckpointError(r.what() + ": checkpoint format " + std::to_string(format) +
                          ", this ptmc reads format " + std::to_string(want.format));
  const std::string profile = r.str();
  if (profile != want.profile)
    throw CheckpointError(r.what() + ": made for profile " + profile + ", this run checks " +
                          want.profile);
  const int bound = static_cast<int>(r.u32());
  if (bound != want.bound)
    throw CheckpointError(r.what() + ": made at --bound " + std::to_string(bound) +
                          ", this run has --bound " + std::to_string(want.bound));
  const unsigned threads = r.u32();
  if (threads != want.threads)
    throw CheckpointError(r.what() + ": made with --threads " + std::to_string(threads) +
                          ", this run has --threads " + std::to_string(want.threads));
  const bool exact = r.u8() != 0;
  if (exact != want.exact)
    throw CheckpointError(r.what() + ": made " + (exact ? "with" : "without") +
                          " --exact, this run is " + (want.exact ? "with" : "without") + " it");
  if (r.u64() != want.model_hash)
    throw CheckpointError(r.what() + ": made by another model (the rule tables, properties or the "
                                     "profile's domain differ from this ptmc's)");
  if (r.u64() != want.options_hash)
    throw CheckpointError(r.what() +
                          ": made with other --property, --fail-fast or --tf-edits options");
}

void write_result(BinaryWriter& w, const PropertyResult& r) {
  w.u8(static_cast<uint8_t>(r.property));
  w.u8(static_cast<uint8_t>(r.verdict));
  w.u64(r.states);
  w.u32(r.depth);
  w.f64(r.seconds);
  w.u64(r.peak_bytes);
  w.u8(r.counterexample.has_value());
  if (r.counterexample) w.str(format_scenario(*r.counterexample));
  w.u64(r.counterexample_length);
  w.f64(r.found_seconds);
  w.str(r.note);
}

PropertyResult read_result(BinaryReader& r) {
  PropertyResult p;
  const uint8_t id = r.u8();
  if (id >= kPropertyCount) throw CheckpointError(r.what() + ": corrupt (property id)");
  p.property = static_cast<PropertyId>(id);
  p.verdict = static_cast<Verdict>(r.u8());
  p.states = r.u64();
  p.depth = r.u32();
  p.seconds = r.f64();
  p.peak_bytes = r.u64();
  if (r.u8()) {
    auto parsed = parse_scenario(r.str(), r.what());
    if (!parsed.scenario) throw CheckpointError(r.what() + ": corrupt (counterexample)");
    p.counterexample = std::move(parsed.scenario);
  }
  p.counterexample_length = r.u64();
  p.found_seconds = r.f64();
  p.note = r.str();
  return p;
}

void write_rules(BinaryWriter& w, const RuleSet& rules) {
  w.str(rules.to_string());
}

RuleSet read_rules(BinaryReader& r) {
  const std::string bits = r.str();
  if (bits.size() != kRuleCount) throw CheckpointError(r.what() + ": corrupt (rule coverage)");
  return RuleSet(bits);
}

} // namespace ptmc
