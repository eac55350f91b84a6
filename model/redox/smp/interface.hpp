// The interface profile's side of `refinement-interface`: the observable traces of redox-2019 or
// redox-2020 (model/redox, one tracer operation or tracee instruction per transition) for the
// programs and request sequences of a concurrent profile's domain, projected onto the
// concurrent model's observation codes and collected in a trie. docs/redox-smp.md, "Refinement
// against the interface profiles", gives the correspondence and the sources of each pair.
//
// The common part of the two models: programs over nop and getpid (clone has no interface
// counterpart); the tracer's writes, read, regs/int read and close; the tracee frozen before its
// first instruction (Attach::frozen, redox::Model::frozen_before_first_instruction); no third
// party's SIGKILL. Two points do not correspond, and the product leaves the runs that reach
// them (counted by reason) rather than comparing them:
//  - the interface model's exit tail is two instructions (`nr exit_group; syscall`), the
//    concurrent model's exit one, so a tracee that reaches its exit with TF set stops after the
//    `nr` on one side only;
//  - the interface model runs a released tracee to its next stop, block or end before the
//    tracer's next operation. The concurrent tracer can start an operation that does not wait
//    for the tracee while it is still on its way: its close (after a 2020 write, which never
//    waits), or anything after the 2019 register access that released the tracee before the
//    first write (B4); and its 2020 read can be asleep already when the tracee exits (then
//    close_tracee's notify wakes it: ESRCH), where the interface model's tracee has always
//    ended before the read begins (the read then sleeps for good, R3). The interface model's
//    schedule has no place for those orders.
#pragma once

#include "model/profile.hpp"
#include "model/redox/smp/model.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ptmc::redox_smp {

class ObservationTrie;

enum class Outside : uint8_t { exit_with_tf, tracer_ahead };
std::string_view outside_name(Outside o);
// Whether taking `l` in `s` leaves the common part, and why.
// `n`: the state `l` leads to.
std::optional<Outside> outside_common_part(const SmpModel& m, const State& s, const Label& l,
                                           const State& n);

// The interface profile whose kernel commit a concurrent kernel version runs: 2019 (a57ea6a7),
// 2020 (e18a8779), or 0 when none does (the B-pair fixes and cf0a7620).
int interface_version(Version v);

// The common part of a concurrent domain: frozen attach, no kills, no clone.
Domain interface_domain(Domain d);

struct InterfaceTraces {
  uint64_t runs = 0;  // request sequences run on the interface model
  uint64_t nodes = 0; // trie nodes
  // Whether the same observation history ever had two different outputs (a result, a hang,
  // the end): the interface profile is then not deterministic per observation.
  bool deterministic = true;
};

// Runs `interface` (redox-2019 or redox-2020, or a mutant of one) from the aligned start of each
// of `m`'s initial states, on every request sequence of `m`'s domain, and adds the projected
// traces to `trie` (one root per initial state, as the concurrent side numbers them). The trie
// holds request starts, results, hangs and the end.
InterfaceTraces interface_traces(const SmpModel& m, const Profile& interface,
                                 ObservationTrie& trie);

// The concurrent model's rip for an interface program index (docs/redox-smp.md).
uint32_t project_rip(uint16_t interface_index, int program_length);

// An observation code in words: "read = [PRE_SYSCALL]", "a hang", "the end, tracee exit(0)".
std::string describe_observation(const SmpModel& m, uint32_t code);

} // namespace ptmc::redox_smp
