#include "prove/relation.hpp"

#include "prove/paths.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace ptmc::prove {

namespace {

// Every field of a task, once: `data` for the registers of the value domain, `plain` for the
// rest. A field added to LinuxTask or x86::Frame must be added here; the size checks say so.
static_assert(sizeof(ConcreteState) == 80 && sizeof(x86::Frame) == 24,
              "a field was added to the Linux task or the x86 frame: list it in zip_task");

template <class FA, class FB, class Data, class Plain>
void zip_frame(FA& a, FB& b, const std::string& name, Data& data, Plain& plain) {
  data(a.rax, b.rax, name + "rax");
  data(a.rflags, b.rflags, name + "rflags");
  data(a.stack_top, b.stack_top, name + "stack_top");
  plain(a.pc_space, b.pc_space);
  plain(a.pc, b.pc);
  plain(a.rbx, b.rbx);
  plain(a.rsi, b.rsi);
  plain(a.stack_depth, b.stack_depth);
  plain(a.peek, b.peek);
  plain(a.rdi, b.rdi);
  plain(a.rsp_moved, b.rsp_moved);
}

template <class TA, class TB, class Data, class Plain>
void zip_task(TA& a, TB& b, Data data, Plain plain) {
  zip_frame(a.regs, b.regs, "", data, plain);
  zip_frame(a.saved, b.saved, "saved.", data, plain);
  data(a.orig_rax, b.orig_rax, std::string("orig_rax"));
  plain(a.phase, b.phase);
  plain(a.why, b.why);
  plain(a.stop_sig, b.stop_sig);
  plain(a.stop_code, b.stop_code);
  plain(a.stop_op, b.stop_op);
  plain(a.work, b.work);
  plain(a.entry_work, b.entry_work);
  plain(a.pending, b.pending);
  plain(a.trap_code, b.trap_code);
  plain(a.in_handler, b.in_handler);
  plain(a.traced, b.traced);
  plain(a.tracesysgood, b.tracesysgood);
  plain(a.last_request, b.last_request);
  plain(a.written, b.written);
  plain(a.exit_value, b.exit_value);
  plain(a.pending_si_kernel, b.pending_si_kernel);
  plain(a.pending_shared, b.pending_shared);
  plain(a.stop_shared, b.stop_shared);
  plain(a.exit_pid, b.exit_pid);
}

const auto kCopyPlain = [](auto& to, const auto& from) { to = from; };

} // namespace

SymState symbolic_state(const ConcreteState& control, const std::string& prefix, StateVars& v) {
  SymState s;
  zip_task(
      s, control,
      [&](auto& to, const auto& from, const std::string& name) {
        using S = std::decay_t<decltype(to)>;
        to = S::var(prefix + name);
        v.vars.push_back(to.expr());
        v.values.push_back(S(from).expr());
      },
      kCopyPlain);
  return s;
}

SymState constant_state(const ConcreteState& control) {
  SymState s;
  zip_task(
      s, control,
      [](auto& to, const auto& from, const std::string&) { to = std::decay_t<decltype(to)>(from); },
      kCopyPlain);
  return s;
}

std::optional<ConcreteState> substitute(const SymState& s, const z3::expr_vector& vars,
                                        const z3::expr_vector& values, std::string* why,
                                        const Evaluator* evaluator) {
  ConcreteState out;
  bool ok = true;
  zip_task(
      out, s,
      [&](auto& to, const auto& from, const std::string& name) {
        using T = std::decay_t<decltype(to)>;
        uint64_t bits = from.bits();
        const auto quick =
            from.is_const() || !evaluator ? std::nullopt : evaluator->value(from.expr());
        if (quick) {
          bits = *quick;
        } else if (!from.is_const()) {
          z3::expr e = from.expr();
          if (vars.size()) e = e.substitute(vars, values);
          e = e.simplify();
          if (!e.is_numeral_u64(bits)) {
            if (why) *why = name + " is not a constant: " + e.to_string();
            ok = false;
            return;
          }
        }
        // The explicit field must hold the whole value (rflags: the tracked bits only).
        const T narrowed = static_cast<T>(bits);
        const uint64_t back = static_cast<uint64_t>(narrowed) &
                              (std::decay_t<decltype(from)>::kBits == 64
                                   ? ~uint64_t{0}
                                   : (uint64_t{1} << std::decay_t<decltype(from)>::kBits) - 1);
        if (back != bits) {
          if (why) *why = name + " = " + std::to_string(bits) + " does not fit the field";
          ok = false;
          return;
        }
        to = narrowed;
      },
      kCopyPlain);
  if (!ok) return std::nullopt;
  return out;
}

