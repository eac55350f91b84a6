#include "model/redox/smp/interface.hpp"

#include "model/redox/model.hpp"
#include "model/redox/smp/products.hpp"

#include <stdexcept>

namespace ptmc::redox_smp {

namespace {

constexpr int kEsrch = 3, kEagain = 11, kEnodev = 19;

// The interface instruction each concurrent instruction stands for. The concurrent model's
// getpid is one `syscall` instruction (a #DB never follows it, TF traps after the next one,
// model.cpp `Act::user`), so its image is the interface's `syscall`, not `nr getpid; syscall`,
// whose `nr` would be one more instruction to step over.
ptmc::Insn image(redox_smp::Insn i) {
  switch (i) {
  case redox_smp::Insn::nop:
    return ptmc::Insn{ptmc::Op::nop, 0, Arg::buf};
  case redox_smp::Insn::getpid:
    return ptmc::Insn{ptmc::Op::syscall, 0, Arg::buf};
  case redox_smp::Insn::clone:
    break;
  }
  throw std::invalid_argument("clone has no interface counterpart");
}

Ret ret_of(int error) {
  switch (error) {
  case 0:
    return Ret::ok;
  case kEsrch:
    return Ret::esrch;
  case kEagain:
    return Ret::eagain;
  case kEnodev:
    return Ret::enodev;
  default:
    return Ret::none; // an errno the concurrent model never returns (EBADF, ENOTRECOVERABLE)
  }
}

// The concurrent model's Cause for an interface event's stop bit (both are the flag word's
// bits, redox-os/syscall flag.rs); BREAKPOINT has none (the concurrent alphabet has no int3).
uint8_t cause_of(uint64_t bit) {
  if (bit == redox::pre_syscall) return static_cast<uint8_t>(Cause::pre);
  if (bit == redox::post_syscall) return static_cast<uint8_t>(Cause::post);
  if (bit == redox::singlestep) return static_cast<uint8_t>(Cause::step);
  if (bit == redox::signal) return static_cast<uint8_t>(Cause::signal);
  if (bit == redox::exit) return static_cast<uint8_t>(Cause::exit);
  return 7;
}

uint32_t result_code(size_t index, Ret r, uint32_t payload) {
  return obs::result | static_cast<uint32_t>(index) << 20 | static_cast<uint32_t>(r) << 16 |
         (payload & 0xffff);
}

// An interface run that left what the model follows (too many events, ...): no concurrent
// observation has this code, so a concurrent run reaching it is reported, not hidden.
constexpr uint32_t kUnmodelled = 0xe0000000u;

class Runner {
public:
  Runner(const SmpModel& m, const redox::Model& im, ObservationTrie& trie, InterfaceTraces& out)
      : m_(m), im_(im), trie_(trie), out_(out) {}

  void run(const redox::Task& start, uint32_t root) { next_request(start, root, 0); }

private:
  // The tracee runs until it stops, blocks or ends: the interface model's schedule.
  void settle(redox::Task& t, Trace& lines) const {
    for (int guard = 0; t.phase == redox::Phase::user; ++guard) {
      const auto insn = im_.fixed_insn(t.pc());
      if (!insn || guard > 64) {
        t.phase = redox::Phase::unmodelled;
        break;
      }
      RuleCtx r(im_.profile().mutation);
      Events ev;
      t = im_.execute(t, *insn, r, ev, &lines);
    }
  }

  redox::Task op(const redox::Task& t, const RedoxAction& a, Trace& lines) const {
    RuleCtx r(im_.profile().mutation);
    Events ev;
    redox::Task n = im_.apply(t, a, r, ev, &lines);
    settle(n, lines);
    return n;
  }

  void add(uint32_t& node, uint32_t code) { node = trie_.child(node, code); }

