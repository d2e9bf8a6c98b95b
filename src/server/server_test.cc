// holo serve against a real RocksDB store on loopback, through a real HTTP client.
#include <httplib.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include <regex>
#include <sodium.h>

#include "holo/engine.h"
#include "holo/recommend.h"
#include "holo/server.h"
#include "holo/stores.h"
#include "testing/test_util.h"

namespace holo {
namespace {

namespace fs = std::filesystem;

std::string Gzip(const std::string& in) {
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, in.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void TearDown() override { Close(); }

  void Open(double rate_limit = 0) {
    Options o;
    o.data_dir = dir_.path() + "/data";
    auto e = Engine::Open(o);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(*e);
    if (admin_.empty()) {
      admin_ = *engine_->serving().CreateCredential("token", "root", "admin", {});
      analyst_ = *engine_->serving().CreateCredential("token", "ann", "analyst", {});
      activation_ = *engine_->serving().CreateCredential("token", "act", "activation", {});
      web_key_ = *engine_->serving().CreateCredential("writekey", "web", "source", {});
    }
    ServerOptions so;
    so.port = 0;
    so.data_dir = o.data_dir;
    so.threads = 8;
    so.resolve_interval_ms = 50;
    so.rate_limit_eps = rate_limit;
    auto s = Server::Start(engine_.get(), so);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(*s);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }

  void Close() {
    client_.reset();
    if (server_) server_->Shutdown();
    server_.reset();
    engine_.reset();
  }

  httplib::Result Post(const std::string& path, const std::string& body, const std::string& key) {
    httplib::Headers h;
    if (!key.empty()) client_->set_basic_auth(key, "");
    auto r = client_->Post(path.c_str(), h, body, "application/json");
    client_->set_basic_auth("", "");
    return r;
  }

  // The dead-letter records, opened (the file holds their raw text sealed).
  std::string DeadLetters() {
    std::string out;
    Status s = engine_->privacy().ReadDeadLetters(0, [&](std::string_view j) {
      out.append(j);
      out.push_back('\n');
    }, nullptr);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  httplib::Result Get(const std::string& path, const std::string& token) {
    httplib::Headers h;
    if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
    return client_->Get(path.c_str(), h);
  }

  // Waits until the background resolve gave `id` a profile (`what`: "" for the stored
  // profile, "/traits" for the in-memory traits, which follow it a moment later).
  bool WaitForProfile(const std::string& id, const std::string& what = "") {
    for (int i = 0; i < 200; ++i) {
      auto r = Get("/api/profiles/" + id + what, admin_);
      if (r && r->status == 200) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return false;
  }

  testing::TempDir dir_{"server_test"};
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> client_;
  std::string admin_, analyst_, activation_, web_key_;
};

TEST_F(ServerTest, IngestsSegmentMessagesAndResolvesThem) {
  auto r = Post("/v1/identify",
                R"({"messageId":"i1","userId":"u1","anonymousId":"a1","traits":{"phone":"+86 138 0013 8000"}})",
                web_key_);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("\"success\":true"), std::string::npos);
  // The same message again is acknowledged and not stored twice.
  r = Post("/v1/identify", R"({"messageId":"i1","userId":"u1","anonymousId":"a1"})", web_key_);
  EXPECT_NE(r->body.find("\"duplicates\":1"), std::string::npos) << r->body;
  // A batch with one invalid message: the valid ones are stored, the bad one is named.
  r = Post("/v1/batch",
           R"({"batch":[{"type":"track","messageId":"t1","event":"Product Viewed","anonymousId":"a2","userId":"u1"},
                        {"type":"track","messageId":"t2","anonymousId":"a2"},
                        {"type":"alias","messageId":"al1","previousId":"a3","userId":"u1"}]})",
           web_key_);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("\"accepted\":2"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("\"index\":1"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("missing required field 'event'"), std::string::npos) << r->body;
  // A gzipped batch.
  httplib::Headers gz = {{"Content-Encoding", "gzip"}};
  client_->set_basic_auth(web_key_, "");
  auto g = client_->Post("/v1/batch", gz,
                         Gzip(R"({"batch":[{"type":"track","messageId":"g1","event":"Z","anonymousId":"a4","userId":"u1"}]})"),
                         "application/json");
  client_->set_basic_auth("", "");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->status, 200) << g->body;

  // Every anonymous id resolves to the one person, with the events of both requests.
  ASSERT_TRUE(WaitForProfile("anonymous_id@web:a4"));
  auto p1 = Get("/api/profiles/anonymous_id@web:a1", admin_);
  auto p4 = Get("/api/profiles/anonymous_id@web:a4", admin_);
  auto p3 = Get("/api/profiles/anonymous_id@web:a3", admin_);
  ASSERT_EQ(p1->status, 200);
  std::string oneid = p1->body.substr(0, p1->body.find(','));
  EXPECT_EQ(p4->body.substr(0, p4->body.find(',')), oneid);
  EXPECT_EQ(p3->body.substr(0, p3->body.find(',')), oneid);
  auto ev = Get("/api/profiles/user_id@web:u1/events?limit=2", admin_);
  ASSERT_EQ(ev->status, 200) << ev->body;
  EXPECT_NE(ev->body.find("\"event\":\"Z\""), std::string::npos) << ev->body;
  EXPECT_NE(ev->body.find("\"next\":"), std::string::npos);
  EXPECT_EQ(ev->body.find("\"next\":null"), std::string::npos) << "4 events, pages of 2";

  // The rejected message is in the dead-letter file with its reason.
  std::string dead = testing::ReadFile(dir_.path() + "/data/dead_letter.jsonl");
  EXPECT_NE(dead.find("missing required field 'event'"), std::string::npos) << dead;
}

// The 360 view's order: by event time over all of the person's events, whatever the order
// they arrived in, paged by a cursor without gaps or repeats.
TEST_F(ServerTest, EventsByTimeAreOrderedAcrossPages) {
  // Arrival order 0..5; event times shuffled (two share a time).
  const char* times[] = {"2026-03-05", "2026-01-01", "2026-06-30", "2026-03-05", "2025-12-31", "2026-04-10"};
  std::string batch = R"({"batch":[)";
  for (int i = 0; i < 6; ++i) {
    if (i > 0) batch += ",";
    batch += R"({"type":"track","messageId":"ord)" + std::to_string(i) + R"(","event":"E)" + std::to_string(i) +
             R"(","userId":"ord1","timestamp":")" + times[i] + R"(T10:00:00Z"})";
  }
  batch += "]}";
  auto r = Post("/v1/batch", batch, web_key_);
  ASSERT_EQ(r->status, 200) << r->body;
  ASSERT_TRUE(WaitForProfile("user_id@web:ord1"));

  std::vector<std::string> seen;  // "timestamp event"
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    auto ev = Get("/api/profiles/user_id@web:ord1/events?order=time&limit=4" + (cursor.empty() ? "" : "&cursor=" + cursor), admin_);
    ASSERT_EQ(ev->status, 200) << ev->body;
    EXPECT_NE(ev->body.find("\"truncated\":false"), std::string::npos) << ev->body;
    for (size_t at = 0; (at = ev->body.find("\"timestamp\":\"", at)) != std::string::npos;) {
      at += 13;
      const std::string ts = ev->body.substr(at, ev->body.find('"', at) - at);
      const size_t e = ev->body.find("\"event\":\"", at) + 9;
      seen.push_back(ts + " " + ev->body.substr(e, ev->body.find('"', e) - e));
    }
    const size_t n = ev->body.find("\"next\":");
    ASSERT_NE(n, std::string::npos) << ev->body;
    if (ev->body.compare(n + 7, 4, "null") == 0) break;
    ASSERT_EQ(ev->body[n + 7], '"') << "a time cursor is text: " << ev->body;
    cursor = ev->body.substr(n + 8, ev->body.find('"', n + 8) - (n + 8));
  }
  const std::vector<std::string> want = {
      "2026-06-30T10:00:00.000Z E2", "2026-04-10T10:00:00.000Z E5", "2026-03-05T10:00:00.000Z E3",
      "2026-03-05T10:00:00.000Z E0", "2026-01-01T10:00:00.000Z E1", "2025-12-31T10:00:00.000Z E4"};
  EXPECT_EQ(seen, want);

  EXPECT_EQ(Get("/api/profiles/user_id@web:ord1/events?order=time&cursor=nonsense", admin_)->status, 400);
  EXPECT_EQ(Get("/api/profiles/user_id@web:ord1/events?order=sideways", admin_)->status, 400);
  EXPECT_EQ(Get("/api/profiles/user_id@web:ord1/events?cursor=1.2", admin_)->status, 400);
}

