/*
 * ptrace on Linux x86_64, as a Promela model: the SPIN twin of ptmc's profile `spin-twin`.
 *
 * Written from ptmc's documentation (docs/state-vector.md, docs/model-layers.md,
 * props/README.md and `ptmc props -v`) and its rule tables (`ptmc rules`): each kernel or CPU
 * step below names the rule it follows. It does not share code with ptmc, so equal state counts
 * cross-check ptmc's model and engine.
 *
 * One tracee and its tracer. A state is the tracee's task: its registers, its signal frame, the
 * ptrace bookkeeping. The process below is one loop whose options are the model's transitions,
 * each one d_step: the tracer's action at a stop (a request, maybe a signal or one register
 * edit), or the tracee's next user instruction, chosen lazily when it first runs (the program is
 * not part of the state, docs/state-vector.md). Temporaries are `hidden`, so a stored state is
 * exactly the task record, and values no later step can read are cleared after every
 * transition (canonicalize), as ptmc does.
 *
 * Compile-time parameters (spin -D...):
 *   BOUND      instructions chosen before the exit_group tail (ptmc --bound)
 *   MONITORS   add the monitors of the invariant properties; CHECK_<PROPERTY> asserts one
 *
 * The domain (what ptmc's profile spin-twin sets, model/profiles.cpp):
 *   program alphabet: nop, nr getpid|write|kill|exit_group|-1|999, arg sigusr1|sigusr2, syscall,
 *     int3, cmp, setz, pushf, or_tf, and_tf, popf
 *   tracer: CONT, SYSCALL, SINGLESTEP, SYSEMU, SYSEMU_SINGLESTEP, each plain, with SIGUSR1 or
 *     SIGUSR2, with orig_rax = -1, rax = 4242, or rip skipping one instruction; DETACH; KILL
 *   PTRACE_O_TRACESYSGOOD set; the SIGUSR1 handler is the fixed tail alone.
 */

#ifndef BOUND
#define BOUND 2
#endif

/* ---- Constants ------------------------------------------------------------------------------ */

/* phase */
#define USER 0
#define STOPPED 1
#define EXITED 2
#define KILLED 3
#define UNMODELLED 4
/* why a stopped tracee stopped */
#define W_INITIAL 0
#define W_SYSCALL_ENTER 1
#define W_SYSCALL_EXIT 2
#define W_SIGNAL 3
#define W_HANDLER_NOTIFY 4
/* where rip points */
#define PROGRAM 0
#define HANDLER 1
/* work flags: SYSCALL_WORK_SYSCALL_TRACE, _EMU, TIF_SINGLESTEP, SYSCALL_WORK_SYSCALL_EXIT_TRAP,
   TIF_FORCED_TF */
#define WK_TRACE 1
#define WK_EMU 2
#define WK_STEP 4
#define WK_EXIT_TRAP 8
#define WK_FORCED_TF 16
/* pending-signal bits */
#define P_TRAP 1
#define P_USR1 2
#define P_USR2 4
/* signals */
#define SIGTRAP 5
#define SIGKILL 9
#define SIGUSR1 10
#define SIGUSR2 12
#define SIGSTOP 19
/* si_code */
#define SI_USER 0
#define SI_KERNEL 128
#define TRAP_BRKPT 1
#define TRAP_TRACE 2
#define CODE_SYSGOOD 133 /* SIGTRAP | 0x80 */
/* PTRACE_GET_SYSCALL_INFO op */
#define OP_NONE 0
#define OP_ENTRY 1
#define OP_EXIT 2
/* RFLAGS bits the model keeps */
#define CF 1
#define FIXED1 2
#define ZF 64
#define TF 256
#define IF 512
#define FMASK 768 /* TF | IF: what syscall_init programs into IA32_FMASK */
/* errno values */
#define ENOSYS 38
#define EFAULT 14
#define EINVAL 22
#define EBADF 9
/* rsi: a pointer to the buffer, SIGUSR1, SIGUSR2, or a handler's &siginfo */
#define ARG_BUF 0
#define ARG_USR1 1
#define ARG_USR2 2
#define ARG_FRAMEPTR 3
/* what arming a step committed the instruction at rip to be */
#define PEEK_UNKNOWN 0
#define PEEK_POPF 1
#define PEEK_NOT_POPF 2
/* requests */
#define R_CONT 0
#define R_SYSCALL 1
#define R_SINGLESTEP 2
#define R_SYSEMU 3
#define R_SYSEMU_SINGLESTEP 4
#define R_DETACH 5
#define R_KILL 6
/* the one register edit a tracer action may make */
#define E_NONE 0
#define E_ORIG_RAX 1
#define E_RAX 2
#define E_RIP_SKIP 3
/* instructions */
#define I_NOP 0
#define I_SET_NR 1
#define I_SET_ARG 2
#define I_SYSCALL 3
#define I_INT3 4
#define I_CMP 5
#define I_SETZ 6
#define I_PUSHF 7
#define I_OR_TF 8
#define I_AND_TF 9
#define I_POPF 10
#define I_ADD_RSP8 11
#define I_JMP 12
/* syscall numbers */
#define NR_READ 0
#define NR_WRITE 1
#define NR_RT_SIGRETURN 15
#define NR_GETPID 39
#define NR_KILL 62
#define NR_EXIT_GROUP 231
#define NR_INVALID 999
#define PID_TOKEN 28672 /* getpid's result, as ptmc's traces print it */
#define TRACER_RESULT 4242

