// Keys against a real store and a generated world: the keyring lives outside the data
// directory and is checked; raw address PII is only in the vault, sealed; Rekey maps every
// pseudonym to a new key generation (no old pseudonym is left, raw or hex, in any column
// family or file), re-seals the vault, and keeps every answer: OneIDs, traits, consent,
// segments, the suppression of erased identifiers, and new events joining old people.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "holo/engine.h"
#include "privacy/keyring.h"
#include "privacy/pseudonymizer.h"
#include "storage/event_record.h"
#include "storage/keys.h"
#include "storage/store.h"
#include "engine/engine_test_util.h"
#include "testing/test_util.h"

namespace holo {
namespace {

namespace fs = std::filesystem;

using Row = testing::TruthRow;

// Every key and value of every column family, with its column family's name.
std::vector<std::pair<std::string, std::string>> Dump(const std::string& dir, std::vector<std::string>* cf_names) {
  std::vector<std::pair<std::string, std::string>> out;
  auto store = storage::Store::Open(dir, storage::StoreOptions());
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return out;
  for (int c = 0; c < static_cast<int>(storage::Cf::kCount); ++c) {
    auto it = (*store)->NewCursor(static_cast<storage::Cf>(c));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      out.emplace_back(it->key(), it->value());
      cf_names->push_back(std::string(storage::CfName(static_cast<storage::Cf>(c))));
    }
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  }
  return out;
}

// `text` with every run of 32 hex digits (a pseudonym) replaced by "#".
std::string MaskHex(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    size_t j = i;
    while (j < text.size() && std::isxdigit(static_cast<unsigned char>(text[j]))) ++j;
    if (j - i == 32) {
      out += '#';
    } else {
      out.append(text, i, std::max<size_t>(j - i, 1));
    }
    i = std::max(j, i + 1);
  }
  return out;
}

class RekeyTest : public testing::GeneratedWorldTest {
 protected:
  RekeyTest() : GeneratedWorldTest("rekey_test", /*persons=*/300, /*seed=*/11) {}
  // The profile without its identifiers (pseudonyms change with the key; nothing else may).
  std::string Traits(uint64_t oneid) {
    auto p = engine_->ProfileJson(std::to_string(oneid));
    if (!p.ok()) return p.status().ToString();
    std::string s = *p;
    size_t from = s.find("\"identifiers\":{");
    if (from != std::string::npos) s.erase(from, s.find('}', from) - from + 1);
    return s;
  }
};

TEST_F(RekeyTest, KeyringLivesOutsideTheDataDirectoryAndIsChecked) {
  const std::string keyring = dir_ / "data.keyring";
  struct stat st;
  ASSERT_EQ(::stat(keyring.c_str(), &st), 0) << "created beside the data directory";
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  engine_.reset();
  // No key material inside the data directory: the keys of the keyring appear in no file.
  auto ring = privacy::ReadKeyring(keyring);
  ASSERT_TRUE(ring.ok() && ring->has_value());
  const std::string pkey(reinterpret_cast<const char*>((*ring)->pseudonym[0].data()), 32);
  const std::string vkey(reinterpret_cast<const char*>((*ring)->vault[0].data()), 32);
  for (const auto& entry : fs::recursive_directory_iterator(dir_ / "data")) {
    if (!entry.is_regular_file()) continue;
    const std::string bytes = testing::ReadFile(entry.path().string());
    EXPECT_EQ(bytes.find(pkey), std::string::npos) << entry.path();
    EXPECT_EQ(bytes.find(vkey), std::string::npos) << entry.path();
  }

  // Missing keyring: refused, not a silently re-keyed (and so orphaned) store.
  fs::rename(keyring, dir_ / "moved.keyring");
  auto missing = Engine::Open(StoreOptions());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(missing.status().message().find("is missing"), std::string::npos) << missing.status().ToString();
  // Another store's keyring: refused.
  privacy::Keyring other;
  other.AddGeneration();
  ASSERT_TRUE(privacy::WriteKeyring(keyring, other).ok());
  auto wrong = Engine::Open(StoreOptions());
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("does not belong to this store"), std::string::npos) << wrong.status().ToString();
  // Given explicitly with --keyring (Options::keyring_path): opens.
  Options elsewhere = StoreOptions();
  elsewhere.keyring_path = dir_ / "moved.keyring";
  auto ok = Engine::Open(elsewhere);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_NE((*ok)->LookupOneId(truth_[0].type, truth_[0].value).value_or(0), 0u);
}

