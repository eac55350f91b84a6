// The scenario: a tracee program plus the tracer's actions, and the canonical trace a run
// produces. This is the one vocabulary shared by the model, the checker's counterexamples and
// the real-kernel agent, so it depends on nothing but the standard library (the agent links it
// statically into a binary that boots inside an initramfs).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ptmc {

// ---- Architectures --------------------------------------------------------------------------
// A scenario's architecture comes from its profile (never from a line of the file), a real
// kernel's from the target. The alphabet below is abstract: each entry maps onto one instruction
// of each architecture that gives it a meaning (docs/scenario-format.md has the table).
enum class Arch : uint8_t { x86_64, aarch64 };

std::string_view arch_name(Arch a); // "x86_64", "aarch64"
std::optional<Arch> arch_by_name(std::string_view name);
// The architecture a profile models, from its name: Linux on arm64 is `linux-aarch64` and every
// delta on it (`linux-aarch64~RULE`); every other profile is x86_64. tests/model holds each
// profile of model/profiles.cpp to this.
Arch arch_of_profile(std::string_view profile);

// ---- The tracee's instruction alphabet -------------------------------------------------------
// Every entry is exactly one real instruction (kernel/codegen.cpp gives the encodings), so that
// every program counter the tracer sees maps back to one index. The registers the alphabet
// touches are documented in docs/scenario-format.md; the comments here give the x86_64 form.
enum class Op : uint8_t {
  nop,     // nop
  set_nr,  // mov rax, imm32 (sign-extended): the syscall number register
  set_arg, // mov rsi, imm / lea rsi,[buf]: second syscall argument (signal or buffer)
  syscall, // syscall
  int3,    // int3
  cmp,     // cmp rax, 1: sets ZF and CF from rax
  setz,    // setz bl: rbx = ZF
  pushf,   // pushfq
  or_tf,   // or qword [rsp], 0x100: set TF in the pushed image
  and_tf,  // and qword [rsp], ~0x100: clear TF in the pushed image
  popf,    // popfq
  // Not part of the scenario language: the fixed tails the code generator appends.
  add_rsp8, // add rsp, 8 (the handler tail: rsp back to the frame rt_sigreturn expects)
  jmp,      // jmp to the index in `imm` within the same block
};

// Syscall numbers the alphabet can load. The alphabet numbers syscalls as Linux x86_64 does
// (arch/x86/entry/syscalls/syscall_64.tbl); on another architecture `nr` loads that
// architecture's number for the same syscall (syscall_number below).
namespace nr {
inline constexpr int64_t write = 1;
inline constexpr int64_t rt_sigreturn = 15;
inline constexpr int64_t getpid = 39;
inline constexpr int64_t kill = 62;
inline constexpr int64_t exit_group = 231;
inline constexpr int64_t invalid = 999; // above NR_syscalls on every kernel we target
inline constexpr int64_t none = -1;
} // namespace nr

// Linux arm64's numbers for the same syscalls: the generic table, include/uapi/asm-generic/
// unistd.h (arm64 has no table of its own; arch/arm64/include/uapi/asm/unistd.h includes it).
namespace nr_aarch64 {
inline constexpr int64_t write = 64;
inline constexpr int64_t kill = 129;
inline constexpr int64_t rt_sigreturn = 139;
inline constexpr int64_t getpid = 172;
inline constexpr int64_t exit_group = 94;
} // namespace nr_aarch64

// The number `nr alphabet_nr` loads on `arch`, or nullopt when it means nothing there: on aarch64
// only the named syscalls, `invalid` and `none` have a meaning (a bare x86_64 number does not).
std::optional<int64_t> syscall_number(Arch arch, int64_t alphabet_nr);
// The other way, for comparing architectures: the alphabet's number for a syscall number seen
// on `arch`, or nullopt when the alphabet has no name for it.
std::optional<int64_t> alphabet_syscall(Arch arch, int64_t arch_nr);

// Values the second argument register (rsi) can hold.
enum class Arg : uint8_t { buf, sigusr1, sigusr2 };

struct Insn {
  Op op = Op::nop;
  int64_t imm = 0;    // set_nr: the syscall number
  Arg arg = Arg::buf; // set_arg: the value
  bool operator==(const Insn&) const = default;
};

// Why an instruction has no meaning on `arch`, or nullopt when it has one.
std::optional<std::string> unsupported_on(Arch arch, const Insn& insn);

