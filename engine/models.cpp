#include "engine/models.hpp"

#include "model/regs.hpp"

namespace ptmc {

// ---- MonitoredModel -------------------------------------------------------------------------

std::vector<CheckState> MonitoredModel::initial_states() const {
  std::vector<CheckState> out;
  for (const ptmc::State& s : model_.initial_states()) {
    CheckState c;
    c.s = s;
    out.push_back(c);
  }
  return out;
}

bool MonitoredModel::is_drive(const Action& a) {
  const bool resume = a.request == Request::cont || a.request == Request::syscall ||
                      a.request == Request::singlestep || a.request == Request::sysemu ||
                      a.request == Request::sysemu_singlestep;
  return resume && a.signal == 0 && !a.pass && a.edits.empty();
}

bool MonitoredModel::skip_edit_allowed(const ptmc::State& s, const Action& a) const {
  for (const Edit& e : a.edits)
    if (is_skip_next(e))
      return s.pc().space == Loc::Space::program && s.regs.pc < model_.program_length();
  return true;
}

Insn MonitoredModel::insn_for_choice(const CheckState& s, uint16_t choice) const {
  if (choice < model_.alphabet().size()) return model_.alphabet()[choice];
  return *model_.fixed_insn(s.s.pc());
}

Violations MonitoredModel::step_tracer(const CheckState& s, const Action& a, Peek p,
                                       CheckState& next, RuleSet* fired) const {
  RuleCtx rules(model_.profile().mutation);
  Events ev;
  next.s = model_.resume(s.s, a, p, rules, ev);
  if (fired) *fired |= rules.fired();
  Violations v = monitors_ ? monitor_step(s, TracerStep{&a, nullptr}, ev, next) : 0;
  if (recompute_ && sampled(s)) {
    RuleCtx again_rules(model_.profile().mutation);
    Events again_ev;
    if (!(model_.resume(s.s, a, p, again_rules, again_ev) == next.s))
      v |= bit(PropertyId::determinism);
  }
  return v;
}

Violations MonitoredModel::step_tracee(const CheckState& s, uint16_t choice, CheckState& next,
                                       RuleSet* fired) const {
  RuleCtx rules(model_.profile().mutation);
  Events ev;
  const Insn in = insn_for_choice(s, choice);
  next.s = model_.execute(s.s, in, rules, ev);
  if (fired) *fired |= rules.fired();
  Violations v = monitors_ ? monitor_step(s, TracerStep{nullptr, &in}, ev, next) : 0;
  if (recompute_ && sampled(s)) {
    RuleCtx again_rules(model_.profile().mutation);
    Events again_ev;
    if (!(model_.execute(s.s, in, again_rules, again_ev) == next.s))
      v |= bit(PropertyId::determinism);
  }
  return v;
}

// ---- TransparencyModel ----------------------------------------------------------------------

TransparencyModel::TransparencyModel(const X86Model& model, bool with_tf_programs)
    : model_(model),
      property_(with_tf_programs ? PropertyId::tf_transparency : PropertyId::transparency) {
  for (const Insn& in : model_.alphabet()) {
    const bool touches_tf =
        in.op == Op::pushf || in.op == Op::popf || in.op == Op::or_tf || in.op == Op::and_tf;
    allowed_.push_back(with_tf_programs || !touches_tf);
  }
  for (Request r : {Request::cont, Request::syscall, Request::singlestep})
    actions_.push_back(Action{r, 0, true, {}});
}

std::vector<ProductState> TransparencyModel::initial_states() const {
  std::vector<ProductState> out;
  for (const ptmc::State& s : model_.initial_states()) {
    ProductState p;
    p.traced = s;
    p.untraced = s;
    p.untraced.traced = 0;
    p.untraced.phase = Phase::user; // untraced, nothing stops it before instruction 0
    p.untraced.why = StopWhy::initial;
    p.untraced.stop_sig = 0;
    p.untraced.stop_code = 0;
    out.push_back(p);
  }
  return out;
}

bool TransparencyModel::agree(const ptmc::State& t, const ptmc::State& u) {
  if (t.dead() || u.dead())
    return t.phase == u.phase && t.exit_value == u.exit_value && t.written == u.written;
  const auto program_view = [](const ptmc::State& s) {
    return x86::rflags_as_read<uint64_t>(s.regs.rflags, (s.work & work::forced_tf) != 0);
  };
  return t.pc() == u.pc() && t.regs.rax == u.regs.rax && t.regs.rbx == u.regs.rbx &&
         t.regs.rsi == u.regs.rsi && program_view(t) == program_view(u) &&
         t.regs.stack_depth == u.regs.stack_depth && t.regs.stack_top == u.regs.stack_top &&
         t.in_handler == u.in_handler && std::memcmp(&t.saved, &u.saved, sizeof(Frame)) == 0 &&
         t.pending == u.pending && t.pending_shared == u.pending_shared && t.written == u.written;
}

bool TransparencyModel::diverged(const ProductState& s) const {
  const bool traced_settled = s.traced.phase == Phase::user || s.traced.dead();
  return traced_settled && !agree(s.traced, s.untraced);
}

Violations TransparencyModel::step_tracer(const ProductState& s, size_t action, Peek p,
                                          ProductState& next) const {
  RuleCtx rules(model_.profile().mutation);
  Events ev;
  next = s;
  next.traced = model_.resume(s.traced, actions_[action], p, rules, ev);
  return diverged(next) ? bit(property_) : 0;
}

Violations TransparencyModel::step_tracee(const ProductState& s, uint16_t choice,
                                          ProductState& next) const {
  RuleCtx rules(model_.profile().mutation);
  Events ev;
  const Insn in = choice < model_.alphabet().size() ? model_.alphabet()[choice]
                                                    : *model_.fixed_insn(s.traced.pc());
  next = s;
  next.traced = model_.execute(s.traced, in, rules, ev);
  // The untraced copy never stops, so one execute() brings it to its next boundary or its end.
  Events untraced_ev;
  RuleCtx untraced_rules(model_.profile().mutation);
  next.untraced = model_.execute(s.untraced, in, untraced_rules, untraced_ev);
  return diverged(next) ? bit(property_) : 0;
}

} // namespace ptmc