bool same_control(const ConcreteState& a, const ConcreteState& b) {
  bool same = true;
  zip_task(
      a, b, [](const auto&, const auto&, const std::string&) {},
      [&](const auto& x, const auto& y) { same = same && x == y; });
  return same;
}

ConcreteState control_part(const ConcreteState& s) {
  ConcreteState out = s;
  const ConcreteState unused;
  zip_task(
      out, unused, [](auto& to, const auto&, const std::string&) { to = 0; },
      [](auto&, const auto&) {});
  return out;
}

z3::expr_vector data_values(const ConcreteState& s) {
  z3::expr_vector out(sym::ctx());
  const SymState unused;
  zip_task(
      unused, s,
      [&](const auto& symbolic, const auto& value, const std::string&) {
        out.push_back(std::decay_t<decltype(symbolic)>(value).expr());
      },
      [](const auto&, const auto&) {});
  return out;
}

std::vector<Peek> peeks_on_every_path(const SymModel& m, const SymState& s, const Action& a) {
  std::vector<Peek> peeks;
  PathEnumerator paths;
  paths.run([&] {
    Peek some[2];
    const size_t n = m.peeks_for(s, a, some);
    for (size_t k = 0; k < n; ++k)
      if (std::find(peeks.begin(), peeks.end(), some[k]) == peeks.end()) peeks.push_back(some[k]);
  });
  return peeks;
}

Move label_move(const SymModel& m, const SymState& s, const Label& l) {
  Move move;
  if (l.who == Label::Who::tracer) {
    move.action = m.tracer_domain()[l.index];
    move.peek = l.peek;
  } else {
    move.insn = l.index < m.alphabet().size() ? m.alphabet()[l.index] : *m.fixed_insn(s.pc());
  }
  return move;
}

std::vector<SymPath> symbolic_step(const SymModel& m, const SymState& from, const Move& move,
                                   MutationMode mode, std::optional<z3::expr> assumption) {
  std::vector<SymPath> out;
  PathEnumerator paths(assumption);
  paths.run([&] {
    SymRules rules(mode);
    Events ev;
    if (move.read_back) {
      ReadWords words;
      const struct Install {
        ReadWords* saved;
        ~Install() { read_words() = saved; }
      } install{std::exchange(read_words(), &words)};
      SymState next = m.write_registers(from, move.action->edits, rules);
      const TraceLine line = m.observe(next, rules);
      out.push_back(SymPath{paths.condition(), std::move(next), ev, rules.fired(), paths.mutation(),
                            Reading{line, std::move(words.words)}});
      return;
    }
    SymState next = move.action ? m.resume(from, *move.action, move.peek, rules, ev)
                                : m.execute(from, move.insn, rules, ev);
    out.push_back(
        SymPath{paths.condition(), std::move(next), ev, rules.fired(), paths.mutation(), {}});
  });
  return out;
}

} // namespace ptmc::prove