  void next_request(const redox::Task& t, uint32_t node, int made) {
    const auto& requests = m_.requests();
    const Domain& d = m_.domain();
    bool any = false;
    for (size_t i = 0; i < requests.size(); ++i) {
      const Request& q = requests[i];
      const bool close = q.kind == Request::Kind::close;
      if (!close && made >= d.requests) continue;
      if (close && !d.close_anytime && made < d.requests) continue;
      any = true;
      uint32_t at = trie_.child(node, obs::request | static_cast<uint32_t>(i));
      Trace lines;
      redox::Task n = t;
      uint32_t payload = 0;
      int error = 0;
      bool answered = false;
      switch (q.kind) {
      case Request::Kind::write:
        n = op(t, RedoxAction{RedoxOp::write, flag_word(q.flags), {}}, lines);
        break;
      case Request::Kind::read: {
        // The concurrent tracer's buffer holds the whole queue (four events); the interface
        // model reads one event per read, so a read of the queue is the reads that follow
        // while events are left.
        n = op(t, RedoxAction{RedoxOp::read, 0, {}}, lines);
        int k = 0;
        while (!lines.empty() && lines.back().error == 0 && lines.back().cause != 0 && k < 4) {
          payload |= static_cast<uint32_t>(cause_of(lines.back().cause)) << (3 * k++);
          if (n.nevents == 0 || !redox::Model::tracer_turn(n)) break;
          n = op(n, RedoxAction{RedoxOp::read, 0, {}}, lines);
        }
        break;
      }
      case Request::Kind::regs:
        n = op(t, RedoxAction{RedoxOp::getregs, 0, {}}, lines);
        if (!lines.empty() && lines.front().error == 0)
          payload =
              project_rip(lines.front().at.space == Loc::Space::program ? lines.front().at.index
                                                                        : uint16_t{0xff},
                          static_cast<int>(im_.program_length()));
        break;
      case Request::Kind::close:
        n = op(t, RedoxAction{RedoxOp::close, 0, {}}, lines);
        break;
      }
      if (!lines.empty()) {
        error = lines.front().error;
        answered = true;
      }
      if (!answered) {
        add(at, n.hung ? obs::hang : kUnmodelled | n.exit_value);
        ++out_.runs;
        continue;
      }
      const Ret r = ret_of(error);
      add(at, result_code(i, r, r == Ret::none ? static_cast<uint32_t>(error) : payload));
      if (n.phase == redox::Phase::unmodelled) {
        add(at, kUnmodelled | n.exit_value);
        ++out_.runs;
        continue;
      }
      if (close) {
        // The concurrent model's end: the tracer closed, the tracee ran to its end.
        if (n.dead())
          add(at, obs::fin | n.exit_value);
        else
          add(at, obs::hang);
        ++out_.runs;
        continue;
      }
      if (n.hung) {
        add(at, obs::hang);
        ++out_.runs;
        continue;
      }
      next_request(n, at, made + 1);
    }
    if (!any) ++out_.runs;
  }

