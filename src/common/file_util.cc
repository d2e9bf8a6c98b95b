#include "common/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace holo::file {

Status WriteSynced(const std::string& path, std::string_view data, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Status::IOError("cannot create " + path + ": " + std::strerror(errno));
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = errno;
      ::close(fd);
      return Status::IOError("cannot write " + path + ": " + std::strerror(e));
    }
    off += static_cast<size_t>(n);
  }
  // An existing file keeps its mode through O_TRUNC: set it.
  if (::fchmod(fd, mode) != 0 || ::fsync(fd) != 0) {
    const int e = errno;
    ::close(fd);
    return Status::IOError("cannot sync " + path + ": " + std::strerror(e));
  }
  if (::close(fd) != 0) return Status::IOError("cannot close " + path + ": " + std::strerror(errno));
  return Status::OK();
}

}  // namespace holo::file
