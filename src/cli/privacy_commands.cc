// holo consent: the consent ledger and policy (docs/privacy.md).
#include "cli/privacy_commands.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <tuple>

#include "cli/cli_util.h"
#include "common/json_writer.h"
#include "common/time_util.h"
#include "privacy/audit_log.h"

namespace holo::cli {

void PrivacyCommands::Add(CLI::App& app, const std::function<void(CLI::App*)>& add_data) {
  consent_ = app.add_subcommand("consent", "Consent per purpose: record decisions, show a person's, set the policy");
  consent_->require_subcommand(1);
  for (CLI::App** sub : {&give_, &withdraw_}) {
    const bool give = sub == &give_;
    *sub = consent_->add_subcommand(give ? "give" : "withdraw",
                                    give ? "Record that a person gave consent to purposes (effective at once)"
                                         : "Record that a person withdrew consent to purposes (effective at once)");
    add_data(*sub);
    (*sub)->add_option("id", id_, "OneID or type:value identifier")->required();
    (*sub)->add_option("--purpose", purposes_, "analytics, personalization, marketing, third_party, location")
        ->required()
        ->delimiter(',');
    (*sub)->add_option("--source", source_, "Where the person decided (an app, support, ...)")->capture_default_str();
    (*sub)->add_option("--at", at_, "When (ISO-8601; default: now)");
    AddJsonAlways(*sub);
  }
  show_ = consent_->add_subcommand("show", "A person's state per purpose and the history of their decisions (JSON)");
  add_data(show_);
  show_->add_option("id", id_, "OneID or type:value identifier")->required();
  AddJsonAlways(show_);
  policy_ = consent_->add_subcommand("policy", "Print the consent policy in force (JSON), or replace it with --set");
  add_data(policy_);
  policy_->add_option("--set", policy_file_, "A JSON file: {\"uses\": {\"export\": [\"marketing\"], ...}, \"defaults\": {...}}");
  AddJsonAlways(policy_);

  dsar_ = app.add_subcommand("dsar", "Access request: everything Holo holds about a person (JSON to --out, summary on stdout)");
  add_data(dsar_);
  dsar_->add_option("id", id_, "OneID or type:value identifier of the person")->required();
  dsar_->add_option("--supplied", supplied_,
                    "More type:value identifiers the person gave with the request (their raw values are shown)")
      ->delimiter(',');
  dsar_->add_option("--out", out_, "Write the JSON document here (default: stdout, after the summary)");
  dsar_->add_flag("--json", json_,
                  "Print one JSON object: the document (no summary), or with --out {\"out\", \"summary\"}");

  audit_ = app.add_subcommand("audit", "Query the audit log (who read, exported, erased, changed what) and check its chain");
  add_data(audit_);
  audit_->add_option("--action", audit_action_, "Action or its prefix: profile.read, segment.export, consent., person.erase, config.");
  audit_->add_option("--token", audit_token_, "Who: a token name, or cli:<user>");
  audit_->add_option("--target", audit_target_, "Part of the target: oneid:123, segment:vip");
  audit_->add_option("--since", audit_since_, "From this date or time (UTC)");
  audit_->add_option("--until", audit_until_, "Before this date or time (UTC)");
  audit_->add_flag("--verify", audit_verify_, "Only check the hash chain (exit 2 if an entry was changed or removed)");
  audit_->add_flag("--json", json_,
                   "Print one JSON object: {\"entries\": [...], \"matched\", \"total\", \"intact\"} (no entries with --verify)");

  retention_ = app.add_subcommand("retention", "Per-source retention windows, enforced when the events are compacted");
  retention_->require_subcommand(1);
  ret_show_ = retention_->add_subcommand("show", "Print the windows in force, {\"source\": days}");
  add_data(ret_show_);
  AddJsonAlways(ret_show_);
  ret_set_ = retention_->add_subcommand("set", "Replace the windows, e.g. '{\"store_wifi\": 30}'");
  add_data(ret_set_);
  ret_set_->add_option("windows", retention_json_, "JSON object: source -> days")->required();
  AddJsonAlways(ret_set_);
  ret_apply_ = retention_->add_subcommand("apply", "Enforce the windows now: drop expired events, rebuild affected profiles");
  add_data(ret_apply_);
  AddJsonAlways(ret_apply_);

  dead_ = app.add_subcommand("dead-letters",
                             "Show the rejected input lines (DATA/dead_letter.jsonl) with their sealed text opened (audited)");
  add_data(dead_);
  dead_->add_option("--limit", dead_limit_, "The last N records (0: all)")->capture_default_str();
  dead_->add_flag("--json", json_,
                  "Print one JSON object: {\"records\": [...], \"shown\", \"unopened\"} instead of JSON lines");

  erase_ = app.add_subcommand("erase", "Erase a person: everything Holo holds about them (right to erasure)");
  add_data(erase_);
  erase_->add_option("id", id_, "OneID or type:value identifier of the person")->required();
  erase_->add_flag("--compact", compact_,
                   "Also compact the store now, so that no file keeps the erased data (else: at the next compactions)");
  AddJsonAlways(erase_);
}

bool PrivacyCommands::Parsed() const {
  return consent_->parsed() || erase_->parsed() || dsar_->parsed() || retention_->parsed() || dead_->parsed();
}

bool PrivacyCommands::ParsedWithoutEngine() const { return audit_->parsed(); }

int PrivacyCommands::RunWithoutEngine(const std::string& data_dir) {
  privacy::AuditQuery q;
  q.action = audit_action_;
  q.token = audit_token_;
  q.target = audit_target_;
  for (auto [text, out, flag] : {std::tuple{&audit_since_, &q.since_ms, "--since"}, std::tuple{&audit_until_, &q.until_ms, "--until"}}) {
    if (text->empty()) continue;
    std::string t = *text;
    if (t.size() == 10) t += "T00:00:00Z";
    auto ms = ParseIso8601Ms(t);
    if (!ms.ok()) Fail(std::string(flag) + ": '" + *text + "' is not a date or ISO-8601 time");
    *out = *ms;
  }
  privacy::AuditVerification v;
  uint64_t shown = 0;
  // With --json, one object (the entries as GET /api/audit lists them): printed once the
  // whole log is read, so a failure on the way prints no half object.
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  if (json_ && !audit_verify_) w.Key("entries").BeginArray();
  Check(privacy::ReadAuditLog(data_dir + "/audit.jsonl", q,
                              [&](std::string_view line) {
                                if (json_ && !audit_verify_) w.RawValue(line);
                                if (!json_ && !audit_verify_) std::printf("%.*s\n", static_cast<int>(line.size()), line.data());
                                ++shown;
                              },
                              &v),
        "audit");
  if (json_) {
    if (!audit_verify_) w.EndArray();
    w.Key("matched").Uint(shown).Key("total").Uint(v.entries).Key("intact").Bool(v.first_broken_line == 0);
    if (v.first_broken_line != 0) w.Key("first_broken_line").Uint(v.first_broken_line).Key("why").String(v.why);
    w.EndObject();
    std::printf("%s\n", out.c_str());
  }
  if (v.first_broken_line != 0) {
    std::fprintf(stderr, "holo: error: audit log %s/audit.jsonl is not intact: %s\n", data_dir.c_str(), v.why.c_str());
    return 2;
  }
  std::fprintf(stderr, "holo: audit: %llu of %llu entries match; the chain is intact\n", (unsigned long long)shown,
               (unsigned long long)v.entries);
  return 0;
}

int PrivacyCommands::Run(Engine& engine, const std::string& data_dir) {
  if (give_->parsed() || withdraw_->parsed()) {
    Engine::ConsentChange change;
    change.id = id_;
    change.source = source_;
    change.purposes = purposes_;
    change.given = give_->parsed();
    if (!at_.empty()) {
      auto ms = ParseIso8601Ms(at_);
      if (!ms.ok()) Fail("--at: '" + at_ + "' is not an ISO-8601 time: " + ms.status().message());
      change.at_ms = *ms;
    }
    RequireAudit(engine, change.given ? "consent.give" : "consent.withdraw");
    Status s = engine.privacy().RecordConsent(change);
    auto oneid = engine.serving().ResolveId(id_);
    AuditCli(engine, change.given ? "consent.give" : "consent.withdraw",
             oneid.ok() ? "oneid:" + std::to_string(*oneid) : "(unknown)", s.ok() ? 200 : 400);
    Check(s, std::string("consent ") + (change.given ? "give" : "withdraw"));
    auto json = engine.privacy().ConsentJson(id_);
    Check(json.status(), "consent");
    std::printf("%s\n", json->c_str());
  } else if (show_->parsed()) {
    auto json = engine.privacy().ConsentJson(id_);
    Check(json.status(), "consent show");
    std::printf("%s\n", json->c_str());
  } else if (dsar_->parsed()) {
    auto r = engine.privacy().AccessRequest(id_, supplied_);
    auto oneid = engine.serving().ResolveId(id_);
    AuditCli(engine, "profile.access_request", oneid.ok() ? "oneid:" + std::to_string(*oneid) : "(unknown)",
             r.ok() ? 200 : 404);
    Check(r.status(), "dsar");
    if (json_) {
      // The document itself (as GET /api/profiles/{id}/access-request?format=json); with
      // --out, where it went and the summary.
      if (!out_.empty()) {
        std::ofstream f(out_, std::ios::trunc);
        f << r->json << '\n';
        if (!f.flush()) Fail("dsar: cannot write " + out_);
      }
      std::string out;
      JsonWriter(&out).BeginObject().Key("out").String(out_).Key("summary").String(r->text).EndObject();
      PrintResult(out_.empty(), r->json, out);
      return 0;
    }
    std::printf("%s", r->text.c_str());
    if (out_.empty()) {
      std::printf("%s\n", r->json.c_str());
    } else {
      std::ofstream f(out_, std::ios::trunc);
      f << r->json << '\n';
      if (!f.flush()) Fail("dsar: cannot write " + out_);
      std::printf("- the whole document: %s\n", out_.c_str());
    }
  } else if (retention_->parsed()) {
    if (ret_set_->parsed()) {
      RequireAudit(engine, "config.retention");
      Status s = engine.privacy().SetRetention(retention_json_);
      AuditCli(engine, "config.retention", "retention", s.ok() ? 200 : 400);
      Check(s, "retention set");
    }
    if (ret_apply_->parsed()) {
      Engine::RetentionReport r;
      Check(engine.privacy().ApplyRetention(&r), "retention apply");
      std::printf("{\"expired_events\":%llu,\"profiles_rebuilt\":%llu,\"dead_letters_expired\":%llu,\"seconds\":%.3f}\n",
                  (unsigned long long)r.expired_events, (unsigned long long)r.profiles_rebuilt,
                  (unsigned long long)r.dead_letters_expired, r.seconds);
    } else {
      auto json = engine.privacy().RetentionJson();
      Check(json.status(), "retention");
      std::printf("%s\n", json->c_str());
    }
  } else if (dead_->parsed()) {
    // The opened text may hold PII: no audit, no read.
    RequireAudit(engine, "dead_letters.read");
    uint64_t shown = 0, unopened = 0;
    std::string out;
    JsonWriter w(&out);
    w.BeginObject().Key("records").BeginArray();
    Status s = engine.privacy().ReadDeadLetters(dead_limit_, [&](std::string_view json) {
      if (json_) {
        w.RawValue(json);
      } else {
        std::printf("%.*s\n", static_cast<int>(json.size()), json.data());
      }
      ++shown;
    }, &unopened);
    AuditCli(engine, "dead_letters.read", "dead_letter.jsonl", s.ok() ? 200 : 500);
    Check(s, "dead-letters");
    if (json_) {
      w.EndArray().Key("shown").Uint(shown).Key("unopened").Uint(unopened).EndObject();
      std::printf("%s\n", out.c_str());
    }
    std::fprintf(stderr, "holo: %llu dead-letter record(s) shown", (unsigned long long)shown);
    if (unopened != 0) {
      std::fprintf(stderr, "; %llu could not be opened (damaged, or sealed under a key the keyring lacks)",
                   (unsigned long long)unopened);
    }
    std::fprintf(stderr, "\n");
  } else if (erase_->parsed()) {
    Engine::ErasureReport r;
    RequireAudit(engine, "person.erase");
    Status s = engine.privacy().ErasePerson(id_, &r);
    AuditCli(engine, "person.erase", s.ok() ? "oneid:" + std::to_string(r.oneid) : "(not erased)", s.ok() ? 200 : 404);
    Check(s, "erase");
    if (compact_) Check(engine.CompactStore(), "erase --compact");
    std::printf("{\"oneid\":%llu,\"identifiers\":%llu,\"events_deleted\":%llu,\"events_rewritten\":%llu,"
                "\"dead_letters_removed\":%llu,\"vault_entries_removed\":%llu,\"store_observations_removed\":%llu,"
                "\"identifiers_reresolved\":%llu,\"compacted\":%s,\"seconds\":%.3f}\n",
                (unsigned long long)r.oneid, (unsigned long long)r.identifiers, (unsigned long long)r.events_deleted,
                (unsigned long long)r.events_rewritten, (unsigned long long)r.dead_letters_removed,
                (unsigned long long)r.vault_entries_removed, (unsigned long long)r.store_observations_removed,
                (unsigned long long)r.resolve.changed_nodes, compact_ ? "true" : "false", r.seconds);
  } else if (policy_->parsed()) {
    if (!policy_file_.empty()) {
      std::ifstream in(policy_file_);
      if (!in) Fail("consent policy: cannot read " + policy_file_);
      std::stringstream text;
      text << in.rdbuf();
      RequireAudit(engine, "config.consent_policy");
      Status s = engine.privacy().SetConsentPolicy(text.str());
      AuditCli(engine, "config.consent_policy", "consent_policy", s.ok() ? 200 : 400);
      Check(s, "consent policy " + policy_file_);
    }
    auto json = engine.privacy().ConsentPolicyJson();
    Check(json.status(), "consent policy");
    std::printf("%s\n", json->c_str());
  }
  return 0;
}

}  // namespace holo::cli
