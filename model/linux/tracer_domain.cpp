#include "model/linux/model.hpp"

namespace ptmc {

std::vector<Action> build_tracer_domain(const Domain& d) {
  // Edits and injected signals are not combined: each action changes one thing, which keeps the
  // branching factor near 50 and every counterexample readable.
  std::vector<Action> out;
  const Request resumes[] = {Request::cont, Request::syscall, Request::singlestep, Request::sysemu,
                             Request::sysemu_singlestep};
  for (Request r : resumes) {
    out.push_back(Action{r, sig::none, false, {}});
    for (int s : d.inject_signals) out.push_back(Action{r, s, false, {}});
    for (int64_t v : d.orig_rax_edits)
      out.push_back(Action{r, 0, false, {Edit{Reg::orig_rax, v, {}}}});
    for (int64_t v : d.rax_edits) out.push_back(Action{r, 0, false, {Edit{Reg::rax, v, {}}}});
    if (d.rip_skip_edit) out.push_back(Action{r, 0, false, {skip_next_edit()}});
    for (int v : d.tf_edits) out.push_back(Action{r, 0, false, {Edit{Reg::tf, v, {}}}});
  }
  out.push_back(Action{Request::detach, sig::none, false, {}});
  out.push_back(Action{Request::kill, sig::none, false, {}});
  return out;
}

} // namespace ptmc
