// Running a helper program (the agent, QEMU, cpio) with its output collected and a deadline.
// The one place that spawns children for the targets.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace ptmc::kernel {

struct ChildResult {
  std::string out, err; // stdout, and stderr up to max_err bytes
  int status = -1;      // the waitpid status; -1 when the child could not be run
  bool timed_out = false;
  bool stopped = false; // `watch` asked to stop, and the child was killed
  std::optional<std::string> spawn_error;
};

// Starts argv[0] with stdin from /dev/null, stdout and stderr to out_fd and err_fd (-1: to
// /dev/null), no signal blocked and every signal at its default action, whatever the caller set
// up. Returns the pid, or -1 with *error set.
pid_t spawn_child(const std::vector<std::string>& argv, int out_fd, int err_fd, std::string* error);

// Waits for a child; returns its waitpid status, or -1.
int wait_child(pid_t pid);

// Runs argv to its end, or kills it at `timeout_s`. `watch` is called after every read and at
// least every `tick_s` seconds with the stdout so far and the seconds since the start; when it
// returns false the child is killed.
ChildResult run_child(const std::vector<std::string>& argv, double timeout_s,
                      const std::function<bool(const std::string& out, double elapsed)>& watch = {},
                      double tick_s = 1.0, size_t max_err = 1 << 20);

// The children run_child is waiting for (QEMU, agents), so that a signal ending ptmc ends them
// too: kill_running_children sends each SIGKILL and is async-signal-safe (a handler may call it).
// Without it a VM started by a ptmc that got SIGTERM would run on to its own end.
void kill_running_children() noexcept;
// Installs SIGINT and SIGTERM handlers that kill the running children, then end ptmc by the
// same signal (the default action, so the shell sees it).
void end_children_on_signals();

} // namespace ptmc::kernel
