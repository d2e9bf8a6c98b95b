// IdentityStage: the service that owns the engine's identity state — the merge policy in
// force, the flag of a resolve in progress and the set of nodes ingestion marked dirty while
// it ran — and performs resolution and identity administration over the store
// (docs/identity.md): erasing an identifier, withdrawing a link, deleting an event's
// evidence, importing and vault matches, policy changes and dry runs, hub and cluster-size
// reports, the merge/split feed, explanations and history.
//
//   IdentityStage identity(store, pseudonymizer, parser_options, policy);
//   HOLO_RETURN_IF_ERROR(identity.WithdrawLink("email:a@x.com", "phone:138...", "operator", now));
//   HOLO_RETURN_IF_ERROR(identity.Resolve(/*full=*/false, 1.0, "withdraw", log, &report));
//   HOLO_ASSIGN_OR_RETURN(uint64_t oneid, identity.LookupOneId("email", "a@x.com"));
//
// A change of evidence or policy only changes the graph's inputs and marks what it touched;
// the next Resolve applies it to the OneIDs. Rebuilding the profiles those OneIDs own and
// refreshing the audiences is the engine's (EngineImpl::ResolveWith).
//
// Thread safety: any thread. Changes (Resolve, the evidence changes, ApplyPolicy, MatchVault)
// run one at a time: the caller serializes them (the engine's change lock). They may run
// beside ingestion (BeginWrite/Written) and beside the readers. The policy is guarded by
// `policy_mu_` and the re-mark set by `remark_mu_`; both are held for in-memory work only,
// never over a store read or write.
// Ownership: `store`, `pseudonymizer` and `parser_options` are borrowed and must outlive the
// stage; the latter two are not changed after it is built.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "common/thread_annotations.h"
#include "holo/engine.h"
#include "holo/result.h"
#include "identity/evidence_batch.h"
#include "identity/resolver.h"
#include "ingest/message_parser.h"
#include "privacy/pseudonymizer.h"
#include "storage/keys.h"

namespace holo::storage {
class Store;
}  // namespace holo::storage

namespace holo::engine {

class PrivacyStage;

class IdentityStage {
 public:
  using Log = std::function<void(const std::string&)>;

  IdentityStage(storage::Store* store, const privacy::Pseudonymizer& pseudonymizer,
                const ingest::ParserOptions& parser_options, identity::MergePolicy policy);
  IdentityStage(const IdentityStage&) = delete;
  IdentityStage& operator=(const IdentityStage&) = delete;

  // The stored identity policy (defaults when none is stored), read at open.
  static Result<identity::MergePolicy> LoadPolicy(const storage::Store& store);

  // ---- identifiers as users write them ----
  // Canonical type of a user-written identifier type (tmall -> user_id@taobao, ...).
  std::string CanonicalType(std::string_view type) const;
  // The pseudonym of a raw identifier, or nullopt for a value that identifies no one
  // (randomized MAC, placeholder).
  Result<std::optional<privacy::Pseudonym>> PseudonymOf(std::string_view type, std::string_view raw) const;
  // The pseudonym of a "type:value" id; kNotFound when it identifies no one.
  Result<privacy::Pseudonym> NodeOf(std::string_view id) const;
  // The graph nodes `id` names: a OneID's members (digits), or one known identifier.
  Result<std::vector<privacy::Pseudonym>> NodesOf(std::string_view id) const;
  // The OneID `id` names: a OneID (digits) or a "type:value" identifier's; kNotFound if unknown.
  Result<uint64_t> OneIdOf(std::string_view id) const;
  // The OneID of a raw identifier now (0 when it has none), and at `as_of_ms`.
  Result<uint64_t> LookupOneId(std::string_view type, std::string_view raw) const;
  Result<uint64_t> LookupOneIdAsOf(std::string_view type, std::string_view raw, int64_t as_of_ms) const;

