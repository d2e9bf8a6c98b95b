#include "ingest/dead_letter.h"

#include <fcntl.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>

#include "common/file_util.h"
#include "common/hex.h"
#include "common/json_writer.h"

namespace holo::ingest {
namespace {

// Returns the length of the well-formed UTF-8 sequence starting at s[i], or 0 if the byte at
// s[i] does not start one (Unicode Table 3-7).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b = byte(i);
  if (b < 0x80) return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b >= 0xC2 && b <= 0xDF) {
    n = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    n = 3;
    if (b == 0xE0) lo = 0xA0;
    if (b == 0xED) hi = 0x9F;  // no surrogates
  } else if (b >= 0xF0 && b <= 0xF4) {
    n = 4;
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;  // <= U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return n;
}

// The fields of one record, clear-text (older version: `raw`) or sealed.
struct Record {
  std::string_view file, source, error, sealed_hex, raw;
  uint64_t line = 0, bytes = 0, gen = 0;
  int64_t ts_ms = 0;
  bool has_raw = false;
};

// Parses one line of a dead-letter file; false when it is not a record.
bool ParseRecord(simdjson::dom::parser& parser, std::string_view text, Record* r) {
  simdjson::dom::object obj;
  if (parser.parse(text.data(), text.size()).get_object().get(obj) != simdjson::SUCCESS) return false;
  *r = Record();
  if (obj["file"].get_string().get(r->file) || obj["line"].get_uint64().get(r->line) ||
      obj["source"].get_string().get(r->source) || obj["error"].get_string().get(r->error)) {
    return false;
  }
  if (obj["raw"].get_string().get(r->raw) == simdjson::SUCCESS) {
    r->has_raw = true;
    r->bytes = r->raw.size();
    return true;
  }
  return obj["ts_ms"].get_int64().get(r->ts_ms) == simdjson::SUCCESS &&
         obj["bytes"].get_uint64().get(r->bytes) == simdjson::SUCCESS &&
         obj["gen"].get_uint64().get(r->gen) == simdjson::SUCCESS &&
         obj["sealed"].get_string().get(r->sealed_hex) == simdjson::SUCCESS;
}

// Appends the clear metadata of a record, up to and without the closing brace.
void AppendMetadata(std::string_view file, uint64_t line, std::string_view source, std::string_view error,
                    int64_t ts_ms, uint64_t bytes, uint64_t gen, std::string* out) {
  out->append("{\"file\":");
  AppendJsonStringLossy(file, out);
  out->append(",\"line\":");
  out->append(std::to_string(line));
  out->append(",\"source\":");
  AppendJsonStringLossy(source, out);
  out->append(",\"error\":");
  AppendJsonStringLossy(error, out);
  out->append(",\"ts_ms\":" + std::to_string(ts_ms) + ",\"bytes\":" + std::to_string(bytes) +
              ",\"gen\":" + std::to_string(gen));
}

// Appends a whole sealed record (with its newline), `raw` sealed with the current key.
void AppendSealed(const DeadLetterKeys& keys, std::string_view file, uint64_t line, std::string_view source,
                  std::string_view error, int64_t ts_ms, uint64_t bytes, std::string_view raw, std::string* out) {
  AppendMetadata(file, line, source, error, ts_ms, bytes, keys.generation, out);
  const std::string sealed = privacy::VaultSeal(keys.vault[keys.generation], raw.substr(0, DeadLetterWriter::kMaxRawBytes));
  out->append(",\"sealed\":\"");
  out->append(hex::Encode(reinterpret_cast<const uint8_t*>(sealed.data()), sealed.size()));
  out->append("\"}\n");
}

// The opened text of a sealed record.
Result<std::string> Open(const DeadLetterKeys& keys, const Record& r) {
  if (r.gen >= keys.vault.size()) {
    return Status::DataLoss("sealed with key generation " + std::to_string(r.gen) + ", which the keyring lacks");
  }
  if (r.sealed_hex.size() % 2 != 0) return Status::DataLoss("sealed text is not hex");
  std::string sealed(r.sealed_hex.size() / 2, '\0');
  if (!hex::Decode(r.sealed_hex, reinterpret_cast<uint8_t*>(sealed.data()), sealed.size())) {
    return Status::DataLoss("sealed text is not hex");
  }
  return privacy::VaultOpen(keys.vault[r.gen], sealed);
}

// Wipes a string holding opened text.
void Wipe(std::string* s) {
  volatile char* p = s->data();
  for (size_t i = 0; i < s->size(); ++i) p[i] = 0;
  s->clear();
}

}  // namespace

void AppendJsonStringLossy(std::string_view s, std::string* out) {
  // Repair invalid UTF-8 first, so the JSON line is always valid.
  std::string valid;
  valid.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80 ? 1 : Utf8SequenceLength(s, i);
    if (n == 0) {
      valid.append("\xEF\xBF\xBD");  // U+FFFD
      ++i;
    } else {
      valid.append(s.data() + i, n);
      i += n;
    }
  }
  JsonWriter::AppendQuoted(valid, out);
}

DeadLetterWriter::DeadLetterWriter(std::string path, const DeadLetterKeys& keys, int64_t now_ms)
    : path_(std::move(path)), keys_(keys), now_ms_(now_ms) {}

DeadLetterWriter::~DeadLetterWriter() { Close().IgnoreError(); }

