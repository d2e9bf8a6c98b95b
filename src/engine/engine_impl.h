// EngineImpl: implements include/holo/engine.h by wiring the stages in
// data-flow order: ingest (parse, validate, pseudonymize, store) -> identity
// (incremental resolution) -> profile (rebuild touched profiles).
#pragma once

#include <array>
#include <atomic>
#include <shared_mutex>
#include <unordered_map>
#include <map>
#include <memory>
#include <unordered_set>
#include <mutex>
#include <vector>
#include <optional>
#include <string>

#include "activation/activation.h"
#include "analytics/funnel.h"
#include "analytics/offer.h"
#include "analytics/release_point.h"
#include "common/thread_annotations.h"
#include "engine/audiences.h"
#include "engine/audit_trail.h"
#include "engine/consent_index.h"
#include "engine/identity_stage.h"
#include "engine/ingest_stage.h"
#include "engine/privacy_stage.h"
#include "engine/profile_stage.h"
#include "holo/engine.h"
#include "identity/resolver.h"
#include "ingest/message_parser.h"
#include "privacy/keyring.h"
#include "privacy/pseudonymizer.h"
#include "recommend/service.h"
#include "stores/store_service.h"
#include "profile/computed_trait.h"
#include "profile/profile_store.h"
#include "privacy/consent.h"
#include "segment/segment_set.h"
#include "segment/trait_table.h"
#include "storage/event_record.h"
#include "storage/keys.h"
#include "storage/store.h"

