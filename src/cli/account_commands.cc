// holo account show | list: accounts (B2B) made by group calls, with their traits and members.
// Members are OneIDs, personal data: every read is audited like a profile read.
#include "cli/account_commands.h"

#include <simdjson.h>

#include <cstdio>

#include "cli/cli_util.h"

namespace holo::cli {
namespace {

// The string `key` of object `e`, empty when absent.
std::string_view Str(simdjson::dom::element e, const char* key) {
  std::string_view v;
  if (e[key].get_string().get(v) != simdjson::SUCCESS) return {};
  return v;
}

// A trait's JSON value as text: a string unquoted, anything else as written.
std::string ValueText(simdjson::dom::element v) {
  std::string_view s;
  if (v.get_string().get(s) == simdjson::SUCCESS) return std::string(s);
  return simdjson::minify(v);
}

void PrintAccount(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element a;
  if (parser.parse(json).get(a) != simdjson::SUCCESS) Fail("account show: the engine's answer is not JSON");
  const std::string_view key = Str(a, "account"), first = Str(a, "first_seen"), last = Str(a, "last_seen");
  std::printf("account %.*s\n", static_cast<int>(key.size()), key.data());
  std::string_view group, ns;
  if (a["group_id"].get_string().get(group) == simdjson::SUCCESS &&
      a["namespace"].get_string().get(ns) == simdjson::SUCCESS) {
    std::printf("  group id   %.*s (namespace %.*s)\n", static_cast<int>(group.size()), group.data(),
                static_cast<int>(ns.size()), ns.data());
  }
  std::printf("  calls      %llu, %.*s .. %.*s\n", (unsigned long long)a["calls"].get_uint64().value_unsafe(),
              static_cast<int>(first.size()), first.data(), static_cast<int>(last.size()), last.data());
  std::printf("  traits\n");
  simdjson::dom::object traits;  // bound first: a range-for over a temporary result dangles
  simdjson::dom::array members;
  if (a["traits"].get_object().get(traits) != simdjson::SUCCESS ||
      a["members"].get_array().get(members) != simdjson::SUCCESS) {
    Fail("account show: the engine's answer lacks traits or members");
  }
  for (auto [name, value] : traits) {
    std::printf("    %.*s = %s\n", static_cast<int>(name.size()), name.data(), ValueText(value).c_str());
  }
  std::printf("  members    %llu\n", (unsigned long long)a["member_count"].get_uint64().value_unsafe());
  for (simdjson::dom::element m : members) {
    std::printf("    %llu\n", (unsigned long long)m.get_uint64().value_unsafe());
  }
}

void PrintList(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json).get(doc) != simdjson::SUCCESS) Fail("account list: the engine's answer is not JSON");
  simdjson::dom::array accounts;
  if (doc["accounts"].get_array().get(accounts) != simdjson::SUCCESS) Fail("account list: the answer lacks accounts");
  for (simdjson::dom::element a : accounts) {
    const std::string_view key = Str(a, "account"), last = Str(a, "last_seen");
    simdjson::dom::element name = a["name"].value_unsafe();
    std::printf("%.*s  %-24s  %llu members  last %.*s\n", static_cast<int>(key.size()), key.data(),
                name.is_null() ? "-" : ValueText(name).c_str(),
                (unsigned long long)a["member_count"].get_uint64().value_unsafe(), static_cast<int>(last.size()),
                last.data());
  }
  std::string_view next;
  if (doc["next"].get_string().get(next) == simdjson::SUCCESS) {
    std::printf("more: --cursor %.*s\n", static_cast<int>(next.size()), next.data());
  }
}

}  // namespace

void AccountCommands::Add(CLI::App& app, const std::function<void(CLI::App*)>& add_data) {
  account_ = app.add_subcommand("account", "Accounts (B2B) made by group calls: their traits and members");
  account_->require_subcommand(1);
  show_ = account_->add_subcommand("show", "Print an account: its latest traits and its members (OneIDs)");
  add_data(show_);
  show_->add_option("account", account_name_,
                    "NAMESPACE:GROUP_ID (a source's name stands for its namespace) or the account's 32-hex key")
      ->required();
  show_->add_flag("--json", json_, "Print JSON (as GET /api/accounts/{id})");
  list_ = account_->add_subcommand("list", "List accounts in key order: name, members, last call");
  add_data(list_);
  list_->add_option("--cursor", cursor_, "Start after this account key (a list's 'next')");
  list_->add_option("--limit", limit_, "Accounts per page")->capture_default_str()->check(CLI::Range(1, 1000));
  list_->add_flag("--json", json_, "Print JSON (as GET /api/accounts)");
}

bool AccountCommands::Parsed() const { return account_ != nullptr && account_->parsed(); }

int AccountCommands::Run(Engine& engine) {
  if (show_->parsed()) {
    RequireAudit(engine, "account.read");
    Result<std::string> json = engine.AccountProfileJson(account_name_);
    const int status = json.ok() ? 200 : json.status().code() == StatusCode::kNotFound ? 404 : 400;
    // The answer starts {"account":"<32 hex>" (AccountProfileJson): the key, never the groupId.
    AuditCli(engine, "account.read", json.ok() ? "account:" + json->substr(12, 32) : "(unknown)", status);
    Check(json.status(), "account show");
    if (json_) {
      std::printf("%s\n", json->c_str());
    } else {
      PrintAccount(*json);
    }
    return 0;
  }
  RequireAudit(engine, "account.list");
  Result<std::string> json = engine.ListAccountsJson(cursor_, limit_);
  AuditCli(engine, "account.list", "accounts", json.ok() ? 200 : 400);
  Check(json.status(), "account list");
  if (json_) {
    std::printf("%s\n", json->c_str());
  } else {
    PrintList(*json);
  }
  return 0;
}

}  // namespace holo::cli
