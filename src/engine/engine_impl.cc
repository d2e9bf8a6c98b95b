#include "engine/engine_impl.h"

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <ostream>
#include <unordered_map>

#include "common/coding.h"
#include "common/json_writer.h"
#include "common/time_util.h"
#include "identity/explain.h"
#include "identity/graph_store.h"
#include "privacy/normalize.h"
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

std::string FormatWeight(float w) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", static_cast<double>(w));
  return buf;
}

// An id as users write it: a OneID (digits) or "type:value".
struct UserId {
  uint64_t oneid = 0;  // set when the id is a OneID
  std::string_view type;
  std::string_view value;
};

Result<UserId> ParseUserId(std::string_view id) {
  UserId out;
  bool digits = !id.empty() && id.find_first_not_of("0123456789") == std::string_view::npos;
  if (digits) {
    auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), out.oneid);
    if (ec != std::errc() || end != id.data() + id.size()) {
      return Status::InvalidArgument("OneID '" + std::string(id) + "' is out of range");
    }
    return out;
  }
  size_t colon = id.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    std::string why = "'";
    why.append(id).append("' is neither a OneID (digits) nor type:value");
    return Status::InvalidArgument(why);
  }
  out.type = id.substr(0, colon);
  out.value = id.substr(colon + 1);
  return out;
}

}  // namespace

EngineImpl::EngineImpl(Options options, std::unique_ptr<storage::Store> store, KeyState keys,
                       identity::MergePolicy policy)
    : options_(std::move(options)), store_(std::move(store)),
      pseudonymizer_(keys.keyring.PseudonymChain(keys.generation)),
      parser_options_(ingest::ParserOptions::Defaults()), policy_(policy), audiences_(store_.get(), nullptr), release_(store_.get()),
      privacy_(store_.get(), &pseudonymizer_, keys.keyring.vault[keys.generation]) {
  parser_options_.default_country_code = options_.default_country_code;
  parser_options_.capture_vault = options_.pii_vault;
  parser_options_.max_future_skew_ms = options_.max_future_skew_ms;
  for (const auto& [source, ms] : options_.future_skew_ms_by_source) parser_options_.future_skew_ms_by_source[source] = ms;
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
  HOLO_ASSIGN_OR_RETURN(auto policy, LoadPolicy(*store));
  std::unique_ptr<EngineImpl> engine(new EngineImpl(options, std::move(store), std::move(keys), policy));
  engine->store_->retention().SetClock(options.now_ms);
  // The consent policy and the suppression list; a store from before the consent ledger gets
  // it on its next read-write open, as one from before the event index or typed trait rows.
  HOLO_RETURN_IF_ERROR(engine->privacy_.Load(options.read_only));
  // The audit log: a failure here is met again by the first entry to be written (an engine
  // that audits nothing still opens).
  engine->audit_.Open((std::filesystem::path(options.data_dir) / "audit.jsonl").string(), options.read_only).IgnoreError();
  if (!options.read_only) {
    HOLO_RETURN_IF_ERROR(engine->BackfillEventIndex());
    HOLO_RETURN_IF_ERROR(engine->BackfillTraitRows());  // after: profiles hold only built-in traits then
  }
  HOLO_ASSIGN_OR_RETURN(auto retention, engine->store_->Get(Cf::kMeta, keys::kRetention));
  if (retention.has_value()) {
    HOLO_ASSIGN_OR_RETURN(auto windows, ParseRetention(*retention));
    engine->store_->retention().Set(std::move(windows));
  }
  HOLO_RETURN_IF_ERROR(engine->audiences_.LoadComputedTraits());
  return std::unique_ptr<Engine>(std::move(engine));
}

Status EngineImpl::Resolve(bool full, ResolveReport* report, double full_threshold) {
  MutexLock changing(&change_mu_);
  return ResolveWith(full, full_threshold, full ? "full rebuild" : "ingest", report);
}

