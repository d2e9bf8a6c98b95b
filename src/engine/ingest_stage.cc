// IngestStage (ingest_stage.h): files -> parsed, pseudonymized messages -> one atomic
// write batch per `batch_lines` lines, acknowledged once its WAL is synced.
// Reading and parsing of batch N+1 overlaps the write of batch N, and the WAL
// sync of batch N overlaps batch N+1. Messages from memory (the server's path) are
// prepared on the callers' threads and written the same way.
#include "engine/ingest_stage.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "common/coding.h"
#include "common/time_util.h"
#include "engine/identity_stage.h"
#include "engine/privacy_stage.h"
#include "ingest/dead_letter.h"
#include "ingest/line_reader.h"
#include "identity/evidence_batch.h"
#include "identity/resolver.h"
#include "profile/attribution_batch.h"
#include "profile/profile_builder.h"
#include "storage/event_record.h"
#include "storage/keys.h"
#include "storage/store.h"

namespace holo::engine {

Status ValidateSourceName(std::string_view source, std::string_view where) {
  if (source.empty() || source.size() > 64 ||
      source.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") != std::string_view::npos) {
    return Status::InvalidArgument("source name '" + std::string(source) + "' of " + std::string(where) +
                                   " must be 1-64 characters of [a-z0-9_-]");
  }
  return Status::OK();
}

namespace {

namespace fs = std::filesystem;
using storage::Cf;
namespace keys = storage::keys;
using Key16 = keys::Key16;

struct InputFile {
  std::string path;
  std::string source;
  uint64_t size = 0;
};

Result<std::vector<InputFile>> ExpandPaths(const std::vector<std::string>& paths,
                                           const std::string& source_override) {
  std::vector<InputFile> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (p == ingest::kStdinPath) {  // standard input: one stream, named by --source
      if (source_override.empty()) {
        return Status::InvalidArgument("reading standard input ('-') needs --source NAME (the source of its messages)");
      }
      files.push_back({p, "", 0});
      continue;
    }
    if (fs::is_directory(p, ec)) {
      std::vector<fs::path> found;
      for (const auto& entry : fs::directory_iterator(p, ec)) {
        if (entry.is_regular_file() && entry.path().extension() == ".jsonl") found.push_back(entry.path());
      }
      if (ec) return Status::IOError("cannot list " + p + ": " + ec.message());
      std::sort(found.begin(), found.end());
      if (found.empty()) return Status::NotFound("no *.jsonl files in directory " + p);
      for (const auto& f : found) files.push_back({f.string(), "", 0});
    } else if (fs::is_regular_file(p, ec)) {
      files.push_back({p, "", 0});
    } else {
      return Status::NotFound("no such file or directory: " + p);
    }
  }
  for (InputFile& f : files) {
    f.source = source_override.empty() ? fs::path(f.path).stem().string() : source_override;
    HOLO_RETURN_IF_ERROR(ValidateSourceName(f.source, f.path));
    if (f.path == ingest::kStdinPath) continue;  // no size known in advance
    std::error_code ec;
    f.size = fs::file_size(f.path, ec);
    if (ec) return Status::IOError("cannot stat " + f.path + ": " + ec.message());
  }
  return files;
}

struct ParsedLine {
  uint64_t number = 0;
  std::optional<ingest::ParsedMessage> message;
  std::string error;
  std::string raw;  // only for rejected lines
};

struct Batch {
  std::vector<ParsedLine> lines;
  uint64_t last_line = 0;
  uint64_t bytes = 0;
  bool eof = false;
};

// Reads and parses up to `max_lines` non-empty lines.
Result<Batch> ReadBatch(ingest::LineReader* reader, ingest::MessageParser* parser,
                        const std::string& source, size_t max_lines, size_t max_line_bytes, int64_t now) {
  Batch b;
  b.lines.reserve(max_lines);
  ingest::Line line;
  while (b.lines.size() < max_lines) {
    HOLO_ASSIGN_OR_RETURN(bool more, reader->Next(&line));
    if (!more) {
      b.eof = true;
      break;
    }
    b.last_line = line.number;
    b.bytes = line.next_offset;
    ParsedLine pl;
    pl.number = line.number;
    if (line.oversized) {
      pl.error = "line exceeds " + std::to_string(max_line_bytes) + " bytes (" +
                 std::to_string(line.length) + ")";
      pl.raw.assign(line.text.substr(0, 4096));
    } else {
      auto m = parser->Parse(line.text, source, now);
      if (m.ok()) {
        pl.message = std::move(m).value();
      } else {
        pl.error = m.status().message();
        pl.raw.assign(line.text);
      }
    }
    b.lines.push_back(std::move(pl));
  }
  return b;
}

// Acknowledges written batches in order, once the WAL holding them is synced.
// The fsync of batch N runs while batch N+1 is parsed and written: ingest is
// otherwise bound by the synced WAL write.
class DurableAcks {
 public:
  DurableAcks(storage::Store* store, const std::function<void(const IngestProgress&)>& on_ack)
      : store_(store), on_ack_(on_ack) {}
  ~DurableAcks() {
    if (pending_.valid()) pending_.wait();
  }

