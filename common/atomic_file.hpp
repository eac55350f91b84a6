// Files ptmc writes (reports, --dot graphs, anything a later run or a person reads back) are
// written whole or not at all: a full disk or a file-size limit leaves the previous file in
// place, never half of a new one. Every writer of an output file goes through here.
#pragma once

#include <array>
#include <optional>
#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>

namespace ptmc {

struct WriteError {
  std::string message; // names the file and the cause, e.g. "No space left on device"
  bool out_of_space;   // ENOSPC, EFBIG (RLIMIT_FSIZE) or EDQUOT: a limit, not bad input
};

// Content goes to a temporary file in the target's directory (so that the final rename is
// atomic), which commit() flushes, fsyncs and renames over the target. Until then the target is
// untouched; on any failure, and when the object dies uncommitted, the temporary is removed.
// A target that exists and is not a regular file (/dev/stdout, /dev/full, a FIFO) cannot be
// replaced, so it is written in place, and commit() still reports a failed write.
class AtomicFile {
public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Where to write; once a write fails it stays failed, and commit() says why.
  std::ostream& out() { return out_; }
  std::optional<WriteError> commit();

private:
  // A stream buffer over a file descriptor that keeps the errno of the first failed write,
  // which an ofstream would lose.
  class FdBuf : public std::streambuf {
  public:
    void attach(int fd) { fd_ = fd; }
    bool drain();
    int first_error() const { return error_; }

  protected:
    int_type overflow(int_type c) override;
    int sync() override { return drain() ? 0 : -1; }

  private:
    int fd_ = -1;
    int error_ = 0;
    std::array<char, 1 << 16> buffer_{};
    bool started_ = false;
  };

  std::optional<WriteError> fail(WriteError e);

  std::string path_, temp_; // temp_ empty: writing in place (or the open failed)
  int fd_ = -1;
  FdBuf buf_;
  std::ostream out_{&buf_};
  std::optional<WriteError> open_error_;
  bool done_ = false;
};

// The whole file at once.
std::optional<WriteError> write_file_atomically(const std::string& path, std::string_view content);

} // namespace ptmc
