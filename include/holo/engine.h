// File: holo/engine.h — start here.
//
// Engine is Holo's embedded API: one RocksDB data directory holding events,
// the identity graph and profiles. The CLI (`holo`) and, later, the HTTP
// server are thin layers over it.
//
//   holo::Options options;
//   options.data_dir = "./holo-data";
//   auto engine = holo::Engine::Open(options);
//   if (!engine.ok()) { ... engine.status().ToString() ... }
//   holo::IngestReport report;
//   holo::Status s = (*engine)->Ingest({"world/"}, holo::IngestOptions(), &report);
//   auto oneid = (*engine)->LookupOneId("phone", "+86 138 0013 8000");
//   auto profile = (*engine)->ProfileJson("phone:+8613800138000");
//
// Thread-safety: an Engine may be shared by threads for reads (lookups,
// profiles); Ingest and Resolve must not run concurrently with each other,
// except that PrepareMessages / WritePrepared / SyncWrites may run beside one Resolve.
// Audience calls and Resolve (which refreshes the audience state) must not run
// beside each other or beside the serving reads of that state.
// Only one process may open a data directory at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "holo/result.h"
#include "holo/status.h"

namespace holo {

struct Options {
  // The data directory. Default: "./holo-data".
  std::string data_dir = "./holo-data";
  // Read cache, MiB. Default: 256.
  size_t block_cache_mb = 256;
  // Create the data directory (and its parents) when missing. Default: true.
  // Read-only tools pass false to fail clearly on a mistyped path.
  bool create_if_missing = true;
  // Regions (ISO 3166 codes: "US", "GB", ...) in which phone numbers written without a country
  // code are read, per source; "*" is the store's default, for sources without a region of
  // their own and for look-ups (phone:(415) 555-0101). Kept in the store (docs/identity.md,
  // "Phone numbers") and in force at every later open, the server's /v1 too: the entries given
  // here are added to the stored ones, or replace them, when a read-write store opens.
  // Nothing stored or given: "CN", as for every store written before regions existed. A
  // source's region decides the pseudonyms of its national-form numbers: changing it later
  // separates those numbers from the ones stored before. Default: empty.
  std::map<std::string, std::string> phone_regions;
  // What ingestion keeps of `context.ip`, per source: "keep", "truncate" (IPv4 to its /24,
  // IPv6 to its /48) or "drop"; "*" is the store's default. Kept in the store and in force at
  // every later open (docs/privacy.md, "IP addresses"), added to or replacing the stored
  // entries when a read-write store opens. Nothing stored or given: "truncate". Default: empty.
  std::map<std::string, std::string> ip_policies;
  // The keyring file (pseudonymization and vault keys; privacy/keyring.h). Empty: beside
  // the data directory, "<data_dir>.keyring". Created with the store.
  std::string keyring_path;
  // Keep the personal fields of shipping/billing addresses, sealed, in the PII vault (for
  // `identity match-vault` and access requests). false: they are dropped at ingestion like
  // every other raw value. Default: true.
  bool pii_vault = true;
  // The clock, ms since the Unix epoch: "now" of windowed traits (spend_90d, ...), recency,
  // funnels, consent stamps, retention, and the future-skew check of ingestion. 0: the
  // system clock. Set it to replay history or in tests; the CLI reads HOLO_NOW (ISO-8601).
  // It is never the newest event's time: one event stamped 9999-12-31 cannot move it.
  int64_t now_ms = 0;
  // Events stamped further ahead of the clock than this are corrected from `sentAt`
  // (Segment's rule for skewed client clocks) or else dead-lettered. Default: one day.
  int64_t max_future_skew_ms = 24LL * 3600 * 1000;
  // Per-source exceptions to max_future_skew_ms (source -> ms).
  std::map<std::string, int64_t> future_skew_ms_by_source;
  // Open the store for inspection only: no lock is taken, so a store that a running
  // `holo serve` (or `holo ingest`) holds may be opened beside it, and reads see the
  // store as it was when opened. Every write is refused with kFailedPrecondition; the
  // upkeep Open does on a read-write store (key check records, consent ledger
  // backfill of an older store) is skipped. Default: false.
  bool read_only = false;
};

struct IngestProgress {
  std::string file;
  uint64_t line = 0;        // last line of `file` that is durable
  uint64_t bytes_done = 0;  // over all files
  uint64_t bytes_total = 0;
  uint64_t stored = 0;      // new events so far
};

struct IngestOptions {
  // Source of every file; empty: the file name's stem (taobao.jsonl -> taobao).
  std::string source;
  // Where rejected lines go (JSON lines). Empty: <data_dir>/dead_letter.jsonl.
  std::string dead_letter_path;
  // Lines per atomic, synced write batch. Default: 4096.
  size_t batch_lines = 4096;
  // Called after every durable batch (an acknowledgement: every line up to
  // progress.line of progress.file is stored or dead-lettered).
  std::function<void(const IngestProgress&)> on_batch;
  // Resolve identities and rebuild touched profiles after the files. Default: true.
  bool resolve = true;
  // Re-resolve the whole graph (rather than the touched components) when more
  // than this share of identifiers is touched. Default: 0.25; 1.0 = always incremental.
  double full_threshold = 0.25;
};

struct ResolveReport {
  bool full_graph = false;
  uint64_t dirty_nodes = 0;
  uint64_t resolved_nodes = 0;
  uint64_t shared_nodes = 0;
  uint64_t refused_merges = 0;
  uint64_t changed_nodes = 0;
  uint64_t merges = 0;  // records written to the merge/split feed
  uint64_t splits = 0;
  double resolve_seconds = 0;
  bool full_profiles = false;
  uint64_t profiles_written = 0;
  uint64_t profiles_deleted = 0;
  double profile_seconds = 0;
};

struct IngestReport {
  uint64_t files = 0;
  uint64_t lines = 0;       // non-empty lines read
  uint64_t stored = 0;      // new events written
  uint64_t duplicates = 0;  // (source, messageId) already stored
  uint64_t rejected = 0;    // written to the dead-letter file
  uint64_t ahead_of_clock = 0;  // of `rejected`: stamped beyond the future skew (Options::now_ms)
  uint64_t warnings = 0;    // lines stored with a dropped identifier
  uint64_t bytes = 0;
  double seconds = 0;       // ingestion only, without resolution
  std::string dead_letter_path;
  std::vector<std::string> sample_errors;  // the first few, "file:line: reason"
  ResolveReport resolve;
};

// One message given to Engine::PrepareMessages.
struct MessageInput {
  std::string_view source;        // [a-z0-9_-]{1,64}
  std::string_view json;          // one Segment-spec message (shared/EVENTS.md)
  std::string_view implied_type;  // its type when it has no "type" field ("track" for /v1/track); empty: required
  std::string_view origin;        // where it came from, for the dead-letter file ("http POST /v1/batch #42")
  std::string_view rejected;      // non-empty: the caller already rejected it (e.g. too large) for this reason;
                                  // it is dead-lettered with the others and not parsed
};

struct MessageOutcome {
  enum class Kind { kStored, kDuplicate, kRejected };
  Kind kind = Kind::kRejected;
  std::string message_id;
  std::string error;  // kRejected: why, naming the field
};

namespace engine {
class EngineImpl;
}

// Messages validated and pseudonymized ahead of their write (Engine::PrepareMessages).
class PreparedMessages {
 public:
  PreparedMessages();
  ~PreparedMessages();
  PreparedMessages(PreparedMessages&&) noexcept;
  PreparedMessages& operator=(PreparedMessages&&) noexcept;
  struct Rep;

