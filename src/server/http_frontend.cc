#include "server/http_frontend.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <unordered_map>

#include "common/hex.h"
#include "common/url.h"

namespace holo::server {
namespace {

using httplib::Request;
using httplib::Response;
using Clock = std::chrono::steady_clock;

thread_local bool tl_in_event_loop = false;

std::string_view Reason(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    case 507: return "Insufficient Storage";
    default: return status >= 500 ? "Internal Server Error" : "Unknown";
  }
}

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

void ParseQuery(std::string_view q, httplib::Params* params) {
  url::ForEachQueryPair(q, [&](std::string key, std::string value) { params->emplace(std::move(key), std::move(value)); });
}

enum class Dechunked { kDone, kIncomplete, kMalformed, kTooLarge };

// Decodes a chunked body (RFC 9112 7.1) from the bytes after the headers: on kDone,
// *body holds it and *used the bytes it took, trailers included.
Dechunked Dechunk(std::string_view in, size_t max_bytes, std::string* body, size_t* used) {
  body->clear();
  size_t at = 0;
  while (true) {
    size_t eol = in.find("\r\n", at);
    if (eol == std::string_view::npos) return in.size() - at > 1024 ? Dechunked::kMalformed : Dechunked::kIncomplete;
    std::string_view line = in.substr(at, eol - at);
    line = line.substr(0, line.find(';'));  // chunk extensions are ignored
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    if (line.empty() || line.size() > 15) return Dechunked::kMalformed;
    size_t size = 0;
    for (char ch : line) {
      int h = hex::DigitValue(ch);
      if (h < 0) return Dechunked::kMalformed;
      size = size * 16 + static_cast<size_t>(h);
    }
    at = eol + 2;
    if (size == 0) {  // the last chunk; then trailer lines up to an empty one
      while (true) {
        size_t end = in.find("\r\n", at);
        if (end == std::string_view::npos) return Dechunked::kIncomplete;
        bool last = end == at;
        at = end + 2;
        if (last) {
          *used = at;
          return Dechunked::kDone;
        }
      }
    }
    if (body->size() + size > max_bytes) return Dechunked::kTooLarge;
    if (in.size() < at + size + 2) return Dechunked::kIncomplete;
    if (in.substr(at + size, 2) != "\r\n") return Dechunked::kMalformed;
    body->append(in.substr(at, size));
    at += size + 2;
  }
}

// Decodes a gzip or zlib/deflate body; false when corrupt or larger than `limit`.
bool Inflate(const std::string& in, std::string* out, size_t limit) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 32) != Z_OK) return false;  // 32: detect gzip or zlib headers
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  out->clear();
  char buf[16384];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof(buf);
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    out->append(buf, sizeof(buf) - z.avail_out);
    if (out->size() > limit) break;
    if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) break;  // truncated input
  }
  inflateEnd(&z);
  return rc == Z_STREAM_END && out->size() <= limit;
}

std::string Serialize(const Response& res, bool close) {
  int status = res.status > 0 ? res.status : 200;
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(Reason(status)) + "\r\n";
  for (const auto& [k, v] : res.headers) {
    if (IEquals(k, "Content-Length") || IEquals(k, "Connection")) continue;
    out += k + ": " + v + "\r\n";
  }
  out += "Content-Length: " + std::to_string(res.body.size()) + "\r\n";
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
  out += res.body;
  return out;
}

bool IsRegexMeta(char c) { return std::strchr(".[]()*+?{}|^$\\", c) != nullptr; }

// The literal head of a regex pattern (up to its first metacharacter; a character that a
// ?, * or {} may leave out is not part of it): every match starts with it.
std::string LiteralPrefix(const std::string& pattern) {
  size_t end = 0;
  while (end < pattern.size() && !IsRegexMeta(pattern[end])) ++end;
  if (end > 0 && end < pattern.size() && std::strchr("?*{", pattern[end]) != nullptr) --end;
  return pattern.substr(0, end);
}

