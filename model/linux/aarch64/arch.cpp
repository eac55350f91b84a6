#include "model/linux/aarch64/arch.hpp"

#include "model/linux/x86_64/arch.hpp"

namespace ptmc::linux_aarch64 {

std::vector<Insn> Arch::handler_with_tail(const std::vector<Insn>& body) {
  return linux_x86_64::Arch::handler_with_tail(body); // one layout for both (kernel/codegen.hpp)
}

std::optional<std::string> Arch::unsupported(const Scenario& s) {
  for (const std::vector<Insn>* block : {&s.program, &s.handler})
    for (size_t i = 0; i < block->size(); ++i)
      if (auto why = unsupported_on(ptmc::Arch::aarch64, (*block)[i]))
        return (block == &s.program ? "program[" : "handler[") + std::to_string(i) + "]: " + *why;
  // The rest is what the x86_64 model refuses too, for the same reasons: rt_sigreturn outside
  // the handler, the tails' own instructions, and syscalls in the handler body.
  return linux_x86_64::Arch::unsupported(s);
}

} // namespace ptmc::linux_aarch64
