// PrivacyStage: the service that owns the engine's privacy state — the consent index and
// policy (ConsentIndex), the vault key of the store's key generation, and the suppression
// list of erased identifiers with its lock — and builds privacy's part of every write that
// touches them (docs/privacy.md).
//
//   PrivacyStage privacy(store, &pseudonymizer, vault_key);
//   HOLO_RETURN_IF_ERROR(privacy.Load(/*read_only=*/false));  // policy, ledger backfill, suppressions
//   PrivacyStage::WritePart part;
//   privacy.Add(event, owner, seq, vault_values, &part);      // for each event of an ingest write
//   part.AppendTo(&batch);                                     // assembled with the other stages' parts
//   HOLO_RETURN_IF_ERROR(store->Write(&batch, false));
//   HOLO_RETURN_IF_ERROR(privacy.Written(part));               // decisions count from the next read
//
// It also records decisions made through the CLI or the API (RecordDecision), writes a
// person's consent document, and sets the consent policy; the engine resolves identifiers
// for it and rebuilds the profiles these change.
//
// Thread safety: any thread. The consent index has its own lock (consent_index.h); the
// suppression list is guarded by `suppress_mu_`, held only for in-memory work (never over a
// store read or write, never while calling the consent index). The vault key is immutable.
// Ownership: `store` and `pseudonymizer` are borrowed and must outlive the stage.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/thread_annotations.h"
#include "engine/consent_index.h"
#include "holo/result.h"
#include "privacy/consent.h"
#include "privacy/keyring.h"
#include "privacy/pseudonymizer.h"
#include "storage/event_record.h"
#include "storage/keys.h"

namespace holo::storage {
class Store;
class WriteBatch;
}  // namespace holo::storage

namespace holo::engine {

class PrivacyStage {
 public:
  PrivacyStage(storage::Store* store, const privacy::Pseudonymizer* pseudonymizer,
               const privacy::VaultKey& vault_key);
  PrivacyStage(const PrivacyStage&) = delete;
  PrivacyStage& operator=(const PrivacyStage&) = delete;

  // Reads the stored consent policy and the suppression list; unless `read_only`, first
  // builds the consent ledger from the stored events once, for a store written before it.
  Status Load(bool read_only) EXCLUDES(suppress_mu_);

  // The consent index and policy (their own state and lock).
  ConsentIndex& consent() { return consent_; }
  const ConsentIndex& consent() const { return consent_; }

  // ---- privacy's part of an ingest write ----
  // What privacy stores for a batch of events: ledger records (consent decisions, and
  // withdrawals for erased identifiers seen again) and sealed vault entries.
  class WritePart {
   public:
    // Adds the part's writes to `batch` (kConsent, then kVault).
    void AppendTo(storage::WriteBatch* batch) const;
    const std::vector<privacy::ConsentRecord>& consent() const { return consent_; }
    size_t vault_entries() const { return vault_.size(); }

   private:
    friend class PrivacyStage;
    std::vector<privacy::ConsentRecord> consent_;
    std::vector<std::pair<std::string, std::string>> vault_;  // vault entry key -> sealed record
  };
  // Adds to `part` what privacy stores for `event` (at `seq`, attributed to `owner`): every
  // purpose withdrawn for an identifier on the suppression list seen again (the first time
  // this process sees it), the event's consent decisions, and the raw values `vault_values`
  // sealed under the vault key.
  void Add(const storage::EventRecord& event, const privacy::Pseudonym& owner, uint64_t seq,
           const std::vector<std::string>& vault_values, WritePart* part) EXCLUDES(suppress_mu_);
  // After the write that held `part`: folds its decisions into the consent index, so that
  // they count from the next read.
  Status Written(const WritePart& part);

  // The consent decisions of a stored event (Consent Given / Withdrawn), on `node`.
  static void ConsentRecordsOf(const storage::EventRecord& event, const privacy::Pseudonym& node, uint64_t seq,
                               std::vector<privacy::ConsentRecord>* out);

  // ---- decisions recorded by the CLI or the API, the consent document, the policy ----
  // A decision on `purposes` (privacy::PurposeIndex) for every identifier of `nodes`, whose
  // OneIDs are `oneids` (their profiles are marked dirty in the same synced write). `at_ms`
  // 0: now, and then the latest decision of the person for each purpose (stamped after every
  // decision the ledger holds for it, docs/privacy.md); else at that time.
  struct Decision {
    std::vector<size_t> purposes;
    bool given = true;
    std::string source;
    int64_t at_ms = 0;
  };
  Status RecordDecision(const std::vector<privacy::Pseudonym>& nodes, const std::vector<uint64_t>& oneids,
                        const Decision& decision, int64_t now_ms);
  // The consent document of `oneid` (state per purpose under the policy, the whole history
  // with sources and identifier types); *given (may be null): each purpose given or not.
  // kNotFound for a OneID without members.
  Result<std::string> ConsentJson(uint64_t oneid, std::array<bool, privacy::kPurposeCount>* given) const;
  // Parses, stores and applies a consent policy (the caller rebuilds every profile).
  Status SetConsentPolicy(std::string_view json);

  // ---- the PII vault ----
  // Opens one stored vault value (storage::VaultRecord) with the vault key.
  Result<std::string> OpenVaultValue(std::string_view value) const;
  // The vault entries of `nodes`, opened (plaintext JSON objects), with the node each
  // belongs to. An entry that does not open (damaged, or sealed under another key) is
  // skipped and its node appended to *unopened (once per entry; may be null).
  Result<std::vector<std::pair<privacy::Pseudonym, std::string>>> VaultEntriesOf(
      const std::vector<privacy::Pseudonym>& nodes, std::vector<privacy::Pseudonym>* unopened) const;

  // ---- erasure ----
  // Adds to `batch` privacy's part of erasing a person whose identifiers are `nodes`: their
  // ledger records and vault entries deleted (*vault_removed: how many entries), and each
  // identifier on the suppression list as erased at `now_ms`.
  Status AddErasure(const std::vector<privacy::Pseudonym>& nodes, int64_t now_ms, storage::WriteBatch* batch,
                    uint64_t* vault_removed) const;
  // After that batch is written: the identifiers count as suppressed in this process and the
  // erased OneID leaves the consent index.
  void Erased(const std::vector<privacy::Pseudonym>& nodes, uint64_t oneid, int64_t now_ms) EXCLUDES(suppress_mu_);
  // Whether `node` is on the suppression list (as this process knows it).
  bool Suppressed(const privacy::Pseudonym& node) const EXCLUDES(suppress_mu_);

 private:
  // Builds the ledger from the stored events once (meta kConsentLedgerBuilt).
  Status BackfillConsentLedger();
  // Reads the suppression list from the store.
  Status LoadSuppressions() EXCLUDES(suppress_mu_);
  // The suppression list's key for `node`: a keyed hash other than its pseudonym.
  privacy::Pseudonym SuppressionHash(const privacy::Pseudonym& node) const;

  storage::Store* const store_;
  const privacy::Pseudonymizer* const pseudonymizer_;
  const privacy::VaultKey vault_key_;  // of the store's key generation (pseudonymizer_->generation())
  ConsentIndex consent_;
  mutable Mutex suppress_mu_;
  std::unordered_map<storage::keys::Key16, int64_t, storage::keys::Key16Hash> suppressed_
      GUARDED_BY(suppress_mu_);  // suppression hash -> erased at
  std::unordered_set<storage::keys::Key16, storage::keys::Key16Hash> suppress_applied_
      GUARDED_BY(suppress_mu_);  // nodes whose withdrawals this process wrote
};

}  // namespace holo::engine
