#include "cli/serve_commands.h"

#include "cli/cli_util.h"
#include "common/json_writer.h"

#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <thread>
#include <tuple>

namespace holo::cli {

void ServeCommands::Add(CLI::App& app, const std::function<void(CLI::App*)>& add_data) {
  serve_ = app.add_subcommand("serve", "Serve the HTTP API and the dashboard (docs/http_api.md)");
  add_data(serve_);
  serve_->add_option("--listen", listen_, "HOST:PORT to listen on (port 0: any free port)")->capture_default_str();
  serve_->add_option("--event-loops", options_.event_loops, "Event-loop threads (quick requests run on them)")
      ->capture_default_str()->check(CLI::Range(1, 64));
  serve_->add_option("--threads", options_.threads, "Worker threads (requests that may wait)")->capture_default_str();
  serve_->add_option("--rate-limit", options_.rate_limit_eps, "Events per second per source (0: unlimited)")
      ->capture_default_str();
  serve_->add_option("--resolve-interval-ms", options_.resolve_interval_ms,
                     "Resolve new events into OneIDs and profiles this soon after they arrive")
      ->capture_default_str();
  serve_->add_option("--k", options_.k, "Minimum group size of counts shown to analysts (>= 10)")
      ->capture_default_str()->check(CLI::Range(10u, 1000000u));
  serve_->add_option("--privacy-budget", options_.privacy_budget,
                     "Total epsilon each analyst (all tokens of one name) may spend per period; every analyst answer is noised")
      ->capture_default_str()->check(CLI::Range(0.0, 1e6));
  serve_->add_option("--privacy-period-days", options_.privacy_period_days,
                     "Length of the privacy budget's period in days (from 00:00 UTC)")
      ->capture_default_str()->check(CLI::Range(1u, 366u));
  serve_->add_flag("--access-log", options_.access_log, "Log every request as JSON on stderr");
  serve_->add_flag("--no-destination-sync", no_destination_sync_,
                   "Do not run the destinations' scheduled sync passes (sync only when asked)");

  token_ = app.add_subcommand("token", "API tokens (roles admin, analyst, activation)");
  token_->require_subcommand(1);
  token_create_ = token_->add_subcommand("create", "Create an API token; prints it once (only its hash is kept)");
  add_data(token_create_);
  token_create_->add_option("name", name_, "Who holds the token (shown in the audit log)")->required();
  token_create_->add_option("--role", role_, "admin, analyst or activation")
      ->capture_default_str()->check(CLI::IsMember({"admin", "analyst", "activation"}));
  AddJsonFlag(token_create_, &json_);

  writekey_ = app.add_subcommand("writekey", "Write keys: ingestion credentials, one per source");
  writekey_->require_subcommand(1);
  writekey_create_ = writekey_->add_subcommand("create", "Create a write key for a source; prints it once");
  add_data(writekey_create_);
  writekey_create_->add_option("source", name_, "Source name ([a-z0-9_-]{1,64})")->required();
  writekey_create_
      ->add_option("--allow-origin", allowed_origins_,
                   "Web origins whose pages may send with this key from a browser (CORS), comma-separated: "
                   "https://shop.example,http://localhost:3000, or * for any. Default: none (browsers are refused)")
      ->delimiter(',');
  AddJsonFlag(writekey_create_, &json_);

  // list and revoke, for both kinds.
  for (auto [parent, list, revoke, what] :
       {std::tuple{token_, &token_list_, &token_revoke_, "token"}, std::tuple{writekey_, &writekey_list_, &writekey_revoke_, "write key"}}) {
    *list = parent->add_subcommand("list", std::string("Every ") + what + ": name, role, id, allowed origins (never the secret)");
    add_data(*list);
    AddJsonFlag(*list, &json_);
    *revoke = parent->add_subcommand(
        "revoke", std::string("Revoke a ") + what + " by its id (6+ hex digits, from list) or every one of a name (audited)");
    add_data(*revoke);
    (*revoke)->add_option("id_or_name", name_, "The id (or a prefix of 6+ digits) or the name")->required();
    AddJsonFlag(*revoke, &json_);
  }
}

bool ServeCommands::Parsed() const {
  return serve_->parsed() || token_create_->parsed() || writekey_create_->parsed() || token_list_->parsed() ||
         token_revoke_->parsed() || writekey_list_->parsed() || writekey_revoke_->parsed();
}

void ServeCommands::BeforeOpen() {
  if (!serve_->parsed()) return;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

namespace {

void WriteCredentialJson(const Engine::Credential& c, JsonWriter& w) {
  w.BeginObject().Key("id").String(c.id).Key("name").String(c.name).Key("role").String(c.role);
  w.Key("allowed_origins").BeginArray();
  for (const std::string& o : c.allowed_origins) w.String(o);
  w.EndArray().EndObject();
}

void PrintCredentials(const std::vector<Engine::Credential>& list, bool json, const char* key) {
  if (json) {
    std::string out;
    JsonWriter w(&out);
    w.BeginObject().Key(key).BeginArray();
    for (const Engine::Credential& c : list) WriteCredentialJson(c, w);
    w.EndArray().EndObject();
    std::printf("%s\n", out.c_str());
    return;
  }
  for (const Engine::Credential& c : list) {
    std::string origins;
    for (const std::string& o : c.allowed_origins) origins += (origins.empty() ? "" : ",") + o;
    std::printf("%s  %-24s %-10s %s\n", c.id.c_str(), c.name.c_str(), c.role.c_str(), origins.c_str());
  }
}

}  // namespace

bool ServeCommands::RunListOrRevoke(Engine& engine, int* rc) {
  const bool token = token_list_->parsed() || token_revoke_->parsed();
  const char* kind = token ? "token" : "writekey";
  *rc = 0;
  if (token_list_->parsed() || writekey_list_->parsed()) {
    auto list = engine.serving().ListCredentials(kind);
    Check(list.status(), std::string(kind) + " list");
    PrintCredentials(*list, json_, token ? "tokens" : "writekeys");
    return true;
  }
  if (!token_revoke_->parsed() && !writekey_revoke_->parsed()) return false;
  const std::string action = std::string(kind) + ".revoke";
  RequireAudit(engine, action);
  auto revoked = engine.serving().RevokeCredentials(kind, name_);
  AuditCli(engine, action, name_, revoked.ok() ? 200 : 404);
  Check(revoked.status(), std::string(kind) + " revoke");
  PrintCredentials(*revoked, json_, "revoked");
  return true;
}

int ServeCommands::Run(Engine& engine, const std::string& data_dir) {
  if (int rc = 0; RunListOrRevoke(engine, &rc)) return rc;
  if (token_create_->parsed() || writekey_create_->parsed()) {
    bool token = token_create_->parsed();
    auto secret = engine.serving().CreateCredential(token ? "token" : "writekey", name_, token ? role_ : "source",
                                                   token ? std::vector<std::string>{} : allowed_origins_);
    if (!secret.ok()) Fail(secret.status().ToString());
    // As POST /api/admin/tokens and /api/admin/writekeys (the write key's field in snake_case).
    std::string out;
    JsonWriter w(&out);
    if (token) {
      w.BeginObject().Key("name").String(name_).Key("role").String(role_).Key("token").String(*secret).EndObject();
    } else {
      w.BeginObject().Key("source").String(name_).Key("write_key").String(*secret).Key("allowed_origins").BeginArray();
      for (const std::string& o : allowed_origins_) w.String(o);
      w.EndArray().EndObject();
    }
    PrintResult(json_, out, *secret);
    return 0;
  }
  size_t colon = listen_.rfind(':');
  if (colon == std::string::npos) Fail("--listen must be HOST:PORT, got '" + listen_ + "'");
  options_.host = listen_.substr(0, colon);
  try {
    options_.port = std::stoi(listen_.substr(colon + 1));
  } catch (const std::exception&) {
    Fail("--listen must be HOST:PORT, got '" + listen_ + "'");
  }
  options_.data_dir = data_dir;
  options_.sync_destinations = !no_destination_sync_;
  auto server = Server::Start(&engine, options_);
  if (!server.ok()) Fail("serve: " + server.status().ToString());
  std::thread signals([&] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    int sig = 0;
    sigwait(&set, &sig);
    (*server)->Shutdown();
  });
  (*server)->Wait();
  // Shut down by something else than a signal: wake the signal thread.
  if (signals.joinable()) {
    pthread_kill(signals.native_handle(), SIGTERM);
    signals.join();
  }
  return 0;
}

}  // namespace holo::cli
