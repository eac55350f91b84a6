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
};

// Whether the instruction at rip loads TF itself (popf), as far as the model has committed to
// it. A kernel that reads the instruction at rip when it arms single-stepping (Linux's step.c
// is_setting_trap_flag) commits, before the explorer has chosen that instruction, to one of two
// answers.
enum class Peek : uint8_t { unknown = 0, popf = 1, not_popf = 2 };

// One edge label, enough to replay it.
struct Label {
  enum class Who : uint8_t { tracer, tracee } who = Who::tracer;
  uint16_t index = 0; // tracer: index into tracer_domain(); tracee: index into alphabet
  Peek peek = Peek::unknown;
};

} // namespace ptmc
