#include "engine/engine_impl.h"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <ostream>
#include <unordered_map>

#include "common/coding.h"
#include "common/json_writer.h"
#include "common/time_util.h"
#include "identity/graph_store.h"
#include "profile/profile_store.h"
#include "profile/profile_builder.h"
#include "storage/event_record.h"
#include "storage/keys.h"

namespace holo {

Result<std::unique_ptr<Engine>> Engine::Open(const Options& options) {
  return engine::EngineImpl::Open(options);
}

namespace engine {
namespace {

using storage::Cf;
namespace keys = storage::keys;

}  // namespace

std::string KeyringPathOf(const Options& options) {
  return options.keyring_path.empty() ? privacy::DefaultKeyringPath(options.data_dir) : options.keyring_path;
}

privacy::Pseudonym KeyCheck(const privacy::Pseudonymizer& p) { return p.Hash("holo key check", ""); }

Result<KeyState> LoadKeys(storage::Store* store, const std::string& keyring_path) {
  const bool read_only = store->read_only();
  HOLO_ASSIGN_OR_RETURN(auto legacy, store->Get(Cf::kMeta, keys::kPseudonymKey));
  HOLO_ASSIGN_OR_RETURN(auto gen_v, store->Get(Cf::kMeta, keys::kKeyGeneration));
  HOLO_ASSIGN_OR_RETURN(auto check_v, store->Get(Cf::kMeta, keys::kKeyCheck));
  HOLO_ASSIGN_OR_RETURN(auto read, privacy::ReadKeyring(keyring_path));
  KeyState state;
  bool write_keyring = false;
  if (legacy.has_value() && legacy->size() != privacy::kKeySize) {
    return Status::DataLoss("the store's pseudonymization key (meta cfg/pseudonym_key) has the wrong size");
  }
  if (read.has_value()) {
    state.keyring = std::move(*read);
    // A keyring from before check values: rewritten with them (read-write opens only).
    write_keyring = state.keyring.unchecked;
    if (legacy.has_value() && !std::equal(legacy->begin(), legacy->end(), state.keyring.pseudonym[0].begin())) {
      return Status::FailedPrecondition("keyring " + keyring_path +
                                        " does not hold this store's key (its generation-0 key differs)");
    }
  } else if (legacy.has_value()) {
    // A store from before keyrings: its key moves out of the data directory.
    state.keyring.AddGeneration();
    std::copy(legacy->begin(), legacy->end(), state.keyring.pseudonym[0].begin());
    write_keyring = true;
  } else if (gen_v.has_value()) {
    return Status::FailedPrecondition(
        "keyring " + keyring_path + " is missing: this store was keyed with generation " +
        std::to_string(gen_v->size() == 8 ? coding::DecodeFixed64BE(gen_v->data()) : 0) +
        " and its pseudonyms cannot be recomputed without it (pass --keyring PATH)");
  } else if (read_only) {
    return Status::FailedPrecondition("keyring " + keyring_path + " is missing and the store is open read-only");
  } else {
    state.keyring.AddGeneration();  // a new store
    write_keyring = true;
  }
  state.generation = state.keyring.generations() - 1;  // a new store takes the newest keys
  if (gen_v.has_value()) {
    if (gen_v->size() != 8) return Status::DataLoss("meta cfg/key_generation has the wrong size");
    state.generation = coding::DecodeFixed64BE(gen_v->data());
  } else if (legacy.has_value()) {
    state.generation = 0;
  }
  if (state.generation >= state.keyring.generations()) {
    return Status::FailedPrecondition("keyring " + keyring_path + " holds generations 0.." +
                                      std::to_string(state.keyring.generations() - 1) + " but the store is keyed with " +
                                      std::to_string(state.generation));
  }
  privacy::Pseudonymizer chain(state.keyring.PseudonymChain(state.generation));
  const privacy::Pseudonym check = KeyCheck(chain);
  const std::string_view check_view(reinterpret_cast<const char*>(check.data()), check.size());
  if (check_v.has_value() && *check_v != check_view) {
    return Status::FailedPrecondition("keyring " + keyring_path + " does not belong to this store (key check of generation " +
                                      std::to_string(state.generation) + " differs)");
  }
  // A read-only open uses the keys as found; the next read-write open records them.
  if (read_only) return state;
  if (write_keyring) HOLO_RETURN_IF_ERROR(privacy::WriteKeyring(keyring_path, state.keyring));
  if (!check_v.has_value() || !gen_v.has_value() || legacy.has_value()) {
    storage::WriteBatch batch(*store);
    std::string gen;
    coding::PutFixed64BE(&gen, state.generation);
    batch.Put(Cf::kMeta, keys::kKeyGeneration, gen);
    batch.Put(Cf::kMeta, keys::kKeyCheck, check_view);
    batch.Delete(Cf::kMeta, keys::kPseudonymKey);
    HOLO_RETURN_IF_ERROR(store->Write(&batch, /*sync=*/true));
    // The key leaves the data directory: compact its old value out of the files.
    if (legacy.has_value()) HOLO_RETURN_IF_ERROR(store->CompactPrefix(Cf::kMeta, "cfg/"));
  }
  return state;
}

namespace {

uint64_t CountPrefix(const storage::Store& store, Cf cf, std::string_view prefix) {
  uint64_t n = 0;
  auto it = store.NewCursor(cf);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    ++n;
  }
  return n;
}

}  // namespace

EngineImpl::EngineImpl(Options options, std::unique_ptr<storage::Store> store, KeyState keys,
                       identity::MergePolicy policy)
    : options_(std::move(options)), store_(std::move(store)),
      pseudonymizer_(keys.keyring.PseudonymChain(keys.generation)),
      dead_letter_keys_{keys.keyring.vault, keys.generation},
      parser_options_(ingest::ParserOptions::Defaults()),
      identity_(store_.get(), pseudonymizer_, parser_options_, std::move(policy)), audiences_(store_.get(), nullptr),
      release_(store_.get()), privacy_(store_.get(), &pseudonymizer_, keys.keyring.vault[keys.generation]),
      ingest_(store_.get(), pseudonymizer_, parser_options_, identity_, privacy_, options_.data_dir, dead_letter_keys_,
              options_.now_ms),
      profiles_(store_.get(), &privacy_.consent(), &audiences_, [this] { return Now(); }) {
  parser_options_.capture_vault = options_.pii_vault;
  parser_options_.max_future_skew_ms = options_.max_future_skew_ms;
  for (const auto& [source, ms] : options_.future_skew_ms_by_source) parser_options_.future_skew_ms_by_source[source] = ms;
  destinations_ = MakeDestinations();
  stores_ = MakeStores();
  recommend_ = MakeRecommend();
  // A person's history served from memory is forgotten when their profile changes.
  profiles_.SetOnChanged([r = recommend_.get()](const std::vector<uint64_t>& oneids, bool all) { r->Forget(oneids, all); });
  profiles_.SetStores(stores_.get());
}

Result<std::unique_ptr<Engine>> EngineImpl::Open(const Options& options) {
  storage::StoreOptions so;
  so.block_cache_mb = options.block_cache_mb;
  so.create_if_missing = options.create_if_missing && !options.read_only;
  so.read_only = options.read_only;
  if (!options.read_only) HOLO_RETURN_IF_ERROR(FinishInterruptedRekey(options.data_dir));
  std::error_code ec;
  if (!so.create_if_missing && !std::filesystem::exists(options.data_dir, ec)) {
    return Status::NotFound("no Holo data directory at " + options.data_dir +
                            " (create one with 'holo ingest --data " + options.data_dir + " ...')");
  }
  if (so.create_if_missing) std::filesystem::create_directories(options.data_dir, ec);
  HOLO_ASSIGN_OR_RETURN(auto store, storage::Store::Open(options.data_dir, so));
  return OpenOver(options, std::move(store));
}

Result<std::unique_ptr<Engine>> EngineImpl::OpenOver(const Options& options, std::unique_ptr<storage::Store> store) {
  HOLO_ASSIGN_OR_RETURN(KeyState keys, LoadKeys(store.get(), KeyringPathOf(options)));
  HOLO_ASSIGN_OR_RETURN(auto policy, IdentityStage::LoadPolicy(*store));
  std::unique_ptr<EngineImpl> engine(new EngineImpl(options, std::move(store), std::move(keys), policy));
  engine->store_->retention().SetClock(options.now_ms);
  // The consent policy and the suppression list; a store from before the consent ledger gets
  // it on its next read-write open, as one from before the event index or typed trait rows.
  HOLO_RETURN_IF_ERROR(engine->privacy_.Load(options.read_only));
  // The audit log: a failure here is met again by the first entry to be written (an engine
  // that audits nothing still opens).
  engine->audit_.Open((std::filesystem::path(options.data_dir) / "audit.jsonl").string(), options.read_only).IgnoreError();
  if (!options.read_only) {
    HOLO_RETURN_IF_ERROR(engine->profiles_.Backfill());
  }
  HOLO_RETURN_IF_ERROR(engine->LoadPhoneRegions());
  HOLO_RETURN_IF_ERROR(engine->LoadIpPolicies());
  HOLO_ASSIGN_OR_RETURN(auto retention, engine->store_->Get(Cf::kMeta, keys::kRetention));
  if (retention.has_value()) {
    HOLO_ASSIGN_OR_RETURN(auto windows, ParseRetention(*retention));
    engine->SetWindows(std::move(windows));
  }
  if (!options.read_only) {
    // Dead letters past their window go; clear text an older version wrote is sealed.
    ingest::DeadLetterMaintenance dead;
    HOLO_RETURN_IF_ERROR(engine->MaintainDeadLetters("", &dead));
  }
  HOLO_RETURN_IF_ERROR(engine->audiences_.LoadComputedTraits());
  return std::unique_ptr<Engine>(std::move(engine));
}

Status EngineImpl::Resolve(bool full, ResolveReport* report, double full_threshold) {
  MutexLock changing(&change_mu_);
  return ResolveWith(full, full_threshold, full ? "full rebuild" : "ingest", report);
}

Status EngineImpl::Ingest(const std::vector<std::string>& paths, const IngestOptions& options,
                          IngestReport* report) {
  HOLO_RETURN_IF_ERROR(ingest_.Ingest(paths, options, report));
  ingest::DeadLetterMaintenance dead;  // dead letters past their window go
  HOLO_RETURN_IF_ERROR(MaintainDeadLetters("", &dead));
  if (options.resolve) return Resolve(/*full=*/false, &report->resolve, options.full_threshold);
  return Status::OK();
}

Status EngineImpl::PrepareMessages(const std::vector<MessageInput>& messages, PreparedMessages* out) {
  std::unique_ptr<PreparedMessages::Rep> rep;
  HOLO_RETURN_IF_ERROR(ingest_.Prepare(messages, &rep));
  out->rep_ = std::move(rep);
  return Status::OK();
}

Status EngineImpl::WritePrepared(const std::vector<PreparedMessages*>& batches,
                                 std::vector<std::vector<MessageOutcome>>* outcomes) {
  std::vector<PreparedMessages::Rep*> reps;
  reps.reserve(batches.size());
  for (PreparedMessages* b : batches) reps.push_back(b->rep_.get());
  HOLO_RETURN_IF_ERROR(ingest_.Write(reps, outcomes));
  for (PreparedMessages* b : batches) b->rep_.reset();
  return Status::OK();
}

Status EngineImpl::SyncWrites() { return ingest_.Sync(); }

Status EngineImpl::ResolveWith(bool full, double full_threshold, std::string_view cause, ResolveReport* report) {
  // Identity resolves the OneIDs (beside ingest writes: identity_stage.h); the profile stage
  // then rebuilds the profiles they own and brings the audiences up to date.
  *report = ResolveReport();
  HOLO_RETURN_IF_ERROR(identity_.Resolve(full, full_threshold, cause, log_, report));
  ProfileStage::Rebuild how;
  how.all = full;
  how.reload_consent = report->full_graph;
  how.full_threshold = full_threshold;
  profile::BuildStats ps;
  HOLO_RETURN_IF_ERROR(profiles_.RebuildProfiles(how, &ps));
  report->full_profiles = ps.full;
  report->profiles_written = ps.written;
  report->profiles_deleted = ps.deleted;
  report->profile_seconds = ps.seconds;
  return Status::OK();
}

int64_t EngineImpl::Now() const { return options_.now_ms != 0 ? options_.now_ms : NowMs(); }

Result<uint64_t> EngineImpl::LookupOneId(std::string_view type, std::string_view raw_value) {
  return identity_.LookupOneId(type, raw_value);
}

Result<std::string> EngineImpl::ProfileJson(std::string_view id) {
  HOLO_ASSIGN_OR_RETURN(uint64_t oneid, OneIdOf(id));
  HOLO_ASSIGN_OR_RETURN(auto json, profile::ReadProfile(*store_, oneid, *audiences_.ComputedTraits()));
  if (!json.has_value()) return Status::NotFound("no profile for OneID " + std::to_string(oneid));
  return std::move(*json);
}

Status EngineImpl::ForEachProfile(const std::function<void(uint64_t, std::string_view)>& fn) {
  auto it = store_->NewCursor(Cf::kProfiles);
  const Audiences::ComputedList traits = audiences_.ComputedTraits();  // held while the reader is
  profile::ComputedTraitReader computed(*store_, *traits);            // one pass over each column
  std::string json;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    json.assign(it->value().data(), it->value().size());
    const uint64_t oneid = coding::DecodeFixed64BE(it->key().data());
    HOLO_RETURN_IF_ERROR(computed.Join(oneid, &json));
    fn(oneid, json);
  }
  return it->status().WithContext("scan profiles");
}