 private:
  friend class engine::EngineImpl;
  std::unique_ptr<Rep> rep_;
};

struct StoreStats {
  uint64_t events = 0;
  uint64_t identifiers = 0;  // identity-graph nodes
  uint64_t oneids = 0;       // distinct OneIDs (profiles)
  uint64_t pending_nodes = 0;
  uint64_t pending_profiles = 0;
  uint64_t key_generation = 0;  // of the keys the store is keyed with (holo rekey adds one)
  uint64_t vault_entries = 0;   // sealed raw values in the PII vault
};

class IdentityService;
class ServingService;
class AudienceService;
class AnalystService;
class PrivacyService;
class AuditService;
class DestinationService;  // holo/destinations.h
class StoreService;        // holo/stores.h
class RecommendService;    // holo/recommend.h

class Engine {
 public:
  // Opens or creates the data directory. The keys (pseudonymization, PII vault) are
  // created on first open in the keyring file outside it (Options::keyring_path); they are
  // never printed. kFailedPrecondition when the keyring is missing or not the store's.
  static Result<std::unique_ptr<Engine>> Open(const Options& options);

  struct RekeyProgress {
    std::string step;        // column family being re-keyed, or "profiles"
    uint64_t done = 0;       // keys re-keyed so far, over all steps
    uint64_t total = 0;      // estimated keys in all (RocksDB's estimate; may be off)
  };
  struct RekeyReport {
    uint64_t from_generation = 0;
    uint64_t to_generation = 0;
    uint64_t keys = 0;            // keys written to the re-keyed store
    uint64_t pseudonyms = 0;      // pseudonyms mapped (binary and hex)
    uint64_t vault_entries = 0;   // re-sealed with the new vault key
    // Vault entries that did not open with the old vault key (damaged, or sealed under
    // another key): copied as they are, not re-sealed; the identifier (new pseudonym, hex)
    // of each. Not fatal to the rotation.
    std::vector<std::string> vault_unopened;
    uint64_t profiles = 0;        // profiles rebuilt
    double seconds = 0;
    std::string old_dir;          // kept only when asked
  };
  // Rotates the keys of a closed store, offline: appends a key generation to the keyring,
  // writes a re-keyed copy of the store beside it (every pseudonym mapped to the new
  // generation, every vault entry re-sealed with the new vault key, derived profiles and
  // people-graph links rebuilt), then swaps the copy in and deletes the old files unless
  // `keep_old`. OneIDs, segment memberships and consent are unchanged; raw identifiers look
  // up the same people afterwards. Interrupted before the swap, the old store is intact and
  // the command can be run again. `on_progress` is called as work advances.
  static Status Rekey(const Options& options, bool keep_old, const std::function<void(const RekeyProgress&)>& on_progress,
                      RekeyReport* report);
  virtual ~Engine() = default;

  // Ingests JSON Lines files; a directory ingests every *.jsonl file in it
  // (sorted by name). Bad lines go to the dead-letter file and never stop the
  // run. Idempotent by (source, messageId).
  virtual Status Ingest(const std::vector<std::string>& paths, const IngestOptions& options,
                        IngestReport* report) = 0;

  // Ingests messages held in memory (the HTTP server's path) the same way as
  // files: validated, pseudonymized, idempotent by (source, messageId); rejected
  // ones go to <data_dir>/dead_letter.jsonl. PrepareMessages parses, validates and
  // pseudonymizes (and dead-letters the rejected ones) on the calling thread and may
  // run on many threads at once; WritePrepared then writes several prepared batches as
  // one atomic write (readable at once, not yet durable: nothing may be acknowledged
  // from it) and gives one outcome list per batch: (*outcomes)[b][i] tells what
  // happened to message i of batch b; SyncWrites makes every write made so far durable
  // and may run on another thread beside the next WritePrepared (group commit). They do
  // not resolve identities: call Resolve or ResolveStored. The MessageInputs' strings
  // must outlive WritePrepared.
  virtual Status PrepareMessages(const std::vector<MessageInput>& messages, PreparedMessages* out) = 0;
  virtual Status WritePrepared(const std::vector<PreparedMessages*>& batches,
                               std::vector<std::vector<MessageOutcome>>* outcomes) = 0;
  virtual Status SyncWrites() = 0;

