// One engine, one truth (issue 15): every entry point gives the same current answer.
// Each symptom is checked through the `holo` command line and through `holo serve`, both the
// real binaries over one real store: saved segments against a fresh evaluation of their own
// expressions after ingestion, consent decisions, erasure and restarts; `holo stats` against
// the exported events; and the clock, which an event stamped 9999-12-31 cannot move.
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <thread>

#include "testing/test_util.h"

namespace holo {
namespace {

namespace fs = std::filesystem;
using testing::Lines;
using testing::ReadFile;
using testing::RunCommand;
using testing::TempDir;
using testing::WriteFile;

// The clock of this test: the generated world's end (its windowed traits are measured there).
constexpr const char* kNow = "2026-11-01T00:00:00Z";

struct HoloRun {
  int rc = 0;
  std::string out, err;
};

HoloRun Holo(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"env", std::string("HOLO_NOW=") + kNow, testing::HoloBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  HoloRun r;
  r.rc = RunCommand(argv, "", &r.out, &r.err);
  return r;
}

std::string HoloOk(const std::vector<std::string>& args) {
  HoloRun r = Holo(args);
  EXPECT_EQ(r.rc, 0) << "holo " << args[0] << ": " << r.err;
  return r.out;
}

uint64_t Number(const std::string& text) {
  std::smatch m;
  std::regex_search(text, m, std::regex("[0-9]+"));
  return m.empty() ? UINT64_MAX : std::stoull(m[0]);
}

double JsonNumber(const std::string& json, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(json, m, std::regex("\"" + key + "\":(-?[0-9.]+)"))) return -1;
  return std::stod(m[1]);
}

// `holo serve` on a free loopback port, stopped with SIGTERM.
class Serve {
 public:
  Serve(const std::string& data, const std::string& log) {
    pid_ = fork();
    if (pid_ == 0) {
      setenv("HOLO_NOW", kNow, 1);
      FILE* f = std::fopen(log.c_str(), "w");
      dup2(fileno(f), 2);
      execl(testing::HoloBinary().c_str(), "holo", "serve", "--data", data.c_str(), "--listen", "127.0.0.1:0",
            "--resolve-interval-ms", "50", static_cast<char*>(nullptr));
      _exit(127);
    }
    std::regex listening("listening on http://127.0.0.1:([0-9]+)/");
    for (int i = 0; i < 600 && port_ == 0; ++i) {
      std::smatch m;
      std::string text = ReadFile(log);
      if (std::regex_search(text, m, listening)) port_ = std::stoi(m[1]);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    client_->set_read_timeout(60, 0);
  }
  ~Serve() { Stop(); }
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  httplib::Result Post(const std::string& path, const std::string& body, const std::string& token, bool basic = false) {
    httplib::Headers h;
    if (basic) {
      client_->set_basic_auth(token, "");
    } else {
      h.emplace("Authorization", "Bearer " + token);
    }
    auto r = client_->Post(path.c_str(), h, body, "application/json");
    client_->set_basic_auth("", "");
    return r;
  }
  httplib::Result Get(const std::string& path, const std::string& token) {
    return client_->Get(path.c_str(), {{"Authorization", "Bearer " + token}});
  }
  httplib::Result Delete(const std::string& path, const std::string& token) {
    return client_->Delete(path.c_str(), {{"Authorization", "Bearer " + token}});
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::unique_ptr<httplib::Client> client_;
};

const std::vector<std::pair<std::string, std::string>> kSegments = {
    {"spenders", "spend_90d > 0"},
    {"mkt", R"(consent("marketing"))"},
    {"travel", "travel_international_trips > 0"},
    {"drama", R"(video_genres contains "drama")"},
    {"lux", R"(count(Order Completed where category = "luxury", 90d) >= 1)"},
};

std::string Order(const std::string& id, const std::string& user, const std::string& ts) {
  return R"({"type":"track","event":"Order Completed","messageId":")" + id + R"(","timestamp":")" + ts +
         R"(","userId":")" + user +
         R"(","properties":{"order_id":")" + id + R"(","revenue":7200,"products":[{"product_id":"lv1","brand":"Louis Vuitton","category":"luxury","price":7200,"quantity":1}]}})";
}

class OneTruthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HoloOk({"generate", "--persons", "800", "--seed", "15", "--out", tmp_ / "world"});
    fs::create_directories(tmp_ / "a");
    fs::create_directories(tmp_ / "b");
    int i = 0;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(tmp_ / "world")) {
      if (e.path().extension() == ".jsonl") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) fs::copy_file(f, tmp_ / (i++ % 2 ? "b" : "a") / f.filename());
  }

  // Every saved segment's size through the CLI equals a fresh evaluation of its expression.
  void ExpectCliSegmentsCurrent(const std::string& after) {
    for (const auto& [name, def] : kSegments) {
      uint64_t saved = Number(HoloOk({"segment", "count", "--data", data(), name}));
      uint64_t fresh = Number(HoloOk({"segment", "count", "--data", data(), "--expr", def}));
      EXPECT_EQ(saved, fresh) << name << " after " << after;
      uint64_t exported = Lines(HoloOk({"segment", "export", "--data", data(), name})).size();
      EXPECT_LE(exported, fresh) << name;
    }
  }

  // The same through the server (admin token), once its background resolve caught up.
  void ExpectServerSegmentsCurrent(Serve& serve, const std::string& admin, const std::string& after) {
    for (const auto& [name, def] : kSegments) {
      double saved = -2, fresh = -1;
      for (int i = 0; i < 200 && saved != fresh; ++i) {
        auto s = serve.Get("/api/segments/" + name, admin);
        auto c = serve.Post("/api/count", R"({"expression":)" + Quoted(def) + "}", admin);
        ASSERT_TRUE(s && c);
        ASSERT_EQ(s->status, 200) << s->body;
        ASSERT_EQ(c->status, 200) << c->body;
        saved = JsonNumber(s->body, "size");
        fresh = JsonNumber(c->body, "count");
        if (saved != fresh) std::this_thread::sleep_for(std::chrono::milliseconds(25));
      }
      EXPECT_EQ(saved, fresh) << name << " after " << after << " (server)";
    }
  }

  static std::string Quoted(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    return out + "\"";
  }

  uint64_t ExportedEvents() { return Lines(HoloOk({"export", "events", "--data", data()})).size(); }
  std::string data() const { return tmp_ / "data"; }

  TempDir tmp_{"one_truth"};
};