Status EngineImpl::RemarkNodesWrittenDuringResolve() {
  std::unordered_set<keys::Key16, keys::Key16Hash> nodes;
  {
    MutexLock lock(&remark_mu_);
    nodes.swap(remark_);
  }
  if (nodes.empty()) return Status::OK();
  storage::WriteBatch batch(*store_);
  for (const auto& k : nodes) batch.Put(Cf::kMeta, keys::DirtyNode(k), "");
  return store_->Write(&batch, false);
}

Status EngineImpl::ResolveWith(bool full, double full_threshold, std::string_view cause, ResolveReport* report) {
  // WritePrepared may write while this runs. A node it marks dirty after the
  // marks were read here could lose its mark when this resolve deletes the
  // marks it handled: such nodes are recorded (remark_) and marked again, at
  // the start (left from an earlier resolve) and at the end of every resolve.
  resolving_.store(true);
  struct Done {
    EngineImpl* e;
    ~Done() {
      e->resolving_.store(false);
      (void)e->RemarkNodesWrittenDuringResolve();  // a failure leaves them for the next resolve
    }
  } done{this};
  HOLO_RETURN_IF_ERROR(RemarkNodesWrittenDuringResolve());
  *report = ResolveReport();
  identity::ResolveOptions ro;
  ro.policy = policy_;
  ro.force_full = full;
  ro.full_threshold = full_threshold;
  ro.log = log_;
  ro.cause = std::string(cause);
  identity::ResolveStats rs;
  HOLO_RETURN_IF_ERROR(identity::ResolvePending(store_.get(), ro, &rs));
  report->full_graph = rs.full;
  report->dirty_nodes = rs.dirty_nodes;
  report->resolved_nodes = rs.resolved_nodes;
  report->shared_nodes = rs.shared_nodes;
  report->refused_merges = rs.refused_merges;
  report->changed_nodes = rs.changed_nodes;
  report->merges = rs.merges;
  report->splits = rs.splits;
  report->resolve_seconds = rs.seconds;
  if (full) HOLO_RETURN_IF_ERROR(MarkAllProfilesDirty());
  HOLO_ASSIGN_OR_RETURN(profile::BuildOptions bo, ProfileBuildOptions(full || rs.full));
  bo.force_full = full;
  bo.full_threshold = full_threshold;
  profile::BuildStats ps;
  HOLO_RETURN_IF_ERROR(profile::BuildPendingProfiles(store_.get(), bo, &ps));
  HOLO_RETURN_IF_ERROR(audiences_.Refresh(ps.changed, ps.full));
  report->full_profiles = ps.full;
  if (report->full_graph || ps.full) {
    // A full pass deleted every dirty mark one key at a time; compact them away so that
    // the next incremental resolve's scan of the marks does not step over millions of
    // deletion markers (measured: p50 782 ms -> 7.9 ms per event on a 14.9M-identifier store).
    HOLO_RETURN_IF_ERROR(store_->CompactPrefix(Cf::kMeta, "d/"));
  }
  report->profiles_written = ps.written;
  report->profiles_deleted = ps.deleted;
  report->profile_seconds = ps.seconds;
  return Status::OK();
}

Status EngineImpl::BackfillEventIndex() {
  // Version 3: rows grouped by the OneID of the event (version 2 rows were keyed by sequence
  // and carried the owner identifier; version 1 rows were empty).
  HOLO_ASSIGN_OR_RETURN(auto done, store_->Get(Cf::kMeta, keys::kEventIndexBuilt));
  if (done.has_value() && *done == keys::kEventIndexVersion) return Status::OK();
  if (!done.has_value() || *done == "1") {
    // Since version 2, computed traits are stored apart from the profiles (profile_store.h):
    // the values a store kept in its profiles move to their columns.
    std::vector<std::string> computed;
    {
      auto t = store_->NewCursor(Cf::kSegments);
      const std::string prefix = keys::SegmentsKey(keys::kComputedTraitTag, "");
      for (t->Seek(prefix); t->Valid() && t->key().starts_with(prefix); t->Next()) {
        computed.emplace_back(t->key().substr(1));
      }
      HOLO_RETURN_IF_ERROR(t->status().WithContext("scan computed traits"));
    }
    uint64_t moved = 0;
    HOLO_RETURN_IF_ERROR(profile::MoveComputedTraitsToColumns(store_.get(), computed, &moved));
  }
  uint64_t rows = 0;
  HOLO_RETURN_IF_ERROR(profile::RebuildEventIndex(store_.get(), &rows));
  return store_->Put(Cf::kMeta, keys::kEventIndexBuilt, keys::kEventIndexVersion, /*sync=*/true);
}