Status EngineImpl::ExportProfiles(std::ostream& out) {
  HOLO_RETURN_IF_ERROR(ForEachProfile([&](uint64_t, std::string_view json) { out << json << '\n'; }));
  if (!out) return Status::IOError("write failed while exporting profiles");
  return Status::OK();
}

Status EngineImpl::ExportEvents(std::ostream& out) {
  auto it = store_->NewCursor(Cf::kEvents);
  storage::EventRecord ev;
  std::string line;
  const int64_t now = Now();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (!ev.DecodeFrom(it->value())) return Status::DataLoss("corrupt event record");
    // Past its retention window: gone at the next compaction, never exported meanwhile.
    if (store_->retention().Expired(ev.source, ev.timestamp_ms, now)) continue;
    line.clear();
    JsonWriter w(&line);
    w.BeginObject();
    w.Key("seq").Uint(coding::DecodeFixed64BE(it->key().data()));
    w.Key("source").String(ev.source);
    w.Key("message_id").String(ev.message_id);
    w.Key("type").Int(ev.msg_type);
    w.Key("event").String(ev.event);
    w.Key("timestamp").String(FormatIso8601Ms(ev.timestamp_ms));
    w.Key("ids").BeginArray();
    for (const auto& id : ev.ids) {
      w.BeginObject();
      w.Key("type").String(id.type);
      w.Key("pseudonym").String(privacy::PseudonymToHex(id.pseudonym));
      if (id.placeholder()) w.Key("placeholder").Bool(true);
      w.EndObject();
    }
    w.EndArray();
    w.Key("properties").RawValue(ev.properties_json.empty() ? "{}" : ev.properties_json);
    w.EndObject();
    line.push_back('\n');
    out.write(line.data(), static_cast<std::streamsize>(line.size()));
  }
  if (!out) return Status::IOError("write failed while exporting events");
  return it->status().WithContext("scan events");
}