  // Resolves pending identity changes and rebuilds the touched profiles, then brings the
  // audience state (trait table, saved segments) up to date with them.
  // `full` re-resolves the whole graph and rebuilds every profile.
  // `full_threshold` as in IngestOptions.
  // May run beside WritePrepared and every read: the audience readers wait only while the
  // rebuilt rows are applied in memory, never for the store work. Changes of derived state
  // (resolution, definitions, consent, erasure, retention, identity administration) run
  // one at a time: each takes the engine's change lock.
  virtual Status Resolve(bool full, ResolveReport* report, double full_threshold = 0.25) = 0;

  // Receives progress lines of long phases (resolution, profile builds); default: none.
  virtual void SetLog(std::function<void(const std::string&)> log) = 0;

  // Returns the OneID of a raw identifier (type as in truth.csv: "phone",
  // "user_id@taobao", "mac", "eleme_id", ...), or 0 when unknown.
  // kInvalidArgument when the value cannot be normalized.
  virtual Result<uint64_t> LookupOneId(std::string_view type, std::string_view raw_value) = 0;

  // Returns the profile JSON for `id`: a OneID ("1234") or "type:value".
  virtual Result<std::string> ProfileJson(std::string_view id) = 0;

  // Accounts (B2B; docs/traits.md, "Accounts"): the companies Segment `group` calls name.
  // An account is named by "NAMESPACE:GROUP_ID" — the groupId as the client sent it, in the
  // account namespace of its source (a source's name may be given for its namespace: groupIds
  // are pseudonymized like userIds, "group_id@<ns>") — or by its key, the 32 hex digits that
  // ListAccountsJson and the person trait `accounts` show. Returns {"account": key,
  // "group_id": GROUP_ID as given or null, "namespace": NAMESPACE or null, "traits": {name:
  // the latest value by event time over every member's group calls}, "trait_times": {name:
  // ISO time of that call}, "members": [OneIDs, ascending], "member_count", "calls",
  // "first_seen", "last_seen"}. Members are the OneIDs whose group calls named it, kept with
  // the profiles (merges, splits, erasure). kNotFound when no profile is a member of it,
  // kInvalidArgument for a name of neither form.
  virtual Result<std::string> AccountProfileJson(std::string_view account) = 0;
  // The accounts after key `cursor` (empty: from the first), in key order, at most `limit`
  // (clamped to [1, 1000]): {"accounts": [{"account", "name" (the trait, or null),
  // "member_count", "calls", "last_seen"}], "next": key to pass as cursor, or null}.
  // kInvalidArgument for a cursor that is not 32 hex digits.
  virtual Result<std::string> ListAccountsJson(std::string_view cursor, size_t limit) = 0;

  // Writes every profile as one JSON line.
  virtual Status ExportProfiles(std::ostream& out) = 0;
  // Writes every stored event as one JSON line (pseudonyms only).
  virtual Status ExportEvents(std::ostream& out) = 0;
  // Writes the identity graph as TSV: `nodes` gets "index<TAB>type<TAB>oneid" per
  // identifier (index = position in pseudonym order), `edges` gets
  // "a<TAB>b<TAB>kind<TAB>messages" once per undirected edge (kind 1 co-occurrence,
  // 2 explicit link). For analysis and the side-by-side benchmarks.
  virtual Status ExportGraph(std::ostream& nodes, std::ostream& edges) = 0;

  virtual Result<StoreStats> Stats() = 0;
  // Flushes and compacts every column family: deleted data leaves the files (the
  // next open of the store also drops the old MANIFEST's record of deleted files).
  virtual Status CompactStore() = 0;

  // ---- Types the services (below) share ----

  // Why `a` and `b` (OneIDs or "type:value" identifiers) are or are not one
  // person: the path of evidence, each edge's kind, source, time and count, and
  // the rule that cut any step between two OneIDs.
  struct Explanation {
    bool same_person = false;
    std::string json;  // machine-readable (the API form)
    std::string text;  // for people
  };

  struct MatchImport {
    // Identifier type of the record ids of input 1 (and of input 2 for linkage;
    // empty = same as type_a). Record ids "1:x" / "2:y" lose their prefix.
    std::string type_a;
    std::string type_b;
    // Recorded on each match edge. Default: the pairs file's name.
    std::string source;
    uint64_t imported = 0;  // out: pairs stored
    uint64_t skipped = 0;   // out: pairs whose ids identify no one
  };

  struct VaultMatchReport {
    uint64_t records = 0;          // vault entries compared (one per distinct address of an identifier)
    uint64_t candidate_pairs = 0;  // pairs the matcher's blocking proposed
    uint64_t matched_pairs = 0;    // pairs it accepted
    uint64_t edges = 0;            // match edges added between different identifiers
    // Entries that did not open (damaged, or sealed under another key) or are not JSON:
    // skipped, not fatal. The identifier (pseudonym, hex) of each, once per entry.
    std::vector<std::string> unopened;
    double seconds = 0;
  };

  struct Report {
    std::string text;  // for people
    std::string json;  // for programs
    bool alert = false;
  };

  // Credentials: API tokens (kind "token", with a role) and write keys (kind
  // "writekey", whose name is the source). The secret is returned once; only its
  // BLAKE2b-256 hash is stored.
  struct Credential {
    std::string name;
    std::string role;
    // Write keys only: the web origins ("https://shop.example", or "*" for any) whose
    // pages may send with this key from a browser (docs/http_api.md, "Browsers"). Empty
    // (the default, and every key made before origins existed): no browser page may.
    std::vector<std::string> allowed_origins;
    // ListCredentials only: the first 12 hex digits of the secret's hash, which names the
    // credential for RevokeCredentials without showing the secret.
    std::string id;
  };

  struct SegmentInfo {
    std::string name;
    std::string definition;  // canonical expression
    uint32_t version = 0;
    int64_t created_ms = 0;
    int64_t updated_ms = 0;
    uint64_t members = 0;
    std::vector<std::string> warnings;  // e.g. traits no profile has
    std::vector<std::pair<uint32_t, std::string>> history;  // version -> definition
  };
  struct Overlap {
    uint64_t a = 0, b = 0, both = 0;
    double jaccard = 0;
  };