TEST_F(ServerTest, RefusesBadRequestsClearly) {
  auto r = Post("/v1/track", R"({"messageId":"x","event":"E","userId":"u"})", "");
  EXPECT_EQ(r->status, 401);
  r = Post("/v1/track", R"({"messageId":"x","event":"E","userId":"u"})", "not-a-key");
  EXPECT_EQ(r->status, 401);
  r = Post("/v1/track", "{not json", web_key_);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("invalid JSON"), std::string::npos) << r->body;
  r = Post("/v1/batch", R"({"batch":"nope","marker":"dl-batch"})", web_key_);
  EXPECT_EQ(r->status, 400);
  r = Post("/v1/track", "{still not json, marker dl-unauth", "");
  EXPECT_EQ(r->status, 400) << r->body;  // the key could have been in the body: the JSON error is the news
  // Bodies without a message go to the dead-letter file with their reason when the
  // write key is valid; an unauthenticated one does not.
  std::string dead = testing::ReadFile(dir_.path() + "/data/dead_letter.jsonl");
  EXPECT_NE(dead.find("invalid JSON"), std::string::npos) << dead;
  EXPECT_EQ(dead.find("{not json"), std::string::npos) << "sealed: " << dead;
  EXPECT_EQ(dead.find("dl-batch"), std::string::npos) << "sealed: " << dead;
  dead = DeadLetters();
  EXPECT_NE(dead.find("{not json"), std::string::npos) << dead;
  EXPECT_NE(dead.find("dl-batch"), std::string::npos) << dead;
  EXPECT_EQ(dead.find("dl-unauth"), std::string::npos) << dead;
  r = Post("/v1/track", R"({"messageId":"x","event":"E"})", web_key_);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("userId"), std::string::npos) << r->body;
  r = Post("/v1/track", R"({"type":"identify","messageId":"x","userId":"u"})", web_key_);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("does not match the endpoint"), std::string::npos) << r->body;
  std::string big = R"({"messageId":"big","event":"E","userId":"u","properties":{"p":")" + std::string(40000, 'x') + "\"}}";
  r = Post("/v1/track", big, web_key_);
  EXPECT_EQ(r->status, 413) << r->body;
  r = Post("/v1/batch", R"({"batch":[]})", web_key_);
  EXPECT_EQ(r->status, 400);
  // Chunked bodies (a client that streams without Content-Length) are read whole.
  client_->set_basic_auth(web_key_, "");
  const std::string parts[] = {R"({"messageId":"ch1","event":"Chunked",)", R"("userId":"cu"})"};
  auto chunked = client_->Post(
      "/v1/track",
      [&parts](size_t offset, httplib::DataSink& sink) {
        if (offset < parts[0].size()) {
          sink.write(parts[0].data(), parts[0].size());
        } else {
          sink.write(parts[1].data(), parts[1].size());
          sink.done();
        }
        return true;
      },
      "application/json");
  client_->set_basic_auth("", "");
  ASSERT_TRUE(chunked);
  EXPECT_EQ(chunked->status, 200) << chunked->body;
  EXPECT_NE(chunked->body.find("\"accepted\":1"), std::string::npos) << chunked->body;
  // The write key in the body (Segment's alternative to Basic auth) works.
  r = Post("/v1/track", R"({"writeKey":")" + web_key_ + R"(","messageId":"wk","event":"E","userId":"u"})", "");
  EXPECT_EQ(r->status, 200) << r->body;
}

TEST_F(ServerTest, IdsWithSlashesAndQueriesWithTyposAnswerPrecisely) {
  ASSERT_EQ(Post("/v1/identify", R"({"messageId":"sl1","userId":"team/lead","anonymousId":"a-slash"})", web_key_)->status,
            200);
  ASSERT_TRUE(WaitForProfile("user_id@web:team%2Flead", "/traits"));
  auto p = Get("/api/profiles/user_id@web:team%2Flead", admin_);
  ASSERT_EQ(p->status, 200) << p->body;
  // The id is one path segment: its '/' does not make it another route.
  EXPECT_EQ(Get("/api/profiles/user_id@web:team/lead", admin_)->status, 404);

  httplib::Headers h{{"Authorization", "Bearer " + admin_}};
  auto c = client_->Post("/api/count", h, R"({"expression":"spending_powr >= 3"})", "application/json");
  ASSERT_EQ(c->status, 200) << c->body;
  EXPECT_NE(c->body.find("no profile has the trait 'spending_powr'"), std::string::npos) << c->body;
  c = client_->Post("/api/count", h, R"({"expression":"order_count >= 0"})", "application/json");
  ASSERT_EQ(c->status, 200) << c->body;
  EXPECT_NE(c->body.find("\"warnings\":[]"), std::string::npos) << c->body;

  auto g = Get("/api/groupprofile?segment=no_such_segment", admin_);
  EXPECT_EQ(g->status, 404) << g->body;
  EXPECT_NE(g->body.find("not a segment"), std::string::npos) << g->body;
}

