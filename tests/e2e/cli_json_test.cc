// `--json` on every command of the holo binary that prints a result (issue 17): the commands
// are read from `holo completion bash` (generated from the CLI11 tree), so that a new command
// fails here until it takes --json and this test runs it, or it joins the allow-list below.
// Each command runs with --json on a small generated world; its stdout must be exactly one
// JSON object (one line, parsed by simdjson) with the keys the command promises.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <sodium.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "testing/test_util.h"

namespace holo {
namespace {

using testing::Lines;
using testing::ReadFile;
using testing::RunCommand;
using testing::TempDir;
using testing::WriteFile;

// The commands that print no result of their own, or stream one record per line (so that
// their output can be piped as it comes), take no --json:
const std::map<std::string, std::string> kNoJson = {
    {"/lookup", "a filter: 'type,value' lines in, 'type,value,oneid' lines out"},
    {"/export/profiles", "streams JSON Lines, one profile per line"},
    {"/export/events", "streams JSON Lines, one event per line"},
    {"/export/graph", "writes OUT/nodes.tsv and OUT/edges.tsv, prints nothing"},
    {"/identity/feed", "streams JSON Lines, one merge or split per line"},
    {"/serve", "runs the HTTP server until stopped"},
    {"/completion", "prints a shell script"},
    {"/recommend/for", "streams CSV, one user,item,rank per line"},
    {"/recommend/interactions", "streams CSV, one user,item,weight,time per line"},
};

// The completion script's levels: command path ("/segment/create") -> the words after it.
std::map<std::string, std::string> CompletionLevels(const std::string& script) {
  static const std::regex kLevel(R"re(^\s*"([^"]*)"\) echo "([^"]*)" ;;$)re");
  std::map<std::string, std::string> levels;
  for (const std::string& line : Lines(script)) {
    std::smatch m;
    if (std::regex_match(line, m, kLevel)) levels[m[1]] = " " + m[2].str();
  }
  return levels;
}

// The commands that run (the leaves of the command tree).
std::set<std::string> Leaves(const std::map<std::string, std::string>& levels) {
  std::set<std::string> leaves;
  for (const auto& [path, words] : levels) {
    if (path.empty()) continue;
    auto next = levels.upper_bound(path);
    if (next == levels.end() || next->first.rfind(path + "/", 0) != 0) leaves.insert(path);
  }
  return leaves;
}

std::vector<std::string> PathWords(const std::string& path) {
  std::vector<std::string> words;
  std::stringstream in(path.substr(1));
  for (std::string w; std::getline(in, w, '/');) words.push_back(w);
  return words;
}

std::string Sha256Hex(const std::string& s) {
  unsigned char d[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(d, reinterpret_cast<const unsigned char*>(s.data()), s.size());
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : d) hex += {kHex[c >> 4], kHex[c & 15]};
  return hex;
}

// One run of a command with --json: its path, its arguments, the keys its object must have,
// and what the test keeps of the answer for a later command.
struct Case {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> keys;
  std::function<void(simdjson::dom::object)> then = nullptr;
};

TEST(CliJsonTest, EveryCommandThatPrintsAResultPrintsOneJsonObjectWithJson) {
  std::string script, err;
  ASSERT_EQ(RunCommand({testing::HoloBinary(), "completion", "bash"}, "", &script, &err), 0) << err;
  const std::map<std::string, std::string> levels = CompletionLevels(script);
  const std::set<std::string> leaves = Leaves(levels);
  ASSERT_GT(leaves.size(), 60u) << script;
  for (const std::string& leaf : leaves) {
    const bool takes_json = levels.at(leaf).find(" --json ") != std::string::npos;
    EXPECT_EQ(takes_json, kNoJson.count(leaf) == 0)
        << "holo" << leaf
        << (takes_json ? " takes --json but is allow-listed as not printing a result"
                       : " prints no JSON with --json (add --json, or allow-list it here)");
  }

  TempDir tmp("cli_json");
  const std::string data = tmp / "data", world = tmp / "world";
  // The world's first taobao event: a user id, its anonymous id and device, its messageId.
  std::string user, anonymous, device, message_id, campaign, other_person,
      policy = tmp / "policy.toml";
  auto first_event = [&] {
    simdjson::dom::parser parser;
    simdjson::dom::element e;
    ASSERT_EQ(parser.parse(Lines(ReadFile(world + "/taobao.jsonl")).at(0)).get(e),
              simdjson::SUCCESS);
    user = "user_id@taobao:" + std::string(e["userId"].get_string().value());
    anonymous = "anonymous_id@taobao:" + std::string(e["anonymousId"].get_string().value());
    device = "device_id:" + std::string(e["context"]["device"]["id"].get_string().value());
    message_id = std::string(e["messageId"].get_string().value());
    // A campaign of the world (campaigns.csv: campaign_id,campaign,...).
    const std::string row = Lines(ReadFile(world + "/campaigns.csv")).at(1);
    const size_t comma = row.find(',');
    campaign = row.substr(comma + 1, row.find(',', comma + 1) - comma - 1);
    // Someone else, to erase: the last row of truth.csv (source,type,value,person).
    const testing::TruthRow last = testing::ReadTruthCsv(world + "/truth.csv").back();
    other_person = last.type + ":" + last.value;
    // The partner's upload: the world's e-mails, hashed.
    std::string upload;
    for (const testing::TruthRow& r : testing::ReadTruthCsv(world + "/truth.csv")) {
      if (r.type == "email") upload += Sha256Hex(r.value) + "\n";
    }
    WriteFile(tmp / "upload.txt", upload);
  };
  std::filesystem::create_directories(tmp / "bad");
  WriteFile(tmp / "bad/bad.jsonl", "not json\n");  // a line for the dead letters
  std::filesystem::create_directories(tmp / "b2b");
  WriteFile(tmp / "b2b/web.jsonl",  // a group call: an account for `holo account`
            R"({"type":"group","messageId":"g1","userId":"u1","groupId":"acme","timestamp":"2026-10-02T10:00:00Z","traits":{"name":"Acme Inc"}})"
            "\n");
  const std::string probes = tmp / "sniffer.csv";
  WriteFile(probes,
            "datetime;dst;src;src_vendor;randomized;rssi;idx;seq_num;ch_freq;FCfield;ssid;dot11elt;oui\n"
            "2022-10-18 10:00:00.0;ff:ff:ff:ff:ff:ff;00:16:3e:11:22:33;;0;-60;0;1;2417;;;[0];[]\n"
            "2022-10-18 10:09:00.0;ff:ff:ff:ff:ff:ff;00:16:3e:11:22:33;;0;-60;0;2;2417;;;[0];[]\n");
  const std::string match_config =
      std::string(HOLO_SOURCE_DIR) + "/examples/match/generated_pii.toml";
  const std::string interactions = tmp / "interactions.csv";  // for `holo recommend`
  {
    std::string rows = "user,item,rating,time\n";
    for (int u = 0; u < 30; ++u) {
      for (int k = 0; k < 5; ++k) rows += "u" + std::to_string(u) + ",i" + std::to_string((u + k) % 12) + ",1," + std::to_string(100 + k) + "\n";
    }
    WriteFile(interactions, rows);
  }

  // In order: each may use what an earlier one made. Ids are filled in once the world exists.
  std::vector<Case> cases = {
      {"/generate",
       {"--persons", "200", "--seed", "3", "--out", world},
       {"persons", "households", "events"},
       [&](simdjson::dom::object) { first_event(); }},
      {"/generate-pii",
       {"--records", "300", "--seed", "3", "--out", tmp / "pii.csv"},
       {"records", "persons"}},
      {"/match",
       {"--config", match_config, "--out", tmp / "match", tmp / "pii.csv", "--explain-model"},
       {"records", "matched_pairs", "model_explanation"}},
      {"/ingest", {"--data", data, world, tmp / "bad", tmp / "b2b"}, {"stored", "rejected", "dead_letter"}},
      {"/resolve", {"--data", data}, {"merges", "profiles_written"}},
      {"/stats", {"--data", data}, {"events", "identifiers", "oneids"}},
      {"/eval",
       {"--data", data, "--truth", world + "/truth.csv", "--linkable",
        world + "/truth_linkable.csv"},
       {"precision", "recall", "f1"}},
  };
  // The ids exist once generate ran: the rest is added after the first three cases.
  auto more_cases = [&] {
    return std::vector<Case>{
        {"/profile", {"--data", data, user}, {"oneid", "traits"}},
        {"/explain", {"--data", data, user, anonymous}, {"a", "b", "same_person"}},
        {"/people", {"--data", data, user}, {"oneid", "ties"}},
        {"/trait/define",
         {"--data", data, "orders", "count(Order Completed, 365d)"},
         {"defined", "definition"}},
        {"/trait/list", {"--data", data}, {"traits"}},
        {"/segment/create", {"--data", data, "all", "orders >= 0"}, {"name", "size", "definition"}},
        {"/segment/create", {"--data", data, "buyers", "orders >= 1"}, {"name", "size"}},
        {"/recommend/model", {"--data", data}, {"trained"}},
        {"/recommend/train", {"--data", data, "--algo", "ease"}, {"algo", "evaluation", "cross_domain"}},
        {"/recommend/show", {"--data", data, "--id", user, "--k", "3"}, {"oneid", "allowed", "items"}},
        {"/lookalike", {"--data", data, "--seed", "buyers", "--size", "5"}, {"seed", "size", "curve"}},
        {"/segment/list", {"--data", data}, {"segments"}},
        {"/segment/show", {"--data", data, "all"}, {"name", "history"}},
        {"/segment/count", {"--data", data, "all"}, {"count", "warnings"}},
        {"/segment/overlap",
         {"--data", data, "all", "buyers"},
         {"a", "b", "a_size", "b_size", "both", "jaccard"}},
        {"/segment/export", {"--data", data, "all"}, {"segment", "use", "oneids", "count"}},
        {"/segment/export",
         {"--data", data, "all", "--out", tmp / "all.txt"},
         {"segment", "count", "out"}},
        {"/groupprofile", {"--data", data, "all", "--k", "10"}, {}},
        {"/funnel", {"--data", data, "Nike", "--k", "10"}, {"brand", "stages"}},
        {"/campaign", {"--data", data, campaign, "--k", "10"}, {"campaign", "brand"}},
        {"/partner/match",
         {"--data", data, "acme", "--file", tmp / "upload.txt", "--k", "10"},
         {"partner", "upload", "group_profile"}},
        {"/consent/give",
         {"--data", data, user, "--purpose", "marketing,analytics"},
         {"oneid", "purposes"}},
        {"/consent/withdraw",
         {"--data", data, user, "--purpose", "analytics"},
         {"oneid", "purposes"}},
        {"/consent/show", {"--data", data, user}, {"oneid", "purposes"}},
        {"/consent/policy", {"--data", data}, {"uses", "defaults"}},
        {"/dsar", {"--data", data, user}, {"oneid", "identifiers"}},
        {"/dsar", {"--data", data, user, "--out", tmp / "dsar.json"}, {"out", "summary"}},
        {"/retention/set", {"--data", data, R"({"store_wifi": 3650})"}, {"store_wifi"}},
        {"/retention/show", {"--data", data}, {"store_wifi"}},
        {"/retention/apply", {"--data", data}, {"expired_events", "profiles_rebuilt"}},
        {"/dead-letters", {"--data", data}, {"records", "shown", "unopened"}},
        {"/destination/add",
         {"--data", data, "crm", "--file", tmp / "crm.jsonl", "--segment", "all"},
         {"name", "secret"}},
        {"/destination/list", {"--data", data}, {"destinations"}},
        {"/destination/sync", {"--data", data, "crm"}, {"destinations"}},
        {"/destination/status", {"--data", data, "crm"}, {"destinations"}},
        {"/destination/drop", {"--data", data, "crm"}, {"name", "dropped", "pending_events"}},
        {"/token/create", {"--data", data, "bob", "--role", "analyst"}, {"name", "role", "token"}},
        {"/token/list", {"--data", data}, {"tokens"}},
        {"/token/revoke", {"--data", data, "bob"}, {"revoked"}},
        {"/writekey/create",
         {"--data", data, "web", "--allow-origin", "https://shop.example"},
         {"source", "write_key", "allowed_origins"}},
        {"/writekey/list", {"--data", data}, {"writekeys"}},
        {"/writekey/revoke", {"--data", data, "web"}, {"revoked"}},
        {"/identity/phone-regions", {"--data", data, "--set", "web=US"}, {"web"}},
        {"/identity/ip-policy", {"--data", data, "--set", "web=drop"}, {"web"}},
        {"/identity/policy",
         {"--data", data},
         {"toml"},
         [&](simdjson::dom::object o) {
           WriteFile(policy, std::string(o["toml"].get_string().value()));
         }},
        {"/identity/dry-run", {"--data", data, "--config", policy}, {}},
        {"/identity/apply", {"--data", data, "--config", policy}, {"merges", "splits"}},
        {"/identity/hubs", {"--data", data}, {"identifiers", "shared"}},
        {"/identity/monitor", {"--data", data}, {"alert", "distance"}},
        {"/identity/import-matches",
         {"--data", data, tmp / "match/pairs.csv", "--type", "user_id@crm"},
         {"merges", "splits"}},
        {"/identity/match-vault", {"--data", data}, {"merges", "splits"}},
        {"/identity/unlink", {"--data", data, user, anonymous}, {"merges", "splits"}},
        {"/identity/delete-event",
         {"--data", data, "--source", "taobao", "--message-id", message_id},
         {"merges", "splits"}},
        {"/identity/erase", {"--data", data, device}, {"merges", "splits"}},
        {"/account/list", {"--data", data}, {"accounts"}},
        {"/account/show", {"--data", data, "web:acme"}, {"account", "traits", "members"}},
        {"/offer/issue", {"--data", data, "autumn", "--segment", "all", "--campaign", "Autumn Run"}, {"offer", "invited", "holdout"}},
        {"/offer/list", {"--data", data}, {"offers"}},
        {"/offer/report", {"--data", data, "autumn"}, {"invited", "holdout", "conversion_uplift_pp"}},
        {"/stores/import", {"--data", data, "--store", "lab", probes}, {"store", "files", "observations", "bad"}},
        {"/stores/list", {"--data", data}, {"stores"}},
        {"/stores/occupancy", {"--data", data, "--store", "lab", "--interval", "15m"}, {"interval_s", "windows"}},
        {"/stores/devices", {"--data", data, "--store", "lab"}, {"devices", "randomized_devices"}},
        {"/stores/configure", {"--data", data, "--store", "lab", "--rssi-min", "-75"}, {"rssi_min_dbm", "visit_gap_s"}},
        {"/stores/metrics", {"--data", data, "--store", "lab"}, {"total", "days", "hours", "flows"}},
        {"/stores/flows", {"--data", data, "--store", "lab"}, {"zones", "flows"}},
        {"/stores/link-rate", {"--data", data, "--store", "lab"}, {"devices", "linked", "link_rate"}},
        {"/recommend/train", {"--interactions", interactions, "--model", tmp / "recs"}, {"algo", "chosen", "users", "items"}},
        {"/recommend/eval", {"--interactions", interactions, "--algo", "popularity,ease"}, {"users", "items", "models"}},
        {"/trait/drop", {"--data", data, "unused"}, {"dropped"}},  // defined just before, below
        {"/segment/drop", {"--data", data, "buyers"}, {"dropped"}},
        {"/erase", {"--data", data, other_person}, {"oneid", "events_deleted"}},
        {"/audit", {"--data", data}, {"entries", "matched", "total", "intact"}},
        {"/audit", {"--data", data, "--verify"}, {"total", "intact"}},
        {"/rekey", {"--data", data}, {"from_generation", "to_generation"}},
        {"/demo",
         {"--persons", "200", "--seed", "5", "--dir", tmp / "demo"},
         {"world", "ingest", "quality", "segment", "funnel"}},
    };
  };

  std::set<std::string> ran;
  simdjson::dom::parser parser;
  auto run = [&](const Case& c) {
    std::vector<std::string> argv{testing::HoloBinary()};
    for (const std::string& w : PathWords(c.path)) argv.push_back(w);
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    argv.push_back("--json");
    std::string out, err;
    const int rc = RunCommand(argv, "", &out, &err);
    ASSERT_EQ(rc, 0) << "holo" << c.path << " --json failed: " << err;
    ran.insert(c.path);
    // One JSON object on one line, nothing else.
    ASSERT_FALSE(out.empty()) << "holo" << c.path << " --json printed nothing";
    EXPECT_EQ(out.find('\n'), out.size() - 1)
        << "holo" << c.path << " --json printed more than one line:\n"
        << out;
    simdjson::dom::object o;
    ASSERT_EQ(parser.parse(out).get_object().get(o), simdjson::SUCCESS)
        << "holo" << c.path << " --json printed no JSON object:\n"
        << out;
    for (const std::string& key : c.keys) {
      EXPECT_EQ(o[key].error(), simdjson::SUCCESS)
          << "holo" << c.path << " --json lacks \"" << key << "\":\n"
          << out;
    }
    if (c.then) c.then(o);
  };
  for (const Case& c : cases) {
    run(c);
    if (::testing::Test::HasFatalFailure()) return;
  }
  for (const Case& c : more_cases()) {
    if (c.path == "/trait/drop") {
      std::string out;
      ASSERT_EQ(RunCommand({testing::HoloBinary(), "trait", "define", "--data", data, "unused",
                            "count(Page Viewed, 30d)"},
                           "", &out, &err),
                0)
          << err;
    }
    run(c);
    if (::testing::Test::HasFatalFailure()) return;
  }
  for (const std::string& leaf : leaves) {
    if (kNoJson.count(leaf) == 0)
      EXPECT_EQ(ran.count(leaf), 1u) << "holo" << leaf << " --json is not run by this test";
  }
  // A failure with --json: non-zero, nothing on stdout, one line on stderr.
  std::string out;
  EXPECT_EQ(
      RunCommand({testing::HoloBinary(), "profile", "--data", data, "phone:+10000000000", "--json"},
                 "", &out, &err),
      1);
  EXPECT_EQ(out, "");
  EXPECT_EQ(err.rfind("holo: error: ", 0), 0u) << err;
  EXPECT_EQ(err.find('\n'), err.size() - 1) << err;
}

}  // namespace
}  // namespace holo