  // ---- resolution ----
  // Resolves the pending changes of evidence with the policy in force (all of them with
  // `full`, or when more than `full_threshold` of the nodes are pending), recording `cause`
  // in the merge/split feed. Fills the graph's half of `report` (full_graph ... resolve_seconds)
  // and leaves the profile fields. REQUIRES: no other change runs (the engine's change lock).
  Status Resolve(bool full, double full_threshold, std::string_view cause, const Log& log,
                 ResolveReport* report) EXCLUDES(policy_mu_, remark_mu_);

  // ---- ingestion beside a resolve ----
  // An ingest write marks its nodes dirty; a resolve running at the same time may delete
  // such a mark with the marks it handled. The write calls BeginWrite() before it and
  // Written(begun, evidence) after it: the nodes of a write that overlapped a resolve are
  // marked dirty again (at the start and at the end of every resolve).
  bool BeginWrite() const { return resolving_.load(); }
  void Written(bool begun, const identity::EvidenceBatch& evidence) EXCLUDES(remark_mu_);

  // ---- changes of evidence (each followed by Resolve) ----
  // REQUIRES for each: no other change runs (the engine's change lock).
  // Removes the identifier "type:value" and its evidence from the graph.
  Status EraseIdentifier(std::string_view id);
  // Withdraws the link between two identifiers at `now_ms`: no evidence between them counts.
  Status WithdrawLink(std::string_view a, std::string_view b, std::string_view reason, int64_t now_ms);
  // Removes the identity evidence of one stored event.
  Status DeleteEvent(std::string_view source, std::string_view message_id);
  // Adds the match pairs of a `holo match` pairs.csv as match edges at `now_ms`.
  Status ImportMatches(const std::string& pairs_csv, int64_t now_ms, Engine::MatchImport* import);
  // Matches the records of the PII vault (opened by `vault`) against each other and adds the
  // pairs found as match edges at `now_ms` (vault.cc).
  Status MatchVault(const PrivacyStage& vault, const std::string& config_path, int64_t now_ms,
                    Engine::VaultMatchReport* match);

  // ---- the policy ----
  identity::MergePolicy policy() const EXCLUDES(policy_mu_);
  // The policy in force as TOML.
  std::string PolicyToml() const EXCLUDES(policy_mu_);
  // Parses, stores and puts in force the policy `toml`. *full: whether the next Resolve must
  // be full (false when only the match threshold moved: the matches it crosses are marked).
  // REQUIRES: no other change runs (the engine's change lock).
  Status ApplyPolicy(std::string_view toml, bool* full) EXCLUDES(policy_mu_);
  // What the policy `toml` would change, without changing anything.
  Result<Engine::Report> DryRunPolicy(std::string_view toml, size_t examples) const;

  // ---- reports ----
  Result<Engine::Report> Hubs(size_t top) const EXCLUDES(policy_mu_);
  // Compares the cluster sizes with the saved snapshot; with `save`, saves them as the next.
  Result<Engine::Report> MonitorClusterSizes(double max_distance, bool save);
  // The merge/split feed after sequence `since`, one JSON object a line.
  Status Feed(uint64_t since, std::ostream& out) const;
  // Whether `a` and `b` are one person (as of `as_of_ms`, 0 = now), and the evidence path.
  Result<Engine::Explanation> Explain(std::string_view a, std::string_view b, int64_t as_of_ms) const
      EXCLUDES(policy_mu_);

 private:
  // Marks the nodes recorded by Written dirty again.
  Status RemarkNodesWrittenDuringResolve() EXCLUDES(remark_mu_);

  storage::Store* const store_;
  const privacy::Pseudonymizer& pseudonymizer_;
  const ingest::ParserOptions& parser_options_;

  mutable Mutex policy_mu_;
  identity::MergePolicy policy_ GUARDED_BY(policy_mu_);  // in force; changed only by ApplyPolicy

  // Set while Resolve runs (it may run beside ingest writes).
  std::atomic<bool> resolving_{false};
  Mutex remark_mu_;
  std::unordered_set<storage::keys::Key16, storage::keys::Key16Hash> remark_
      GUARDED_BY(remark_mu_);  // nodes written during a resolve: to mark dirty again
};

}  // namespace holo::engine
