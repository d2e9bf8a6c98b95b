// The HTTP server: routes of docs/http_api.md over an Engine.
#include <httplib.h>
#include <sodium.h>
#include <simdjson.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <mutex>
#include <shared_mutex>
#include <sstream>

#include "analytics/funnel.h"
#include "common/json_writer.h"
#include "common/strings.h"
#include "common/time_util.h"
#include "holo/destinations.h"
#include "holo/stores.h"
#include "holo/recommend.h"
#include "stores/store_service.h"
#include "holo/server.h"
#include "privacy/audit_log.h"
#include "server/assets.h"
#include "server/http_frontend.h"
#include "server/ingest_writer.h"
#include "server/metrics.h"

namespace holo::server {
namespace {

using httplib::Request;
using httplib::Response;
namespace dom = simdjson::dom;

struct Principal {
  std::string name;
  std::string role;  // admin | analyst | activation
};

constexpr std::string_view kDefaultAdTraits[] = {"spending_power", "top_categories", "top_brands", "home_city",
                                                 "consent_marketing"};

void SendJson(Response& res, int status, std::string body) {
  res.status = status;
  res.set_content(std::move(body), "application/json");
}

void SendError(Response& res, int status, std::string_view code, std::string_view message) {
  std::string body;
  JsonWriter w(&body);
  w.BeginObject().Key("error").BeginObject().Key("code").String(code).Key("message").String(message);
  w.EndObject().EndObject();
  SendJson(res, status, std::move(body));
}

// What an activation token is told about a person it may not see, whether Holo knows the
// identifier or not: the same status and body, saying neither.
void SendUnavailable(Response& res) {
  SendError(res, 404, "not_found", "no person with this identifier is available for this use");
}

// A write the store refused because the disk is full (storage::Store says "disk
// full"); kResourceExhausted otherwise is a spent privacy budget (429).
bool IsDiskFull(const Status& s) {
  return s.code() == StatusCode::kResourceExhausted && s.message().find("disk full") != std::string::npos;
}

// Seconds a client should wait before retrying a request answered 503 or 507.
constexpr const char* kRetryAfterSeconds = "30";

int HttpStatusOf(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kResourceExhausted:
      return IsDiskFull(s) ? 507 : 429;
    default:
      return 500;
  }
}

std::string_view CodeOf(int http) {
  switch (http) {
    case 400:
      return "invalid_request";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 409:
      return "conflict";
    case 413:
      return "too_large";
    case 429:
      return "rate_limited";
    case 503:
      return "unavailable";
    case 507:
      return "insufficient_storage";
    default:
      return "internal";
  }
}

void SendStatus(Response& res, const Status& s) {
  int http = HttpStatusOf(s);
  // A full disk or an unwritable store: writes are refused for now, reads go on.
  if (http == 503 || http == 507) res.set_header("Retry-After", kRetryAfterSeconds);
  SendError(res, http, CodeOf(http), s.message());
}

// Ingestion errors in the shape Segment's clients expect.
void SendIngestError(Response& res, int status, std::string_view message) {
  if (status == 503 || status == 507) res.set_header("Retry-After", kRetryAfterSeconds);
  std::string body;
  JsonWriter w(&body);
  w.BeginObject().Key("success").Bool(false).Key("code").String(CodeOf(status)).Key("message").String(message);
  w.EndObject();
  SendJson(res, status, std::move(body));
}

// The user name of an HTTP Basic Authorization header, empty if none.
std::string BasicUser(const Request& req) {
  std::string h = req.get_header_value("Authorization");
  if (h.size() < 6 || strncasecmp(h.c_str(), "Basic ", 6) != 0) return "";
  std::string b64 = h.substr(6);
  std::string raw(b64.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(raw.data()), raw.size(), b64.data(), b64.size(), " \t",
                        &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
    return "";
  }
  raw.resize(len);
  return raw.substr(0, raw.find(':'));
}

// The API token of a request: "Authorization: Bearer TOKEN", or, as Segment's Profile API
// clients send it, HTTP Basic with the token as the user name.
std::string BearerToken(const Request& req) {
  std::string h = req.get_header_value("Authorization");
  if (h.size() >= 7 && strncasecmp(h.c_str(), "Bearer ", 7) == 0) return h.substr(7);
  return BasicUser(req);
}

// Per-source token buckets: `rate` events per second, one second of burst.
class RateLimiter {
 public:
  explicit RateLimiter(double rate) : rate_(rate) {}
  // Takes n events from the source's bucket; false (nothing taken) if it lacks them.
  bool Take(const std::string& source, double n) {
    if (rate_ <= 0) return true;
    auto now = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> lock(mu_);
    auto [it, fresh] = buckets_.try_emplace(source, Bucket{rate_, now});
    Bucket& b = it->second;
    b.tokens = std::min(rate_, b.tokens + rate_ * std::chrono::duration<double>(now - b.at).count());
    b.at = now;
    if (b.tokens < n && !(fresh && n > rate_)) return false;
    b.tokens -= n;
    return true;
  }

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point at;
  };
  double rate_;
  std::mutex mu_;
  std::map<std::string, Bucket> buckets_;
};

std::string Field(dom::element obj, std::string_view key) {
  std::string_view v;
  if (obj[key].get_string().get(v)) return "";
  return std::string(v);
}

class ServerImpl final : public Server {
 public:
  ServerImpl(Engine* engine, const ServerOptions& options)
      : engine_(engine),
        options_(options),
        limiter_(options.rate_limit_eps),
        writer_(engine, std::chrono::milliseconds(std::max(options.resolve_interval_ms, 10)),
                [this](const std::string& m) { Log("info", m); }, [this] { metrics_.AddResolveRun(); }) {
    options_.k = std::max<uint32_t>(options_.k, 10);
  }

  ~ServerImpl() override {
    Shutdown();
    Wait();
  }

  Status Begin() {
    HOLO_RETURN_IF_ERROR(engine_->audit().Sync(/*durable=*/false));  // no audit log, no server
    HOLO_RETURN_IF_ERROR(engine_->serving().Warm());
    ReadKeyOrigins();
    HttpFrontend::Options fo;
    fo.host = options_.host;
    fo.port = options_.port;
    fo.loops = std::max(options_.event_loops, 1);
    fo.workers = std::max<size_t>(options_.threads, 4);
    // As sent; decoded bodies are checked again. A partner upload may be larger: a little more
    // than its limit passes, so that its handler refuses (and audits) one just over it.
    fo.max_body_bytes = std::max(options_.max_request_bytes * 4, kPartnerUploadMaxBytes + 64 * 1024);
    http_ = std::make_unique<HttpFrontend>(fo);
    Routes();
    HOLO_RETURN_IF_ERROR(http_->Bind());
    port_ = http_->port();
    writer_.Start();
    http_->Start();
    syncer_ = std::thread([this] { SyncLoop(); });
    if (options_.sync_destinations) {
      engine_->destinations().SetInterrupted(false);
      destination_syncer_ = std::thread([this] { DestinationLoop(); });
    }
    ready_ = true;
    Log("info", "listening on http://" + options_.host + ":" + std::to_string(port_) + "/ data " + options_.data_dir);
    return Status::OK();
  }

  int port() const override { return port_; }

  void Shutdown() override {
    std::lock_guard<std::mutex> lock(shutdown_mu_);
    if (shut_down_) return;
    shut_down_ = true;
    ready_ = false;
    Log("info", "shutting down: finishing requests in flight");
    if (http_) http_->Stop();  // stops accepting; returns once requests in flight are answered
    writer_.Stop();  // answers what is queued; unresolved events resolve at the next start
    {
      std::lock_guard<std::mutex> l(sync_mu_);
      stop_sync_ = true;
    }
    sync_cv_.notify_all();
    if (destination_syncer_.joinable()) {  // a pass in flight stops before its next attempt
      engine_->destinations().SetInterrupted(true);
      destination_syncer_.join();
      engine_->destinations().SetInterrupted(false);
    }
    if (syncer_.joinable()) syncer_.join();
    if (Status a = engine_->audit().Sync(/*durable=*/true); !a.ok()) Log("error", "audit log sync failed: " + a.ToString());
    Log("info", "stopped");
    done_cv_.notify_all();
  }

  void Wait() override {
    std::unique_lock<std::mutex> lock(shutdown_mu_);
    done_cv_.wait(lock, [this] { return shut_down_; });
  }

 private:
  // ---- plumbing ----
  // Appends one audit entry. A failure is never silent: it is logged as an error naming
  // the action, and returned so that the caller refuses to answer (reads and exports) or
  // says that a change it made went unaudited (AuditedChange).
  Status Audit(std::string_view name, std::string_view role, std::string_view action, std::string_view target,
               int status) {
    Status a = engine_->audit().Append(name, role, action, target, status);
    if (!a.ok()) Log("error", "audit log write failed; " + std::string(action) + " not audited: " + a.ToString());
    return a;
  }
  // After a change was made: audits it, or answers 500 saying it was made but not audited.
  bool AuditedChange(Response& res, std::string_view name, std::string_view role, std::string_view action,
                     std::string_view target, int status) {
    Status a = Audit(name, role, action, target, status);
    if (a.ok()) return true;
    SendError(res, 500, "audit_failed",
              std::string(action) + " was done but could not be written to the audit log (" + a.message() +
                  "); fix the audit log before further changes");
    return false;
  }

  void Log(std::string_view level, std::string_view msg, const std::vector<std::pair<std::string, std::string>>& f = {}) {
    std::string line;
    JsonWriter w(&line);
    w.BeginObject().Key("ts").String(FormatIso8601Ms(NowMs())).Key("level").String(level).Key("msg").String(msg);
    for (const auto& [k, v] : f) w.Key(k).String(v);
    w.EndObject();
    line.push_back('\n');
    std::lock_guard<std::mutex> lock(log_mu_);
    std::fwrite(line.data(), 1, line.size(), stderr);
  }

  void SyncLoop() {
    std::unique_lock<std::mutex> lock(sync_mu_);
    for (int tick = 1; !stop_sync_; ++tick) {
      sync_cv_.wait_for(lock, std::chrono::milliseconds(50));
      Status s = engine_->audit().Sync(/*durable=*/tick % 10 == 0);
      if (!s.ok()) Log("error", s.ToString());
    }
  }