Status EngineImpl::BackfillTraitRows() {
  HOLO_ASSIGN_OR_RETURN(auto done, store_->Get(Cf::kMeta, keys::kTraitRowsBuilt));
  if (done.has_value()) return Status::OK();
  uint64_t rows = 0;
  HOLO_RETURN_IF_ERROR(profile::BackfillTraitRows(store_.get(), &rows));
  return store_->Put(Cf::kMeta, keys::kTraitRowsBuilt, "1", /*sync=*/true);
}

int64_t EngineImpl::Now() const { return options_.now_ms != 0 ? options_.now_ms : NowMs(); }

Result<profile::BuildOptions> EngineImpl::ProfileBuildOptions(bool full) {
  // The consent index must know where resolution moved identifiers before the consent
  // traits are read from it: the OneIDs about to be rebuilt are read from the ledger
  // again (all of them, reloading the index, on a full rebuild).
  if (full) privacy_.consent().Invalidate();
  if (log_ && !clock_warned_) {
    // Windows end at the clock: data that ended long before it leaves them empty. Say so.
    HOLO_ASSIGN_OR_RETURN(auto newest, store_->Get(Cf::kMeta, keys::kMaxTimestamp));
    const int64_t day = 86400000;
    if (newest.has_value() && newest->size() == 8) {
      const int64_t gap = Now() - static_cast<int64_t>(coding::DecodeFixed64BE(newest->data()));
      if (gap > 30 * day) {
        log_("profiles: warning: the newest event is " + std::to_string(gap / day) +
             " days before the clock, so windowed traits (spend_90d, store_visits_90d, ...) see little or none of "
             "the data; to measure as of the data's end, set HOLO_NOW (ISO-8601)");
        clock_warned_ = true;
      }
    }
  }
  profile::BuildOptions bo;
  bo.log = log_;
  bo.computed = audiences_.ComputedTraits();
  bo.as_of_ms = Now();
  bo.before_build = [this](const std::vector<uint64_t>& oneids) {
    HOLO_RETURN_IF_ERROR(privacy_.consent().Refresh(oneids));  // a no-op until the index is loaded
    return privacy_.consent().Ensure();
  };
  bo.consent = [this](uint64_t oneid, std::string_view purpose) {
    auto i = privacy::PurposeIndex(purpose);
    if (!i) return false;
    return privacy_.consent().Given(oneid, *i);
  };
  return bo;
}

Status EngineImpl::RebuildMarkedProfiles() {
  HOLO_ASSIGN_OR_RETURN(profile::BuildOptions bo, ProfileBuildOptions(/*full=*/false));
  bo.full_threshold = 1.0;
  profile::BuildStats ps;
  HOLO_RETURN_IF_ERROR(profile::BuildPendingProfiles(store_.get(), bo, &ps));
  return audiences_.Refresh(ps.changed, ps.full);
}

Status EngineImpl::MarkAllProfilesDirty() {
  storage::WriteBatch batch(*store_);
  auto it = store_->NewCursor(Cf::kGraph);
  uint64_t last = 0;
  for (it->Seek(keys::kGraphMemberPrefix); it->Valid() && it->key().starts_with(keys::kGraphMemberPrefix); it->Next()) {
    uint64_t id = coding::DecodeFixed64BE(it->key().data() + 1);
    if (id != last) batch.Put(Cf::kMeta, keys::DirtyProfile(id), "");
    last = id;
  }
  HOLO_RETURN_IF_ERROR(it->status().WithContext("scan OneIDs"));
  return store_->Write(&batch, false);
}