/* ---- The state: one task ------------------------------------------------------------------- */

/* The live user frame. */
int rax;
short rflags = FIXED1 | ZF | IF; /* the agent starts the tracee with 0x246 */
short stack_top;                 /* the one pushed RFLAGS image */
byte pc_space = PROGRAM;
byte pc;
byte rbx;
byte rsi = ARG_BUF;
bit stack_depth;
byte peek;
byte rdi;
bit rsp_moved; /* the handler's add rsp, 8 ran */
/* The signal frame rt_sigreturn restores. It keeps the peek: the commitment about the
   instruction at the saved rip travels with that rip (docs/state-vector.md). */
int s_rax;
short s_rflags;
short s_stack_top;
byte s_pc_space;
byte s_pc;
byte s_rbx;
byte s_rsi;
bit s_stack_depth;
byte s_rdi;
bit s_rsp_moved;
byte s_peek;
/* The task. It starts at the SIGSTOP its child raised before instruction 0. */
int orig_rax = -1;
byte phase = STOPPED;
byte why = W_INITIAL;
byte stop_sig = SIGSTOP;
short stop_code = SI_USER;
byte stop_op = OP_NONE;
byte work;
byte entry_work;
byte pending;
short trap_code;
bit in_handler;
bit traced = 1;
bit tracesysgood = 1;
byte written;
byte exit_value;
byte pending_si_kernel;
byte pending_shared;
bit stop_shared;

#ifdef MONITORS
/* The monitors (props/README.md): what the invariant properties remember between steps. */
byte m_step_armed;  /* 1 after SINGLESTEP, 2 after SYSEMU_SINGLESTEP */
byte m_retired;     /* user instructions since that resume, up to 3 */
bit m_signal_first; /* a signal was delivered since that resume */
bit m_owned_tf;     /* the TF the program itself last set */
bit m_saved_owned_tf;
#endif

/* ---- Temporaries (not part of the state) --------------------------------------------------- */

hidden byte t_op;
hidden int t_imm;
hidden byte t_sig;
hidden short t_code;
hidden byte t_bit;
hidden byte t_shared;
hidden byte t_tf_before;
hidden byte t_step_trap;
hidden byte t_why;
hidden int t_nr;
hidden byte t_own;
hidden byte t_other;
hidden byte t_done;
hidden byte t_stepping;
hidden short t_old;
hidden byte t_w;
/* The transition ends with the return to user mode (exit_to_user). Paths set it rather than
   call it, so that each transition's code holds exit_to_user once. */
hidden byte t_exit;
/* what happened inside the transition, for the monitors */
hidden byte ev_kernel_tf;
hidden byte ev_emu_syscall_ran;
hidden byte ev_syscall_ran;
hidden byte ev_frame_replaced;
hidden byte ev_retired;
hidden byte ev_generated;
hidden byte ev_delivered;
hidden byte ev_suppressed;
hidden byte ev_injected;
/* the state before the transition, for the monitors */
hidden byte pre_pc_space;
hidden byte pre_pc;
hidden byte pre_in_handler;
hidden short pre_stack_top;
hidden byte pre_pending;
hidden byte pre_pending_shared;
hidden byte pre_stop_shared;

#define pend_bit(sig) (sig == SIGTRAP -> P_TRAP : (sig == SIGUSR1 -> P_USR1 : (sig == SIGUSR2 -> P_USR2 : 0)))
#define dead (phase == EXITED || phase == KILLED)

/* ---- Canonical form: values nothing can read any more are cleared ---------------------------- */

inline clear_saved_frame() {
  s_rax = 0; s_rflags = 0; s_stack_top = 0; s_pc_space = 0; s_pc = 0; s_rbx = 0; s_rsi = 0;
  s_stack_depth = 0; s_rdi = 0; s_rsp_moved = 0; s_peek = 0
}

inline canonicalize() {
  if
  :: phase == UNMODELLED -> skip
  :: dead ->
    /* after the end only the exit status and the bytes written are observable */
    rax = 0; rflags = 0; stack_top = 0; pc_space = 0; pc = 0; rbx = 0; rsi = 0; stack_depth = 0;
    peek = 0; rdi = 0; rsp_moved = 0; clear_saved_frame(); orig_rax = 0; why = 0; stop_sig = 0;
    stop_code = 0; stop_op = 0; work = 0; entry_work = 0; pending = 0; trap_code = 0;
    in_handler = 0; traced = 0; pending_si_kernel = 0; pending_shared = 0; stop_shared = 0
  :: else ->
    if
    :: phase != STOPPED ->
      /* the next stop follows a kernel entry, which writes orig_rax first */
      why = 0; stop_sig = 0; stop_code = 0; stop_op = 0; orig_rax = 0; stop_shared = 0
    :: else -> skip
    fi;
    if
    :: !(phase == STOPPED && why == W_SYSCALL_ENTER) -> entry_work = 0
    :: else -> skip
    fi;
    if
    :: !(pending & P_TRAP) -> trap_code = 0
    :: else -> skip
    fi;
    pending_si_kernel = pending_si_kernel & pending;
    if
    :: !in_handler -> clear_saved_frame()
    :: else -> skip
    fi;
    if
    :: stack_depth == 0 -> stack_top = 0
    :: else -> skip
    fi
  fi
}

