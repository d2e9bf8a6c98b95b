// Engine::Rekey: key rotation, offline (docs/privacy.md, "Keys").
//
//   1. the keyring gains generation g+1 (written before any data, so a crash leaves a
//      keyring that still opens the old store: a store names the generation it uses);
//   2. DATA.rekey is written from DATA, column family by column family: every pseudonym,
//      in keys, in event records and in the hex references of event properties, goes
//      through Pseudonymizer::Permute with the new key; vault entries are opened with the
//      old vault key and sealed with the new one; profiles and people-graph links are not
//      copied (they are derived, and hold pseudonyms in hex) but rebuilt in step 4;
//   3. DATA is renamed away, DATA.rekey takes its place, the old files are deleted;
//   4. the re-keyed store is opened and every profile rebuilt.
// The suppression list needs no change: it is keyed by generation-0 pseudonyms (erasure.cc).
// Nor do the keys of partner-match tags (keyed with generation 0: the SHA-256 they are made
// from cannot be recomputed without raw values); their values, nodes, are mapped.
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "common/coding.h"
#include "common/file_util.h"
#include "engine/engine_impl.h"
#include "profile/profile_store.h"
#include "storage/event_record.h"
#include "storage/store.h"

namespace holo {

Status Engine::Rekey(const Options& options, bool keep_old, const std::function<void(const RekeyProgress&)>& on_progress,
                     RekeyReport* report) {
  return engine::EngineImpl::Rekey(options, keep_old, on_progress, report);
}

namespace engine {
namespace {

using storage::Cf;
namespace keys = storage::keys;
namespace fs = std::filesystem;

// Maps pseudonyms to the next key generation.
class Mapper {
 public:
  explicit Mapper(const privacy::PseudonymKey& key) : key_(key) {}

  // Maps the 16 bytes at `at` of `s` in place.
  void MapAt(std::string* s, size_t at) {
    privacy::Pseudonym p;
    std::memcpy(p.data(), s->data() + at, 16);
    const privacy::Pseudonym q = privacy::Pseudonymizer::Permute(key_, p);
    std::memcpy(s->data() + at, q.data(), 16);
    ++mapped;
  }
  privacy::Pseudonym Map(const privacy::Pseudonym& p) {
    ++mapped;
    return privacy::Pseudonymizer::Permute(key_, p);
  }
  // Maps the hex pseudonyms that are the string value of one of `names` in minified JSON:
  // "name":"<32 hex digits>".
  void MapHexValues(std::string* json, const std::vector<std::string>& names) {
    for (const std::string& name : names) {
      const std::string needle = "\"" + name + "\":\"";
      for (size_t at = json->find(needle); at != std::string::npos; at = json->find(needle, at + 1)) {
        const size_t v = at + needle.size();
        if (v + 33 > json->size() || (*json)[v + 32] != '"') continue;
        auto p = privacy::PseudonymFromHex(std::string_view(*json).substr(v, 32));
        if (!p.ok()) continue;
        json->replace(v, 32, privacy::PseudonymToHex(Map(*p)));
      }
    }
  }

  uint64_t mapped = 0;