  // A group profile. For an operator (budget_owner empty: the CLI, an admin token) the exact
  // counts, cells under k shown as "<k". For an analyst (budget_owner set) every number is
  // differentially private (see ReleaseOptions): the group's size and every cell of every
  // dimension noised and thresholded, `epsilon` in all, split evenly over the dimensions.
  struct GroupProfileOptions {
    uint32_t k = 50;     // minimum group size; never below 10
    double epsilon = 0;  // analysts: the profile's epsilon in all (0: kDefaultProfileEpsilon)
    std::string budget_owner;  // the analyst whose budget pays; empty: an operator's exact profile
    double budget = 5.0;       // that budget, epsilon per period
    uint32_t period_days = 1;
    std::vector<std::string> dimensions;  // analysts: the dimensions asked for (empty: all)
  };
  static constexpr double kDefaultCountEpsilon = 0.1;    // a count, an overlap's each number
  static constexpr double kDefaultProfileEpsilon = 1.0;  // a group profile, all of it
  static constexpr double kDefaultReportEpsilon = 0.4;   // a funnel or a campaign, all of it
  static constexpr double kDefaultBudget = 5.0;          // epsilon per analyst and period
  // A cell whose existence depends on the data (a value of a trait) is shown only when the
  // chance that a one-person cell would be shown is at most this (docs/privacy.md).
  static constexpr double kCellDelta = 1e-7;

  struct FunnelQuery {
    std::string brand;
    std::string category;  // optional
    int64_t at_ms = 0;     // 0 = newest event
    int64_t from_ms = 0;   // 0 = no flows
    uint32_t k = 50;
    // The brand's stores: a visit to one is an Interest touch-point for the people whose
    // location consent allows the "store_link" use (docs/aipl.md). Default: none.
    std::vector<std::string> stores;
  };

  // How an aggregate is released to an analyst (AnalystService, docs/privacy.md): every number
  // gets discrete Laplace noise and is shown only when its noisy value reaches k; the question
  // is paid from the analyst's budget for the period (kResourceExhausted once spent), and the
  // same question again in the period gets the same answer, free.
  struct ReleaseOptions {
    uint32_t k = 50;           // minimum group size, applied to noisy values
    double epsilon = 0;        // the question's epsilon (0: the default of its kind)
    std::string budget_owner;  // the analyst (credential name): every token of theirs shares it
    double budget = kDefaultBudget;  // epsilon per period
    uint32_t period_days = 1;
  };
  struct Released {
    std::optional<uint64_t> count;  // empty: withheld
    std::string withheld;           // the rule that withheld it, never a number
    double epsilon = 0;             // charged by this question (0: the period's earlier answer)
    double spent = 0, total = 0;    // the analyst's budget after it
  };
  struct ReleasedOverlap {
    Released a, b, both;
  };

  struct ErasureReport {
    uint64_t oneid = 0;
    uint64_t identifiers = 0;        // identifiers removed from the graph
    uint64_t events_deleted = 0;     // the person's events
    uint64_t events_rewritten = 0;   // other people's events that named the person (identifiers, references)
    uint64_t dead_letters_removed = 0;  // dead-letter lines holding the raw value given
    uint64_t vault_entries_removed = 0;  // encrypted raw values (PII vault)
    uint64_t store_observations_removed = 0;  // wifi probes and beacon sightings of their devices
    double seconds = 0;
    ResolveReport resolve;           // the re-resolution of what the person's evidence held together
  };

  struct RetentionReport {
    uint64_t expired_events = 0;     // past their window when the scan ran
    uint64_t dead_letters_expired = 0;  // dead-letter records past theirs ("dead_letter", default 30 days)
    uint64_t profiles_rebuilt = 0;   // people whose traits depended on them
    double seconds = 0;
  };

  struct ConsentChange {
    std::string id;                     // OneID or type:value
    std::string source;                 // where the person decided (an app, "support", ...)
    std::vector<std::string> purposes;  // privacy::kPurposes names
    bool given = true;
    int64_t at_ms = 0;                  // when; 0: now
  };

  // ---- The services: one narrow interface per concern (declared below) ----
  virtual IdentityService& identity() = 0;
  virtual ServingService& serving() = 0;
  virtual AudienceService& audiences() = 0;
  virtual AnalystService& analysts() = 0;
  virtual PrivacyService& privacy() = 0;
  // The audit log of the data directory (DATA/audit.jsonl), opened by Open: every entry
  // point (the server, the CLI) appends through it. A read-only open writes none.
  virtual AuditService& audit() = 0;
  // Activation destinations (holo/destinations.h, docs/destinations.md).
  virtual DestinationService& destinations() = 0;

  // Offline stores: probes and beacons, devices, occupancy (holo/stores.h, docs/stores.md).
  virtual StoreService& stores() = 0;

  // Recommendations and look-alike audiences (holo/recommend.h, docs/recommend.md).
  virtual RecommendService& recommend() = 0;
};

// Identity administration (docs/identity.md): why two identifiers are or are not one person, the
// graph as it was, and changes of evidence and policy; every change re-resolves only the
// components it touches and goes to the merge/split feed.
// Handed out by Engine::identity().
class IdentityService {
 public:
  virtual ~IdentityService() = default;

  // `as_of_ms` (ms since epoch; 0 = now): OneIDs as they were then and only
  // evidence first seen by then (docs/identity.md, "History").
  virtual Result<Engine::Explanation> Explain(std::string_view a, std::string_view b, int64_t as_of_ms = 0) = 0;

  // The OneID a raw identifier had at `as_of_ms` (0 when it had none then).
  virtual Result<uint64_t> LookupOneIdAsOf(std::string_view type, std::string_view raw_value,
                                           int64_t as_of_ms) = 0;

  // Removes an identifier ("type:value") from the identity graph.
  virtual Status EraseIdentifier(std::string_view id, ResolveReport* report) = 0;