TEST_F(ServerTest, RolesDecideWhoSeesIndividuals) {
  ASSERT_EQ(Post("/v1/identify", R"({"messageId":"r1","userId":"ru1","anonymousId":"ra1"})", web_key_)->status, 200);
  ASSERT_TRUE(WaitForProfile("user_id@web:ru1"));
  EXPECT_EQ(Get("/api/profiles/user_id@web:ru1", "")->status, 401);
  EXPECT_EQ(Get("/api/profiles/user_id@web:ru1", "bogus")->status, 401);
  // An analyst never sees an individual.
  auto r = Get("/api/profiles/user_id@web:ru1", analyst_);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(Get("/api/profiles/user_id@web:ru1/traits", analyst_)->status, 403);
  EXPECT_EQ(Get("/api/explain?a=user_id@web:ru1&b=anonymous_id@web:ra1", analyst_)->status, 403);
  // Counts under k are suppressed for analysts, not for admins.
  httplib::Headers ha = {{"Authorization", "Bearer " + analyst_}};
  auto c = client_->Post("/api/count", ha, R"({"expression":"order_count >= 0 or order_count < 0 or age is null"})",
                         "application/json");
  ASSERT_EQ(c->status, 200) << c->body;
  EXPECT_NE(c->body.find("\"count\":null"), std::string::npos) << c->body;
  EXPECT_NE(c->body.find("\"noised\":true"), std::string::npos) << c->body;
  // (The in-memory trait table follows the stored profile a moment later.)
  httplib::Headers hd = {{"Authorization", "Bearer " + admin_}};
  for (int i = 0; i < 200; ++i) {
    c = client_->Post("/api/count", hd, R"({"expression":"age is null"})", "application/json");
    if (c->body.find("\"count\":1") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_NE(c->body.find("\"count\":1"), std::string::npos) << c->body;
  // A one-person segment: the admin sees its size, the analyst does not (list, get, create).
  auto made = client_->Post("/api/segments", hd, R"({"name":"one","expression":"age is null"})", "application/json");
  ASSERT_EQ(made->status, 201) << made->body;
  EXPECT_NE(made->body.find(R"("size":1)"), std::string::npos) << made->body;
  auto seen = client_->Get("/api/segments/one", ha);
  ASSERT_EQ(seen->status, 200) << seen->body;
  // Withheld, or (with probability 0.4%) a noisy size of at least k: never the 1.
  EXPECT_EQ(seen->body.find(R"("size":1,)"), std::string::npos) << seen->body;
  auto listed = client_->Get("/api/segments", ha);
  EXPECT_EQ(listed->body.find(R"("size":1)"), std::string::npos) << listed->body;
  // Funnels pass the same release point for analysts (a population of one is withheld);
  // admins see the operators' view.
  auto fa = client_->Get("/api/funnel?brand=Nike", ha);
  ASSERT_EQ(fa->status, 200) << fa->body;
  EXPECT_NE(fa->body.find(R"("population":null)"), std::string::npos) << fa->body;
  EXPECT_NE(fa->body.find(R"("withheld":{"population":"group below the minimum size")"), std::string::npos) << fa->body;
  // Analysts no longer read the store's exact totals.
  EXPECT_EQ(client_->Get("/api/stats", ha)->status, 403);
  auto fd = client_->Get("/api/funnel?brand=Nike", hd);
  ASSERT_EQ(fd->status, 200) << fd->body;
  EXPECT_NE(fd->body.find(R"("population":"<50")"), std::string::npos) << fd->body;
  // Activation sees only people who consented to personalization: this one did not, and
  // the answer is the one an unknown identifier gets, byte for byte, on every look-up
  // (no existence oracle). The admin still sees the person.
  r = Get("/api/profiles/user_id@web:ru1", activation_);
  EXPECT_EQ(r->status, 404) << r->body;
  EXPECT_EQ(r->body, R"({"error":{"code":"not_found","message":"no person with this identifier is available for this use"}})");
  for (const std::string suffix : {"", "/traits", "/events", "/people"}) {
    auto known = Get("/api/profiles/user_id@web:ru1" + suffix, activation_);
    auto unknown = Get("/api/profiles/user_id@web:nobody-here" + suffix, activation_);
    ASSERT_TRUE(known && unknown);
    EXPECT_EQ(known->status, 404) << suffix;
    EXPECT_EQ(known->status, unknown->status) << suffix;
    EXPECT_EQ(known->body, unknown->body) << suffix;
    EXPECT_EQ(known->get_header_value("Content-Type"), unknown->get_header_value("Content-Type")) << suffix;
    EXPECT_EQ(known->headers.size(), unknown->headers.size()) << suffix;
  }
  EXPECT_EQ(Get("/api/profiles/user_id@web:ru1", admin_)->status, 200);
  EXPECT_EQ(Get("/api/profiles/user_id@web:nobody-here", admin_)->status, 404);
  // After consent is given, the next read answers.
  ASSERT_EQ(Post("/v1/track",
                 R"({"messageId":"c1","event":"Consent Given","userId":"ru1","properties":{"purposes":["personalization"]}})",
                 web_key_)
                ->status,
            200);
  // The ledger is written with the event: no waiting for a resolve.
  EXPECT_EQ(Get("/api/profiles/user_id@web:ru1/traits", activation_)->status, 200);
  EXPECT_EQ(Get("/api/profiles/user_id@web:ru1", activation_)->status, 200);
  // A withdrawal through the API counts from the next read on every activation path.
  auto w = client_->Post("/api/consent", hd,
                         R"({"id":"user_id@web:ru1","purposes":["personalization"],"given":false,"source":"support"})",
                         "application/json");
  ASSERT_EQ(w->status, 200) << w->body;
  EXPECT_NE(w->body.find(R"("personalization":{"given":false,"decided":true)"), std::string::npos) << w->body;
  EXPECT_EQ(Get("/api/profiles/user_id@web:ru1/traits", activation_)->status, 404);
  EXPECT_EQ(Get("/api/profiles/user_id@web:ru1/events", activation_)->status, 404);
  EXPECT_EQ(Get("/api/profiles/user_id@web:ru1/people", activation_)->status, 404);
  auto history = Get("/api/profiles/user_id@web:ru1/consent", admin_);
  ASSERT_EQ(history->status, 200) << history->body;
  EXPECT_NE(history->body.find(R"("source":"support")"), std::string::npos) << history->body;
  EXPECT_NE(history->body.find(R"("source":"web")"), std::string::npos) << history->body;
  EXPECT_EQ(Get("/api/profiles/user_id@web:ru1/consent", activation_)->status, 403);
  auto bad = client_->Post("/api/consent", hd, R"({"id":"user_id@web:ru1","purposes":["telepathy"],"given":true})",
                           "application/json");
  EXPECT_EQ(bad->status, 400) << bad->body;
  // The policy is the administrators': activation now needs analytics too.
  auto pol = client_->Put("/api/admin/consent-policy", hd, R"({"uses":{"activation":["analytics"]}})", "application/json");
  ASSERT_EQ(pol->status, 200) << pol->body;
  EXPECT_EQ(client_->Put("/api/admin/consent-policy", hd, "{", "application/json")->status, 400);
  EXPECT_EQ(client_->Get("/api/admin/consent-policy", ha)->status, 403);
  // Access request: admins only.
  auto dsar = Get("/api/profiles/user_id@web:ru1/access-request", admin_);
  ASSERT_EQ(dsar->status, 200) << dsar->body;
  EXPECT_NE(dsar->body.find(R"("value":"ru1")"), std::string::npos) << dsar->body;
  auto dsar_text = Get("/api/profiles/user_id@web:ru1/access-request?format=text", admin_);
  EXPECT_NE(dsar_text->body.find("What Holo holds about OneID"), std::string::npos) << dsar_text->body;
  EXPECT_EQ(Get("/api/profiles/user_id@web:ru1/access-request", activation_)->status, 403);
  // Erasure: admins only; the person is gone from the next read.
  EXPECT_EQ(client_->Post("/api/erasure", ha, R"({"id":"user_id@web:ru1"})", "application/json")->status, 403);
  auto erased = client_->Post("/api/erasure", hd, R"({"id":"user_id@web:ru1"})", "application/json");
  ASSERT_EQ(erased->status, 200) << erased->body;
  EXPECT_NE(erased->body.find(R"("identifiers":2)"), std::string::npos) << erased->body;
  EXPECT_EQ(Get("/api/profiles/user_id@web:ru1", admin_)->status, 404);
  EXPECT_EQ(Get("/api/profiles/anonymous_id@web:ra1", admin_)->status, 404);
  EXPECT_EQ(client_->Post("/api/erasure", hd, R"({"id":"user_id@web:ru1"})", "application/json")->status, 404);
  // Every read of an individual is in the audit log, refused ones included.
  server_->Shutdown();
  std::string audit = testing::ReadFile(dir_.path() + "/data/audit.jsonl");
  EXPECT_NE(audit.find("\"token\":\"root\",\"role\":\"admin\",\"action\":\"profile.read\""), std::string::npos) << audit;
  EXPECT_NE(audit.find("\"token\":\"act\",\"role\":\"activation\",\"action\":\"profile.read\""), std::string::npos);
  EXPECT_NE(audit.find("\"status\":403"), std::string::npos);  // the true reason, for admins
  EXPECT_NE(audit.find("\"target\":\"unknown:user_id@web\",\"status\":404"), std::string::npos) << audit;
  EXPECT_NE(audit.find("\"action\":\"profile.traits\""), std::string::npos);
  EXPECT_NE(audit.find("\"action\":\"consent.withdraw\",\"target\":\"user_id@web:ru1\""), std::string::npos) << audit;
  EXPECT_NE(audit.find("\"action\":\"config.consent_policy\""), std::string::npos) << audit;
  EXPECT_NE(audit.find("\"action\":\"person.erase\",\"target\":\"oneid:"), std::string::npos) << audit;
}

// Recommendations over HTTP: 409 with the way out before a model is trained; then the items
// with their explanations for a person who consented, the same 404 as an unknown person for
// an activation token asking about one who did not; bad parameters are 400; a look-alike is
// saved as a segment (201) and reported without one (200).
TEST_F(ServerTest, RecommendationsAndLookalikes) {
  std::string batch = R"({"batch":[)";
  for (int u = 0; u < 30; ++u) {
    const std::string id = "rc" + std::to_string(u);
    if (u > 0) batch += ",";
    batch += R"({"type":"track","event":"Consent Given","messageId":"c-)" + id + R"(","userId":")" + id +
             R"(","properties":{"purposes":[")" + (u == 1 ? "marketing" : "personalization") + R"("]}})";
    for (int k = 0; k < 3; ++k) {
      batch += R"(,{"type":"track","event":"Product Viewed","messageId":"v-)" + id + "-" + std::to_string(k) +
               R"(","userId":")" + id + R"(","timestamp":"2026-10-0)" + std::to_string(1 + k) +
               R"(T10:00:00Z","properties":{"product_id":"p)" + std::to_string((u + k) % 6) + R"(","category":"food"}})";
    }
  }
  batch += "]}";
  ASSERT_EQ(Post("/v1/batch", batch, web_key_)->status, 200);
  ASSERT_TRUE(WaitForProfile("user_id@web:rc29"));
  auto r = Get("/api/profiles/user_id@web:rc0/recommendations", admin_);
  ASSERT_EQ(r->status, 409) << r->body;
  EXPECT_NE(r->body.find("holo recommend train"), std::string::npos) << r->body;
  // Train (the server is the store's one writer: train beside it through the engine).
  RecommendTrainOptions train;
  train.algo = "itemknn";
  auto report = engine_->recommend().Train(train);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  auto model = Get("/api/recommend/model", admin_);
  ASSERT_EQ(model->status, 200);
  EXPECT_NE(model->body.find(R"("trained":true)"), std::string::npos) << model->body;
  EXPECT_EQ(Get("/api/recommend/model", activation_)->status, 403);
  r = Get("/api/profiles/user_id@web:rc0/recommendations?k=2&domain=web", activation_);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find(R"("item":"web:product:p)"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find(R"("because":"because you viewed)"), std::string::npos) << r->body;
  // rc1 consented to marketing only: the activation token learns nothing, not even existence.
  auto withheld = Get("/api/profiles/user_id@web:rc1/recommendations", activation_);
  auto unknown = Get("/api/profiles/user_id@web:nobody/recommendations", activation_);
  EXPECT_EQ(withheld->status, 404);
  EXPECT_EQ(withheld->body, unknown->body);
  auto admin_view = Get("/api/profiles/user_id@web:rc1/recommendations", admin_);
  ASSERT_EQ(admin_view->status, 200);
  EXPECT_NE(admin_view->body.find(R"("allowed":false,"personalized":false,"items":[])"), std::string::npos) << admin_view->body;
  EXPECT_EQ(Get("/api/profiles/user_id@web:rc0/recommendations?k=0", admin_)->status, 400);
  EXPECT_EQ(Get("/api/profiles/user_id@web:rc0/recommendations?k=x", admin_)->status, 400);
  EXPECT_EQ(Get("/api/profiles/user_id@web:rc0/recommendations?domain=nowhere", admin_)->status, 400);
  EXPECT_EQ(Get("/api/profiles/user_id@web:rc0/recommendations", analyst_)->status, 403);
  // Look-alikes: of the people who viewed p0, the 5 most like them.
  httplib::Headers hd = {{"Authorization", "Bearer " + admin_}};
  auto seg = client_->Post("/api/segments", hd, R"({"name":"p0","expression":"count(Product Viewed where product_id = \"p0\", 365d) >= 1 or count(Product Viewed where product_id = \"p1\", 365d) >= 1 or count(Product Viewed where product_id = \"p2\", 365d) >= 1"})", "application/json");
  ASSERT_EQ(seg->status, 201) << seg->body;
  auto la = client_->Post("/api/lookalikes", hd, R"({"seed":"p0","size":5,"name":"like_p0"})", "application/json");
  ASSERT_EQ(la->status, 201) << la->body;
  EXPECT_NE(la->body.find(R"("size":5)"), std::string::npos) << la->body;
  auto saved = client_->Get("/api/segments/like_p0", hd);
  ASSERT_EQ(saved->status, 200) << saved->body;
  EXPECT_NE(saved->body.find(R"("size":5)"), std::string::npos) << saved->body;
  EXPECT_EQ(client_->Post("/api/lookalikes", hd, R"({"seed":"p0","size":5})", "application/json")->status, 200);
  EXPECT_EQ(client_->Post("/api/lookalikes", hd, R"({"seed":"p0"})", "application/json")->status, 400);
  EXPECT_EQ(client_->Post("/api/lookalikes", hd, R"({"seed":"p0","size":5,"name":"p0"})", "application/json")->status, 409);
  httplib::Headers ha = {{"Authorization", "Bearer " + analyst_}};
  EXPECT_EQ(client_->Post("/api/lookalikes", ha, R"({"seed":"p0","size":5})", "application/json")->status, 403);
}