namespace holo::engine {

// The built-in traits a group profile shows, one dimension each.
inline constexpr std::string_view kProfileDimensions[] = {
    "age_band",       "gender",           "city",          "home_city",    "spending_power",
    "household_size", "price_sensitivity", "commute_mode", "travel_style", "top_categories",
    "top_brands",     "video_genres",     "trending_interests"};

// The keys a store is opened with: its keyring and the generation the store is keyed with.
struct KeyState {
  privacy::Keyring keyring;
  size_t generation = 0;
};
// The keyring file of `options` (Options::keyring_path, else beside the data directory).
std::string KeyringPathOf(const Options& options);
// Loads the keyring at `keyring_path` and checks it against `store` (meta cfg/key_generation,
// cfg/key_check). Creates it for a new store; moves a key kept in the store by an older
// version (cfg/pseudonym_key) out to it. kFailedPrecondition when it is missing for a
// keyed store or belongs to another store.
Result<KeyState> LoadKeys(storage::Store* store, const std::string& keyring_path);
// Completes a rekey interrupted between moving the old store aside and moving the re-keyed
// copy in (DATA.rekey holding its completion marker and DATA holding no store). A no-op
// otherwise; a partial copy without the marker is left for the next rekey to replace.
Status FinishInterruptedRekey(const std::string& data_dir);
// The value stored in meta cfg/key_check for a pseudonymizer's newest generation.
privacy::Pseudonym KeyCheck(const privacy::Pseudonymizer& p);

class EngineImpl final : public Engine,
                         public IdentityService,
                         public ServingService,
                         public AudienceService,
                         public AnalystService,
                         public PrivacyService {
 public:
  IdentityService& identity() override { return *this; }
  ServingService& serving() override { return *this; }
  AudienceService& audiences() override { return *this; }
  AnalystService& analysts() override { return *this; }
  PrivacyService& privacy() override { return *this; }
  AuditService& audit() override { return audit_; }
  DestinationService& destinations() override { return *destinations_; }
  StoreService& stores() override { return *stores_; }
  RecommendService& recommend() override { return *recommend_; }

  static Result<std::unique_ptr<Engine>> Open(const Options& options);
  // Opens an engine over `store`: Open opens the RocksDB store at options.data_dir and
  // calls this; tests pass storage::Store::OpenInMemory() to run the engine on the
  // in-memory store. The files kept outside the store still follow options.data_dir: the
  // dead letters in it, the keyring beside it (unless options.keyring_path is set).
  // REQUIRES: options.data_dir exists.
  static Result<std::unique_ptr<Engine>> OpenOver(const Options& options, std::unique_ptr<storage::Store> store);
  static Status Rekey(const Options& options, bool keep_old, const std::function<void(const RekeyProgress&)>& on_progress,
                      RekeyReport* report);
  // Rebuilds every profile (and people-graph link) from the events, then traits and segments.
  Status RebuildAllProfiles(uint64_t* written) REQUIRES(change_mu_) { return profiles_.RebuildAll(written); }

  // Ingestion (IngestStage), forwarded; Ingest then resolves when IngestOptions::resolve.
  Status Ingest(const std::vector<std::string>& paths, const IngestOptions& options,
                IngestReport* report) override;
  Status PrepareMessages(const std::vector<MessageInput>& messages, PreparedMessages* out) override;
  Status WritePrepared(const std::vector<PreparedMessages*>& batches,
                        std::vector<std::vector<MessageOutcome>>* outcomes) override;
  Status SyncWrites() override;
  Status Resolve(bool full, ResolveReport* report, double full_threshold = 0.25) override;
  Result<uint64_t> LookupOneId(std::string_view type, std::string_view raw_value) override;
  Result<std::string> ProfileJson(std::string_view id) override;
  Result<std::string> AccountProfileJson(std::string_view account) override;
  Result<std::string> ListAccountsJson(std::string_view cursor, size_t limit) override;
  Status ExportProfiles(std::ostream& out) override;
  Status ExportEvents(std::ostream& out) override;
  Status ExportGraph(std::ostream& nodes, std::ostream& edges) override;
  Result<StoreStats> Stats() override;
  // Identity (IdentityService): the IdentityStage's work, forwarded; a change takes change_mu_
  // and is followed by ResolveWith (engine_impl.cc).
  Result<Explanation> Explain(std::string_view a, std::string_view b, int64_t as_of_ms = 0) override;
  Result<uint64_t> LookupOneIdAsOf(std::string_view type, std::string_view raw_value, int64_t as_of_ms) override;
  Status EraseIdentifier(std::string_view id, ResolveReport* report) override;
  Status WithdrawLink(std::string_view a, std::string_view b, std::string_view reason,
                      ResolveReport* report) override;
  Status DeleteEvent(std::string_view source, std::string_view message_id, ResolveReport* report) override;
  Status ImportMatches(const std::string& pairs_csv, MatchImport* import, ResolveReport* report) override;
  Status MatchVault(const std::string& config_path, VaultMatchReport* match, ResolveReport* report) override;
  Result<std::string> IdentityPolicy() override;
  Result<std::string> PhoneRegionsJson() override;
  Result<std::string> IpPoliciesJson() override;
  Status ApplyIdentityPolicy(std::string_view toml, ResolveReport* report) override;
  Result<Report> DryRunIdentityPolicy(std::string_view toml, size_t examples = 10) override;
  Result<Report> IdentityHubs(size_t top = 20) override;
  Result<Report> MonitorClusterSizes(double max_distance = 0.05, bool save = true) override;
  Status IdentityFeed(uint64_t since, std::ostream& out) override;
  void SetLog(std::function<void(const std::string&)> log) override {
    log_ = log;
    profiles_.SetLog(log);
    audiences_.SetLog(std::move(log));
  }

  // Serving (serving.cc).
  Result<uint64_t> ResolveId(std::string_view id) override;
  Status Warm() override;
  Result<std::string> ProfileEventsJson(uint64_t oneid, uint64_t before_seq, size_t limit,
                                        std::string_view use = {}) override;
  Result<std::string> ProfileTimelineJson(uint64_t oneid, std::string_view cursor, size_t limit,
                                          std::string_view use = {}) override;
  Result<std::string> ProfileJsonFor(uint64_t oneid, std::string_view use) override;
  Result<std::vector<std::string>> SegmentsOf(uint64_t oneid, bool wait = true) override;
  bool HasConsent(uint64_t oneid, std::string_view purpose) override;
  Result<std::string> TraitsJson(uint64_t oneid, const std::vector<std::string>& names,
                                 std::string_view use = {}) override;
  // Whether `use` may show `oneid`'s store sightings linked to them: the policy's
  // "store_link" use (allowed when the policy does not name it, or `use` is empty).
  Result<bool> StoreLinkShown(uint64_t oneid, std::string_view use);
  Result<std::string> CreateCredential(std::string_view kind, std::string_view name, std::string_view role,
                                       const std::vector<std::string>& allowed_origins) override;
  Result<std::vector<std::string>> WriteKeyOrigins() override;
  Result<std::vector<Credential>> ListCredentials(std::string_view kind) override;
  Result<std::vector<Credential>> RevokeCredentials(std::string_view kind, std::string_view id_or_name) override;
  Result<std::optional<Credential>> CheckCredential(std::string_view kind, std::string_view secret) override;

  // Audiences (audience.cc).
  Status DefineTrait(std::string_view name, std::string_view expression) override;
  Status DropTrait(std::string_view name) override;
  Result<std::vector<std::pair<std::string, std::string>>> ListTraits() override;
  Result<std::string> TraitRegistryJson() override;
  Result<SegmentInfo> DefineSegment(std::string_view name, std::string_view expression) override;
  Status DropSegment(std::string_view name) override;
  Result<std::vector<SegmentInfo>> ListSegments() override;
  Result<SegmentInfo> GetSegment(std::string_view name) override;
  Result<uint64_t> CountExpression(std::string_view expression) override;
  Result<std::vector<uint64_t>> ListProfiles(std::string_view segment_or_expression, uint64_t after,
                                             size_t limit) override;
  Result<std::vector<std::string>> ExpressionWarnings(std::string_view expression) override;
  Result<Overlap> SegmentOverlap(std::string_view a, std::string_view b) override;
  Status ExportSegment(std::string_view name, std::ostream& out, std::string_view use = "export") override;
  // The members of segment `name` that ExportSegment writes for `use`: consent allows `use`
  // (and "store_link" too when the segment reads store-visit traits). kNotFound for an
  // unknown segment or use. What activation destinations send (destinations.cc).
  Result<Roaring> ExportableMembers(std::string_view name, std::string_view use);
  Result<Report> GroupProfile(std::string_view segment_or_expression, const GroupProfileOptions& options) override;
  // The group profile of a group given by its members (a segment, an expression, a partner's
  // overlap), released to analysts like GroupProfile; `label` names it in the report.
  Result<Report> GroupProfileOfGroup(const Roaring& members, const std::string& label, const GroupProfileOptions& options);
  Result<Report> People(std::string_view id) override;
  Result<Report> Funnel(const FunnelQuery& query) override;
  Result<Report> Campaign(std::string_view campaign, uint32_t k = 50) override;
  // Offers (offers.cc).
  Result<std::string> IssueOffer(std::string_view name, std::string_view segment, std::string_view campaign,
                                 double holdout_share, int64_t issued_ms) override;
  Result<Report> OfferReport(std::string_view name, int64_t window_days) override;
  Result<std::string> ListOffersJson() override;

  // Retention (retention.cc).
  Result<std::string> RetentionJson() override;
  Status SetRetention(std::string_view json) override;
  Status ApplyRetention(RetentionReport* report) override;
  // Sets the events' windows and the dead letters' one ("dead_letter", else the default).
  void SetWindows(std::map<std::string, int64_t> windows);
  // The stored phone regions with options_.phone_regions merged in (and stored, read-write),
  // put into parser_options_ before any parser is made (phone_regions.cc).
  Status LoadPhoneRegions();
  // The per-source IP policies (Options::ip_policies merged into keys::kIpPolicy), put into
  // parser_options_ before any parser is made (ip_policy.cc).
  Status LoadIpPolicies();
  // Parses {"source": days, ...} into windows in ms ("dead_letter" among them: the
  // dead-letter file's window, not a source's).
  static Result<std::map<std::string, int64_t>> ParseRetention(std::string_view json);
  // The dead-letter file (ingest/dead_letter.h): read, opened (the caller audits), and kept
  // to its window (kDeadLetterRetentionMs unless the retention settings say otherwise).
  Status ReadDeadLetters(size_t limit, const std::function<void(std::string_view)>& each, uint64_t* unopened) override;
  Result<uint64_t> CountDeadLetters() override { return ingest_.CountDeadLetters(); }
  Status MaintainDeadLetters(std::string_view erase_value, ingest::DeadLetterMaintenance* report);
  static constexpr int64_t kDeadLetterRetentionMs = 30 * 24 * 3600 * 1000LL;

  // Released aggregates (audience.cc).
  Result<Released> ReleaseCount(std::string_view segment_or_expression, const ReleaseOptions& options) override;
  Result<ReleasedOverlap> ReleaseOverlap(std::string_view a, std::string_view b, const ReleaseOptions& options) override;
  Result<Report> ReleaseFunnel(const FunnelQuery& query, const ReleaseOptions& options) override;
  Result<Report> ReleaseCampaign(std::string_view campaign, const ReleaseOptions& options) override;
  Result<Report> ReleaseOffer(std::string_view name, int64_t window_days, const ReleaseOptions& options) override;
  Result<Report> ReleaseStoreMetrics(std::string_view store, std::string_view from, std::string_view to,
                                     const ReleaseOptions& options) override;
  Result<Report> PartnerMatch(std::string_view partner, std::string_view upload,
                              const GroupProfileOptions& options) override;  // partner.cc
  // An analyst's group (analyst_release.cc): a saved segment, or an expression checked for
  // quasi-identifiers and whose every sub-group reached k on its noisy size (else `refused`
  // names the rule); `key` says what it is for the release point.
  struct AnalystGroup {
    std::string key;
    Roaring members;
    std::string refused;
    double charged = 0;  // epsilon the sub-group checks cost
  };
  Result<AnalystGroup> AnalystGroupOf(std::string_view segment_or_expression, const ReleaseOptions& options);
  Result<Released> ReleaseGroupSize(const AnalystGroup& group, const ReleaseOptions& options);
  Result<Report> ReleaseGroupProfile(const AnalystGroup& group, const std::string& label,
                                     const GroupProfileOptions& options);
  // Releases `counts` as one question `key` of `epsilon`, a person being in at most
  // `per_person` of the cells (each gets epsilon / per_person), thresholded at options.k.
  Result<analytics::ReleaseAnswer> ReleaseNamedCells(const std::string& key, const std::vector<uint64_t>& counts,
                                                     double epsilon, uint32_t per_person, const ReleaseOptions& options);
  analytics::Budget AnalystBudget(const ReleaseOptions& options) const;
  // The release options of an analyst's group profile (its k, epsilon and budget).
  static ReleaseOptions ReleaseOptionsOf(const GroupProfileOptions& options);
  // The funnel of `query` (the newest event's time when at_ms is 0).
  Result<analytics::FunnelReport> FunnelOf(const FunnelQuery& query);

  // Access request (access_request.cc).
  Result<Report> AccessRequest(std::string_view id, const std::vector<std::string>& supplied = {}) override;

  // Erasure (erasure.cc).
  Status ErasePerson(std::string_view id, ErasureReport* report) override;
  Status CompactStore() override { return store_->CompactAll(); }

  // Consent (privacy.cc).
  Result<bool> ConsentAllows(uint64_t oneid, std::string_view use) override;
  Status RecordConsent(const ConsentChange& change) override;
  Result<std::string> ConsentJson(std::string_view id) override;
  Result<std::string> ConsentPolicyJson() override;
  Status SetConsentPolicy(std::string_view json) override;

 private:
  EngineImpl(Options options, std::unique_ptr<storage::Store> store, KeyState keys,
             identity::MergePolicy policy);

  // Identifiers as users write them (IdentityStage): the pseudonym of a raw identifier
  // (nullopt when it identifies no one), and the OneID `id` names (digits or type:value).
  Result<std::optional<privacy::Pseudonym>> PseudonymOf(std::string_view type, std::string_view raw) const {
    return identity_.PseudonymOf(type, raw);
  }
  Result<uint64_t> OneIdOf(std::string_view id) const { return identity_.OneIdOf(id); }
  // Resolves pending changes with the identity policy in force, recording `cause` in the
  // feed (IdentityStage::Resolve), then rebuilds the touched profiles and refreshes the
  // audiences.
  Status ResolveWith(bool full, double full_threshold, std::string_view cause, ResolveReport* report)
      REQUIRES(change_mu_);
  // The engine's clock (Options::now_ms, else the system clock).
  int64_t Now() const;
  // The measurement of a stored offer over `window_days` after its issue (audience.cc).
  Result<analytics::OfferReport> MeasureOfferNamed(std::string_view name, int64_t window_days);
  // The OneID of a store device's pseudonym (a MAC, a beacon device) in the graph; 0: none.
  Result<uint64_t> OneIdOfDevice(const std::array<uint8_t, 16>& pseudonym) const;
  // The same, 0 also when the OneID holds nothing but MACs and store sensors' identifiers:
  // a MAC only the sensors saw (ingested Probe Seen events make it a OneID of its own) is
  // nobody's the store can name (stores.cc).
  Result<uint64_t> PersonOfDevice(const std::array<uint8_t, 16>& pseudonym) const;
  // Rebuilds the profiles marked dirty and brings the audience up to date with them.
  Status RebuildMarkedProfiles() REQUIRES(change_mu_) { return profiles_.RebuildMarked(); }

  // ---- audiences (audience.cc; the state is the Audiences service's) ----
  // Registers computed traits (name -> spec) and writes their values into the profiles.
  Status AddComputedTraits(const std::vector<profile::AggregateSpec>& specs,
                           const std::vector<std::string>& definitions) REQUIRES(change_mu_);

  // Returns the identity-graph nodes `id` names: a OneID's members, or one identifier.
  Result<std::vector<privacy::Pseudonym>> NodesOf(std::string_view id) const { return identity_.NodesOf(id); }

  Options options_;
  std::unique_ptr<storage::Store> store_;
  privacy::Pseudonymizer pseudonymizer_;
  // The vault keys of every generation and the store's own: dead letters are sealed with it.
  const ingest::DeadLetterKeys dead_letter_keys_;
  // The dead letters' retention window in ms ("dead_letter" of the retention settings).
  std::atomic<int64_t> dead_letter_window_ms_{kDeadLetterRetentionMs};
  ingest::ParserOptions parser_options_;
  std::function<void(const std::string&)> log_;
  // Identity's state — the merge policy in force, the resolve in progress and the nodes
  // written during it — resolution and identity administration: its own state and locks
  // (identity_stage.h). Declared after pseudonymizer_ and parser_options_, which it borrows.
  IdentityStage identity_;

  // One change of derived state at a time (resolution, trait and segment definitions,
  // consent, erasure, retention, identity administration, rekey): taken by each public
  // method that makes one, before any other lock. Ingestion (WritePrepared) and the
  // readers never take it.
  Mutex change_mu_;
  Audiences audiences_;  // computed traits, trait table, saved segments: its own state and lock

  // ---- released aggregates (audience.cc) ----
  // The members of a segment (by name) or of an expression; with `unknown_trait_is_error`,
  // an expression naming a trait no profile has is kNotFound (a mistyped segment name).
  Result<Roaring> GroupOf(std::string_view segment_or_expression, bool unknown_trait_is_error);
  analytics::ReleasePoint release_;  // noise, thresholds, budgets and the period's answers: its own state and lock

  // Privacy's state — the consent index and policy, the vault key, the suppression list —
  // and privacy's part of ingest and erasure writes: its own state and lock
  // (privacy_stage.h). Declared after pseudonymizer_, which it borrows.
  PrivacyStage privacy_;
  // DATA/audit.jsonl, opened by Open (none on a read-only open): its own locks.
  AuditTrail audit_;
  // Ingestion — the idle parsers, the dead-letter file and its lock, the dedupe and the
  // assembly of each ingest write from the stages' parts: its own state and locks
  // (ingest_stage.h). Declared after the pseudonymizer, parser options, identity_ and
  // privacy_, which it borrows.
  IngestStage ingest_;
  // Profile rebuilds — when, and with the clock, the computed traits and consent of the
  // moment — and the backfills of older stores (profile_stage.h). Declared after audiences_
  // and privacy_, which it borrows.
  ProfileStage profiles_;
  // Activation destinations (activation/activation.h): their own state and lock; made last,
  // by the constructor (destinations.cc), over the members ExportableMembers gives.
  std::unique_ptr<activation::Activation> destinations_;
  std::unique_ptr<activation::Activation> MakeDestinations();
  // Offline stores (stores/store_service.h): their own column family; made by the
  // constructor (stores.cc) over the pseudonymizer and the dead-letter file.
  std::unique_ptr<stores::Stores> stores_;
  // Recommendations and look-alikes (recommendations.cc): the model in DATA/recommend, its
  // own state and lock.
  std::unique_ptr<recommend::Service> recommend_;
  std::unique_ptr<recommend::Service> MakeRecommend();
  // Every stored profile as ProfileJson shows it (computed traits joined), in OneID order.
  Status ForEachProfile(const std::function<void(uint64_t, std::string_view)>& fn);
  // A person's newest `most` events (serving.cc).
  Status RecentEvents(uint64_t oneid, size_t most, const recommend::ServiceHooks::EventFn& fn);
  std::unique_ptr<stores::Stores> MakeStores();
};

}  // namespace holo::engine
