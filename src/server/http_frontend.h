// HttpFrontend: the HTTP/1.1 transport of `holo serve`: a few epoll event loops
// (one listening socket each, SO_REUSEPORT) that read requests, run quick
// handlers in place and hand slow ones to a worker pool, with keep-alive.
//
//   HttpFrontend http(options);
//   http.Route("GET", R"(/api/profiles/([^/]+))", handler, HttpFrontend::kInline);
//   HttpFrontend::Route("POST", "/v1/batch", handler, HttpFrontend::kWorker);
//   HOLO_RETURN_IF_ERROR(http.Bind());
//   http.Start();  ...  http.Stop();
//
// Why not a thread per connection: at 50 keep-alive connections on two cores
// every request then costs a thread wake-up and a poll; here a loop serves all
// its ready connections per epoll_wait and a quick request costs one read and
// one write.
//
// Requests: Content-Length or chunked bodies, gzip or deflate
// Content-Encoding decoded, `Expect: 100-continue` answered; no pipelining (a
// connection's next request is read after its answer). Handlers take and fill
// httplib's Request/Response structs (path, headers, params, matches, body;
// status, headers, body).
#pragma once

#include <httplib.h>

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "holo/status.h"

namespace holo::server {

// A route group (Request::matches[i]) as text: routes match the path with %2F and %25
// still encoded, so that an id holding '/' stays one path segment.
std::string DecodePathParam(std::string_view group);

class HttpFrontend {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  enum Placement { kInline, kWorker };
  // An inline handler that would have to wait (for a lock held by a long task)
  // throws this before doing anything else; the request then runs again on a
  // worker thread. Not a std::exception, so that catch-alls let it through.
  struct DeferToWorker {};
  // True on an event-loop thread (where handlers must not wait).
  static bool InEventLoop();

  struct Options {
    std::string host = "127.0.0.1";
    int port = 0;  // 0: any free port
    int loops = 2;
    size_t workers = 32;
    size_t max_body_bytes = 2 * 1024 * 1024;  // as sent (compressed or not)
    size_t max_header_bytes = 16 * 1024;
    int idle_timeout_s = 60;
  };

  explicit HttpFrontend(Options options);
  ~HttpFrontend();
  HttpFrontend(const HttpFrontend&) = delete;
  HttpFrontend& operator=(const HttpFrontend&) = delete;

  // `pattern` is matched against the whole decoded path (std::regex); its
  // groups land in Request::matches. The first matching route wins.
  void Route(std::string method, const std::string& pattern, Handler handler, Placement placement);
  // Fills the body of error answers the frontend makes itself (404, 405, 413 ...).
  void SetErrorHandler(Handler handler) { error_handler_ = std::move(handler); }

  Status Bind();
  int port() const { return port_; }
  void Start();
  // Stops accepting, lets requests in flight finish and be answered, closes
  // every connection and joins the threads.
  void Stop();

 private:
  struct RouteEntry {
    std::string method;
    std::string prefix;  // the pattern's literal head and tail: cheap pre-checks before the regex
    std::string suffix;
    std::regex regex;
    Handler handler;
    Placement placement;
  };
  class Loop;
  class Workers;
  friend class Loop;

  // The route of `req` (its groups go to req->matches), nullptr if none; sets
  // *method_mismatch when a route matched the path but not the method.
  const RouteEntry* Find(httplib::Request* req, bool* method_mismatch) const;
  // Runs the route's handler, or answers 404/405 when there is no route.
  void Answer(const RouteEntry* route, bool method_mismatch, httplib::Request& req, httplib::Response& res) const;

  Options options_;
  std::vector<RouteEntry> routes_;
  Handler error_handler_;
  std::vector<int> listeners_;
  std::vector<std::unique_ptr<Loop>> loops_;
  std::unique_ptr<Workers> workers_;
  std::atomic<bool> stopping_{false};
  int port_ = 0;
};

}  // namespace holo::server