TEST_F(ServerTest, AcknowledgedEventsSurviveShutdownAndRestart) {
  for (int i = 0; i < 20; ++i) {
    std::string body = R"({"batch":[)";
    for (int j = 0; j < 50; ++j) {
      if (j > 0) body += ",";
      body += R"({"type":"track","event":"E","messageId":"s)" + std::to_string(i) + "_" + std::to_string(j) +
              R"(","userId":"su)" + std::to_string(j) + "\"}";
    }
    body += "]}";
    ASSERT_EQ(Post("/v1/batch", body, web_key_)->status, 200);
  }
  auto m = client_->Get("/metrics");
  ASSERT_EQ(m->status, 200);
  EXPECT_NE(m->body.find("holo_events_ingested_total{source=\"web\"} 1000"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("holo_http_request_seconds_bucket{route=\"/v1/batch\""), std::string::npos);
  EXPECT_NE(m->body.find("holo_ingest_queue_depth"), std::string::npos);
  Close();
  // Reopened: all 1,000 events are there; what was not resolved yet is still
  // marked and resolves now.
  Options o;
  o.data_dir = dir_.path() + "/data";
  auto e = Engine::Open(o);
  ASSERT_TRUE(e.ok());
  auto stats = (*e)->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->events, 1000u);
  ResolveReport report;
  ASSERT_TRUE((*e)->Resolve(false, &report).ok());
  EXPECT_EQ((*e)->Stats()->pending_nodes, 0u);
  EXPECT_TRUE((*e)->serving().ResolveId("user_id@web:su7").ok());
}

TEST_F(ServerTest, RateLimitPerSource) {
  Close();
  Open(/*rate_limit=*/100);
  std::string body = R"({"batch":[)";
  for (int j = 0; j < 80; ++j) {
    body += (j ? "," : "") + std::string(R"({"type":"track","event":"E","messageId":"rl)") + std::to_string(j) +
            R"(","userId":"u"})";
  }
  body += "]}";
  EXPECT_EQ(Post("/v1/batch", body, web_key_)->status, 200);
  auto r = Post("/v1/batch", body, web_key_);  // 160 > 100 events within a second
  EXPECT_EQ(r->status, 429) << r->body;
  EXPECT_EQ(r->get_header_value("Retry-After"), "1");
}

TEST_F(ServerTest, OperationsAndDashboard) {
  EXPECT_EQ(client_->Get("/healthz")->status, 200);
  EXPECT_EQ(client_->Get("/readyz")->status, 200);
  auto page = client_->Get("/");
  ASSERT_EQ(page->status, 200);
  EXPECT_NE(page->get_header_value("Content-Type").find("text/html"), std::string::npos);
  auto charts = client_->Get("/echarts.min.js");
  ASSERT_EQ(charts->status, 200);
  EXPECT_GT(charts->body.size(), 100000u);
  EXPECT_EQ(client_->Get("/nope.js")->status, 404);
  // Credentials over the API, admin only.
  httplib::Headers ha = {{"Authorization", "Bearer " + admin_}};
  auto t = client_->Post("/api/admin/writekeys", ha, R"({"source":"shop"})", "application/json");
  ASSERT_EQ(t->status, 201) << t->body;
  std::string key = t->body.substr(t->body.find("\"writeKey\":\"") + 12);
  key = key.substr(0, key.find('"'));
  EXPECT_EQ(Post("/v1/track", R"({"messageId":"k1","event":"E","userId":"u"})", key)->status, 200);
  // A write key for a source name ingestion would refuse is not created.
  auto bad = client_->Post("/api/admin/writekeys", ha, R"({"source":"Bad Source"})", "application/json");
  EXPECT_EQ(bad->status, 400) << bad->body;
  httplib::Headers hn = {{"Authorization", "Bearer " + analyst_}};
  EXPECT_EQ(client_->Post("/api/admin/tokens", hn, R"({"name":"x","role":"admin"})", "application/json")->status, 403);
}

// A full disk while serving (issue 15, "Faults"): ingestion is answered 507 with
// Retry-After and a JSON error, the server goes on serving reads, and every message
// acknowledged with 200 is stored. The disk is storage's injected one
// (HOLO_TEST_DISK_BUDGET_BYTES, storage/disk_budget_fs.h).
TEST_F(ServerTest, FullDiskAnswers507WithRetryAfterAndKeepsServingReads) {
  auto r = Post("/v1/identify", R"({"messageId":"before","userId":"u-before","anonymousId":"a-before"})", web_key_);
  ASSERT_EQ(r->status, 200) << r->body;
  ASSERT_TRUE(WaitForProfile("user_id@web:u-before"));
  auto profile_before = Get("/api/profiles/user_id@web:u-before", admin_);
  ASSERT_EQ(profile_before->status, 200);

  Close();
  setenv("HOLO_TEST_DISK_BUDGET_BYTES", "524288", 1);  // 512 KiB left on the "disk"
  Open();
  unsetenv("HOLO_TEST_DISK_BUDGET_BYTES");
  std::set<std::string> acked;
  int refused = 0;  // the status of the first request not answered 200
  std::string refused_body, retry_after, content_type;
  const std::string pad(300, 'p');
  for (int b = 0; b < 400 && refused == 0; ++b) {
    std::string body = R"({"batch":[)";
    std::vector<std::string> ids;
    for (int j = 0; j < 50; ++j) {
      ids.push_back("full-" + std::to_string(b) + "-" + std::to_string(j));
      body += (j ? "," : "") + std::string(R"({"type":"track","event":"E","messageId":")") + ids.back() +
              R"(","userId":"u)" + std::to_string(j) + R"(","properties":{"pad":")" + pad + R"("}})";
    }
    body += "]}";
    auto res = Post("/v1/batch", body, web_key_);
    ASSERT_TRUE(res) << "the server stopped answering";
    if (res->status == 200) {
      acked.insert(ids.begin(), ids.end());
    } else {
      refused = res->status;
      refused_body = res->body;
      retry_after = res->get_header_value("Retry-After");
      content_type = res->get_header_value("Content-Type");
    }
  }
  ASSERT_NE(refused, 0) << "the disk never filled up";
  EXPECT_EQ(refused, 507) << refused_body;
  EXPECT_EQ(retry_after, "30");
  EXPECT_NE(content_type.find("application/json"), std::string::npos);
  EXPECT_NE(refused_body.find("\"success\":false"), std::string::npos) << refused_body;
  EXPECT_NE(refused_body.find("\"code\":\"insufficient_storage\""), std::string::npos) << refused_body;
  EXPECT_NE(refused_body.find("disk full"), std::string::npos) << refused_body;
  EXPECT_GT(acked.size(), 0u);

  // The process is alive and reads go on.
  EXPECT_EQ(client_->Get("/healthz")->status, 200);
  auto profile = Get("/api/profiles/user_id@web:u-before", admin_);
  ASSERT_TRUE(profile);
  EXPECT_EQ(profile->status, 200) << profile->body;
  EXPECT_EQ(profile->body, profile_before->body);
  // A second write is refused the same way.
  auto again = Post("/v1/track", R"({"messageId":"after-full","event":"E","userId":"u"})", web_key_);
  EXPECT_EQ(again->status, 507) << again->body;

  // Every message acknowledged with 200 is in the store.
  Close();
  Options o;
  o.data_dir = dir_.path() + "/data";
  auto e = Engine::Open(o);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  std::ostringstream events;
  ASSERT_TRUE((*e)->ExportEvents(events).ok());
  std::set<std::string> stored;
  std::istringstream in(events.str());
  for (std::string line; std::getline(in, line);) {
    size_t p = line.find("\"message_id\":\"") + 14;
    stored.insert(line.substr(p, line.find('"', p) - p));
  }
  for (const auto& id : acked) ASSERT_TRUE(stored.count(id)) << id << " was acknowledged but is not stored";
}

