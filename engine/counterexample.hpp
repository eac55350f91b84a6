// Writing a path of the explorer down as a scenario, for every model type M: counterexamples
// (engine/check.cpp) and the report's protocol-graph witnesses (report/) are both made this way.
#pragma once

#include "model/linux/model.hpp"
#include "model/transition.hpp"
#include "scenario/scenario.hpp"

#include <map>
#include <vector>

namespace ptmc {

// Replays a path of labels from the initial state of the given TRACESYSGOOD setting and writes
// it down as a scenario: the program choices it made, and the tracer's actions (indices into
// `actions`) with the explorer's relative edits made absolute.
template <class M>
Scenario build_counterexample(const M& model, const std::vector<Action>& actions, bool tracesysgood,
                              const std::vector<Label>& path) {
  Scenario sc;
  sc.profile = model.profile().name;
  sc.options.tracesysgood = tracesysgood;
  const auto& body = model.handler();
  sc.handler.assign(body.begin(), body.end() - 4); // without the fixed tail
  auto s = model.initial_states(tracesysgood).front();
  std::map<size_t, Insn> program;
  bool reached_tail = false;
  for (const Label& l : path) {
    RuleCtx r(model.profile().mutation);
    Events ev;
    if (l.who == Label::Who::tracer) {
      const Action& a = actions[l.index];
      Action written = a;
      for (Edit& e : written.edits)
        if (is_skip_next(e)) {
          e.loc = Loc{s.pc().space, static_cast<uint16_t>(s.regs.pc + 1)};
          e.value = 0;
        }
      const Loc peeked = model.peek_location(s, a); // after the edits, not at the stop
      if (l.peek == Peek::popf && peeked.space == Loc::Space::program &&
          peeked.index < model.program_length())
        program.emplace(peeked.index, Insn{Op::popf, 0, Arg::buf});
      sc.actions.push_back(written);
      s = model.resume(s, a, l.peek, r, ev);
    } else {
      const bool chosen = l.index < model.alphabet().size();
      const Insn in = chosen ? model.alphabet()[l.index] : *model.fixed_insn(s.pc());
      if (s.pc().space == Loc::Space::program) {
        if (chosen)
          program[s.regs.pc] = in;
        else
          reached_tail = true;
      }
      s = model.execute(s, in, r, ev);
    }
  }
  size_t length = reached_tail ? model.program_length() : 0;
  if (!reached_tail && !program.empty()) length = program.rbegin()->first + 1;
  sc.program.assign(length, Insn{Op::nop, 0, Arg::buf});
  for (const auto& [i, in] : program)
    if (i < length) sc.program[i] = in;
  return sc;
}

} // namespace ptmc
