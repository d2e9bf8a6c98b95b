// IngestStage: the ingestion service. It owns the engine's ingestion state — the pool of
// idle message parsers and the dead-letter file with its lock — and the ingest write:
// parsed, pseudonymized messages deduplicated against the store and each other, then stored
// as one atomic storage::WriteBatch assembled from each stage's part of it (identity's
// evidence, privacy's consent and vault records, profile's attribution) beside the events
// themselves (docs/ARCHITECTURE.md, "Services inside the engine").
//
//   IngestStage ingest(store, pseudonymizer, parser_options, identity, privacy, data_dir, now_ms);
//   HOLO_RETURN_IF_ERROR(ingest.Ingest({"world/"}, IngestOptions(), &report));  // files
//   std::unique_ptr<PreparedMessages::Rep> rep;                                  // or messages:
//   HOLO_RETURN_IF_ERROR(ingest.Prepare(messages, &rep));        // any thread, many at once
//   HOLO_RETURN_IF_ERROR(ingest.Write({rep.get()}, &outcomes));  // one atomic, unsynced write
//   HOLO_RETURN_IF_ERROR(ingest.Sync());                         // durable from here
//
// The stage never resolves identities nor rebuilds profiles: after a write, the engine does
// (EngineImpl::Ingest with IngestOptions::resolve, or the caller's Resolve).
//
// Thread safety: Prepare may run on many threads at once and beside everything else; the
// idle parsers are guarded by `parsers_mu_`, and `dead_letter_mu_` serializes Prepare's
// appends to the dead-letter file. The writes (Ingest, Write) run one at a time: the caller
// serializes them (each reads the event sequence from the store and writes it back). They
// may run beside Sync, beside one resolve (IdentityStage::BeginWrite/Written) and beside the
// readers. Neither lock is held over a store read or write.
// Ownership: `store`, `pseudonymizer`, `parser_options`, `identity` and `privacy` are borrowed
// and must outlive the stage; `pseudonymizer` and `parser_options` are not changed after it
// is built.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/thread_annotations.h"
#include "holo/engine.h"
#include "holo/result.h"
#include "ingest/dead_letter.h"
#include "ingest/message_parser.h"
#include "privacy/pseudonymizer.h"
#include "storage/keys.h"

namespace holo {

// Messages parsed by Engine::PrepareMessages (IngestStage::Prepare), waiting for WritePrepared.
struct PreparedMessages::Rep {
  std::vector<ingest::ParsedMessage> parsed;
  std::vector<size_t> index;          // parsed[j] is message index[j] of the batch
  std::vector<std::string_view> sources;  // parsed[j]'s source (the caller's MessageInput keeps it)
  std::vector<MessageOutcome> outcomes;  // by message; rejected ones filled in already
};

}  // namespace holo

namespace holo::storage {
class Store;
}  // namespace holo::storage

namespace holo::engine {

class IdentityStage;
class PrivacyStage;

// kInvalidArgument unless `source` is a valid source name ([a-z0-9_-]{1,64});
// `where` names what carries it ("a.jsonl", "the write key").
Status ValidateSourceName(std::string_view source, std::string_view where);

class IngestStage {
 public:
  // `data_dir` holds the default dead-letter file (dead_letter.jsonl), whose records are
  // sealed with `dead_letter_keys` (borrowed); `now_ms` is the clock messages are checked
  // against (Options::now_ms: 0 for the system clock).
  IngestStage(storage::Store* store, const privacy::Pseudonymizer& pseudonymizer,
              const ingest::ParserOptions& parser_options, IdentityStage& identity, PrivacyStage& privacy,
              const std::string& data_dir, const ingest::DeadLetterKeys& dead_letter_keys, int64_t now_ms);
  IngestStage(const IngestStage&) = delete;
  IngestStage& operator=(const IngestStage&) = delete;

  // Ingests JSON Lines files (a directory: its *.jsonl files, by name) as Engine::Ingest
  // does, in atomic writes of `options.batch_lines` lines, each acknowledged
  // (`options.on_batch`) once its WAL is synced; rejected lines go to the dead-letter file
  // with their file, line and reason. Does not resolve: `options.resolve` is the caller's.
  Status Ingest(const std::vector<std::string>& paths, const IngestOptions& options, IngestReport* report)
      EXCLUDES(parsers_mu_, dead_letter_mu_);