  // Scheduled destination passes: every second, each destination whose interval has passed
  // since its last pass (manual ones count) is synced, audited first as a manual sync is.
  void DestinationLoop() {
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(sync_mu_);
        if (sync_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_sync_; })) return;
      }
      auto due = engine_->destinations().DueDestinations();
      if (!due.ok()) {
        Log("error", "destination schedule: " + due.status().ToString());
        continue;
      }
      for (const std::string& name : *due) {
        if (!Audit("scheduler", "system", "destination.sync", "destination:" + name, 200).ok()) continue;
        auto report = engine_->destinations().SyncDestinations(name);
        if (report.ok()) {
          Log("info", "destination synced", {{"destination", name}, {"report", *report}});
        } else {
          Log("error", "destination sync failed", {{"destination", name}, {"error", report.status().ToString()}});
        }
      }
    }
  }

  using Handler = std::function<void(const Request&, Response&)>;

  // Wraps a handler with metrics, logs and a last-resort error answer.
  Handler Route(std::string route, Handler h) {
    Metrics::Route* series = metrics_.AddRoute(route);
    return [this, series, h = std::move(h)](const Request& req, Response& res) {
      auto t0 = std::chrono::steady_clock::now();
      try {
        h(req, res);
      } catch (const std::exception& e) {
        SendError(res, 500, "internal", e.what());
      }
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      Metrics::ObserveRequest(series, res.status, secs);
      if (options_.access_log || res.status >= 500 || secs > 1.0) {
        Log(res.status >= 500 ? "error" : "info", "request",
            {{"method", req.method}, {"path", req.path}, {"status", std::to_string(res.status)},
             {"ms", std::to_string(secs * 1000)}});
      }
    };
  }

  // The caller's API principal if its role is one of `roles`; else answers 401/403 and returns nullopt.
  // `refused`, if given, is set to the principal refused for its role (answered 403), so
  // that the caller can audit the refusal.
  std::optional<Principal> Require(const Request& req, Response& res, std::initializer_list<std::string_view> roles,
                                   std::optional<Principal>* refused = nullptr) {
    std::string token = BearerToken(req);
    if (token.empty()) {
      SendError(res, 401, "unauthorized", "missing API token: send 'Authorization: Bearer TOKEN'");
      return std::nullopt;
    }
    auto cred = Credential("token", token);
    if (!cred.ok()) {
      SendStatus(res, cred.status());
      return std::nullopt;
    }
    if (!cred->has_value()) {
      SendError(res, 401, "unauthorized", "unknown API token");
      return std::nullopt;
    }
    Principal p{(*cred)->name, (*cred)->role};
    for (std::string_view r : roles) {
      if (p.role == r) return p;
    }
    std::string allowed;
    for (std::string_view r : roles) allowed += (allowed.empty() ? "" : ", ") + std::string(r);
    SendError(res, 403, "forbidden", "role '" + p.role + "' may not use " + req.path + " (allowed: " + allowed + ")");
    if (refused != nullptr) *refused = p;
    return std::nullopt;
  }

  // A credential by its secret; known ones are remembered until a revocation through this
  // server empties the memory (DELETE /api/admin/tokens|writekeys/{id}; the CLI cannot revoke
  // while the server holds the store).
  Result<std::optional<Engine::Credential>> Credential(const std::string& kind, const std::string& secret) {
    std::string key = kind + '\n' + secret;
    {
      std::shared_lock<std::shared_mutex> lock(cred_mu_);
      auto it = cred_cache_.find(key);
      if (it != cred_cache_.end()) return std::optional<Engine::Credential>(it->second);
    }
    auto cred = engine_->serving().CheckCredential(kind, secret);
    if (cred.ok() && cred->has_value()) {
      std::unique_lock<std::shared_mutex> lock(cred_mu_);
      if (cred_cache_.size() < 100000) cred_cache_.emplace(std::move(key), **cred);
    }
    return cred;
  }

  // GET /api/admin/tokens | writekeys: every credential of the kind, never a secret.
  void ListCredentials(const Request& req, Response& res, bool token) {
    auto who = Require(req, res, {"admin"});
    if (!who) return;
    auto list = engine_->serving().ListCredentials(token ? "token" : "writekey");
    if (!list.ok()) return SendStatus(res, list.status());
    SendJson(res, 200, CredentialsJson(token ? "tokens" : "writekeys", *list));
  }
  // DELETE /api/admin/tokens|writekeys/{id or name}: revoked at once (audited).
  void RevokeCredentials(const Request& req, Response& res, bool token) {
    auto who = Require(req, res, {"admin"});
    if (!who) return;
    const std::string id = DecodePathParam(req.matches[1].str());
    const std::string action = token ? "token.revoke" : "writekey.revoke";
    auto revoked = engine_->serving().RevokeCredentials(token ? "token" : "writekey", id);
    if (Status a = Audit(who->name, who->role, action, id, revoked.ok() ? 200 : HttpStatusOf(revoked.status())); !a.ok()) {
      return SendStatus(res, a);
    }
    if (!revoked.ok()) return SendStatus(res, revoked.status());
    {
      std::unique_lock<std::shared_mutex> lock(cred_mu_);
      cred_cache_.clear();
    }
    if (!token) ReadKeyOrigins();
    SendJson(res, 200, CredentialsJson("revoked", *revoked));
  }
  static std::string CredentialsJson(std::string_view key, const std::vector<Engine::Credential>& list) {
    std::string out;
    JsonWriter w(&out);
    w.BeginObject().Key(key).BeginArray();
    for (const Engine::Credential& c : list) {
      w.BeginObject().Key("id").String(c.id).Key("name").String(c.name).Key("role").String(c.role);
      w.Key("allowedOrigins").BeginArray();
      for (const std::string& o : c.allowed_origins) w.String(o);
      w.EndArray().EndObject();
    }
    w.EndArray().EndObject();
    return out;
  }

  // ---- browsers: CORS (docs/http_api.md, "Browsers") ----
  // A write key allows a page's origin when it lists it or "*". A request without an
  // Origin header (a server, a mobile app, curl) is not a browser's and is not checked.
  static bool KeyAllowsOrigin(const Engine::Credential& cred, std::string_view origin) {
    for (const std::string& o : cred.allowed_origins) {
      if (o == "*" || o == origin) return true;
    }
    return false;
  }

  // Whether some write key allows `origin`: what a preflight, which carries no write key,
  // is answered for. The list is read at start, after a key is made through the API, and
  // again (at most every two seconds) when an origin is not on it, so that a key made by
  // `holo writekey create` in another process is seen.
  bool SomeKeyAllowsOrigin(const std::string& origin) {
    auto listed = [&] {
      std::lock_guard<std::mutex> lock(origins_mu_);
      return std::binary_search(key_origins_.begin(), key_origins_.end(), std::string("*")) ||
             std::binary_search(key_origins_.begin(), key_origins_.end(), origin);
    };
    if (listed()) return true;
    {
      std::lock_guard<std::mutex> lock(origins_mu_);
      auto now = std::chrono::steady_clock::now();
      if (now - origins_read_at_ < std::chrono::seconds(2)) return false;
      origins_read_at_ = now;
    }
    ReadKeyOrigins();
    return listed();
  }

  void ReadKeyOrigins() {
    auto origins = engine_->serving().WriteKeyOrigins();
    if (!origins.ok()) return Log("error", "reading the write keys' allowed origins: " + origins.status().ToString());
    std::lock_guard<std::mutex> lock(origins_mu_);
    key_origins_ = std::move(*origins);
    origins_read_at_ = std::chrono::steady_clock::now();
  }

  // Logs a refused browser origin once per (source, origin), so that an operator sees why
  // a site's events do not arrive without a log line per page view.
  void LogRefusedOrigin(const std::string& source, const std::string& origin, std::string_view why) {
    {
      std::lock_guard<std::mutex> lock(origins_mu_);
      if (refused_origins_.size() >= 1000 || !refused_origins_.insert(source + '\n' + origin).second) return;
    }
    Log("warn", "browser origin refused", {{"origin", origin.substr(0, 200)}, {"source", source}, {"why", std::string(why)}});
  }

  // On every answer of an ingestion path to a browser whose origin some write key
  // allows: lets the page read the answer (and Retry-After). The write key's own
  // check comes later (Ingest refuses with 403 an origin its key does not allow).
  void AddCorsHeaders(const Request& req, Response& res) {
    std::string origin = req.get_header_value("Origin");
    if (origin.empty()) return;
    res.set_header("Vary", "Origin");
    if (!SomeKeyAllowsOrigin(origin)) return;
    res.set_header("Access-Control-Allow-Origin", origin);
    res.set_header("Access-Control-Expose-Headers", "Retry-After");
  }

  // OPTIONS on an ingestion path: a browser's CORS preflight, sent before a POST with an
  // Authorization header or a JSON Content-Type. It carries no credentials, so it cannot
  // know the write key: it is answered 204 for an origin that some write key allows, and
  // 403 (no Access-Control-Allow-Origin: the browser refuses to send) for any other; the
  // POST then checks the origin against its own key.
  void Preflight(const Request& req, Response& res) {
    std::string origin = req.get_header_value("Origin");
    res.set_header("Allow", "POST, OPTIONS");
    if (origin.empty()) {  // not a browser's preflight
      res.status = 204;
      return;
    }
    res.set_header("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
    if (!SomeKeyAllowsOrigin(origin)) {
      LogRefusedOrigin("(preflight)", origin, "no write key allows this origin");
      return SendIngestError(res, 403,
                             "origin " + origin.substr(0, 200) +
                                 " is not allowed by any write key: make one with `holo writekey create SOURCE "
                                 "--allow-origin " + origin.substr(0, 200) + "` (docs/http_api.md, Browsers)");
    }
    // The SDKs send Content-Type, Authorization (Basic), AnonymousId (RudderStack) and
    // X-Retry-Count (Segment); other requested headers are allowed too: the POST checks
    // the write key and the origin, whatever headers come with it.
    std::string headers = "Content-Type, Authorization, AnonymousId, X-Retry-Count, Content-Encoding";
    std::string asked = req.get_header_value("Access-Control-Request-Headers");
    if (!asked.empty() && asked.size() < 1000 &&
        asked.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_, ") ==
            std::string::npos) {
      headers += ", " + asked;
    }
    res.status = 204;
    res.set_header("Access-Control-Allow-Origin", origin);
    res.set_header("Access-Control-Allow-Methods", "POST, OPTIONS");
    res.set_header("Access-Control-Allow-Headers", headers);
    res.set_header("Access-Control-Max-Age", "7200");  // Chromium's ceiling
  }

  // The write key of an ingestion request: the HTTP Basic user name, else the body's
  // "writeKey" (analytics.js puts it there), else the "writeKey" query parameter (a
  // beacon: navigator.sendBeacon cannot set headers).
  static std::string WriteKeyOf(const Request& req, std::optional<dom::element> root) {
    std::string key = BasicUser(req);
    if (key.empty() && root.has_value()) key = Field(*root, "writeKey");
    if (key.empty()) key = req.get_param_value("writeKey");
    return key;
  }

  // ---- ingestion ----
  void Ingest(const Request& req, Response& res, std::string_view implied_type) {
    AddCorsHeaders(req, res);
    if (!ready_) return SendIngestError(res, 503, "server is not ready or shutting down");
    const std::string& body = req.body;
    if (body.size() > options_.max_request_bytes) {
      return SendIngestError(res, 413, "request body of " + std::to_string(body.size()) + " bytes exceeds " +
                           std::to_string(options_.max_request_bytes));
    }
    thread_local dom::parser parser;
    dom::element root;
    if (auto err = parser.parse(body).get(root)) {
      return RejectBody(req, res, implied_type, std::string("invalid JSON: ") + simdjson::error_message(err));
    }
    if (!root.is_object()) return RejectBody(req, res, implied_type, "the body must be a JSON object");
    std::string key = WriteKeyOf(req, root);
    if (key.empty()) {
      return SendIngestError(res, 401,
                             "missing write key: send it as the HTTP Basic user name, as \"writeKey\" in the body "
                             "or as the writeKey query parameter");
    }
    auto cred = Credential("writekey", key);
    if (!cred.ok()) return SendIngestError(res, HttpStatusOf(cred.status()), cred.status().message());
    if (!cred->has_value()) return SendIngestError(res, 401, "unknown write key");
    const std::string source = (*cred)->name;
    // A browser page (it sends Origin) may use the key only from an origin the key allows:
    // refused with 403, logged, counted as rejected, never stored.
    if (std::string origin = req.get_header_value("Origin"); !origin.empty() && !KeyAllowsOrigin(**cred, origin)) {
      LogRefusedOrigin(source, origin, "the write key does not allow this origin");
      metrics_.AddEvents(source, 0, 1);
      return SendIngestError(res, 403,
                             "the write key of source '" + source + "' does not allow origin " + origin.substr(0, 200) +
                                 ": make a key with `holo writekey create " + source + " --allow-origin " +
                                 origin.substr(0, 200) + "` (docs/http_api.md, Browsers)");
    }

    // The request's messages as text, each checked for size.
    std::vector<std::string> texts;
    std::vector<std::string> early;  // per message: why it is rejected before parsing
    std::vector<std::string> ids;    // per message: its messageId, to name it when rejected
    if (!implied_type.empty()) {
      if (body.size() > options_.max_message_bytes) {
        return SendIngestError(res, 413, "message of " + std::to_string(body.size()) + " bytes exceeds " +
                             std::to_string(options_.max_message_bytes));
      }
      texts.push_back(body);
      early.emplace_back();
      ids.push_back(Field(root, "messageId"));
    } else {
      dom::array batch;
      if (root["batch"].get_array().get(batch) || batch.size() == 0) {
        return RejectBody(req, res, implied_type, "the body must hold \"batch\": a non-empty array of messages");
      }
      for (dom::element m : batch) {
        texts.push_back(simdjson::to_string(m));
        ids.push_back(m.is_object() ? Field(m, "messageId") : "");
        if (!m.is_object()) {
          early.emplace_back("message is not a JSON object");
        } else if (texts.back().size() > options_.max_message_bytes) {
          early.push_back("message of " + std::to_string(texts.back().size()) + " bytes exceeds " +
                          std::to_string(options_.max_message_bytes));
          texts.back().resize(std::min<size_t>(texts.back().size(), 4096));
        } else {
          early.emplace_back();
        }
      }
    }
    if (!limiter_.Take(source, static_cast<double>(texts.size()))) {
      res.set_header("Retry-After", "1");
      return SendIngestError(res, 429, "source '" + source + "' exceeds " + std::to_string(options_.rate_limit_eps) + " events/s");
    }
    const std::string origin = "http " + req.method + " " + req.path;  // no client address: it is personal data
    std::vector<MessageInput> inputs;
    for (size_t i = 0; i < texts.size(); ++i) {
      inputs.push_back(MessageInput{source, texts[i], implied_type, origin, early[i]});
    }
    IngestWriter::Request wr;
    Status prepared = engine_->PrepareMessages(inputs, &wr.prepared);  // parse here, in parallel with others
    if (!prepared.ok()) return SendIngestError(res, HttpStatusOf(prepared), prepared.message());
    IngestWriter::Answer answer = writer_.Submit(std::move(wr));
    if (!answer.status.ok()) return SendIngestError(res, HttpStatusOf(answer.status), answer.status.message());

    uint64_t stored = 0, duplicates = 0;
    std::string rejected;
    JsonWriter rw(&rejected);
    rw.BeginArray();
    size_t n_rejected = 0;
    std::string first_error;
    for (size_t i = 0; i < answer.outcomes.size(); ++i) {
      const MessageOutcome& o = answer.outcomes[i];
      if (o.kind == MessageOutcome::Kind::kStored) ++stored;
      if (o.kind == MessageOutcome::Kind::kDuplicate) ++duplicates;
      if (o.kind != MessageOutcome::Kind::kRejected) continue;
      ++n_rejected;
      if (first_error.empty()) first_error = o.error;
      rw.BeginObject().Key("index").Uint(i);
      if (!ids[i].empty()) rw.Key("messageId").String(ids[i]);
      rw.Key("error").String(o.error).EndObject();
    }
    rw.EndArray();
    metrics_.AddEvents(source, stored + duplicates, n_rejected);
    if (n_rejected == answer.outcomes.size()) {
      std::string msg = implied_type.empty() ? "every message of the batch is invalid; the first: " + first_error
                                             : first_error;
      std::string out;
      JsonWriter w(&out);
      w.BeginObject().Key("success").Bool(false).Key("code").String("invalid_request").Key("message").String(msg);
      w.Key("rejected").RawValue(rejected).EndObject();
      return SendJson(res, 400, std::move(out));
    }
    std::string out;
    JsonWriter w(&out);
    w.BeginObject().Key("success").Bool(true).Key("accepted").Uint(stored + duplicates);
    w.Key("duplicates").Uint(duplicates).Key("rejected").RawValue(rejected).EndObject();
    SendJson(res, 200, std::move(out));
  }

  // Answers 400 for a body that holds no message, and dead-letters it (its first 64 KiB)
  // when it came with a valid write key in the Basic user name or the writeKey query
  // parameter (from an origin the key allows, if from a browser); an unauthenticated body
  // is only refused.
  void RejectBody(const Request& req, Response& res, std::string_view implied_type, const std::string& why) {
    std::string key = WriteKeyOf(req, std::nullopt);
    auto cred = key.empty() ? Result<std::optional<Engine::Credential>>(std::nullopt) : Credential("writekey", key);
    const std::string origin = req.get_header_value("Origin");
    if (cred.ok() && cred->has_value() && (origin.empty() || KeyAllowsOrigin(**cred, origin))) {
      const std::string origin = "http " + req.method + " " + req.path;  // no client address: it is personal data
      PreparedMessages none;
      Status s = engine_->PrepareMessages({MessageInput{(*cred)->name, req.body, implied_type, origin, why}}, &none);
      if (!s.ok()) Log("error", "dead letter failed: " + s.ToString());
      metrics_.AddEvents((*cred)->name, 0, 1);
    }
    SendIngestError(res, 400, why);
  }

  // ---- profiles ----
  // On an event loop, which must not wait: while the engine applies a change to its
  // audience state (a resolve's rebuilt rows, a new segment), a request that reads it
  // moves to a worker thread, which waits. Called first, before anything is done.
  void DeferIfAudienceBusy() {
    if (!HttpFrontend::InEventLoop()) return;
    if (engine_->serving().SegmentsOf(0, /*wait=*/false).status().code() == StatusCode::kUnavailable) {
      throw HttpFrontend::DeferToWorker();
    }
  }

  // Resolves the {id} of a profile route and checks the activation role's consent.
  // An activation token gets one answer, byte for byte, for an identifier Holo does not
  // know and for a person the consent policy does not allow for activation (SendUnavailable),
  // so its look-ups cannot tell who is in the store. The audit entry keeps the true reason
  // (404 or 403); admins get the precise answers.
  std::optional<uint64_t> Person(const Request& req, Response& res, const Principal& who, std::string_view action,
                                 size_t id_match = 1) {
    const bool activation = who.role == "activation";  // the consent policy's "activation" use (docs/privacy.md)
    std::string id = DecodePathParam(req.matches[id_match].str());
    auto oneid = engine_->serving().ResolveId(id);
    if (!oneid.ok()) {
      // Not the raw id: the audit log outlives erasures (docs/privacy.md).
      const size_t colon = id.find(':');
      Status a = Audit(who.name, who.role, action,
                       colon == std::string::npos ? "unknown" : "unknown:" + id.substr(0, colon),
                       HttpStatusOf(oneid.status()));
      if (!a.ok()) {
        SendStatus(res, a);
      } else if (activation && oneid.status().code() == StatusCode::kNotFound) {
        SendUnavailable(res);
      } else {
        SendStatus(res, oneid.status());
      }
      return std::nullopt;
    }
    if (activation) {
      auto allowed = engine_->privacy().ConsentAllows(*oneid, "activation");
      if (!allowed.ok() || !*allowed) {
        Status a = Audit(who.name, who.role, action, "oneid:" + std::to_string(*oneid), allowed.ok() ? 403 : 500);
        if (!a.ok()) {
          SendStatus(res, a);
        } else if (!allowed.ok()) {
          SendStatus(res, allowed.status());
        } else {
          SendUnavailable(res);
        }
        return std::nullopt;
      }
    }
    Status a = Audit(who.name, who.role, action, "oneid:" + std::to_string(*oneid), 200);
    if (!a.ok()) {  // no audit, no answer
      SendStatus(res, a);
      return std::nullopt;
    }
    return *oneid;
  }

  void Profile(const Request& req, Response& res) {
    DeferIfAudienceBusy();  // first: nothing done yet if the request moves to a worker
    auto who = Require(req, res, {"admin", "activation"});
    if (!who) return;
    auto oneid = Person(req, res, *who, "profile.read");
    if (!oneid) return;
    auto json = engine_->serving().ProfileJsonFor(*oneid, who->role == "activation" ? "activation" : "");
    if (!json.ok()) return SendStatus(res, json.status());
    std::vector<std::string> segments;
    if (auto s = engine_->serving().SegmentsOf(*oneid); s.ok()) segments = std::move(*s);
    std::string out;
    JsonWriter w(&out);
    w.BeginObject().Key("oneid").Uint(*oneid).Key("profile").RawValue(*json).Key("segments").BeginArray();
    for (const auto& s : segments) w.String(s);
    w.EndArray().EndObject();
    SendJson(res, 200, std::move(out));
  }

  void Traits(const Request& req, Response& res) {
    DeferIfAudienceBusy();  // first: nothing done yet if the request moves to a worker
    auto who = Require(req, res, {"admin", "activation"});
    if (!who) return;
    auto oneid = Person(req, res, *who, "profile.traits");
    if (!oneid) return;
    std::vector<std::string> names = SplitNonEmpty(req.get_param_value("names"), ',');
    if (req.get_param_value("names").empty()) {
      for (std::string_view n : kDefaultAdTraits) names.emplace_back(n);
    }
    auto json = engine_->serving().TraitsJson(*oneid, names, who->role == "activation" ? "activation" : "");
    if (!json.ok()) return SendStatus(res, json.status());
    SendJson(res, 200, std::move(*json));
  }

  // GET /api/profiles/{id}/recommendations?k=10&domain=D (docs/http_api.md): the person's
  // recommendations with their explanations, only under their consent to personalization
  // (the "recommendation" use); an activation token asking for someone without it gets the
  // same 404 as for someone unknown.
  void Recommendations(const Request& req, Response& res) {
    // On an event loop only when the model and the person's history are in memory (tens of
    // microseconds); a first request of someone reads their events on a worker. Decided
    // first, before anything is done or audited.
    if (HttpFrontend::InEventLoop()) {
      auto id = engine_->serving().ResolveId(DecodePathParam(req.matches[1].str()));
      if (!id.ok() || !engine_->recommend().InMemory(*id)) throw HttpFrontend::DeferToWorker();
    }
    auto who = Require(req, res, {"admin", "activation"});
    if (!who) return;
    auto oneid = Person(req, res, *who, "profile.recommendations");
    if (!oneid) return;
    size_t k = 10;
    if (req.has_param("k")) {
      const std::string v = req.get_param_value("k");
      char* end = nullptr;
      const unsigned long n = std::strtoul(v.c_str(), &end, 10);
      if (v.empty() || end == nullptr || *end != '\0' || n < 1 || n > 100) {
        return SendError(res, 400, "invalid_request", "k must be a whole number from 1 to 100");
      }
      k = n;
    }
    if (who->role == "activation") {  // the recommendation use, checked as Person() checks activation
      auto allowed = engine_->privacy().ConsentAllows(*oneid, "recommendation");
      if (!allowed.ok()) return SendStatus(res, allowed.status());
      if (!*allowed) return SendUnavailable(res);
    }
    auto json = engine_->recommend().RecommendationsJson(*oneid, k, req.get_param_value("domain"));
    if (!json.ok()) return SendStatus(res, json.status());
    SendJson(res, 200, std::move(*json));
  }

  // GET /api/recommend/model: what the store's model is (admin).
  void RecommendModel(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin"});
    if (!who) return;
    auto json = engine_->recommend().ModelJson();
    if (!json.ok()) return SendStatus(res, json.status());
    SendJson(res, 200, std::move(*json));
  }

  // POST /api/lookalikes {"seed", "size", "name"?, "exclude_traits"?: [..]} (admin): a
  // look-alike audience; with a name it is saved as a segment (201), else only reported (200).
  void CreateLookalike(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin"});
    if (!who) return;
    thread_local dom::parser parser;
    dom::element root;
    if (parser.parse(req.body).get(root) || !root.is_object()) {
      return SendError(res, 400, "invalid_request", "the body must be {\"seed\": ..., \"size\": N, \"name\": ...}");
    }
    LookalikeRequest request;
    request.seed = Field(root, "seed");
    request.name = Field(root, "name");
    int64_t size = 0;
    if (request.seed.empty() || root["size"].get_int64().get(size) || size < 1) {
      return SendError(res, 400, "invalid_request", "\"seed\" (a segment or expression) and \"size\" (a positive number) are required");
    }
    request.size = static_cast<uint64_t>(size);
    dom::array excluded;
    if (!root["exclude_traits"].get_array().get(excluded)) {
      for (dom::element e : excluded) {
        std::string_view t;
        if (e.get_string().get(t)) return SendError(res, 400, "invalid_request", "\"exclude_traits\" must be an array of trait names");
        request.exclude_traits.emplace_back(t);
      }
    }
    Result<std::string> json = Status::Internal("not run");
    Status s = writer_.RunExclusive([&] {
      json = engine_->recommend().Lookalike(request);
      return json.status();
    });
    Status a = Audit(who->name, who->role, "segment.lookalike", request.name.empty() ? "report" : "segment:" + request.name,
                     s.ok() ? (request.name.empty() ? 200 : 201) : HttpStatusOf(s));
    if (!a.ok()) return SendStatus(res, a);
    if (!s.ok()) return SendStatus(res, s);
    SendJson(res, request.name.empty() ? 200 : 201, std::move(*json));
  }

  void Events(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin", "activation"});
    if (!who) return;
    auto oneid = Person(req, res, *who, "profile.events");
    if (!oneid) return;
    uint64_t before = 0;
    size_t limit = 50;
    try {
      if (req.has_param("before")) before = std::stoull(req.get_param_value("before"));
      if (req.has_param("limit")) limit = std::stoul(req.get_param_value("limit"));
    } catch (const std::exception&) {
      return SendError(res, 400, "invalid_request", "before and limit must be non-negative integers");
    }
    // order=time: by event time, paged with ?cursor= (docs/http_api.md); else by arrival.
    const std::string order = req.get_param_value("order");
    if (!order.empty() && order != "time" && order != "arrival") {
      return SendError(res, 400, "invalid_request", "order must be time or arrival");
    }
    const std::string_view use = who->role == "activation" ? "activation" : "";
    if (order != "time" && req.has_param("cursor")) {
      return SendError(res, 400, "invalid_request", "cursor pages order=time; by arrival, page with before");
    }
    auto json = order == "time" ? engine_->serving().ProfileTimelineJson(*oneid, req.get_param_value("cursor"), limit, use)
                                : engine_->serving().ProfileEventsJson(*oneid, before, limit, use);
    if (!json.ok()) return SendStatus(res, json.status());
    SendJson(res, 200, std::move(*json));
  }

  // ---- Segment's Profile API shape (docs/http_api.md "Profile API") ----
  // /v1/spaces/{space}/collections/users/profiles/{id}/traits|external_ids|events: the same
  // people, consent gating and audit as /api/profiles/{id}, in the shape Segment's clients read.
  // A cursor object {"url", "has_more", "next"}; `next` is passed back as ?next=.
  static void WriteCursor(JsonWriter& w, const Request& req, bool has_more, const std::string& next) {
    w.Key("cursor").BeginObject().Key("url").String(req.path).Key("has_more").Bool(has_more);
    w.Key("next").String(next).EndObject();
  }
  static size_t LimitParam(const Request& req, size_t fallback, size_t most) {
    const std::string v = req.get_param_value("limit");
    char* end = nullptr;
    const unsigned long n = v.empty() ? fallback : std::strtoul(v.c_str(), &end, 10);
    return std::clamp<size_t>(v.empty() || (end != nullptr && *end == '\0') ? n : fallback, 1, most);
  }
  // The stored profile of the person the path names, as the caller's role may see it.
  std::optional<std::pair<uint64_t, std::string>> ProfileForApi(const Request& req, Response& res, std::string_view action,
                                                                const Principal& who) {
    auto oneid = Person(req, res, who, action, 2);
    if (!oneid) return std::nullopt;
    auto json = engine_->serving().ProfileJsonFor(*oneid, who.role == "activation" ? "activation" : "");
    if (!json.ok()) {
      SendStatus(res, json.status());
      return std::nullopt;
    }
    return std::make_pair(*oneid, std::move(*json));
  }

  void ProfileApiTraits(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin", "activation"});
    if (!who) return;
    auto profile = ProfileForApi(req, res, "profile.traits", *who);
    if (!profile) return;
    thread_local dom::parser parser;
    dom::element root, traits;
    if (parser.parse(profile->second).get(root) || root["traits"].get(traits) || !traits.is_object()) {
      return SendError(res, 500, "internal", "the stored profile has no traits object");
    }
    const std::vector<std::string> include = SplitNonEmpty(req.get_param_value("include"), ',');  // only these
    // Set traits only (Segment leaves unset ones out), by name, from ?next= on.
    std::vector<std::pair<std::string, std::string>> set;
    for (auto [key, value] : dom::object(traits)) {
      if (value.is_null()) continue;
      if (value.is_array() && dom::array(value).size() == 0) continue;
      const std::string name(key);
      if (!include.empty() && std::find(include.begin(), include.end(), name) == include.end()) continue;
      set.emplace_back(name, simdjson::minify(value));
    }
    std::sort(set.begin(), set.end());
    const std::string from = req.get_param_value("next");
    const size_t limit = LimitParam(req, 10, 200);
    std::string out;
    JsonWriter w(&out);
    w.BeginObject().Key("traits").BeginObject();
    size_t shown = 0;
    std::string next;
    for (const auto& [name, value] : set) {
      if (!from.empty() && name < from) continue;
      if (shown == limit) {
        next = name;
        break;
      }
      w.Key(name).RawValue(value);
      ++shown;
    }
    w.EndObject();
    WriteCursor(w, req, !next.empty(), next);
    w.EndObject();
    SendJson(res, 200, std::move(out));
  }

  void ProfileApiExternalIds(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin", "activation"});
    if (!who) return;
    auto profile = ProfileForApi(req, res, "profile.read", *who);
    if (!profile) return;
    thread_local dom::parser parser;
    dom::element root, ids;
    if (parser.parse(profile->second).get(root) || root["identifiers"].get(ids) || !ids.is_object()) {
      return SendError(res, 500, "internal", "the stored profile has no identifiers object");
    }
    std::vector<std::pair<std::string, std::string>> all;  // type, pseudonym
    for (auto [type, list] : dom::object(ids)) {
      if (!list.is_array()) continue;
      for (dom::element v : dom::array(list)) {
        std::string_view p;
        if (!v.get(p)) all.emplace_back(std::string(type), std::string(p));
      }
    }
    const size_t limit = LimitParam(req, 25, 100);
    size_t from = 0;
    if (std::string n = req.get_param_value("next"); !n.empty()) from = std::strtoul(n.c_str(), nullptr, 10);
    std::string out;
    JsonWriter w(&out);
    w.BeginObject().Key("data").BeginArray();
    for (size_t i = from; i < all.size() && i < from + limit; ++i) {
      // Identifiers are pseudonyms: Holo keeps no raw value (docs/privacy.md).
      w.BeginObject().Key("id").String(all[i].second).Key("type").String(all[i].first);
      w.Key("collection").String("users").Key("encoding").String("pseudonym").EndObject();
    }
    w.EndArray();
    const bool more = from + limit < all.size();
    WriteCursor(w, req, more, more ? std::to_string(from + limit) : "");
    w.EndObject();
    SendJson(res, 200, std::move(out));
  }

  void ProfileApiEvents(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin", "activation"});
    if (!who) return;
    auto oneid = Person(req, res, *who, "profile.events", 2);
    if (!oneid) return;
    uint64_t before = 0;
    if (std::string n = req.get_param_value("next"); !n.empty()) before = std::strtoull(n.c_str(), nullptr, 10);
    const size_t limit = LimitParam(req, 10, 100);
    auto json = engine_->serving().ProfileEventsJson(*oneid, before, limit, who->role == "activation" ? "activation" : "");
    if (!json.ok()) return SendStatus(res, json.status());
    thread_local dom::parser parser;
    dom::element root, events;
    if (parser.parse(*json).get(root) || root["events"].get(events) || !events.is_array()) {
      return SendError(res, 500, "internal", "the events answer has no events array");
    }
    std::string out;
    JsonWriter w(&out);
    w.BeginObject().Key("data").BeginArray();
    for (dom::element e : dom::array(events)) {
      w.BeginObject();
      for (auto [k, v] : dom::object(e)) {
        // Segment's names: source_id, message_id; the rest as Holo keeps them.
        const std::string_view key = k == "source" ? std::string_view("source_id") : k;
        w.Key(key).RawValue(simdjson::minify(v));
      }
      w.EndObject();
    }
    w.EndArray();
    uint64_t next = 0;
    const bool more = root["next"].get(next) == simdjson::SUCCESS;
    WriteCursor(w, req, more, more ? std::to_string(next) : "");
    w.EndObject();
    SendJson(res, 200, std::move(out));
  }

  // GET /api/profiles?q=SEGMENT_OR_EXPRESSION&after=ONEID&limit=N (admin): listing and search.
  void ListProfiles(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin"});
    if (!who) return;
    const std::string q = req.get_param_value("q");
    uint64_t after = 0;
    if (std::string a = req.get_param_value("after"); !a.empty()) after = std::strtoull(a.c_str(), nullptr, 10);
    const size_t limit = LimitParam(req, 50, 1000);
    if (!AuditExact(*who, "profile.list", q.empty() ? "everyone" : q, res)) return;
    auto ids = engine_->audiences().ListProfiles(q, after, limit + 1);
    if (!ids.ok()) return SendStatus(res, ids.status());
    const bool more = ids->size() > limit;
    if (more) ids->pop_back();
    std::vector<std::string> names;
    for (std::string_view n : kDefaultAdTraits) names.emplace_back(n);
    std::string out;
    JsonWriter w(&out);
    w.BeginObject().Key("profiles").BeginArray();
    for (uint64_t id : *ids) {
      auto traits = engine_->serving().TraitsJson(id, names);
      w.BeginObject().Key("oneid").Uint(id);
      dom::element t;
      thread_local dom::parser parser;
      if (traits.ok() && !parser.parse(*traits).get(t)) {
        dom::element inner;
        if (!t["traits"].get(inner)) w.Key("traits").RawValue(simdjson::minify(inner));
      }
      w.EndObject();
    }
    w.EndArray().Key("next");
    if (more) {
      w.Uint(ids->back());
    } else {
      w.Null();
    }
    w.EndObject();
    SendJson(res, 200, std::move(out));
  }

  // ---- accounts (B2B, from group calls) ----
  // Their members are OneIDs, personal data: admins only, every read audited like a read of
  // individuals (no audit, no answer), as for the profile listing.
  // GET /api/accounts?cursor=KEY&limit=N: accounts in key order.
  void ListAccounts(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin"});
    if (!who) return;
    size_t limit = 100;
    if (const std::string v = req.get_param_value("limit"); !v.empty()) {
      char* end = nullptr;
      const unsigned long n = std::strtoul(v.c_str(), &end, 10);
      if (end == v.c_str() || *end != '\0' || n < 1 || n > 1000 || v[0] == '-') {
        return SendError(res, 400, "invalid_request", "limit must be an integer from 1 to 1000");
      }
      limit = n;
    }
    if (!AuditExact(*who, "account.list", "accounts", res)) return;
    auto json = engine_->ListAccountsJson(req.get_param_value("cursor"), limit);
    if (!json.ok()) return SendStatus(res, json.status());
    SendJson(res, 200, std::move(*json));
  }

  // GET /api/accounts/{id}: id = NAMESPACE:GROUP_ID or the account's key.
  void AccountOf(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin"});
    if (!who) return;
    const std::string id = DecodePathParam(req.matches[1].str());
    auto json = engine_->AccountProfileJson(id);
    const int status = json.ok() ? 200 : HttpStatusOf(json.status());
    // The answer starts {"account":"<32 hex>": the key is audited, as the CLI does.
    Status a = Audit(who->name, who->role, "account.read", json.ok() ? "account:" + json->substr(12, 32) : id, status);
    if (!a.ok()) return SendStatus(res, a);
    if (!json.ok()) return SendStatus(res, json.status());
    SendJson(res, 200, std::move(*json));
  }

  void PeopleOf(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin", "activation"});
    if (!who) return;
    auto oneid = Person(req, res, *who, "profile.people");
    if (!oneid) return;
    auto r = engine_->audiences().People(std::to_string(*oneid));
    if (!r.ok()) return SendStatus(res, r.status());
    SendJson(res, 200, std::move(r->json));
  }

  // ---- audiences ----
  // An analyst sees a segment's size as the release point lets it out (withheld: null).
  void WriteSegment(const Engine::SegmentInfo& s, const Principal& who, JsonWriter* w) {
    w->BeginObject();
    w->Key("name").String(s.name).Key("definition").String(s.definition).Key("version").Uint(s.version);
    w->Key("size");
    if (who.role == "analyst") {
      auto r = engine_->analysts().ReleaseCount(s.name, ReleaseFor(who, 0));
      if (r.ok() && r->count) {
        w->Uint(*r->count);
      } else {
        w->Null().Key("withheld").String(r.ok() ? r->withheld : r.status().message());
      }
    } else {
      w->Uint(s.members);
    }
    w->Key("created_ms").Int(s.created_ms).Key("updated_ms").Int(s.updated_ms);
    // "No profile has the trait" depends on the data: operators only.
    if (!s.warnings.empty() && who.role != "analyst") {
      w->Key("warnings").BeginArray();
      for (const auto& x : s.warnings) w->String(x);
      w->EndArray();
    }
    w->EndObject();
  }

  // Whose privacy budget an analyst's answers are paid from: the credential's name, so that
  // every token created under one name shares one budget.
  static std::string BudgetOwner(const Principal& who) { return "analyst:" + who.name; }
  Engine::ReleaseOptions ReleaseFor(const Principal& who, double epsilon) const {
    Engine::ReleaseOptions o;
    o.k = options_.k;
    o.epsilon = epsilon;
    o.budget_owner = BudgetOwner(who);
    o.budget = options_.privacy_budget;
    o.period_days = options_.privacy_period_days;
    return o;
  }
  static void WriteReleased(JsonWriter* w, std::string_view key, const Engine::Released& r) {
    w->Key(key);
    if (r.count) {
      w->Uint(*r.count);
    } else {
      w->Null();
    }
  }
  // An analyst's optional epsilon (query parameter or JSON number): (0, 1] or absent (0: the
  // default of the question's kind). False, with the 400 sent, when invalid.
  static bool ParseEpsilon(std::string_view text, double* epsilon, Response& res) {
    *epsilon = 0;
    if (text.empty()) return true;
    std::string t(text);
    char* end = nullptr;
    *epsilon = std::strtod(t.c_str(), &end);
    if (end == t.c_str() || *end != '\0' || !(*epsilon >= 0.001) || *epsilon > 1) {
      SendError(res, 400, "invalid_request", "epsilon must be a number in [0.001, 1]");
      return false;
    }
    return true;
  }
  // The `dimensions=a,b` of a group profile (empty: all).
  static std::vector<std::string> Dimensions(const Request& req) {
    return SplitNonEmpty(req.get_param_value("dimensions"), ',');
  }
  // An operator's exact aggregate is audited like a read of individuals: false, with the
  // error sent, when the audit cannot be written (no audit, no answer).
  bool AuditExact(const Principal& who, std::string_view action, std::string_view target, Response& res) {
    Status a = Audit(who.name, who.role, action, target, 200);
    if (!a.ok()) SendStatus(res, a);
    return a.ok();
  }

  void ListSegments(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin", "analyst"});
    if (!who) return;
    auto list = engine_->audiences().ListSegments();
    if (!list.ok()) return SendStatus(res, list.status());
    std::string out;
    JsonWriter w(&out);
    w.BeginObject().Key("segments").BeginArray();
    for (const auto& s : *list) WriteSegment(s, *who, &w);
    w.EndArray().EndObject();
    SendJson(res, 200, std::move(out));
  }

  // The trait registry (built-in and computed traits): what an expression may use.
  void TraitRegistry(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin", "analyst"});
    if (!who) return;
    auto json = engine_->audiences().TraitRegistryJson();
    if (!json.ok()) return SendStatus(res, json.status());
    SendJson(res, 200, std::move(*json));
  }

  // DELETE of the named thing in the path: `drop(name)` under the writer's lock, then
  // {"dropped": name}.
  template <typename Drop>
  void DropNamed(const Request& req, Response& res, std::initializer_list<std::string_view> roles, Drop drop) {
    auto who = Require(req, res, roles);
    if (!who) return;
    std::string name = DecodePathParam(req.matches[1].str());
    Status s = writer_.RunExclusive([&] { return drop(name); });
    if (!s.ok()) return SendStatus(res, s);
    std::string out;
    JsonWriter(&out).BeginObject().Key("dropped").String(name).EndObject();
    SendJson(res, 200, std::move(out));
  }

  void DropTrait(const Request& req, Response& res) {
    DropNamed(req, res, {"admin"}, [&](const std::string& name) { return engine_->audiences().DropTrait(name); });
  }

  void GetSegment(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin", "analyst"});
    if (!who) return;
    auto s = engine_->audiences().GetSegment(DecodePathParam(req.matches[1].str()));
    if (!s.ok()) return SendStatus(res, s.status());
    std::string out;
    JsonWriter w(&out);
    WriteSegment(*s, *who, &w);
    SendJson(res, 200, std::move(out));
  }

  void CreateSegment(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin", "analyst"});
    if (!who) return;
    thread_local dom::parser parser;
    dom::element root;
    if (parser.parse(req.body).get(root) || !root.is_object()) {
      return SendError(res, 400, "invalid_request", "the body must be {\"name\": ..., \"expression\": ...}");
    }
    std::string name = Field(root, "name"), expression = Field(root, "expression");
    if (name.empty() || expression.empty()) {
      return SendError(res, 400, "invalid_request", "both \"name\" and \"expression\" are required strings");
    }
    if (who->role == "analyst") {
      // An analyst's segment passes the checks of an analyst's expression first (quasi-
      // identifiers refused, every sub-group at least k on its noisy size).
      auto checked = engine_->analysts().ReleaseCount(expression, ReleaseFor(*who, 0));
      if (!checked.ok()) return SendStatus(res, checked.status());
      if (!checked->count) return SendError(res, 422, "refused", checked->withheld);
    }
    Result<Engine::SegmentInfo> info = Status::Internal("not run");
    Status s = writer_.RunExclusive([&] {
      info = engine_->audiences().DefineSegment(name, expression);
      return info.status();
    });
    if (!s.ok()) return SendStatus(res, s);
    std::string out;
    JsonWriter w(&out);
    {
        WriteSegment(*info, *who, &w);
    }
    SendJson(res, 201, std::move(out));
  }

  void DropSegment(const Request& req, Response& res) {
    DropNamed(req, res, {"admin", "analyst"},
              [&](const std::string& name) { return engine_->audiences().DropSegment(name); });
  }

  void Count(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin", "analyst"});
    if (!who) return;
    thread_local dom::parser parser;
    dom::element root;
    if (parser.parse(req.body).get(root) || !root.is_object() || Field(root, "expression").empty()) {
      return SendError(res, 400, "invalid_request", "the body must be {\"expression\": \"...\"}");
    }
    const std::string expression = Field(root, "expression");
    double epsilon = 0;
    if (root["epsilon"].get_double().get(epsilon) == simdjson::SUCCESS &&
        !ParseEpsilon(std::to_string(epsilon), &epsilon, res)) {
      return;
    }
    std::string out;
    JsonWriter w(&out);
    w.BeginObject();
    if (who->role == "analyst") {  // the one release point: noise, threshold, budget
      auto released = engine_->analysts().ReleaseCount(expression, ReleaseFor(*who, epsilon));
      if (!released.ok()) return SendStatus(res, released.status());
      WriteReleased(&w, "count", *released);
      if (!released->count) w.Key("withheld").String(released->withheld);
      w.Key("noised").Bool(true).Key("charged").Double(released->epsilon);
      w.Key("budget").BeginObject().Key("spent").Double(released->spent).Key("total").Double(released->total).EndObject();
    } else {
      auto n = engine_->audiences().CountExpression(expression);
      if (!n.ok()) return SendStatus(res, n.status());
      if (!AuditExact(*who, "aggregate.count", expression, res)) return;
      w.Key("count").Uint(*n);
      auto warnings = engine_->audiences().ExpressionWarnings(expression);
      if (!warnings.ok()) return SendStatus(res, warnings.status());
      w.Key("warnings").BeginArray();
      for (const std::string& warning : *warnings) w.String(warning);
      w.EndArray();
    }
    w.EndObject();
    SendJson(res, 200, std::move(out));
  }

  void Overlap(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin", "analyst"});
    if (!who) return;
    std::string a = DecodePathParam(req.matches[1].str()), b = DecodePathParam(req.matches[2].str());
    std::string out;
    JsonWriter w(&out);
    w.BeginObject().Key("a").String(a).Key("b").String(b);
    if (who->role == "analyst") {
      double epsilon = 0;
      if (!ParseEpsilon(req.get_param_value("epsilon"), &epsilon, res)) return;
      auto r = engine_->analysts().ReleaseOverlap(a, b, ReleaseFor(*who, epsilon));
      if (!r.ok()) return SendStatus(res, r.status());
      WriteReleased(&w, "a_size", r->a);
      WriteReleased(&w, "b_size", r->b);
      WriteReleased(&w, "both", r->both);
      w.Key("withheld").BeginObject();
      for (auto [name, x] : {std::pair{"a_size", &r->a}, std::pair{"b_size", &r->b}, std::pair{"both", &r->both}}) {
        if (!x->count) w.Key(name).String(x->withheld);
      }
      w.EndObject();
      w.Key("noised").Bool(true).Key("charged").Double(r->a.epsilon + r->b.epsilon + r->both.epsilon);
      w.Key("budget").BeginObject().Key("spent").Double(r->both.spent).Key("total").Double(r->both.total).EndObject();
    } else {
      auto o = engine_->audiences().SegmentOverlap(a, b);
      if (!o.ok()) return SendStatus(res, o.status());
      if (!AuditExact(*who, "aggregate.overlap", a + " " + b, res)) return;
      w.Key("a_size").Uint(o->a).Key("b_size").Uint(o->b).Key("both").Uint(o->both);
    }
    w.EndObject();
    SendJson(res, 200, std::move(out));
  }

  void Export(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin", "activation"});
    if (!who) return;
    std::string name = DecodePathParam(req.matches[1].str());
    std::string use = req.has_param("use") ? req.get_param_value("use") : "export";
    std::ostringstream ids;
    Status s;
    {
      s = engine_->audiences().ExportSegment(name, ids, use);  // only people the consent policy allows for `use`
    }
    // No audit, no export: the members leave only once the export is written down.
    Status a = Audit(who->name, who->role, "segment.export", "segment:" + name + " use:" + use,
                     s.ok() ? 200 : HttpStatusOf(s));
    if (!a.ok()) return SendStatus(res, a);
    if (!s.ok()) return SendStatus(res, s);
    std::string out;
    std::istringstream in(ids.str());
    for (std::string line; std::getline(in, line);) out += "{\"oneid\":" + line + "}\n";
    res.status = 200;
    res.set_content(std::move(out), "application/x-ndjson");
  }

  void GroupProfile(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin", "analyst"});
    if (!who) return;
    std::string segment = req.get_param_value("segment");
    if (segment.empty()) return SendError(res, 400, "invalid_request", "segment= (a name or an expression) is required");
    Engine::GroupProfileOptions o;
    o.k = options_.k;
    if (req.has_param("k")) {
      char* end = nullptr;
      const std::string k = req.get_param_value("k");
      const unsigned long v = std::strtoul(k.c_str(), &end, 10);
      if (end == k.c_str() || *end != '\0') return SendError(res, 400, "invalid_request", "k must be an integer");
      o.k = std::max<uint32_t>(static_cast<uint32_t>(std::min<unsigned long>(v, 1000000)), options_.k);
    }
    if (who->role == "analyst") {  // differentially private, paid from the analyst's budget
      if (!ParseEpsilon(req.get_param_value("epsilon"), &o.epsilon, res)) return;
      o.budget_owner = BudgetOwner(*who);
      o.budget = options_.privacy_budget;
      o.period_days = options_.privacy_period_days;
      o.dimensions = Dimensions(req);
    } else if (!AuditExact(*who, "aggregate.groupprofile", segment, res)) {
      return;
    }
    auto r = engine_->analysts().GroupProfile(segment, o);
    if (!r.ok()) return SendStatus(res, r.status());
    SendJson(res, 200, std::move(r->json));
  }

  void Funnel(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin", "analyst"});
    if (!who) return;
    Engine::FunnelQuery q;
    q.brand = req.get_param_value("brand");
    q.category = req.get_param_value("category");
    q.stores = SplitNonEmpty(req.get_param_value("stores"), ',');
    q.k = options_.k;
    if (q.brand.empty()) return SendError(res, 400, "invalid_request", "brand= is required");
    for (auto [param, out] : {std::pair{"at", &q.at_ms}, std::pair{"from", &q.from_ms}}) {
      std::string v = req.get_param_value(param);
      if (v.empty()) continue;
      auto ms = analytics::ParseAsOf(v);
      if (!ms.ok()) return SendError(res, 400, "invalid_request", std::string(param) + ": " + ms.status().message());
      *out = *ms;
    }
    // Analysts get every cell through the release point; operators see exact counts, audited.
    if (who->role == "analyst") {
      double epsilon = 0;
      if (!ParseEpsilon(req.get_param_value("epsilon"), &epsilon, res)) return;
      auto r = engine_->analysts().ReleaseFunnel(q, ReleaseFor(*who, epsilon));
      if (!r.ok()) return SendStatus(res, r.status());
      return SendJson(res, 200, std::move(r->json));
    }
    if (!AuditExact(*who, "aggregate.funnel", q.brand + " " + q.category, res)) return;
    auto r = engine_->audiences().Funnel(q);
    if (!r.ok()) return SendStatus(res, r.status());
    SendJson(res, 200, std::move(r->json));
  }

  // ---- offers (docs/aipl.md, "Offers"): admins; analysts read reports through the release point ----
  void IssueOffer(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin"});
    if (!who) return;
    thread_local dom::parser parser;
    dom::element root;
    if (parser.parse(req.body).get(root) || !root.is_object()) {
      return SendError(res, 400, "invalid_request", "the body must be {\"name\", \"segment\", \"campaign\", \"holdout_share\"?, \"issued\"?}");
    }
    const std::string name = Field(root, "name");
    double share = 0.1;
    if (root["holdout_share"].get_double().get(share) == simdjson::INCORRECT_TYPE) {
      return SendError(res, 400, "invalid_request", "holdout_share must be a number");
    }
    int64_t issued_ms = 0;
    if (std::string at = Field(root, "issued"); !at.empty()) {
      auto ms = ParseIso8601Ms(at);
      if (!ms.ok()) return SendError(res, 400, "invalid_request", "issued: " + ms.status().message());
      issued_ms = *ms;
    }
    auto json = engine_->audiences().IssueOffer(name, Field(root, "segment"), Field(root, "campaign"), share, issued_ms);
    if (!AuditedChange(res, who->name, who->role, "offer.issue", "offer:" + name, json.ok() ? 201 : HttpStatusOf(json.status()))) {
      return;
    }
    if (!json.ok()) return SendStatus(res, json.status());
    SendJson(res, 201, std::move(*json));
  }

  void ListOffers(const Request& req, Response& res) {
    if (!Require(req, res, {"admin"})) return;
    auto json = engine_->audiences().ListOffersJson();
    if (!json.ok()) return SendStatus(res, json.status());
    SendJson(res, 200, std::move(*json));
  }

  void OfferReport(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin", "analyst"});
    if (!who) return;
    const std::string name = DecodePathParam(req.matches[1].str());
    int64_t window = 30;
    if (req.has_param("window")) {
      try {
        window = std::stoll(req.get_param_value("window"));
      } catch (const std::exception&) {
        return SendError(res, 400, "invalid_request", "window must be a number of days");
      }
    }
    if (who->role == "analyst") {  // through the release point, like campaigns
      double epsilon = 0;
      if (!ParseEpsilon(req.get_param_value("epsilon"), &epsilon, res)) return;
      auto r = engine_->analysts().ReleaseOffer(name, window, ReleaseFor(*who, epsilon));
      if (!r.ok()) return SendStatus(res, r.status());
      return SendJson(res, 200, std::move(r->json));
    }
    if (!AuditExact(*who, "aggregate.offer", name, res)) return;
    auto r = engine_->audiences().OfferReport(name, window);
    if (!r.ok()) return SendStatus(res, r.status());
    SendJson(res, 200, std::move(r->json));
  }

  // ---- offline stores (docs/stores.md) ----
  void ListStores(const Request& req, Response& res) {
    if (!Require(req, res, {"admin", "analyst"})) return;
    auto json = engine_->stores().ListStoresJson();
    if (!json.ok()) return SendStatus(res, json.status());
    SendJson(res, 200, std::move(*json));
  }

  void StoreMetrics(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin", "analyst"});
    if (!who) return;
    const std::string store = DecodePathParam(req.matches[1].str());
    const std::string from = req.get_param_value("from"), to = req.get_param_value("to");
    if (who->role == "analyst") {  // every count through the release point
      double epsilon = 0;
      if (!ParseEpsilon(req.get_param_value("epsilon"), &epsilon, res)) return;
      auto r = engine_->analysts().ReleaseStoreMetrics(store, from, to, ReleaseFor(*who, epsilon));
      if (!r.ok()) return SendStatus(res, r.status());
      return SendJson(res, 200, std::move(r->json));
    }
    if (!AuditExact(*who, "aggregate.store_metrics", store, res)) return;
    auto json = engine_->stores().MetricsJson(store, from, to);
    if (!json.ok()) return SendStatus(res, json.status());
    SendJson(res, 200, std::move(*json));
  }

  // Occupancy per window, devices, the link rate and zone flows: exact, for admins only
  // (audited as aggregate.store_<what>); analysts see flows in the released metrics.
  void StoreOccupancy(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin"});
    if (!who) return;
    const std::string store = DecodePathParam(req.matches[1].str());
    const std::string interval = req.has_param("interval") ? req.get_param_value("interval") : "5m";
    const int64_t seconds = stores::ParseDurationSeconds(interval);
    if (seconds < 0) return SendError(res, 400, "invalid_request", "interval must be like 5m, 15m, 1h or 300s");
    const std::string format = req.has_param("format") ? req.get_param_value("format") : "json";
    if (format != "json" && format != "csv") return SendError(res, 400, "invalid_request", "format is json or csv");
    if (!AuditExact(*who, "aggregate.store_occupancy", store, res)) return;
    auto occ = engine_->stores().Occupancy(store, req.get_param_value("from"), req.get_param_value("to"), seconds);
    if (!occ.ok()) return SendStatus(res, occ.status());
    if (format == "csv") {
      res.status = 200;
      res.set_content(stores::OccupancyCsv(*occ), "text/csv; charset=utf-8");
      return;
    }
    SendJson(res, 200, stores::OccupancyJson(store, *occ));
  }

  void StoreReport(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin"});
    if (!who) return;
    const std::string store = DecodePathParam(req.matches[1].str());
    const std::string what = req.matches[2].str();  // devices, link-rate or flows (the routes)
    if (!AuditExact(*who, "aggregate.store_" + what, store, res)) return;
    auto report = what == "link-rate" ? &StoreService::LinkRateJson
                  : what == "flows"   ? &StoreService::FlowsJson
                                      : &StoreService::DevicesJson;
    auto json = (engine_->stores().*report)(store, req.get_param_value("from"), req.get_param_value("to"));
    if (!json.ok()) return SendStatus(res, json.status());
    SendJson(res, 200, std::move(*json));
  }


  void Campaign(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin", "analyst"});
    if (!who) return;
    const std::string name = DecodePathParam(req.matches[1].str());
    if (who->role == "analyst") {
      double epsilon = 0;
      if (!ParseEpsilon(req.get_param_value("epsilon"), &epsilon, res)) return;
      auto r = engine_->analysts().ReleaseCampaign(name, ReleaseFor(*who, epsilon));
      if (!r.ok()) return SendStatus(res, r.status());
      return SendJson(res, 200, std::move(r->json));
    }
    if (!AuditExact(*who, "aggregate.campaign", name, res)) return;
    auto r = engine_->audiences().Campaign(name, options_.k);
    if (!r.ok()) return SendStatus(res, r.status());
    SendJson(res, 200, std::move(r->json));
  }

  // POST /api/partners/{name}/match: the partner clean room (docs/privacy.md). The body is
  // the upload; the answer is the overlap's group profile through the analysts' release
  // point. Every request that names a principal is audited, answered or refused, with the
  // partner and the number of hashes (never the hashes).
  void PartnerMatch(const Request& req, Response& res) {
    const std::string partner = DecodePathParam(req.matches[1].str());
    std::optional<Principal> refused;
    auto who = Require(req, res, {"admin", "analyst"}, &refused);
    const auto target = [&] {
      return "partner:" + partner + " hashes:" + std::to_string(PartnerUploadHashes(req.body));
    };
    if (!who) {
      if (refused) {
        if (Status a = Audit(refused->name, refused->role, "partner.match", target(), 403); !a.ok()) SendStatus(res, a);
      }
      return;
    }
    if (req.body.size() > kPartnerUploadMaxBytes) {
      Status a = Audit(who->name, who->role, "partner.match", "partner:" + partner + " hashes:unread", 413);
      if (!a.ok()) return SendStatus(res, a);
      return SendError(res, 413, "too_large",
                       "the upload of " + std::to_string(req.body.size()) + " bytes exceeds " +
                           std::to_string(kPartnerUploadMaxBytes) + "; split it into several uploads");
    }
    Engine::GroupProfileOptions o;
    o.k = options_.k;
    try {
      if (req.has_param("k")) o.k = std::max<uint32_t>(static_cast<uint32_t>(std::stoul(req.get_param_value("k"))), options_.k);
      if (req.has_param("epsilon")) o.epsilon = std::stod(req.get_param_value("epsilon"));
    } catch (const std::exception&) {
      Status a = Audit(who->name, who->role, "partner.match", target(), 400);
      if (!a.ok()) return SendStatus(res, a);
      return SendError(res, 400, "invalid_request", "k must be an integer and epsilon a number");
    }
    if (req.has_param("epsilon") && !(o.epsilon >= 0.001 && o.epsilon <= 1)) {
      Status a = Audit(who->name, who->role, "partner.match", target(), 400);
      if (!a.ok()) return SendStatus(res, a);
      return SendError(res, 400, "invalid_request", "epsilon must be a number in [0.001, 1]");
    }
    if (who->role == "analyst") {  // differentially private, paid from the analyst's budget, as /api/groupprofile
      o.budget_owner = BudgetOwner(*who);
      o.budget = options_.privacy_budget;
      o.period_days = options_.privacy_period_days;
      o.dimensions = Dimensions(req);
    }
    Result<Engine::Report> r = engine_->analysts().PartnerMatch(partner, req.body, o);
    // No audit, no answer.
    if (Status a = Audit(who->name, who->role, "partner.match", target(), r.ok() ? 200 : HttpStatusOf(r.status()));
        !a.ok()) {
      return SendStatus(res, a);
    }
    if (!r.ok()) return SendStatus(res, r.status());
    SendJson(res, 200, std::move(r->json));
  }

  void Explain(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin"});
    if (!who) return;
    std::string a = req.get_param_value("a"), b = req.get_param_value("b");
    if (a.empty() || b.empty()) return SendError(res, 400, "invalid_request", "a= and b= (two identifiers) are required");
    if (Status audited = Audit(who->name, who->role, "identity.explain", a + " " + b, 200); !audited.ok()) {
      return SendStatus(res, audited);
    }
    auto e = engine_->identity().Explain(a, b);
    if (!e.ok()) return SendStatus(res, e.status());
    SendJson(res, 200, std::move(e->json));
  }

  void Stats(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin"});  // exact counts: operators only
    if (!who) return;
    auto s = engine_->Stats();
    if (!s.ok()) return SendStatus(res, s.status());
    std::string out;
    JsonWriter w(&out);
    w.BeginObject().Key("events").Uint(s->events).Key("identifiers").Uint(s->identifiers);
    w.Key("oneids").Uint(s->oneids).Key("pending_identifiers").Uint(s->pending_nodes).EndObject();
    SendJson(res, 200, std::move(out));
  }

  void CreateCredential(const Request& req, Response& res, bool token) {
    auto who = Require(req, res, {"admin"});
    if (!who) return;
    thread_local dom::parser parser;
    dom::element root;
    if (parser.parse(req.body).get(root) || !root.is_object()) {
      return SendError(res, 400, "invalid_request", "the body must be a JSON object");
    }
    std::string name = Field(root, token ? "name" : "source");
    std::string role = token ? Field(root, "role") : "source";
    if (token && role != "admin" && role != "analyst" && role != "activation") {
      return SendError(res, 400, "invalid_request", "role must be admin, analyst or activation");
    }
    std::vector<std::string> origins;  // write keys: "allowedOrigins": ["https://shop.example", ...]
    if (dom::element list; !token && !root["allowedOrigins"].get(list)) {
      dom::array a;
      if (list.get_array().get(a)) {
        return SendError(res, 400, "invalid_request", "allowedOrigins must be an array of origins");
      }
      for (dom::element o : a) {
        std::string_view v;
        if (o.get_string().get(v)) return SendError(res, 400, "invalid_request", "allowedOrigins are strings");
        origins.emplace_back(v);
      }
    }
    auto secret = engine_->serving().CreateCredential(token ? "token" : "writekey", name, role, origins);
    if (!secret.ok()) return SendStatus(res, secret.status());
    if (!token && !origins.empty()) ReadKeyOrigins();
    // Unaudited, the secret is not shown (unknown to anyone, the credential is unusable).
    if (!AuditedChange(res, who->name, who->role, token ? "token.create" : "writekey.create", name, 201)) return;
    std::string out;
    JsonWriter w(&out);
    w.BeginObject();
    if (token) {
      w.Key("name").String(name).Key("role").String(role).Key("token").String(*secret);
    } else {
      w.Key("source").String(name).Key("writeKey").String(*secret).Key("allowedOrigins").BeginArray();
      for (const std::string& o : origins) w.String(*NormalizeWebOrigin(o));  // valid: CreateCredential took them
      w.EndArray();
    }
    w.EndObject();
    SendJson(res, 201, std::move(out));
  }

  // ---- consent (docs/privacy.md) ----
  void RecordConsent(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin"});
    if (!who) return;
    thread_local dom::parser parser;
    dom::element root;
    bool given = false;
    dom::array purposes;
    if (parser.parse(req.body).get(root) || !root.is_object() || root["given"].get_bool().get(given) ||
        root["purposes"].get_array().get(purposes) || Field(root, "id").empty()) {
      return SendError(res, 400, "invalid_request",
                       "the body must be {\"id\": ..., \"purposes\": [...], \"given\": true|false, \"source\": ..., \"at\": ISO-8601}");
    }
    Engine::ConsentChange change;
    change.id = Field(root, "id");
    change.given = given;
    change.source = Field(root, "source").empty() ? "api" : Field(root, "source");
    for (dom::element p : purposes) {
      std::string_view name;
      if (p.get_string().get(name)) return SendError(res, 400, "invalid_request", "purposes are strings");
      change.purposes.emplace_back(name);
    }
    if (std::string at = Field(root, "at"); !at.empty()) {
      auto ms = ParseIso8601Ms(at);
      if (!ms.ok()) return SendError(res, 400, "invalid_request", "at: " + ms.status().message());
      change.at_ms = *ms;
    }
    // Rebuilds the person's profile and their segments: alone, as other changes are.
    Status s = writer_.RunExclusive([&] { return engine_->privacy().RecordConsent(change); });
    if (!AuditedChange(res, who->name, who->role, given ? "consent.give" : "consent.withdraw", change.id,
                       s.ok() ? 200 : HttpStatusOf(s))) {
      return;
    }
    if (!s.ok()) return SendStatus(res, s);
    auto json = engine_->privacy().ConsentJson(change.id);
    if (!json.ok()) return SendStatus(res, json.status());
    SendJson(res, 200, std::move(*json));
  }

  // The right to erasure: admin only; runs alone (as segment definitions do) and is audited
  // under the OneID (the raw id of the request is not written down).
  void Erase(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin"});
    if (!who) return;
    thread_local dom::parser parser;
    dom::element root;
    if (parser.parse(req.body).get(root) || !root.is_object() || Field(root, "id").empty()) {
      return SendError(res, 400, "invalid_request", "the body must be {\"id\": a OneID or type:value}");
    }
    const std::string id = Field(root, "id");
    Engine::ErasureReport report;
    Status s = writer_.RunExclusive([&] { return engine_->privacy().ErasePerson(id, &report); });
    if (!AuditedChange(res, who->name, who->role, "person.erase",
                       s.ok() ? "oneid:" + std::to_string(report.oneid) : "(not erased)", s.ok() ? 200 : HttpStatusOf(s))) {
      return;
    }
    if (!s.ok()) return SendStatus(res, s);
    std::string out;
    JsonWriter w(&out);
    w.BeginObject().Key("oneid").Uint(report.oneid).Key("identifiers").Uint(report.identifiers);
    w.Key("events_deleted").Uint(report.events_deleted).Key("events_rewritten").Uint(report.events_rewritten);
    w.Key("dead_letters_removed").Uint(report.dead_letters_removed);
    w.Key("vault_entries_removed").Uint(report.vault_entries_removed);
    w.Key("store_observations_removed").Uint(report.store_observations_removed).Key("seconds").Double(report.seconds);
    w.EndObject();
    SendJson(res, 200, std::move(out));
  }

  // The right of access: admin only, audited as a read of the individual. `supplied`:
  // more type:value ids the person gave (comma-separated), whose raw values are shown.
  void AccessRequest(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin"});
    if (!who) return;
    auto oneid = Person(req, res, *who, "profile.access_request");
    if (!oneid) return;
    const std::vector<std::string> supplied = SplitNonEmpty(req.get_param_value("supplied"), ',');
    auto r = engine_->privacy().AccessRequest(DecodePathParam(req.matches[1].str()), supplied);
    if (!r.ok()) return SendStatus(res, r.status());
    if (req.get_param_value("format") == "text") {
      res.status = 200;
      res.set_content(std::move(r->text), "text/plain; charset=utf-8");
      return;
    }
    SendJson(res, 200, std::move(r->json));
  }

  void ConsentOf(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin"});
    if (!who) return;
    auto oneid = Person(req, res, *who, "profile.consent");
    if (!oneid) return;
    auto json = engine_->privacy().ConsentJson(std::to_string(*oneid));
    if (!json.ok()) return SendStatus(res, json.status());
    SendJson(res, 200, std::move(*json));
  }

  void ConsentPolicy(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin"});
    if (!who) return;
    if (req.method == "PUT") {
      Status s = writer_.RunExclusive([&] { return engine_->privacy().SetConsentPolicy(req.body); });
      if (!AuditedChange(res, who->name, who->role, "config.consent_policy", "consent_policy",
                         s.ok() ? 200 : HttpStatusOf(s))) {
        return;
      }
      if (!s.ok()) return SendStatus(res, s);
    }
    auto json = engine_->privacy().ConsentPolicyJson();
    if (!json.ok()) return SendStatus(res, json.status());
    SendJson(res, 200, std::move(*json));
  }

  // ---- activation destinations (docs/destinations.md): admin only ----
  void AddDestination(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin"});
    if (!who) return;
    thread_local dom::parser parser;
    dom::element root;
    if (parser.parse(req.body).get(root) || !root.is_object()) {
      return SendError(res, 400, "invalid_request", "the body must be a destination object (docs/destinations.md)");
    }
    DestinationConfig d;
    d.name = Field(root, "name");
    d.kind = Field(root, "kind");
    d.url = Field(root, "url");
    d.path = Field(root, "path");
    d.secret = Field(root, "secret");
    if (std::string use = Field(root, "use"); !use.empty()) d.use = use;
    dom::array segments;
    if (!root["segments"].get_array().get(segments)) {
      for (dom::element e : segments) {
        std::string_view v;
        if (!e.get_string().get(v)) d.segments.emplace_back(v);
      }
    }
    for (auto [key, field] : {std::pair{"batch_size", &d.batch_size}, std::pair{"retry_limit", &d.retry_limit},
                              std::pair{"attempts_per_sync", &d.attempts_per_sync},
                              std::pair{"backoff_base_ms", &d.backoff_base_ms},
                              std::pair{"backoff_cap_ms", &d.backoff_cap_ms}, std::pair{"timeout_ms", &d.timeout_ms},
                              std::pair{"sync_interval_s", &d.sync_interval_s}}) {
      uint64_t v = 0;
      if (!root[key].get_uint64().get(v)) *field = static_cast<uint32_t>(std::min<uint64_t>(v, UINT32_MAX));
    }
    auto secret = engine_->destinations().AddDestination(d);
    if (!AuditedChange(res, who->name, who->role, "destination.add", "destination:" + d.name,
                       secret.ok() ? 201 : HttpStatusOf(secret.status()))) {
      return;
    }
    if (!secret.ok()) return SendStatus(res, secret.status());
    std::string out;
    JsonWriter w(&out);
    w.BeginObject().Key("name").String(d.name).Key("secret").String(*secret).EndObject();
    SendJson(res, 201, std::move(out));
  }

  void ListDestinations(const Request& req, Response& res) {
    if (!Require(req, res, {"admin"})) return;
    auto json = engine_->destinations().ListDestinationsJson();
    if (!json.ok()) return SendStatus(res, json.status());
    SendJson(res, 200, std::move(*json));
  }

  void DestinationStatus(const Request& req, Response& res) {
    if (!Require(req, res, {"admin"})) return;
    auto json = engine_->destinations().DestinationStatusJson(DecodePathParam(req.matches[1].str()));
    if (!json.ok()) return SendStatus(res, json.status());
    SendJson(res, 200, std::move(*json));
  }

  void DropDestination(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin"});
    if (!who) return;
    const std::string name = DecodePathParam(req.matches[1].str());
    auto json = engine_->destinations().DropDestination(name);
    if (!AuditedChange(res, who->name, who->role, "destination.drop", "destination:" + name,
                       json.ok() ? 200 : HttpStatusOf(json.status()))) {
      return;
    }
    if (!json.ok()) return SendStatus(res, json.status());
    SendJson(res, 200, std::move(*json));
  }

  void SyncDestination(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin"});
    if (!who) return;
    const std::string name = DecodePathParam(req.matches[1].str());
    // No audit, no export: members leave the store only once the sync is written down.
    Status a = Audit(who->name, who->role, "destination.sync", "destination:" + name, 200);
    if (!a.ok()) return SendStatus(res, a);
    auto json = engine_->destinations().SyncDestinations(name);
    if (!json.ok()) return SendStatus(res, json.status());
    SendJson(res, 200, std::move(*json));
  }

  // GET /api/audit?limit=N (admins): the newest N entries of the audit log (default 100,
  // at most 1000), newest first, read as `holo audit` reads it; the read is audited.
  void AuditLog(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin"});
    if (!who) return;
    size_t limit = 100;
    if (req.has_param("limit")) {
      try {
        limit = std::stoul(req.get_param_value("limit"));
      } catch (const std::exception&) {
        return SendError(res, 400, "invalid_request", "limit must be a positive integer");
      }
      if (limit == 0 || limit > 1000) return SendError(res, 400, "invalid_request", "limit must be in [1, 1000]");
    }
    if (Status a = Audit(who->name, who->role, "audit.read", "limit:" + std::to_string(limit), 200); !a.ok()) {
      return SendStatus(res, a);
    }
    if (Status s = engine_->audit().Sync(/*durable=*/false); !s.ok()) return SendStatus(res, s);
    std::deque<std::string> last;
    privacy::AuditVerification v;
    Status s = privacy::ReadAuditLog(options_.data_dir + "/audit.jsonl", privacy::AuditQuery{},
                                     [&](std::string_view line) {
                                       last.emplace_back(line);
                                       if (last.size() > limit) last.pop_front();
                                     },
                                     &v);
    if (!s.ok()) return SendStatus(res, s);
    std::string out = "{\"entries\":[";
    for (auto it = last.rbegin(); it != last.rend(); ++it) {
      if (it != last.rbegin()) out += ',';
      out += *it;  // each line is a JSON object written by the audit log
    }
    out += "],\"total\":" + std::to_string(v.entries);
    out += ",\"intact\":" + std::string(v.first_broken_line == 0 ? "true" : "false") + "}";
    SendJson(res, 200, std::move(out));
  }

  // GET /api/admin/ingest-health (admins): events accepted and rejected per source since the
  // server started (the counters of /metrics), and the records in the dead-letter file.
  void IngestHealth(const Request& req, Response& res) {
    auto who = Require(req, res, {"admin"});
    if (!who) return;
    // Counted, not opened: the health view reads no rejected line's text.
    auto dead_letters = engine_->privacy().CountDeadLetters();
    if (!dead_letters.ok()) return SendStatus(res, dead_letters.status());
    std::string out;
    JsonWriter w(&out);
    w.BeginObject().Key("sources").BeginArray();
    for (const auto& [source, counts] : metrics_.EventsBySource()) {
      w.BeginObject().Key("source").String(source).Key("accepted").Uint(counts.first);
      w.Key("rejected").Uint(counts.second).EndObject();
    }
    w.EndArray().Key("dead_letters").Uint(*dead_letters).Key("queue_depth").Uint(writer_.queue_depth());
    w.Key("note").String("accepted and rejected count since the server started; dead letters are the file's records");
    w.EndObject();
    SendJson(res, 200, std::move(out));
  }

  uint64_t StoreBytes() const {
    uint64_t total = 0;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(options_.data_dir, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file(ec)) total += it->file_size(ec);
    }
    return total;
  }

  void Routes() {
    constexpr auto kInline = HttpFrontend::kInline;  // quick: run on the event loop
    constexpr auto kWorker = HttpFrontend::kWorker;  // may wait (group commit, scans): a worker thread
    // Ingestion: Segment's paths, the one-letter ones analytics.js (analytics-next) posts
    // to (/v1/t for track ...; /v1/b for a batch), and RudderStack's beacon path. Each
    // answers OPTIONS as a browser's CORS preflight.
    std::vector<std::pair<std::string, std::string>> ingest_paths;  // path -> implied type ("" = batch)
    for (std::string_view type : {"identify", "track", "page", "screen", "alias", "group"}) {
      ingest_paths.emplace_back("/v1/" + std::string(type), type);
      ingest_paths.emplace_back("/v1/" + std::string(1, type[0]), type);
    }
    for (std::string path : {"/v1/batch", "/v1/import", "/v1/b", "/beacon/v1/batch"}) ingest_paths.emplace_back(path, "");
    for (const auto& [path, type] : ingest_paths) {
      http_->Route("POST", path, Route(path, [this, t = type](const Request& q, Response& r) { Ingest(q, r, t); }),
                   kWorker);
      http_->Route("OPTIONS", path, Route(path, [this](const Request& q, Response& r) { Preflight(q, r); }), kInline);
    }
    auto on = [this](const char* method, const std::string& pattern, const std::string& route, auto fn,
                     HttpFrontend::Placement where = HttpFrontend::kWorker) {
      http_->Route(method, pattern, Route(route, [this, fn](const Request& q, Response& r) { (this->*fn)(q, r); }),
                   where);
    };
    const char *get = "GET", *post = "POST", *del = "DELETE";
    on(get, R"(/api/profiles/([^/]+)/traits)", "/api/profiles/{id}/traits", &ServerImpl::Traits, kInline);
    on(get, R"(/api/profiles/([^/]+))", "/api/profiles/{id}", &ServerImpl::Profile, kInline);
    on(get, "/api/profiles", "/api/profiles", &ServerImpl::ListProfiles);
    on(get, R"(/api/accounts/([^/]+))", "/api/accounts/{id}", &ServerImpl::AccountOf);
    on(get, "/api/accounts", "/api/accounts", &ServerImpl::ListAccounts);
    on(get, R"(/v1/spaces/([^/]+)/collections/users/profiles/([^/]+)/traits)",
       "/v1/spaces/{space}/collections/users/profiles/{id}/traits", &ServerImpl::ProfileApiTraits);
    on(get, R"(/v1/spaces/([^/]+)/collections/users/profiles/([^/]+)/external_ids)",
       "/v1/spaces/{space}/collections/users/profiles/{id}/external_ids", &ServerImpl::ProfileApiExternalIds);
    on(get, R"(/v1/spaces/([^/]+)/collections/users/profiles/([^/]+)/events)",
       "/v1/spaces/{space}/collections/users/profiles/{id}/events", &ServerImpl::ProfileApiEvents);
    on(get, R"(/api/profiles/([^/]+)/events)", "/api/profiles/{id}/events", &ServerImpl::Events);
    on(get, R"(/api/profiles/([^/]+)/recommendations)", "/api/profiles/{id}/recommendations", &ServerImpl::Recommendations,
       kInline);
    on(get, "/api/recommend/model", "/api/recommend/model", &ServerImpl::RecommendModel);
    on(post, "/api/lookalikes", "/api/lookalikes", &ServerImpl::CreateLookalike);
    on(get, R"(/api/profiles/([^/]+)/people)", "/api/profiles/{id}/people", &ServerImpl::PeopleOf);
    on(get, R"(/api/profiles/([^/]+)/consent)", "/api/profiles/{id}/consent", &ServerImpl::ConsentOf);
    on(get, R"(/api/profiles/([^/]+)/access-request)", "/api/profiles/{id}/access-request", &ServerImpl::AccessRequest);
    on(post, "/api/consent", "/api/consent", &ServerImpl::RecordConsent);
    on(post, "/api/erasure", "/api/erasure", &ServerImpl::Erase);
    on(get, "/api/admin/consent-policy", "/api/admin/consent-policy", &ServerImpl::ConsentPolicy);
    on("PUT", "/api/admin/consent-policy", "/api/admin/consent-policy", &ServerImpl::ConsentPolicy);
    on(get, "/api/traits", "/api/traits", &ServerImpl::TraitRegistry);
    on(del, R"(/api/traits/([^/]+))", "/api/traits/{name}", &ServerImpl::DropTrait);
    on(get, "/api/segments", "/api/segments", &ServerImpl::ListSegments);
    on(post, "/api/segments", "/api/segments", &ServerImpl::CreateSegment);
    on(get, R"(/api/segments/([^/]+))", "/api/segments/{name}", &ServerImpl::GetSegment);
    on(del, R"(/api/segments/([^/]+))", "/api/segments/{name}", &ServerImpl::DropSegment);
    on(get, R"(/api/segments/([^/]+)/overlap/([^/]+))", "/api/segments/{a}/overlap/{b}", &ServerImpl::Overlap);
    on(get, R"(/api/segments/([^/]+)/export)", "/api/segments/{name}/export", &ServerImpl::Export);
    on(post, "/api/count", "/api/count", &ServerImpl::Count);
    on(get, "/api/groupprofile", "/api/groupprofile", &ServerImpl::GroupProfile);
    on(get, "/api/funnel", "/api/funnel", &ServerImpl::Funnel);
    on(get, R"(/api/campaigns/([^/]+))", "/api/campaigns/{name}", &ServerImpl::Campaign);
    on(post, R"(/api/partners/([^/]+)/match)", "/api/partners/{name}/match", &ServerImpl::PartnerMatch);
    on(get, "/api/explain", "/api/explain", &ServerImpl::Explain);
    on(get, "/api/stats", "/api/stats", &ServerImpl::Stats);
    on(get, "/api/offers", "/api/offers", &ServerImpl::ListOffers);
    on(post, "/api/offers", "/api/offers", &ServerImpl::IssueOffer);
    on(get, R"(/api/offers/([^/]+))", "/api/offers/{name}", &ServerImpl::OfferReport);
    on(get, "/api/stores", "/api/stores", &ServerImpl::ListStores);
    on(get, R"(/api/stores/([^/]+)/metrics)", "/api/stores/{id}/metrics", &ServerImpl::StoreMetrics);
    on(get, R"(/api/stores/([^/]+)/occupancy)", "/api/stores/{id}/occupancy", &ServerImpl::StoreOccupancy);
    on(get, R"(/api/stores/([^/]+)/(devices))", "/api/stores/{id}/devices", &ServerImpl::StoreReport);
    on(get, R"(/api/stores/([^/]+)/(link-rate))", "/api/stores/{id}/link-rate", &ServerImpl::StoreReport);
    on(get, R"(/api/stores/([^/]+)/(flows))", "/api/stores/{id}/flows", &ServerImpl::StoreReport);
    on(get, "/api/destinations", "/api/destinations", &ServerImpl::ListDestinations);
    on(post, "/api/destinations", "/api/destinations", &ServerImpl::AddDestination);
    on(get, R"(/api/destinations/([^/]+))", "/api/destinations/{name}", &ServerImpl::DestinationStatus);
    on(del, R"(/api/destinations/([^/]+))", "/api/destinations/{name}", &ServerImpl::DropDestination);
    on(post, R"(/api/destinations/([^/]+)/sync)", "/api/destinations/{name}/sync", &ServerImpl::SyncDestination);
    on(get, "/api/audit", "/api/audit", &ServerImpl::AuditLog);
    on(get, "/api/admin/ingest-health", "/api/admin/ingest-health", &ServerImpl::IngestHealth);
    http_->Route("POST", "/api/admin/tokens", Route("/api/admin/tokens", [this](const Request& q, Response& r) {
                   CreateCredential(q, r, true);
                 }), kWorker);
    http_->Route("POST", "/api/admin/writekeys", Route("/api/admin/writekeys", [this](const Request& q, Response& r) {
                   CreateCredential(q, r, false);
                 }), kWorker);
    for (bool token : {true, false}) {
      const std::string path = token ? "/api/admin/tokens" : "/api/admin/writekeys";
      http_->Route("GET", path, Route(path, [this, token](const Request& q, Response& r) { ListCredentials(q, r, token); }),
                   kWorker);
      http_->Route("DELETE", path + "/([^/]+)", Route(path + "/{id}", [this, token](const Request& q, Response& r) {
                     RevokeCredentials(q, r, token);
                   }), kWorker);
    }
    http_->Route("GET", "/healthz",
                 Route("/healthz", [](const Request&, Response& r) { SendJson(r, 200, "{\"ok\":true}"); }), kInline);
    http_->Route("GET", "/readyz", Route("/readyz", [this](const Request&, Response& r) {
                   SendJson(r, ready_ ? 200 : 503, ready_ ? "{\"ready\":true}" : "{\"ready\":false}");
                 }), kInline);
    http_->Route("GET", "/metrics", Route("/metrics", [this](const Request&, Response& r) {
                   std::string text =
                       metrics_.Render({{"holo_ingest_queue_depth", static_cast<double>(writer_.queue_depth())},
                                        {"holo_store_bytes", static_cast<double>(StoreBytes())}});
                   if (auto d = engine_->destinations().DestinationMetricsText(); d.ok()) text += *d;
                   r.set_content(std::move(text), "text/plain; version=0.0.4");
                 }), kWorker);
    http_->Route("GET", R"(/([A-Za-z0-9_.\-]*))", Route("/{asset}", [](const Request& q, Response& r) {
                   std::string name = q.matches[1];
                   const Asset* a = FindAsset(name.empty() ? "index.html" : name);
                   if (a == nullptr) return SendError(r, 404, "not_found", "no such page: " + q.path);
                   r.set_header("Cache-Control", "no-cache");
                   r.set_content(std::string(a->data), std::string(a->content_type));
                 }), kInline);
    http_->SetErrorHandler([](const Request& q, Response& r) {
      SendError(r, r.status, CodeOf(r.status),
                (r.status == 405 ? "method not allowed: " : "no route for ") + q.method + " " + q.path);
    });
  }

  Engine* engine_;
  ServerOptions options_;
  RateLimiter limiter_;
  std::shared_mutex cred_mu_;
  std::unordered_map<std::string, Engine::Credential> cred_cache_;  // kind\nsecret -> credential
  std::mutex origins_mu_;
  std::vector<std::string> key_origins_;  // sorted: every origin some write key allows
  std::chrono::steady_clock::time_point origins_read_at_;
  std::set<std::string> refused_origins_;  // source \n origin, logged once
  IngestWriter writer_;
  Metrics metrics_;
  std::unique_ptr<HttpFrontend> http_;
  std::thread syncer_;
  std::thread destination_syncer_;
  std::atomic<bool> ready_{false};
  int port_ = 0;

  std::mutex log_mu_;
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  bool stop_sync_ = false;
  std::mutex shutdown_mu_;
  std::condition_variable done_cv_;
  bool shut_down_ = false;
};

}  // namespace
}  // namespace holo::server

namespace holo {

Result<std::unique_ptr<Server>> Server::Start(Engine* engine, const ServerOptions& options) {
  auto server = std::make_unique<server::ServerImpl>(engine, options);
  HOLO_RETURN_IF_ERROR(server->Begin());
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace holo
