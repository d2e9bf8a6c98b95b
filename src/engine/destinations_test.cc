// Activation destinations against a local receiver on loopback that verifies the
// signature, records what it got, and fails, stalls and recovers on demand: every change
// is delivered at least once with one messageId per change, nothing for members without
// consent for the destination's use, a restart resends exactly the pending batch, and a
// batch that keeps failing is dead-lettered and reported.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sodium.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "common/hex.h"
#include "engine/engine_test_util.h"
#include "holo/destinations.h"
#include "holo/engine.h"
#include "testing/test_util.h"

namespace holo {
namespace {

constexpr char kSecret[] = "test-secret";

// The messageIds of a body, in order (they are the only "messageId" keys).
std::vector<std::string> MessageIds(const std::string& body) {
  std::vector<std::string> ids;
  const std::string key = "\"messageId\":\"";
  for (size_t at = body.find(key); at != std::string::npos; at = body.find(key, at)) {
    at += key.size();
    const size_t end = body.find('"', at);
    ids.push_back(body.substr(at, end - at));
    at = end;
  }
  return ids;
}

// A webhook receiver on 127.0.0.1: checks X-Holo-Signature with its own HMAC, fails (500)
// the next `fail_next` requests, stalls (accepts, then sleeps past the client's timeout)
// the next `stall_next`, and answers 200 otherwise.
class Receiver {
 public:
  struct Request {
    std::string body;
    int status = 0;  // 500: failed; 200: processed (a stalled one too: the client gave up)
  };
  Receiver() {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      unsigned char mac[crypto_auth_hmacsha256_BYTES];
      crypto_auth_hmacsha256_state st;
      crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(kSecret), sizeof(kSecret) - 1);
      crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(req.body.data()), req.body.size());
      crypto_auth_hmacsha256_final(&st, mac);
      if (req.get_header_value("X-Holo-Signature") != "sha256=" + hex::Encode(mac, sizeof(mac))) {
        bad_signatures_++;
        res.status = 401;
        return;
      }
      int status = 200;
      bool stall = false;
      if (fail_next_ > 0) {
        --fail_next_;
        status = 500;
      } else if (stall_next_ > 0) {
        --stall_next_;
        stall = true;
      }
      {
        std::lock_guard<std::mutex> l(mu_);
        requests_.push_back({req.body, status});
      }
      if (stall) std::this_thread::sleep_for(std::chrono::milliseconds(700));
      res.status = status;
      res.set_content("{}", "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  void FailNext(int n) { fail_next_ = n; }
  void StallNext(int n) { stall_next_ = n; }
  int bad_signatures() const { return bad_signatures_; }
  std::vector<Request> requests() {
    std::lock_guard<std::mutex> l(mu_);
    return requests_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> fail_next_{0}, stall_next_{0}, bad_signatures_{0};
  std::mutex mu_;
  std::vector<Request> requests_;
};

std::string Track(const std::string& id, const std::string& event, const std::string& user, const std::string& ts,
                  const std::string& properties) {
  return R"({"type":"track","event":")" + event + R"(","messageId":")" + id + R"(","timestamp":")" + ts +
         R"(","userId":")" + user + R"(","properties":)" + properties + "}\n";
}
std::string Order(const std::string& id, const std::string& user) {
  return Track(id, "Order Completed", user, "2026-10-01T10:00:00Z", R"({"revenue":50})");
}
std::string Grant(const std::string& id, const std::string& user) {
  return Track(id, "Consent Given", user, "2026-10-02T10:00:00Z", R"({"purposes":["marketing"]})");
}

class DestinationsTest : public testing::EngineStoreTest {
 protected:
  DestinationsTest() : EngineStoreTest("destinations_test") {}
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    Open();
    // amy, bob and cat buy and allow marketing ("export"); dan buys without consent.
    IngestLines("a.jsonl", "web",
                Order("o1", "amy") + Order("o2", "bob") + Order("o3", "cat") + Order("o4", "dan") +
                    Grant("c1", "amy") + Grant("c2", "bob") + Grant("c3", "cat"));
    ASSERT_TRUE(engine_->audiences().DefineSegment("buyers", "order_count >= 1").ok());
  }
  std::string Id(const std::string& user) {
    auto id = engine_->LookupOneId("user_id@web", user);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? std::to_string(*id) : "";
  }
  void Withdraw(const std::string& user) {
    Engine::ConsentChange c;
    c.id = "user_id@web:" + user;
    c.source = "support";
    c.purposes = {"marketing"};
    c.given = false;
    ASSERT_TRUE(engine_->privacy().RecordConsent(c).ok());
  }
  DestinationConfig Webhook(const std::string& url) {
    DestinationConfig d;
    d.name = "crm";
    d.kind = "webhook";
    d.url = url;
    d.segments = {"buyers"};
    d.use = "export";
    d.secret = kSecret;
    d.batch_size = 2;
    d.retry_limit = 5;
    d.attempts_per_sync = 2;
    d.backoff_base_ms = 5;
    d.backoff_cap_ms = 20;
    d.timeout_ms = 300;
    return d;
  }
  // A file destination of the buyers segment for the "export" use.
  DestinationConfig FileDestination(const std::string& name) {
    DestinationConfig d;
    d.name = name;
    d.kind = "file";
    d.path = dir_ / "audience.jsonl";
    d.segments = {"buyers"};
    d.use = "export";
    return d;
  }
  std::string Sync(const std::string& name) {
    auto r = engine_->destinations().SyncDestinations(name);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : "";
  }
  std::string StatusOf(const std::string& name) {
    auto r = engine_->destinations().DestinationStatusJson(name);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : "";
  }
};

