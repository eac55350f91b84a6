// Where the code generator puts what the tracee runs (kernel/codegen.cpp): the chosen program at
// indices 0..n-1, the exit tail `nr exit_group; syscall; jmp n` at n..n+2, and the handler
// block. The same for every kernel's model.
#pragma once

#include "scenario/scenario.hpp"

#include <optional>
#include <vector>

namespace ptmc {

// The instruction at `at` when it is fixed: the scenario's program (when there is one), the
// exit tail, the handler. nullopt for an index of a program the explorer still chooses.
inline std::optional<Insn> fixed_insn_at(Loc at, size_t program_length,
                                         const std::optional<std::vector<Insn>>& program,
                                         const std::vector<Insn>& handler) {
  if (at.space == Loc::Space::handler) {
    if (at.index < handler.size()) return handler[at.index];
    return std::nullopt;
  }
  if (at.space != Loc::Space::program) return std::nullopt;
  const size_t n = program_length;
  if (at.index == n) return Insn{Op::set_nr, nr::exit_group, Arg::buf};
  if (at.index == n + 1) return Insn{Op::syscall, 0, Arg::buf};
  if (at.index == n + 2) return Insn{Op::jmp, static_cast<int64_t>(n), Arg::buf};
  if (program && at.index < n) return (*program)[at.index];
  return std::nullopt;
}

// Whether rip points outside the code the model lays out (nothing can run there).
inline bool outside_code(Loc at, size_t program_length) {
  return at.space == Loc::Space::outside ||
         (at.space == Loc::Space::program && at.index > program_length + 2);
}

} // namespace ptmc