inline stop(w, sig, code, op) {
  phase = STOPPED; why = w; stop_sig = sig; stop_code = code; stop_op = op
}

/* ---- Signals (kernel/signal.c) --------------------------------------------------------------- */

/* Queue t_sig with si_code t_code, for the process (t_shared: kill) or the thread. A legacy
   signal already queued is not queued again (legacy_queue). */
inline raise_signal() {
  t_bit = pend_bit(t_sig);
  if
  :: t_bit == 0 -> skip
  :: t_bit != 0 && t_shared ->
    if
    :: !(pending_shared & t_bit) -> pending_shared = pending_shared | t_bit;
       ev_generated = ev_generated | t_bit
    :: else -> skip
    fi
  :: t_bit != 0 && !t_shared && (pending & t_bit) -> skip
  :: t_bit != 0 && !t_shared && !(pending & t_bit) ->
    pending = pending | t_bit;
    if
    :: t_sig == SIGTRAP -> trap_code = t_code
    :: t_sig != SIGTRAP && t_code == SI_KERNEL -> pending_si_kernel = pending_si_kernel | t_bit
    :: else -> pending_si_kernel = pending_si_kernel & ~t_bit
    fi;
    ev_generated = ev_generated | t_bit
  fi
}

/* arch/x86/kernel/step.c user_disable_single_step (rules step-disable,
   step-disable-clears-forced-tf) */
inline disable_single_step() {
  work = work & ~(WK_STEP | WK_EXIT_TRAP);
  if
  :: work & WK_FORCED_TF -> work = work & ~WK_FORCED_TF; rflags = rflags & ~TF
  :: else -> skip
  fi
}

/* arch/x86/kernel/step.c enable_single_step, with the peek at the instruction at rip (rules
   step-enable, step-popf-is-users, step-forced-tf) */
inline enable_single_step(p) {
  if
  :: work & WK_STEP -> rflags = rflags | TF
  :: else -> skip
  fi;
  work = work | WK_STEP | WK_EXIT_TRAP;
  t_old = rflags;
  rflags = rflags | TF;
  peek = p;
  if
  :: p == PEEK_POPF -> work = work & ~WK_FORCED_TF
  :: p != PEEK_POPF && (t_old & TF) -> skip
  :: else -> work = work | WK_FORCED_TF
  fi
}

/* Delivery of t_sig (rules sig-default-kills, sig-handler-frame, sig-handler-clears-tf,
   sig-handler-disables-step, sig-handler-step-notify). */
inline deliver() {
  if
  :: t_sig != SIGUSR1 ->
    phase = KILLED; exit_value = t_sig; ev_delivered = ev_delivered | pend_bit(t_sig)
  :: else ->
    t_stepping = (work & WK_STEP) != 0;
    if
    :: t_stepping -> disable_single_step()
    :: else -> skip
    fi;
    /* setup_rt_frame: the live frame is saved; the handler starts at its first instruction with
       rdi = the signal, rsi = &siginfo, rax = 0, nothing pushed */
    s_rax = rax; s_rflags = rflags; s_stack_top = stack_top; s_pc_space = pc_space; s_pc = pc;
    s_rbx = rbx; s_rsi = rsi; s_stack_depth = stack_depth; s_rdi = rdi; s_rsp_moved = rsp_moved;
    s_peek = peek;
    pc_space = HANDLER; pc = 0; rax = 0; rdi = SIGUSR1; rsi = ARG_FRAMEPTR; stack_depth = 0;
    stack_top = 0; peek = 0; in_handler = 1; ev_frame_replaced = 1;
    rflags = rflags & ~TF;
    ev_delivered = ev_delivered | P_USR1;
    if
    :: traced && t_stepping -> stop(W_HANDLER_NOTIFY, SIGTRAP, SIGTRAP, OP_NONE)
    :: else -> skip
    fi
  fi
}

/* exit_to_user_mode_loop -> get_signal: dequeue (the thread's queue, then the process's; SIGTRAP
   first, then the lowest number; SIGUSR1 is blocked in the handler), stop for it when traced,
   otherwise deliver it (rules sig-order, sig-delivery-stop). */
