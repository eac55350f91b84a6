#include "model/linux/x86_64/arch.hpp"

namespace ptmc::linux_x86_64 {

std::vector<Insn> Arch::handler_with_tail(const std::vector<Insn>& body) {
  std::vector<Insn> h = body;
  const auto nr_index = static_cast<int64_t>(h.size() + 1);
  h.push_back(Insn{Op::add_rsp8, 0, Arg::buf});
  h.push_back(Insn{Op::set_nr, nr::rt_sigreturn, Arg::buf});
  h.push_back(Insn{Op::syscall, 0, Arg::buf});
  h.push_back(Insn{Op::jmp, nr_index, Arg::buf});
  return h;
}

namespace {

// The locations the code generator lays out (kernel/codegen.hpp): the program and its exit tail
// (3 instructions), the handler body and its fixed tail (4).
bool names_an_instruction(const Scenario& s, Loc l) {
  if (l.space == Loc::Space::program) return l.index < s.program.size() + 3;
  if (l.space == Loc::Space::handler) return l.index < s.handler.size() + 4;
  return false;
}

std::optional<std::string> unlaid_rip(const Scenario& s, const Action& a,
                                      const std::string& which) {
  for (const Edit& e : a.edits)
    if (e.reg == Reg::rip && !is_skip_next(e) && !names_an_instruction(s, e.loc))
      return which + " (" + format_action(a) + "): rip=" + format_loc(e.loc) +
             " names no instruction of the scenario";
  return std::nullopt;
}

} // namespace

std::optional<std::string> Arch::unsupported(const Scenario& s) {
  // The model's rip is an 8-bit index (model/cpu/x86_64/frame.hpp).
  if (s.program.size() + 3 > 255 || s.handler.size() + 4 > 255)
    return "a program of " + std::to_string(s.program.size()) + " or a handler of " +
           std::to_string(s.handler.size()) +
           " instructions: the model follows at most 252 and 251 (its rip is 8 bits)";
  // A rip the agent cannot point anywhere (it reports an error) would wrap in the model's index.
  for (size_t i = 0; i < s.actions.size(); ++i)
    if (auto why = unlaid_rip(s, s.actions[i], "action " + std::to_string(i + 1))) return why;
  if (s.repeat)
    if (auto why = unlaid_rip(s, *s.repeat, "the repeat action")) return why;
  int depth = 0;
  for (size_t i = 0; i < s.program.size(); ++i) {
    const Insn& in = s.program[i];
    if (in.op == Op::pushf) {
      if (depth == 1) return "program[" + std::to_string(i) + "]: a second pushf without popf";
      depth = 1;
    } else if (in.op == Op::popf || in.op == Op::or_tf || in.op == Op::and_tf) {
      if (depth == 0)
        return "program[" + std::to_string(i) + "]: " + format_insn(in) + " with nothing pushed";
      if (in.op == Op::popf) depth = 0;
    } else if (in.op == Op::set_nr && in.imm == nr::rt_sigreturn) {
      return "program[" + std::to_string(i) + "]: rt_sigreturn outside the handler";
    } else if (in.op == Op::add_rsp8 || in.op == Op::jmp) {
      return "program[" + std::to_string(i) + "]: internal instruction";
    }
  }
  for (size_t i = 0; i < s.handler.size(); ++i) {
    Op op = s.handler[i].op;
    if (op == Op::syscall || op == Op::pushf || op == Op::popf || op == Op::or_tf ||
        op == Op::and_tf || op == Op::add_rsp8 || op == Op::jmp)
      return "handler[" + std::to_string(i) + "]: " + format_insn(s.handler[i]) +
             " is not allowed in the handler body";
  }
  return std::nullopt;
}

} // namespace ptmc::linux_x86_64