  // Withdraws the link between two identifiers: no evidence between them counts
  // any more, including from later events.
  virtual Status WithdrawLink(std::string_view a, std::string_view b, std::string_view reason,
                              ResolveReport* report) = 0;

  // Deletes one stored event and its evidence.
  virtual Status DeleteEvent(std::string_view source, std::string_view message_id, ResolveReport* report) = 0;

  // Adds the pairs of a `holo match` pairs.csv as probabilistic-match edges.
  virtual Status ImportMatches(const std::string& pairs_csv, Engine::MatchImport* import, ResolveReport* report) = 0;

  // Probabilistic matching over the PII vault: opens every vault entry in memory (nothing
  // is written in clear), deduplicates them with the Fellegi-Sunter matcher (holo/match.h;
  // `config_path` empty = the built-in config on name, phone and street, blocked by phone
  // and by postcode + house number), and stores each accepted pair of different identifiers
  // as a match edge (source "vault"), then re-resolves. The identity rules still decide
  // whether a match joins two OneIDs.
  virtual Status MatchVault(const std::string& config_path, Engine::VaultMatchReport* match, ResolveReport* report) = 0;

  // The identity policy in force, as TOML (identity/policy.h).
  virtual Result<std::string> IdentityPolicy() = 0;

  // The phone regions in force (Options::phone_regions), {"*": "CN", "web": "US", ...}:
  // always with "*", and with every source that has its own.
  virtual Result<std::string> PhoneRegionsJson() = 0;

  // The IP policies in force (Options::ip_policies), {"*": "truncate", "web": "drop", ...}:
  // always with "*", and with every source that has its own.
  virtual Result<std::string> IpPoliciesJson() = 0;

  // Applies a new policy: a change of min_match_weight alone re-resolves the
  // components whose match edges flip; any other change re-resolves everything.
  // Like Ingest and Resolve, it must not run concurrently with other calls.
  virtual Status ApplyIdentityPolicy(std::string_view toml, ResolveReport* report) = 0;

  // What a policy would merge and split, without applying it.
  virtual Result<Engine::Report> DryRunIdentityPolicy(std::string_view toml, size_t examples = 10) = 0;

  // Hub identifiers cut by the shared/hub rules, widest bridges first.
  virtual Result<Engine::Report> IdentityHubs(size_t top = 20) = 0;

  // Cluster-size distribution against the last saved one; alert on drift.
  virtual Result<Engine::Report> MonitorClusterSizes(double max_distance = 0.05, bool save = true) = 0;

  // Writes merge/split feed records with sequence > `since` as JSON lines.
  virtual Status IdentityFeed(uint64_t since, std::ostream& out) = 0;
};

// Serving (the HTTP server, docs/http_api.md): latency-bound look-ups of one person, and credentials.
// Handed out by Engine::serving().
class ServingService {
 public:
  virtual ~ServingService() = default;

  // The OneID `id` names: a OneID ("1234") or "type:value"; kNotFound if unknown.
  virtual Result<uint64_t> ResolveId(std::string_view id) = 0;

  // Loads the in-memory audience state (trait table, segments) now rather than on first use.
  virtual Status Warm() = 0;

  // A person's events, newest first: {"oneid", "events": [{"seq", "timestamp", "source",
  // "type", "event", "properties"}], "next": seq to pass as before_seq, or null}.
  // before_seq 0: from the newest. limit is clamped to [1, 1000].
  // With a `use` ("activation"): what the consent policy withholds from it is left out
  // (store sightings, without the person's consent to the "store_link" use).
  virtual Result<std::string> ProfileEventsJson(uint64_t oneid, uint64_t before_seq, size_t limit,
                                                std::string_view use = {}) = 0;

  // The same events newest first by event time (the timestamp a client's clock gave, corrected
  // as at ingestion), not by arrival: {"oneid", "events": [...], "next": cursor or null,
  // "truncated": bool}. `cursor` empty: from the newest; else a "next" of the page before
  // (text, "TIMESTAMP_MS.SEQ"; kInvalidArgument if malformed). Reads every event of the person
  // up to kTimelineMaxEvents (the newest by arrival); past that "truncated" is true and the
  // oldest arrivals are not shown.
  static constexpr size_t kTimelineMaxEvents = 100000;
  virtual Result<std::string> ProfileTimelineJson(uint64_t oneid, std::string_view cursor, size_t limit,
                                                  std::string_view use = {}) = 0;

  // Whether `oneid`'s latest decision on `purpose` (analytics, personalization, marketing,
  // third_party, location) is "given" (the policy's default if undecided), from the consent
  // ledger: a withdrawal counts from the read after its write. False on a read error.
  virtual bool HasConsent(uint64_t oneid, std::string_view purpose) = 0;

  // The segments `oneid` is a member of (none before Warm()). With `wait` false: kUnavailable
  // instead of waiting while a change is being applied to the audience state (an event
  // loop that must not block moves the request to a worker then).
  virtual Result<std::vector<std::string>> SegmentsOf(uint64_t oneid, bool wait = true) = 0;

  // {"oneid", "traits": {name: value or null}} from the in-memory trait table
  // (kFailedPrecondition before Warm()). For latency-bound look-ups.
  // With a `use`: traits the consent policy withholds from it are null (store_visits_90d
  // without the "store_link" use: offline visits linked to the online person).
  virtual Result<std::string> TraitsJson(uint64_t oneid, const std::vector<std::string>& names,
                                         std::string_view use = {}) = 0;

  // The stored profile as an exit for `use` may show it: without the "store_link" use, the
  // store-visit traits are null and the identifiers seen by store sensors are left out.
  virtual Result<std::string> ProfileJsonFor(uint64_t oneid, std::string_view use) = 0;

  // Makes a credential and returns its secret. `allowed_origins` (write keys only; a token
  // must pass none) are checked and normalized by NormalizeWebOrigin; kInvalidArgument names
  // the first that is not an origin.
  virtual Result<std::string> CreateCredential(std::string_view kind, std::string_view name, std::string_view role,
                                               const std::vector<std::string>& allowed_origins) = 0;