TEST_F(OneTruthTest, EveryEntryPointGivesTheSameCurrentAnswer) {
  // ---- the command line ----
  HoloOk({"ingest", "--data", data(), tmp_ / "a"});
  for (const auto& [name, def] : kSegments) HoloOk({"segment", "create", "--data", data(), name, def});
  HoloOk({"ingest", "--data", data(), tmp_ / "b"});  // a later ingest, by another process
  ExpectCliSegmentsCurrent("a later holo ingest");
  HoloOk({"resolve", "--full", "--data", data()});
  ExpectCliSegmentsCurrent("resolve --full");

  // A withdrawal through the CLI reaches consent("marketing") and the profile's trait.
  std::vector<std::string> mkt = Lines(HoloOk({"segment", "export", "--data", data(), "mkt"}));
  ASSERT_GT(mkt.size(), 3u) << "the world has people who consented to marketing";
  const uint64_t mkt_before = Number(HoloOk({"segment", "count", "--data", data(), "mkt"}));
  HoloOk({"consent", "withdraw", "--data", data(), "--purpose", "marketing", "--source", "support", mkt[0]});
  EXPECT_EQ(Number(HoloOk({"segment", "count", "--data", data(), "mkt"})), mkt_before - 1);
  EXPECT_NE(HoloOk({"profile", "--data", data(), mkt[0]}).find("\"consent_marketing\":false"), std::string::npos);
  ExpectCliSegmentsCurrent("a consent withdrawal");

  // `holo stats` counts what is stored: not erased events.
  EXPECT_EQ(JsonNumber(HoloOk({"stats", "--data", data()}), "events"), static_cast<double>(ExportedEvents()));
  HoloOk({"erase", "--data", data(), mkt[1]});
  EXPECT_EQ(JsonNumber(HoloOk({"stats", "--data", data()}), "events"), static_cast<double>(ExportedEvents()));
  ExpectCliSegmentsCurrent("an erasure");

  // One event stamped 9999-12-31 is refused with its reason and moves no clock.
  const uint64_t spenders = Number(HoloOk({"segment", "count", "--data", data(), "spenders"}));
  ASSERT_GT(spenders, 50u);
  WriteFile(tmp_ / "future.jsonl", Order("f-1", "2200888800001", "9999-12-31T00:00:00Z") + "\n" +
                                       Order("f-2", "2200888800002", "2026-10-30T10:00:00Z") + "\n");
  std::string report = HoloOk({"ingest", "--data", data(), "--source", "taobao", tmp_ / "future.jsonl"});
  EXPECT_EQ(JsonNumber(report, "rejected"), 1) << report;
  EXPECT_EQ(JsonNumber(report, "stored"), 1) << report;
  std::string dead = ReadFile(data() + "/dead_letter.jsonl");
  EXPECT_NE(dead.find("ahead of the clock"), std::string::npos) << dead;
  HoloOk({"resolve", "--full", "--data", data()});
  EXPECT_EQ(Number(HoloOk({"segment", "count", "--data", data(), "spenders"})), spenders + 1);
  ExpectCliSegmentsCurrent("a future-stamped event");

  // A computed trait dropped through the CLI; refused while a saved segment reads it.
  HoloOk({"trait", "define", "--data", data(), "lux_n", R"(count(Order Completed where category = "luxury", 90d))"});
  EXPECT_NE(HoloOk({"trait", "list", "--data", data()}).find("lux_n"), std::string::npos);
  HoloOk({"trait", "drop", "--data", data(), "lux_n"});
  EXPECT_EQ(HoloOk({"trait", "list", "--data", data()}).find("lux_n\t"), std::string::npos);
  HoloRun in_use = Holo({"trait", "drop", "--data", data(), R"(count(Order Completed where category = "luxury", 90d))"});
  EXPECT_NE(in_use.rc, 0);
  EXPECT_NE(in_use.err.find("'lux'"), std::string::npos) << in_use.err;
  ExpectCliSegmentsCurrent("a trait dropped");

  // ---- the server, over the same store ----
  HoloOk({"token", "create", "--data", data(), "--role", "admin", "ops"});
  std::string admin = Lines(HoloOk({"token", "create", "--data", data(), "--role", "admin", "ops2"})).back();
  std::string key = Lines(HoloOk({"writekey", "create", "--data", data(), "taobao"})).back();
  {
    Serve serve(data(), tmp_ / "serve.log");
    ASSERT_NE(serve.port(), 0) << ReadFile(tmp_ / "serve.log");
    ExpectServerSegmentsCurrent(serve, admin, "a restart");
    // The same drop over HTTP: refused while 'lux' reads it, then done once 'lux' is gone
    // (and created again, for the checks below).
    const std::string implied = "/api/traits/count(Order%20Completed%20where%20category%20%3D%20%22luxury%22%2C%2090d)";
    auto in_use_http = serve.Delete(implied, admin);
    ASSERT_TRUE(in_use_http);
    EXPECT_EQ(in_use_http->status, 409) << in_use_http->body;
    EXPECT_NE(in_use_http->body.find("'lux'"), std::string::npos) << in_use_http->body;
    ASSERT_EQ(serve.Delete("/api/segments/lux", admin)->status, 200);
    auto dropped = serve.Delete(implied, admin);
    ASSERT_TRUE(dropped);
    EXPECT_EQ(dropped->status, 200) << dropped->body;
    EXPECT_EQ(serve.Delete(implied, admin)->status, 404);
    auto recreated = serve.Post("/api/segments", R"({"name":"lux","expression":)" + Quoted(kSegments[4].second) + "}", admin);
    ASSERT_TRUE(recreated);
    EXPECT_EQ(recreated->status, 201) << recreated->body;
    ExpectServerSegmentsCurrent(serve, admin, "a trait dropped and a segment created again");
    // New buyers over HTTP, one of them from a clock far ahead.
    std::string batch = R"({"batch":[)" + Order("h-1", "2200888800003", "2026-10-31T10:00:00Z") + "," +
                        Order("h-2", "2200888800004", "2026-10-31T11:00:00Z") + "," +
                        Order("h-3", "2200888800005", "9999-12-31T00:00:00Z") + "]}";
    auto r = serve.Post("/v1/batch", batch, key, /*basic=*/true);
    ASSERT_TRUE(r);
    EXPECT_NE(r->body.find("ahead of the clock"), std::string::npos) << r->status << " " << r->body;
    EXPECT_NE(r->body.find("\"accepted\":2"), std::string::npos) << r->body;
    ExpectServerSegmentsCurrent(serve, admin, "HTTP ingestion");
    // A withdrawal over HTTP.
    std::string who = mkt[2];
    auto c = serve.Post("/api/consent",
                        R"({"id":")" + who + R"(","purposes":["marketing"],"given":false,"source":"support"})", admin);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->status, 200) << c->body;
    auto traits = serve.Get("/api/profiles/" + who + "/traits?names=consent_marketing", admin);
    ASSERT_TRUE(traits);
    EXPECT_NE(traits->body.find("\"consent_marketing\":false"), std::string::npos)  // a bool, typed by the registry
        << traits->status << " " << traits->body;
    ExpectServerSegmentsCurrent(serve, admin, "an HTTP consent withdrawal");
    // Stats over HTTP count what is stored, after an erasure too.
    auto e = serve.Post("/api/erasure", R"({"id":")" + mkt[3] + R"("})", admin);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->status, 200) << e->body;
    auto st = serve.Get("/api/stats", admin);
    ASSERT_TRUE(st);
    const double served_events = JsonNumber(st->body, "events");
    ExpectServerSegmentsCurrent(serve, admin, "an HTTP erasure");

    // An audit log that cannot be written: reads of individuals are refused (not served
    // unaudited), then served again once it can be, with every entry in the log.
    const std::string audit = data() + "/audit.jsonl";
    auto read = [&] { return serve.Get("/api/profiles/" + mkt[4], admin); };
    ASSERT_EQ(read()->status, 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the syncer wrote it
    const auto limit = std::to_string(fs::file_size(audit) + 1);
    ASSERT_EQ(Holo({"--version"}).rc, 0);
    std::string out, err;
    ASSERT_EQ(RunCommand({"prlimit", "--pid", std::to_string(serve.pid()), "--fsize=" + limit + ":"}, "", &out, &err), 0)
        << err;
    int refused = 0;
    for (int i = 0; i < 100 && refused == 0; ++i) {
      auto r = read();
      ASSERT_TRUE(r);
      if (r->status != 200) {
        refused = r->status;
        EXPECT_NE(r->body.find("audit"), std::string::npos) << r->body;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
    }
    EXPECT_EQ(refused, 503) << "a read was served while the audit log could not be written";
    ASSERT_EQ(RunCommand({"prlimit", "--pid", std::to_string(serve.pid()), "--fsize=unlimited:"}, "", &out, &err), 0) << err;
    int status = 0;
    for (int i = 0; i < 100 && status != 200; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
      status = read()->status;
    }
    EXPECT_EQ(status, 200);
    serve.Stop();
    std::string log = ReadFile(audit);
    EXPECT_NE(log.find("person.erase"), std::string::npos);
    EXPECT_EQ(Holo({"audit", "--data", data(), "--verify"}).rc, 0) << "the chain holds after the failed writes";
    EXPECT_EQ(served_events, static_cast<double>(ExportedEvents())) << st->body;
  }
  // The CLI exports nothing it could not audit.
  fs::rename(data() + "/audit.jsonl", data() + "/audit.jsonl.keep");
  fs::create_directories(data() + "/audit.jsonl");
  HoloRun unaudited = Holo({"segment", "export", "--data", data(), "mkt"});
  EXPECT_NE(unaudited.rc, 0);
  EXPECT_TRUE(unaudited.out.empty()) << "members written before the export was audited";
  EXPECT_NE(unaudited.err.find("audit"), std::string::npos) << unaudited.err;
  fs::remove_all(data() + "/audit.jsonl");
  fs::rename(data() + "/audit.jsonl.keep", data() + "/audit.jsonl");

  // What the server changed, the CLI sees current.
  ExpectCliSegmentsCurrent("the server's changes");
  EXPECT_EQ(Number(HoloOk({"segment", "count", "--data", data(), "mkt"})),
            Number(HoloOk({"segment", "count", "--data", data(), "--expr", R"(consent("marketing"))"})));
}

}  // namespace
}  // namespace holo