Status EngineImpl::ExportGraph(std::ostream& nodes, std::ostream& edges) {
  std::unordered_map<keys::Key16, uint32_t, keys::Key16Hash> index;
  auto git = store_->NewCursor(Cf::kGraph);
  git->Seek(keys::kGraphNodePrefix);
  auto it = store_->NewCursor(Cf::kNodes);
  std::string line;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    storage::StatsRecord rec;
    if (!storage::StatsRecord::Decode(it->value(), &rec)) return Status::DataLoss("corrupt node record");
    keys::Key16 key = keys::ToKey16(it->key());
    uint32_t i = static_cast<uint32_t>(index.size());
    index.emplace(key, i);
    // The graph's 'n' rows are in the same pseudonym order as the nodes.
    uint64_t oneid = 0;
    std::string want = keys::NodeOneIdKey(key);
    while (git->Valid() && git->key().starts_with(keys::kGraphNodePrefix) && git->key() < want) git->Next();
    if (git->Valid() && git->key() == want && git->value().size() == 8) {
      oneid = coding::DecodeFixed64BE(git->value().data());
    }
    line = std::to_string(i) + "\t" + rec.tail + "\t" + std::to_string(oneid) + "\n";
    nodes.write(line.data(), static_cast<std::streamsize>(line.size()));
  }
  HOLO_RETURN_IF_ERROR(it->status().WithContext("scan nodes"));
  auto eit = store_->NewCursor(Cf::kEdges);
  for (eit->SeekToFirst(); eit->Valid(); eit->Next()) {
    std::string_view k = eit->key();
    if (k.size() != 32 || k.substr(0, 16) >= k.substr(16)) continue;
    storage::StatsRecord rec;
    if (!storage::StatsRecord::Decode(eit->value(), &rec)) return Status::DataLoss("corrupt edge");
    auto a = index.find(keys::ToKey16(k.substr(0, 16)));
    auto b = index.find(keys::ToKey16(k.substr(16)));
    if (a == index.end() || b == index.end()) continue;
    line = std::to_string(a->second) + "\t" + std::to_string(b->second) + "\t" +
           std::to_string(rec.kind) + "\t" + std::to_string(rec.count) + "\n";
    edges.write(line.data(), static_cast<std::streamsize>(line.size()));
  }
  if (!nodes || !edges) return Status::IOError("write failed while exporting the graph");
  return eit->status().WithContext("scan edges");
}