  // Parses, validates and pseudonymizes `messages` on the calling thread into *out (with
  // the outcomes of the rejected ones, which are appended to the dead-letter file).
  Status Prepare(const std::vector<MessageInput>& messages, std::unique_ptr<PreparedMessages::Rep>* out)
      EXCLUDES(parsers_mu_, dead_letter_mu_);
  // Writes the prepared batches as one atomic, unsynced write and moves each batch's
  // outcomes into *outcomes (one list per batch). kInvalidArgument for a null batch.
  Status Write(const std::vector<PreparedMessages::Rep*>& batches,
               std::vector<std::vector<MessageOutcome>>* outcomes);
  // Makes every write made so far durable (may run beside the next Write).
  Status Sync();
  // Appends records rejected outside the message parser (store sensor rows) to the
  // dead-letter file: each (file, line, reason, text) under `source`.
  struct Rejected {
    std::string_view file;
    uint64_t line;
    std::string_view reason, text;
  };
  Status DeadLetter(std::string_view source, const std::vector<Rejected>& records) EXCLUDES(dead_letter_mu_);

  // The dead-letter file Prepare appends to, and Ingest's unless IngestOptions names one.
  const std::string& dead_letter_path() const { return dead_letter_path_; }
  // ingest::MaintainDeadLetters over that file (seals an older version's clear text, drops
  // records older than `max_age_ms` and those holding `erase_value`), with Prepare's
  // appends held off meanwhile.
  Status MaintainDeadLetters(int64_t max_age_ms, std::string_view erase_value, ingest::DeadLetterMaintenance* report)
      EXCLUDES(dead_letter_mu_);
  // ingest::CountDeadLetters over that file.
  Result<uint64_t> CountDeadLetters() EXCLUDES(dead_letter_mu_);
  // ingest::ReadDeadLetters over that file.
  Status ReadDeadLetters(size_t limit, const std::function<void(std::string_view)>& each, uint64_t* unopened)
      EXCLUDES(dead_letter_mu_);

 private:
  // State carried across the write batches of one ingestion run.
  struct Run {
    uint64_t seq = 0;            // last event sequence number used
    int64_t max_ts = INT64_MIN;  // latest event timestamp stored
    std::unordered_set<storage::keys::Key16, storage::keys::Key16Hash> dirty_marked;  // nodes marked in this run
  };
  // One valid message to store, with its source.
  struct Incoming {
    ingest::ParsedMessage* message;
    std::string_view source;
  };

  // Reads the run's starting point (event sequence, newest timestamp) from the store.
  Status StartRun(Run* run) const;
  // Dedupes `items` by (source, messageId) against the store and each other and writes the
  // new ones as one atomic, unsynced batch — the events, their dedupe keys and sequence,
  // identity's evidence, privacy's part, profile's attribution; (*duplicate)[i] marks the
  // others.
  Status WriteMessages(std::vector<Incoming>& items, Run* run, std::vector<bool>* duplicate);
  // Appends Prepare's rejected messages (index, reason) to the dead-letter file.
  Status WriteDeadLetters(const std::vector<MessageInput>& messages,
                          const std::vector<std::pair<size_t, std::string>>& rejected) EXCLUDES(dead_letter_mu_);
  int64_t Now() const;

  storage::Store* const store_;
  const privacy::Pseudonymizer& pseudonymizer_;
  const ingest::ParserOptions& parser_options_;
  IdentityStage& identity_;  // evidence; BeginWrite/Written around a write
  PrivacyStage& privacy_;    // consent and vault records; Written after a write
  const std::string dead_letter_path_;  // DATA/dead_letter.jsonl
  const ingest::DeadLetterKeys& dead_letter_keys_;  // the vault keys records are sealed and opened with
  const int64_t now_ms_;                // 0: the system clock

  Mutex parsers_mu_;
  std::vector<std::unique_ptr<ingest::MessageParser>> parsers_ GUARDED_BY(parsers_mu_);  // Prepare's idle parsers
  Mutex dead_letter_mu_;  // one Prepare appends to the dead-letter file at a time
};

}  // namespace holo::engine