// POST /api/partners/{name}/match: admins and analysts get the overlap's group profile,
// activation tokens a 403; every request is audited with the partner and the number of
// hashes, never the hashes; an upload over the limit is refused with 413.
TEST_F(ServerTest, PartnerMatchForAnalystsOnlyAndAudited) {
  std::string body = R"({"batch":[)";
  for (int i = 0; i < 70; ++i) {
    if (i > 0) body += ",";
    body += R"({"type":"identify","messageId":"pm)" + std::to_string(i) + R"(","userId":"pm)" + std::to_string(i) +
            R"(","traits":{"email":"Partner.User)" + std::to_string(i) + R"(@Example.com"}})";
  }
  body += "]}";
  auto r = Post("/v1/batch", body, web_key_);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  ASSERT_TRUE(WaitForProfile("user_id@web:pm69"));
  ASSERT_TRUE(WaitForProfile("user_id@web:pm0"));
  std::string upload = "sha256_email\n";
  std::vector<std::string> hashes;
  for (int i = 0; i < 60; ++i) {
    const std::string email = "partner.user" + std::to_string(i) + "@example.com";
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(d, reinterpret_cast<const unsigned char*>(email.data()), email.size());
    std::string h;
    for (unsigned char c : d) {
      static constexpr char kDigits[] = "0123456789abcdef";
      h += kDigits[c >> 4];
      h += kDigits[c & 15];
    }
    hashes.push_back(h);
    upload += h + "\n";
  }
  upload += "oops\n";
  auto match = [&](const std::string& token, const std::string& text) {
    httplib::Headers h = {{"Authorization", "Bearer " + token}};
    return client_->Post("/api/partners/acme/match", h, text, "text/plain");
  };
  r = match(analyst_, upload);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("\"charged\":"), std::string::npos) << "an analyst's answer is noised: " << r->body;
  EXPECT_NE(r->body.find("\"malformed_lines\":[62]"), std::string::npos) << r->body;
  for (const auto& h : hashes) ASSERT_EQ(r->body.find(h), std::string::npos);
  r = match(admin_, upload);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("\"group_profile\":{\"size\":60,"), std::string::npos) << "operators are exact: " << r->body;
  r = match(activation_, upload);
  EXPECT_EQ(r->status, 403) << r->body;
  r = match("", upload);
  EXPECT_EQ(r->status, 401) << r->body;
  // Under k: no size, no cell (epsilon 1 on one dimension: a 2-person group reaches 50 with
  // probability e^-24).
  auto match_one_dim = [&](const std::string& text) {
    httplib::Headers h = {{"Authorization", "Bearer " + analyst_}};
    return client_->Post("/api/partners/acme/match?epsilon=1&dimensions=gender", h, text, "text/plain");
  };
  r = match_one_dim(hashes[0] + "\n" + hashes[1] + "\n");
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("\"size\":null"), std::string::npos) << r->body;
  EXPECT_EQ(r->body.find("\"count\":"), std::string::npos) << r->body;
  r = match(admin_, hashes[0] + "\n" + hashes[1] + "\n");  // operators: refused under k
  EXPECT_EQ(r->status, 409) << r->body;
  r = match(analyst_, std::string(kPartnerUploadMaxBytes + 10, '\n'));
  EXPECT_EQ(r->status, 413) << r->body;
  server_->Shutdown();
  const std::string audit = testing::ReadFile(dir_.path() + "/data/audit.jsonl");
  EXPECT_NE(audit.find(R"("token":"ann","role":"analyst","action":"partner.match","target":"partner:acme hashes:60","status":200)"),
            std::string::npos) << audit;
  EXPECT_NE(audit.find(R"("token":"root","role":"admin","action":"partner.match","target":"partner:acme hashes:60","status":200)"),
            std::string::npos) << audit;
  EXPECT_NE(audit.find(R"("token":"act","role":"activation","action":"partner.match","target":"partner:acme hashes:60","status":403)"),
            std::string::npos) << audit;
  EXPECT_NE(audit.find(R"("action":"partner.match","target":"partner:acme hashes:2","status":409)"), std::string::npos)
      << audit;
  EXPECT_NE(audit.find(R"("action":"partner.match","target":"partner:acme hashes:unread","status":413)"),
            std::string::npos) << audit;
  for (const auto& h : hashes) ASSERT_EQ(audit.find(h), std::string::npos);
}

// Browsers (docs/http_api.md, "Browsers"): CORS preflights, the origins a write key allows,
// text/plain bodies with the write key inside, the one-letter paths and beacons.
TEST_F(ServerTest, BrowsersSendFromTheOriginsTheirWriteKeyAllows) {
  httplib::Headers admin{{"Authorization", "Bearer " + admin_}};
  auto made = client_->Post("/api/admin/writekeys", admin,
                            R"({"source":"shop","allowedOrigins":["HTTPS://Shop.Example:443/","http://127.0.0.1:8080"]})",
                            "application/json");
  ASSERT_TRUE(made);
  ASSERT_EQ(made->status, 201) << made->body;
  EXPECT_NE(made->body.find(R"("allowedOrigins":["https://shop.example","http://127.0.0.1:8080"])"), std::string::npos)
      << made->body;
  const std::string shop_key = made->body.substr(made->body.find("hw_"), 46);
  auto bad = client_->Post("/api/admin/writekeys", admin, R"({"source":"shop","allowedOrigins":["https://a.example/path"]})",
                           "application/json");
  EXPECT_EQ(bad->status, 400) << bad->body;

  // The preflight: 204 for an origin some key allows, 403 without Access-Control-Allow-Origin otherwise.
  auto pre = client_->Options("/v1/t", {{"Origin", "https://shop.example"},
                                        {"Access-Control-Request-Method", "POST"},
                                        {"Access-Control-Request-Headers", "authorization,content-type,x-custom"}});
  ASSERT_TRUE(pre);
  EXPECT_EQ(pre->status, 204);
  EXPECT_EQ(pre->get_header_value("Access-Control-Allow-Origin"), "https://shop.example");
  EXPECT_NE(pre->get_header_value("Access-Control-Allow-Methods").find("POST"), std::string::npos);
  EXPECT_NE(pre->get_header_value("Access-Control-Allow-Headers").find("Authorization"), std::string::npos);
  EXPECT_NE(pre->get_header_value("Access-Control-Allow-Headers").find("x-custom"), std::string::npos);
  EXPECT_EQ(pre->get_header_value("Access-Control-Max-Age"), "7200");
  pre = client_->Options("/beacon/v1/batch", {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(pre->status, 403) << pre->body;
  EXPECT_FALSE(pre->has_header("Access-Control-Allow-Origin"));
  EXPECT_NE(pre->body.find("--allow-origin https://evil.example"), std::string::npos) << pre->body;
  pre = client_->Options("/v1/batch", httplib::Headers{});
  EXPECT_EQ(pre->status, 204);  // not a browser: no CORS headers, no refusal

  // analytics.js: text/plain, the write key in the body, the one-letter path.
  auto post = [&](const std::string& path, const std::string& origin, const std::string& body,
                  const std::string& content_type) {
    httplib::Headers h;
    if (!origin.empty()) h.emplace("Origin", origin);
    return client_->Post(path.c_str(), h, body, content_type.c_str());
  };
  auto r = post("/v1/t", "https://shop.example",
                R"({"type":"track","event":"Viewed","anonymousId":"b1","messageId":"bt1","writeKey":")" + shop_key + "\"}",
                "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Access-Control-Allow-Origin"), "https://shop.example");
  EXPECT_EQ(r->get_header_value("Vary"), "Origin");
  // A batch with no Content-Type at all; a beacon with the key in the query.
  r = post("/v1/b", "http://127.0.0.1:8080",
           R"({"writeKey":")" + shop_key + R"(","batch":[{"type":"page","name":"Home","anonymousId":"b1","messageId":"bp1"},
                                                   {"type":"identify","userId":"bu1","anonymousId":"b1","messageId":"bi1"}]})",
           "");
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("\"accepted\":2"), std::string::npos) << r->body;
  r = post("/beacon/v1/batch?writeKey=" + shop_key, "https://shop.example",
           R"({"batch":[{"type":"track","event":"Left","anonymousId":"b1","messageId":"bt2"}]})", "text/plain;charset=UTF-8");
  EXPECT_EQ(r->status, 200) << r->body;
  for (const char* path : {"/v1/p", "/v1/i", "/v1/g", "/v1/a", "/v1/s"}) {
    auto o = client_->Options(path, {{"Origin", "https://shop.example"}});
    EXPECT_EQ(o->status, 204) << path;
  }

  // The write key decides: "web" allows no origin (as every key made before origins existed),
  // so a page is refused with 403, not dropped; a server (no Origin) is not concerned.
  r = post("/v1/t", "https://shop.example",
           R"({"type":"track","event":"X","anonymousId":"b2","messageId":"bt3","writeKey":")" + web_key_ + "\"}",
           "text/plain");
  EXPECT_EQ(r->status, 403) << r->body;
  EXPECT_NE(r->body.find("does not allow origin https://shop.example"), std::string::npos) << r->body;
  r = post("/v1/t", "https://evil.example",
           R"({"type":"track","event":"X","anonymousId":"b2","messageId":"bt4","writeKey":")" + shop_key + "\"}",
           "text/plain");
  EXPECT_EQ(r->status, 403) << r->body;
  EXPECT_FALSE(r->has_header("Access-Control-Allow-Origin"));
  r = post("/v1/t", "", R"({"type":"track","event":"X","anonymousId":"b2","messageId":"bt5","writeKey":")" + web_key_ + "\"}",
           "text/plain");
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_FALSE(r->has_header("Access-Control-Allow-Origin"));

  // A key for any origin ("*"): then every origin passes the preflight.
  made = client_->Post("/api/admin/writekeys", admin, R"({"source":"anysite","allowedOrigins":["*"]})", "application/json");
  ASSERT_EQ(made->status, 201) << made->body;
  pre = client_->Options("/v1/i", {{"Origin", "https://elsewhere.example"}});
  EXPECT_EQ(pre->status, 204);
  EXPECT_EQ(pre->get_header_value("Access-Control-Allow-Origin"), "https://elsewhere.example");
  ASSERT_TRUE(WaitForProfile("user_id@shop:bu1"));
  auto ev = Get("/api/profiles/user_id@shop:bu1/events", admin_);
  ASSERT_EQ(ev->status, 200);
  for (const char* want : {"\"Viewed\"", "\"Left\"", "\"Home\""}) EXPECT_NE(ev->body.find(want), std::string::npos) << want << ev->body;
  EXPECT_EQ(ev->body.find("evil"), std::string::npos);
}