  // Call after a batch was written (unsynced): acknowledges the previous one and
  // starts syncing this one.
  Status Written(const IngestProgress& progress) {
    HOLO_RETURN_IF_ERROR(Drain());
    pending_ = std::async(std::launch::async, [this]() { return store_->SyncWal(); });
    pending_progress_ = progress;
    return Status::OK();
  }

  // Waits for the last sync and acknowledges its batch.
  Status Drain() {
    if (!pending_.valid()) return Status::OK();
    HOLO_RETURN_IF_ERROR(pending_.get());
    if (on_ack_) on_ack_(pending_progress_);
    return Status::OK();
  }

 private:
  storage::Store* store_;
  const std::function<void(const IngestProgress&)>& on_ack_;
  std::future<Status> pending_;
  IngestProgress pending_progress_;
};

}  // namespace

IngestStage::IngestStage(storage::Store* store, const privacy::Pseudonymizer& pseudonymizer,
                         const ingest::ParserOptions& parser_options, IdentityStage& identity,
                         PrivacyStage& privacy, const std::string& data_dir,
                         const ingest::DeadLetterKeys& dead_letter_keys, int64_t now_ms)
    : store_(store), pseudonymizer_(pseudonymizer), parser_options_(parser_options), identity_(identity),
      privacy_(privacy), dead_letter_path_((fs::path(data_dir) / "dead_letter.jsonl").string()),
      dead_letter_keys_(dead_letter_keys), now_ms_(now_ms) {}

Status IngestStage::MaintainDeadLetters(int64_t max_age_ms, std::string_view erase_value,
                                        ingest::DeadLetterMaintenance* report) {
  MutexLock lock(&dead_letter_mu_);
  return ingest::MaintainDeadLetters(dead_letter_path_, dead_letter_keys_, Now(), max_age_ms, erase_value, report);
}

Result<uint64_t> IngestStage::CountDeadLetters() {
  MutexLock lock(&dead_letter_mu_);
  return ingest::CountDeadLetters(dead_letter_path_);
}

Status IngestStage::ReadDeadLetters(size_t limit, const std::function<void(std::string_view)>& each,
                                    uint64_t* unopened) {
  MutexLock lock(&dead_letter_mu_);
  return ingest::ReadDeadLetters(dead_letter_path_, dead_letter_keys_, limit, each, unopened);
}

int64_t IngestStage::Now() const { return now_ms_ != 0 ? now_ms_ : NowMs(); }

Status IngestStage::StartRun(Run* run) const {
  HOLO_ASSIGN_OR_RETURN(auto seq_value, store_->Get(Cf::kMeta, keys::kEventSeq));
  if (seq_value.has_value() && seq_value->size() == 8) run->seq = coding::DecodeFixed64BE(seq_value->data());
  HOLO_ASSIGN_OR_RETURN(auto ts_value, store_->Get(Cf::kMeta, keys::kMaxTimestamp));
  if (ts_value.has_value() && ts_value->size() == 8) {
    run->max_ts = static_cast<int64_t>(coding::DecodeFixed64BE(ts_value->data()));
  }
  return Status::OK();
}

