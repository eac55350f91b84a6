// What every model's transition function shares with the engines: the events a transition
// reports to the property monitors, and the label of an edge.
#pragma once

#include <cstdint>

namespace ptmc {

// What happened inside one transition that a tracer cannot see but a property needs.
struct Events {
  bool kernel_tf = false;        // kernel code ran with the user single-step flag (x86 TF) set
  bool emu_syscall_ran = false;  // a syscall entered under SYSCALL_EMU was executed
  bool syscall_ran = false;      // some syscall was executed (it may have changed rax)
  bool frame_replaced = false;   // handler entry or rt_sigreturn rewrote the user frame
  bool step_armed = false;       // the resume armed single-stepping
  uint8_t retired = 0;           // user instructions completed; a syscall completes at its exit
  uint8_t generated = 0;         // pend:: bits of signals raised (kill, traps, send_sig, requeue)
  uint8_t delivered = 0;         // pend:: bits acted on: a handler entered or a default action
  uint8_t suppressed = 0;        // pend:: bits discarded at a signal-delivery-stop
  uint8_t injected = 0;          // pend:: bits the tracer injected with this resume
  uint8_t ignored_injection = 0; // pend:: bits a resume gave where the kernel ignores them
  bool writes_lost = false;      // the resume's register edits went to a frame that is dropped
  // Redox: the tracer's operations are separate from the resume, so the monitors learn what a
  // register write did, and when the tracee next ran, from these.
  bool released_by_access = false; // a register access let a frozen tracee run (2019: B4)
  bool tracee_resumed = false;     // a stopped or frozen tracee went on running
  uint8_t regs_edited = 0;         // a setregs wrote rax (bit 0) and rip (bit 1)...
  int64_t edited_rax = 0;          // ...with these values...
  uint8_t edited_space = 0, edited_pc = 0;
  bool edited_live_handler_frame = false; // ...into the live frame of a user-handled signal
};

// Whether the instruction at rip loads TF itself (popf), as far as the model has committed to
// it. A kernel that reads the instruction at rip when it arms single-stepping (Linux's step.c
// is_setting_trap_flag) commits, before the explorer has chosen that instruction, to one of two
// answers. An instruction whose exception leaves rip on it (arm64's brk) runs again on the next
// return: the explorer has chosen it already, so the commitment is to that instruction.
enum class Peek : uint8_t { unknown = 0, popf = 1, not_popf = 2, breakpoint = 3 };

// One edge label, enough to replay it.
struct Label {
  enum class Who : uint8_t { tracer, tracee } who = Who::tracer;
  uint16_t index = 0; // tracer: index into tracer_domain(); tracee: index into alphabet
  Peek peek = Peek::unknown;
};

} // namespace ptmc