TEST(NormalizeWebOriginTest, AsBrowsersSendThem) {
  EXPECT_EQ(*NormalizeWebOrigin("HTTPS://Shop.Example:443/"), "https://shop.example");
  EXPECT_EQ(*NormalizeWebOrigin("http://127.0.0.1:08080"), "http://127.0.0.1:8080");
  EXPECT_EQ(*NormalizeWebOrigin("http://[::1]:3000"), "http://[::1]:3000");
  EXPECT_EQ(*NormalizeWebOrigin("http://localhost:80"), "http://localhost");
  EXPECT_EQ(*NormalizeWebOrigin("*"), "*");
  for (const char* bad : {"", "shop.example", "ftp://a.example", "https://a.example/x", "https://user@a.example",
                          "https://a.example:", "https://a.example:99999", "https://", "https://a.example?q"}) {
    EXPECT_FALSE(NormalizeWebOrigin(bad).ok()) << bad;
  }
}

// Tokens and write keys are listed (never their secrets) and revoked by id or name; a
// revoked token stops working at once, the others go on.
TEST_F(ServerTest, CredentialsAreListedAndRevokedAtOnce) {
  auto second = engine_->serving().CreateCredential("token", "ann", "analyst", {});
  ASSERT_TRUE(second.ok());
  httplib::Headers hd = {{"Authorization", "Bearer " + admin_}};
  auto list = client_->Get("/api/admin/tokens", hd);
  ASSERT_EQ(list->status, 200) << list->body;
  EXPECT_EQ(list->body.find(*second), std::string::npos) << "no secret is listed";
  EXPECT_EQ(list->body.find(analyst_), std::string::npos);
  // ann has two tokens; both work.
  ASSERT_EQ(Get("/api/segments", analyst_)->status, 200);
  ASSERT_EQ(Get("/api/segments", *second)->status, 200);
  auto tokens = engine_->serving().ListCredentials("token");
  ASSERT_TRUE(tokens.ok());
  int ann = 0;
  for (const auto& c : *tokens) ann += c.name == "ann" ? 1 : 0;
  EXPECT_EQ(ann, 2);
  // By name: every token of ann.
  auto revoked = client_->Delete("/api/admin/tokens/ann", hd);
  ASSERT_EQ(revoked->status, 200) << revoked->body;
  EXPECT_NE(revoked->body.find("\"revoked\":[{"), std::string::npos) << revoked->body;
  EXPECT_EQ(Get("/api/segments", analyst_)->status, 401);
  EXPECT_EQ(Get("/api/segments", *second)->status, 401);
  EXPECT_EQ(Get("/api/segments", admin_)->status, 200);
  EXPECT_EQ(client_->Delete("/api/admin/tokens/ann", hd)->status, 404);
  EXPECT_EQ(client_->Delete("/api/admin/tokens/ab", {{"Authorization", "Bearer " + activation_}})->status, 403);
  // Write keys: by id.
  auto keys = client_->Get("/api/admin/writekeys", hd);
  ASSERT_EQ(keys->status, 200) << keys->body;
  const size_t at = keys->body.find("\"id\":\"");
  ASSERT_NE(at, std::string::npos) << keys->body;
  const std::string id = keys->body.substr(at + 6, 12);
  ASSERT_EQ(Post("/v1/track", R"({"type":"track","event":"E","messageId":"k1","userId":"u"})", web_key_)->status, 200);
  ASSERT_EQ(client_->Delete(("/api/admin/writekeys/" + id).c_str(), hd)->status, 200);
  EXPECT_EQ(Post("/v1/track", R"({"type":"track","event":"E","messageId":"k2","userId":"u"})", web_key_)->status, 401);
  server_->Shutdown();
  const std::string audit = testing::ReadFile(dir_.path() + "/data/audit.jsonl");
  EXPECT_NE(audit.find(R"("action":"token.revoke","target":"ann","status":200)"), std::string::npos) << audit;
  EXPECT_NE(audit.find(R"("action":"writekey.revoke","target":")" + id + R"(","status":200)"), std::string::npos) << audit;
}


// Segment's Profile API shape: traits, external ids and events of a person with cursors,
// Basic auth with the token as the user name; and the admins' profile listing and search.
TEST_F(ServerTest, ProfileApiInSegmentsShapeAndProfileListing) {
  auto r = Post("/v1/batch",
                R"({"batch":[{"type":"track","messageId":"e1","event":"Order Completed","userId":"pa1","anonymousId":"pa-anon",
                               "timestamp":"2026-10-01T10:00:00Z","properties":{"revenue":30}},
                              {"type":"track","messageId":"e2","event":"Order Completed","userId":"pa1",
                               "timestamp":"2026-10-02T10:00:00Z","properties":{"revenue":40}},
                              {"type":"track","messageId":"e3","event":"Product Viewed","userId":"pa2",
                               "timestamp":"2026-10-02T10:00:00Z","properties":{"product_id":"x"}}]})",
                web_key_);
  ASSERT_EQ(r->status, 200) << r->body;
  ASSERT_TRUE(WaitForProfile("user_id@web:pa1", "/traits"));
  ASSERT_TRUE(WaitForProfile("user_id@web:pa2", "/traits"));
  client_->set_basic_auth(admin_, "");  // as Segment's Profile API clients authenticate
  const std::string base = "/v1/spaces/holo/collections/users/profiles/user_id@web:pa1";
  auto traits = client_->Get((base + "/traits?limit=200").c_str());
  ASSERT_EQ(traits->status, 200) << traits->body;
  EXPECT_NE(traits->body.find("\"order_count\":2"), std::string::npos) << traits->body;
  EXPECT_NE(traits->body.find("\"cursor\":{"), std::string::npos) << traits->body;
  EXPECT_EQ(traits->body.find(":null"), std::string::npos) << "unset traits are left out: " << traits->body;
  // One at a time, following the cursor.
  auto first = client_->Get((base + "/traits?limit=1").c_str());
  ASSERT_EQ(first->status, 200);
  EXPECT_NE(first->body.find("\"has_more\":true"), std::string::npos) << first->body;
  const size_t at = first->body.find("\"next\":\"");
  ASSERT_NE(at, std::string::npos);
  const std::string next = first->body.substr(at + 8, first->body.find('"', at + 8) - at - 8);
  auto second = client_->Get((base + "/traits?limit=1&next=" + next).c_str());
  ASSERT_EQ(second->status, 200);
  EXPECT_NE(second->body.find("\"" + next + "\":"), std::string::npos) << second->body;
  auto only = client_->Get((base + "/traits?include=order_count,total_spend").c_str());
  EXPECT_NE(only->body.find(R"({"traits":{"order_count":2,"total_spend":70},)"), std::string::npos) << only->body;
  auto ids = client_->Get((base + "/external_ids").c_str());
  ASSERT_EQ(ids->status, 200) << ids->body;
  EXPECT_NE(ids->body.find("\"type\":\"user_id@web\""), std::string::npos) << ids->body;
  EXPECT_NE(ids->body.find("\"type\":\"anonymous_id@web\""), std::string::npos) << ids->body;
  auto events = client_->Get((base + "/events?limit=1").c_str());
  ASSERT_EQ(events->status, 200) << events->body;
  EXPECT_NE(events->body.find("\"has_more\":true"), std::string::npos) << events->body;
  EXPECT_NE(events->body.find("\"source_id\":\"web\""), std::string::npos) << events->body;
  const size_t en = events->body.find("\"next\":\"");
  ASSERT_NE(en, std::string::npos);
  const std::string before = events->body.substr(en + 8, events->body.find('"', en + 8) - en - 8);
  auto older = client_->Get((base + "/events?limit=1&next=" + before).c_str());
  ASSERT_EQ(older->status, 200);
  EXPECT_NE(older->body.find("\"has_more\":false"), std::string::npos) << older->body;
  EXPECT_NE(older->body.substr(0, 200), events->body.substr(0, 200));
  EXPECT_EQ(client_->Get("/v1/spaces/holo/collections/users/profiles/user_id@web:nobody/traits")->status, 404);
  client_->set_basic_auth("", "");
  // An analyst may not read a person this way either.
  EXPECT_EQ(Get(base + "/traits", analyst_)->status, 403);
  // Listing and search (admins).
  auto listed = Get("/api/profiles?q=order_count%20%3E%3D%201", admin_);
  ASSERT_EQ(listed->status, 200) << listed->body;
  EXPECT_NE(listed->body.find("\"oneid\":"), std::string::npos) << listed->body;
  EXPECT_NE(listed->body.find("\"next\":null"), std::string::npos) << listed->body;
  auto page = Get("/api/profiles?limit=1", admin_);
  ASSERT_EQ(page->status, 200) << page->body;
  EXPECT_EQ(page->body.find("\"next\":null"), std::string::npos) << "more than one profile: " << page->body;
  EXPECT_EQ(Get("/api/profiles", analyst_)->status, 403);
}

