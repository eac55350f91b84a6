#include "engine/compare.hpp"

#include "engine/models.hpp"
#include "engine/redox.hpp"
#include "engine/runner.hpp"
#include "model/models.hpp"
#include "model/redox/relibc.hpp"

namespace ptmc {

namespace {

constexpr size_t kMaxUntracedSteps = 10000;

// One user instruction boundary of an untraced run, or its end.
struct Boundary {
  Loc at;
  int64_t rax = 0;
  uint8_t rbx = 0, rsi = 0;
  bool zf = false, cf = false;
  bool ended = false;
  int end_kind = 0, end_value = 0, written = 0;
};

template <class Frame> Boundary boundary_of(const Frame& f) {
  Boundary b;
  b.at = Loc{static_cast<Loc::Space>(f.pc_space), f.pc};
  b.rax = f.rax;
  b.rbx = f.rbx;
  b.rsi = f.rsi;
  b.zf = f.rflags & x86::ZF;
  b.cf = f.rflags & x86::CF;
  return b;
}

// The program alone, untraced, on the Linux model: every boundary and the end.
std::vector<Boundary> untraced_linux(const Scenario& s, const Profile& p) {
  return with_model(p, [&]<class M>(std::type_identity<M>) {
    std::vector<Boundary> out;
    if constexpr (std::is_same_v<M, LinuxX86Model>) {
      const M model(p, s.program, s.handler);
      auto t = TransparencyModel<M>::untraced_start(model.initial_states(true).front());
      for (size_t i = 0; i < kMaxUntracedSteps; ++i) {
        if (t.dead()) {
          Boundary b;
          b.ended = true;
          b.end_kind = static_cast<int>(t.phase);
          b.end_value = t.exit_value;
          b.written = t.written;
          out.push_back(b);
          break;
        }
        if (t.phase != Phase::user) break;
        out.push_back(boundary_of(t.regs));
        uint16_t c[M::kMaxChoices];
        if (model.program_choices(t, c) == 0) break;
        RuleCtx r;
        Events ev;
        t = model.execute(
            t, c[0] < model.alphabet().size() ? model.alphabet()[c[0]] : *model.fixed_insn(t.pc()),
            r, ev);
      }
    }
    return out;
  });
}

std::vector<Boundary> untraced_redox(const Scenario& s, const Profile& p) {
  std::vector<Boundary> out;
  const redox::Model model(p, s.program, s.handler);
  redox::Task t = RedoxTransparency::untraced_start(model.initial_state(false, false));
  for (size_t i = 0; i < kMaxUntracedSteps; ++i) {
    if (t.dead()) {
      Boundary b;
      b.ended = true;
      b.end_kind = static_cast<int>(t.phase);
      b.end_value = t.exit_value;
      b.written = t.written;
      out.push_back(b);
      break;
    }
    if (t.phase != redox::Phase::user) break;
    out.push_back(boundary_of(t.regs));
    uint16_t c[redox::Model::kMaxChoices];
    if (model.program_choices(t, c) == 0) break;
    RuleCtx r;
    Events ev;
    t = model.execute(
        t, c[0] < model.alphabet().size() ? model.alphabet()[c[0]] : *model.fixed_insn(t.pc()), r,
        ev);
  }
  return out;
}

bool same_value(int64_t l, int64_t r) {
  if (l == r) return true;
  const std::string a = syscall_name_of(l, true), b = syscall_name_of(r, false);
  return !a.empty() && a == b;
}

// Where two untraced runs first differ, described, or empty if they do not.
std::string untraced_difference(const std::vector<Boundary>& l, const std::vector<Boundary>& r) {
  const size_t n = std::min(l.size(), r.size());
  for (size_t i = 0; i < n; ++i) {
    const Boundary &a = l[i], &b = r[i];
    if (a.ended || b.ended) {
      if (a.ended != b.ended || a.end_kind != b.end_kind || a.end_value != b.end_value ||
          a.written != b.written)
        return "the untraced program ends differently";
      return {};
    }
    const std::string where = "at " + format_loc(a.at);
    if (!(a.at == b.at))
      return "the untraced program goes elsewhere" +
             (i ? " after " + format_loc(l[i - 1].at) : std::string(" at the start"));
    if (!same_value(a.rax, b.rax)) return "the untraced program has another rax " + where;
    if (a.rbx != b.rbx) return "the untraced program has another rbx " + where;
    if (a.rsi != b.rsi) return "the untraced program has another rsi " + where;
    if (a.zf != b.zf || a.cf != b.cf) return "the untraced program has other flags " + where;
  }
  if (l.size() != r.size()) return "the untraced program runs longer on one kernel";
  return {};
}

std::string flags_text(const CommonLine& c) {
  std::string out;
  const auto add = [&](bool on, const char* n) {
    if (!on) return;
    if (!out.empty()) out += '|';
    out += n;
  };
  add(c.tf, "TF");
  add(c.zf, "ZF");
  add(c.cf, "CF");
  return out.empty() ? "-" : out;
}

std::string value_text(int64_t v) {
  return v == kPidToken ? std::string("pid") : std::to_string(v);
}

} // namespace

std::string syscall_name_of(int64_t nr, bool linux_side) {
  if (linux_side) {
    switch (nr) {
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
    default:
      return {};
    }
  }
  switch (nr) {
  case redox::kSysWrite:
    return "write";
  case redox::kSysSigreturn:
    return "rt_sigreturn";
  case redox::kSysGetpid:
    return "getpid";
  case redox::kSysKill:
    return "kill";
  case redox::kSysExit:
    return "exit_group";
  default:
    return {};
  }
}

bool same_observation(const CommonLine& l, const CommonLine& r) {
  if (l.kind != r.kind || l.signal != r.signal || l.code != r.code || l.written != r.written)
    return false;
  if (l.has_regs != r.has_regs) return false;
  if (!l.has_regs) return true;
  // At the start Redox's tracee is still inside its kill(SIGSTOP): rax is not comparable.
  const bool compare_rax = l.kind != "start";
  return l.at == r.at && (!compare_rax || same_value(l.value, r.value)) && l.rbx == r.rbx &&
         l.tf == r.tf && l.zf == r.zf && l.cf == r.cf;
}

std::string format_common(const CommonLine& c) {
  if (c.kind == "exited")
    return "exited code=" + std::to_string(c.code) + " written=" + std::to_string(c.written);
  if (c.kind == "killed")
    return "killed sig=" + format_signal(c.signal) + " written=" + std::to_string(c.written);
  if (c.kind == "hang" || c.kind == "detached") return c.kind;
  std::string out = c.kind;
  if (c.kind == "signal") out += " sig=" + format_signal(c.signal);
  if (!c.has_regs) return out + " (registers not read)";
  out += " at=" + format_loc(c.at);
  if (c.kind == "syscall-enter") {
    const std::string name = syscall_name_of(c.value, c.linux_side);
    out += " nr=" + (name.empty() ? std::to_string(c.value) : name);
  } else {
    out += " rax=" + value_text(c.value);
  }
  out += " rbx=" + std::to_string(c.rbx) + " flags=" + flags_text(c);
  return out;
}

std::vector<CommonLine> common_from_linux(const Trace& t) {
  std::vector<CommonLine> out;
  for (const TraceLine& l : t) {
    CommonLine c;
    c.linux_side = true;
    switch (l.kind) {
    case StopKind::exited:
      c.kind = "exited";
      c.code = l.exit_code;
      c.written = l.written;
      out.push_back(c);
      continue;
    case StopKind::killed:
      c.kind = "killed";
      c.signal = l.signal;
      c.written = l.written;
      out.push_back(c);
      continue;
    case StopKind::hang:
      c.kind = "hang";
      out.push_back(c);
      continue;
    case StopKind::detached:
      c.kind = "detached";
      out.push_back(c);
      continue;
    case StopKind::initial:
      c.kind = "start";
      break;
    case StopKind::syscall_enter:
      c.kind = "syscall-enter";
      break;
    case StopKind::syscall_exit:
      c.kind = "syscall-exit";
      break;
    case StopKind::step:
      c.kind = "step";
      break;
    case StopKind::breakpoint:
      c.kind = "breakpoint";
      break;
    default:
      c.kind = "signal";
      c.signal = l.signal;
      break;
    }
    c.has_regs = true;
    c.at = l.at;
    c.value = l.kind == StopKind::syscall_enter ? l.orig_rax : l.rax;
    c.rbx = l.rbx;
    c.tf = l.tf;
    c.zf = l.zf;
    c.cf = l.cf;
    out.push_back(c);
  }
  return out;
}

std::vector<CommonLine> common_from_redox(const Trace& t) {
  std::vector<CommonLine> out;
  bool any_event = false;
  CommonLine* open = nullptr; // the stop whose registers a following `regs` line gives
  for (const TraceLine& l : t) {
    CommonLine c;
    c.linux_side = false;
    switch (l.kind) {
    case StopKind::exited:
      c.kind = "exited";
      c.code = l.exit_code;
      c.written = l.written;
      out.push_back(c);
      open = nullptr;
      continue;
    case StopKind::killed:
      c.kind = "killed";
      c.signal = l.signal;
      c.written = l.written;
      out.push_back(c);
      open = nullptr;
      continue;
    case StopKind::hang:
      c.kind = "hang";
      out.push_back(c);
      open = nullptr;
      continue;
    case StopKind::redox_close:
      c.kind = "detached";
      out.push_back(c);
      open = nullptr;
      continue;
    case StopKind::redox_read:
      if (l.cause == 0) continue;
      any_event = true;
      c.kind = l.cause == redox::pre_syscall    ? "syscall-enter"
               : l.cause == redox::post_syscall ? "syscall-exit"
               : l.cause == redox::singlestep   ? "step"
               : l.cause == redox::breakpoint   ? "breakpoint"
               : l.cause == redox::signal       ? "signal"
                                                : "exit-stop";
      if (l.cause == redox::signal) c.signal = static_cast<int>(l.event_a);
      out.push_back(c);
      open = &out.back();
      continue;
    case StopKind::redox_regs:
      if (l.error) continue;
      if (!any_event && out.empty()) {
        c.kind = "start";
        out.push_back(c);
        open = &out.back();
      }
      if (open && !open->has_regs) {
        open->has_regs = true;
        open->at = l.at;
        open->value = l.rax;
        open->rbx = l.rbx;
        open->tf = l.tf;
        open->zf = l.zf;
        open->cf = l.cf;
      }
      continue;
    default:
      continue;
    }
  }
  return out;
}

std::string_view outcome_name(CompareOutcome o) {
  switch (o) {
  case CompareOutcome::agree:
    return "agree";
  case CompareOutcome::differ:
    return "differ";
  case CompareOutcome::unmappable:
    return "unmappable";
  case CompareOutcome::untraced_differ:
    return "untraced-differ";
  case CompareOutcome::refused:
    return "refused";
  }
  return "?";
}

CompareCase compare_kernels(const Scenario& input, const Profile& linux_profile,
                            const Profile& redox_profile) {
  CompareCase c;
  c.scenario = input;
  c.scenario.profile = linux_profile.name;
  // TRACESYSGOOD tells entry from exit on Linux; it changes nothing else a program sees.
  Scenario on_linux = c.scenario;
  on_linux.options.tracesysgood = true;
  on_linux.expect.reset();

  const auto tr = redox::translate_with_relibc(c.scenario, redox_profile.name);
  c.redox_scenario = tr.scenario;
  c.notes = tr.notes;
  if (tr.refused) {
    c.outcome = CompareOutcome::unmappable;
    c.reason = *tr.refused;
    return c;
  }
  if (auto why = redox::Model::unsupported(c.redox_scenario)) {
    c.outcome = CompareOutcome::refused;
    c.reason = "redox model: " + *why;
    return c;
  }
  const ModelRun lrun = run_on_model(on_linux, linux_profile);
  if (lrun.error) {
    c.outcome = CompareOutcome::refused;
    c.reason = "linux model: " + *lrun.error;
    return c;
  }
  const ModelRun rrun = run_redox(c.redox_scenario, redox_profile);
  if (rrun.error) {
    c.outcome = CompareOutcome::refused;
    c.reason = "redox model: " + *rrun.error;
    return c;
  }
  c.linux_trace = lrun.trace;
  c.redox_trace = rrun.trace;
  c.linux_common = common_from_linux(c.linux_trace);
  c.redox_common = common_from_redox(c.redox_trace);

  const std::string untraced = untraced_difference(untraced_linux(c.scenario, linux_profile),
                                                   untraced_redox(c.scenario, redox_profile));
  const size_t n = std::min(c.linux_common.size(), c.redox_common.size());
  size_t i = 0;
  while (i < n && same_observation(c.linux_common[i], c.redox_common[i])) ++i;
  if (i == n && c.linux_common.size() == c.redox_common.size()) {
    c.outcome = CompareOutcome::agree;
    return c;
  }
  c.first_difference = i;
  if (!untraced.empty()) {
    c.outcome = CompareOutcome::untraced_differ;
    c.reason = untraced;
    return c;
  }
  c.outcome = CompareOutcome::differ;
  return c;
}

} // namespace ptmc