TEST_F(RekeyTest, AStoreKeyedInsideItsDirectoryHasTheKeyMovedOut) {
  // What versions before the keyring did: the key in meta cfg/pseudonym_key, no keyring.
  const uint64_t before = OneId(truth_[0]);
  ASSERT_NE(before, 0u);
  engine_.reset();
  auto ring = privacy::ReadKeyring(dir_ / "data.keyring");
  ASSERT_TRUE(ring.ok() && ring->has_value());
  const std::string pkey(reinterpret_cast<const char*>((*ring)->pseudonym[0].data()), 32);
  {
    auto store = storage::Store::Open(dir_ / "data", storage::StoreOptions());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Put(storage::Cf::kMeta, storage::keys::kPseudonymKey, pkey, true).ok());
    storage::WriteBatch b(**store);
    b.Delete(storage::Cf::kMeta, storage::keys::kKeyGeneration);
    b.Delete(storage::Cf::kMeta, storage::keys::kKeyCheck);
    ASSERT_TRUE((*store)->Write(&b, true).ok());
  }
  fs::remove(dir_ / "data.keyring");
  Open();
  EXPECT_EQ(OneId(truth_[0]), before) << "the same key, now from the keyring";
  ring = privacy::ReadKeyring(dir_ / "data.keyring");
  ASSERT_TRUE(ring.ok() && ring->has_value()) << "keyring written from the store's key";
  EXPECT_EQ(std::string(reinterpret_cast<const char*>((*ring)->pseudonym[0].data()), 32), pkey);
  engine_.reset();
  std::vector<std::string> cfs;
  for (const auto& [k, v] : Dump(dir_ / "data", &cfs)) {
    EXPECT_NE(k, storage::keys::kPseudonymKey);
    EXPECT_EQ(v.find(pkey), std::string::npos);
  }
}

