#include "kernel/subprocess.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace ptmc::kernel {

namespace {

std::string errno_message(const std::string& what, int err) {
  return what + ": " + strerror(err);
}

// Slots of the children run_child waits for; 0 is free. Lock-free atomics, so that a signal
// handler can read them.
constexpr size_t kChildSlots = 64;
std::atomic<pid_t> g_running[kChildSlots];
static_assert(std::atomic<pid_t>::is_always_lock_free);

void track(pid_t pid) {
  for (auto& slot : g_running) {
    pid_t free = 0;
    if (slot.compare_exchange_strong(free, pid)) return;
  }
  // More than kChildSlots at once: this one is not killed by a signal, only by its timeout.
}
void untrack(pid_t pid) {
  for (auto& slot : g_running) {
    pid_t mine = pid;
    if (slot.compare_exchange_strong(mine, 0)) return;
  }
}

void end_by_signal(int sig) {
  kill_running_children();
  std::signal(sig, SIG_DFL);
  raise(sig);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

} // namespace

pid_t spawn_child(const std::vector<std::string>& args, int out_fd, int err_fd,
                  std::string* error) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  if (out_fd >= 0)
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
  else
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  if (err_fd >= 0)
    posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
  else
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  // The agent's machinery blocks SIGCHLD in ptmc, for one; children must not inherit that.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    *error = errno_message("cannot run " + args[0], rc);
    return -1;
  }
  return pid;
}

int wait_child(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return status;
}

ChildResult run_child(const std::vector<std::string>& argv, double timeout_s,
                      const std::function<bool(const std::string&, double)>& watch, double tick_s,
                      size_t max_err) {
  ChildResult r;
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    r.spawn_error = errno_message("pipe", errno);
    return r;
  }
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    r.spawn_error = errno_message("pipe", errno);
    close(out_pipe[0]);
    close(out_pipe[1]);
    return r;
  }
  std::string error;
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = spawn_child(argv, out_pipe[1], err_pipe[1], &error);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (pid < 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    r.spawn_error = error;
    return r;
  }

  track(pid);
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[1 << 16];
  while (open_fds > 0) {
    const double left = timeout_s - seconds_since(t0);
    if (left <= 0) {
      r.timed_out = true;
      break;
    }
    const double wait = watch ? std::min(left, tick_s) : left;
    const int n = poll(fds, 2, static_cast<int>(wait * 1000) + 1);
    if (n < 0 && errno != EINTR) break;
    for (pollfd& p : fds) {
      if (p.fd < 0 || !(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t got = read(p.fd, buf, sizeof buf);
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (got <= 0) {
        close(p.fd);
        p.fd = -1;
        --open_fds;
        continue;
      }
      if (&p == &fds[0])
        r.out.append(buf, static_cast<size_t>(got));
      else if (r.err.size() < max_err)
        r.err.append(buf, static_cast<size_t>(got));
    }
    if (watch && !watch(r.out, seconds_since(t0))) {
      r.stopped = true;
      break;
    }
  }
  for (pollfd& p : fds)
    if (p.fd >= 0) close(p.fd);
  if (r.timed_out || r.stopped) kill(pid, SIGKILL);
  r.status = wait_child(pid);
  untrack(pid);
  return r;
}

void kill_running_children() noexcept {
  for (auto& slot : g_running)
    if (const pid_t pid = slot.load(); pid > 0) kill(pid, SIGKILL);
}

void end_children_on_signals() {
  std::signal(SIGINT, end_by_signal);
  std::signal(SIGTERM, end_by_signal);
}

} // namespace ptmc::kernel