inline exit_to_user() {
  t_done = 0;
  do
  :: t_done -> break
  :: !t_done && !(phase == USER || phase == STOPPED) -> break
  :: !t_done && (phase == USER || phase == STOPPED) ->
    t_own = pending & ~(in_handler -> P_USR1 : 0);
    t_other = pending_shared & ~(in_handler -> P_USR1 : 0);
    if
    :: t_own == 0 && t_other == 0 -> phase = USER; t_done = 1
    :: else ->
      stop_shared = (t_own == 0);
      if
      :: t_own == 0 -> t_own = t_other
      :: else -> skip
      fi;
      t_sig = (t_own & P_TRAP -> SIGTRAP : (t_own & P_USR1 -> SIGUSR1 : SIGUSR2));
      t_bit = pend_bit(t_sig);
      if
      :: stop_shared -> pending_shared = pending_shared & ~t_bit; t_code = SI_USER
      :: else ->
        pending = pending & ~t_bit;
        t_code = (t_sig == SIGTRAP -> trap_code : ((pending_si_kernel & t_bit) -> SI_KERNEL : SI_USER));
        pending_si_kernel = pending_si_kernel & ~t_bit
      fi;
      if
      :: traced -> stop(W_SIGNAL, t_sig, t_code, OP_NONE); t_done = 1
      :: else ->
        deliver();
        if
        :: phase == STOPPED || dead -> t_done = 1
        :: else -> phase = USER
        fi
      fi
    fi
  od
}

/* An exception from user mode that sends SIGTRAP (rules exc-orig-rax, trap-db-si-code), then the
   return to user mode. */
inline trap(code) {
  orig_rax = -1;
  t_sig = SIGTRAP; t_code = code; t_shared = 0; raise_signal();
  t_exit = 1
}

/* ---- Syscalls ------------------------------------------------------------------------------ */

/* kernel/entry/common.c syscall_exit_work (rules exit-step-report, exit-trace-stop,
   exit-step-replaces-stop, exit-step-si-code, report-tracesysgood, report-syscall-info-op). */
inline syscall_exit_work() {
  t_w = work;
  if
  :: (t_w & WK_EXIT_TRAP) && !(t_w & WK_EMU) ->
    t_sig = SIGTRAP; t_code = TRAP_BRKPT; t_shared = 0; raise_signal();
    phase = USER; t_exit = 1
  :: !((t_w & WK_EXIT_TRAP) && !(t_w & WK_EMU)) && (t_w & WK_TRACE) && traced ->
    stop(W_SYSCALL_EXIT, SIGTRAP, (tracesysgood -> CODE_SYSGOOD : SIGTRAP),
         (tracesysgood -> OP_EXIT : OP_NONE))
  :: else -> phase = USER; t_exit = 1
  fi
}

/* do_syscall_64 and the syscalls the alphabet reaches (rules entry-emu-skips, sys-*). */
inline syscall_body() {
  if
  :: entry_work & WK_EMU -> t_nr = -1
  :: else -> t_nr = orig_rax
  fi;
  if
  :: t_nr != -1 && (entry_work & WK_EMU) -> ev_emu_syscall_ran = 1
  :: else -> skip
  fi;
  if
  :: t_nr != -1 -> ev_syscall_ran = 1
  :: else -> skip
  fi;
  t_done = 0;
  if
  :: t_nr == -1 -> skip /* nothing runs; rax keeps the tracer's result */
  :: t_nr == NR_READ -> rax = -EBADF /* fd 0 is the write end of the output pipe */
  :: t_nr == NR_WRITE ->
    if
    :: rdi != 0 -> rax = -EBADF
    :: rdi == 0 && !(rsi == ARG_BUF || rsi == ARG_FRAMEPTR) -> rax = -EFAULT
    :: else ->
      if
      :: written < 255 -> written++
      :: else -> skip
      fi;
      rax = 1
    fi
  :: t_nr == NR_GETPID -> rax = PID_TOKEN
  :: t_nr == NR_KILL ->
    if
    :: rdi != 0 -> phase = UNMODELLED; exit_value = 2; t_done = 1
    :: rdi == 0 && !(rsi == ARG_USR1 || rsi == ARG_USR2) -> rax = -EINVAL
    :: else ->
      t_sig = (rsi == ARG_USR1 -> SIGUSR1 : SIGUSR2); t_code = SI_USER; t_shared = 1;
      raise_signal(); rax = 0
    fi
  :: t_nr == NR_EXIT_GROUP ->
    ev_retired++; phase = EXITED; exit_value = rdi; t_done = 1
  :: t_nr == NR_RT_SIGRETURN ->
    if
    :: !in_handler || !rsp_moved -> phase = UNMODELLED; exit_value = 1; t_done = 1
    :: else ->
      /* restore_sigcontext: the frame comes back; of the flags only CF, ZF and TF */
      rflags = (rflags & ~(CF | ZF | TF)) | (s_rflags & (CF | ZF | TF));
      rax = s_rax; stack_top = s_stack_top; pc_space = s_pc_space; pc = s_pc; rbx = s_rbx;
      rsi = s_rsi; stack_depth = s_stack_depth; rdi = s_rdi; rsp_moved = s_rsp_moved; peek = s_peek;
      in_handler = 0; clear_saved_frame(); ev_frame_replaced = 1;
      orig_rax = -1
    fi
  :: else -> rax = -ENOSYS
  fi;
  if
  :: !t_done -> ev_retired++; syscall_exit_work()
  :: else -> skip
  fi
}

/* entry_SYSCALL_64 and syscall_trace_enter (rules entry-fmask-clears-tf, entry-orig-rax,
   entry-rax-enosys, entry-work-captured, entry-stop). */
