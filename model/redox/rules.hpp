// The Redox kernel layer's rules, interface level: what the proc: scheme, the ptrace session and
// the syscall, exception and signal paths of redox-os/kernel do, each at the commit it was read
// at: a57ea6a7 (2019-08-21, the `ptrace-end` merge: redox-2019) or e18a8779 (2020-06-17:
// redox-2020); where only one is named, the other has the same code. docs/redox-sources.md states
// the facts; docs/redox-model.md says how the model uses them. No Redox kernel runs here: every
// rule of this layer is confirmed by source only.
#pragma once

#define PTMC_RULES_REDOX(X)                                                                        \
  X(rdx_open_trunc_freezes, effect,                                                                \
    "redox-os/kernel a57ea6a7 src/scheme/proc.rs open 248-251; e18a8779 278-281",                  \
    "opening trace with O_TRUNC sets ptrace_stop: the tracee is not scheduled until it is "        \
    "cleared")                                                                                     \
  X(rdx_word_from_bits, decision,                                                                  \
    "redox-os/kernel a57ea6a7 src/scheme/proc.rs write 473; e18a8779 535; bitflags 1.x from_bits", \
    "a flag word with a bit outside 0xFFFF fails with EINVAL and changes nothing")                 \
  X(rdx_w19_cont, decision,                                                                        \
    "redox-os/kernel a57ea6a7 src/scheme/proc.rs write 475-477; src/ptrace.rs cont 184-196",       \
    "2019: unless the word is FLAG_WAIT alone, the write clears the breakpoint and notifies the "  \
    "tracee first")                                                                                \
  X(rdx_w19_arm, decision,                                                                         \
    "redox-os/kernel a57ea6a7 src/scheme/proc.rs write 478-480; src/ptrace.rs set_breakpoint",     \
    "2019: a word with a stop bit (STOP_MASK) becomes the new breakpoint")                         \
  X(rdx_w20_arm, decision, "redox-os/kernel e18a8779 src/scheme/proc.rs write 537-544",            \
    "2020: the breakpoint becomes the word if it has a stop or event bit, else it is cleared")     \
  X(rdx_write_step_tf, effect,                                                                     \
    "redox-os/kernel a57ea6a7 src/scheme/proc.rs write 482-499, e18a8779 546-559; "                \
    "src/arch/x86_64/macros.rs set_singlestep",                                                    \
    "SINGLESTEP sets TF (rflags |= 0x100) in the frame regs_for_mut reaches")                      \
  X(rdx_write_unfreezes, effect,                                                                   \
    "redox-os/kernel a57ea6a7 src/scheme/proc.rs write 500-506; e18a8779 561-565",                 \
    "a write clears ptrace_stop")                                                                  \
  X(rdx_w20_notify, effect, "redox-os/kernel e18a8779 src/scheme/proc.rs write 567-571",           \
    "2020: the write notifies the tracee after setting the breakpoint; it never waits")            \
  X(rdx_w19_wait, decision,                                                                        \
    "redox-os/kernel a57ea6a7 src/scheme/proc.rs write 508-510; src/ptrace.rs wait 214-238",       \
    "2019: a blocking write (or one with FLAG_WAIT) waits for an event or the tracee's exit "      \
    "(ESRCH), unless the breakpoint is reached or an event is unread")                             \
  X(rdx_r19_no_wait, effect,                                                                       \
    "redox-os/kernel a57ea6a7 src/scheme/proc.rs read 371-392; src/ptrace.rs recv_events",         \
    "2019: a read returns a queued event or nothing, without waiting")                             \
  X(rdx_r20_wait, decision,                                                                        \
    "redox-os/kernel e18a8779 src/scheme/proc.rs read 412-453; src/ptrace.rs wait 241-270",        \
    "2020: a blocking read waits for a reached breakpoint or an event; then ESRCH if the tracee "  \
    "exited; with nothing to read, 0 if the breakpoint is reached, else EAGAIN")                   \
  X(rdx_a19_unfreezes, effect,                                                                     \
    "redox-os/kernel a57ea6a7 src/scheme/proc.rs try_stop_context 50-87",                          \
    "2019: every register access ends with ptrace_stop = false (was_stopped is never set: B4)")    \
  X(rdx_a20_restores, effect,                                                                      \
    "redox-os/kernel e18a8779 src/scheme/proc.rs try_stop_context 53-83",                          \
    "2020: a register access restores ptrace_stop to what it was")                                 \
  X(rdx_regs_for_backup, decision,                                                                 \
    "redox-os/kernel a57ea6a7 src/ptrace.rs regs_for 376-394, regs_for_mut 397-415",               \
    "while a signal with a default action is in delivery, register access reaches the frame in "   \
    "the kernel-stack backup that sigreturn restores; otherwise the live frame")                   \
  X(rdx_regs_load_ignores, effect,                                                                 \
    "redox-os/kernel a57ea6a7 src/arch/x86_64/macros.rs InterruptStack::load 264-288",             \
    "a register write copies the general registers and rip; rflags, cs, rsp, ss, fs are ignored")  \
  X(rdx_regs_gone_after_ksignal, decision,                                                         \
    "redox-os/kernel a57ea6a7 src/arch/x86_64/interrupt/exception.rs debug 36, breakpoint 56; "    \
    "src/ptrace.rs "                                                                               \
    "ProcessRegsGuard::drop 336-348",                                                              \
    "after #DB or #BP ends in ksignal the frame pointer is gone: register access fails with "      \
    "ENOTRECOVERABLE")                                                                             \
  X(rdx_close_session, effect,                                                                     \
    "redox-os/kernel a57ea6a7 src/scheme/proc.rs close 552-570; src/ptrace.rs 125-130",            \
    "closing the trace file ends the session and wakes the tracee")                                \
  X(rdx_close_excl_kills, decision,                                                                \
    "redox-os/kernel a57ea6a7 src/scheme/proc.rs close 559-560; e18a8779 647-649",                 \
    "with O_EXCL, close sends SIGKILL to the tracee")                                              \
  X(rdx_c19_excl_keeps_frozen, decision,                                                           \
    "redox-os/kernel a57ea6a7 src/scheme/proc.rs close 559-567",                                   \
    "2019: close clears ptrace_stop only without O_EXCL (2020 always does, e18a8779 651-655)")     \
  X(rdx_frozen_gets_no_signal, decision,                                                           \
    "redox-os/kernel a57ea6a7 src/context/switch.rs runnable 56-59",                               \
    "a tracee with ptrace_stop is never scheduled, so no signal reaches it, SIGKILL included")     \
  X(rdx_callback_matches, decision,                                                                \
    "redox-os/kernel a57ea6a7 src/ptrace.rs breakpoint_callback 244-275; e18a8779 278-315",        \
    "a callback stops only if the breakpoint contains its bit; it then marks it reached and "      \
    "queues the event")                                                                            \
  X(rdx_pre_stop, decision,                                                                        \
    "redox-os/kernel a57ea6a7 src/arch/x86_64/interrupt/syscall.rs with_interrupt_stack 25",       \
    "the PRE_SYSCALL callback runs before the syscall body")                                       \
  X(rdx_ignore_skips_syscall, decision,                                                            \
    "redox-os/kernel a57ea6a7 src/arch/x86_64/interrupt/syscall.rs 25-32",                         \
    "the body is skipped iff the PRE callback stopped and the breakpoint now set has FLAG_IGNORE") \
  X(rdx_post_stop, decision, "redox-os/kernel a57ea6a7 src/arch/x86_64/interrupt/syscall.rs 34",   \
    "the POST_SYSCALL callback runs after the body, whether it ran or was skipped")                \
  X(rdx_fmask_clears_tf, effect,                                                                   \
    "redox-os/kernel a57ea6a7 src/arch/x86_64/interrupt/syscall.rs init 10",                       \
    "SYSCALL clears TF in the kernel (IA32_FMASK 0x300; 0x200 before 788526a3)")                   \
  X(rdx_sys_write, effect,                                                                         \
    "redox-os/kernel a57ea6a7 src/syscall/mod.rs syscall 57-60 (slice check first)",               \
    "write validates the buffer first (EFAULT), then writes 1 byte to fd 0 or fails with EBADF")   \
  X(rdx_sys_getpid, effect,                                                                        \
    "redox-os/kernel a57ea6a7 src/syscall/mod.rs 94; src/syscall/process.rs getpid",               \
    "getpid returns the pid")                                                                      \
  X(rdx_sys_kill, effect, "redox-os/kernel a57ea6a7 src/syscall/process.rs kill 1198-1294",        \
    "kill(0, sig) queues sig for the caller's group (EINVAL for sig >= 0x7F), then switches")      \
  X(rdx_sys_exit, effect,                                                                          \
    "redox-os/kernel a57ea6a7 src/syscall/mod.rs 107; src/syscall/process.rs exit 1060-1171",      \
    "exit runs the EXIT callback, then ends the process with status (rdi & 0xFF) << 8")            \
  X(rdx_sys_sigreturn, effect,                                                                     \
    "redox-os/kernel a57ea6a7 src/syscall/process.rs sigreturn 1422-1434; src/context/switch.rs "  \
    "update 17-37",                                                                                \
    "sigreturn restores the frame (the whole kernel stack) from the backup; it never returns")     \
  X(rdx_sys_enosys, effect, "redox-os/kernel a57ea6a7 src/syscall/mod.rs 79, 160",                 \
    "an unknown syscall number (999, -1) fails with ENOSYS")                                       \
  X(rdx_sig_delivered_at_switch, decision,                                                         \
    "redox-os/kernel a57ea6a7 src/context/switch.rs switch 97-123, 145-156",                       \
    "a pending signal is taken when the tracee is switched in with no signal in delivery: "        \
    "kill(self) delivers inside the kill syscall")                                                 \
  X(rdx_sig_stop, decision, "redox-os/kernel a57ea6a7 src/context/signal.rs signal_handler 26",    \
    "the SIGNAL callback runs before the signal's action, with a = signal, b = handler")           \
  X(rdx_sig_ignore, decision,                                                                      \
    "redox-os/kernel a57ea6a7 src/context/signal.rs signal_handler 26-33",                         \
    "after a SIGNAL stop whose next breakpoint has FLAG_IGNORE, a signal other than SIGKILL is "   \
    "dropped: sigreturn restores the frame")                                                       \
  X(rdx_sig_default_exit, effect,                                                                  \
    "redox-os/kernel a57ea6a7 src/context/signal.rs signal_handler 98-101",                        \
    "a default action other than SIGCHLD, SIGCONT, SIGSTOP ends the process with status = signal") \
  X(rdx_sig_cont_default, effect,                                                                  \
    "redox-os/kernel a57ea6a7 src/context/signal.rs signal_handler 40-67, 120",                    \
    "SIGCONT's default action makes the process runnable; the handler then returns (sigreturn)")   \
  X(rdx_sig_handler_entry, effect,                                                                 \
    "redox-os/kernel a57ea6a7 src/context/signal.rs signal_handler 105-117; "                      \
    "src/arch/x86_64/start.rs usermode 211-260",                                                   \
    "a handled signal enters its handler with rflags = IF, the general registers 0, rdi = signal") \
  X(rdx_db_step_stop, decision,                                                                    \
    "redox-os/kernel a57ea6a7 src/arch/x86_64/interrupt/exception.rs debug 18-35",                 \
    "#DB clears TF in the frame and runs the SINGLESTEP callback; after a stop TF stays clear")    \
  X(rdx_db_ksignal, effect,                                                                        \
    "redox-os/kernel a57ea6a7 src/arch/x86_64/interrupt/exception.rs debug 32-42; src/lib.rs "     \
    "ksignal 240-251",                                                                             \
    "#DB without a SINGLESTEP stop puts TF back and exits the process with SIGTRAP (no SIGNAL "    \
    "stop)")                                                                                       \
  X(rdx_bp_stop, decision,                                                                         \
    "redox-os/kernel a57ea6a7 src/arch/x86_64/interrupt/exception.rs breakpoint 50-61",            \
    "#BP (int3) runs the BREAKPOINT callback; rip stays past the int3 (47018381 is later)")        \
  X(rdx_bp_ksignal, effect,                                                                        \
    "redox-os/kernel a57ea6a7 src/arch/x86_64/interrupt/exception.rs breakpoint 55-60",            \
    "#BP without a BREAKPOINT stop exits the process with SIGTRAP")

