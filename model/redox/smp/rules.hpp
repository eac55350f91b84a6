// The rule table of the Redox SMP layer: one rule per kind of step the kernel listings are made
// of (kernel.hpp `Kind`) and per scheduler event. The line each step stands for, at each commit,
// is in the listings' own source table (kernel.cpp, printed with every counterexample step);
// docs/redox-smp-sources.md walks through them. These rules are confirmed by source only: no
// Redox kernel runs here.
#pragma once

#define PTMC_RULES_REDOX_SMP(X)                                                                    \
  X(smp_lock_acquire, effect, "spin::Mutex/RwLock lock(), read(), write() in ptrace.rs, proc.rs",  \
    "a spin lock is taken when free; until then the thread spins (no context switch)")             \
  X(smp_lock_release, effect, "guard drop in ptrace.rs, proc.rs, wait_condition.rs",               \
    "a spin lock guard is dropped")                                                                \
  X(smp_session_lookup, decision, "src/ptrace.rs sessions().get(pid)",                             \
    "the session map holds a session for the pid (the tracee's own, or the traced one)")           \
  X(smp_session_remove, effect, "src/ptrace.rs close_session",                                     \
    "close_session removes the session from the map; an Arc held elsewhere keeps it alive")        \
  X(smp_bp_match, decision, "src/ptrace.rs breakpoint_callback",                                   \
    "a stop is taken only if a breakpoint is set and its flags contain the stop's bit")            \
  X(smp_bp_reach_queue, effect, "src/ptrace.rs breakpoint_callback, SessionData::add_event",       \
    "a stop marks the breakpoint reached and queues its event")                                    \
  X(smp_send_check, decision, "src/ptrace.rs send_event",                                          \
    "an event (EVENT_CLONE) is sent only if the breakpoint's flags contain its cause")             \
  X(smp_queue_event, effect, "src/ptrace.rs send_event", "send_event queues the event")            \
  X(smp_bp_clear, effect, "src/ptrace.rs cont, close_tracee", "the breakpoint becomes None")       \
  X(smp_bp_set, effect, "src/ptrace.rs set_breakpoint; e18a8779 proc.rs write",                    \
    "the breakpoint becomes the written flags, not reached")                                       \
  X(smp_bp_read, effect, "src/ptrace.rs next_breakpoint",                                          \
    "next_breakpoint reads the flags of the breakpoint set now")                                   \
  X(smp_wait_check, decision, "src/ptrace.rs wait",                                                \
    "wait() sleeps unless the breakpoint is reached or an event is queued")                        \
  X(smp_drain_events, effect, "src/ptrace.rs recv_events; e18a8779 proc.rs read",                  \
    "the tracer's read takes every queued event")                                                  \
  X(smp_notify, effect, "src/sync/wait_condition.rs WaitCondition::notify",                        \
    "notify unblocks every context registered now and empties the list; nobody else learns of it") \
  X(smp_wc_register, effect, "src/sync/wait_condition.rs WaitCondition::wait",                     \
    "wait blocks the context and pushes it on the list (then drops the caller's guard, 2020)")     \
  X(smp_wc_resume, decision, "src/sync/wait_condition.rs WaitCondition::wait",                     \
    "after the switch: notified if no entry of ours is left, else woken by a signal")              \
  X(smp_switch_out, effect, "src/context/switch.rs switch",                                        \
    "context::switch takes the calling context off its CPU")                                       \
  X(smp_try_stop_context, effect, "src/scheme/proc.rs try_stop_context",                           \
    "set ptrace_stop, wait until the context is off its CPU, run the access, restore ptrace_stop " \
    "as the version does (never saved in a57ea6a7)")                                               \
  X(smp_unstop, effect, "src/scheme/proc.rs write, close",                                         \
    "the tracer clears the tracee's ptrace_stop")                                                  \
  X(smp_exited_check, decision, "src/ptrace.rs wait (2019); e18a8779 proc.rs read",                \
    "a request sees that the tracee's status is Exited")                                           \
  X(smp_continue_clones, effect, "src/scheme/proc.rs Handle::continue_ignored_children",           \
    "clones the tracer read EVENT_CLONE for, and does not trace, get ptrace_stop cleared")         \
  X(smp_handle, effect, "src/scheme/proc.rs handles, TraceData",                                   \
    "the trace handle's map entry and clone list, used by the tracer only")                        \
  X(smp_ignore_decide, decision, "src/arch/x86_64/interrupt/syscall.rs with_interrupt_stack",      \
    "after a PRE_SYSCALL stop the syscall runs unless the breakpoint set now has IGNORE")          \
  X(smp_syscall_body, effect, "src/arch/x86_64/interrupt/syscall.rs; src/syscall/process.rs",      \
    "the syscall itself runs: getpid, exit (no return), clone")                                    \
  X(smp_clone, effect, "src/syscall/process.rs clone",                                             \
    "clone creates a Runnable context, sends EVENT_CLONE, then freezes it if the event was sent")  \
  X(smp_return_to_user, effect, "syscall.rs syscall_instruction; exception.rs debug (iretq)",      \
    "iretq restores the saved frame, TF included")                                                 \
  X(smp_debug_trap, effect, "src/arch/x86_64/interrupt/exception.rs debug",                        \
    "#DB clears TF, runs the SINGLESTEP callback, restores TF and calls ksignal(SIGTRAP) if none") \
  X(smp_exit, effect, "src/syscall/process.rs exit; src/lib.rs ksignal; context/signal.rs",        \
    "exit: EXIT callback, files closed, status Exited, close_tracee, the last switch")             \
  X(smp_request, effect, "src/scheme/proc.rs read, write, close",                                  \
    "a tracer request on the trace or regs/int file starts and returns")                           \
  X(smp_kernel_assert, decision,                                                                   \
    "assert!/expect in proc.rs read, try_stop_context, set_breakpoint",                            \
    "the kernel's own checks on the modelled paths")                                               \
  X(smp_schedule, effect, "src/context/switch.rs update, runnable, switch",                        \
    "a Runnable context without ptrace_stop is switched in; a pending signal runs the handler")    \
  X(smp_preempt, effect, "src/arch/x86_64/interrupt/irq.rs pit",                                   \
    "the timer interrupt switches a context out, in user mode only (syscalls run with IF clear)")  \
  X(smp_signal_wake, effect, "src/context/switch.rs update",                                       \
    "a blocked context with a pending signal is unblocked (it stays on its WaitCondition list)")   \
  X(smp_kill, effect, "src/syscall/process.rs kill", "kill() queues SIGKILL on the target")