Result<StoreStats> EngineImpl::Stats() {
  StoreStats s;
  HOLO_ASSIGN_OR_RETURN(auto seq, store_->Get(Cf::kMeta, keys::kEventSeq));
  if (seq.has_value() && seq->size() == 8) s.events = coding::DecodeFixed64BE(seq->data());
  // Less what was deleted since (erasure, delete-event).
  HOLO_ASSIGN_OR_RETURN(auto removed, store_->Get(Cf::kMeta, keys::kEventsRemoved));
  if (removed.has_value() && removed->size() == 8) s.events -= std::min(s.events, coding::DecodeFixed64BE(removed->data()));
  if (!store_->retention().empty()) {
    // Under retention windows compactions drop events at times of their own: the events
    // within their windows are counted (one pass; only stores with windows pay for it).
    const int64_t now = Now();
    uint64_t live = 0;
    auto it = store_->NewCursor(Cf::kEvents);
    storage::EventRecord ev;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (!ev.DecodeFrom(it->value())) return Status::DataLoss("corrupt event record");
      live += !store_->retention().Expired(ev.source, ev.timestamp_ms, now);
    }
    HOLO_RETURN_IF_ERROR(it->status().WithContext("scan events"));
    s.events = live;
  }
  s.identifiers = CountPrefix(*store_, Cf::kNodes, "");
  s.oneids = CountPrefix(*store_, Cf::kProfiles, "");
  std::vector<identity::NodeKey> pending;
  std::vector<std::string> lists;
  HOLO_RETURN_IF_ERROR(identity::ReadDirtyNodes(*store_, &pending, &lists));
  s.pending_nodes = pending.size();
  s.pending_profiles = CountPrefix(*store_, Cf::kMeta, keys::kDirtyProfilePrefix);
  s.key_generation = pseudonymizer_.generation();
  s.vault_entries = CountPrefix(*store_, Cf::kVault, "");
  return s;
}



