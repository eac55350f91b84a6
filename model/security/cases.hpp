// The attach-permission cases that run on a real kernel (Debian's Linux under QEMU, through
// kernel/security/helper.cpp) and on the model, whose predictions they are compared with
// (`ptmc security diff`). Each case is a world, a Yama scope and a few steps; what each step
// shows is written as world.hpp's format_* functions say. Standard C++ only, like world.hpp.
#pragma once

#include "model/security/world.hpp"

#include <string>
#include <vector>

namespace ptmc::security {

struct Case {
  std::string name;
  std::string world; // a World's name
  uint8_t yama = 0;  // the scope the case runs under (3 only in its own boot: it cannot be undone)
  std::vector<Label> steps;
  std::string question; // what it asks of the kernel, one line
};

// The cases that run on Linux, in the order they run. Their worlds all apply to Linux.
const std::vector<Case>& linux_cases();
// Cases for the model only: Redox's rule on the steps that show where it differs from Linux's
// (no Redox kernel runs here; these are the source's semantics, cited in model/security/rules.hpp).
const std::vector<Case>& redox_cases();
const Case* find_case(std::string_view name);

} // namespace ptmc::security
