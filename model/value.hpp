// The value domain the x86_64 layers of the Linux model are written over.
//
// The x86 CPU layer, the x86_64 glue and the generic Linux layer keep the registers a program
// or a tracer can write with any 64-bit value (rax, rflags, the pushed rflags image, orig_rax)
// as values of a domain D, and consult their rules through D's rule door. The explicit engines
// use `Concrete`, where every value is the plain integer it always was and the door is RuleCtx,
// so the explicit model's code and layout are what they were before the templates. The prover
// (prove/) supplies a domain whose values are Z3 bit-vectors and whose conditions fork the
// execution when C++ control flow needs a bool, so that it runs these same layers symbolically
// instead of keeping a second copy of the semantics (prove/README.md).
//
// Everything else in a state (phase, work flags, pending signals, rip, the small registers the
// alphabet sets) stays a plain value in every domain: it ranges over a few values that the
// explorer and the prover enumerate.
#pragma once

#include "model/rules.hpp"
#include "scenario/scenario.hpp"

#include <cstdint>
#include <type_traits>

namespace ptmc {

struct Concrete {
  static constexpr bool symbolic = false;
  using Bool = bool;
  using I64 = int64_t;    // rax, orig_rax
  using U64 = uint64_t;   // a whole RFLAGS value
  using Flags = uint16_t; // RFLAGS as a frame keeps it: only the tracked bits, all below bit 16
  using Rules = RuleCtx;
  // The value a tracer's register edit writes.
  static int64_t edit_value(const Edit& e) { return e.value; }
  // A value as a trace line shows it, and a computed value in a byte-sized register.
  static int64_t observed(int64_t v) { return v; }
  static uint8_t low_byte(uint64_t v) { return static_cast<uint8_t>(v); }
};

// The domain of an Arch or a frame: its `Domain` member, or Concrete for the layers that are
// not generic (arm64, Redox).
template <class T, class = void> struct domain_of { using type = Concrete; };
template <class T> struct domain_of<T, std::void_t<typename T::Domain>> {
  using type = typename T::Domain;
};
template <class T> using domain_of_t = typename domain_of<T>::type;

} // namespace ptmc
