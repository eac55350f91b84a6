// ptmc-qemu-init: /init of the initramfs that kernel/qemu.cpp boots. It sets up the little a
// static program needs (proc, sys, dev, a console), runs its own arguments as a command,
//   PROGRAM ARGS...      (everything after `--` on the kernel command line, e.g.
//                         /ptmc-agent /batch --timeout 2)
// with its output on the console (the serial port QEMU hands to ptmc), waits for it, prints
//   ptmc-qemu-init exit=N      or      ptmc-qemu-init signal=N
// and powers the machine off. The agent's protocol (kernel/agent_protocol.hpp) ignores the marker
// lines.
//
// Only POSIX calls, so the static binary stays small and has no state to set up.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

void say(const char* text) {
  size_t left = strlen(text);
  while (left > 0) {
    ssize_t n = write(STDOUT_FILENO, text, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text += n;
    left -= static_cast<size_t>(n);
  }
}

void say_errno(const char* what) {
  char line[256];
  snprintf(line, sizeof line, "ptmc-qemu-init: %s: %s\n", what, strerror(errno));
  say(line);
}

void mount_once(const char* source, const char* target, const char* type) {
  mkdir(target, 0755);
  if (mount(source, target, type, 0, nullptr) != 0 && errno != EBUSY) say_errno(target);
}

// The kernel opens /dev/console for init only when the initramfs has that node; ours has no
// device nodes (cpio runs unprivileged), so open it from devtmpfs.
void open_console() {
  if (fcntl(STDOUT_FILENO, F_GETFD) >= 0) return;
  int fd = open("/dev/console", O_RDWR | O_NOCTTY);
  if (fd < 0) return; // nowhere to say so
  for (int target = 0; target <= 2; ++target)
    if (fd != target) dup2(fd, target);
  if (fd > 2) close(fd);
}

[[noreturn]] void power_off() {
  sync();
  reboot(RB_POWER_OFF);
  say_errno("reboot");
  // Returning from init panics the kernel; with panic=-1 and -no-reboot QEMU then exits.
  _exit(1);
}

} // namespace

int main(int argc, char** argv) {
  mount_once("devtmpfs", "/dev", "devtmpfs");
  open_console();
  mount_once("proc", "/proc", "proc");
  mount_once("sysfs", "/sys", "sysfs");
  say("ptmc-qemu-init 1\n");

  if (argc < 2) {
    say("ptmc-qemu-init: no program to run (give it after -- on the kernel command line)\n");
    power_off();
  }
  std::vector<char*> args(argv + 1, argv + argc);
  args.push_back(nullptr);

  pid_t payload = fork();
  if (payload < 0) {
    say_errno("fork");
    power_off();
  }
  if (payload == 0) {
    execv(args[0], args.data());
    say_errno(args[0]);
    _exit(127);
  }

  // As pid 1 we also inherit the payload's orphans (a tracee left behind); reap them in passing.
  int status = 0;
  for (;;) {
    pid_t pid = wait(&status);
    if (pid == payload) break;
    if (pid < 0 && errno != EINTR) {
      say_errno("wait");
      power_off();
    }
  }
  char line[64];
  if (WIFEXITED(status))
    snprintf(line, sizeof line, "ptmc-qemu-init exit=%d\n", WEXITSTATUS(status));
  else
    snprintf(line, sizeof line, "ptmc-qemu-init signal=%d\n", WTERMSIG(status));
  say(line);
  power_off();
}