// "crm:buyers:<seq>:<oneid>:<entered|exited>" -> "<oneid>:<entered|exited>"
std::string Change(const std::string& message_id) {
  size_t third = 0;
  for (int i = 0; i < 3; ++i) third = message_id.find(':', third) + 1;
  return message_id.substr(third);
}

TEST_F(DestinationsTest, WebhookFailsStallsRecoversWithoutGapsOrNewIds) {
  Receiver receiver;
  auto secret = engine_->destinations().AddDestination(Webhook(receiver.url()));
  ASSERT_TRUE(secret.ok()) << secret.status().ToString();
  EXPECT_EQ(*secret, kSecret);
  const std::string amy = Id("amy"), bob = Id("bob"), cat = Id("cat"), dan = Id("dan");

  // The first batch fails twice: the pass leaves it pending.
  receiver.FailNext(2);
  std::string report = Sync("crm");
  EXPECT_NE(report.find(R"("pending":true)"), std::string::npos) << report;
  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].body, requests[1].body) << "a retry resends the same bytes";
  const std::vector<std::string> pending_ids = MessageIds(requests[0].body);
  ASSERT_EQ(pending_ids.size(), 2u);  // batch_size
  EXPECT_NE(StatusOf("crm").find(R"("attempts":2)"), std::string::npos) << StatusOf("crm");

  // amy withdraws and the engine restarts before the retry: the pending batch is resent as
  // it was (amy entered), then amy's exit follows in a later batch.
  Withdraw("amy");
  Open();
  report = Sync("crm");
  EXPECT_NE(report.find(R"("pending":false)"), std::string::npos) << report;
  requests = receiver.requests();
  ASSERT_GE(requests.size(), 3u);
  EXPECT_EQ(requests[2].body, requests[0].body) << "the restart resent exactly the pending batch";
  EXPECT_EQ(requests[2].status, 200);

  // A new buyer with consent; the receiver stalls past the client's timeout once (it
  // processed the batch, the client retries it): a duplicate with the same messageIds.
  IngestLines("b.jsonl", "web", Order("o5", "eve") + Grant("c5", "eve"));
  const std::string eve = Id("eve");
  receiver.StallNext(1);
  const size_t before = receiver.requests().size();
  report = Sync("crm");
  requests = receiver.requests();
  ASSERT_EQ(requests.size(), before + 2) << report;
  EXPECT_EQ(requests[before].body, requests[before + 1].body);
  EXPECT_NE(report.find(R"("retries":1)"), std::string::npos) << report;

  // What the receiver processed: every change at least once, one messageId per change, none
  // for dan (no consent), and the membership it rebuilds is the allowed one.
  std::map<std::string, std::set<std::string>> ids_of_change;
  std::set<std::string> members;
  for (const auto& r : requests) {
    if (r.status != 200) continue;
    for (const std::string& id : MessageIds(r.body)) {
      ids_of_change[Change(id)].insert(id);
      const std::string change = Change(id);
      const std::string who = change.substr(0, change.find(':'));
      if (change.ends_with(":entered")) members.insert(who);
      if (change.ends_with(":exited")) members.erase(who);
    }
  }
  std::set<std::string> changes;
  for (const auto& [change, ids] : ids_of_change) {
    changes.insert(change);
    EXPECT_EQ(ids.size(), 1u) << "change " << change << " was sent under several messageIds";
  }
  // amy's entry was sent only if she was in the first batch (the lowest OneIDs go first);
  // if she was, her exit follows; otherwise she never entered.
  std::set<std::string> expected = {bob + ":entered", cat + ":entered", eve + ":entered"};
  for (const std::string& id : pending_ids) {
    if (Change(id) == amy + ":entered") expected.insert({amy + ":entered", amy + ":exited"});
  }
  EXPECT_EQ(changes, expected);
  EXPECT_EQ(members, (std::set<std::string>{bob, cat, eve}));
  EXPECT_EQ(receiver.bad_signatures(), 0);

  // Synced: nothing more to send, lag 0, counters in the status and the metrics.
  const size_t settled = receiver.requests().size();
  Sync("crm");
  EXPECT_EQ(receiver.requests().size(), settled);
  const std::string status = StatusOf("crm");
  EXPECT_NE(status.find(R"("lag":0)"), std::string::npos) << status;
  EXPECT_NE(status.find(R"("pending":null)"), std::string::npos) << status;
  EXPECT_NE(status.find(R"("failures":3)"), std::string::npos) << status;  // two 500s, one timeout
  auto metrics = engine_->destinations().DestinationMetricsText();
  ASSERT_TRUE(metrics.ok());
  EXPECT_NE(metrics->find(R"(holo_destination_failures_total{destination="crm",segment="buyers"} 3)"),
            std::string::npos)
      << *metrics;
  EXPECT_NE(metrics->find(R"(holo_destination_lag{destination="crm",segment="buyers"} 0)"), std::string::npos);
  EXPECT_NE(metrics->find("holo_destination_retries_total"), std::string::npos);
}