  const SmpModel& m_;
  const redox::Model& im_;
  ObservationTrie& trie_;
  InterfaceTraces& out_;
};

} // namespace

int interface_version(Version v) {
  switch (v) {
  case Version::v2019:
    return 2019;
  case Version::v2020:
    return 2020;
  default:
    return 0;
  }
}

Domain interface_domain(Domain d) {
  d.attach = {Attach::frozen};
  d.kill_tracee = d.kill_tracer = false;
  std::erase(d.alphabet, redox_smp::Insn::clone);
  return d;
}

std::string_view outside_name(Outside o) {
  return o == Outside::exit_with_tf
             ? "exit reached with TF set"
             : "tracer ahead of the tracee: closing, or acting after a register access released "
               "it before the first write, while it is on its way; or asleep in read when it "
               "exits";
}

std::optional<Outside> outside_common_part(const SmpModel& m, const State& s, const Label& l,
                                           const State& n) {
  constexpr auto tracee = static_cast<int>(Thread::tracee);
  if (l.who == tracee && l.act == Act::user && s.upc >= s.program_length && s.tf)
    return Outside::exit_with_tf;
  const Context& e = s.ctx[tracee];
  const bool on_its_way =
      status(e) == Status::runnable && !(e.sched & sched::ptrace_stop) && !(e.sched & sched::done);
  if (l.who == static_cast<uint8_t>(Thread::tracer) && l.act == Act::request && on_its_way &&
      l.arg < m.requests().size() &&
      (m.requests()[l.arg].kind == Request::Kind::close || s.writes == 0))
    return Outside::tracer_ahead;
  // close_tracee (after Status::Exited) wakes a tracer asleep in read.
  const Context& tracer = s.ctx[static_cast<int>(Thread::tracer)];
  if (l.who == tracee && status(e) == Status::exited && status(tracer) == Status::blocked &&
      tracer.code == static_cast<uint8_t>(Code::tracer_read) &&
      status(n.ctx[static_cast<int>(Thread::tracer)]) != Status::blocked)
    return Outside::tracer_ahead;
  return std::nullopt;
}

uint32_t project_rip(uint16_t index, int n) {
  // Program instructions correspond one to one; the interface's exit tail `nr exit_group;
  // syscall; jmp n` at n, n+1, n+2 is the concurrent model's one exit instruction at n, so
  // past the `nr` the interface's indices are one ahead.
  if (index == 0xff) return 0xff;
  return index <= n ? index : static_cast<uint32_t>(index - 1);
}

std::string describe_observation(const SmpModel& m, uint32_t code) {
  const uint32_t kind = code & 0xf0000000u;
  if (kind == obs::hang) return "a hang";
  if (kind == obs::fin) return "the end, tracee exit(" + std::to_string(code & 0xff) + ")";
  if (kind == kUnmodelled) return "a run the interface model does not follow";
  if (kind == obs::request) return format_request(m.requests().at(code & 0xff));
  if (kind != obs::result) return "observation " + std::to_string(code);
  const Request& q = m.requests().at((code >> 20) & 0xff);
  const auto r = static_cast<Ret>((code >> 16) & 0xf);
  const uint32_t payload = code & 0xffff;
  std::string out = format_request(q) + " = ";
  if (r == Ret::none) return out + "errno " + std::to_string(payload);
  if (r != Ret::ok) return out + std::string(ret_name(r));
  if (q.kind == Request::Kind::read) {
    out += "[";
    for (int k = 0; k < 4; ++k)
      if (const auto c = static_cast<Cause>((payload >> (3 * k)) & 7); c != Cause::none)
        out += (out.back() == '[' ? "" : ",") + std::string(cause_name(c));
    return out + "]";
  }
  if (q.kind == Request::Kind::regs) return out + "rip=" + std::to_string(payload);
  return out + "ok";
}

InterfaceTraces interface_traces(const SmpModel& m, const Profile& interface,
                                 ObservationTrie& trie) {
  InterfaceTraces out;
  const auto inits = m.initial_states();
  for (size_t i = 0; i < inits.size(); ++i) {
    const State& s = inits[i];
    std::vector<ptmc::Insn> program;
    for (int k = 0; k < s.program_length; ++k)
      program.push_back(image(static_cast<redox_smp::Insn>((s.program >> (2 * k)) & 3)));
    const redox::Model im(interface, program, {});
    Runner runner(m, im, trie, out);
    // The first `syscall` of the image runs getpid (Redox's number 20); a later one runs whatever
    // the previous syscall left in rax, which takes the same kernel path (PRE callback, body,
    // POST callback) and is not observed by the concurrent tracer.
    runner.run(im.frozen_before_first_instruction(redox::kSysGetpid),
               trie.root(static_cast<uint32_t>(i)));
  }
  out.nodes = trie.size();
  out.deterministic = trie.deterministic();
  return out;
}

} // namespace ptmc::redox_smp