std::string EngineImpl::CanonicalType(std::string_view type) const {
  std::string canonical(type);
  if (auto it = parser_options_.account_id_types.find(canonical);
      it != parser_options_.account_id_types.end()) {
    canonical = "user_id@" + it->second;
  } else if (type.starts_with("user_id@")) {
    auto ns = parser_options_.source_namespace.find(std::string(type.substr(8)));
    if (ns != parser_options_.source_namespace.end()) canonical = "user_id@" + ns->second;
  }
  return canonical;
}

Result<std::optional<privacy::Pseudonym>> EngineImpl::PseudonymOf(std::string_view type,
                                                                 std::string_view raw) {
  std::string canonical = CanonicalType(type);
  bool placeholder = false;
  auto value = privacy::NormalizeIdentifierValue(canonical, raw, &placeholder,
                                                 options_.default_country_code);
  if (!value.ok()) return value.status();
  if (placeholder) return std::optional<privacy::Pseudonym>();
  return std::optional<privacy::Pseudonym>(pseudonymizer_.Hash(canonical, *value));
}

Result<uint64_t> EngineImpl::LookupOneId(std::string_view type, std::string_view raw_value) {
  HOLO_ASSIGN_OR_RETURN(auto p, PseudonymOf(type, raw_value));
  if (!p.has_value()) return uint64_t{0};
  return identity::LookupOneId(*store_, *p);
}

Result<uint64_t> EngineImpl::OneIdOf(std::string_view id) {
  HOLO_ASSIGN_OR_RETURN(UserId parsed, ParseUserId(id));
  uint64_t oneid = parsed.oneid;
  if (!parsed.type.empty()) {
    HOLO_ASSIGN_OR_RETURN(oneid, LookupOneId(parsed.type, parsed.value));
    if (oneid == 0) return Status::NotFound("identifier " + std::string(id) + " is not known");
  }
  return oneid;
}

Result<std::string> EngineImpl::ProfileJson(std::string_view id) {
  HOLO_ASSIGN_OR_RETURN(uint64_t oneid, OneIdOf(id));
  HOLO_ASSIGN_OR_RETURN(auto json, profile::ReadProfile(*store_, oneid, *audiences_.ComputedTraits()));
  if (!json.has_value()) return Status::NotFound("no profile for OneID " + std::to_string(oneid));
  return std::move(*json);
}

Status EngineImpl::ExportProfiles(std::ostream& out) {
  auto it = store_->NewCursor(Cf::kProfiles);
  const Audiences::ComputedList traits = audiences_.ComputedTraits();  // held while the reader is
  profile::ComputedTraitReader computed(*store_, *traits);            // one pass over each column
  std::string json;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    json.assign(it->value().data(), it->value().size());
    HOLO_RETURN_IF_ERROR(computed.Join(coding::DecodeFixed64BE(it->key().data()), &json));
    out << json << '\n';
  }
  if (!out) return Status::IOError("write failed while exporting profiles");
  return it->status().WithContext("scan profiles");
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


Result<privacy::Pseudonym> EngineImpl::NodeOf(std::string_view id) {
  HOLO_ASSIGN_OR_RETURN(UserId parsed, ParseUserId(id));
  if (parsed.type.empty()) return Status::InvalidArgument("expected an identifier as type:value, got a OneID: " + std::string(id));
  HOLO_ASSIGN_OR_RETURN(auto p, PseudonymOf(parsed.type, parsed.value));
  if (!p.has_value()) {
    return Status::NotFound(std::string(id) + " identifies no one (randomized MAC or placeholder)");
  }
  return *p;
}

Result<std::vector<privacy::Pseudonym>> EngineImpl::NodesOf(std::string_view id) {
  HOLO_ASSIGN_OR_RETURN(UserId parsed, ParseUserId(id));
  if (parsed.type.empty()) {
    HOLO_ASSIGN_OR_RETURN(auto members, identity::Members(*store_, parsed.oneid));
    if (members.empty()) return Status::NotFound("no OneID " + std::string(id));
    return members;
  }
  HOLO_ASSIGN_OR_RETURN(auto p, PseudonymOf(parsed.type, parsed.value));
  if (!p.has_value()) {
    return Status::NotFound(std::string(id) + " identifies no one (randomized MAC or placeholder)");
  }
  HOLO_ASSIGN_OR_RETURN(uint64_t oneid, identity::LookupOneId(*store_, *p));
  if (oneid == 0) return Status::NotFound("identifier " + std::string(id) + " is not known");
  return std::vector<privacy::Pseudonym>{*p};
}