TEST_F(DestinationsTest, ABatchThatKeepsFailingIsDeadLetteredAndReported) {
  Receiver receiver;
  DestinationConfig d = Webhook(receiver.url());
  d.batch_size = 10;
  d.retry_limit = 3;
  d.attempts_per_sync = 3;
  ASSERT_TRUE(engine_->destinations().AddDestination(d).ok());
  receiver.FailNext(1000);
  std::string report = Sync("crm");
  EXPECT_NE(report.find(R"("dead_lettered":3)"), std::string::npos) << report;
  EXPECT_EQ(receiver.requests().size(), 3u);
  const std::string status = StatusOf("crm");
  EXPECT_NE(status.find(R"("dead_lettered":3)"), std::string::npos) << status;
  EXPECT_NE(status.find("HTTP 500"), std::string::npos) << status;
  // The dead-letter file holds the batch, whole.
  std::ifstream f(dir_ / "data/destinations/crm.dead_letter.jsonl");
  std::string line;
  ASSERT_TRUE(std::getline(f, line));
  EXPECT_NE(line.find(R"("attempts":3)"), std::string::npos) << line;
  EXPECT_NE(line.find("Audience Entered"), std::string::npos) << line;
  EXPECT_FALSE(std::getline(f, line)) << "one batch, one line";

  // The receiver recovers: the next change is delivered; the dead-lettered ones are not resent.
  receiver.FailNext(0);
  Withdraw("bob");
  Sync("crm");
  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(MessageIds(requests[3].body), std::vector<std::string>{"crm:buyers:1:" + Id("bob") + ":exited"});
}

TEST_F(DestinationsTest, FileDestinationAppendsChangesOnce) {
  DestinationConfig d = FileDestination("lake");
  ASSERT_TRUE(engine_->destinations().AddDestination(d).ok());
  Sync("lake");
  Withdraw("cat");
  Sync("lake");
  Sync("lake");  // nothing changed: nothing written
  auto lines = testing::Lines(testing::ReadFile(dir_ / "audience.jsonl"));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_NE(lines[3].find(R"("event":"Audience Exited","userId":")" + Id("cat") + "\""), std::string::npos) << lines[3];
  for (const auto& line : lines) EXPECT_EQ(line.find("\"userId\":\"" + Id("dan") + "\""), std::string::npos);
  auto list = engine_->destinations().ListDestinationsJson();
  ASSERT_TRUE(list.ok());
  EXPECT_NE(list->find(R"("name":"lake","kind":"file")"), std::string::npos) << *list;
  EXPECT_EQ(list->find("secret"), std::string::npos) << "the secret is never listed";
}

