#include "cli/serve_commands.h"

#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <thread>

namespace holo::cli {
namespace {

int Fail(const std::string& what) {
  std::fprintf(stderr, "holo: %s\n", what.c_str());
  return 1;
}

}  // namespace

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

  token_ = app.add_subcommand("token", "API tokens (roles admin, analyst, activation)");
  token_->require_subcommand(1);
  token_create_ = token_->add_subcommand("create", "Create an API token; prints it once (only its hash is kept)");
  add_data(token_create_);
  token_create_->add_option("name", name_, "Who holds the token (shown in the audit log)")->required();
  token_create_->add_option("--role", role_, "admin, analyst or activation")
      ->capture_default_str()->check(CLI::IsMember({"admin", "analyst", "activation"}));

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
}

bool ServeCommands::Parsed() const {
  return serve_->parsed() || token_create_->parsed() || writekey_create_->parsed();
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

int ServeCommands::Run(Engine& engine, const std::string& data_dir) {
  if (token_create_->parsed() || writekey_create_->parsed()) {
    bool token = token_create_->parsed();
    auto secret = engine.serving().CreateCredential(token ? "token" : "writekey", name_, token ? role_ : "source",
                                                   token ? std::vector<std::string>{} : allowed_origins_);
    if (!secret.ok()) return Fail(secret.status().ToString());
    std::printf("%s\n", secret->c_str());
    return 0;
  }
  size_t colon = listen_.rfind(':');
  if (colon == std::string::npos) return Fail("--listen must be HOST:PORT, got '" + listen_ + "'");
  options_.host = listen_.substr(0, colon);
  try {
    options_.port = std::stoi(listen_.substr(colon + 1));
  } catch (const std::exception&) {
    return Fail("--listen must be HOST:PORT, got '" + listen_ + "'");
  }
  options_.data_dir = data_dir;
  auto server = Server::Start(&engine, options_);
  if (!server.ok()) return Fail("serve: " + server.status().ToString());
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