namespace ptmc::prove {

Evaluator::Evaluator(const z3::expr_vector& vars, const z3::expr_vector& values) {
  for (unsigned i = 0; i < vars.size(); ++i) {
    uint64_t v = 0;
    values[i].is_numeral_u64(v);
    values_[vars[i].decl().id()] = v;
  }
}

std::optional<uint64_t> Evaluator::value(const z3::expr& e) const {
  const auto mask = [](unsigned bits) {
    return bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
  };
  const auto sign = [&](uint64_t v, unsigned bits) {
    return bits >= 64 ? static_cast<int64_t>(v)
                      : static_cast<int64_t>((v ^ (uint64_t{1} << (bits - 1))) -
                                             (uint64_t{1} << (bits - 1)));
  };
  if (e.is_numeral()) {
    uint64_t v = 0;
    if (e.is_numeral_u64(v)) return v;
    return std::nullopt;
  }
  if (!e.is_app()) return std::nullopt;
  const z3::func_decl d = e.decl();
  const Z3_decl_kind k = d.decl_kind();
  if (k == Z3_OP_TRUE) return 1;
  if (k == Z3_OP_FALSE) return 0;
  if (k == Z3_OP_UNINTERPRETED) {
    const auto it = values_.find(d.id());
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }
  const unsigned n = e.num_args();
  uint64_t a[3] = {0, 0, 0};
  if (n > 3 && k != Z3_OP_AND && k != Z3_OP_OR) return std::nullopt;
  if (k == Z3_OP_AND || k == Z3_OP_OR) {
    for (unsigned i = 0; i < n; ++i) {
      const auto v = value(e.arg(i));
      if (!v) return std::nullopt;
      if (k == Z3_OP_AND && !*v) return 0;
      if (k == Z3_OP_OR && *v) return 1;
    }
    return k == Z3_OP_AND ? 1 : 0;
  }
  if (k == Z3_OP_ITE) {
    const auto c = value(e.arg(0));
    if (!c) return std::nullopt;
    return value(e.arg(*c ? 1 : 2));
  }
  for (unsigned i = 0; i < n; ++i) {
    const auto v = value(e.arg(i));
    if (!v) return std::nullopt;
    a[i] = *v;
  }
  const unsigned bits = e.is_bv() ? e.get_sort().bv_size() : 1;
  const unsigned arg_bits = n && e.arg(0).is_bv() ? e.arg(0).get_sort().bv_size() : 1;
  const uint64_t m = mask(bits);
  switch (k) {
  case Z3_OP_NOT:
    return !a[0];
  case Z3_OP_EQ:
  case Z3_OP_IFF:
    return a[0] == a[1];
  case Z3_OP_DISTINCT:
    return n == 2 ? std::optional<uint64_t>(a[0] != a[1]) : std::nullopt;
  case Z3_OP_XOR:
    return (a[0] != 0) != (a[1] != 0);
  case Z3_OP_BAND:
    return a[0] & a[1];
  case Z3_OP_BOR:
    return a[0] | a[1];
  case Z3_OP_BXOR:
    return a[0] ^ a[1];
  case Z3_OP_BNOT:
    return ~a[0] & m;
  case Z3_OP_BNEG:
    return (0 - a[0]) & m;
  case Z3_OP_BADD:
    return (a[0] + a[1]) & m;
  case Z3_OP_BSUB:
    return (a[0] - a[1]) & m;
  case Z3_OP_ULT:
    return a[0] < a[1];
  case Z3_OP_ULEQ:
    return a[0] <= a[1];
  case Z3_OP_UGT:
    return a[0] > a[1];
  case Z3_OP_UGEQ:
    return a[0] >= a[1];
  case Z3_OP_SLT:
    return sign(a[0], arg_bits) < sign(a[1], arg_bits);
  case Z3_OP_SLEQ:
    return sign(a[0], arg_bits) <= sign(a[1], arg_bits);
  case Z3_OP_SGT:
    return sign(a[0], arg_bits) > sign(a[1], arg_bits);
  case Z3_OP_SGEQ:
    return sign(a[0], arg_bits) >= sign(a[1], arg_bits);
  case Z3_OP_EXTRACT: {
    const unsigned lo = static_cast<unsigned>(Z3_get_decl_int_parameter(sym::ctx(), d, 1));
    return (a[0] >> lo) & m;
  }
  case Z3_OP_ZERO_EXT:
    return a[0];
  case Z3_OP_SIGN_EXT:
    return static_cast<uint64_t>(sign(a[0], arg_bits)) & m;
  default:
    return std::nullopt;
  }
}

} // namespace ptmc::prove
