// EngineImpl::PartnerMatch: the partner clean room (docs/privacy.md, "Partner clean room").
//
// A partner uploads SHA-256 hashes of normalized e-mails and phones (the form ad platforms
// take). Each distinct hash goes through the same keyed hash as at ingestion
// (privacy::Pseudonymizer::MatchTag) and is looked up among the stored match tags
// (identity/match_tags.h): tag -> identifier -> OneID. The OneIDs found are the overlap,
// which leaves this file only as a group given to GroupProfileOfGroup, the analysts' one
// release point (k, differencing against the shared log, noise and budget). What the
// report adds is about the upload alone: lines read, hashes accepted, malformed lines.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "common/hex.h"
#include "common/json_writer.h"
#include "engine/engine_impl.h"
#include "identity/match_tags.h"

namespace holo {
namespace engine {
namespace {

namespace keys = storage::keys;

// Malformed lines are reported by number up to this many (all are counted).
constexpr size_t kMalformedLinesShown = 100;

// What was read from an upload: everything but the hashes themselves may be shown.
struct Upload {
  uint64_t lines = 0;      // lines read, blank and header included
  uint64_t hashes = 0;     // well-formed hash lines
  bool header = false;     // a first line that is not a hash was skipped
  uint64_t malformed = 0;  // lines that are neither blank, the header nor a hash
  std::vector<uint64_t> malformed_lines;  // their numbers (1-based), the first kMalformedLinesShown
  std::vector<privacy::Sha256Digest> digests;  // distinct, sorted
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Strips an optional "email:" or "phone:" (any case) from `s`.
std::string_view StripTypePrefix(std::string_view s) {
  for (std::string_view prefix : {std::string_view("email:"), std::string_view("phone:")}) {
    if (s.size() < prefix.size()) continue;
    bool same = true;
    for (size_t i = 0; i < prefix.size() && same; ++i) {
      same = (s[i] | 0x20) == prefix[i] || s[i] == prefix[i];
    }
    if (same) return Trim(s.substr(prefix.size()));
  }
  return s;
}

// Whether every character of `s` is a hex digit (a line that looks like a broken hash is
// malformed, never taken for the header).
bool AllHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return hex::DigitValue(c) >= 0; });
}

// With `count_only`, reads past the limits and keeps no digest (for the audit's count).
Result<Upload> ReadUpload(std::string_view text, bool count_only = false) {
  if (text.size() > kPartnerUploadMaxBytes && !count_only) {
    return Status::InvalidArgument("the upload of " + std::to_string(text.size()) + " bytes exceeds the limit of " +
                                   std::to_string(kPartnerUploadMaxBytes) + " bytes; split it into several uploads");
  }
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a UTF-8 byte-order mark
  Upload u;
  bool seen_content = false;
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (++u.lines > kPartnerUploadMaxLines && !count_only) {
      return Status::InvalidArgument("the upload has more than " + std::to_string(kPartnerUploadMaxLines) +
                                     " lines; split it into several uploads");
    }
    line = Trim(line);
    if (line.empty()) continue;
    const bool first = !seen_content;
    seen_content = true;
    const std::string_view value = StripTypePrefix(line);
    privacy::Sha256Digest d;
    if (value.size() == 2 * privacy::kSha256Size && privacy::Sha256FromHex(value, &d)) {
      u.hashes++;
      if (!count_only) u.digests.push_back(d);
    } else if (first && !AllHex(value)) {
      u.header = true;
    } else {
      if (u.malformed_lines.size() < kMalformedLinesShown) u.malformed_lines.push_back(u.lines);
      u.malformed++;
    }
  }
  std::sort(u.digests.begin(), u.digests.end());
  u.digests.erase(std::unique(u.digests.begin(), u.digests.end()), u.digests.end());
  return u;
}

Status ValidatePartnerName(std::string_view name) {
  if (name.empty() || name.size() > 64 ||
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") != std::string_view::npos) {
    return Status::InvalidArgument("partner name must be 1-64 characters of [a-z0-9_-]");
  }
  return Status::OK();
}

constexpr const char* kNotMatchable =
    "identifiers last seen before this store kept match tags (the partner clean room, Holo issue #16) "
    "are not matchable until a new event carries them";

