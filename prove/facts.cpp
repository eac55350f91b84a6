#include "prove/facts.hpp"

#include "engine/counterexample.hpp"
#include "engine/models.hpp"
#include "model/fingerprint.hpp"
#include "model/linux/x86_64/arch.hpp"
#include "prove/core.hpp"
#include "prove/paths.hpp"
#include "prove/relation.hpp"

#include <algorithm>
#include <chrono>
#include <fmt/format.h>
#include <functional>
#include <set>
#include <stdexcept>
#include <unordered_set>

namespace ptmc::prove {

namespace {

using Clock = std::chrono::steady_clock;

// What one fact claims of one path: it applies when `premise` holds, and then `holds` must.
struct Claim {
  z3::expr premise;
  z3::expr holds;
};

// A fact: the moves it is about at a state, and its claim on each path of them.
struct Fact {
  FactInfo info;
  // The moves from this state the fact is about (none: the state is not one of its cases).
  std::function<std::vector<Move>(const SymModel&, const SymState&)> moves;
  std::function<Claim(const SymState& from, const Move& move, const SymPath& path)> claim;
  // Symbolic values the moves' edits write (edit_inputs()).
  bool writes_rax = false, writes_orig_rax = false;
};

z3::context& c() {
  return sym::ctx();
}
z3::expr lit(bool b) {
  return c().bool_val(b);
}

// The states the explorer reaches at `bound` (the model's states, without the monitors' part),
// each with the edge it was first reached by, and their control parts.
struct Reached {
  static constexpr uint32_t kRoot = UINT32_MAX;
  std::vector<ConcreteState> states;                              // breadth-first order
  std::vector<std::pair<uint32_t, Label>> parents;                // kRoot for an initial state
  std::vector<uint32_t> controls;                                 // a state of each control part
  std::unordered_map<uint64_t, std::vector<uint32_t>> by_control; // its states, shortest first

