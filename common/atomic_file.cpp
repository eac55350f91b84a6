#include "common/atomic_file.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ptmc {

namespace {

WriteError error_for(const std::string& what, const std::string& path, int err) {
  const bool space = err == ENOSPC || err == EFBIG || err == EDQUOT;
  return WriteError{"cannot " + what + " " + path + ": " +
                        (err != 0 ? strerror(err) : "the write failed"),
                    space};
}

// The mode open(2) with 0666 would give a new file: the umask applies.
mode_t default_mode() {
  const mode_t mask = umask(0);
  umask(mask);
  return 0666 & ~mask;
}

} // namespace

// ---- The stream buffer ----------------------------------------------------------------------

bool AtomicFile::FdBuf::drain() {
  if (!started_) {
    setp(buffer_.data(), buffer_.data() + buffer_.size());
    started_ = true;
  }
  const char* p = pbase();
  while (p < pptr()) {
    if (error_ != 0 || fd_ < 0) break;
    const ssize_t n = write(fd_, p, static_cast<size_t>(pptr() - p));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error_ = n < 0 ? errno : EIO;
      break;
    }
    p += n;
  }
  setp(buffer_.data(), buffer_.data() + buffer_.size());
  return error_ == 0 && fd_ >= 0;
}

AtomicFile::FdBuf::int_type AtomicFile::FdBuf::overflow(int_type c) {
  if (!drain()) return traits_type::eof();
  if (!traits_type::eq_int_type(c, traits_type::eof())) {
    *pptr() = traits_type::to_char_type(c);
    pbump(1);
  }
  return traits_type::not_eof(c);
}

// ---- The file -------------------------------------------------------------------------------

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  struct stat st {};
  const bool exists = stat(path_.c_str(), &st) == 0;
  if (exists && !S_ISREG(st.st_mode)) {
    fd_ = open(path_.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd_ < 0) open_error_ = error_for("write", path_, errno);
  } else {
    const size_t slash = path_.rfind('/');
    const std::string dir = slash == std::string::npos ? "" : path_.substr(0, slash + 1);
    const std::string base = slash == std::string::npos ? path_ : path_.substr(slash + 1);
    temp_ = dir + "." + base + ".ptmc-tmp.XXXXXX";
    fd_ = mkstemp(temp_.data());
    if (fd_ < 0) {
      open_error_ = error_for("create a temporary file next to", path_, errno);
      temp_.clear();
    } else {
      // mkstemp makes it 0600; give it the mode open(2) would, or the one of the file it
      // replaces.
      fchmod(fd_, exists ? (st.st_mode & 07777) : default_mode());
    }
  }
  buf_.attach(fd_);
  if (open_error_) out_.setstate(std::ios::badbit);
}

AtomicFile::~AtomicFile() {
  if (done_) return;
  if (fd_ >= 0) close(fd_);
  if (!temp_.empty()) unlink(temp_.c_str());
}

std::optional<WriteError> AtomicFile::fail(WriteError e) {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  if (!temp_.empty()) unlink(temp_.c_str());
  return e;
}

std::optional<WriteError> AtomicFile::commit() {
  done_ = true;
  if (open_error_) return fail(*open_error_);
  out_.flush();
  if (!buf_.drain() || !out_) return fail(error_for("write", path_, buf_.first_error()));
  // On disk before it is named, so that a crash after the rename cannot leave an empty file.
  if (!temp_.empty() && fsync(fd_) != 0) return fail(error_for("write", path_, errno));
  const int fd = fd_;
  fd_ = -1;
  if (close(fd) != 0) return fail(error_for("write", path_, errno));
  if (!temp_.empty() && rename(temp_.c_str(), path_.c_str()) != 0)
    return fail(error_for("replace", path_, errno));
  return std::nullopt;
}

std::optional<WriteError> write_file_atomically(const std::string& path, std::string_view content) {
  AtomicFile f(path);
  f.out().write(content.data(), static_cast<std::streamsize>(content.size()));
  return f.commit();
}

} // namespace ptmc