inline syscall_entry() {
  if
  :: (rflags & ~FMASK) & TF -> ev_kernel_tf = 1
  :: else -> skip
  fi;
  orig_rax = rax;
  rax = -ENOSYS;
  entry_work = work;
  if
  :: traced && (entry_work & (WK_TRACE | WK_EMU)) ->
    stop(W_SYSCALL_ENTER, SIGTRAP, (tracesysgood -> CODE_SYSGOOD : SIGTRAP),
         (tracesysgood -> OP_ENTRY : OP_NONE))
  :: else -> syscall_body()
  fi
}

/* ---- The tracee's step: one user instruction (the CPU, Intel SDM; rule user-insn) ------------ */

inline execute(op, imm) {
  peek = 0;
  t_tf_before = (rflags & TF) != 0;
  t_step_trap = 0;
  pc++;
  if
  :: op == I_NOP -> skip
  :: op == I_ADD_RSP8 -> rsp_moved = 1; rflags = rflags & ~(ZF | CF)
  :: op == I_SET_NR -> rax = imm
  :: op == I_SET_ARG -> rsi = imm
  :: op == I_CMP ->
    rflags = (rflags & ~(CF | ZF)) | (rax == 1 -> ZF : 0) | (rax == 0 -> CF : 0)
  :: op == I_SETZ -> rbx = ((rflags & ZF) -> 1 : 0)
  :: op == I_PUSHF -> stack_top = rflags; stack_depth = 1 /* TF included (pushf-leaks-tf) */
  :: op == I_OR_TF -> stack_top = stack_top | TF; rflags = rflags & ~(ZF | CF)
  :: op == I_AND_TF -> stack_top = stack_top & ~TF; rflags = rflags & ~(ZF | CF)
  :: op == I_POPF ->
    rflags = (rflags & ~(CF | ZF | TF)) | (stack_top & (CF | ZF | TF)); stack_depth = 0;
    stack_top = 0
  :: op == I_JMP -> pc = imm
  :: op == I_SYSCALL || op == I_INT3 -> skip
  fi;
  if
  :: op == I_SYSCALL -> syscall_entry() /* no #DB after SYSCALL: FMASK cleared TF */
  :: op == I_INT3 ->
    /* do_int3_user (rule trap-int3) */
    ev_retired++; orig_rax = -1;
    t_sig = SIGTRAP; t_code = SI_KERNEL; t_shared = 0; raise_signal();
    t_exit = 1
  :: else ->
    ev_retired++;
    if
    :: t_tf_before -> trap(TRAP_TRACE) /* hw-trap-after-insn */
    :: else -> skip
    fi
  fi
}

/* ---- The tracer's step (kernel/ptrace.c ptrace_resume, kernel/signal.c ptrace_signal) -------- */

inline resume(req, sig, edit, p) {
  if
  :: edit == E_ORIG_RAX -> orig_rax = -1
  :: edit == E_RAX -> rax = TRACER_RESULT
  :: edit == E_RIP_SKIP -> pc++; peek = 0
  :: else -> skip
  fi;
  if
  :: req == R_KILL -> phase = KILLED; exit_value = SIGKILL /* ptrace-kill */
  :: else ->
    if
    :: req == R_DETACH ->
      disable_single_step(); work = work & ~(WK_TRACE | WK_EMU); traced = 0 /* ptrace-detach */
    :: else ->
      if /* resume-sets-trace, resume-sets-emu */
      :: req == R_SYSCALL -> work = work | WK_TRACE
      :: else -> work = work & ~WK_TRACE
      fi;
      if
      :: req == R_SYSEMU || req == R_SYSEMU_SINGLESTEP -> work = work | WK_EMU
      :: else -> work = work & ~WK_EMU
      fi;
      if
      :: req == R_SINGLESTEP || req == R_SYSEMU_SINGLESTEP -> enable_single_step(p)
      :: else -> disable_single_step()
      fi
    fi;
    t_why = why;
    phase = USER;
    if
    :: t_why == W_INITIAL || t_why == W_SIGNAL ->
      if
      :: sig == 0 -> ev_suppressed = ev_suppressed | pend_bit(stop_sig) /* sig-suppress */
      :: else ->
        ev_injected = ev_injected | pend_bit(sig);
        if
        :: sig == SIGUSR1 && in_handler ->
          /* blocked: queued again (sig-blocked-requeue, sig-inject-si-user) */
          t_sig = sig; t_code = (sig == stop_sig -> stop_code : SI_USER); t_shared = stop_shared;
          raise_signal()
        :: else -> t_sig = sig; deliver()
        fi
      fi;
      if
      :: phase == STOPPED || dead -> skip
      :: else -> t_exit = 1
      fi
    :: t_why == W_SYSCALL_ENTER ->
      t_done = 0;
      if
      :: sig != 0 -> /* report-syscall-injects; report-fatal-skips */
        ev_injected = ev_injected | pend_bit(sig);
        t_sig = sig; t_code = SI_KERNEL; t_shared = 0; raise_signal();
        if
        :: !traced && sig == SIGUSR2 ->
          phase = KILLED; exit_value = sig; ev_delivered = ev_delivered | P_USR2; t_done = 1
        :: else -> skip
        fi
      :: else -> skip
      fi;
      if
      :: !t_done -> syscall_body()
      :: else -> skip
      fi
    :: t_why == W_SYSCALL_EXIT ->
      if
      :: sig != 0 ->
        ev_injected = ev_injected | pend_bit(sig);
        t_sig = sig; t_code = SI_KERNEL; t_shared = 0; raise_signal()
      :: else -> skip
      fi;
      t_exit = 1
    :: t_why == W_HANDLER_NOTIFY -> t_exit = 1 /* sig-notify-ignores-signal */
    fi
  fi
}

