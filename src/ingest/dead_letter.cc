#include "ingest/dead_letter.h"

#include "common/json_writer.h"

#include <cerrno>
#include <cstring>

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

DeadLetterWriter::DeadLetterWriter(std::string path) : path_(std::move(path)) {}

DeadLetterWriter::~DeadLetterWriter() { Close().IgnoreError(); }

Status DeadLetterWriter::Write(std::string_view file, uint64_t line, std::string_view source,
                               std::string_view error, std::string_view raw) {
  if (closed_) return Status::FailedPrecondition("dead-letter file " + path_ + " is closed");
  if (file_ == nullptr) {
    file_ = std::fopen(path_.c_str(), "ab");
    if (file_ == nullptr) {
      return Status::IOError("cannot open dead-letter file " + path_ + ": " + std::strerror(errno));
    }
  }
  record_.clear();
  record_.append("{\"file\":");
  AppendJsonStringLossy(file, &record_);
  record_.append(",\"line\":");
  record_.append(std::to_string(line));
  record_.append(",\"source\":");
  AppendJsonStringLossy(source, &record_);
  record_.append(",\"error\":");
  AppendJsonStringLossy(error, &record_);
  record_.append(",\"raw\":");
  AppendJsonStringLossy(raw.substr(0, kMaxRawBytes), &record_);
  record_.append("}\n");
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

}  // namespace holo::ingest
