// The monitors of props/ over the Redox layer's state (model/redox/task.hpp), deciding each
// property's Redox reading (PropertyInfo::redox_definition; docs/redox-model.md, "Properties").
// A Redox tracer acts in several operations per stop (read, getregs, setregs, write), so what
// Linux decides within one resume is decided here across the operations: a register write is
// checked when the tracee next runs, a step from the write that armed it to the next stop.
#pragma once

#include "model/redox/model.hpp"
#include "props/properties.hpp"

#include <algorithm>
#include <cstring>

namespace ptmc {

struct RedoxMonitor {
  int64_t want_rax;   // rax a setregs wrote, to be found when the tracee next runs
  uint8_t want;       // bit 0: rax pending, bit 1: rip pending
  uint8_t want_space; // rip a setregs wrote
  uint8_t want_pc;
  uint8_t step;           // bit 0: a write armed SINGLESTEP, no stop since; bit 1: the last write
                          // had SINGLESTEP (the tracer's TF)
  uint8_t retired;        // user instructions since that write, saturating at 3
  uint8_t signal_first;   // a signal was delivered since that write
  uint8_t owned_tf;       // the TF the program last set itself
  uint8_t saved_owned_tf; // owned_tf while a user handler runs
};
static_assert(sizeof(RedoxMonitor) == 16);

struct RedoxCheckState {
  redox::Task s;
  RedoxMonitor m;
  RedoxCheckState() { std::memset(static_cast<void*>(&m), 0, sizeof(m)); }
  bool operator==(const RedoxCheckState& o) const {
    return s == o.s && std::memcmp(&m, &o.m, sizeof(m)) == 0;
  }
};

// What happened on an edge: a tracer operation (op) or a tracee instruction (insn).
struct RedoxStep {
  const RedoxAction* op = nullptr;
  const Insn* insn = nullptr;
};

inline bool in_user_handler(const redox::Task& t) {
  return t.ksig == sig::usr1 && t.phase == redox::Phase::user &&
         t.pc().space == Loc::Space::handler;
}

// Advances the monitor over one transition pre -> post; returns the properties it breaks.
inline Violations redox_monitor_step(const RedoxCheckState& pre, const RedoxStep& step,
                                     const Events& ev, RedoxCheckState& post) {
  using redox::Phase;
  using redox::Where;
  Violations v = 0;
  RedoxMonitor m = pre.m;
  const redox::Task& a = pre.s;
  const redox::Task& b = post.s;
  const bool is_write = step.op && step.op->op == RedoxOp::write;
  const uint64_t word = is_write ? step.op->flags : 0;

  if (ev.kernel_tf) v |= bit(PropertyId::kernel_mode_tf);

  // ---- FLAG_IGNORE: the stop the tracee is at, with the word that resumes it
  if (is_write && (word & redox::flag_ignore) && a.phase == Phase::stopped) {
    if (a.at == Where::pre && ev.syscall_ran) v |= bit(PropertyId::sysemu_never_executes);
    if (a.at == Where::signal && a.ksig != sig::kill && ev.delivered)
      v |= bit(PropertyId::signal_suppression);
  }

  // ---- an access that lets the tracee run
  if (step.op && step.op->op != RedoxOp::write && step.op->op != RedoxOp::close &&
      ev.tracee_resumed)
    v |= bit(PropertyId::access_keeps_stopped);

  // ---- step granularity, from the arming write to the next stop
  if (is_write) {
    m.step = ev.step_armed ? 3 : 0;
    m.retired = 0;
    m.signal_first = 0;
  }
  if (m.step & 1) {
    m.retired = static_cast<uint8_t>(std::min(3, m.retired + ev.retired));
    if (ev.delivered) m.signal_first = 1;
    if (b.dead() || b.phase == Phase::unmodelled) {
      m.step &= static_cast<uint8_t>(~1);
    } else if (b.phase == Phase::stopped && !b.hung && (ev.tracee_resumed || step.insn)) {
      const bool exempt = b.at == Where::signal || b.at == Where::kstep || b.at == Where::start;
      const int counted = m.retired + (b.at == Where::pre ? 1 : 0);
      if (!m.signal_first && !exempt && counted != 1) v |= bit(PropertyId::step_granularity);
      m.step &= static_cast<uint8_t>(~1);
    }
  }

  // ---- register writes: recorded by setregs, checked when the tracee next runs
  if (step.op && step.op->op == RedoxOp::setregs && ev.regs_edited &&
      !ev.edited_live_handler_frame) {
    m.want = ev.regs_edited;
    m.want_rax = ev.edited_rax;
    m.want_space = ev.edited_space;
    m.want_pc = ev.edited_pc;
  }
  if (m.want && (ev.tracee_resumed || step.insn)) {
    // Checked where the registers settle: at a user instruction boundary or a stop outside any
    // signal delivery. A tracee stopped to exit never uses them again.
    const bool dying = b.phase == Phase::stopped && b.at == Where::exit;
    const bool settled = b.phase == Phase::user || (b.phase == Phase::stopped && b.ksig == 0);
    if (!b.dead() && b.phase != Phase::unmodelled && !dying && !ev.frame_replaced && settled) {
      if ((m.want & 1) && !ev.syscall_ran && b.regs.rax != m.want_rax)
        v |= bit(PropertyId::register_write_persistence);
      if ((m.want & 2) && !(b.regs.pc_space == m.want_space && b.regs.pc == m.want_pc))
        v |= bit(PropertyId::register_write_persistence);
    }
    if (settled || dying || b.dead() || ev.frame_replaced) {
      m.want = 0;
      m.want_rax = 0;
      m.want_space = m.want_pc = 0;
    }
  }

  // ---- the TF the program owns, and a TF nobody asked for
  if (step.insn && step.insn->op == Op::popf && !ev.frame_replaced)
    m.owned_tf = (a.regs.stack_top & x86::TF) != 0;
  if (ev.frame_replaced) {
    if (in_user_handler(b) && !in_user_handler(a)) {
      m.saved_owned_tf = m.owned_tf;
      m.owned_tf = 0;
    } else if (!in_user_handler(b)) {
      m.owned_tf = m.saved_owned_tf;
      m.saved_owned_tf = 0;
    }
  }
  if (b.phase == Phase::user) {
    const bool tf = b.regs.rflags & x86::TF;
    const bool tracer_tf = (m.step & 2) != 0;
    if ((tf && !m.owned_tf && !tracer_tf) || (!tf && m.owned_tf))
      v |= bit(PropertyId::tracee_tf_persistence);
  }
  if (b.dead()) m = RedoxMonitor{};

  post.m = m;
  return v;
}

} // namespace ptmc