// ---- identity: the IdentityStage's work, under the change lock, then resolved ----

Result<Engine::Explanation> EngineImpl::Explain(std::string_view a, std::string_view b, int64_t as_of_ms) {
  return identity_.Explain(a, b, as_of_ms);
}

Result<uint64_t> EngineImpl::LookupOneIdAsOf(std::string_view type, std::string_view raw_value, int64_t as_of_ms) {
  return identity_.LookupOneIdAsOf(type, raw_value, as_of_ms);
}

Status EngineImpl::EraseIdentifier(std::string_view id, ResolveReport* report) {
  MutexLock changing(&change_mu_);
  HOLO_RETURN_IF_ERROR(identity_.EraseIdentifier(id));
  return ResolveWith(false, 1.0, "erase", report);
}

Status EngineImpl::WithdrawLink(std::string_view a, std::string_view b, std::string_view reason,
                                ResolveReport* report) {
  MutexLock changing(&change_mu_);
  HOLO_RETURN_IF_ERROR(identity_.WithdrawLink(a, b, reason, Now()));
  return ResolveWith(false, 1.0, "withdraw", report);
}

Status EngineImpl::DeleteEvent(std::string_view source, std::string_view message_id, ResolveReport* report) {
  MutexLock changing(&change_mu_);
  HOLO_RETURN_IF_ERROR(identity_.DeleteEvent(source, message_id));
  return ResolveWith(false, 1.0, "delete-event", report);
}