// ---- Signals --------------------------------------------------------------------------------
// The numbers are Linux's (include/uapi/asm-generic/signal.h); the model never needs others.
namespace sig {
inline constexpr int none = 0;
inline constexpr int trap = 5;
inline constexpr int kill = 9;
inline constexpr int usr1 = 10;
inline constexpr int usr2 = 12;
inline constexpr int stop = 19;
inline constexpr int sys = 31; // the agent's sandbox kills with it (docs/containment.md)
} // namespace sig

// ---- The tracer's requests ------------------------------------------------------------------
enum class Request : uint8_t { cont, syscall, singlestep, sysemu, sysemu_singlestep, detach, kill };

// A register edit made at a stop, before the resume. Only these four are modelled. They are
// roles, spelled per architecture (edit_key): the syscall number (x86_64 orig_rax, aarch64
// syscallno through NT_ARM_SYSTEM_CALL), the result register (rax, x0), the program counter
// (rip, pc) and the user-visible single-step flag (RFLAGS.TF, PSTATE.SS).
enum class Reg : uint8_t { orig_rax, rax, rip, tf };
std::string_view edit_key(Reg r, Arch arch);

// Where rip points: an index into the program or into the handler block. `outside` is anything
// else (the agent's own code, or the kernel's vdso).
struct Loc {
  enum class Space : uint8_t { program, handler, outside } space = Space::program;
  uint16_t index = 0;
  bool operator==(const Loc&) const = default;
};

struct Edit {
  Reg reg = Reg::rax;
  int64_t value = 0; // rip: use `loc` instead
  Loc loc;
  bool operator==(const Edit&) const = default;
};

// `pass` re-injects the signal of the current stop unless the tracer's own last request
// explains the stop (a syscall stop it asked for, a step trap it asked for). See
// docs/scenario-format.md.
struct Action {
  Request request = Request::cont;
  int signal = sig::none;
  bool pass = false;
  std::vector<Edit> edits;
  bool operator==(const Action&) const = default;
};

struct Options {
  bool tracesysgood = false;
  // Redox: the open flags of proc:<pid>/trace (docs/scenario-format.md, "Redox actions").
  bool o_excl = false;     // closing the file kills the tracee
  bool o_nonblock = false; // reads (2020) and writes (2019) do not wait
  bool operator==(const Options&) const = default;
};

// ---- Redox's tracer interface (docs/scenario-format.md, "Redox actions") ----------------------
// A Redox tracer does not call ptrace(): it writes a flag word to proc:<pid>/trace, reads events
// from it, reads and writes the whole register struct through proc:<pid>/regs/int, and closes the
// file. docs/redox-sources.md cites each value (I1-I3).
namespace redox {
inline constexpr uint64_t pre_syscall = 0x1;
inline constexpr uint64_t post_syscall = 0x2;
inline constexpr uint64_t singlestep = 0x4;
inline constexpr uint64_t signal = 0x8;
inline constexpr uint64_t breakpoint = 0x10;
inline constexpr uint64_t exit = 0x20;
inline constexpr uint64_t stop_mask = 0xff;
inline constexpr uint64_t event_clone = 0x100;
inline constexpr uint64_t event_mask = 0xf00;
inline constexpr uint64_t flag_ignore = 0x1000;
inline constexpr uint64_t flag_wait = 0x2000; // 2019 only
// bitflags' `all()`, every declared constant ORed, masks included: the kernel's from_bits accepts
// a word iff it has no bit outside this.
inline constexpr uint64_t kernel_accepts = 0xffff;
// The bits the model gives a meaning to. A word with an accepted bit outside these is refused by
// the parser, because the kernel takes it and the model could only guess what follows.
inline constexpr uint64_t modelled = 0x3f | flag_ignore | flag_wait;
} // namespace redox

enum class RedoxOp : uint8_t { write, read, getregs, setregs, close };

struct RedoxAction {
  RedoxOp op = RedoxOp::read;
  uint64_t flags = 0;      // write: the word
  std::vector<Edit> edits; // setregs: rax, rip, tf over the struct the last getregs returned
  bool operator==(const RedoxAction&) const = default;
};

