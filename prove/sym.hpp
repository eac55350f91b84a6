// Symbolic values for the model's layers: the `Symbolic` value domain (model/value.hpp).
//
// A Sym<T> stands for a value of the C++ type T: a constant, or a Z3 bit-vector expression of
// T's width. Operators follow C++'s meaning for T (wrap-around, signed or unsigned comparison),
// folding constants without Z3. A SymBool is a constant or a Z3 Boolean; when C++ control flow
// needs a real bool (an `if`, a `switch`, `&&` between plain bools), the conversion asks the
// thread's Oracle, which decides it for the current execution path and records the path
// condition. The path enumerator (prove/paths.hpp) re-runs a transition once per path.
#pragma once

#include <z3++.h>

#include <cstdint>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace ptmc::sym {

// The Z3 context of this thread: every symbolic value lives in it.
z3::context& ctx();

// Decides conditions for the execution path being run.
class Oracle {
public:
  virtual ~Oracle() = default;
  // The value of `cond` on the current path; the oracle records the choice.
  virtual bool branch(const z3::expr& cond) = 0;
  // `cond` holds on the current path, with no branch for its negation.
  virtual void assume(const z3::expr& cond) = 0;
  // A value `x` takes on the current path, the path forking on whether it is that value.
  virtual uint64_t concretize(const z3::expr& x) = 0;
};
Oracle* current_oracle();
// Installs an oracle for the current thread while it lives.
class OracleScope {
public:
  explicit OracleScope(Oracle* o);
  ~OracleScope();
  OracleScope(const OracleScope&) = delete;
  OracleScope& operator=(const OracleScope&) = delete;

private:
  Oracle* saved_;
};

// Thrown when a symbolic condition must be decided and no oracle is installed.
struct NoOracle : std::logic_error {
  using std::logic_error::logic_error;
};
bool decide_on_path(const z3::expr& cond);
// Records a condition the current path assumes without a branch for its negation (a value the
// state's type invariant confines to a range): the path has no successor where it is false.
void assume_on_path(const z3::expr& cond);

class SymBool {
public:
  SymBool(bool b = false) : const_(true), value_(b) {}
  explicit SymBool(const z3::expr& e);
  static SymBool var(const std::string& name) { return SymBool(ctx().bool_const(name.c_str())); }
  static SymBool of(const z3::expr& e) { return SymBool(e); }

  bool is_const() const { return const_; }
  bool value() const { return value_; }
  z3::expr expr() const { return const_ ? ctx().bool_val(value_) : *e_; }
  // Forks: the value on the current path. Implicit, so that the layers' `const bool x = ...`
  // and bool parameters work unchanged (each is a fork point).
  operator bool() const { return const_ ? value_ : decide_on_path(*e_); }

  friend SymBool operator!(const SymBool& a) {
    return a.const_ ? SymBool(!a.value_) : SymBool(!*a.e_);
  }
  // No short circuit: both sides are plain values in the model's code.
  friend SymBool operator&&(const SymBool& a, const SymBool& b) {
    if (a.const_) return a.value_ ? b : SymBool(false);
    if (b.const_) return b.value_ ? a : SymBool(false);
    return SymBool(*a.e_ && *b.e_);
  }
  friend SymBool operator||(const SymBool& a, const SymBool& b) {
    if (a.const_) return a.value_ ? SymBool(true) : b;
    if (b.const_) return b.value_ ? SymBool(true) : a;
    return SymBool(*a.e_ || *b.e_);
  }
  friend SymBool operator==(const SymBool& a, const SymBool& b) {
    if (a.const_ && b.const_) return a.value_ == b.value_;
    return SymBool(a.expr() == b.expr());
  }
  friend SymBool operator!=(const SymBool& a, const SymBool& b) { return !(a == b); }
  friend SymBool operator^(const SymBool& a, const SymBool& b) { return a != b; }
  // Exact overloads for a plain bool on either side, so that they win over the built-in
  // operators (which would need the conversion to bool, and fork).
  friend SymBool operator&&(bool a, const SymBool& b) { return SymBool(a) && b; }
  friend SymBool operator&&(const SymBool& a, bool b) { return a && SymBool(b); }
  friend SymBool operator||(bool a, const SymBool& b) { return SymBool(a) || b; }
  friend SymBool operator||(const SymBool& a, bool b) { return a || SymBool(b); }
  friend SymBool operator==(bool a, const SymBool& b) { return SymBool(a) == b; }
  friend SymBool operator==(const SymBool& a, bool b) { return a == SymBool(b); }
  friend SymBool operator!=(bool a, const SymBool& b) { return SymBool(a) != b; }
  friend SymBool operator!=(const SymBool& a, bool b) { return a != SymBool(b); }

private:
  bool const_;
  bool value_ = false;
  std::optional<z3::expr> e_;
};