TEST_F(RekeyTest, RekeyMapsEveryPseudonymAndKeepsEveryAnswer) {
  // Before: a sample of people by raw identifier, their traits, consent and segments; a
  // person erased (so the suppression list is not empty); vault contents of someone.
  ASSERT_TRUE(engine_->audiences().DefineSegment("buyers", "order_count >= 1").ok());
  // A computed trait: its column and the event index's projections are re-keyed too.
  ASSERT_TRUE(engine_->audiences().DefineTrait("views", "count(Product Viewed, all)").ok());
  // An account (B2B): its key, $group in the group calls' traits, is re-keyed too.
  IngestLines("group.jsonl", "taobao",
              R"({"type":"group","messageId":"rk-g1","userId":"rk-acct-1","groupId":"acme","timestamp":"2026-10-01T10:00:00Z","traits":{"name":"Acme"}})" "\n"
              R"({"type":"group","messageId":"rk-g2","userId":"rk-acct-2","groupId":"acme","timestamp":"2026-10-02T10:00:00Z","traits":{"plan":"pro"}})" "\n");
  auto account_before = engine_->AccountProfileJson("taobao:acme");
  ASSERT_TRUE(account_before.ok()) << account_before.status().ToString();
  const std::string account_key = account_before->substr(12, 32);
  std::map<std::string, uint64_t> oneid_of;  // type:value -> OneID
  std::map<uint64_t, std::string> traits, consent;
  for (size_t i = 0; i < truth_.size(); i += 7) {
    const Row& r = truth_[i];
    const uint64_t id = OneId(r);
    oneid_of[r.type + ":" + r.value] = id;
    if (id != 0 && !traits.count(id)) {
      traits[id] = Traits(id);
      consent[id] = MaskHex(engine_->privacy().ConsentJson(std::to_string(id)).value_or("?"));
    }
  }
  ASSERT_GT(traits.size(), 100u);
  // The erased person: the first eleme account (eleme users order with delivery addresses).
  Row erased;
  for (const Row& r : truth_) {
    if (r.type == "user_id@eleme") {
      erased = r;
      break;
    }
  }
  ASSERT_FALSE(erased.value.empty());
  Engine::ErasureReport er;
  ASSERT_TRUE(engine_->privacy().ErasePerson(erased.type + ":" + erased.value, &er).ok());
  EXPECT_GT(er.vault_entries_removed, 0u) << "their delivery addresses leave the vault";
  for (auto& [key, id] : oneid_of) {
    if (id == er.oneid) id = 0;
  }
  traits.erase(er.oneid);
  consent.erase(er.oneid);
  const uint64_t buyers = engine_->audiences().GetSegment("buyers").value().members;
  // Someone whose delivery addresses are in the vault.
  uint64_t vaulted = 0;
  std::string vault_before;
  for (const auto& [id, t] : traits) {
    auto dsar = engine_->privacy().AccessRequest(std::to_string(id));
    ASSERT_TRUE(dsar.ok());
    size_t at = dsar->json.find("\"vault\":[{");
    if (at != std::string::npos) {
      vaulted = id;
      vault_before = dsar->json.substr(at);
      break;
    }
  }
  ASSERT_NE(vaulted, 0u);
  ASSERT_NE(vault_before.find("\"street\""), std::string::npos);
  // Raw address values are nowhere in clear: one street from the vault is in no key or value.
  const size_t s = vault_before.find("\"street\":\"") + 10;
  const std::string street = vault_before.substr(s, vault_before.find('"', s) - s);
  ASSERT_GT(street.size(), 5u);
  engine_.reset();
  std::vector<std::string> cfs_before;
  const auto before = Dump(dir_ / "data", &cfs_before);
  std::set<std::string> old_pseudonyms;  // every node of the graph, raw
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(before[i].first.find(street), std::string::npos);
    EXPECT_EQ(before[i].second.find(street), std::string::npos) << cfs_before[i];
    if (cfs_before[i] == "nodes") old_pseudonyms.insert(before[i].first);
  }
  ASSERT_GT(old_pseudonyms.size(), 1000u);
  // Address keys and references to other people are pseudonyms in hex inside properties.
  std::set<std::string> old_hex;
  for (size_t i = 0; i < before.size(); ++i) {
    if (cfs_before[i] != "events") continue;
    for (const char* name : {"\"address_key\":\"", "\"card_owner\":\"", "\"invited_by\":\"", "\"$group\":\""}) {
      for (size_t at = before[i].second.find(name); at != std::string::npos; at = before[i].second.find(name, at + 1)) {
        old_hex.insert(before[i].second.substr(at + std::strlen(name), 32));
      }
    }
  }
  ASSERT_GT(old_hex.size(), 10u);
  for (const std::string& p : old_pseudonyms) {
    old_hex.insert(storage::keys::ToHex(storage::keys::ToKey16(p)));
  }

  // Rekey, with progress.
  std::vector<std::string> steps;
  Engine::RekeyReport report;
  Status st = Engine::Rekey(StoreOptions(), /*keep_old=*/false, [&](const Engine::RekeyProgress& p) {
    if (steps.empty() || steps.back() != p.step) steps.push_back(p.step);
  }, &report);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(report.from_generation, 0u);
  EXPECT_EQ(report.to_generation, 1u);
  EXPECT_GT(report.pseudonyms, old_pseudonyms.size());
  EXPECT_GT(report.vault_entries, 0u);
  EXPECT_GE(report.profiles, traits.size());
  EXPECT_EQ(steps.back(), "profiles");
  EXPECT_FALSE(fs::exists(dir_ / "data.rekey"));
  EXPECT_FALSE(fs::exists(dir_ / "data.pre-rekey-0")) << "the old pseudonyms are deleted with the old files";
  auto ring = privacy::ReadKeyring(dir_ / "data.keyring");
  ASSERT_TRUE(ring.ok() && ring->has_value());
  EXPECT_EQ((*ring)->generations(), 2u);

  // No old pseudonym anywhere: not in any key or value, raw or hex, nor in any file.
  std::vector<std::string> cfs_after;
  const auto after = Dump(dir_ / "data", &cfs_after);
  ASSERT_GT(after.size(), before.size() / 2);
  size_t new_nodes = 0;
  for (size_t i = 0; i < after.size(); ++i) {
    const auto& [k, v] = after[i];
    if (cfs_after[i] == "nodes") {
      ++new_nodes;
      ASSERT_FALSE(old_pseudonyms.count(k)) << "an old pseudonym is still a node";
    }
    for (size_t at = 0; at + 16 <= k.size(); ++at) {
      ASSERT_FALSE(old_pseudonyms.count(k.substr(at, 16))) << "old pseudonym in a key of " << cfs_after[i];
    }
    for (size_t at = 0; at + 16 <= v.size(); ++at) {
      ASSERT_FALSE(old_pseudonyms.count(v.substr(at, 16))) << "old pseudonym in a value of " << cfs_after[i];
    }
    for (size_t at = 0; at + 32 <= v.size(); ++at) {
      ASSERT_FALSE(old_hex.count(v.substr(at, 32))) << "old hex pseudonym in " << cfs_after[i] << ": " << v.substr(0, 200);
    }
  }
  EXPECT_EQ(new_nodes, old_pseudonyms.size());

  // Every answer is the same.
  Open();
  for (const auto& [key, id] : oneid_of) {
    const size_t colon = key.find(':');
    auto now = engine_->LookupOneId(key.substr(0, colon), key.substr(colon + 1));
    ASSERT_TRUE(now.ok());
    EXPECT_EQ(*now, id) << key;
  }
  for (const auto& [id, t] : traits) {
    EXPECT_EQ(Traits(id), t) << "OneID " << id;
    EXPECT_EQ(MaskHex(engine_->privacy().ConsentJson(std::to_string(id)).value_or("?")), consent[id]) << "OneID " << id;
  }
  EXPECT_EQ(engine_->audiences().GetSegment("buyers").value().members, buyers);
  // The account: a new key, the same members and traits.
  auto account_after = engine_->AccountProfileJson("taobao:acme");
  ASSERT_TRUE(account_after.ok()) << account_after.status().ToString();
  EXPECT_NE(account_after->substr(12, 32), account_key);
  EXPECT_EQ(account_after->substr(44), account_before->substr(44));
  EXPECT_NE(account_after->find(R"("traits":{"name":"Acme","plan":"pro"})"), std::string::npos) << *account_after;
  EXPECT_NE(account_after->find(R"("member_count":2)"), std::string::npos) << *account_after;
  // A trait defined after the rotation reads the re-keyed index: the same values.
  ASSERT_TRUE(engine_->audiences().DefineTrait("views_again", "count(Product Viewed, all)").ok());
  auto value = [&](uint64_t id, const std::string& name) {
    const std::string json = engine_->ProfileJson(std::to_string(id)).value_or("");
    const size_t at = json.find("\"" + name + "\":");
    if (at == std::string::npos) return std::string("missing");
    const size_t from = at + name.size() + 3;
    return json.substr(from, json.find_first_not_of("0123456789", from) - from);
  };
  size_t viewers = 0;
  for (const auto& [id, t] : traits) {
    EXPECT_EQ(value(id, "views_again"), value(id, "views")) << "OneID " << id;
    viewers += value(id, "views") != "0" && value(id, "views") != "missing";
  }
  EXPECT_GT(viewers, 10u);
  auto dsar = engine_->privacy().AccessRequest(std::to_string(vaulted));
  ASSERT_TRUE(dsar.ok());
  const size_t at = dsar->json.find("\"vault\":[{");
  ASSERT_NE(at, std::string::npos);
  // Same plaintexts (the identifiers they hang on are the new pseudonyms).
  auto values = [](const std::string& v) {
    std::multiset<std::string> out;
    for (size_t i = v.find("\"values\":"); i != std::string::npos; i = v.find("\"values\":", i + 1)) {
      out.insert(v.substr(i, v.find('}', i) - i));
    }
    return out;
  };
  EXPECT_EQ(values(dsar->json.substr(at)), values(vault_before));

  // New events: an existing person's identifier joins them; the erased one is suppressed.
  Row known;
  for (const Row& r : truth_) {
    auto it = oneid_of.find(r.type + ":" + r.value);
    if (r.type.starts_with("user_id@") && it != oneid_of.end() && it->second != 0) {
      known = r;
      break;
    }
  }
  ASSERT_FALSE(known.value.empty());
  IngestLines("new.jsonl", erased.source,
              R"({"type":"track","event":"Order Completed","messageId":"after-rekey-1","userId":")" + erased.value +
                  R"(","timestamp":"2026-10-30T10:00:00Z","properties":{"revenue":10}})" "\n");
  const uint64_t fresh = OneId(erased);
  ASSERT_NE(fresh, 0u);
  auto allowed = engine_->privacy().ConsentAllows(fresh, "export");
  ASSERT_TRUE(allowed.ok());
  EXPECT_FALSE(*allowed) << "the suppression list survives the rotation";
  IngestLines("known.jsonl", known.source,
              R"({"type":"track","event":"Product Viewed","messageId":"after-rekey-2","userId":")" + known.value +
                  R"(","timestamp":"2026-10-30T10:00:00Z","properties":{}})" "\n");
  EXPECT_EQ(OneId(known), oneid_of[known.type + ":" + known.value]);
  auto stats = engine_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->pending_nodes, 0u);

  // The old keyring (generation 0 only) no longer opens the store.
  engine_.reset();
  privacy::Keyring old = **ring;
  old.pseudonym.resize(1);
  old.vault.resize(1);
  ASSERT_TRUE(privacy::WriteKeyring(dir_ / "old.keyring", old).ok());
  Options with_old = StoreOptions();
  with_old.keyring_path = dir_ / "old.keyring";
  auto refused = Engine::Open(with_old);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("generations 0..0"), std::string::npos) << refused.status().ToString();
}