// ---- The canonical trace --------------------------------------------------------------------
// One line per observation. Everything here is something a tracer can read back: the waitpid
// status, PTRACE_GETSIGINFO, PTRACE_GET_SYSCALL_INFO's op, and PTRACE_GETREGS. `kind` is a
// function of those observables only (see docs/trace-format.md), never of the model's
// internals, so the model and a real kernel can be compared line by line.
enum class StopKind : uint8_t {
  initial,       // the first stop: SIGSTOP raised by the tracee before instruction 0
  syscall_enter, // stop signal SIGTRAP|0x80, op entry
  syscall_exit,  // stop signal SIGTRAP|0x80, op exit
  step,          // SIGTRAP with si_code TRAP_TRACE or TRAP_BRKPT
  breakpoint,    // SIGTRAP with si_code SI_KERNEL (int3)
  trap_notify,   // SIGTRAP with si_code SIGTRAP: ptrace_notify without TRACESYSGOOD
  signal,        // any other signal-delivery-stop
  detached,      // not a stop: the tracer detached here
  exited,        // waitpid: WIFEXITED
  killed,        // waitpid: WIFSIGNALED
  hang,          // the agent's wait timed out, or (model) the tracer can never wake up
  // Redox: one line per tracer operation (docs/trace-format.md, "Redox lines").
  redox_write,   // write of a flag word: ok or error=
  redox_read,    // read of one event: event=, none, or error=
  redox_regs,    // read of regs/int: at, rax, rbx, flags, or error=
  redox_setregs, // write of regs/int: ok or error=
  redox_close,   // close of the trace file
};

// PTRACE_GET_SYSCALL_INFO op values (include/uapi/linux/ptrace.h).
enum class SyscallOp : uint8_t { none = 0, entry = 1, exit = 2, seccomp = 3 };

struct TraceLine {
  StopKind kind = StopKind::initial;
  Loc at;
  int signal = 0; // stop signal (without the 0x80 bit), or the killing signal
  int si_code = 0;
  SyscallOp op = SyscallOp::none;
  // Which register set a stop line shows. End lines (detached, exited, killed, hang) show none
  // and keep the default, so they compare equal across architectures.
  Arch arch = Arch::x86_64;
  // x86_64, as PTRACE_GETREGS shows them.
  int64_t rax = 0;
  int64_t orig_rax = 0;
  uint64_t rbx = 0;
  bool tf = false, zf = false, cf = false;
  // aarch64: NT_PRSTATUS (user_pt_regs) and NT_ARM_SYSTEM_CALL through PTRACE_GETREGSET.
  int64_t x0 = 0;        // the result register, and the first argument at syscall entry
  int64_t x8 = 0;        // the syscall number as the program loaded it
  int64_t syscallno = 0; // pt_regs->syscallno, what NT_ARM_SYSTEM_CALL reports
  uint64_t x7 = 0;       // set-if-equal's register, which syscall stops overwrite
  bool n = false, z = false, c = false, v = false, ss = false; // PSTATE.{N,Z,C,V,SS}
  int exit_code = 0; // kPidToken when the exit code was the low byte of the tracee's pid
  int written = 0;   // bytes the tracee wrote to its output pipe, at exit
  // Redox lines.
  int error = 0;                    // the errno an operation failed with, 0 for success
  uint64_t cause = 0;               // read: the event's cause, 0 when the read returned no event
  int64_t event_a = 0, event_b = 0; // SIGNAL: the signal, 1 for a user handler; EXIT: the status
  bool operator==(const TraceLine&) const = default;
};

using Trace = std::vector<TraceLine>;

// si_code values (include/uapi/asm-generic/siginfo.h).
namespace code {
inline constexpr int si_user = 0;
inline constexpr int si_kernel = 0x80;
inline constexpr int si_tkill = -6;
inline constexpr int trap_brkpt = 1;
inline constexpr int trap_trace = 2;
} // namespace code

// The result a tracer writes into rax when it emulates a syscall, in the explorer and the random
// scenarios. Not a syscall number either (nr 7 is poll, so 7 would not do), so a tracee that
// runs it as one gets -ENOSYS on every kernel.
inline constexpr int64_t kTracerResult = 4242;

// A stand-in for the tracee's pid: getpid's result differs between runs, so both sides print
// it as `pid`. The model uses this value; the agent maps the real pid onto it.
inline constexpr int64_t kPidToken = 0x7000;

