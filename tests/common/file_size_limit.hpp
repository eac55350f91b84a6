// Runs a piece of a test in a child process under RLIMIT_FSIZE with SIGXFSZ ignored, as ptmc
// runs (cli/main.cpp), so that writing past the limit fails with EFBIG instead of killing the
// test. The child's answer comes back through a pipe.
#pragma once

#include <csignal>
#include <functional>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ptmc::testing {

// What `body` returned in the child (at most 4 KiB of it), or "" if the child said nothing.
inline std::string in_child_with_file_size_limit(rlim_t limit,
                                                 const std::function<std::string()>& body) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return "";
  const pid_t pid = fork();
  if (pid == 0) {
    close(pipe_fds[0]);
    signal(SIGXFSZ, SIG_IGN);
    const rlimit fsize{limit, limit};
    setrlimit(RLIMIT_FSIZE, &fsize);
    const std::string answer = body();
    (void)!write(pipe_fds[1], answer.data(), answer.size());
    _exit(0);
  }
  close(pipe_fds[1]);
  std::string answer;
  char buf[4096];
  ssize_t n;
  while (answer.size() < sizeof buf && (n = ::read(pipe_fds[0], buf, sizeof buf)) > 0)
    answer.append(buf, static_cast<size_t>(n));
  close(pipe_fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return answer;
}

} // namespace ptmc::testing
