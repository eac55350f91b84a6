#include "engine/redox.hpp"

#include "engine/verdicts.hpp"
#include "model/fingerprint.hpp"
#include "model/redox/relibc.hpp"

#include <map>

namespace ptmc {

namespace {

constexpr uint8_t kDrive = 1, kEnv = 2, kOther = 4; // the edge flags of engine/models.hpp
constexpr size_t kMaxTransitions = 100000;

bool is_tf_op(Op op) {
  return op == Op::pushf || op == Op::popf || op == Op::or_tf || op == Op::and_tf;
}

// The explorer's relative rip edit made absolute, for a counterexample that replays.
RedoxAction absolute(const redox::Model& model, const redox::Task& s, const RedoxAction& a) {
  RedoxAction out = a;
  for (Edit& e : out.edits)
    if (redox::is_skip_edit(e)) {
      const x86::Frame& f = model.frame_for_access(s);
      e.loc = Loc{static_cast<Loc::Space>(f.pc_space), static_cast<uint16_t>(f.pc + 1)};
      e.value = 0;
    }
  return out;
}

// The program a path chose, as a scenario's program: the instructions it ran, nop elsewhere.
struct ProgramRecorder {
  const redox::Model& model;
  std::map<size_t, Insn> chosen;
  bool reached_tail = false;