// The literal tail of a regex pattern (after its last metacharacter; none when the pattern
// has an alternation or the tail's first character is escaped): every match ends with it.
std::string LiteralSuffix(const std::string& pattern) {
  if (pattern.find('|') != std::string::npos) return "";
  size_t start = pattern.size();
  while (start > 0 && !IsRegexMeta(pattern[start - 1])) --start;
  if (start > 0 && pattern[start - 1] == '\\') ++start;  // "\\d": the d is not literal
  return start < pattern.size() ? pattern.substr(start) : "";
}

}  // namespace

// ---------------------------------------------------------------------------

class HttpFrontend::Workers {
 public:
  explicit Workers(size_t n) {
    for (size_t i = 0; i < std::max<size_t>(n, 1); ++i) threads_.emplace_back([this] { Run(); });
  }
  ~Workers() { Stop(); }
  void Submit(std::function<void()> job) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
  }
  // Runs what is queued, then joins.
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  void Run() {
    while (true) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

class HttpFrontend::Loop {
 public:
  Loop(HttpFrontend* fe, int listener) : fe_(fe), listener_(listener) {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    Watch(listener_, EPOLLIN, EPOLL_CTL_ADD);
    Watch(event_fd_, EPOLLIN, EPOLL_CTL_ADD);
  }
  ~Loop() {
    for (auto& [fd, c] : conns_) ::close(fd);
    ::close(event_fd_);
    ::close(ep_);
  }

  void Start() { thread_ = std::thread([this] { Run(); }); }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  void Wake() {
    uint64_t one = 1;
    ssize_t n = ::write(event_fd_, &one, sizeof(one));
    (void)n;
  }
  // From a worker: the answer of connection (fd, id).
  void Post(int fd, uint64_t id, std::string bytes, bool close) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_.push_back(Completion{fd, id, std::move(bytes), close});
    }
    Wake();
  }

 private:
  struct Conn {
    int fd = -1;
    uint64_t id = 0;
    std::string in;
    std::string out;
    size_t out_off = 0;
    bool busy = false;         // a request is with a worker
    bool close_after = false;  // close once `out` is written
    bool peer_closed = false;
    bool sent_continue = false;
    uint32_t events = 0;
    std::string remote_addr;
    int remote_port = 0;
    Clock::time_point active;
  };
  struct Completion {
    int fd;
    uint64_t id;
    std::string bytes;
    bool close;
  };

  void Watch(int fd, uint32_t events, int op) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    epoll_ctl(ep_, op, fd, &ev);
  }
  void SetEvents(Conn& c, uint32_t events) {
    if (c.events == events) return;
    c.events = events;
    Watch(c.fd, events, EPOLL_CTL_MOD);
  }

  void Run() {
    tl_in_event_loop = true;
    epoll_event evs[128];
    auto last_sweep = Clock::now();
    bool listening = true;
    while (true) {
      int n = epoll_wait(ep_, evs, 128, 100);
      for (int i = 0; i < n; ++i) {
        int fd = evs[i].data.fd;
        if (fd == listener_) {
          Accept();
        } else if (fd == event_fd_) {
          uint64_t v;
          while (::read(event_fd_, &v, sizeof(v)) > 0) {
          }
          DrainCompletions();
        } else {
          auto it = conns_.find(fd);
          if (it == conns_.end()) continue;
          Conn& c = it->second;
          if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
            if (!Read(c)) continue;
          }
          if (evs[i].events & EPOLLOUT) Flush(c);
        }
      }
      if (fe_->stopping_.load()) {
        if (listening) {
          epoll_ctl(ep_, EPOLL_CTL_DEL, listener_, nullptr);
          listening = false;
        }
        DrainCompletions();
        std::vector<int> idle;
        for (auto& [fd, c] : conns_) {
          if (!c.busy && c.out.size() == c.out_off) idle.push_back(fd);
        }
        for (int fd : idle) Close(conns_.at(fd));
        if (conns_.empty() && in_flight_ == 0) return;
      }
      auto now = Clock::now();
      if (now - last_sweep > std::chrono::seconds(1)) {
        last_sweep = now;
        std::vector<int> stale;
        for (auto& [fd, c] : conns_) {
          if (!c.busy && now - c.active > std::chrono::seconds(fe_->options_.idle_timeout_s)) stale.push_back(fd);
        }
        for (int fd : stale) Close(conns_.at(fd));
      }
    }
  }

  void Accept() {
    while (true) {
      sockaddr_in addr{};
      socklen_t len = sizeof(addr);
      int fd = accept4(listener_, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      Conn& c = conns_[fd];
      c.fd = fd;
      c.id = ++next_id_;
      char ip[INET_ADDRSTRLEN] = "";
      inet_ntop(AF_INET, &addr.sin_addr, ip, sizeof(ip));
      c.remote_addr = ip;
      c.remote_port = ntohs(addr.sin_port);
      c.active = Clock::now();
      c.events = EPOLLIN | EPOLLRDHUP;
      Watch(fd, c.events, EPOLL_CTL_ADD);
    }
  }

  // Reads what is there and handles complete requests; false if the connection closed.
  bool Read(Conn& c) {
    char buf[16384];
    while (true) {
      ssize_t n = ::recv(c.fd, buf, sizeof(buf), 0);
      if (n > 0) {
        c.in.append(buf, static_cast<size_t>(n));
        c.active = Clock::now();
        if (c.in.size() > fe_->options_.max_body_bytes + fe_->options_.max_header_bytes + 65536) break;
        // A short read drained the socket; the epoll is level-triggered, so the rest (if any
        // arrives meanwhile) is reported again. Saves a recv() that would say EAGAIN per request.
        if (static_cast<size_t>(n) < sizeof(buf)) break;
        continue;
      }
      if (n == 0) {
        c.peer_closed = true;
        break;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      Close(c);
      return false;
    }
    if (c.peer_closed && !c.busy && c.in.empty()) {
      Close(c);
      return false;
    }
    if (c.peer_closed) SetEvents(c, 0);  // level-triggered: stop hearing the end of stream
    return Parse(c);
  }

  // Answers `status` itself and closes the connection after.
  bool Refuse(Conn& c, int status, const std::string& why) {
    Response res;
    res.status = status;
    std::string code = status == 413 ? "too_large" : status == 503 ? "unavailable" : "invalid_request";
    res.set_content("{\"error\":{\"code\":\"" + code + "\",\"message\":\"" + why + "\"}}", "application/json");
    c.in.clear();
    c.out += Serialize(res, true);
    c.close_after = true;
    return Flush(c);
  }

  // Handles every complete request in c.in; false if the connection closed.
  bool Parse(Conn& c) {
    const auto& opt = fe_->options_;
    while (!c.busy && !c.close_after) {
      size_t end = c.in.find("\r\n\r\n");
      if (end == std::string::npos) {
        if (c.in.size() > opt.max_header_bytes) return Refuse(c, 431, "request headers too large");
        if (c.peer_closed) {
          Close(c);
          return false;
        }
        return true;
      }
      // On the heap: a worker takes it over without moving it, so that
      // req.matches (iterators into req.path) stay valid.
      auto owned = std::make_shared<Request>();
      Request& req = *owned;
      std::string_view head(c.in.data(), end);
      size_t line_end = head.find("\r\n");
      std::string_view line = head.substr(0, line_end);
      size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
      if (sp1 == std::string_view::npos || sp2 == sp1) return Refuse(c, 400, "malformed request line");
      req.method = std::string(line.substr(0, sp1));
      std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
      req.version = std::string(line.substr(sp2 + 1));
      req.target = std::string(target);
      size_t q = target.find('?');
      req.path = url::Decode(target.substr(0, q), false, /*keep_separators=*/true);
      if (q != std::string_view::npos) ParseQuery(target.substr(q + 1), &req.params);
      size_t length = 0;
      bool chunked = false, expect_continue = false, keep_alive = req.version == "HTTP/1.1";
      std::string encoding;
      std::string_view rest = line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 2);
      while (!rest.empty()) {
        size_t e = rest.find("\r\n");
        std::string_view h = rest.substr(0, e);
        rest = e == std::string_view::npos ? std::string_view() : rest.substr(e + 2);
        size_t colon = h.find(':');
        if (colon == std::string_view::npos) continue;
        std::string name(Trim(h.substr(0, colon)));
        std::string value(Trim(h.substr(colon + 1)));
        if (IEquals(name, "Content-Length")) {
          length = std::strtoull(value.c_str(), nullptr, 10);
        } else if (IEquals(name, "Transfer-Encoding")) {
          chunked = !IEquals(value, "identity");
        } else if (IEquals(name, "Expect")) {
          expect_continue = IEquals(value, "100-continue");
        } else if (IEquals(name, "Connection")) {
          if (IEquals(value, "close")) keep_alive = false;
          if (IEquals(value, "keep-alive")) keep_alive = true;
        } else if (IEquals(name, "Content-Encoding")) {
          encoding = value;
        }
        req.headers.emplace(std::move(name), std::move(value));
      }
      if (!chunked && length > opt.max_body_bytes) {
        return Refuse(c, 413, "request body of " + std::to_string(length) + " bytes is too large");
      }
      bool complete = c.in.size() >= end + 4 + length;
      size_t used = length;
      if (chunked) {
        switch (Dechunk(std::string_view(c.in).substr(end + 4), opt.max_body_bytes, &req.body, &used)) {
          case Dechunked::kMalformed:
            return Refuse(c, 400, "malformed chunked request body");
          case Dechunked::kTooLarge:
            return Refuse(c, 413, "chunked request body exceeds " + std::to_string(opt.max_body_bytes) + " bytes");
          case Dechunked::kIncomplete:
            complete = false;
            break;
          case Dechunked::kDone:
            complete = true;
            break;
        }
      }
      if (!complete) {
        if (expect_continue && !c.sent_continue) {
          c.sent_continue = true;
          c.out += "HTTP/1.1 100 Continue\r\n\r\n";
          if (!Flush(c)) return false;
        }
        if (c.peer_closed) {
          Close(c);
          return false;
        }
        return true;
      }
      if (!chunked) req.body = c.in.substr(end + 4, length);
      c.in.erase(0, end + 4 + used);
      c.sent_continue = false;
      if (!encoding.empty() && !IEquals(encoding, "identity")) {
        if (!IEquals(encoding, "gzip") && !IEquals(encoding, "deflate")) {
          return Refuse(c, 415, "unsupported Content-Encoding " + encoding);
        }
        std::string plain;
        if (!Inflate(req.body, &plain, opt.max_body_bytes * 8)) {
          return Refuse(c, 400, "the " + encoding + " body cannot be decoded (corrupt or too large)");
        }
        req.body = std::move(plain);
      }
      req.remote_addr = c.remote_addr;
      req.remote_port = c.remote_port;
      const bool close = !keep_alive || c.peer_closed;
      if (fe_->stopping_.load()) return Refuse(c, 503, "server is shutting down");

      bool mismatch = false;
      const RouteEntry* route = fe_->Find(&req, &mismatch);
      Response res;
      bool to_worker = route != nullptr && route->placement == kWorker;
      if (!to_worker) {
        try {
          fe_->Answer(route, mismatch, req, res);
        } catch (const DeferToWorker&) {
          to_worker = true;
        }
      }
      if (to_worker) {
        c.busy = true;
        ++in_flight_;
        SetEvents(c, c.peer_closed ? 0 : EPOLLRDHUP);
        int fd = c.fd;
        uint64_t id = c.id;
        fe_->workers_->Submit([this, fd, id, close, route, mismatch, owned] {
          Response res;
          fe_->Answer(route, mismatch, *owned, res);
          Post(fd, id, Serialize(res, close), close);
        });
        return true;
      }
      c.out += Serialize(res, close);
      c.close_after = close;
      if (!Flush(c)) return false;
    }
    return true;
  }

  void DrainCompletions() {
    std::vector<Completion> done;
    {
      std::lock_guard<std::mutex> lock(mu_);
      done.swap(done_);
    }
    for (Completion& d : done) {
      --in_flight_;
      auto it = conns_.find(d.fd);
      if (it == conns_.end() || it->second.id != d.id) continue;
      Conn& c = it->second;
      c.busy = false;
      c.out += d.bytes;
      c.close_after = c.close_after || d.close;
      c.active = Clock::now();
      if (!c.peer_closed) SetEvents(c, EPOLLIN | EPOLLRDHUP);
      if (!Flush(c)) continue;
      if (!c.in.empty() || c.peer_closed) Parse(c);
    }
  }

  // Writes what is pending; false if the connection closed.
  bool Flush(Conn& c) {
    while (c.out_off < c.out.size()) {
      ssize_t n = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
      if (n > 0) {
        c.out_off += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        SetEvents(c, (c.busy || c.peer_closed ? 0 : EPOLLIN | EPOLLRDHUP) | EPOLLOUT);
        return true;
      }
      Close(c);
      return false;
    }
    c.out.clear();
    c.out_off = 0;
    if (c.close_after || (c.peer_closed && !c.busy && c.in.empty())) {
      Close(c);
      return false;
    }
    if (c.events & EPOLLOUT) SetEvents(c, c.busy || c.peer_closed ? 0 : EPOLLIN | EPOLLRDHUP);
    return true;
  }

  void Close(Conn& c) {
    int fd = c.fd;
    epoll_ctl(ep_, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    conns_.erase(fd);
  }

  HttpFrontend* fe_;
  int listener_;
  int ep_ = -1;
  int event_fd_ = -1;
  std::thread thread_;
  std::unordered_map<int, Conn> conns_;
  uint64_t next_id_ = 0;
  size_t in_flight_ = 0;  // requests with workers (loop thread only)
  std::mutex mu_;
  std::vector<Completion> done_;
};

// ---------------------------------------------------------------------------

std::string DecodePathParam(std::string_view group) { return url::Decode(group, false); }

HttpFrontend::HttpFrontend(Options options) : options_(std::move(options)) {}

bool HttpFrontend::InEventLoop() { return tl_in_event_loop; }

HttpFrontend::~HttpFrontend() {
  Stop();
  for (int fd : listeners_) ::close(fd);
}

void HttpFrontend::Route(std::string method, const std::string& pattern, Handler handler, Placement placement) {
  routes_.push_back(RouteEntry{std::move(method), LiteralPrefix(pattern), LiteralSuffix(pattern),
                               std::regex(pattern, std::regex::ECMAScript), std::move(handler), placement});
}

const HttpFrontend::RouteEntry* HttpFrontend::Find(Request* req, bool* method_mismatch) const {
  *method_mismatch = false;
  for (const RouteEntry& r : routes_) {
    if (req->path.compare(0, r.prefix.size(), r.prefix) != 0 || !req->path.ends_with(r.suffix)) continue;
    std::smatch m;
    if (!std::regex_match(req->path, m, r.regex)) continue;
    if (r.method != req->method) {
      *method_mismatch = true;
      continue;
    }
    req->matches = std::move(m);
    return &r;
  }
  return nullptr;
}

void HttpFrontend::Answer(const RouteEntry* route, bool method_mismatch, Request& req, Response& res) const {
  if (route == nullptr) {
    res.status = method_mismatch ? 405 : 404;
  } else {
    try {
      route->handler(req, res);
    } catch (const std::exception& e) {
      res.status = 500;
      res.body.clear();
    }
    if (res.status <= 0) res.status = 200;
  }
  if (res.status >= 400 && res.body.empty() && error_handler_) error_handler_(req, res);
}

Status HttpFrontend::Bind() {
  int port = options_.port;
  for (int i = 0; i < std::max(options_.loops, 1); ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return Status::Unavailable(std::string("socket: ") + std::strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, options_.host.c_str(), &addr.sin_addr) != 1) {
      ::close(fd);
      return Status::InvalidArgument("listen address must be an IPv4 address, got '" + options_.host + "'");
    }
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd, 1024) != 0) {
      std::string why = std::strerror(errno);
      ::close(fd);
      return Status::Unavailable("cannot listen on " + options_.host + ":" + std::to_string(port) + ": " + why);
    }
    if (port == 0) {
      socklen_t len = sizeof(addr);
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
      port = ntohs(addr.sin_port);
    }
    listeners_.push_back(fd);
  }
  port_ = port;
  return Status::OK();
}

void HttpFrontend::Start() {
  workers_ = std::make_unique<Workers>(options_.workers);
  for (int fd : listeners_) loops_.push_back(std::make_unique<Loop>(this, fd));
  for (auto& l : loops_) l->Start();
}

void HttpFrontend::Stop() {
  if (stopping_.exchange(true)) return;
  for (auto& l : loops_) l->Wake();
  for (auto& l : loops_) l->Join();
  if (workers_) workers_->Stop();
}

}  // namespace holo::server
