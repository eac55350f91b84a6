#include "prove/facts.hpp"

#include "engine/models.hpp"
#include "model/fingerprint.hpp"
#include "model/linux/x86_64/arch.hpp"
#include "prove/relation.hpp"

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
  std::function<Claim(const SymState& from, const SymPath& path)> claim;
  // Symbolic values the moves' edits write (edit_inputs()).
  bool writes_rax = false, writes_orig_rax = false;
};

z3::context& c() {
  return sym::ctx();
}
z3::expr lit(bool b) {
  return c().bool_val(b);
}

// The control parts of the states the explorer reaches at `bound` (the model's states, without
// the monitors' part), each once.
std::vector<ConcreteState> reachable_controls(const Profile& profile, int bound) {
  Profile p = profile;
  p.domain.program_bound = bound;
  const LinuxX86Model model(p, std::nullopt, p.domain.handler);
  const MonitoredModel<LinuxX86Model> monitored(model, false);
  using CS = MonitoredModel<LinuxX86Model>::State;
  std::unordered_set<uint64_t> seen, seen_control;
  std::vector<ConcreteState> queue, out;
  for (const CS& s : monitored.initial_states())
    if (seen.insert(fingerprint(&s.s, sizeof s.s)).second) queue.push_back(s.s);
  for (size_t i = 0; i < queue.size(); ++i) {
    CS s;
    s.s = queue[i];
    auto emit = [&](const Label&, const CS& next, Violations, uint8_t) {
      if (seen.insert(fingerprint(&next.s, sizeof next.s)).second) queue.push_back(next.s);
    };
    monitored.expand(s, emit);
    const ConcreteState control = control_part(s.s);
    if (seen_control.insert(fingerprint(&control, sizeof control)).second) out.push_back(s.s);
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
    Peek peeks[2];
    const size_t n = m.peeks_for(s, a, peeks);
    for (size_t i = 0; i < n; ++i) out.push_back(Move{a, peeks[i], {}});
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
        [](const SymState& from, const SymPath& p) {
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
        [](const SymState& from, const SymPath& p) {
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
        [](const SymState&, const SymPath& p) {
          return Claim{lit(true), lit(!p.events.kernel_tf)};
        }});
    const auto entry_stop_with_orig_rax = [](const SymModel& m, const SymState& s) {
      if (!stopped(s) || s.why != StopWhy::syscall_enter) return std::vector<Move>{};
      return resumes(m, s, {Request::cont}, {Edit{Reg::orig_rax, 0, {}}});
    };
    f.push_back(Fact{{"orig-rax-minus-1-skips",
                      "orig_rax written -1 at syscall entry: no syscall runs and rax is kept"},
                     entry_stop_with_orig_rax,
                     [](const SymState& from, const SymPath& p) {
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
        [](const SymState& from, const SymPath& p) {
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
                     [](const SymState& from, const SymPath& p) {
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
             [](const SymState&, const SymPath& p) {
               return Claim{lit(frame_goes_on(p) && !p.events.syscall_ran),
                            p.next.regs.rax.expr() == input_rax().expr()};
             },
             true,
             false});
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
    ConcreteState control;
    Move move;
    z3::expr bad;
  };
  std::vector<Case> cases;
  for (const ConcreteState& control : reachable_controls(p, bound)) {
    StateVars vars;
    const SymState from = symbolic_state(control, "", vars);
    for (const Move& move : fact->moves(model, from)) {
      z3::expr_vector case_bad(c());
      for (const SymPath& path : symbolic_step(model, from, move, mode)) {
        ++out.paths;
        const Claim claim = fact->claim(from, path);
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
    const z3::model m = solver.get_model();
    for (const Case& k : cases) {
      if (!m.eval(k.bad, true).is_true()) continue;
      out.from = describe_state(k.control);
      out.move = describe_move(k.move);
      StateVars vars;
      symbolic_state(k.control, "", vars);
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
      break;
    }
    return finish();
  }
  // Proved: the minimal set of unmutated rules it rests on (a deletion pass over the core).
  std::vector<z3::expr> core;
  for (const z3::expr& e : solver.unsat_core()) core.push_back(e);
  for (size_t i = 0; i < core.size();) {
    z3::expr_vector without(c());
    for (size_t j = 0; j < core.size(); ++j)
      if (j != i) without.push_back(core[j]);
    if (solver.check(without) == z3::unsat)
      core.erase(core.begin() + static_cast<long>(i));
    else
      ++i;
  }
  for (const z3::expr& e : core) {
    std::string n = e.arg(0).decl().name().str(); // ¬mut:RULE
    out.core.push_back(n.substr(4));
  }
  out.verdict = Verdict::proved;
  return finish();
}

} // namespace ptmc::prove