  // Every origin some write key allows (sorted, distinct; "*" if one allows any): what a
  // browser's CORS preflight, which carries no write key, is answered for.
  virtual Result<std::vector<std::string>> WriteKeyOrigins() = 0;

  // The credential a secret belongs to, nullopt if none.
  virtual Result<std::optional<Engine::Credential>> CheckCredential(std::string_view kind, std::string_view secret) = 0;

  // Every credential of `kind` ("token" or "writekey"), sorted by name then id: name, role,
  // allowed origins and id — never the secret (only its hash is kept).
  virtual Result<std::vector<Engine::Credential>> ListCredentials(std::string_view kind) = 0;

  // Revokes the credentials of `kind` whose id starts with `id_or_name` (6 or more hex digits)
  // or whose name is `id_or_name` (every token of that name); returns those revoked.
  // kNotFound when none matches, kInvalidArgument for an id prefix that names two.
  virtual Result<std::vector<Engine::Credential>> RevokeCredentials(std::string_view kind, std::string_view id_or_name) = 0;
};

// Audiences (docs/segments.md): computed traits, segments, the people graph, AIPL funnels and
// campaigns, for operators who may see individuals. Memberships are kept current by every
// change of profiles, from any entry point and in any process.
// Handed out by Engine::audiences().
class AudienceService {
 public:
  virtual ~AudienceService() = default;

  // A user-defined computed trait: `name` = an aggregate expression such as
  // `count(Order Completed where category = "luxury", 180d)`. Every profile is
  // rebuilt with it; segments then use `name` like any trait.
  virtual Status DefineTrait(std::string_view name, std::string_view expression) = 0;

  // Removes a computed trait (its definition and values). kFailedPrecondition, naming them,
  // while a saved segment reads it; kNotFound when there is none of that name.
  virtual Status DropTrait(std::string_view name) = 0;

  // name -> definition of every user-defined (and segment-implied) computed trait.
  virtual Result<std::vector<std::pair<std::string, std::string>>> ListTraits() = 0;

  // The trait registry as JSON, for the dashboard and API users: {"traits": [{"name",
  // "family", "type" ("number", "bool", "string", "string list"), "how", "kind": "builtin"
  // or "computed"}]}, built-in traits first (docs/traits.md), then the computed traits with
  // their definitions as "how".
  virtual Result<std::string> TraitRegistryJson() = 0;

  // Creates or redefines (new version) a named segment and evaluates it.
  virtual Result<Engine::SegmentInfo> DefineSegment(std::string_view name, std::string_view expression) = 0;

  virtual Status DropSegment(std::string_view name) = 0;

  virtual Result<std::vector<Engine::SegmentInfo>> ListSegments() = 0;

  virtual Result<Engine::SegmentInfo> GetSegment(std::string_view name) = 0;

  // Members of an unsaved expression (its computed traits must already exist).
  virtual Result<uint64_t> CountExpression(std::string_view expression) = 0;

  // Profile listing and search for operators: the OneIDs of a segment (by name) or an
  // expression (empty: every profile), ascending, after `after` (0: from the first), at most
  // `limit`. Exact: not for analysts.
  virtual Result<std::vector<uint64_t>> ListProfiles(std::string_view segment_or_expression, uint64_t after,
                                                     size_t limit) = 0;

  // What is suspicious in an expression that parses: "no profile has the trait 'x'" per
  // referenced trait that no profile has (a typo counts nobody, silently).
  virtual Result<std::vector<std::string>> ExpressionWarnings(std::string_view expression) = 0;

  virtual Result<Engine::Overlap> SegmentOverlap(std::string_view a, std::string_view b) = 0;

  // Writes the OneIDs of the segment's members whom the consent policy allows for `use`
  // ("export", "third_party_export", ...; docs/privacy.md), one per line.
  virtual Status ExportSegment(std::string_view name, std::ostream& out, std::string_view use = "export") = 0;

  // Household, family and friend ties of a OneID or "type:value" identifier.
  virtual Result<Engine::Report> People(std::string_view id) = 0;

  // AIPL stage sizes (and flows from `from_ms`) for a brand.
  virtual Result<Engine::Report> Funnel(const Engine::FunnelQuery& query) = 0;

  // Effect of a campaign on buying its brand: exposed vs matched unexposed, with a
  // 95% confidence interval.
  virtual Result<Engine::Report> Campaign(std::string_view campaign, uint32_t k = 50) = 0;

  // Offers (docs/aipl.md, "Offers"): a coupon or private-sale invitation of `campaign` issued
  // at `issued_ms` (0: now) to the members of `segment` whose consent allows marketing (the
  // "export" use),
  // `holdout_share` (0 to 0.9) of them, drawn at random, held out (not invited) as the matched
  // control. The record keeps the invited and the held-out OneIDs. kAlreadyExists for a name
  // in use, kNotFound for an unknown segment, kInvalidArgument for a bad name or share.
  // Returns {"offer", "campaign", "segment", "issued", "invited", "holdout"}.
  virtual Result<std::string> IssueOffer(std::string_view name, std::string_view segment, std::string_view campaign,
                                         double holdout_share, int64_t issued_ms = 0) = 0;
  // What the offer did in the `window_days` after its issue: per group (invited, holdout)
  // the people, buyers and conversion, revenue, redeemers and redemptions online and in
  // store; the conversion uplift with Newcombe's 95% interval and the revenue uplift per
  // person with a Welch interval (analytics/offer.h). kNotFound for an unknown offer.
  virtual Result<Engine::Report> OfferReport(std::string_view name, int64_t window_days = 30) = 0;
  // {"offers": [{"offer", "campaign", "segment", "issued", "invited", "holdout"}]}.
  virtual Result<std::string> ListOffersJson() = 0;
};

// Aggregates for people who may not see individuals (docs/privacy.md). For an analyst
// (options.budget_owner set) every number is differentially private: discrete Laplace noise,
// shown only when the noisy value reaches k (or a higher threshold for cells whose existence
// depends on the data), paid from the analyst's budget for the period, the same question in
// the period answered the same, free. Refusals name the rule, never a count, a difference or
// whether a person exists. Handed out by Engine::analysts().
class AnalystService {
 public:
  virtual ~AnalystService() = default;