/* ---- Monitors ------------------------------------------------------------------------------ */

inline begin_step() {
  t_exit = 0;
  ev_kernel_tf = 0; ev_emu_syscall_ran = 0; ev_syscall_ran = 0; ev_frame_replaced = 0;
  ev_retired = 0; ev_generated = 0; ev_delivered = 0; ev_suppressed = 0; ev_injected = 0;
  pre_pc_space = pc_space; pre_pc = pc; pre_in_handler = in_handler; pre_stack_top = stack_top;
  pre_pending = pending; pre_pending_shared = pending_shared; pre_stop_shared = stop_shared
}

#ifdef MONITORS
#ifdef CHECK_KERNEL_MODE_TF
#define A_KERNEL_MODE_TF(c) assert(c)
#else
#define A_KERNEL_MODE_TF(c) skip
#endif
#ifdef CHECK_STEP_GRANULARITY
#define A_STEP_GRANULARITY(c) assert(c)
#else
#define A_STEP_GRANULARITY(c) skip
#endif
#ifdef CHECK_SYSEMU_STEP_GRANULARITY
#define A_SYSEMU_STEP_GRANULARITY(c) assert(c)
#else
#define A_SYSEMU_STEP_GRANULARITY(c) skip
#endif
#ifdef CHECK_SYSEMU_NEVER_EXECUTES
#define A_SYSEMU_NEVER_EXECUTES(c) assert(c)
#else
#define A_SYSEMU_NEVER_EXECUTES(c) skip
#endif
#ifdef CHECK_REGISTER_WRITE_PERSISTENCE
#define A_REGISTER_WRITE_PERSISTENCE(c) assert(c)
#else
#define A_REGISTER_WRITE_PERSISTENCE(c) skip
#endif
#ifdef CHECK_TRACEE_TF_PERSISTENCE
#define A_TRACEE_TF_PERSISTENCE(c) assert(c)
#else
#define A_TRACEE_TF_PERSISTENCE(c) skip
#endif
#ifdef CHECK_SIGNAL_SUPPRESSION
#define A_SIGNAL_SUPPRESSION(c) assert(c)
#else
#define A_SIGNAL_SUPPRESSION(c) skip
#endif
#ifdef CHECK_SIGNAL_INJECTION_ONCE
#define A_SIGNAL_INJECTION_ONCE(c) assert(c)
#else
#define A_SIGNAL_INJECTION_ONCE(c) skip
#endif

hidden byte t_counted;
hidden byte t_gone;

/* After a tracer action (req, edit) or an instruction (op): each property's definition, as
   `ptmc props -v` states it. */