// ---- The scenario ---------------------------------------------------------------------------
struct Scenario {
  int version = 1;
  std::string profile = "linux-x86_64";
  Arch arch() const { return arch_of_profile(profile); }
  Options options;
  std::vector<Insn> program;
  std::vector<Insn> handler; // the user's part of the SIGUSR1 handler; see the format doc
  std::vector<Action> actions;
  std::optional<Action> repeat; // repeat this action until the tracee ends...
  int repeat_max = 0;           // ...at most this many times (also for redox_repeat)
  // A scenario's actions are Linux requests or Redox operations, never both.
  std::vector<RedoxAction> redox_actions;
  std::vector<RedoxAction> redox_repeat; // repeat this group of operations, if not empty
  bool uses_redox_actions() const { return !redox_actions.empty() || !redox_repeat.empty(); }
  std::optional<Trace> expect;
  std::string source; // file name, for messages
};

// A parse error carries its position so the CLI can print file:line:column.
struct ParseError {
  std::string file;
  int line = 0, column = 0;
  std::string message;
  std::string what() const;
};

// Parsing never throws on bad input; it returns the first error.
struct ParseResult {
  std::optional<Scenario> scenario;
  std::optional<ParseError> error;
};
ParseResult parse_scenario(std::string_view text, std::string file_name);

// A batch is scenarios back to back, each starting with its `ptmc-scenario` line.
struct BatchParseResult {
  std::vector<Scenario> scenarios;
  std::optional<ParseError> error;
};
BatchParseResult parse_batch(std::string_view text, std::string file_name);

std::string format_scenario(const Scenario& s); // parse_scenario(format_scenario(s)) == s
std::string format_insn(const Insn& i);
std::string format_nr(int64_t alphabet_nr); // `nr`'s operand: a syscall's name, or the number
std::string format_action(const Action& a, Arch arch = Arch::x86_64); // edits spelled for arch
std::string format_loc(const Loc& l);
std::string format_trace_line(const TraceLine& t);
std::string format_signal(int signo);
std::string format_si_code(int si_code);
std::string format_request(Request r);
std::string format_redox_action(const RedoxAction& a);
std::string format_redox_flags(uint64_t word); // PRE_SYSCALL|FLAG_IGNORE, 0, leftover bits in hex
std::string format_errno(int error);           // EINVAL, ESRCH, ... or the number

// The stop kind as a function of what a tracer reads on `arch` (docs/trace-format.md). The first
// stop of a run is `initial` whatever it looks like; callers handle that.
StopKind classify_stop(int signal, int si_code, SyscallOp op, Arch arch = Arch::x86_64);

// The tracer policy behind `sig=pass`: the signal to resume with at `stop`, given the request
// the tracer made before it. Shared by the model and the agent so both mean the same thing.
int tracer_pass_signal(const TraceLine& stop, Request last_request);

// Text as a message shows it, in single quotes: printable ASCII as is, every other byte (a \r
// from a serial console, a NUL) as \xNN, and cut after `max_bytes` with "...".
std::string quote_for_message(std::string_view text, size_t max_bytes = 40);

// ---- Comparing architectures ----------------------------------------------------------------
// A trace line projected onto what it means on every architecture (docs/trace-format.md,
// "Common observation"): the stop kind, where, the signal, the syscall-info op, the result
// register (rax, x0), the syscall number in the alphabet's naming (orig_rax, syscallno), the
// set-if-equal register (rbx, x7), the zero flag (ZF, Z) and the user-visible step flag (TF,
// SS). si_code is left out: the kind is what it means, and the codes differ by design (int3's
// SI_KERNEL is brk's TRAP_BRKPT). End lines project to themselves.
struct CommonObservation {
  StopKind kind = StopKind::initial;
  Loc at;
  int signal = 0;
  SyscallOp op = SyscallOp::none;
  int64_t result = 0;
  std::string syscall; // a name from the alphabet, or ARCH:NUMBER for one it does not name
  uint64_t seteq = 0;
  bool zero = false, step_flag = false;
  int exit_code = 0, written = 0;
  bool operator==(const CommonObservation&) const = default;
};
CommonObservation common_observation(const TraceLine& t);
std::string format_common(const CommonObservation& o);

struct TraceParseResult {
  std::optional<TraceLine> line;
  std::string error;
  int column = 0; // on error: 1-based column in `text` of the offending token
};
TraceParseResult parse_trace_line(std::string_view text);

} // namespace ptmc