Status DeadLetterWriter::Write(std::string_view file, uint64_t line, std::string_view source,
                               std::string_view error, std::string_view raw) {
  if (closed_) return Status::FailedPrecondition("dead-letter file " + path_ + " is closed");
  if (file_ == nullptr) {
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) file_ = ::fdopen(fd, "ab");
    if (file_ == nullptr) {
      const int e = errno;
      if (fd >= 0) ::close(fd);
      return Status::IOError("cannot open dead-letter file " + path_ + ": " + std::strerror(e));
    }
  }
  if (keys_.generation >= keys_.vault.size()) {
    return Status::FailedPrecondition("dead-letter file " + path_ + ": no vault key to seal with");
  }
  record_.clear();
  AppendSealed(keys_, file, line, source, error, now_ms_, raw.size(), raw, &record_);
  if (std::fwrite(record_.data(), 1, record_.size(), file_) != record_.size()) {
    return Status::IOError("cannot write dead-letter file " + path_ + ": " + std::strerror(errno));
  }
  ++count_;
  return Status::OK();
}

Status DeadLetterWriter::Flush() {
  if (file_ == nullptr) return Status::OK();
  if (std::fflush(file_) != 0) {
    return Status::IOError("cannot flush dead-letter file " + path_ + ": " + std::strerror(errno));
  }
  return Status::OK();
}

Status DeadLetterWriter::Close() {
  if (closed_) return Status::OK();
  closed_ = true;
  if (file_ == nullptr) return Status::OK();
  std::FILE* f = file_;
  file_ = nullptr;
  if (std::fclose(f) != 0) {
    return Status::IOError("cannot close dead-letter file " + path_ + ": " + std::strerror(errno));
  }
  return Status::OK();
}

Status MaintainDeadLetters(const std::string& path, const DeadLetterKeys& keys, int64_t now_ms, int64_t max_age_ms,
                           std::string_view erase_value, DeadLetterMaintenance* report) {
  *report = DeadLetterMaintenance();
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::OK();
    return Status::IOError("cannot stat dead-letter file " + path + ": " + std::strerror(errno));
  }
  if (keys.generation >= keys.vault.size()) {
    return Status::FailedPrecondition("dead-letter file " + path + ": no vault key to seal with");
  }
  // Records of an older version carry no time: the file's last change is an upper bound.
  const int64_t mtime_ms = static_cast<int64_t>(st.st_mtime) * 1000;
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read dead-letter file " + path);
  simdjson::dom::parser parser;
  std::string kept, line;
  bool changed = false;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    Record r;
    if (!ParseRecord(parser, line, &r)) {
      // Not a record (a line cut by a crash mid-append, or damage): it cannot be opened and
      // might hold clear text, so it goes; never a reason to refuse the store.
      ++report->damaged;
      changed = true;
      continue;
    }
    const int64_t ts = r.has_raw ? mtime_ms : r.ts_ms;
    if (max_age_ms > 0 && ts < now_ms - max_age_ms) {
      ++report->expired;
      changed = true;
      continue;
    }
    if (!erase_value.empty()) {
      bool holds = false;
      if (r.has_raw) {
        holds = r.raw.find(erase_value) != std::string_view::npos;
      } else if (auto text = Open(keys, r); text.ok()) {
        holds = text->find(erase_value) != std::string::npos;
        Wipe(&*text);
      } else {
        ++report->unopened;
      }
      if (holds) {
        ++report->erased;
        changed = true;
        continue;
      }
    }
    ++report->kept;
    if (r.has_raw) {  // an older version's clear text: sealed now
      std::string raw(r.raw);
      AppendSealed(keys, r.file, r.line, r.source, r.error, ts, r.bytes, raw, &kept);
      Wipe(&raw);
      ++report->sealed;
      changed = true;
    } else {
      kept.append(line);
      kept.push_back('\n');
    }
  }
  Wipe(&line);
  if (!changed) return Status::OK();
  const std::string tmp = path + ".tmp";
  HOLO_RETURN_IF_ERROR(file::WriteSynced(tmp, kept, 0600));
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::IOError("cannot replace dead-letter file " + path + ": " + std::strerror(errno));
  }
  return Status::OK();
}

Result<uint64_t> CountDeadLetters(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0 && errno == ENOENT) return uint64_t{0};
    return Status::IOError("cannot read dead-letter file " + path);
  }
  uint64_t n = 0;
  for (std::string line; std::getline(in, line);) n += line.empty() ? 0 : 1;
  return n;
}

Status ReadDeadLetters(const std::string& path, const DeadLetterKeys& keys, size_t limit,
                       const std::function<void(std::string_view json)>& each, uint64_t* unopened) {
  if (unopened != nullptr) *unopened = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0 && errno == ENOENT) return Status::OK();
    return Status::IOError("cannot read dead-letter file " + path);
  }
  std::deque<std::string> last;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    last.push_back(std::move(line));
    if (limit != 0 && last.size() > limit) last.pop_front();
  }
  simdjson::dom::parser parser;
  std::string out;
  for (size_t i = 0; i < last.size(); ++i) {
    Record r;
    out.clear();
    if (!ParseRecord(parser, last[i], &r)) {  // dropped at the next maintenance
      out.append("{\"damaged\":true}");
      if (unopened != nullptr) ++*unopened;
      each(out);
      continue;
    }
    AppendMetadata(r.file, r.line, r.source, r.error, r.ts_ms, r.bytes, r.gen, &out);
    if (r.has_raw) {
      out.append(",\"raw\":");
      AppendJsonStringLossy(r.raw, &out);
    } else if (auto text = Open(keys, r); text.ok()) {
      out.append(",\"raw\":");
      AppendJsonStringLossy(*text, &out);
      Wipe(&*text);
    } else {
      out.append(",\"unopened\":true");
      if (unopened != nullptr) ++*unopened;
    }
    out.push_back('}');
    each(out);
    Wipe(&out);
  }
  return Status::OK();
}

}  // namespace holo::ingest