  // Trait distributions of a segment (name) or expression, with the index against everyone
  // (see Engine::GroupProfileOptions: exact for operators, private for analysts).
  virtual Result<Engine::Report> GroupProfile(std::string_view segment_or_expression,
                                      const Engine::GroupProfileOptions& options) = 0;

  // The size of a segment (name) or an expression. An analyst's expression is checked first:
  // quasi-identifiers (home and work areas, postcodes, an exact age, identifier-like event
  // properties) are refused, and every sub-group it combines must reach k on its own noisy
  // size (each checked sub-group is a question paid for once a period).
  virtual Result<Engine::Released> ReleaseCount(std::string_view segment_or_expression, const Engine::ReleaseOptions& options) = 0;

  // The sizes of two segments and of their intersection, each released like ReleaseCount.
  virtual Result<Engine::ReleasedOverlap> ReleaseOverlap(std::string_view a, std::string_view b,
                                                 const Engine::ReleaseOptions& options) = 0;

  // The AIPL funnel as analysts see it: the population, every stage size (at `at` and at
  // `from`) and every flow cell noised and thresholded at k, options.epsilon (0: the default)
  // split over the cells one person can be in (2 without flows, 4 with).
  virtual Result<Engine::Report> ReleaseFunnel(const Engine::FunnelQuery& query, const Engine::ReleaseOptions& options) = 0;

  // A campaign's measurement as analysts see it: group sizes, buyers and stage flows of the
  // exposed and control groups noised and thresholded like ReleaseFunnel's cells; rates, the
  // lift and its interval computed from the noisy counts, shown only when those are.
  virtual Result<Engine::Report> ReleaseCampaign(std::string_view campaign, const Engine::ReleaseOptions& options) = 0;

  // An offer's report (AudienceService::OfferReport) as analysts see it: per group (invited,
  // holdout) the people, buyers and redeemers noised and thresholded like ReleaseFunnel's
  // cells, epsilon split over the 3 cells one person reaches; conversion and its uplift with
  // Newcombe's interval from the noisy counts, shown only when those are. Revenue and
  // redemption events (unbounded per person) are not released.
  virtual Result<Engine::Report> ReleaseOffer(std::string_view name, int64_t window_days,
                                              const Engine::ReleaseOptions& options) = 0;

  // A store's metrics (StoreService::MetricsJson) as analysts see them: every count (visits,
  // visitors, bounces, passers-by, returning, dwell buckets, loyalty, per day, hour, zone
  // and flow) noised and thresholded at k like ReleaseFunnel's cells, epsilon split over the
  // 14 cells one visit can reach; rates from the shown counts; withheld cells named under
  // "withheld"; no median dwell or peak hour. A device with several visits in the range
  // reaches more cells: docs/stores.md says what that bounds.
  virtual Result<Engine::Report> ReleaseStoreMetrics(std::string_view store, std::string_view from,
                                                     std::string_view to, const Engine::ReleaseOptions& options) = 0;

  // The partner clean room (docs/privacy.md, "Partner clean room"). `upload` is a partner's
  // list of SHA-256 hashes of normalized e-mails and phones, as ad platforms take them: text,
  // one hash per line, 64 hex digits of either case, optionally prefixed "email:" or
  // "phone:"; blank lines and a first header line are skipped, and a malformed line is
  // counted and reported by its number, never fatal. The people whose e-mail or phone
  // hashes to one of them (the overlap) are released only as GroupProfile releases a group
  // (`options`: k, noise, budget), under the label "partner:<partner>". The report's JSON:
  // {"partner", "upload": {lines, hashes, distinct, header, malformed, malformed_lines (the
  // first 100), not_matchable}, "group_profile": <GroupProfile's JSON>}. Never the members,
  // never which hashes matched, no count beyond what the release point gives. `partner`:
  // 1-64 characters of [a-z0-9_-]. kInvalidArgument for a bad name or an upload over
  // kPartnerUploadMaxBytes or kPartnerUploadMaxLines; refusals of the release point as they
  // are (e.g. kFailedPrecondition for an overlap under k). Identifiers last seen before match
  // tags existed are not matchable (the upload object says so).
  virtual Result<Engine::Report> PartnerMatch(std::string_view partner, std::string_view upload,
                                              const Engine::GroupProfileOptions& options) = 0;
};

// The limits of one partner upload (AnalystService::PartnerMatch).
inline constexpr size_t kPartnerUploadMaxBytes = 10u << 20;  // 10 MiB
inline constexpr size_t kPartnerUploadMaxLines = 1000000;     // blank ones included
// The well-formed hash lines of a partner upload, as PartnerMatch reads them (up to its
// limits): what the server and the CLI write to the audit log (never the hashes).
uint64_t PartnerUploadHashes(std::string_view upload);

// Privacy (docs/privacy.md): access requests, erasure, retention and consent.
// Handed out by Engine::privacy().
class PrivacyService {
 public:
  virtual ~PrivacyService() = default;

  // Everything Holo holds about a person (a OneID, or the OneID of a type:value
  // identifier), as one JSON document (json) and a summary for people (text): their
  // identifiers (type and pseudonym; the raw value only of identifiers the request
  // supplied: `id` when it is type:value, and `supplied` type:value ids that turn out to
  // be theirs), every event, the profile's traits, segments, household and other ties,
  // consent state and history, and the evidence that joined their identifiers (each
  // link's kind, source, first and last seen, count) with the merge and split records.
  virtual Result<Engine::Report> AccessRequest(std::string_view id, const std::vector<std::string>& supplied = {}) = 0;