TEST_F(ServerTest, AccountsFromGroupCallsForAdminsOnly) {
  auto r = Post("/v1/batch",
                R"({"batch":[{"type":"group","messageId":"g1","userId":"ac1","groupId":"acme",
                               "timestamp":"2026-10-01T10:00:00Z","traits":{"name":"Acme","plan":"pro","email":"x@acme.example"}},
                              {"type":"group","messageId":"g2","userId":"ac2","groupId":"acme",
                               "timestamp":"2026-09-01T10:00:00Z","traits":{"name":"Acme Old","industry":"Retail"}}]})",
                web_key_);
  ASSERT_EQ(r->status, 200) << r->body;
  ASSERT_TRUE(WaitForProfile("user_id@web:ac1"));
  ASSERT_TRUE(WaitForProfile("user_id@web:ac2"));
  const uint64_t ac1 = *engine_->LookupOneId("user_id@web", "ac1");
  const uint64_t ac2 = *engine_->LookupOneId("user_id@web", "ac2");
  auto account = Get("/api/accounts/web:acme", admin_);
  ASSERT_EQ(account->status, 200) << account->body;
  const std::string members = "\"members\":[" + std::to_string(std::min(ac1, ac2)) + "," +
                              std::to_string(std::max(ac1, ac2)) + "]";
  EXPECT_NE(account->body.find(members), std::string::npos) << account->body;
  EXPECT_NE(account->body.find("\"member_count\":2"), std::string::npos) << account->body;
  EXPECT_NE(account->body.find(R"("traits":{"industry":"Retail","name":"Acme","plan":"pro"})"), std::string::npos)
      << account->body;
  EXPECT_EQ(account->body.find("x@acme"), std::string::npos) << account->body;
  // By its key, as listed.
  auto listed = Get("/api/accounts?limit=10", admin_);
  ASSERT_EQ(listed->status, 200) << listed->body;
  const size_t at = listed->body.find("\"account\":\"");
  ASSERT_NE(at, std::string::npos) << listed->body;
  const std::string key = listed->body.substr(at + 11, 32);
  EXPECT_NE(listed->body.find("\"name\":\"Acme\""), std::string::npos) << listed->body;
  EXPECT_NE(listed->body.find("\"next\":null"), std::string::npos) << listed->body;
  auto by_key = Get("/api/accounts/" + key, admin_);
  ASSERT_EQ(by_key->status, 200) << by_key->body;
  EXPECT_NE(by_key->body.find(members), std::string::npos) << by_key->body;
  // Members are personal data: admins only.
  EXPECT_EQ(Get("/api/accounts/web:acme", analyst_)->status, 403);
  EXPECT_EQ(Get("/api/accounts/web:acme", activation_)->status, 403);
  EXPECT_EQ(Get("/api/accounts", analyst_)->status, 403);
  EXPECT_EQ(Get("/api/accounts/web:acme", "")->status, 401);
  // Unknown accounts, bad names and parameters.
  EXPECT_EQ(Get("/api/accounts/web:nobody", admin_)->status, 404);
  EXPECT_EQ(Get("/api/accounts/acme", admin_)->status, 400);
  EXPECT_EQ(Get("/api/accounts?limit=0", admin_)->status, 400);
  EXPECT_EQ(Get("/api/accounts?limit=ten", admin_)->status, 400);
  EXPECT_EQ(Get("/api/accounts?cursor=xyz", admin_)->status, 400);
}

}  // namespace
}  // namespace holo

namespace holo {
namespace {

TEST_F(ServerTest, DestinationsOverTheApiForAdminsOnly) {
  httplib::Headers hd = {{"Authorization", "Bearer " + admin_}};
  httplib::Headers ha = {{"Authorization", "Bearer " + analyst_}};
  ASSERT_EQ(client_->Post("/api/segments", hd, R"({"name":"everyone","expression":"age is null"})",
                          "application/json")->status, 201);
  const std::string path = dir_.path() + "/audience.jsonl";
  const std::string body = R"({"name":"lake","kind":"file","path":")" + path +
                           R"(","segments":["everyone"],"use":"export","secret":"s3"})";
  EXPECT_EQ(client_->Post("/api/destinations", ha, body, "application/json")->status, 403);
  auto added = client_->Post("/api/destinations", hd, body, "application/json");
  ASSERT_EQ(added->status, 201) << added->body;
  EXPECT_EQ(added->body, R"({"name":"lake","secret":"s3"})");
  auto bad = client_->Post("/api/destinations", hd, R"({"name":"x","kind":"file","path":"/tmp/x","segments":["nope"]})",
                           "application/json");
  EXPECT_EQ(bad->status, 404) << bad->body;
  auto list = Get("/api/destinations", admin_);
  ASSERT_EQ(list->status, 200);
  EXPECT_NE(list->body.find(R"("name":"lake","kind":"file")"), std::string::npos) << list->body;
  EXPECT_EQ(list->body.find("s3"), std::string::npos) << "the secret is never listed";
  EXPECT_EQ(Get("/api/destinations", analyst_)->status, 403);
  auto synced = client_->Post("/api/destinations/lake/sync", hd, "", "application/json");
  ASSERT_EQ(synced->status, 200) << synced->body;
  EXPECT_NE(synced->body.find(R"("segment":"everyone")"), std::string::npos) << synced->body;
  EXPECT_EQ(client_->Post("/api/destinations/nosuch/sync", hd, "", "application/json")->status, 404);
  auto status = Get("/api/destinations/lake", admin_);
  ASSERT_EQ(status->status, 200);
  EXPECT_NE(status->body.find(R"("lag":0)"), std::string::npos) << status->body;
  auto metrics = Get("/metrics", "");
  ASSERT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->body.find(R"(holo_destination_events_sent_total{destination="lake",segment="everyone"} 0)"),
            std::string::npos)
      << metrics->body;
}

}  // namespace
}  // namespace holo