// relibc's Linux ptrace() on top of the proc: scheme (redox-os/relibc a5e02650). This is not a
// layer of any profile's transition function: `ptmc` applies it when it translates a Linux-API
// scenario into Redox operations (model/redox/relibc.cpp), and lists it with the others.
#define PTMC_RULES_RELIBC(X)                                                                       \
  X(rlc_open_nonblock, effect, "redox-os/relibc a5e02650 src/platform/redox/ptrace.rs 58-68",      \
    "the trace file is opened O_RDWR|O_CLOEXEC|O_NONBLOCK, without O_TRUNC or O_EXCL")             \
  X(rlc_resume_words, choice, "relibc a5e02650 src/platform/redox/ptrace.rs inner_ptrace 114-143", \
    "CONT -> 0, SINGLESTEP -> SINGLESTEP, SYSCALL -> PRE|POST, SYSEMU -> IGNORE|PRE|POST, "        \
    "SYSEMU_SINGLESTEP -> IGNORE|SINGLESTEP")                                                      \
  X(rlc_first_syscall_pre_only, decision, "relibc a5e02650 src/platform/redox/ptrace.rs 127-133",  \
    "the session's first SYSCALL or SYSEMU arms PRE only (no POST)")                               \
  X(rlc_sigcont_first, effect, "relibc a5e02650 src/platform/redox/ptrace.rs 120",                 \
    "each resume request first sends SIGCONT to the tracee")                                       \
  X(rlc_data_ignored, effect, "relibc a5e02650 src/platform/redox/ptrace.rs 114-143",              \
    "the resume's data argument (a signal to inject) is ignored")                                  \
  X(rlc_getregs_orig_rax, effect, "relibc a5e02650 src/platform/redox/ptrace.rs 144-178",          \
    "GETREGS reads regs/int and reports orig_rax = rax")                                           \
  X(rlc_setregs_rax_from_orig, effect, "relibc a5e02650 src/platform/redox/ptrace.rs 179-212",     \
    "SETREGS writes rax from the caller's orig_rax, rflags from eflags")                           \
  X(rlc_unimplemented, decision, "relibc a5e02650 src/platform/redox/ptrace.rs 213",               \
    "DETACH, KILL, GETSIGINFO, SETOPTIONS and every other request reach unimplemented!()")         \
  X(rlc_waitpid_reads_event, effect, "relibc a5e02650 src/platform/redox/mod.rs waitpid 997-1013", \
    "waitpid reads one event, then reports a stopped child as stopped by SIGSTOP")
