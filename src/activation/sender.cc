// Sender: delivers a batch to a webhook (cpp-httplib) or appends it to a file.
#include <httplib.h>

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

#include "activation/activation.h"

namespace holo::activation {
namespace {

class DefaultSender final : public Sender {
 public:
  Status Send(const DestinationConfig& d, std::string_view batch_id, std::string_view body) override {
    return d.kind == "file" ? Append(d.path, body) : Post(d, batch_id, body);
  }

 private:
  static Status Post(const DestinationConfig& d, std::string_view batch_id, std::string_view body) {
    // scheme://host[:port] and the path after it.
    const size_t host_at = d.url.find("://");
    if (host_at == std::string::npos) return Status::InvalidArgument("bad webhook URL: " + d.url);
    const size_t path_at = d.url.find('/', host_at + 3);
    const std::string origin = d.url.substr(0, path_at);
    const std::string path = path_at == std::string::npos ? "/" : d.url.substr(path_at);
    try {  // cpp-httplib may throw (bad URL, allocation): wrapped where called
      httplib::Client client(origin);
      if (!client.is_valid()) return Status::Unavailable("webhook: cannot reach " + origin + " (unsupported URL?)");
      const time_t sec = d.timeout_ms / 1000;
      const time_t usec = static_cast<time_t>(d.timeout_ms % 1000) * 1000;
      client.set_connection_timeout(sec, usec);
      client.set_read_timeout(sec, usec);
      client.set_write_timeout(sec, usec);
      httplib::Headers headers = {{"X-Holo-Signature", Signature(d.secret, body)},
                                  {"Idempotency-Key", std::string(batch_id)},
                                  {"User-Agent", "holo-activation/1"}};
      auto res = client.Post(path, headers, std::string(body), "application/json");
      if (!res) return Status::Unavailable("webhook: " + httplib::to_string(res.error()));
      if (res->status < 200 || res->status > 299) {
        return Status::Unavailable("webhook answered HTTP " + std::to_string(res->status));
      }
      return Status::OK();
    } catch (const std::exception& e) {
      return Status::Unavailable(std::string("webhook: ") + e.what());
    }
  }

  static Status Append(const std::string& path, std::string_view body) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return Status::Unavailable("cannot open " + path + ": " + std::strerror(errno));
    size_t done = 0;
    while (done < body.size()) {
      ssize_t n = ::write(fd, body.data() + done, body.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const int e = errno;
        ::close(fd);
        return Status::Unavailable("cannot write " + path + ": " + std::strerror(e));
      }
      done += static_cast<size_t>(n);
    }
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (!synced) return Status::Unavailable("cannot sync " + path);
    return Status::OK();
  }
};

}  // namespace

std::unique_ptr<Sender> NewSender() { return std::make_unique<DefaultSender>(); }

}  // namespace holo::activation