inline SymBool select(const SymBool& c, const SymBool& a, const SymBool& b) {
  if (c.is_const()) return c.value() ? a : b;
  return SymBool(z3::ite(c.expr(), a.expr(), b.expr()));
}

template <class T> struct Traits {
  using Int = std::conditional_t<std::is_enum_v<T>, std::underlying_type<T>, std::type_identity<T>>;
  using Underlying = typename Int::type;
  static constexpr unsigned bits = sizeof(T) * 8;
  static constexpr bool is_signed = std::is_signed_v<Underlying>;
  static constexpr uint64_t mask = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
};

template <class T> class Sym {
  static_assert(std::is_integral_v<T> || std::is_enum_v<T>);
  static_assert(!std::is_same_v<T, bool>, "use SymBool");
  using Tr = Traits<T>;

public:
  static constexpr unsigned kBits = Tr::bits;
  using Value = T;

  Sym() : const_(true), bits_(0) {}
  Sym(T v) : const_(true), bits_(static_cast<uint64_t>(v) & Tr::mask) {}
  // A constant of another integer type, converted as static_cast<T> would.
  template <class I>
  requires(std::is_integral_v<I> && !std::is_same_v<I, T> && !std::is_same_v<I, bool>) Sym(I v)
      : Sym(static_cast<T>(v)) {}
  // Another symbolic width, converted as static_cast<T> would.
  template <class S>
  requires(!std::is_same_v<S, T>) explicit Sym(const Sym<S>& o) {
    if (o.is_const()) {
      const_ = true;
      bits_ = static_cast<uint64_t>(static_cast<T>(o.value())) & Tr::mask;
      return;
    }
    const_ = false;
    z3::expr e = o.expr();
    if (Sym<S>::kBits > kBits)
      e = e.extract(kBits - 1, 0);
    else if (Sym<S>::kBits < kBits)
      e = Traits<S>::is_signed ? z3::sext(e, kBits - Sym<S>::kBits)
                               : z3::zext(e, kBits - Sym<S>::kBits);
    e_ = e;
  }
  // A Boolean as 0 or 1.
  explicit Sym(const SymBool& b) {
    if (b.is_const()) {
      const_ = true;
      bits_ = b.value() ? 1 : 0;
      return;
    }
    const_ = false;
    e_ = z3::ite(b.expr(), ctx().bv_val(uint64_t{1}, kBits), ctx().bv_val(uint64_t{0}, kBits));
  }
  static Sym of(const z3::expr& e) {
    Sym s;
    if (e.is_numeral()) {
      uint64_t v = 0;
      if (e.is_numeral_u64(v)) {
        s.bits_ = v & Tr::mask;
        return s;
      }
    }
    s.const_ = false;
    s.e_ = e;
    return s;
  }
  static Sym var(const std::string& name) { return of(ctx().bv_const(name.c_str(), kBits)); }

  bool is_const() const { return const_; }
  uint64_t bits() const { return bits_; }
  T value() const {
    if constexpr (Tr::is_signed && Tr::bits < 64) {
      const uint64_t sign = uint64_t{1} << (Tr::bits - 1);
      return static_cast<T>(static_cast<int64_t>((bits_ ^ sign) - sign));
    } else {
      return static_cast<T>(bits_);
    }
  }
  z3::expr expr() const { return const_ ? ctx().bv_val(bits_, kBits) : *e_; }
  // Forks: whether the value is non-zero on the current path.
  explicit operator bool() const { return static_cast<bool>(*this != Sym(T{})); }

  friend Sym operator~(const Sym& a) { return a.const_ ? raw(~a.bits_) : of(~*a.e_); }
  friend Sym operator-(const Sym& a) { return a.const_ ? raw(0 - a.bits_) : of(-*a.e_); }
  friend SymBool operator!(const Sym& a) { return a == Sym(T{}); }

#define PTMC_SYM_BINARY(op, fold)                                                                  \
  friend Sym operator op(const Sym& a, const Sym& b) {                                             \
    if (a.const_ && b.const_) return raw(a.bits_ fold b.bits_);                                    \
    return of(a.expr() op b.expr());                                                               \
  }                                                                                                \
  template <class I>                                                                               \
  requires(std::is_integral_v<I> || std::is_enum_v<I>) friend Sym operator op(const Sym& a, I b) { \
    return a op Sym(static_cast<T>(b));                                                            \
  }                                                                                                \
  template <class I>                                                                               \
  requires(std::is_integral_v<I> || std::is_enum_v<I>) friend Sym operator op(I a, const Sym& b) { \
    return Sym(static_cast<T>(a)) op b;                                                            \
  }                                                                                                \
  template <class I> Sym& operator op##=(const I& b) {                                             \
    *this = *this op b;                                                                            \
    return *this;                                                                                  \
  }
  PTMC_SYM_BINARY(&, &)
  PTMC_SYM_BINARY(|, |)
  PTMC_SYM_BINARY(^, ^)
  PTMC_SYM_BINARY(+, +)
  PTMC_SYM_BINARY(-, -)