TEST_F(RekeyTest, AnInterruptedRekeyIsFinishedAtTheNextOpen) {
  const Row r = truth_[0];
  const uint64_t before = OneId(r);
  ASSERT_NE(before, 0u);
  engine_.reset();
  // A generation left in the keyring by a run that stopped before writing any data: the
  // store keeps opening with its own generation, and the next rekey uses it.
  auto ring = privacy::ReadKeyring(dir_ / "data.keyring");
  ASSERT_TRUE(ring.ok() && ring->has_value());
  privacy::Keyring k = **ring;
  k.AddGeneration();
  ASSERT_TRUE(privacy::WriteKeyring(dir_ / "data.keyring", k).ok());
  Open();
  EXPECT_EQ(OneId(r), before);
  engine_.reset();
  Engine::RekeyReport report;
  ASSERT_TRUE(Engine::Rekey(StoreOptions(), /*keep_old=*/true, nullptr, &report).ok());
  EXPECT_EQ(report.to_generation, 1u);
  EXPECT_EQ(privacy::ReadKeyring(dir_ / "data.keyring").value()->generations(), 2u);
  ASSERT_EQ(report.old_dir, dir_ / "data.pre-rekey-0");
  ASSERT_TRUE(fs::exists(report.old_dir));
  // The state a crash between the two renames leaves: the old store moved aside, the
  // complete copy not yet in place.
  fs::rename(dir_ / "data", dir_ / "data.rekey");
  testing::WriteFile(dir_ / "data.rekey/REKEY_COMPLETE", "0 0\n");
  Open();  // as `holo ingest` would, which may create a data directory
  EXPECT_EQ(OneId(r), before);
  EXPECT_FALSE(fs::exists(dir_ / "data.rekey"));
  EXPECT_FALSE(fs::exists(dir_ / "data/REKEY_COMPLETE"));
  EXPECT_FALSE(fs::exists(dir_ / "data.pre-rekey-0")) << "not kept: the marker says so";
}

