// holo destination add|list|sync|status|drop: activation destinations (docs/destinations.md).
#include "cli/destination_commands.h"

#include <cstdio>

#include "cli/cli_util.h"
#include "common/json_writer.h"

namespace holo::cli {

void DestinationCommands::Add(CLI::App& app, const std::function<void(CLI::App*)>& add_data) {
  dest_ = app.add_subcommand("destination", "Activation destinations: Audience Entered / Exited to webhooks and files");
  dest_->require_subcommand(1);
  add_ = dest_->add_subcommand("add", "Add (or replace) a destination; prints its signing secret");
  add_data(add_);
  add_->add_option("name", config_.name, "Destination name [A-Za-z0-9_.-]")->required();
  auto* hook = add_->add_option("--webhook", webhook_, "URL the batches are POSTed to (http:// or https://)");
  auto* file = add_->add_option("--file", file_, "File the events are appended to, one JSON object per line");
  hook->excludes(file);
  add_->add_option("--segment", segments_, "Saved segment(s) to sync (comma-separated or repeated)")
      ->required()
      ->delimiter(',');
  add_->add_option("--use", config_.use, "Consent use a member must allow")->capture_default_str();
  add_->add_option("--secret", config_.secret, "HMAC-SHA256 key (default: 32 random bytes, hex)");
  add_->add_option("--batch-size", config_.batch_size, "Events per batch")->capture_default_str();
  add_->add_option("--retry-limit", config_.retry_limit, "Attempts before a batch is dead-lettered")
      ->capture_default_str();
  add_->add_option("--attempts-per-sync", config_.attempts_per_sync, "Attempts of one batch in one sync pass")
      ->capture_default_str();
  add_->add_option("--backoff-ms", config_.backoff_base_ms, "First backoff; doubles per attempt")
      ->capture_default_str();
  add_->add_option("--backoff-cap-ms", config_.backoff_cap_ms, "Longest backoff")->capture_default_str();
  add_->add_option("--timeout-ms", config_.timeout_ms, "Webhook request timeout")->capture_default_str();
  add_->add_option("--sync-every", config_.sync_interval_s,
                   "Seconds between the sync passes `holo serve` runs by itself (0: only when asked)")
      ->capture_default_str()
      ->check(CLI::Range(0u, 7u * 86400u));
  AddJsonAlways(add_);
  list_ = dest_->add_subcommand("list", "The destinations (JSON; never their secrets)");
  add_data(list_);
  AddJsonAlways(list_);
  sync_ = dest_->add_subcommand("sync", "One sync pass of a destination (default: all); prints a JSON report");
  add_data(sync_);
  sync_->add_option("name", name_, "Destination (default: every one)");
  AddJsonAlways(sync_);
  status_ = dest_->add_subcommand("status", "Lag, last success, retries, failures, dead letters (JSON)");
  add_data(status_);
  status_->add_option("name", name_, "Destination (default: every one)");
  AddJsonAlways(status_);
  drop_ = dest_->add_subcommand("drop", "Remove a destination and its sync state (its dead-letter file stays)");
  add_data(drop_);
  drop_->add_option("name", name_, "Destination")->required();
  AddJsonAlways(drop_);
}

bool DestinationCommands::Parsed() const { return dest_->parsed(); }

int DestinationCommands::Run(Engine& engine) {
  if (add_->parsed()) {
    if (webhook_.empty() == file_.empty()) Fail("destination add: give --webhook URL or --file PATH");
    config_.kind = webhook_.empty() ? "file" : "webhook";
    config_.url = webhook_;
    config_.path = file_;
    config_.segments = segments_;
    RequireAudit(engine, "destination.add");
    auto secret = engine.destinations().AddDestination(config_);
    AuditCli(engine, "destination.add", "destination:" + config_.name, secret.ok() ? 200 : 400);
    Check(secret.status(), "destination add");
    std::string out;
    JsonWriter w(&out);
    w.BeginObject().Key("name").String(config_.name).Key("secret").String(*secret).EndObject();
    std::printf("%s\n", out.c_str());
  } else if (list_->parsed()) {
    auto json = engine.destinations().ListDestinationsJson();
    Check(json.status(), "destination list");
    std::printf("%s\n", json->c_str());
  } else if (sync_->parsed()) {
    // No audit, no export: members leave the store only once the sync is written down.
    AuditCli(engine, "destination.sync", "destination:" + (name_.empty() ? std::string("*") : name_), 200);
    auto json = engine.destinations().SyncDestinations(name_);
    Check(json.status(), "destination sync");
    std::printf("%s\n", json->c_str());
  } else if (status_->parsed()) {
    auto json = engine.destinations().DestinationStatusJson(name_);
    Check(json.status(), "destination status");
    std::printf("%s\n", json->c_str());
  } else if (drop_->parsed()) {
    RequireAudit(engine, "destination.drop");
    auto json = engine.destinations().DropDestination(name_);
    AuditCli(engine, "destination.drop", "destination:" + name_, json.ok() ? 200 : 404);
    Check(json.status(), "destination drop");
    std::printf("%s\n", json->c_str());
  }
  return 0;
}

}  // namespace holo::cli