 private:
  privacy::PseudonymKey key_;
};

// RocksDB's own files in a data directory; everything else (dead letters, the audit log)
// is Holo's and is carried over as it is.
bool IsRocksFile(const std::string& name) {
  return name.ends_with(".sst") || name.ends_with(".log") || name.ends_with(".blob") || name.starts_with("MANIFEST-") ||
         name.starts_with("OPTIONS-") || name.starts_with("LOG") || name == "CURRENT" || name == "IDENTITY" ||
         name == "LOCK";
}

constexpr const char* kRekeyMarker = "REKEY_COMPLETE";

std::string OldDirOf(const std::string& dir, uint64_t generation) {
  return dir + ".pre-rekey-" + std::to_string(generation);
}

// Marks a complete re-keyed copy: "<from generation> <keep old: 0|1>", synced.
Status WriteRekeyMarker(const std::string& next_dir, uint64_t from_generation, bool keep_old) {
  const std::string path = (fs::path(next_dir) / kRekeyMarker).string();
  const std::string text = std::to_string(from_generation) + " " + (keep_old ? "1" : "0") + "\n";
  return file::WriteSynced(path, text, 0600);
}

}  // namespace

Status FinishInterruptedRekey(const std::string& data_dir) {
  std::string dir = data_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  const fs::path next = dir + ".rekey";
  std::error_code ec;
  if (!fs::exists(next / kRekeyMarker, ec) || fs::exists(fs::path(dir) / "CURRENT", ec)) return Status::OK();
  uint64_t from = 0;
  int keep_old = 1;
  {
    std::FILE* f = std::fopen((next / kRekeyMarker).c_str(), "r");
    if (f == nullptr || std::fscanf(f, "%lu %d", &from, &keep_old) != 2) {
      if (f != nullptr) std::fclose(f);
      return Status::DataLoss("rekey: unreadable marker " + (next / kRekeyMarker).string());
    }
    std::fclose(f);
  }
  fs::remove_all(dir, ec);  // at most an empty directory (no CURRENT): nothing of the store
  fs::rename(next, dir, ec);
  if (ec) return Status::IOError("rekey: cannot move " + next.string() + " into place: " + ec.message());
  fs::remove(fs::path(dir) / kRekeyMarker, ec);
  if (keep_old == 0) {
    const std::string old_dir = OldDirOf(dir, from);
    fs::remove_all(old_dir, ec);
    if (ec) return Status::IOError("rekey: re-keyed, but cannot delete the old files in " + old_dir + ": " + ec.message());
  }
  return Status::OK();
}

Status EngineImpl::Rekey(const Options& options, bool keep_old,
                         const std::function<void(const RekeyProgress&)>& on_progress, RekeyReport* report) {
  *report = RekeyReport();
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  std::string dir = options.data_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  HOLO_RETURN_IF_ERROR(FinishInterruptedRekey(dir));
  if (!fs::exists(fs::path(dir) / "CURRENT", ec)) return Status::NotFound("no Holo store at " + dir);
  const std::string next_dir = dir + ".rekey";
  const std::string keyring_path = KeyringPathOf(options);
  const std::vector<std::string> hex_names = [] {
    // address_key, the account of a group call (storage::kGroupProperty), reference properties.
    std::vector<std::string> names{"address_key", std::string(storage::kGroupProperty)};
    for (const auto& [name, type] : ingest::ParserOptions::Defaults().reference_properties) names.push_back(name);
    return names;
  }();

  {
    storage::StoreOptions so;
    so.create_if_missing = false;
    so.block_cache_mb = options.block_cache_mb;
    HOLO_ASSIGN_OR_RETURN(auto from, storage::Store::Open(dir, so));  // fails while the store is open elsewhere
    HOLO_ASSIGN_OR_RETURN(KeyState state, LoadKeys(from.get(), keyring_path));
    // 1. The new generation (one left by an interrupted run is used again).
    const size_t gen = state.generation + 1;
    if (gen >= state.keyring.generations()) {
      state.keyring.AddGeneration();
      HOLO_RETURN_IF_ERROR(privacy::WriteKeyring(keyring_path, state.keyring));
    }
    report->from_generation = state.generation;
    report->to_generation = gen;
    Mapper mapper(state.keyring.pseudonym[gen]);
    const privacy::VaultKey& old_vault = state.keyring.vault[state.generation];
    const privacy::VaultKey& new_vault = state.keyring.vault[gen];
    const privacy::Pseudonym check = KeyCheck(privacy::Pseudonymizer(state.keyring.PseudonymChain(gen)));

    // 2. The re-keyed copy.
    fs::remove_all(next_dir, ec);
    if (ec) return Status::IOError("cannot remove the partial copy " + next_dir + ": " + ec.message());
    storage::StoreOptions to_options;
    to_options.block_cache_mb = 16;
    HOLO_ASSIGN_OR_RETURN(auto to, storage::Store::Open(next_dir, to_options));
    RekeyProgress progress;
    for (int c = 0; c < static_cast<int>(Cf::kCount); ++c) progress.total += from->EstimateKeys(static_cast<Cf>(c));
    for (int c = 0; c < static_cast<int>(Cf::kCount); ++c) {
      const Cf cf = static_cast<Cf>(c);
      if (cf == Cf::kProfiles || cf == Cf::kPeople) continue;  // derived: rebuilt in step 4
      progress.step = std::string(storage::CfName(cf));
      storage::WriteBatch batch(*to);
      std::string key, value;
      storage::EventRecord ev;
      // An event record with its identifiers and the hex identifiers in its properties mapped.
      auto map_event = [&](std::string_view record, std::string* out) -> Status {
        if (!ev.DecodeFrom(record)) return Status::DataLoss("rekey: corrupt event record");
        for (auto& id : ev.ids) id.pseudonym = mapper.Map(id.pseudonym);
        mapper.MapHexValues(&ev.properties_json, hex_names);
        out->clear();
        ev.EncodeTo(out);
        return Status::OK();
      };
      auto it = from->NewCursor(cf);
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        key.assign(it->key());
        value.assign(it->value());
        // Built only when a key does not have its column family's layout.
        auto unexpected = [&] {
          return Status::DataLoss("rekey: unexpected " + std::string(storage::CfName(cf)) + " key of " +
                                  std::to_string(key.size()) + " bytes");
        };
        switch (cf) {
          case Cf::kNodes:
          case Cf::kNodeEvents:
          case Cf::kConsent:
            if (key.size() < 16) return unexpected();
            mapper.MapAt(&key, 0);
            break;
          case Cf::kEdges:
            if (key.size() < 32) return unexpected();
            mapper.MapAt(&key, 0);
            mapper.MapAt(&key, 16);
            break;
          case Cf::kGraph:
            if ((key[0] == 'n' && key.size() == 17) || (key[0] == 'h' && key.size() == 25)) {
              mapper.MapAt(&key, 1);
            } else if (key[0] == 'o' && key.size() == 25) {
              mapper.MapAt(&key, 9);
            } else if (key.starts_with(keys::kMatchTagPrefix) && key.size() == keys::kMatchTagKeySize &&
                       value.size() == 16) {
              mapper.MapAt(&value, 0);  // the node; the tag is keyed with generation 0 (MatchTag)
            } else {
              return unexpected();
            }
            break;
          case Cf::kStores: {  // an observation's key holds its device's pseudonym
            if (key[0] == keys::kStoreMetaTag) break;
            if (key[0] == keys::kStoreVisitTag) {  // so does a visit day's, first
              if (key.size() < 17) return unexpected();
              mapper.MapAt(&key, 1);
              break;
            }
            const size_t at = keys::StoreObservationDeviceOffset(key);
            if (at == std::string::npos) return unexpected();
            mapper.MapAt(&key, at);
            break;
          }
          case Cf::kEventIndex:
            if (key.size() == keys::kEventNamesKeySize) break;  // a OneID's names: no identifier
            if (keys::IsEventProjectionKey(key)) {
              // A projection block (storage::AppendToEventBlock) of event records.
              std::string_view in = value, record;
              if (!storage::OpenEventBlock(&in)) return Status::DataLoss("rekey: corrupt projection block");
              std::string block, mapped;
              while (!in.empty()) {
                if (!storage::NextInEventBlock(&in, &record)) return Status::DataLoss("rekey: corrupt projection block");
                HOLO_RETURN_IF_ERROR(map_event(record, &mapped));
                storage::AppendToEventBlock(&block, mapped);
              }
              value = std::move(block);
              break;
            }
            [[fallthrough]];  // the value is an event record (profile::EventIndexValue)
          case Cf::kEvents: {
            std::string mapped;
            HOLO_RETURN_IF_ERROR(map_event(value, &mapped));
            value = std::move(mapped);
            break;
          }
          case Cf::kVault: {
            if (key.size() != 24) return unexpected();
            storage::VaultRecord vr;
            keys::Key16 node = mapper.Map(keys::ToKey16(std::string_view(key).substr(0, 16)));
            Result<std::string> opened = vr.DecodeFrom(value) ? privacy::VaultOpen(old_vault, vr.sealed)
                                                              : Result<std::string>(Status::DataLoss("malformed"));
            if (!opened.ok()) {
              // Damaged, or sealed under another key: kept as it is (its identifier mapped,
              // so erasure still finds it; its bytes and tag unchanged) and reported. The
              // rotation goes on; the entry stays unreadable, as it was.
              key.replace(0, 16, keys::AsView(node));
              report->vault_unopened.push_back(keys::ToHex(node));
              break;
            }
            std::string plain = std::move(*opened);
            key = keys::VaultEntryKey(node, privacy::VaultTag(new_vault, plain));
            vr.sealed = privacy::VaultSeal(new_vault, plain);
            value.clear();
            vr.EncodeTo(&value);
            sodium_memzero(plain.data(), plain.size());
            report->vault_entries++;
            break;
          }
          case Cf::kMeta:
            if (key == keys::kPseudonymKey) continue;  // moved to the keyring by LoadKeys already
            if (key == keys::kKeyGeneration) {
              value.clear();
              coding::PutFixed64BE(&value, gen);
            } else if (key == keys::kKeyCheck) {
              value.assign(reinterpret_cast<const char*>(check.data()), check.size());
            } else if (key.starts_with(keys::kDirtyNodePrefix) && key.size() == keys::kDirtyNodePrefix.size() + 16) {
              mapper.MapAt(&key, keys::kDirtyNodePrefix.size());
            } else if (key.starts_with(keys::kDirtyListPrefix)) {
              for (size_t at = 0; at + 16 <= value.size(); at += 16) mapper.MapAt(&value, at);
            }
            break;
          default:  // dedupe (source, messageId), segments (OneIDs), default: no pseudonyms
            break;
        }
        batch.Put(cf, key, value);
        report->keys++;
        progress.done++;
        if (batch.Count() >= 20000) {
          HOLO_RETURN_IF_ERROR(to->Write(&batch, /*sync=*/false));
          batch.Clear();
          if (on_progress) on_progress(progress);
        }
      }
      HOLO_RETURN_IF_ERROR(it->status().WithContext("rekey: read " + progress.step));
      HOLO_RETURN_IF_ERROR(to->Write(&batch, /*sync=*/true));
      if (on_progress) on_progress(progress);
    }
    report->pseudonyms = mapper.mapped;
    HOLO_RETURN_IF_ERROR(to->CompactAll());
    // Holo's own files (dead letters, audit log) go with the store.
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      if (IsRocksFile(name)) continue;
      fs::copy(entry.path(), fs::path(next_dir) / name, fs::copy_options::recursive | fs::copy_options::overwrite_existing, ec);
      if (ec) return Status::IOError("rekey: cannot copy " + entry.path().string() + ": " + ec.message());
    }
    if (ec) return Status::IOError("rekey: cannot list " + dir + ": " + ec.message());
  }  // both stores closed
  // The copy is complete: from here on an interrupted swap is finished at the next open.
  HOLO_RETURN_IF_ERROR(WriteRekeyMarker(next_dir, report->from_generation, keep_old));

  // 3. The swap.
  const std::string old_dir = OldDirOf(dir, report->from_generation);
  fs::remove_all(old_dir, ec);
  fs::rename(dir, old_dir, ec);
  if (ec) return Status::IOError("rekey: cannot move " + dir + " aside: " + ec.message());
  HOLO_RETURN_IF_ERROR(FinishInterruptedRekey(dir));
  if (keep_old) report->old_dir = old_dir;

  // 4. Profiles and people-graph links, from the re-keyed events.
  Options reopen = options;
  reopen.create_if_missing = false;
  HOLO_ASSIGN_OR_RETURN(auto engine, Open(reopen));
  auto* impl = static_cast<EngineImpl*>(engine.get());
  if (on_progress) {
    RekeyProgress p;
    p.step = "profiles";
    p.done = p.total = report->keys;
    on_progress(p);
  }
  {
    MutexLock changing(&impl->change_mu_);
    HOLO_RETURN_IF_ERROR(impl->RebuildAllProfiles(&report->profiles));
  }
  report->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Status::OK();
}

}  // namespace engine
}  // namespace holo