Status EngineImpl::ImportMatches(const std::string& pairs_csv, MatchImport* import, ResolveReport* report) {
  MutexLock changing(&change_mu_);
  HOLO_RETURN_IF_ERROR(identity_.ImportMatches(pairs_csv, Now(), import));
  return ResolveWith(false, 0.25, "match import", report);
}

Status EngineImpl::MatchVault(const std::string& config_path, VaultMatchReport* match, ResolveReport* report) {
  MutexLock changing(&change_mu_);
  *report = ResolveReport();
  const auto start = std::chrono::steady_clock::now();
  HOLO_RETURN_IF_ERROR(identity_.MatchVault(privacy_, config_path, Now(), match));
  if (match->records < 2) return Status::OK();  // nothing compared, nothing to resolve
  HOLO_RETURN_IF_ERROR(ResolveWith(false, 0.25, "vault match", report));
  match->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Status::OK();
}

Result<std::string> EngineImpl::IdentityPolicy() { return identity_.PolicyToml(); }

Status EngineImpl::ApplyIdentityPolicy(std::string_view toml, ResolveReport* report) {
  MutexLock changing(&change_mu_);
  bool full = true;
  HOLO_RETURN_IF_ERROR(identity_.ApplyPolicy(toml, &full));
  return ResolveWith(full, /*full_threshold=*/1.0, "policy", report);
}

Result<Engine::Report> EngineImpl::DryRunIdentityPolicy(std::string_view toml, size_t examples) {
  return identity_.DryRunPolicy(toml, examples);
}

Result<Engine::Report> EngineImpl::IdentityHubs(size_t top) { return identity_.Hubs(top); }

Result<Engine::Report> EngineImpl::MonitorClusterSizes(double max_distance, bool save) {
  return identity_.MonitorClusterSizes(max_distance, save);
}

Status EngineImpl::IdentityFeed(uint64_t since, std::ostream& out) { return identity_.Feed(since, out); }

}  // namespace engine
}  // namespace holo