TEST_F(RekeyTest, VaultMatchOpensTheVaultInMemoryAndAddsMatchEdges) {
  const std::string scratch = dir_ / "scratch";
  fs::create_directories(scratch);
  const char* old_tmp = std::getenv("TMPDIR");
  const std::string saved = old_tmp != nullptr ? old_tmp : "";
  ::setenv("TMPDIR", scratch.c_str(), 1);
  Engine::VaultMatchReport vm;
  ResolveReport rr;
  Status st = engine_->identity().MatchVault("", &vm, &rr);
  if (old_tmp != nullptr) {
    ::setenv("TMPDIR", saved.c_str(), 1);
  } else {
    ::unsetenv("TMPDIR");
  }
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_GT(vm.records, 100u);
  EXPECT_GT(vm.candidate_pairs, 0u);
  EXPECT_GT(vm.matched_pairs, 0u);
  EXPECT_GT(vm.edges, 0u) << "people order from more than one app with the same address";
  EXPECT_TRUE(fs::is_empty(scratch)) << "the matcher's scratch directory is removed";
  engine_.reset();
  std::vector<std::string> cfs;
  const auto all = Dump(dir_ / "data", &cfs);
  uint64_t match_edges = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    const auto& [k, v] = all[i];
    if (cfs[i] == "edges" && k.size() == 33 && k[32] == storage::keys::kMatchVariant && v.find("vault") != std::string::npos) {
      ++match_edges;
    }
  }
  EXPECT_EQ(match_edges, 2 * vm.edges) << "one match edge per pair, in both directions, source vault";
}

