#include "engine/spool.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <system_error>
#include <unistd.h>

namespace ptmc {

namespace {

constexpr size_t kSpoolBuffer = size_t{4} << 20;
// A spool file stays in memory until it outgrows this, so that small explorations (--dot, the
// report's graphs, tests) never write to $TMPDIR; past it, kSpoolBuffer is the write buffer.
constexpr size_t kInMemory = size_t{8} << 20;

std::string errno_text() {
  return std::strerror(errno);
}

std::string temp_dir() {
  const char* d = std::getenv("TMPDIR");
  return d && *d ? d : "/tmp";
}

void write_all(int fd, const uint8_t* p, size_t n, const char* what) {
  while (n) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      // A limit refused the write (the disk, a quota, RLIMIT_FSIZE): the errno travels with it,
      // so that ptmc exits 3 (a limit), not 2.
      if (errno == ENOSPC || errno == EFBIG || errno == EDQUOT)
        throw std::system_error(errno, std::generic_category(), what);
      throw SpoolError(std::string(what) + ": " + errno_text());
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

} // namespace

SpoolFile::SpoolFile() {
  const std::string dir = temp_dir();
  fd_ = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd_ < 0) { // a filesystem without O_TMPFILE: create and unlink at once
    std::string name = dir + "/ptmc-spool-XXXXXX";
    fd_ = ::mkstemp(name.data());
    if (fd_ < 0)
      throw SpoolError("cannot create a temporary file in " + dir + ": " + errno_text() +
                       " (set TMPDIR to a writable directory)");
    ::unlink(name.c_str());
  }
  buffer_.reserve(kSpoolBuffer);
}

SpoolFile::~SpoolFile() {
  if (fd_ >= 0) ::close(fd_);
}

SpoolFile::SpoolFile(SpoolFile&& o) noexcept
    : fd_(o.fd_), size_(o.size_), flushed_(o.flushed_), buffer_(std::move(o.buffer_)) {
  o.fd_ = -1;
  o.size_ = o.flushed_ = 0;
}

SpoolFile& SpoolFile::operator=(SpoolFile&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    size_ = o.size_;
    flushed_ = o.flushed_;
    buffer_ = std::move(o.buffer_);
    o.fd_ = -1;
    o.size_ = o.flushed_ = 0;
  }
  return *this;
}

void SpoolFile::append(const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  const size_t limit = flushed_ == 0 ? kInMemory : kSpoolBuffer;
  if (buffer_.size() + n > limit) {
    flush();
    buffer_.shrink_to_fit();
    buffer_.reserve(kSpoolBuffer);
  }
  if (n >= kSpoolBuffer) {
    write_all(fd_, p, n, "writing the engine's spool file");
    flushed_ += n;
  } else {
    buffer_.insert(buffer_.end(), p, p + n);
  }
  size_ += n;
}

void SpoolFile::flush() const {
  if (buffer_.empty()) return;
  write_all(fd_, buffer_.data(), buffer_.size(), "writing the engine's spool file");
  flushed_ += buffer_.size();
  buffer_.clear();
}

void SpoolFile::read(uint64_t offset, void* out, size_t n) const {
  if (offset + n > size_) throw SpoolError("read past the end of the engine's spool file");
  auto* p = static_cast<uint8_t*>(out);
  while (n && offset < flushed_) { // the part on disk
    const size_t want = static_cast<size_t>(std::min<uint64_t>(n, flushed_ - offset));
    const ssize_t r = ::pread(fd_, p, want, static_cast<off_t>(offset));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) throw SpoolError("reading the engine's spool file: " + errno_text());
    p += r;
    offset += static_cast<uint64_t>(r);
    n -= static_cast<size_t>(r);
  }
  if (n) std::memcpy(p, buffer_.data() + (offset - flushed_), n); // the part still in memory
}

void SpoolFile::clear() {
  buffer_.clear();
  if (::ftruncate(fd_, 0) != 0) throw SpoolError("truncating a spool file: " + errno_text());
  ::lseek(fd_, 0, SEEK_SET);
  size_ = flushed_ = 0;
}

void SpoolFile::save(BinaryWriter& w) const {
  w.u64(size_);
  std::vector<uint8_t> block(kSpoolBuffer);
  for (uint64_t at = 0; at < size_;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(block.size(), size_ - at));
    read(at, block.data(), n);
    w.bytes(block.data(), n);
    at += n;
  }
}

void SpoolFile::load(BinaryReader& r) {
  clear();
  uint64_t left = r.u64();
  std::vector<uint8_t> block(kSpoolBuffer);
  while (left) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(block.size(), left));
    r.bytes(block.data(), n);
    append(block.data(), n);
    left -= n;
  }
}

// ---- BinaryWriter, BinaryReader ---------------------------------------------------------------

BinaryWriter::~BinaryWriter() noexcept(false) {
  if (!std::uncaught_exceptions()) flush();
}

void BinaryWriter::bytes(const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  if (buffer_.size() + n > kBuffer) flush();
  if (n > kBuffer) {
    write_all(fd_, p, n, "writing a checkpoint");
    return;
  }
  buffer_.insert(buffer_.end(), p, p + n);
}

void BinaryWriter::flush() {
  write_all(fd_, buffer_.data(), buffer_.size(), "writing a checkpoint");
  buffer_.clear();
}

void BinaryReader::bytes(void* out, size_t n) {
  auto* p = static_cast<uint8_t*>(out);
  while (n) {
    if (pos_ == buffer_.size()) {
      buffer_.resize(size_t{1} << 20);
      ssize_t r;
      do r = ::read(fd_, buffer_.data(), buffer_.size());
      while (r < 0 && errno == EINTR);
      if (r < 0) throw SpoolError(what_ + ": " + errno_text());
      if (r == 0) throw SpoolError(what_ + ": the file ends early (truncated?)");
      buffer_.resize(static_cast<size_t>(r));
      pos_ = 0;
    }
    const size_t k = std::min(n, buffer_.size() - pos_);
    std::memcpy(p, buffer_.data() + pos_, k);
    pos_ += k;
    p += k;
    n -= k;
  }
}

std::string BinaryReader::str() {
  const uint64_t n = u64();
  if (n > (uint64_t{1} << 30)) throw SpoolError(what_ + ": implausible string length (corrupt?)");
  std::string s(n, '\0');
  bytes(s.data(), n);
  return s;
}

// ---- Atomic writes ------------------------------------------------------------------------------

int open_for_atomic_write(const std::string& path, std::string& temp_path) {
  temp_path = path + ".tmp";
  const int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw SpoolError("cannot write " + temp_path + ": " + errno_text());
  return fd;
}

void commit_atomic_write(int fd, const std::string& temp_path, const std::string& path) {
  if (::fsync(fd) != 0) {
    const std::string e = errno_text();
    abandon_atomic_write(fd, temp_path);
    throw SpoolError("cannot write " + temp_path + ": " + e);
  }
  ::close(fd);
  if (::rename(temp_path.c_str(), path.c_str()) != 0) {
    const std::string e = errno_text();
    ::unlink(temp_path.c_str());
    throw SpoolError("cannot rename " + temp_path + " to " + path + ": " + e);
  }
}

void abandon_atomic_write(int fd, const std::string& temp_path) {
  ::close(fd);
  ::unlink(temp_path.c_str());
}

} // namespace ptmc
