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

std::optional<std::string> Arch::unsupported(const Scenario& s) {
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