TEST_F(RekeyTest, AVaultEntryThatDoesNotOpenIsReportedAndSkippedNeverFatal) {
  // Someone with vault entries, and the identifier of their first entry.
  uint64_t vaulted = 0;
  std::string hex;
  for (const Row& r : truth_) {
    const uint64_t id = OneId(r);
    if (id == 0) continue;
    auto dsar = engine_->privacy().AccessRequest(std::to_string(id));
    ASSERT_TRUE(dsar.ok()) << dsar.status().ToString();
    const std::string needle = "\"vault\":[{\"identifier\":\"";
    const size_t at = dsar->json.find(needle);
    if (at == std::string::npos) continue;
    vaulted = id;
    hex = dsar->json.substr(at + needle.size(), 32);
    break;
  }
  ASSERT_NE(vaulted, 0u);
  // Damage the ciphertext of that one entry in the store.
  engine_.reset();
  {
    auto store = storage::Store::Open(dir_ / "data", storage::StoreOptions());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto node = privacy::PseudonymFromHex(hex);
    ASSERT_TRUE(node.ok());
    const std::string prefix(storage::keys::AsView(*node));
    auto it = (*store)->NewCursor(storage::Cf::kVault);
    it->Seek(prefix);
    ASSERT_TRUE(it->Valid() && it->key().starts_with(prefix));
    const std::string key(it->key());
    storage::VaultRecord vr;
    ASSERT_TRUE(vr.DecodeFrom(it->value()));
    it.reset();
    vr.sealed[vr.sealed.size() / 2] ^= 0x01;
    std::string value;
    vr.EncodeTo(&value);
    ASSERT_TRUE((*store)->Put(storage::Cf::kVault, key, value, /*sync=*/true).ok());
  }
  Open();
  // The access request answers, listing the entry it could not open.
  auto dsar = engine_->privacy().AccessRequest(std::to_string(vaulted));
  ASSERT_TRUE(dsar.ok()) << dsar.status().ToString();
  EXPECT_NE(dsar->json.find("\"vault_unopened\":[\"" + hex + "\"]"), std::string::npos) << dsar->json;
  EXPECT_NE(dsar->text.find("1 more entry could not be opened"), std::string::npos) << dsar->text;
  // Vault matching runs over all the others and reports the one it skipped.
  Engine::VaultMatchReport vm;
  ResolveReport rr;
  Status st = engine_->identity().MatchVault("", &vm, &rr);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(vm.unopened.size(), 1u);
  EXPECT_EQ(vm.unopened[0], hex);
  EXPECT_GT(vm.records, 100u);
  // A key rotation keeps the entry as it is, reports it, and finishes.
  engine_.reset();
  Engine::RekeyReport report;
  st = Engine::Rekey(StoreOptions(), /*keep_old=*/false, nullptr, &report);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(report.vault_unopened.size(), 1u);
  EXPECT_GT(report.vault_entries, 100u);
  Open();
  vm = Engine::VaultMatchReport();
  st = engine_->identity().MatchVault("", &vm, &rr);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(vm.unopened.size(), 1u);
  EXPECT_EQ(vm.unopened[0], report.vault_unopened[0]);
}

}  // namespace
}  // namespace holo