  // Erases a person (a OneID, or the OneID of a type:value identifier): their events,
  // identifiers, graph edges and history, profile, people-graph links, consent records,
  // segment memberships and logged groups; other people's events keep their own data with
  // the person's identifiers and references taken out; then re-resolves and refreshes the
  // aggregates. The person's identifiers go on a suppression list (a keyed hash, not the
  // pseudonyms): seen again, they start a fresh person who counts as having withdrawn every
  // consent at the erasure until a newer decision. Synced before it returns.
  virtual Status ErasePerson(std::string_view id, Engine::ErasureReport* report) = 0;

  // Per-source windows, {"store_wifi": 30, ...} in days (JSON). Compactions of the
  // events drop events older than their source's window (by event time). The name
  // "dead_letter" is the dead-letter file's window (default 30 days; shown only when set),
  // not a source's: its records older than that are dropped at open, after an ingest run
  // and by ApplyRetention.
  virtual Result<std::string> RetentionJson() = 0;

  virtual Status SetRetention(std::string_view json) = 0;

  // Enforces the windows now: marks the profiles of people with expired events, compacts
  // the events (the compaction drops them), clears their index entries and rebuilds those
  // profiles, traits and segments.
  virtual Status ApplyRetention(Engine::RetentionReport* report) = 0;

  // The dead-letter file's records (DATA/dead_letter.jsonl), the last `limit` (0: all),
  // oldest first, each a JSON object with its sealed text opened ("raw"; "unopened":true
  // when it does not open, counted in *unopened, which may be null). The raw text may hold
  // PII: the caller audits the read.
  virtual Status ReadDeadLetters(size_t limit, const std::function<void(std::string_view json)>& each,
                                 uint64_t* unopened) = 0;

  // How many records the dead-letter file holds, none opened (no PII read).
  virtual Result<uint64_t> CountDeadLetters() = 0;

  // Whether the consent policy allows using `oneid` for `use` ("export", "activation",
  // "third_party_export", "store_link", or a use the stored policy adds); kNotFound for a
  // use the policy does not name. Decisions count from the read after their write.
  virtual Result<bool> ConsentAllows(uint64_t oneid, std::string_view use) = 0;

  // Records a decision in the ledger (on the identifier named, or on every identifier of a
  // OneID), effective for the next read; synced before it returns.
  virtual Status RecordConsent(const Engine::ConsentChange& change) = 0;

  // {"oneid", "purposes": {purpose: {"given", "decided", "at", "source"}},
  //  "history": [{"purpose", "given", "at", "source", "identifier_type", "event_seq"}]} (oldest first).
  virtual Result<std::string> ConsentJson(std::string_view id) = 0;

  // The consent policy in force (JSON; privacy::ConsentPolicy), and replacing it.
  virtual Result<std::string> ConsentPolicyJson() = 0;

  virtual Status SetConsentPolicy(std::string_view json) = 0;
};

// The audit log (docs/privacy.md, "Audit"): an append-only, hash-chained JSON Lines file
// (DATA/audit.jsonl) of who read, exported, erased or changed what. Handed out by
// Engine::audit(); the engine opens it, so one process holds one chain.
//
//   Status s = engine->privacy().ErasePerson(id, &report);
//   HOLO_RETURN_IF_ERROR(engine->audit().Append("cli:ops", "admin", "person.erase", "oneid:7", 200));
//   HOLO_RETURN_IF_ERROR(engine->audit().Sync(/*durable=*/true));
//
// No audit, no answer: a caller refuses the read or export it would record when Append
// fails, and says a change went unaudited. Thread-safe.
class AuditService {
 public:
  virtual ~AuditService() = default;

  // Buffers one entry {"ts", "token": who, "role", "action", "target", "status", "prev"}
  // (Sync writes it). Returns the last Sync's failure while the file cannot be written (the
  // entry is kept and written once it can). On an engine opened read-only: kFailedPrecondition
  // (the log belongs to the process that holds the store; nothing is written).
  virtual Status Append(std::string_view who, std::string_view role, std::string_view action,
                        std::string_view target, int status) = 0;

  // Writes the buffered entries to the file, and with `durable` to the disk. On failure they
  // stay buffered, in order, for the next Sync. A no-op on a read-only engine.
  virtual Status Sync(bool durable) = 0;
};

// Pairwise identity quality against a generated world's ground truth.
struct IdentityQuality {
  uint64_t identifiers = 0;          // rows of truth.csv
  uint64_t persons = 0;              // distinct person ids in truth.csv
  uint64_t oneids = 0;               // distinct OneIDs over those rows (unknown = own)
  uint64_t unknown = 0;              // rows the store does not know
  uint64_t predicted_pairs = 0;
  uint64_t true_pairs = 0;           // same person (truth.csv)
  uint64_t linkable_pairs = 0;       // same component (truth_linkable.csv)
  uint64_t correct_pairs = 0;        // predicted and same person
  uint64_t correct_linkable_pairs = 0;
  double precision = 0;              // vs truth.csv
  double recall = 0;                 // vs truth_linkable.csv
  double f1 = 0;
  double recall_vs_truth = 0;        // vs truth.csv (bounded by the linkable share)
  double linkable_share = 0;         // linkable_pairs / true_pairs
  double bcubed_precision = 0;
  double bcubed_recall = 0;          // vs truth_linkable.csv
};

// Scores the store's OneIDs against truth.csv and truth_linkable.csv.
Result<IdentityQuality> EvaluateIdentity(Engine& engine, const std::string& truth_csv,
                                         const std::string& linkable_csv);

// A web origin as browsers send it in the Origin header: "http" or "https", "://", a host
// (a name, an IPv4 address or a [bracketed] IPv6 address), and a port only when it is not
// the scheme's default. Lower-cases scheme and host and drops a default port and one
// trailing "/"; "*" (any origin) is kept. kInvalidArgument for anything else (a path, a
// query, user info, another scheme).
Result<std::string> NormalizeWebOrigin(std::string_view origin);

}  // namespace holo