TEST_F(DestinationsTest, BadConfigurationsAreRefused) {
  DestinationConfig d;
  d.name = "x";
  d.kind = "webhook";
  d.url = "ftp://nowhere";
  d.segments = {"buyers"};
  EXPECT_EQ(engine_->destinations().AddDestination(d).status().code(), StatusCode::kInvalidArgument);
  d.url = "http://127.0.0.1:1/";
  d.segments = {"nosuch"};
  EXPECT_EQ(engine_->destinations().AddDestination(d).status().code(), StatusCode::kNotFound);
  d.segments = {"buyers"};
  d.use = "telepathy";
  EXPECT_EQ(engine_->destinations().AddDestination(d).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(engine_->destinations().SyncDestinations("nosuch").status().code(), StatusCode::kNotFound);
  d.use = "export";
  d.sync_interval_s = 8 * 86400;
  EXPECT_EQ(engine_->destinations().AddDestination(d).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->destinations().DropDestination("nosuch").status().code(), StatusCode::kNotFound);
}

// The schedule `holo serve` follows: a destination is due when its interval has passed since
// its last pass (a manual one counts), never when its interval is 0; the interval survives
// a restart and is listed.
TEST_F(DestinationsTest, ScheduledPassesAreDueAfterTheirInterval) {
  DestinationConfig d = FileDestination("lake");
  d.sync_interval_s = 1;
  ASSERT_TRUE(engine_->destinations().AddDestination(d).ok());
  d.name = "manual";
  d.sync_interval_s = 0;
  ASSERT_TRUE(engine_->destinations().AddDestination(d).ok());
  auto due = engine_->destinations().DueDestinations();
  ASSERT_TRUE(due.ok()) << due.status().ToString();
  EXPECT_EQ(*due, std::vector<std::string>{"lake"}) << "never synced: due at once; interval 0: never";
  Sync("lake");
  EXPECT_TRUE(engine_->destinations().DueDestinations()->empty()) << "just synced";
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(*engine_->destinations().DueDestinations(), std::vector<std::string>{"lake"});
  Open();
  auto list = engine_->destinations().ListDestinationsJson();
  ASSERT_TRUE(list.ok());
  EXPECT_NE(list->find(R"("name":"lake")"), std::string::npos);
  EXPECT_NE(list->find(R"("sync_interval_s":1)"), std::string::npos) << *list;
  EXPECT_NE(list->find(R"("sync_interval_s":0)"), std::string::npos) << *list;
}

// Shutting down interrupts a pass that is backing off: it returns before the wait ends,
// the batch stays pending, and the next pass resends exactly it.
TEST_F(DestinationsTest, AnInterruptedPassKeepsItsBatchPending) {
  Receiver receiver;
  DestinationConfig d = Webhook(receiver.url());
  d.batch_size = 10;
  d.attempts_per_sync = 5;
  d.backoff_base_ms = 20000;  // far longer than the test waits
  d.backoff_cap_ms = 20000;
  ASSERT_TRUE(engine_->destinations().AddDestination(d).ok());
  receiver.FailNext(1);
  std::string report;
  const auto start = std::chrono::steady_clock::now();
  std::thread pass([&] { report = Sync("crm"); });
  while (receiver.requests().empty()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  engine_->destinations().SetInterrupted(true);
  pass.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10)) << "the backoff wait was not cut short";
  EXPECT_NE(report.find(R"("pending":true)"), std::string::npos) << report;
  EXPECT_NE(report.find("interrupted"), std::string::npos) << report;
  EXPECT_EQ(receiver.requests().size(), 1u);
  // While interrupted, a pass sends nothing.
  Sync("crm");
  EXPECT_EQ(receiver.requests().size(), 1u);
  engine_->destinations().SetInterrupted(false);
  report = Sync("crm");
  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 2u) << report;
  EXPECT_EQ(requests[1].body, requests[0].body) << "the pending batch, resent as it was";
  EXPECT_EQ(requests[1].status, 200);
  EXPECT_NE(StatusOf("crm").find(R"("lag":0)"), std::string::npos) << StatusOf("crm");
}

// Dropping a destination removes its configuration and its sync state, keeps its dead-letter
// file, and says how many pending events were not sent; added again, it starts afresh.
TEST_F(DestinationsTest, ADroppedDestinationIsGoneAndStartsAfreshWhenAddedAgain) {
  Receiver receiver;
  DestinationConfig d = Webhook(receiver.url());
  d.batch_size = 10;
  d.attempts_per_sync = 1;
  ASSERT_TRUE(engine_->destinations().AddDestination(d).ok());
  receiver.FailNext(1);
  Sync("crm");  // one failed attempt: 3 entered members pending
  auto dropped = engine_->destinations().DropDestination("crm");
  ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();
  EXPECT_NE(dropped->find(R"("pending_events":3)"), std::string::npos) << *dropped;
  EXPECT_NE(dropped->find("crm.dead_letter.jsonl"), std::string::npos) << *dropped;
  EXPECT_EQ(engine_->destinations().DestinationStatusJson("crm").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(engine_->destinations().ListDestinationsJson()->find("\"crm\""), std::string::npos);
  EXPECT_TRUE(engine_->destinations().DueDestinations()->empty());
  EXPECT_EQ(engine_->destinations().DropDestination("crm").status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(engine_->destinations().AddDestination(d).ok());
  const std::string status = StatusOf("crm");
  EXPECT_NE(status.find(R"("failures":0)"), std::string::npos) << "no state survives the drop: " << status;
  EXPECT_NE(status.find(R"("synced_members":0)"), std::string::npos) << status;
  Sync("crm");
  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(MessageIds(requests[1].body).size(), 3u) << "every member entered again: " << requests[1].body;
  EXPECT_NE(requests[1].body.find("crm:buyers:0:"), std::string::npos) << "sequences start again at 0";
}

}  // namespace
}  // namespace holo