// The upload object of the report (and of a refusal's message).
void WriteUpload(const Upload& u, bool store_has_tags, JsonWriter* w) {
  w->BeginObject();
  w->Key("lines").Uint(u.lines);
  w->Key("hashes").Uint(u.hashes);
  w->Key("distinct").Uint(u.digests.size());
  w->Key("header").Bool(u.header);
  w->Key("malformed").Uint(u.malformed);
  w->Key("malformed_lines").BeginArray();
  for (uint64_t n : u.malformed_lines) w->Uint(n);
  w->EndArray();
  w->Key("not_matchable").String(store_has_tags ? kNotMatchable
                                                : "this store holds no match tags: no identifier is matchable");
  w->EndObject();
}

std::string UploadText(const Upload& u) {
  std::string s = std::to_string(u.lines) + " lines, " + std::to_string(u.hashes) + " hashes (" +
                  std::to_string(u.digests.size()) + " distinct)";
  if (u.header) s += ", a header line skipped";
  if (u.malformed > 0) {
    s += ", " + std::to_string(u.malformed) + " malformed (line";
    s += u.malformed > 1 ? "s " : " ";
    for (size_t i = 0; i < u.malformed_lines.size(); ++i) s += (i > 0 ? ", " : "") + std::to_string(u.malformed_lines[i]);
    if (u.malformed > u.malformed_lines.size()) s += ", ...";
    s += ")";
  }
  return s;
}

}  // namespace

Result<Engine::Report> EngineImpl::PartnerMatch(std::string_view partner, std::string_view upload,
                                                const GroupProfileOptions& options) {
  HOLO_RETURN_IF_ERROR(ValidatePartnerName(partner));
  HOLO_ASSIGN_OR_RETURN(const Upload u, ReadUpload(upload));
  if (u.digests.empty()) {
    return Status::InvalidArgument("partner " + std::string(partner) + ": the upload holds no hash (" + UploadText(u) +
                                   "); one SHA-256 per line, 64 hex digits");
  }
  // The question is the partner and the upload (its distinct hashes, in order): the same upload
  // again in the period gets the same answer, another upload is another question. Never the
  // matched group itself: equal answers for equal groups would tell which hashes matched.
  std::vector<privacy::Sha256Digest> sorted(u.digests.begin(), u.digests.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::string all;
  for (const auto& d : sorted) all.append(reinterpret_cast<const char*>(d.data()), d.size());
  const privacy::Sha256Digest upload_digest = privacy::Sha256Of(all);
  const std::string label = "partner:" + std::string(partner) + " upload:" +
                            hex::Encode(upload_digest.data(), 8);
  std::vector<keys::Key16> tags;
  tags.reserve(u.digests.size());
  for (const privacy::Sha256Digest& d : u.digests) tags.push_back(pseudonymizer_.MatchTag(d));
  HOLO_ASSIGN_OR_RETURN(const std::vector<uint64_t> oneids, identity::OneIdsOfMatchTags(*store_, tags));
  HOLO_ASSIGN_OR_RETURN(const bool store_has_tags, identity::HasMatchTags(*store_));
  Roaring members;
  for (uint64_t id : oneids) {
    if (id <= UINT32_MAX) members.add(static_cast<uint32_t>(id));
  }
  // The overlap leaves only through the release point; its refusals say nothing of its size.
  Result<Report> profile = GroupProfileOfGroup(members, label, options);
  if (!profile.ok()) {
    return profile.status().WithContext("partner " + std::string(partner) + " (" + UploadText(u) + ")");
  }
  Report r;
  JsonWriter w(&r.json);
  w.BeginObject();
  w.Key("partner").String(partner);
  w.Key("upload");
  WriteUpload(u, store_has_tags, &w);
  w.Key("group_profile").RawValue(profile->json);
  w.EndObject();
  r.text = "partner match " + std::string(partner) + ": " + UploadText(u) + "\nnote: " +
           (store_has_tags ? kNotMatchable : "this store holds no match tags: no identifier is matchable") + "\n" +
           profile->text;
  return r;
}

}  // namespace engine

uint64_t PartnerUploadHashes(std::string_view upload) {
  Result<engine::Upload> u = engine::ReadUpload(upload, /*count_only=*/true);
  return u.ok() ? u->hashes : 0;
}

}  // namespace holo