namespace holo {
namespace {

// `holo serve` keeps a destination in sync by itself: with no sync asked for, members who
// enter and leave reach the file within its interval; the scheduled passes are audited; a
// destination is dropped over the API by admins only.
TEST_F(ServerTest, ServeSyncsDestinationsOnTheirScheduleAndDropsThem) {
  for (const std::string u : {"sa", "sb"}) {
    ASSERT_EQ(Post("/v1/track",
                   R"({"messageId":"o-)" + u + R"(","event":"Order Completed","userId":")" + u +
                       R"(","properties":{"revenue":20}})",
                   web_key_)->status, 200);
    ASSERT_EQ(Post("/v1/track",
                   R"({"messageId":"c-)" + u + R"(","event":"Consent Given","userId":")" + u +
                       R"(","properties":{"purposes":["marketing"]}})",
                   web_key_)->status, 200);
  }
  ASSERT_TRUE(WaitForProfile("user_id@web:sa"));
  ASSERT_TRUE(WaitForProfile("user_id@web:sb"));
  httplib::Headers hd = {{"Authorization", "Bearer " + admin_}};
  httplib::Headers ha = {{"Authorization", "Bearer " + analyst_}};
  ASSERT_EQ(client_->Post("/api/segments", hd, R"({"name":"buyers","expression":"order_count >= 1"})",
                          "application/json")->status, 201);
  const std::string path = dir_.path() + "/scheduled.jsonl";
  auto added = client_->Post("/api/destinations", hd,
                             R"({"name":"lake","kind":"file","path":")" + path +
                                 R"(","segments":["buyers"],"use":"export","sync_interval_s":1})",
                             "application/json");
  ASSERT_EQ(added->status, 201) << added->body;
  auto count = [&](const std::string& what) {
    size_t n = 0;
    for (const auto& line : testing::Lines(testing::ReadFile(path))) n += line.find(what) != std::string::npos;
    return n;
  };
  auto wait_for = [&](const std::string& what, size_t n) {
    for (int i = 0; i < 400 && count(what) < n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    return count(what);
  };
  EXPECT_EQ(wait_for("Audience Entered", 2), 2u) << "no scheduled pass delivered the members";
  auto w = client_->Post("/api/consent", hd,
                         R"({"id":"user_id@web:sb","purposes":["marketing"],"given":false,"source":"support"})",
                         "application/json");
  ASSERT_EQ(w->status, 200) << w->body;
  EXPECT_EQ(wait_for("Audience Exited", 1), 1u) << "the withdrawal did not reach the destination";
  EXPECT_EQ(count("Audience Entered"), 2u) << "nothing sent twice";
  auto audit = Get("/api/audit?limit=1000", admin_);
  ASSERT_EQ(audit->status, 200);
  EXPECT_NE(audit->body.find(R"("scheduler")"), std::string::npos) << "scheduled passes are audited";
  EXPECT_EQ(client_->Delete("/api/destinations/lake", ha)->status, 403);
  auto dropped = client_->Delete("/api/destinations/lake", hd);
  ASSERT_EQ(dropped->status, 200) << dropped->body;
  EXPECT_NE(dropped->body.find(R"("dropped":true)"), std::string::npos) << dropped->body;
  EXPECT_EQ(client_->Delete("/api/destinations/lake", hd)->status, 404);
  EXPECT_EQ(Get("/api/destinations/lake", admin_)->status, 404);
}

}  // namespace
}  // namespace holo

namespace holo {
namespace {

// Offline stores over HTTP: the list and the metrics for admins and analysts (analysts get
// counts through the release point: a small store's cells are withheld, never exact), and
// occupancy (JSON or CSV) and devices for admins only.
TEST_F(ServerTest, StoresOverTheApi) {
  std::string csv = "datetime;dst;src;src_vendor;randomized;rssi;idx;seq_num;ch_freq;FCfield;ssid;dot11elt;oui\n";
  for (int m = 0; m < 20; ++m) {
    char line[200];
    std::snprintf(line, sizeof(line), "2022-10-18 10:%02d:00.0;ff:ff:ff:ff:ff:ff;00:16:3e:11:22:33;;0;-60;0;%d;2417;;;[0];[]\n", m, m);
    csv += line;
  }
  const std::string file = dir_.path() + "/lab.csv";
  testing::WriteFile(file, csv);
  ASSERT_TRUE(engine_->stores().ImportStoreFiles("lab", {file}).ok());

  auto list = Get("/api/stores", analyst_);
  ASSERT_EQ(list->status, 200) << list->body;
  EXPECT_NE(list->body.find(R"("store":"lab")"), std::string::npos) << list->body;

  auto exact = Get("/api/stores/lab/metrics?from=2022-10-18T00:00&to=2022-10-18T23:59", admin_);
  ASSERT_EQ(exact->status, 200) << exact->body;
  EXPECT_NE(exact->body.find(R"("total":{"visits":1,"visitors":1,)"), std::string::npos) << exact->body;
  auto released = Get("/api/stores/lab/metrics", analyst_);
  ASSERT_EQ(released->status, 200) << released->body;
  // No count under k leaves: every count is withheld (null) or a noisy value of at least k.
  static const std::regex kCount(R"re("(visits|visitors|bounces|passers_by|returning|le_3m|3_15m|ge_15m|1|2-3|4-9|10\+|moves)":(null|\d+))re");
  size_t counts = 0;
  for (auto it = std::sregex_iterator(released->body.begin(), released->body.end(), kCount); it != std::sregex_iterator(); ++it) {
    ++counts;
    if ((*it)[2] != "null") EXPECT_GE(std::stoul((*it)[2]), 50u) << (*it)[0] << " in " << released->body;
  }
  EXPECT_GT(counts, 20u);
  EXPECT_NE(released->body.find(R"("withheld":[)"), std::string::npos) << released->body;
  EXPECT_EQ(released->body.find(R"("total":{"visits":1,)"), std::string::npos) << released->body;
  EXPECT_NE(released->body.find(R"("budget":{)"), std::string::npos) << released->body;
  EXPECT_EQ(released->body.find("median_dwell_min"), std::string::npos) << released->body;

  auto occ = Get("/api/stores/lab/occupancy?interval=15m&format=csv", admin_);
  ASSERT_EQ(occ->status, 200) << occ->body;
  EXPECT_EQ(occ->body.substr(0, 42), "window_start,estimate\n2022-10-18T10:00:00,") << occ->body;
  EXPECT_EQ(Get("/api/stores/lab/occupancy?interval=7x", admin_)->status, 400);
  EXPECT_EQ(Get("/api/stores/lab/occupancy?from=2022-10-18T10:00Z", admin_)->status, 400) << "a zone-less store";
  EXPECT_EQ(Get("/api/stores/nosuch/occupancy", admin_)->status, 404);
  EXPECT_EQ(Get("/api/stores/lab/occupancy", analyst_)->status, 403);
  auto devices = Get("/api/stores/lab/devices", admin_);
  ASSERT_EQ(devices->status, 200) << devices->body;
  EXPECT_NE(devices->body.find(R"("devices":1,)"), std::string::npos) << devices->body;
  EXPECT_EQ(Get("/api/stores/lab/devices", analyst_)->status, 403);
  // Offers: issued and reported over the API by admins (an empty segment: nobody to compare).
  httplib::Headers hd = {{"Authorization", "Bearer " + admin_}};
  ASSERT_EQ(client_->Post("/api/segments", hd, R"({"name":"nobody","expression":"order_count >= 1"})", "application/json")
                ->status, 201);
  auto offer = client_->Post("/api/offers", hd, R"({"name":"o1","segment":"nobody","campaign":"C","holdout_share":0.2})",
                             "application/json");
  ASSERT_EQ(offer->status, 201) << offer->body;
  EXPECT_NE(offer->body.find(R"("invited":0,"holdout":0)"), std::string::npos) << offer->body;
  EXPECT_EQ(client_->Post("/api/offers", hd, R"({"name":"o1","segment":"nobody","campaign":"C"})", "application/json")
                ->status, 409);
  auto offer_report = Get("/api/offers/o1?window=30", admin_);
  ASSERT_EQ(offer_report->status, 200) << offer_report->body;
  EXPECT_NE(offer_report->body.find(R"("conversion_uplift_pp":null)"), std::string::npos) << offer_report->body;
  // Analysts: through the release point (nobody invited: every cell withheld, no uplift).
  auto released_offer = Get("/api/offers/o1", analyst_);
  ASSERT_EQ(released_offer->status, 200) << released_offer->body;
  EXPECT_NE(released_offer->body.find(R"("invited":{"n":null,"buyers":null,"redeemers":null})"), std::string::npos)
      << released_offer->body;
  EXPECT_NE(released_offer->body.find(R"("not_released":["revenue","redemption events"])"), std::string::npos);
  EXPECT_EQ(released_offer->body.find("conversion_uplift"), std::string::npos) << released_offer->body;
  EXPECT_EQ(Get("/api/offers", analyst_)->status, 403) << "the list (exact group sizes) stays with admins";
  EXPECT_EQ(Get("/api/offers/none", admin_)->status, 404);
  auto flows = Get("/api/stores/lab/flows", admin_);
  ASSERT_EQ(flows->status, 200) << flows->body;
  EXPECT_NE(flows->body.find(R"("zones":[],"flows":[])"), std::string::npos) << "a sniffer has no zones: " << flows->body;
  auto link = Get("/api/stores/lab/link-rate", admin_);
  ASSERT_EQ(link->status, 200) << link->body;
  EXPECT_NE(link->body.find(R"("devices":1,"linked":0,)"), std::string::npos) << link->body;
}

}  // namespace
}  // namespace holo
