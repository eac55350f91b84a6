// Canonical text for scenarios and trace lines (docs/scenario-format.md, docs/trace-format.md).
// Standard library only: the kernel agent links this statically.
#include "scenario/scenario.hpp"

#include <cstdio>
#include <initializer_list>
#include <utility>

namespace ptmc {

namespace {

const char* syscall_name(int64_t n) {
  switch (n) {
  case nr::write:
    return "write";
  case nr::rt_sigreturn:
    return "rt_sigreturn";
  case nr::getpid:
    return "getpid";
  case nr::kill:
    return "kill";
  case nr::exit_group:
    return "exit_group";
  case nr::invalid:
    return "invalid";
  case nr::none:
    return "none";
  default:
    return nullptr;
  }
}

const char* arg_name(Arg a) {
  switch (a) {
  case Arg::buf:
    return "buf";
  case Arg::sigusr1:
    return "SIGUSR1";
  case Arg::sigusr2:
    return "SIGUSR2";
  }
  return "buf";
}

const char* kind_name(StopKind k) {
  switch (k) {
  case StopKind::initial:
    return "initial";
  case StopKind::syscall_enter:
    return "syscall-enter";
  case StopKind::syscall_exit:
    return "syscall-exit";
  case StopKind::step:
    return "step";
  case StopKind::breakpoint:
    return "breakpoint";
  case StopKind::trap_notify:
    return "trap-notify";
  case StopKind::signal:
    return "signal";
  case StopKind::detached:
    return "detached";
  case StopKind::exited:
    return "exited";
  case StopKind::killed:
    return "killed";
  case StopKind::hang:
    return "hang";
  case StopKind::redox_write:
    return "write";
  case StopKind::redox_read:
    return "read";
  case StopKind::redox_regs:
    return "regs";
  case StopKind::redox_setregs:
    return "setregs";
  case StopKind::redox_close:
    return "close";
  }
  return "signal";
}

std::string op_name(SyscallOp op) {
  switch (op) {
  case SyscallOp::none:
    return "none";
  case SyscallOp::entry:
    return "entry";
  case SyscallOp::exit:
    return "exit";
  case SyscallOp::seccomp:
    return "seccomp";
  }
  return std::to_string(static_cast<int>(op));
}

std::string format_reg_value(int64_t v) {
  return v == kPidToken ? std::string("pid") : std::to_string(v);
}

struct Bit {
  bool on;
  const char* name;
};

// The names of the bits that are set, joined by '|', or '-'.
std::string join_bits(std::initializer_list<Bit> bits) {
  std::string out;
  for (const Bit& b : bits) {
    if (!b.on) continue;
    if (!out.empty()) out += '|';
    out += b.name;
  }
  return out.empty() ? std::string("-") : out;
}

std::string format_flags(const TraceLine& t) {
  return join_bits({{t.tf, "TF"}, {t.zf, "ZF"}, {t.cf, "CF"}});
}

// PSTATE's N, Z, C, V and SS as GETREGSET shows them.
std::string format_pstate(const TraceLine& t) {
  return join_bits({{t.n, "N"}, {t.z, "Z"}, {t.c, "C"}, {t.v, "V"}, {t.ss, "SS"}});
}

std::string format_edit(const Edit& e, Arch arch) {
  const std::string key = std::string(edit_key(e.reg, arch)) + "=";
  switch (e.reg) {
  case Reg::orig_rax:
  case Reg::rax:
    return key + std::to_string(e.value);
  case Reg::rip:
    return key + format_loc(e.loc);
  case Reg::tf:
    return key + (e.value != 0 ? "1" : "0");
  }
  return "";
}

void append_block(std::string& out, const char* header, const std::vector<Insn>& block) {
  out += header;
  out += '\n';
  for (const Insn& i : block) out += "  " + format_insn(i) + '\n';
}

// ---- Redox ------------------------------------------------------------------------------------

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

const char* redox_op_name(RedoxOp op) {
  switch (op) {
  case RedoxOp::write:
    return "write";
  case RedoxOp::read:
    return "read";
  case RedoxOp::getregs:
    return "getregs";
  case RedoxOp::setregs:
    return "setregs";
  case RedoxOp::close:
    return "close";
  }
  return "read";
}

// The end of a Redox line: ` ok`, or ` error=E` when the operation failed.
std::string ok_or_error(const TraceLine& t) {
  return t.error ? " error=" + format_errno(t.error) : std::string(" ok");
}

std::string format_redox_line(const TraceLine& t) {
  std::string out = kind_name(t.kind);
  switch (t.kind) {
  case StopKind::redox_read:
    if (t.error) return out + " error=" + format_errno(t.error);
    if (t.cause == 0) return out + " none";
    out += " event=" + format_redox_flags(t.cause);
    if (t.cause == redox::signal)
      out += " sig=" + format_signal(static_cast<int>(t.event_a)) +
             " handler=" + (t.event_b ? "user" : "default");
    if (t.cause == redox::exit) out += " status=" + hex(static_cast<uint64_t>(t.event_a));
    return out;
  case StopKind::redox_regs:
    if (t.error) return out + " error=" + format_errno(t.error);
    out += " at=" + format_loc(t.at);
    out += " rax=" + format_reg_value(t.rax);
    out += " rbx=" + std::to_string(t.rbx);
    out += " flags=" + format_flags(t);
    return out;
  default:
    return out + ok_or_error(t);
  }
}

} // namespace

std::string format_signal(int signo) {
  switch (signo) {
  case 4:
    return "SIGILL";
  case sig::trap:
    return "SIGTRAP";
  case sig::kill:
    return "SIGKILL";
  case sig::usr1:
    return "SIGUSR1";
  case 11:
    return "SIGSEGV";
  case sig::usr2:
    return "SIGUSR2";
  case sig::stop:
    return "SIGSTOP";
  case sig::sys:
    return "SIGSYS";
  default:
    return std::to_string(signo);
  }
}

std::string format_si_code(int si_code) {
  switch (si_code) {
  case code::si_user:
    return "SI_USER";
  case code::si_kernel:
    return "SI_KERNEL";
  case code::si_tkill:
    return "SI_TKILL";
  case code::trap_brkpt:
    return "TRAP_BRKPT";
  case code::trap_trace:
    return "TRAP_TRACE";
  default:
    break;
  }
  // Hex, with the sign in front for negative codes: 0x5, 0x85, -0x1.
  const bool negative = si_code < 0;
  const unsigned long long magnitude =
      negative ? 0ULL - static_cast<unsigned long long>(static_cast<long long>(si_code))
               : static_cast<unsigned long long>(si_code);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s0x%llx", negative ? "-" : "", magnitude);
  return buf;
}

std::string format_request(Request r) {
  switch (r) {
  case Request::cont:
    return "cont";
  case Request::syscall:
    return "syscall";
  case Request::singlestep:
    return "singlestep";
  case Request::sysemu:
    return "sysemu";
  case Request::sysemu_singlestep:
    return "sysemu_singlestep";
  case Request::detach:
    return "detach";
  case Request::kill:
    return "kill";
  }
  return "cont";
}

std::string format_redox_flags(uint64_t word) {
  static const std::pair<uint64_t, const char*> names[] = {
      {redox::pre_syscall, "PRE_SYSCALL"}, {redox::post_syscall, "POST_SYSCALL"},
      {redox::singlestep, "SINGLESTEP"},   {redox::signal, "SIGNAL"},
      {redox::breakpoint, "BREAKPOINT"},   {redox::exit, "EXIT"},
      {redox::event_clone, "EVENT_CLONE"}, {redox::flag_ignore, "FLAG_IGNORE"},
      {redox::flag_wait, "FLAG_WAIT"}};
  if (word == 0) return "0";
  std::string out;
  for (const auto& [bit, name] : names) {
    if (!(word & bit)) continue;
    if (!out.empty()) out += '|';
    out += name;
    word &= ~bit;
  }
  if (word) {
    if (!out.empty()) out += '|';
    out += hex(word);
  }
  return out;
}

std::string format_errno(int error) {
  static const std::pair<int, const char*> names[] = {
      {1, "EPERM"},  {3, "ESRCH"},   {9, "EBADF"},   {11, "EAGAIN"}, {14, "EFAULT"},
      {16, "EBUSY"}, {19, "ENODEV"}, {22, "EINVAL"}, {38, "ENOSYS"}, {131, "ENOTRECOVERABLE"}};
  for (const auto& [value, name] : names)
    if (value == error) return name;
  return std::to_string(error);
}

std::string format_redox_action(const RedoxAction& a) {
  std::string out = redox_op_name(a.op);
  if (a.op == RedoxOp::write) out += ' ' + format_redox_flags(a.flags);
  for (const Edit& e : a.edits) out += ' ' + format_edit(e, Arch::x86_64);
  return out;
}

std::string format_loc(const Loc& l) {
  switch (l.space) {
  case Loc::Space::program:
    return std::to_string(l.index);
  case Loc::Space::handler:
    return "h" + std::to_string(l.index);
  case Loc::Space::outside:
    return "outside";
  }
  return "outside";
}

std::string format_nr(int64_t alphabet_nr) {
  const char* name = syscall_name(alphabet_nr);
  return name ? std::string(name) : std::to_string(alphabet_nr);
}

std::string format_common(const CommonObservation& o) {
  if (o.kind == StopKind::detached || o.kind == StopKind::exited || o.kind == StopKind::killed ||
      o.kind == StopKind::hang) {
    TraceLine end;
    end.kind = o.kind;
    end.signal = o.signal;
    end.exit_code = o.exit_code;
    end.written = o.written;
    return format_trace_line(end);
  }
  std::string out = kind_name(o.kind);
  out += " at=" + format_loc(o.at);
  out += " sig=" + format_signal(o.signal);
  out += " op=" + op_name(o.op);
  out += " result=" + format_reg_value(o.result);
  out += " nr=" + o.syscall;
  out += " seteq=" + std::to_string(o.seteq);
  out += std::string(" zero=") + (o.zero ? "1" : "0");
  out += std::string(" step=") + (o.step_flag ? "1" : "0");
  return out;
}

std::string format_insn(const Insn& i) {
  switch (i.op) {
  case Op::nop:
    return "nop";
  case Op::set_nr:
    return "nr " + format_nr(i.imm);
  case Op::set_arg:
    return std::string("arg ") + arg_name(i.arg);
  case Op::syscall:
    return "syscall";
  case Op::int3:
    return "int3";
  case Op::cmp:
    return "cmp";
  case Op::setz:
    return "setz";
  case Op::pushf:
    return "pushf";
  case Op::or_tf:
    return "or_tf";
  case Op::and_tf:
    return "and_tf";
  case Op::popf:
    return "popf";
  // Not part of the scenario language (the parser rejects them); printed for diagnostics.
  case Op::add_rsp8:
    return "add_rsp8";
  case Op::jmp:
    return "jmp " + std::to_string(i.imm);
  }
  return "nop";
}

std::string format_action(const Action& a, Arch arch) {
  std::string out = format_request(a.request);
  if (a.pass)
    out += " sig=pass";
  else if (a.signal != sig::none)
    out += " sig=" + format_signal(a.signal);
  for (const Edit& e : a.edits) out += ' ' + format_edit(e, arch);
  return out;
}

std::string format_trace_line(const TraceLine& t) {
  switch (t.kind) {
  case StopKind::redox_write:
  case StopKind::redox_read:
  case StopKind::redox_regs:
  case StopKind::redox_setregs:
  case StopKind::redox_close:
    return format_redox_line(t);
  case StopKind::detached:
    return "detached";
  case StopKind::hang:
    return "hang";
  case StopKind::exited:
    return "exited code=" +
           (t.exit_code == kPidToken ? std::string("pid") : std::to_string(t.exit_code)) +
           " written=" + std::to_string(t.written);
  case StopKind::killed:
    return "killed sig=" + format_signal(t.signal) + " written=" + std::to_string(t.written);
  default:
    break;
  }
  // A syscall stop's WSTOPSIG carries the TRACESYSGOOD bit; the line never shows it.
  int signo = t.signal;
  if (signo > 0 && (signo & 0x80) != 0) signo &= ~0x80;
  std::string out = kind_name(t.kind);
  out += " at=" + format_loc(t.at);
  out += " sig=" + format_signal(signo);
  out += " code=" + format_si_code(t.si_code);
  out += " op=" + op_name(t.op);
  if (t.arch == Arch::aarch64) {
    out += " x0=" + format_reg_value(t.x0);
    out += " x8=" + format_reg_value(t.x8);
    out += " syscallno=" + format_reg_value(t.syscallno);
    out += " x7=" + std::to_string(t.x7);
    out += " pstate=" + format_pstate(t);
    return out;
  }
  out += " rax=" + format_reg_value(t.rax);
  out += " orig_rax=" + format_reg_value(t.orig_rax);
  out += " rbx=" + std::to_string(t.rbx);
  out += " flags=" + format_flags(t);
  return out;
}

std::string format_scenario(const Scenario& s) {
  std::string out = "ptmc-scenario " + std::to_string(s.version) + '\n';
  out += "profile " + s.profile + '\n';
  std::string options;
  if (s.options.tracesysgood) options += " tracesysgood";
  if (s.options.o_excl) options += " o_excl";
  if (s.options.o_nonblock) options += " o_nonblock";
  if (!options.empty()) out += "options" + options + '\n';
  out += '\n';
  append_block(out, "program:", s.program);
  if (!s.handler.empty()) {
    out += '\n';
    append_block(out, "handler:", s.handler);
  }
  out += "\nactions:\n";
  for (const Action& a : s.actions) out += "  " + format_action(a, s.arch()) + '\n';
  if (s.repeat)
    out += "  repeat " + format_action(*s.repeat, s.arch()) +
           " max=" + std::to_string(s.repeat_max) + '\n';
  for (const RedoxAction& a : s.redox_actions) out += "  " + format_redox_action(a) + '\n';
  if (!s.redox_repeat.empty()) {
    out += "  repeat";
    for (size_t i = 0; i < s.redox_repeat.size(); ++i)
      out += (i ? "; " : " ") + format_redox_action(s.redox_repeat[i]);
    out += " max=" + std::to_string(s.repeat_max) + '\n';
  }
  if (s.expect) {
    out += "\nexpect:\n";
    for (const TraceLine& t : *s.expect) out += "  " + format_trace_line(t) + '\n';
  }
  return out;
}

} // namespace ptmc