#undef PTMC_SYM_BINARY
  Sym& operator++() {
    return *this = *this + 1;
  }

  friend SymBool operator==(const Sym& a, const Sym& b) {
    if (a.const_ && b.const_) return a.bits_ == b.bits_;
    return SymBool(a.expr() == b.expr());
  }
  friend SymBool operator!=(const Sym& a, const Sym& b) {
    return !(a == b);
  }
  friend SymBool operator<(const Sym& a, const Sym& b) {
    if (a.const_ && b.const_) return a.value() < b.value();
    return SymBool(Tr::is_signed ? z3::slt(a.expr(), b.expr()) : z3::ult(a.expr(), b.expr()));
  }
  friend SymBool operator>(const Sym& a, const Sym& b) {
    return b < a;
  }
  friend SymBool operator<=(const Sym& a, const Sym& b) {
    return !(b < a);
  }
  friend SymBool operator>=(const Sym& a, const Sym& b) {
    return !(a < b);
  }
#define PTMC_SYM_COMPARE(op)                                                                       \
  template <class I>                                                                               \
  requires(std::is_integral_v<I> || std::is_enum_v<I>) friend SymBool operator op(const Sym& a,    \
                                                                                  I b) {           \
    return a op Sym(static_cast<T>(b));                                                            \
  }                                                                                                \
  template <class I>                                                                               \
  requires(std::is_integral_v<I> || std::is_enum_v<I>) friend SymBool operator op(I a,             \
                                                                                  const Sym& b) {  \
    return Sym(static_cast<T>(a)) op b;                                                            \
  }
  PTMC_SYM_COMPARE(==)
  PTMC_SYM_COMPARE(!=)
  PTMC_SYM_COMPARE(<)
  PTMC_SYM_COMPARE(>)
  PTMC_SYM_COMPARE(<=)
  PTMC_SYM_COMPARE(>=)
#undef PTMC_SYM_COMPARE

private:
  static Sym raw(uint64_t bits) {
    Sym s;
    s.bits_ = bits & Tr::mask;
    return s;
  }
  bool const_ = true;
  uint64_t bits_ = 0;
  std::optional<z3::expr> e_;
};

template <class T> Sym<T> select(const SymBool& c, const Sym<T>& a, const Sym<T>& b) {
  if (c.is_const()) return c.value() ? a : b;
  if (a.is_const() && b.is_const() && a.bits() == b.bits()) return a;
  return Sym<T>::of(z3::ite(c.expr(), a.expr(), b.expr()));
}
template <class T, class I>
requires(std::is_integral_v<I> || std::is_enum_v<I>) Sym<T> select(const SymBool& c,
                                                                   const Sym<T>& a, I b) {
  return select(c, a, Sym<T>(static_cast<T>(b)));
}
template <class T, class I>
requires(std::is_integral_v<I> || std::is_enum_v<I>) Sym<T> select(const SymBool& c, I a,
                                                                   const Sym<T>& b) {
  return select(c, Sym<T>(static_cast<T>(a)), b);
}

// The dispatch number of a symbolic orig_rax: its low 32 bits as an int (syscalls::dispatch_number
// for integers; found by argument-dependent lookup from scenario/syscalls.hpp).
inline Sym<int32_t> low_int32(const Sym<int64_t>& x) {
  return Sym<int32_t>(x);
}

// One value `x` takes on the current path: the oracle picks a feasible value, and forks on
// whether x is it (prove/paths.cpp). Only for values the alphabet keeps small (a setz result),
// or that the path has fixed.
uint64_t concretize_on_path(const z3::expr& x);
template <class T> T concrete(const Sym<T>& x) {
  if (x.is_const()) return x.value();
  return static_cast<T>(concretize_on_path(x.expr()));
}

} // namespace ptmc::sym