inline monitor(req, edit, op) {
  A_KERNEL_MODE_TF(!ev_kernel_tf);
  A_SYSEMU_NEVER_EXECUTES(!ev_emu_syscall_ran);

  /* step-granularity, sysemu-step-granularity: from a step resume to the next stop exactly one
     instruction retires (a syscall counts at its entry stop), unless the tracee ended or a signal
     was delivered or stopped for first. */
  if
  :: req != 255 ->
    m_step_armed = (req == R_SINGLESTEP -> 1 : (req == R_SYSEMU_SINGLESTEP -> 2 : 0));
    m_retired = 0; m_signal_first = 0
  :: else -> skip
  fi;
  if
  :: m_step_armed ->
    m_retired = (m_retired + ev_retired > 3 -> 3 : m_retired + ev_retired);
    if
    :: ev_delivered -> m_signal_first = 1
    :: else -> skip
    fi;
    if
    :: dead -> m_step_armed = 0
    :: phase == STOPPED ->
      t_counted = m_retired + (why == W_SYSCALL_ENTER -> 1 : 0);
      if
      :: !m_signal_first && !(why == W_HANDLER_NOTIFY || (why == W_SIGNAL && stop_sig != SIGTRAP)) &&
         t_counted != 1 ->
        if
        :: m_step_armed == 1 -> A_STEP_GRANULARITY(false)
        :: else -> A_SYSEMU_STEP_GRANULARITY(false)
        fi
      :: else -> skip
      fi;
      m_step_armed = 0
    :: else -> skip
    fi
  :: else -> skip
  fi;
  if
  :: !m_step_armed -> m_retired = 0; m_signal_first = 0
  :: else -> skip
  fi;

  /* register-write-persistence: a written rax or rip holds where the transition ends, unless a
     syscall ran (rax) or the frame was replaced. */
  if
  :: req != 255 && !dead && edit == E_RAX && !ev_syscall_ran && !ev_frame_replaced ->
    A_REGISTER_WRITE_PERSISTENCE(rax == TRACER_RESULT)
  :: req != 255 && !dead && edit == E_RIP_SKIP && !ev_frame_replaced ->
    A_REGISTER_WRITE_PERSISTENCE(pc_space == pre_pc_space && pc == pre_pc + 1)
  :: else -> skip
  fi;

  /* tracee-tf-persistence: at a user instruction boundary TF is the program's own, or 1 while
     TIF_SINGLESTEP is set. */
  if
  :: op == I_POPF && !ev_frame_replaced -> m_owned_tf = (pre_stack_top & TF) != 0
  :: else -> skip
  fi;
  if
  :: ev_frame_replaced && in_handler && !pre_in_handler ->
    m_saved_owned_tf = m_owned_tf; m_owned_tf = 0
  :: ev_frame_replaced && !in_handler && pre_in_handler ->
    m_owned_tf = m_saved_owned_tf; m_saved_owned_tf = 0
  :: else -> skip
  fi;
  if
  :: phase == USER -> A_TRACEE_TF_PERSISTENCE(((rflags & TF) != 0) == ((work & WK_STEP) -> 1 : m_owned_tf))
  :: else -> skip
  fi;

  /* signal-suppression: a suppressed signal is not delivered, nor left queued, unless raised
     again (or another instance waits in the other queue). */
  if
  :: ev_suppressed ->
    t_gone = ev_suppressed & ~ev_generated & ~(pre_stop_shared -> pre_pending : pre_pending_shared);
    A_SIGNAL_SUPPRESSION(!(ev_delivered & t_gone) &&
                         !((pre_stop_shared -> pending_shared : pending) & t_gone))
  :: else -> skip
  fi;
  /* signal-injection-once: nothing is delivered that was not pending, raised or injected; an
     injected signal is delivered, pending or stopped for by the end of the transition. */
  A_SIGNAL_INJECTION_ONCE(!(ev_delivered & ~(pre_pending | pre_pending_shared | ev_generated | ev_injected)));
  if
  :: ev_injected && !dead ->
    A_SIGNAL_INJECTION_ONCE(!(ev_injected & P_USR1) || (ev_delivered & P_USR1) ||
                            ((pending | pending_shared) & P_USR1) ||
                            (phase == STOPPED && why == W_SIGNAL && stop_sig == SIGUSR1));
    A_SIGNAL_INJECTION_ONCE(!(ev_injected & P_USR2) || (ev_delivered & P_USR2) ||
                            ((pending | pending_shared) & P_USR2) ||
                            (phase == STOPPED && why == W_SIGNAL && stop_sig == SIGUSR2))
  :: else -> skip
  fi
}
#define MONITOR(req, edit, op) monitor(req, edit, op)
#else
#define MONITOR(req, edit, op) skip
#endif

/* The end of every transition: the return to user mode if a path asked for it, then the
   canonical form. */
inline finish() {
  if
  :: t_exit -> exit_to_user()
  :: else -> skip
  fi;
  canonicalize()
}

/* ---- The transitions ------------------------------------------------------------------------ */

/* Where the program can choose its next instruction: a program slot below the bound (the exit
   tail and the handler are fixed). */
#define FREE_SLOT (pc_space == PROGRAM && pc < BOUND)
/* An instruction the one-slot stack can follow, and that agrees with what a step arming already
   committed the slot to (docs/state-vector.md). */
#define CAN_RUN(op) \
  (phase == USER && FREE_SLOT && \
   (op == I_PUSHF -> stack_depth == 0 : ((op == I_POPF || op == I_OR_TF || op == I_AND_TF) -> stack_depth == 1 : true)) && \
   (peek == PEEK_POPF -> op == I_POPF : (peek == PEEK_NOT_POPF -> op != I_POPF : true)))

/* -DDUMP (with pan -DPRINTF): print every state a transition reaches, for comparing state sets */
#ifdef DUMP
#define AFTER printf("S %d %d %d %d %d %d %d %d %d %d | %d %d %d %d %d %d %d %d %d %d %d | %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d\n", \
  rax, rflags, stack_top, pc_space, pc, rbx, rsi, stack_depth, peek, rdi, \
  s_rax, s_rflags, s_stack_top, s_pc_space, s_pc, s_rbx, s_rsi, s_stack_depth, s_rdi, s_rsp_moved, s_peek, \
  rsp_moved, orig_rax, phase, why, stop_sig, stop_code, stop_op, work, entry_work, pending, trap_code, \
  in_handler, traced, tracesysgood, written, exit_value, pending_si_kernel, pending_shared, stop_shared)
#else
#define AFTER skip
#endif

#define INSN(op, imm) :: d_step { CAN_RUN(op) -> begin_step(); execute(op, imm); finish(); MONITOR(255, E_NONE, op); AFTER }

/* The rip edit skips one instruction of the program, only below the bound. */
#define EDIT_OK(edit) (edit != E_RIP_SKIP || FREE_SLOT)
/* Arming a step looks at the instruction at rip (after the edit): popf only where the program is
   still free and something is pushed; anything but popf where it is free or fixed. */