Result<Engine::Explanation> EngineImpl::Explain(std::string_view a, std::string_view b, int64_t as_of_ms) {
  HOLO_ASSIGN_OR_RETURN(auto a_nodes, NodesOf(a));
  HOLO_ASSIGN_OR_RETURN(auto b_nodes, NodesOf(b));
  identity::ExplainOptions eo;
  eo.policy = policy_;
  eo.as_of_ms = as_of_ms;
  HOLO_ASSIGN_OR_RETURN(identity::Explanation ex, identity::Explain(*store_, eo, a_nodes, b_nodes));
  Explanation out;
  out.same_person = ex.same_person;
  JsonWriter w(&out.json);
  w.BeginObject();
  w.Key("a").String(a);
  w.Key("b").String(b);
  w.Key("oneid_a").String(std::to_string(ex.oneid_a));
  w.Key("oneid_b").String(std::to_string(ex.oneid_b));
  if (as_of_ms != 0) w.Key("as_of").String(FormatIso8601Ms(as_of_ms));
  w.Key("same_person").Bool(ex.same_person);
  w.Key("path_found").Bool(ex.path_found);
  w.Key("path").BeginArray();
  std::string& t = out.text;
  t = std::string(a) + " and " + std::string(b) +
      (ex.same_person ? " are the same person: OneID " + std::to_string(ex.oneid_a) + "\n"
                      : " are different people: OneIDs " + std::to_string(ex.oneid_a) + " and " +
                            std::to_string(ex.oneid_b) + "\n");
  if (as_of_ms != 0) t = "as of " + FormatIso8601Ms(as_of_ms) + ": " + t;
  if (ex.path_found) t += ex.path.empty() ? "they are the same identifier\n" : "evidence path:\n";
  for (const auto& s : ex.path) {
    std::string kind(identity::EdgeKindName(s.kind));
    std::string from = privacy::PseudonymToHex(s.from), to = privacy::PseudonymToHex(s.to);
    w.BeginObject();
    w.Key("from_type").String(s.from_type);
    w.Key("from").String(from);
    w.Key("from_oneid").String(std::to_string(s.from_oneid));
    w.Key("to_type").String(s.to_type);
    w.Key("to").String(to);
    w.Key("to_oneid").String(std::to_string(s.to_oneid));
    w.Key("kind").String(kind);
    w.Key("source").String(s.source);
    w.Key("first_seen").String(FormatIso8601Ms(s.first_ts));
    w.Key("last_seen").String(FormatIso8601Ms(s.last_ts));
    w.Key("messages").Uint(s.count);
    if (s.kind == identity::EdgeKind::kMatch) w.Key("match_weight").Double(s.weight);
    if (!s.blocked_by.empty()) w.Key("blocked_by").String(s.blocked_by);
    w.EndObject();
    t += "  " + s.from_type + " " + from.substr(0, 12) + "… -> " + s.to_type + " " + to.substr(0, 12) +
         "…  " + kind +
         (s.kind == identity::EdgeKind::kMatch ? " (weight " + FormatWeight(s.weight) + ")"
                                              : ", " + std::to_string(s.count) + " message(s)") +
         ", first in " + s.source + " at " +
         FormatIso8601Ms(s.first_ts) + ", last " + FormatIso8601Ms(s.last_ts) + "\n";
    if (!s.blocked_by.empty()) t += "    CUT: " + s.blocked_by + "\n";
  }
  w.EndArray();
  w.Key("notes").BeginArray();
  for (const auto& n : ex.notes) {
    w.String(n);
    t += n + "\n";
  }
  w.EndArray();
  w.EndObject();
  return out;
}

}  // namespace engine
}  // namespace holo
