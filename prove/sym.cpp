#include "prove/sym.hpp"

namespace ptmc::sym {

namespace {
thread_local Oracle* g_oracle = nullptr;
} // namespace

z3::context& ctx() {
  static thread_local z3::context c;
  return c;
}

Oracle* current_oracle() {
  return g_oracle;
}

OracleScope::OracleScope(Oracle* o) : saved_(g_oracle) {
  g_oracle = o;
}
OracleScope::~OracleScope() {
  g_oracle = saved_;
}

bool decide_on_path(const z3::expr& cond) {
  if (!g_oracle)
    throw NoOracle("a symbolic condition needs an execution path: " + cond.to_string());
  return g_oracle->branch(cond);
}

void assume_on_path(const z3::expr& cond) {
  if (!g_oracle)
    throw NoOracle("a symbolic assumption needs an execution path: " + cond.to_string());
  g_oracle->assume(cond);
}

SymBool::SymBool(const z3::expr& e) : const_(false) {
  if (e.is_true()) {
    const_ = true;
    value_ = true;
  } else if (e.is_false()) {
    const_ = true;
    value_ = false;
  } else {
    e_ = e;
  }
}

} // namespace ptmc::sym

namespace ptmc::sym {

uint64_t concretize_on_path(const z3::expr& x) {
  if (!g_oracle) throw NoOracle("a symbolic value needs an execution path: " + x.to_string());
  return g_oracle->concretize(x);
}

} // namespace ptmc::sym
