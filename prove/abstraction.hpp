// The abstraction that frees the program counter from the program bound (prove/README.md,
// "Programs of any length"). The explorer already chooses each program instruction when the
// tracee first executes it, so a state never holds the program, only rip. What the bound still
// fixes is how many chosen indices come before the exit tail. The abstraction maps every chosen
// index to one position, 0 ("somewhere in the program"), and the tail at n, n+1, n+2 to 1, 2,
// 3: exactly the layout of the model at program bound 1. Its transitions are that model's, plus
// one widening: a frame that arrives at 1 (the tail's first instruction) may also be at 0, since
// in a longer program the index after a chosen one is another chosen one.
#pragma once

#include "model/linux/task.hpp"
#include "scenario/scenario.hpp"

#include <cstdint>
#include <vector>

namespace ptmc::prove {

// The abstract model is the model at this program bound.
inline constexpr int kAbstractBound = 1;

// The abstract rip of a frame of a program of `length` chosen instructions.
template <class Frame> void abstract_rip(Frame& f, size_t length) {
  if (f.pc_space != static_cast<uint8_t>(Loc::Space::program)) return;
  f.pc = f.pc < length ? 0 : static_cast<uint8_t>(f.pc - length + kAbstractBound);
}

// α: a state of the model at program bound `length` as a state of the abstract model. Only rip
// changes, in the live frame and in the saved one (a handler returns to the saved rip), and
// what only observations read is forgotten (forget_unread): the count of bytes written (a
// program of any length writes any number; the model only increments it), rbx (only setz writes
// it; only a trace line and the transparency product read it) and the stop's syscall-info op
// (only a trace line reads it). No transition and no monitor of the properties prove decides
// reads them.
template <class Task> void forget_unread(Task& s) {
  s.written = 0;
  s.stop_op = 0;
  s.regs.rbx = 0;
  s.saved.rbx = 0;
}
template <class Task> Task abstract_state(Task s, size_t length) {
  forget_unread(s);
  if (s.dead()) return s; // the model zeroes a dead state's frames (canonicalize): no rip
  abstract_rip(s.regs, length);
  if (s.in_handler) abstract_rip(s.saved, length);
  return s;
}

// The abstract successors of a successor `next` the abstract model computed: itself (with the
// byte count forgotten, as in abstract_state), and, for
// each frame (live, and saved while a handler runs) whose rip is the tail's first instruction,
// the same with rip in the program (index 0). Every frame keeps its peek: a commitment about the
// instruction at the tail's start (not popf) is one a chosen instruction can meet as well.
template <class Task> std::vector<Task> widen_task(Task next) {
  forget_unread(next);
  std::vector<Task> out{next};
  const auto at_tail_start = [](const auto& f) {
    return f.pc_space == static_cast<uint8_t>(Loc::Space::program) && f.pc == kAbstractBound;
  };
  if (next.dead()) return out;
  if (at_tail_start(next.regs))
    for (size_t i = 0, n = out.size(); i < n; ++i) {
      Task t = out[i];
      t.regs.pc = 0;
      out.push_back(t);
    }
  if (next.in_handler && at_tail_start(next.saved))
    for (size_t i = 0, n = out.size(); i < n; ++i) {
      Task t = out[i];
      t.saved.pc = 0;
      out.push_back(t);
    }
  return out;
}
// The same for a state with its monitor record (props/properties.hpp CheckState).
template <class Checked> std::vector<Checked> widen(const Checked& next) {
  std::vector<Checked> out;
  for (const auto& t : widen_task(next.s)) {
    Checked w = next;
    w.s = t;
    out.push_back(w);
  }
  return out;
}

} // namespace ptmc::prove