  void record(const redox::Task& s, uint16_t choice, const Insn& in) {
    if (s.pc().space != Loc::Space::program) return;
    if (choice < model.alphabet().size())
      chosen[s.regs.pc] = in;
    else
      reached_tail = true;
  }
  std::vector<Insn> program() const {
    size_t length = reached_tail ? model.program_length() : 0;
    if (!reached_tail && !chosen.empty()) length = chosen.rbegin()->first + 1;
    std::vector<Insn> p(length, Insn{Op::nop, 0, Arg::buf});
    for (const auto& [i, in] : chosen)
      if (i < length) p[i] = in;
    return p;
  }
};

Scenario scenario_shell(const redox::Model& model, const redox::Task& start) {
  Scenario sc;
  sc.profile = model.profile().name;
  sc.options.o_excl = start.excl != 0;
  sc.options.o_nonblock = start.nonblock != 0;
  const auto& body = model.handler();
  sc.handler.assign(body.begin(), body.end() - 4); // without the fixed tail
  return sc;
}

Scenario monitored_counterexample(const RedoxMonitored& m,
                                  const std::vector<RedoxCheckState>& roots, uint32_t root,
                                  const std::vector<Label>& path) {
  const redox::Model& model = m.model();
  RedoxCheckState s = roots.at(root);
  Scenario sc = scenario_shell(model, s.s);
  ProgramRecorder rec{model, {}, false};
  for (const Label& l : path) {
    RedoxCheckState next;
    if (l.who == Label::Who::tracer) {
      const RedoxAction& a = model.tracer_domain()[l.index];
      sc.redox_actions.push_back(absolute(model, s.s, a));
      m.step_op(s, a, next);
    } else {
      rec.record(s.s, l.index, m.insn_for_choice(s, l.index));
      m.step_insn(s, l.index, next);
    }
    s = next;
  }
  sc.program = rec.program();
  return sc;
}

Scenario product_counterexample(const RedoxTransparency& p, const redox::Model& model,
                                const std::vector<RedoxPair>& roots, uint32_t root,
                                const std::vector<Label>& path) {
  RedoxPair s = roots.at(root);
  Scenario sc = scenario_shell(model, s.traced);
  ProgramRecorder rec{model, {}, false};
  for (const Label& l : path) {
    RedoxPair next;
    if (l.who == Label::Who::tracer) {
      p.step_tracer(s, l.index, next, nullptr, &sc.redox_actions);
    } else {
      const Insn in = l.index < model.alphabet().size() ? model.alphabet()[l.index]
                                                        : *model.fixed_insn(s.traced.pc());
      rec.record(s.traced, l.index, in);
      p.step_tracee(s, l.index, next);
    }
    s = next;
  }
  sc.program = rec.program();
  return sc;
}

} // namespace

// ---- The monitored model ------------------------------------------------------------------------

std::vector<RedoxCheckState> RedoxMonitored::initial_states() const {
  std::vector<RedoxCheckState> out;
  for (const auto& s : model_.initial_states(&covered_)) {
    RedoxCheckState c;
    c.s = s;
    out.push_back(c);
  }
  return out;
}

uint64_t RedoxMonitored::fingerprint(const State& s) const {
  return ptmc::fingerprint(&s, sizeof(State));
}

bool RedoxMonitored::allowed(const redox::Task& s, const RedoxAction& a) const {
  if (a.op == RedoxOp::write && s.nevents == redox::kMaxEvents) return false;
  for (const Edit& e : a.edits)
    if (redox::is_skip_edit(e)) {
      const x86::Frame& f = model_.frame_for_access(s);
      return f.pc_space == static_cast<uint8_t>(Loc::Space::program) &&
             f.pc < model_.program_length();
    }
  return true;
}

uint8_t RedoxMonitored::edge_flags(const RedoxAction& a) {
  if (a.op == RedoxOp::read) return kDrive;
  if (a.op == RedoxOp::write && !(a.flags & redox::flag_ignore)) return kDrive;
  return kOther;
}

Violations RedoxMonitored::step_op(const State& s, const RedoxAction& a, State& next,
                                   RuleSet* fired) const {
  RuleCtx rules(model_.profile().mutation);
  Events ev;
  next.s = model_.apply(s.s, a, rules, ev);
  if (fired) *fired |= rules.fired();
  Violations v = redox_monitor_step(s, RedoxStep{&a, nullptr}, ev, next);
  if (recompute_ && sampled(s)) {
    RuleCtx again_rules(model_.profile().mutation);
    Events again_ev;
    if (!(model_.apply(s.s, a, again_rules, again_ev) == next.s)) v |= bit(PropertyId::determinism);
  }
  return v;
}

Insn RedoxMonitored::insn_for_choice(const State& s, uint16_t choice) const {
  if (choice < model_.alphabet().size()) return model_.alphabet()[choice];
  return *model_.fixed_insn(s.s.pc());
}

Violations RedoxMonitored::step_insn(const State& s, uint16_t choice, State& next,
                                     RuleSet* fired) const {
  RuleCtx rules(model_.profile().mutation);
  Events ev;
  const Insn in = insn_for_choice(s, choice);
  next.s = model_.execute(s.s, in, rules, ev);
  if (fired) *fired |= rules.fired();
  Violations v = redox_monitor_step(s, RedoxStep{nullptr, &in}, ev, next);
  if (recompute_ && sampled(s)) {
    RuleCtx again_rules(model_.profile().mutation);
    Events again_ev;
    if (!(model_.execute(s.s, in, again_rules, again_ev) == next.s))
      v |= bit(PropertyId::determinism);
  }
  return v;
}

// ---- The transparency product -------------------------------------------------------------------

RedoxTransparency::RedoxTransparency(const redox::Model& model, bool with_tf_programs)
    : model_(model),
      property_(with_tf_programs ? PropertyId::tf_transparency : PropertyId::transparency),
      with_tf_(with_tf_programs) {
  for (const Insn& in : model_.alphabet()) allowed_.push_back(with_tf_programs || !is_tf_op(in.op));
  // Redox's CONT, SYSCALL and SINGLESTEP (what relibc writes for them, after the first).
  words_ = {0, redox::pre_syscall | redox::post_syscall, redox::singlestep};
}

redox::Task RedoxTransparency::untraced_start(const redox::Task& traced) {
  redox::Task u;
  u.regs = traced.backup; // the frame kill() returns with
  u.regs.rax = 0;         // ...and kill's result
  u.phase = redox::Phase::user;
  return u;
}

std::vector<RedoxPair> RedoxTransparency::initial_states() const {
  std::vector<RedoxPair> out;
  for (const redox::Task& s : model_.initial_states()) {
    if (s.excl) continue; // closing never happens in the product
    out.push_back(RedoxPair{s, untraced_start(s)});
  }
  return out;
}

uint64_t RedoxTransparency::fingerprint(const State& s) const {
  return ptmc::fingerprint(&s, sizeof(State));
}

bool RedoxTransparency::agree(const redox::Task& t, const redox::Task& u, bool with_tf) {
  if (t.dead() || u.dead())
    return t.phase == u.phase && t.exit_value == u.exit_value && t.written == u.written;
  // The program reads TF only through pushf: compare the pushed image, and the live flags
  // without TF (a TF the tracer set shows in what the program does next, not here).
  const uint16_t flags = static_cast<uint16_t>(x86::ZF | x86::CF);
  const uint16_t pushed = with_tf ? 0xffff : static_cast<uint16_t>(~x86::TF);
  const auto same_frame = [&](const x86::Frame& a, const x86::Frame& b) {
    return a.pc_space == b.pc_space && a.pc == b.pc && a.rax == b.rax && a.rbx == b.rbx &&
           a.rsi == b.rsi && a.rdi == b.rdi && (a.rflags & flags) == (b.rflags & flags) &&
           a.stack_depth == b.stack_depth && (a.stack_top & pushed) == (b.stack_top & pushed);
  };
  return same_frame(t.regs, u.regs) && t.ksig == u.ksig &&
         (t.ksig == 0 || same_frame(t.backup, u.backup)) && t.npending == u.npending &&
         t.pending[0] == u.pending[0] && t.pending[1] == u.pending[1] && t.written == u.written;
}

bool RedoxTransparency::diverged(const State& s) const {
  const bool settled = s.traced.phase == redox::Phase::user || s.traced.dead();
  return settled && !agree(s.traced, s.untraced, with_tf_);
}

Violations RedoxTransparency::step_tracer(const State& s, size_t word, State& next, Trace* out,
                                          std::vector<RedoxAction>* ops) const {
  RuleCtx rules(model_.profile().mutation);
  Events ev;
  next = s;
  const RedoxAction read{RedoxOp::read, 0, {}};
  while (next.traced.nevents) {
    next.traced = model_.apply(next.traced, read, rules, ev, out);
    if (ops) ops->push_back(read);
  }
  const RedoxAction write{RedoxOp::write, words_[word], {}};
  next.traced = model_.apply(next.traced, write, rules, ev, out);
  if (ops) ops->push_back(write);
  return diverged(next) ? bit(property_) : 0;
}

Violations RedoxTransparency::step_tracee(const State& s, uint16_t choice, State& next) const {
  const Insn in = choice < model_.alphabet().size() ? model_.alphabet()[choice]
                                                    : *model_.fixed_insn(s.traced.pc());
  next = s;
  RuleCtx rules(model_.profile().mutation);
  Events ev;
  next.traced = model_.execute(s.traced, in, rules, ev);
  RuleCtx untraced_rules(model_.profile().mutation);
  Events untraced_ev;
  next.untraced = model_.execute(s.untraced, in, untraced_rules, untraced_ev);
  return diverged(next) ? bit(property_) : 0;
}

// ---- check and explore --------------------------------------------------------------------------

CheckReport check_redox(const Profile& profile, const CheckOptions& options) {
  CheckReport report;
  report.profile = profile.name;
  report.bound = profile.domain.program_bound;
  const redox::Model model(profile, std::nullopt, profile.domain.handler, /*keep_copy=*/false);
  const uint32_t unexpected = unexpected_properties(profile);
  const auto applies = [&](PropertyId id) {
    return wanted(options, id) && property_applies(property_info(id), profile.kernel);
  };
  bool failed_fast = false;

  for (bool with_tf : {false, true}) {
    const PropertyId id = with_tf ? PropertyId::tf_transparency : PropertyId::transparency;
    if (!applies(id) || failed_fast) continue;
    const RedoxTransparency product(model, with_tf);
    const auto roots = product.initial_states();
    failed_fast |=
        product_result(report, product, id, options, unexpected,
                       [&](uint32_t root, const std::vector<Label>& path) {
                         return product_counterexample(product, model, roots, root, path);
                       });
  }

  const RedoxMonitored monitored(model, applies(PropertyId::determinism));
  const auto roots = monitored.initial_states();
  const auto build = [&](uint32_t root, const std::vector<Label>& path) {
    return monitored_counterexample(monitored, roots, root, path);
  };
  if (!failed_fast) {
    ExploreLimits limits;
    limits.max_states = options.max_states;
    limits.max_bytes = options.max_bytes;
    limits.store_edges = applies(PropertyId::no_deadlock);
    limits.edge_filter = kDrive | kEnv;
    limits.progress = progress_for(options, "explore");
    if (options.fail_fast) limits.stop_on = unexpected;
    const auto main = explore(monitored, limits);
    report.main = main.stats;
    report.complete = report.complete && main.stats.complete;
    failed_fast = monitored_results(report, main, options, unexpected, applies, kDrive, build,
                                    "from the last state of this scenario no tracer that reads "
                                    "and writes flag words can end the tracee");
  }
  apply_expectations(report, profile);
  report.rules_covered = monitored.covered() & profile.rules();
  report.rules_total = profile.rules().count();
  report.rss_peak_bytes = rss_peak_bytes();
  return report;
}

ExploreReport explore_redox(const Profile& profile, const CheckOptions& options,
                            const std::optional<std::string>& dot_path) {
  const redox::Model model(profile, std::nullopt, profile.domain.handler, false);
  const RedoxMonitored monitored(model, false);
  ExploreLimits limits;
  limits.max_states = options.max_states;
  limits.max_bytes = options.max_bytes;
  limits.store_edges = dot_path.has_value();
  limits.keep_states = dot_path.has_value();
  limits.progress = progress_for(options, "explore");
  const auto r = explore(monitored, limits);
  ExploreReport out;
  out.stats = r.stats;
  if (dot_path)
    out.dot_error = write_dot(
        *dot_path, profile.name, r, model.alphabet(),
        [&](const RedoxCheckState& cs) {
          const redox::Task& s = cs.s;
          const bool ended = s.dead() || s.hung;
          return DotNode{s.phase == redox::Phase::user ? "user at=" + format_loc(s.pc())
                         : ended ? format_trace_line(redox::Model::end_line(s))
                                 : "stopped at=" + format_loc(s.pc()),
                         redox::Model::tracer_turn(s), ended};
        },
        [&](uint16_t i) { return format_redox_action(model.tracer_domain()[i]); });
  out.rss_peak_bytes = rss_peak_bytes();
  return out;
}

// ---- The runner -----------------------------------------------------------------------------

namespace {

void record(std::vector<RunViolation>& out, Violations v, size_t line) {
  for (size_t k = 0; k < kPropertyCount; ++k)
    if (v & (Violations{1} << k)) out.push_back(RunViolation{static_cast<PropertyId>(k), line});
}

// A tracer that only reads and writes Redox's CONT, SYSCALL and SINGLESTEP words: the
// transparency product's tracer, so its run is compared against an untraced one.
bool transparent_tracer(const Scenario& s) {
  const auto ok = [](const RedoxAction& a) {
    if (a.op == RedoxOp::read) return true;
    return a.op == RedoxOp::write &&
           (a.flags == 0 || a.flags == (redox::pre_syscall | redox::post_syscall) ||
            a.flags == redox::singlestep);
  };
  for (const auto& a : s.redox_actions)
    if (!ok(a)) return false;
  for (const auto& a : s.redox_repeat)
    if (!ok(a)) return false;
  return true;
}

std::string unmodelled_message(uint8_t reason) {
  switch (reason) {
  case redox::unmodelled::stack_misuse:
    return "the stack left the model's one slot (a second pushf, a popf with nothing pushed)";
  case redox::unmodelled::kill_other_process:
    return "kill() with a pid other than 0: outside the sandbox";
  case redox::unmodelled::sigreturn_panics:
    return "sigreturn with no signal in delivery: the Redox kernel panics (switch.rs update, "
           "ksig.take().expect)";
  case redox::unmodelled::too_many_events:
    return "more unread events than the model keeps (3): read them";
  case redox::unmodelled::too_many_signals:
    return "more pending signals than the model keeps (2)";
  default:
    return "rip left the code the model knows";
  }
}

} // namespace

ModelRun run_redox(const Scenario& input, const Profile& profile, Scenario* translated) {
  ModelRun run;
  Scenario scenario = input;
  if (!input.uses_redox_actions() && (!input.actions.empty() || input.repeat)) {
    if (profile.redox_version != 2020) {
      run.error = "Linux requests on a Redox profile run through relibc's ptrace(), which the "
                  "model has for redox-2020 only (relibc a5e02650)";
      return run;
    }
    const auto tr = redox::translate_with_relibc(input, profile.name);
    if (tr.refused) {
      run.error = "relibc cannot map this scenario: " + *tr.refused;
      return run;
    }
    scenario = tr.scenario;
    run.rules_fired |= tr.rules;
  }
  if (translated) *translated = scenario;
  if (auto why = redox::Model::unsupported(scenario)) {
    run.error = *why;
    return run;
  }
  const redox::Model model(profile, scenario.program, scenario.handler, /*keep_copy=*/true);
  const RedoxMonitored monitored(model, false);
  RuleCtx start_rules(profile.mutation);
  RedoxCheckState cs;
  cs.s = model.initial_state(scenario.options.o_excl, scenario.options.o_nonblock);
  if (!start_rules.effect(RuleId::rdx_open_trunc_freezes)) cs.s.frozen = 0;
  run.rules_fired |= start_rules.fired();

  bool check_transparency = transparent_tracer(scenario);
  const PropertyId transparency_kind = [&] {
    for (const Insn& in : scenario.program)
      if (is_tf_op(in.op)) return PropertyId::tf_transparency;
    return PropertyId::transparency;
  }();
  redox::Task untraced = RedoxTransparency::untraced_start(cs.s);
  bool diverged = false;

  size_t next_action = 0, next_in_group = 0;
  int repeats = 0;
  for (size_t steps = 0;; ++steps) {
    if (steps > kMaxTransitions) {
      run.error = "the run did not end within " + std::to_string(kMaxTransitions) + " transitions";
      break;
    }
    if (cs.s.phase == redox::Phase::unmodelled) {
      run.error = unmodelled_message(cs.s.exit_value);
      break;
    }
    if (cs.s.dead() || cs.s.hung) {
      run.trace.push_back(redox::Model::end_line(cs.s));
      break;
    }
    RedoxCheckState next;
    Violations v = 0;
    if (cs.s.phase == redox::Phase::user) {
      uint16_t choices[redox::Model::kMaxChoices];
      if (model.program_choices(cs.s, choices) == 0) {
        run.error = "rip left the program (" + format_loc(cs.s.pc()) + "); the model cannot follow";
        break;
      }
      const Insn in = monitored.insn_for_choice(cs, choices[0]);
      RuleCtx rules(profile.mutation);
      Events ev;
      next.s = model.execute(cs.s, in, rules, ev, &run.trace);
      run.rules_fired |= rules.fired();
      v = redox_monitor_step(cs, RedoxStep{nullptr, &in}, ev, next);
      if (check_transparency && !diverged && untraced.phase == redox::Phase::user) {
        RuleCtx r(profile.mutation);
        Events uev;
        untraced = model.execute(untraced, in, r, uev);
      }
    } else {
      const RedoxAction* a = nullptr;
      if (next_action < scenario.redox_actions.size()) {
        a = &scenario.redox_actions[next_action++];
      } else if (!scenario.redox_repeat.empty() && repeats < scenario.repeat_max) {
        a = &scenario.redox_repeat[next_in_group++];
        if (next_in_group == scenario.redox_repeat.size()) {
          next_in_group = 0;
          ++repeats;
        }
      } else if (!scenario.redox_repeat.empty()) {
        break; // cut at the cap: the trace ends with the last line seen
      }
      RuleCtx rules(profile.mutation);
      Events ev;
      if (a) {
        next.s = model.apply(cs.s, *a, rules, ev, &run.trace);
        v = redox_monitor_step(cs, RedoxStep{a, nullptr}, ev, next);
      } else {
        // The actions ran out: the harness closes the trace file as with O_EXCL.
        next.s = model.finish(cs.s, rules, ev);
        next.m = cs.m;
        check_transparency = false;
      }
      run.rules_fired |= rules.fired();
    }
    cs = next;
    if (check_transparency && !diverged && (cs.s.phase == redox::Phase::user || cs.s.dead()) &&
        !RedoxTransparency::agree(cs.s, untraced,
                                  transparency_kind == PropertyId::tf_transparency)) {
      diverged = true;
      v |= bit(transparency_kind);
    }
    record(run.violations, v, run.trace.empty() ? 0 : run.trace.size() - 1);
  }
  return run;
}

} // namespace ptmc
