#include "ingest/line_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace holo::ingest {
namespace {

Status ErrnoStatus(const std::string& what, const std::string& path, int err) {
  std::string msg = what + " " + path + ": " + std::strerror(err);
  if (err == ENOENT) return Status::NotFound(std::move(msg));
  return Status::IOError(std::move(msg));
}

}  // namespace

Result<std::unique_ptr<LineReader>> LineReader::Open(const std::string& path,
                                                     LineReaderOptions options) {
  if (options.chunk_bytes == 0 || options.max_line_bytes == 0) {
    return Status::InvalidArgument("LineReader: chunk_bytes and max_line_bytes must be > 0");
  }
  int fd;
  if (path == kStdinPath) {
    fd = ::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0);  // ours to close; the process keeps fd 0
    if (fd < 0) return ErrnoStatus("cannot read", "standard input", errno);
    return std::unique_ptr<LineReader>(new LineReader(fd, "standard input", options));
  }
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoStatus("cannot open", path, errno);
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument("cannot read " + path + ": is a directory");
  }
  return std::unique_ptr<LineReader>(new LineReader(fd, path, options));
}

LineReader::LineReader(int fd, std::string path, LineReaderOptions options)
    : fd_(fd), path_(std::move(path)), options_(options) {
  // A pending partial line (<= max_line_bytes + 1 bytes, else it is oversized) plus one chunk.
  buf_.resize(options_.max_line_bytes + 1 + options_.chunk_bytes);
}

LineReader::~LineReader() {
  if (fd_ >= 0) ::close(fd_);
}

Status LineReader::Fill() {
  if (begin_ > 0) {
    // Keep the pending partial line at the front.
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  const size_t want = std::min(options_.chunk_bytes, buf_.size() - end_);
  ssize_t n;
  do {
    n = ::read(fd_, buf_.data() + end_, want);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return ErrnoStatus("cannot read", path_, errno);
  if (n == 0) eof_ = true;
  end_ += static_cast<size_t>(n);
  return Status::OK();
}

Status LineReader::ConsumeOversized(Line* line) {
  // buf_[begin_, end_) is the start of a line with no newline yet and more than
  // max_line_bytes + 1 bytes. Keep a prefix, then drop bytes until the newline.
  oversized_prefix_.assign(buf_.data() + begin_, options_.max_line_bytes);
  line->offset = begin_offset_;
  uint64_t length = 0;
  bool last_was_cr = false;
  while (true) {
    const char* start = buf_.data() + begin_;
    const char* nl = static_cast<const char*>(std::memchr(start, '\n', end_ - begin_));
    if (nl != nullptr) {
      const size_t n = static_cast<size_t>(nl - start);
      length += n;
      last_was_cr = n > 0 ? start[n - 1] == '\r' : last_was_cr;
      begin_ += n + 1;
      begin_offset_ += n + 1;
      break;
    }
    const size_t n = end_ - begin_;
    length += n;
    if (n > 0) last_was_cr = start[n - 1] == '\r';
    begin_offset_ += n;
    begin_ = end_ = 0;
    if (eof_) break;
    HOLO_RETURN_IF_ERROR(Fill());
    if (eof_ && end_ == 0) break;
  }
  if (last_was_cr) --length;
  line->number = next_number_++;
  line->text = oversized_prefix_;
  line->oversized = true;
  line->length = length;
  line->next_offset = begin_offset_;
  return Status::OK();
}

Result<bool> LineReader::Next(Line* line) {
  while (true) {
    const char* start = buf_.data() + begin_;
    const size_t avail = end_ - begin_;
    const char* nl = static_cast<const char*>(std::memchr(start, '\n', avail));
    if (nl == nullptr) {
      if (avail > options_.max_line_bytes + 1) {
        HOLO_RETURN_IF_ERROR(ConsumeOversized(line));
        return true;
      }
      if (!eof_) {
        HOLO_RETURN_IF_ERROR(Fill());
        continue;
      }
      if (avail == 0) return false;
      // Last line without a final newline.
      nl = start + avail;
    }
    const size_t consumed = static_cast<size_t>(nl - start) + (nl < start + avail ? 1 : 0);
    size_t len = static_cast<size_t>(nl - start);
    if (len > 0 && start[len - 1] == '\r') --len;
    const uint64_t offset = begin_offset_;
    begin_ += consumed;
    begin_offset_ += consumed;
    const uint64_t number = next_number_++;
    if (len == 0) continue;  // empty line: counted, not yielded
    line->number = number;
    line->offset = offset;
    line->oversized = len > options_.max_line_bytes;
    line->length = len;
    line->text = std::string_view(start, line->oversized ? options_.max_line_bytes : len);
    line->next_offset = begin_offset_;
    return true;
  }
}

Status LineReader::SkipTo(uint64_t byte_offset, uint64_t line_number) {
  if (line_number == 0) return Status::InvalidArgument("line numbers start at 1");
  struct stat st;
  if (::fstat(fd_, &st) != 0) return ErrnoStatus("cannot stat", path_, errno);
  if (S_ISREG(st.st_mode) && byte_offset > static_cast<uint64_t>(st.st_size)) {
    return Status::OutOfRange("resume offset " + std::to_string(byte_offset) +
                              " is beyond the end of " + path_ + " (" + std::to_string(st.st_size) +
                              " bytes)");
  }
  if (::lseek(fd_, static_cast<off_t>(byte_offset), SEEK_SET) < 0) {
    return ErrnoStatus("cannot seek in", path_, errno);
  }
  begin_ = end_ = 0;
  begin_offset_ = byte_offset;
  next_number_ = line_number;
  eof_ = false;
  return Status::OK();
}

}  // namespace holo::ingest