Status IngestStage::WriteMessages(std::vector<Incoming>& items, Run* run, std::vector<bool>* duplicate) {
  duplicate->assign(items.size(), false);
  // Dedupe against the store and within the batch.
  std::vector<std::string> dedupe_keys;
  for (const Incoming& in : items) dedupe_keys.push_back(keys::DedupeKey(in.source, in.message->message_id));
  const std::vector<std::string_view> key_views(dedupe_keys.begin(), dedupe_keys.end());
  HOLO_ASSIGN_OR_RETURN(const std::vector<std::optional<std::string>> stored,
                        store_->MultiGet(Cf::kDedupe, key_views));
  // Each stage contributes its part of the write; this function only stores the events
  // themselves and assembles the parts into one atomic batch.
  identity::EvidenceBatch evidence;        // nodes, edges, dirty marks
  profile::AttributionBatch attribution;   // events by owner and by name
  PrivacyStage::WritePart privacy;         // consent ledger, sealed vault entries
  storage::WriteBatch wb(*store_);
  std::unordered_set<std::string_view> in_batch;
  std::vector<std::pair<std::string, std::string>> dedupe_puts;  // dedupe key -> event key
  std::vector<identity::Sighting> sightings;
  std::string value;
  uint64_t& seq = run->seq;
  int64_t& max_ts = run->max_ts;
  for (size_t c = 0; c < items.size(); ++c) {
    if (stored[c].has_value() || !in_batch.insert(dedupe_keys[c]).second) {
      (*duplicate)[c] = true;
      continue;
    }
    ingest::ParsedMessage& m = *items[c].message;
    const std::string_view source = items[c].source;
    ++seq;
    std::string seq_key = keys::EventKey(seq);
    storage::EventRecord rec;
    rec.msg_type = static_cast<uint8_t>(m.type);
    rec.timestamp_ms = m.timestamp_ms;
    rec.source = std::string(source);
    rec.event = std::move(m.event);
    rec.message_id = std::move(m.message_id);
    rec.properties_json = std::move(m.properties_json);
    max_ts = std::max(max_ts, m.timestamp_ms);
    sightings.clear();
    for (const ingest::ParsedIdentifier& id : m.ids) {
      storage::EventId eid;
      eid.pseudonym = id.pseudonym;
      eid.role = static_cast<uint8_t>(id.role);
      eid.flags = id.placeholder ? 1 : 0;
      eid.type = id.type;
      rec.ids.push_back(std::move(eid));
      if (!id.placeholder) sightings.push_back({id.pseudonym, id.type, ingest::LinkGroups(m, id)});
      if (id.has_match_tag) evidence.AddMatchTag(id.match_tag, id.pseudonym);
    }
    evidence.Add(sightings, m.timestamp_ms, source);
    if (const int owner = attribution.Add(rec, seq); owner >= 0) {
      privacy_.Add(rec, rec.ids[owner].pseudonym, seq, m.vault, &privacy);
    }
    value.clear();
    rec.EncodeTo(&value);
    wb.Put(Cf::kEvents, seq_key, value);
    dedupe_puts.emplace_back(dedupe_keys[c], std::move(seq_key));
  }
  // Each column family's keys in order (memtable inserts reuse their position).
  std::sort(dedupe_puts.begin(), dedupe_puts.end());
  for (const auto& [key, seq_key] : dedupe_puts) wb.Put(Cf::kDedupe, key, seq_key);
  attribution.AppendTo(&wb);
  privacy.AppendTo(&wb);
  evidence.AppendTo(&wb, seq, &run->dirty_marked);
  std::string counter;
  coding::PutFixed64BE(&counter, seq);
  wb.Put(Cf::kMeta, keys::kEventSeq, counter);
  if (max_ts != INT64_MIN) {
    counter.clear();
    coding::PutFixed64BE(&counter, static_cast<uint64_t>(max_ts));
    wb.Put(Cf::kMeta, keys::kMaxTimestamp, counter);
  }
  const bool begun = identity_.BeginWrite();  // a resolve in progress may drop this write's dirty marks
  HOLO_RETURN_IF_ERROR(store_->Write(&wb, /*sync=*/false));
  HOLO_RETURN_IF_ERROR(privacy_.Written(privacy));  // decisions count from the next read
  identity_.Written(begun, evidence);  // its nodes marked again after such a resolve
  return Status::OK();
}

