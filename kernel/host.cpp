// The `host` target: the batch goes to a temporary file, ptmc-agent runs it on this machine's
// kernel, and its output is read back with the protocol parser shared with the QEMU target.
#include "kernel/host.hpp"
#include "kernel/subprocess.hpp"

#include "kernel/agent_protocol.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>

extern char** environ;

namespace ptmc::kernel {

namespace {

constexpr size_t kMaxStderr = 64 * 1024;

std::string errno_text(const std::string& what, int err) {
  return what + ": " + strerror(err);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

bool write_file(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// The last lines of the agent's stderr, for messages.
std::string stderr_tail(const std::string& err) {
  std::string t = err.size() > 500 ? "..." + err.substr(err.size() - 500) : err;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  for (char& c : t)
    if (c == '\n') c = ' ';
  return t;
}

struct AgentRun {
  std::string out, err;
  int wstatus = 0;
  bool timed_out = false;
  std::optional<std::string> spawn_error;
};

AgentRun run_agent(const std::string& agent, const std::vector<std::string>& args,
                   double timeout_s) {
  std::vector<std::string> argv{agent};
  argv.insert(argv.end(), args.begin(), args.end());
  ChildResult c = run_child(argv, timeout_s, {}, 1.0, kMaxStderr);
  AgentRun r;
  r.out = std::move(c.out);
  r.err = std::move(c.err);
  r.wstatus = c.status < 0 ? 0 : c.status;
  r.timed_out = c.timed_out;
  r.spawn_error = c.spawn_error;
  return r;
}

} // namespace

std::string find_agent() {
  if (const char* env = getenv("PTMC_AGENT"); env && *env) return env;
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return "ptmc-agent";
  self[n] = '\0';
  std::string dir(self);
  const size_t slash = dir.rfind('/');
  dir = slash == std::string::npos ? "." : dir.substr(0, slash);
  return dir + "/ptmc-agent";
}

TargetResult run_on_host(const std::vector<Scenario>& batch, const TargetOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  TargetResult result;
  result.target = "host";

  auto fail_all = [&](const std::string& error) {
    result.error = error;
    result.outcomes.assign(batch.size(), Outcome{});
    for (size_t k = 0; k < batch.size(); ++k)
      result.outcomes[k].message = "host: scenario " + std::to_string(k) + ": " + error;
    result.seconds_total = seconds_since(t0);
    return result;
  };

  if (batch.empty()) {
    utsname u{};
    uname(&u);
    result.kernel_release = u.release;
    return result;
  }

  const std::string agent = find_agent();
  struct stat st {};
  if (stat(agent.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || access(agent.c_str(), X_OK) != 0)
    return fail_all(
        "the agent " + agent +
        " is missing or not executable (build the ptmc-agent target, or set PTMC_AGENT)");

  std::string text;
  for (const Scenario& s : batch) text += format_scenario(s);
  const char* tmpdir = getenv("TMPDIR");
  std::string path = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/ptmc-batch-XXXXXX";
  const int fd = mkstemp(path.data());
  if (fd < 0) return fail_all(errno_text("cannot create the batch file " + path, errno));
  const bool written = write_file(fd, text);
  close(fd);
  if (!written) {
    unlink(path.c_str());
    return fail_all("cannot write the batch file " + path);
  }

  // The whole run: every scenario could use its wait timeout, plus room for the work itself.
  const double wait = options.wait_timeout_s > 0 ? options.wait_timeout_s : 2.0;
  const double timeout = options.vm_timeout_s > 0
                             ? options.vm_timeout_s
                             : 30.0 + static_cast<double>(batch.size()) * (wait + 0.05);
  char wait_text[32];
  snprintf(wait_text, sizeof wait_text, "%g", wait);
  if (options.verbose)
    fprintf(stderr, "host: %s --timeout %s %s (%zu scenarios)\n", agent.c_str(), wait_text,
            path.c_str(), batch.size());
  const AgentRun run = run_agent(agent, {"--timeout", wait_text, path}, timeout);
  unlink(path.c_str());
  if (run.spawn_error) return fail_all(*run.spawn_error);

  AgentStream stream = parse_agent_stream(run.out, batch.size(), "host");
  result.kernel_release = stream.kernel_release;
  result.outcomes = std::move(stream.outcomes);

  std::string error;
  const std::string err_tail = stderr_tail(run.err);
  const std::string with_stderr = err_tail.empty() ? "" : " (stderr: " + err_tail + ")";
  if (run.timed_out) {
    char t[32];
    snprintf(t, sizeof t, "%g", timeout);
    error = "the agent did not finish within " + std::string(t) + "s and was killed";
  } else if (WIFSIGNALED(run.wstatus)) {
    error = "the agent was killed by signal " + std::to_string(WTERMSIG(run.wstatus)) + " (" +
            strsignal(WTERMSIG(run.wstatus)) + ")" + with_stderr;
  } else if (WIFEXITED(run.wstatus) && WEXITSTATUS(run.wstatus) != 0) {
    error = "the agent exited with code " + std::to_string(WEXITSTATUS(run.wstatus));
    error += stream.fatal.empty() ? with_stderr : ": " + stream.fatal;
  } else if (!stream.saw_header) {
    error = "the agent's output is not the agent protocol" + with_stderr;
  } else if (!stream.saw_done) {
    error = "the agent's output was cut short" + with_stderr;
  }
  if (!error.empty()) {
    result.error = error;
    for (Outcome& o : result.outcomes)
      if (o.status == OutcomeStatus::error && o.message.find(": no result") != std::string::npos)
        o.message += " (" + error + ")";
  }
  result.seconds_total = seconds_since(t0);
  return result;
}

} // namespace ptmc::kernel