#define PEEK_OK(edit, p) \
  ((edit == E_RIP_SKIP -> PEEK_UNKNOWN : peek) != PEEK_UNKNOWN -> \
     p == (edit == E_RIP_SKIP -> PEEK_UNKNOWN : peek) : \
     (p == PEEK_NOT_POPF || (p == PEEK_POPF && stack_depth == 1 && pc_space == PROGRAM && \
                             pc + (edit == E_RIP_SKIP -> 1 : 0) < BOUND)))

#define ACT(req, sig, edit) :: d_step { phase == STOPPED && EDIT_OK(edit) -> begin_step(); resume(req, sig, edit, peek); finish(); MONITOR(req, edit, 255); AFTER }
#define STEP(req, sig, edit, p) :: d_step { phase == STOPPED && EDIT_OK(edit) && PEEK_OK(edit, p) -> begin_step(); resume(req, sig, edit, p); finish(); MONITOR(req, edit, 255); AFTER }

#define RESUME(req) \
  ACT(req, 0, E_NONE) ACT(req, SIGUSR1, E_NONE) ACT(req, SIGUSR2, E_NONE) \
  ACT(req, 0, E_ORIG_RAX) ACT(req, 0, E_RAX) ACT(req, 0, E_RIP_SKIP)
#define STEP_RESUME(req) \
  STEP(req, 0, E_NONE, PEEK_POPF) STEP(req, 0, E_NONE, PEEK_NOT_POPF) \
  STEP(req, SIGUSR1, E_NONE, PEEK_POPF) STEP(req, SIGUSR1, E_NONE, PEEK_NOT_POPF) \
  STEP(req, SIGUSR2, E_NONE, PEEK_POPF) STEP(req, SIGUSR2, E_NONE, PEEK_NOT_POPF) \
  STEP(req, 0, E_ORIG_RAX, PEEK_POPF) STEP(req, 0, E_ORIG_RAX, PEEK_NOT_POPF) \
  STEP(req, 0, E_RAX, PEEK_POPF) STEP(req, 0, E_RAX, PEEK_NOT_POPF) \
  STEP(req, 0, E_RIP_SKIP, PEEK_POPF) STEP(req, 0, E_RIP_SKIP, PEEK_NOT_POPF)

active proctype ptrace() {
end:
  do
  /* the tracer, at a stop */
  RESUME(R_CONT)
  RESUME(R_SYSCALL)
  STEP_RESUME(R_SINGLESTEP)
  RESUME(R_SYSEMU)
  STEP_RESUME(R_SYSEMU_SINGLESTEP)
  ACT(R_DETACH, 0, E_NONE)
  ACT(R_KILL, 0, E_NONE)
  /* the tracee, at a user instruction boundary: a program slot still to choose... */
  INSN(I_NOP, 0)
  INSN(I_SET_NR, NR_GETPID)
  INSN(I_SET_NR, NR_WRITE)
  INSN(I_SET_NR, NR_KILL)
  INSN(I_SET_NR, NR_EXIT_GROUP)
  INSN(I_SET_NR, -1)
  INSN(I_SET_NR, NR_INVALID)
  INSN(I_SET_ARG, ARG_USR1)
  INSN(I_SET_ARG, ARG_USR2)
  INSN(I_SYSCALL, 0)
  INSN(I_INT3, 0)
  INSN(I_CMP, 0)
  INSN(I_SETZ, 0)
  INSN(I_PUSHF, 0)
  INSN(I_OR_TF, 0)
  INSN(I_AND_TF, 0)
  INSN(I_POPF, 0)
  /* ...or a fixed one: the exit tail `nr exit_group; syscall; jmp back`, and the handler tail
     `add rsp, 8; nr rt_sigreturn; syscall; jmp back to the nr` */
  :: d_step { phase == USER && pc_space == PROGRAM && pc == BOUND -> begin_step(); execute(I_SET_NR, NR_EXIT_GROUP); finish(); MONITOR(255, E_NONE, I_SET_NR); AFTER }
  :: d_step { phase == USER && pc_space == PROGRAM && pc == BOUND + 1 -> begin_step(); execute(I_SYSCALL, 0); finish(); MONITOR(255, E_NONE, I_SYSCALL); AFTER }
  :: d_step { phase == USER && pc_space == PROGRAM && pc == BOUND + 2 -> begin_step(); execute(I_JMP, BOUND); finish(); MONITOR(255, E_NONE, I_JMP); AFTER }
  :: d_step { phase == USER && pc_space == HANDLER && pc == 0 -> begin_step(); execute(I_ADD_RSP8, 0); finish(); MONITOR(255, E_NONE, I_ADD_RSP8); AFTER }
  :: d_step { phase == USER && pc_space == HANDLER && pc == 1 -> begin_step(); execute(I_SET_NR, NR_RT_SIGRETURN); finish(); MONITOR(255, E_NONE, I_SET_NR); AFTER }
  :: d_step { phase == USER && pc_space == HANDLER && pc == 2 -> begin_step(); execute(I_SYSCALL, 0); finish(); MONITOR(255, E_NONE, I_SYSCALL); AFTER }
  :: d_step { phase == USER && pc_space == HANDLER && pc == 3 -> begin_step(); execute(I_JMP, 1); finish(); MONITOR(255, E_NONE, I_JMP); AFTER }
  od
}