Status IngestStage::Ingest(const std::vector<std::string>& paths, const IngestOptions& options,
                           IngestReport* report) {
  *report = IngestReport();
  auto start = std::chrono::steady_clock::now();
  HOLO_ASSIGN_OR_RETURN(std::vector<InputFile> files, ExpandPaths(paths, options.source));
  uint64_t bytes_total = 0;
  for (const auto& f : files) bytes_total += f.size;
  report->dead_letter_path = options.dead_letter_path.empty() ? dead_letter_path_ : options.dead_letter_path;
  ingest::DeadLetterWriter dead_letter(report->dead_letter_path, dead_letter_keys_, Now());

  Run run;
  HOLO_RETURN_IF_ERROR(StartRun(&run));
  ingest::MessageParser parser(parser_options_, &pseudonymizer_);
  const size_t batch_lines = std::max<size_t>(1, options.batch_lines);
  uint64_t bytes_before = 0;
  DurableAcks acks(store_, options.on_batch);

  for (const InputFile& file : files) {
    ingest::LineReaderOptions lro;
    lro.max_line_bytes = parser_options_.max_line_bytes;
    HOLO_ASSIGN_OR_RETURN(auto reader, ingest::LineReader::Open(file.path, lro));
    report->files++;
    uint64_t file_bytes = 0;  // read so far (standard input has no size in advance)
    auto read_next = [&]() {
      return std::async(std::launch::async, [&]() {
        return ReadBatch(reader.get(), &parser, file.source, batch_lines, lro.max_line_bytes, Now());
      });
    };
    auto pending = read_next();
    while (true) {
      Result<Batch> got = pending.get();
      if (!got.ok()) return got.status().WithContext(file.path);
      Batch batch = std::move(got).value();
      if (!batch.eof) pending = read_next();

      std::vector<Incoming> items;
      for (size_t i = 0; i < batch.lines.size(); ++i) {
        ParsedLine& pl = batch.lines[i];
        report->lines++;
        if (!pl.message) {
          report->rejected++;
          if (pl.error.find(ingest::kAheadOfClock) != std::string::npos) report->ahead_of_clock++;
          HOLO_RETURN_IF_ERROR(dead_letter.Write(file.path, pl.number, file.source, pl.error, pl.raw));
          if (report->sample_errors.size() < 5) {
            report->sample_errors.push_back(file.path + ":" + std::to_string(pl.number) + ": " + pl.error);
          }
          continue;
        }
        if (!pl.message->warnings.empty()) report->warnings++;
        items.push_back({&*pl.message, file.source});
      }
      std::vector<bool> duplicate;
      HOLO_RETURN_IF_ERROR(WriteMessages(items, &run, &duplicate));
      for (bool d : duplicate) {
        if (d) {
          report->duplicates++;
        } else {
          report->stored++;
        }
      }
      // Dead letters are flushed before the acknowledgement, too.
      HOLO_RETURN_IF_ERROR(dead_letter.Flush());
      IngestProgress p;
      p.file = file.path;
      p.line = batch.last_line;
      p.bytes_done = bytes_before + batch.bytes;
      p.bytes_total = bytes_total;
      p.stored = report->stored;
      HOLO_RETURN_IF_ERROR(acks.Written(p));
      file_bytes = batch.bytes;
      if (batch.eof) break;
    }
    bytes_before += file.path == ingest::kStdinPath ? file_bytes : file.size;
  }
  HOLO_RETURN_IF_ERROR(acks.Drain());
  HOLO_RETURN_IF_ERROR(dead_letter.Close());
  report->bytes = bytes_before;
  report->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Status::OK();
}