  std::vector<Label> path_to(uint32_t i) const {
    std::vector<Label> out;
    for (; parents[i].first != kRoot; i = parents[i].first) out.push_back(parents[i].second);
    return {out.rbegin(), out.rend()};
  }
  static uint64_t control_key(const ConcreteState& s) {
    const ConcreteState control = control_part(s);
    return fingerprint(&control, sizeof control);
  }
};

Profile at_bound(const Profile& profile, int bound) {
  Profile p = profile;
  p.domain.program_bound = bound;
  return p;
}

Reached reach(const Profile& profile, int bound) {
  const Profile p = at_bound(profile, bound);
  const LinuxX86Model model(p, std::nullopt, p.domain.handler);
  const MonitoredModel<LinuxX86Model> monitored(model, false);
  using CS = MonitoredModel<LinuxX86Model>::State;
  Reached out;
  std::unordered_set<uint64_t> seen;
  for (const CS& s : monitored.initial_states())
    if (seen.insert(fingerprint(&s.s, sizeof s.s)).second) {
      out.states.push_back(s.s);
      out.parents.emplace_back(Reached::kRoot, Label{});
    }
  for (size_t i = 0; i < out.states.size(); ++i) {
    CS s;
    s.s = out.states[i];
    auto emit = [&](const Label& l, const CS& next, Violations, uint8_t) {
      if (!seen.insert(fingerprint(&next.s, sizeof next.s)).second) return;
      out.states.push_back(next.s);
      out.parents.emplace_back(static_cast<uint32_t>(i), l);
    };
    monitored.expand(s, emit);
    auto& same = out.by_control[Reached::control_key(s.s)];
    if (same.empty()) out.controls.push_back(static_cast<uint32_t>(i));
    same.push_back(static_cast<uint32_t>(i));
  }
  return out;
}

bool stopped(const SymState& s) {
  return s.phase == Phase::stopped;
}

// A resume with no signal and no edits, at each peek the model commits to.
std::vector<Move> resumes(const SymModel& m, const SymState& s, std::vector<Request> requests,
                          std::vector<Edit> edits = {}) {
  std::vector<Move> out;
  if (!stopped(s)) return out;
  for (Request r : requests) {
    Action a;
    a.request = r;
    a.edits = edits;
    std::vector<Peek> peeks = peeks_on_every_path(m, s, a);
    std::sort(peeks.begin(), peeks.end()); // the order the facts' cases have always had
    for (Peek peek : peeks) out.push_back(Move{a, peek, {}});
  }
  return out;
}

z3::expr tf_of(const Sym<uint64_t>& flags) {
  return (flags & x86::TF).expr() != c().bv_val(0, 64);
}
z3::expr without_tf(const Sym<uint64_t>& flags) {
  return (flags & ~x86::TF).expr();
}
// The user frame went on in user mode: not replaced by a handler's, not ended.
bool frame_goes_on(const SymPath& p) {
  return !p.events.frame_replaced && !p.next.dead() && p.next.phase != Phase::unmodelled;
}

// The entry stop was under SYSCALL_EMU: the syscall is skipped whatever orig_rax says.
bool emulated(const SymState& s) {
  return s.entry_work & work::emu;
}

constexpr int64_t kEnosys = -38;

Sym<int64_t> input_rax() {
  return Sym<int64_t>::var("written_rax");
}
Sym<int64_t> input_orig_rax() {
  return Sym<int64_t>::var("written_orig_rax");
}
z3::expr dispatch_nr(const Sym<int64_t>& x) {
  return sym::low_int32(x).expr();
}
z3::expr nr_is(const Sym<int64_t>& x, int32_t nr) {
  return dispatch_nr(x) == c().bv_val(nr, 32);
}

const std::vector<Fact>& facts() {
  static const std::vector<Fact> kFacts = [] {
    std::vector<Fact> f;
    f.push_back(Fact{
        {"arm-step-changes-only-tf",
         "PTRACE_SINGLESTEP/SYSEMU_SINGLESTEP set TF and change no other RFLAGS bit (step.c)"},
        [](const SymModel& m, const SymState& s) {
          return resumes(m, s, {Request::singlestep, Request::sysemu_singlestep});
        },
        [](const SymState& from, const Move&, const SymPath& p) {
          return Claim{lit(p.events.step_armed && frame_goes_on(p) && p.next.phase == Phase::user),
                       without_tf(p.next.regs.rflags) == without_tf(from.regs.rflags) &&
                           tf_of(p.next.regs.rflags)};
        }});
    f.push_back(Fact{
        {"disarm-restores-own-tf",
         "a resume without stepping leaves the tracee's own TF (cleared if the debugger forced "
         "it) and no other RFLAGS bit changed"},
        [](const SymModel& m, const SymState& s) {
          return resumes(m, s, {Request::cont, Request::syscall, Request::sysemu});
        },
        [](const SymState& from, const Move&, const SymPath& p) {
          const bool forced = from.work & work::forced_tf;
          const z3::expr own_tf = forced ? lit(false) : tf_of(from.regs.rflags);
          return Claim{lit(frame_goes_on(p) && p.next.phase == Phase::user),
                       without_tf(p.next.regs.rflags) == without_tf(from.regs.rflags) &&
                           tf_of(p.next.regs.rflags) == own_tf};
        }});
    f.push_back(Fact{
        {"syscall-entry-clears-tf",
         "SYSCALL enters the kernel with TF clear, whatever RFLAGS the user had (FMASK)"},
        [](const SymModel& m, const SymState& s) {
          std::vector<Move> out;
          uint16_t choices[SymModel::kMaxChoices];
          const size_t n = m.program_choices(s, choices);
          for (size_t i = 0; i < n; ++i) {
            const Move mv = label_move(m, s, Label{Label::Who::tracee, choices[i], Peek::unknown});
            if (mv.insn.op == Op::syscall) out.push_back(mv);
          }
          return out;
        },
        [](const SymState&, const Move&, const SymPath& p) {
          return Claim{lit(true), lit(!p.events.kernel_tf)};
        }});
    const auto entry_stop_with_orig_rax = [](const SymModel& m, const SymState& s) {
      if (!stopped(s) || s.why != StopWhy::syscall_enter) return std::vector<Move>{};
      return resumes(m, s, {Request::cont}, {Edit{Reg::orig_rax, 0, {}}});
    };
    f.push_back(Fact{{"orig-rax-minus-1-skips",
                      "orig_rax written -1 at syscall entry: no syscall runs and rax is kept"},
                     entry_stop_with_orig_rax,
                     [](const SymState& from, const Move&, const SymPath& p) {
                       return Claim{nr_is(input_orig_rax(), -1) && lit(frame_goes_on(p)),
                                    lit(!p.events.syscall_ran) &&
                                        p.next.regs.rax.expr() == from.regs.rax.expr()};
                     },
                     false,
                     true});
    f.push_back(Fact{
        {"orig-rax-invalid-enosys",
         "orig_rax written an invalid number (below -1, or 512 up to the x32 bit) gives -ENOSYS "
         "(unless SYSEMU skips the syscall)"},
        entry_stop_with_orig_rax,
        [](const SymState& from, const Move&, const SymPath& p) {
          const z3::expr nr = dispatch_nr(input_orig_rax());
          const z3::expr invalid = z3::slt(nr, c().bv_val(-1, 32)) ||
                                   (z3::sge(nr, c().bv_val(syscalls::kFirstInvalid, 32)) &&
                                    z3::slt(nr, c().bv_val(syscalls::kX32Bit, 32)));
          return Claim{invalid && lit(frame_goes_on(p) && !emulated(from)),
                       p.next.regs.rax.expr() == c().bv_val(kEnosys, 64)};
        },
        false,
        true});
    f.push_back(Fact{{"orig-rax-low-32-bits",
                      "the syscall is orig_rax's low 32 bits: any orig_rax whose low half is "
                      "getpid's number runs getpid (unless SYSEMU skips it)"},
                     entry_stop_with_orig_rax,
                     [](const SymState& from, const Move&, const SymPath& p) {
                       return Claim{nr_is(input_orig_rax(), nr::getpid) &&
                                        lit(frame_goes_on(p) && !emulated(from)),
                                    p.next.regs.rax.expr() == c().bv_val(kPidToken, 64)};
                     },
                     false,
                     true});
    f.push_back(
        Fact{{"written-rax-persists",
              "rax written at a stop is the tracee's rax when it runs on, unless a syscall or a "
              "signal frame replaces it"},
             [](const SymModel& m, const SymState& s) {
               return resumes(m, s, {Request::cont, Request::singlestep}, {Edit{Reg::rax, 0, {}}});
             },
             [](const SymState&, const Move&, const SymPath& p) {
               return Claim{lit(frame_goes_on(p) && !p.events.syscall_ran),
                            p.next.regs.rax.expr() == input_rax().expr()};
             },
             true,
             false});
    f.push_back(Fact{
        {"getregs-after-setregs",
         "GETREGS after SETREGS at any stop reads the rax, orig_rax and TF written and the other "
         "RFLAGS bits as they were; the TF the tracee runs with differs from the one read only "
         "while the debugger's own TF is kept (TIF_FORCED_TF; ptrace.c get_flags, set_flags)"},
        [](const SymModel&, const SymState& s) {
          std::vector<Move> out;
          if (!stopped(s)) return out;
          // The agent's register write: GETREGS, the edits, SETREGS (tf= flips TF in what it
          // read); then a GETREGS at the same stop.
          for (int tf : {0, 1}) {
            Action a;
            a.edits = {Edit{Reg::orig_rax, 0, {}}, Edit{Reg::rax, 0, {}}, Edit{Reg::tf, tf, {}}};
            Move m{a, Peek::unknown, {}};
            m.read_back = true;
            out.push_back(m);
          }
          return out;
        },
        [](const SymState& from, const Move& move, const SymPath& p) {
          const Reading& read = *p.read;
          if (read.words.size() != 2) return Claim{lit(true), lit(false)}; // rax, orig_rax
          const bool tf_written = move.action->edits.back().value != 0;
          const auto flag_kept = [&](uint64_t bit, bool read_bit) {
            return ((from.regs.rflags & bit).expr() != c().bv_val(0, 64)) == lit(read_bit);
          };
          const bool forced_after = p.next.work & work::forced_tf;
          return Claim{lit(true),
                       read.words[0].expr() == input_rax().expr() &&
                           read.words[1].expr() == input_orig_rax().expr() &&
                           lit(read.line.tf == tf_written) && flag_kept(x86::ZF, read.line.zf) &&
                           flag_kept(x86::CF, read.line.cf) &&
                           without_tf(p.next.regs.rflags) == without_tf(from.regs.rflags) &&
                           (tf_of(p.next.regs.rflags) == lit(tf_written) || lit(forced_after))};
        },
        true,
        true});
    return f;
  }();
  return kFacts;
}

std::string hex(uint64_t v) {
  return fmt::format("{:#x}", v);
}

std::string describe_state(const ConcreteState& s) {
  static const char* const kWhy[] = {"initial stop", "syscall-enter stop", "syscall-exit stop",
                                     "signal-delivery stop", "handler-notify stop"};
  std::string where = s.phase == Phase::stopped ? kWhy[static_cast<int>(s.why)] : "user mode";
  return fmt::format("{} at {} (work {:#x}, pending {:#x}{})", where, format_loc(s.pc()), s.work,
                     s.pending, s.in_handler ? ", in the handler" : "");
}

std::string describe_move(const Move& m) {
  return m.action ? format_action(*m.action) : format_insn(m.insn);
}

} // namespace

std::string_view verdict_name(Verdict v) {
  switch (v) {
  case Verdict::proved:
    return "proved";
  case Verdict::refuted:
    return "refuted";
  case Verdict::unknown:
    break;
  }
  return "unknown";
}

const std::vector<FactInfo>& register_facts() {
  static const std::vector<FactInfo> kInfos = [] {
    std::vector<FactInfo> out;
    for (const Fact& f : facts()) out.push_back(f.info);
    return out;
  }();
  return kInfos;
}

std::optional<std::string> unsupported(const Profile& p) {
  if (p.kernel == "linux" && p.arch == "x86_64") return std::nullopt;
  return "prove is not supported for profile '" + p.name +
         "': only the x86_64 Linux layers are generic over the value domain (prove/README.md)";
}

namespace {

// The counterexample as a scenario: the explorer's path to a reached state whose registers are
// the counterexample's, then the move with the values it writes. nullopt, with `why`, when no
// reached state has those registers.
std::optional<Scenario> replayable(const Profile& p, int bound, const Reached& reached,
                                   const ConcreteState& start, uint32_t index, const Move& move,
                                   const z3::model& m, std::string& why) {
  const Profile at = at_bound(p, bound);
  const LinuxX86Model model(at, std::nullopt, at.domain.handler);
  const std::vector<Label> path = reached.path_to(index);
  uint32_t root = index;
  while (reached.parents[root].first != Reached::kRoot) root = reached.parents[root].first;
  Scenario sc = build_counterexample(model, model.tracer_domain(),
                                     reached.states[root].tracesysgood != 0, path);
  if (move.action) {
    Action a = *move.action;
    for (Edit& e : a.edits) {
      uint64_t v = 0;
      if (e.reg == Reg::rax) m.eval(input_rax().expr(), true).is_numeral_u64(v);
      if (e.reg == Reg::orig_rax) m.eval(input_orig_rax().expr(), true).is_numeral_u64(v);
      if (e.reg == Reg::rax || e.reg == Reg::orig_rax) e.value = static_cast<int64_t>(v);
    }
    sc.actions.push_back(a);
  } else if (start.pc().space == Loc::Space::program && model.fixed_insn(start.pc()) != move.insn) {
    // The prover's moves range over the profile's own program bound: an instruction the
    // explorer at `bound` has not put there. It goes into the program, which moves the exit tail,
    // so the path must not have run a program instruction before.
    for (uint32_t i = index; reached.parents[i].first != Reached::kRoot;) {
      const auto& [parent, label] = reached.parents[i];
      if (label.who == Label::Who::tracee &&
          reached.states[parent].pc().space == Loc::Space::program) {
        why = "the counterexample's instruction is at a program index the explorer's path ran "
              "another instruction at";
        return std::nullopt;
      }
      i = parent;
    }
    sc.program.resize(start.regs.pc, Insn{});
    sc.program.push_back(move.insn);
  }
  return sc;
}

} // namespace

FactResult prove_fact(const Profile& p, std::string_view name, int bound) {
  const auto start = Clock::now();
  const Fact* fact = nullptr;
  for (const Fact& f : facts())
    if (f.info.name == name) fact = &f;
  if (!fact) throw std::invalid_argument("unknown fact " + std::string(name));
  FactResult out;
  out.fact = name;

  const SymModel model(p, std::nullopt, p.domain.handler);
  // Without a mutant, every rule's mutation is a literal, so the unsat core names the rules.
  const MutationMode mode =
      p.mutation ? MutationMode::of(p.mutation) : MutationMode{MutationMode::Kind::literals, {}};
  EditInputs& inputs = edit_inputs();
  inputs = EditInputs{};
  if (fact->writes_rax) inputs.rax = input_rax();
  if (fact->writes_orig_rax) inputs.orig_rax = input_orig_rax();

  // bad: some case has a path whose premise holds and whose claim does not.
  z3::expr_vector bad(c()), applies(c());
  struct Case {
    uint32_t control; // a reached state of this control part
    Move move;
    z3::expr bad;
  };
  std::vector<Case> cases;
  const Reached reached = reach(p, bound);
  for (const uint32_t control : reached.controls) {
    StateVars vars;
    const SymState from = symbolic_state(reached.states[control], "", vars);
    for (const Move& move : fact->moves(model, from)) {
      z3::expr_vector case_bad(c());
      for (const SymPath& path : symbolic_step(model, from, move, mode)) {
        ++out.paths;
        const Claim claim = fact->claim(from, move, path);
        applies.push_back(path.condition && claim.premise);
        case_bad.push_back(path.condition && claim.premise && !claim.holds);
      }
      ++out.cases;
      cases.push_back(Case{control, move, z3::mk_or(case_bad)});
      bad.push_back(cases.back().bad);
    }
  }
  inputs = EditInputs{};

  z3::solver solver(c());
  z3::expr_vector assumptions(c());
  for (size_t i = 0; i < kRuleCount; ++i)
    if (p.rules().test(i)) assumptions.push_back(!mutation_literal(static_cast<RuleId>(i)));
  const auto finish = [&] {
    out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return out;
  };
  // No vacuous proofs: some case's premise must be satisfiable with the rules as written.
  solver.add(z3::mk_or(applies));
  const z3::check_result premises = solver.check(assumptions);
  if (premises != z3::sat) {
    out.reason = premises == z3::unsat ? "vacuous: no state the explorer reaches at bound " +
                                             std::to_string(bound) + " meets the premises"
                                       : "the solver gave up on the premises";
    return finish();
  }
  solver.reset();
  solver.add(z3::mk_or(bad));
  const z3::check_result result = solver.check(assumptions);
  if (result == z3::unknown) {
    out.reason = "the solver gave up: " + solver.reason_unknown();
    return finish();
  }
  if (result == z3::sat) {
    out.verdict = Verdict::refuted;
    // A counterexample whose registers some reached state has, so that the explorer's path to it
    // replays it: each refuted case's states in turn, shortest path first (a bounded search).
    constexpr size_t kMaxTries = 2000;
    size_t tries = 0;
    std::optional<z3::model> model_found;
    const Case* refuted = nullptr;
    uint32_t start_state = 0;
    z3::solver pick(c());
    const z3::model any = solver.get_model();
    // The rules as written plus `more` (expr_vector copies share their vector: each is new).
    const auto with = [&](const std::vector<z3::expr>& more) {
      z3::expr_vector v(c());
      for (const z3::expr& e : assumptions) v.push_back(e);
      for (const z3::expr& e : more) v.push_back(e);
      return v;
    };
    for (const Case& k : cases) {
      if (refuted || tries >= kMaxTries) break;
      if (pick.check(with({k.bad})) != z3::sat) continue;
      StateVars vars;
      symbolic_state(reached.states[k.control], "", vars);
      for (uint32_t i : reached.by_control.at(Reached::control_key(reached.states[k.control]))) {
        if (++tries > kMaxTries) break;
        std::vector<z3::expr> data{k.bad};
        const z3::expr_vector values = data_values(reached.states[i]);
        for (unsigned v = 0; v < vars.vars.size(); ++v) data.push_back(vars.vars[v] == values[v]);
        if (pick.check(with(data)) != z3::sat) continue;
        model_found = pick.get_model();
        refuted = &k;
        start_state = i;
        break;
      }
    }
    const z3::model m = model_found ? *model_found : any;
    const Case* shown = refuted;
    for (const Case& k : cases)
      if (!shown && m.eval(k.bad, true).is_true()) shown = &k;
    if (!shown) return finish(); // cannot happen: the model satisfies some case's `bad`
    const ConcreteState& control = reached.states[shown->control];
    out.from = describe_state(refuted ? reached.states[start_state] : control);
    out.move = describe_move(shown->move);
    StateVars vars;
    symbolic_state(control, "", vars);
    if (fact->writes_rax) vars.vars.push_back(input_rax().expr());
    if (fact->writes_orig_rax) vars.vars.push_back(input_orig_rax().expr());
    for (const z3::expr& v : vars.vars) {
      uint64_t value = 0;
      m.eval(v, true).is_numeral_u64(value);
      const std::string n = v.decl().name().str();
      out.counterexample[n] = hex(value);
      if ((n == "rflags" || n == "saved.rflags" || n == "stack_top") && (value & ~x86::kTracked))
        out.alphabet_writes_it = false;
    }
    if (shown->move.read_back) {
      out.scenario_note = "a register read at the stop after the write: a scenario reads the "
                          "registers only at the next stop";
    } else if (!refuted) {
      out.scenario_note = "no state the explorer reaches at bound " + std::to_string(bound) +
                          " has these register values (searched " + std::to_string(tries) +
                          " states)";
    } else {
      const auto sc = replayable(p, bound, reached, reached.states[start_state], start_state,
                                 shown->move, m, out.scenario_note);
      if (sc) out.scenario = format_scenario(*sc);
      out.alphabet_writes_it = true; // the path's own registers, which the alphabet wrote
    }
    return finish();
  }
  // Proved: the minimal set of unmutated rules it rests on.
  out.core = minimal_rule_core(solver);
  out.verdict = Verdict::proved;
  return finish();
}

} // namespace ptmc::prove