Status IngestStage::Prepare(const std::vector<MessageInput>& messages, std::unique_ptr<PreparedMessages::Rep>* out) {
  auto rep = std::make_unique<PreparedMessages::Rep>();
  rep->outcomes.assign(messages.size(), MessageOutcome());
  // A parser from the pool (parsing runs on the caller's thread, many at once).
  std::unique_ptr<ingest::MessageParser> parser;
  {
    MutexLock lock(&parsers_mu_);
    if (!parsers_.empty()) {
      parser = std::move(parsers_.back());
      parsers_.pop_back();
    }
  }
  if (!parser) parser = std::make_unique<ingest::MessageParser>(parser_options_, &pseudonymizer_);
  int64_t now = Now();
  std::vector<std::pair<size_t, std::string>> rejected;  // index, reason
  for (size_t i = 0; i < messages.size(); ++i) {
    const MessageInput& in = messages[i];
    MessageOutcome& o = rep->outcomes[i];
    Status valid = !in.rejected.empty() ? Status::InvalidArgument(std::string(in.rejected))
                                        : ValidateSourceName(in.source, "message");
    Result<ingest::ParsedMessage> m = valid.ok() ? parser->Parse(in.json, in.source, now, in.implied_type)
                                                 : Result<ingest::ParsedMessage>(valid);
    if (!m.ok()) {
      o.kind = MessageOutcome::Kind::kRejected;
      o.error = m.status().message();
      rejected.emplace_back(i, o.error);
      continue;
    }
    o.message_id = m->message_id;
    rep->parsed.push_back(std::move(m).value());
    rep->index.push_back(i);
    rep->sources.emplace_back(in.source);
  }
  {
    MutexLock lock(&parsers_mu_);
    parsers_.push_back(std::move(parser));
  }
  if (!rejected.empty()) HOLO_RETURN_IF_ERROR(WriteDeadLetters(messages, rejected));
  *out = std::move(rep);
  return Status::OK();
}

Status IngestStage::WriteDeadLetters(const std::vector<MessageInput>& messages,
                                     const std::vector<std::pair<size_t, std::string>>& rejected) {
  MutexLock lock(&dead_letter_mu_);
  ingest::DeadLetterWriter dead_letter(dead_letter_path_, dead_letter_keys_, Now());
  for (const auto& [i, reason] : rejected) {
    const MessageInput& in = messages[i];
    HOLO_RETURN_IF_ERROR(dead_letter.Write(in.origin, i + 1, in.source, reason, in.json.substr(0, 64 * 1024)));
  }
  return dead_letter.Close();
}

Status IngestStage::Sync() { return store_->SyncWal(); }

Status IngestStage::DeadLetter(std::string_view source, const std::vector<Rejected>& records) {
  MutexLock lock(&dead_letter_mu_);
  ingest::DeadLetterWriter dead_letter(dead_letter_path_, dead_letter_keys_, Now());
  for (const Rejected& r : records) HOLO_RETURN_IF_ERROR(dead_letter.Write(r.file, r.line, source, r.reason, r.text));
  return dead_letter.Close();
}

Status IngestStage::Write(const std::vector<PreparedMessages::Rep*>& batches,
                          std::vector<std::vector<MessageOutcome>>* outcomes) {
  outcomes->clear();
  std::vector<Incoming> items;
  for (PreparedMessages::Rep* rep : batches) {
    if (rep == nullptr) return Status::InvalidArgument("messages were not prepared");
    for (size_t j = 0; j < rep->parsed.size(); ++j) items.push_back({&rep->parsed[j], rep->sources[j]});
  }
  std::vector<bool> duplicate;
  if (!items.empty()) {
    Run run;
    HOLO_RETURN_IF_ERROR(StartRun(&run));
    HOLO_RETURN_IF_ERROR(WriteMessages(items, &run, &duplicate));
  }
  size_t at = 0;
  for (PreparedMessages::Rep* rep : batches) {
    for (size_t j = 0; j < rep->parsed.size(); ++j, ++at) {
      rep->outcomes[rep->index[j]].kind =
          duplicate[at] ? MessageOutcome::Kind::kDuplicate : MessageOutcome::Kind::kStored;
    }
    outcomes->push_back(std::move(rep->outcomes));
  }
  return Status::OK();
}

}  // namespace holo::engine
