// EngineImpl: what the HTTP server needs beyond the CLI: a person's events
// page by page, their segments, a few traits from memory, and credentials.
#include <simdjson.h>
#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "common/coding.h"
#include "common/json_writer.h"
#include "common/strings.h"
#include "common/time_util.h"
#include "common/hex.h"
#include "engine/engine_impl.h"
#include "profile/trait_registry.h"
#include "identity/graph_store.h"
#include "profile/profile_store.h"
#include "storage/event_record.h"
#include "storage/keys.h"

namespace holo::engine {
namespace {

using storage::Cf;
namespace keys = storage::keys;
using privacy::IsStoreIdentifierType;
using privacy::IsStoreSighting;
using privacy::IsStoreTrait;

using storage::keys::CredentialKey;

std::string HashSecret(std::string_view secret) {
  unsigned char out[32];
  crypto_generichash(out, sizeof(out), reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
                     nullptr, 0);
  char hex[65];
  sodium_bin2hex(hex, sizeof(hex), out, sizeof(out));
  return hex;
}

void WriteTraitValue(const segment::TraitValue& v, JsonWriter* w) {
  if (const double* d = std::get_if<double>(&v)) {
    w->Double(*d);
  } else if (const std::string* s = std::get_if<std::string>(&v)) {
    w->String(*s);
  } else if (const auto* set = std::get_if<std::vector<std::string>>(&v)) {
    w->BeginArray();
    for (const std::string& e : *set) w->String(e);
    w->EndArray();
  } else {
    w->Null();
  }
}

}  // namespace

Result<uint64_t> EngineImpl::ResolveId(std::string_view id) { return OneIdOf(id); }

Status EngineImpl::Warm() {
  HOLO_RETURN_IF_ERROR(privacy_.consent().Ensure());
  HOLO_RETURN_IF_ERROR(audiences_.EnsureLoaded());
  return recommend_->Warm();
}

namespace {

// Appends one event object of a ProfileEventsJson / ProfileTimelineJson page.
void WriteEvent(uint64_t seq, const storage::EventRecord& ev, JsonWriter& w) {
  w.BeginObject();
  w.Key("seq").Uint(seq);
  w.Key("timestamp").String(FormatIso8601Ms(ev.timestamp_ms));
  w.Key("source").String(ev.source);
  w.Key("type").String(storage::MessageTypeName(ev.msg_type));
  w.Key("event").String(ev.event);
  w.Key("properties").RawValue(ev.properties_json.empty() ? "{}" : ev.properties_json);
  w.EndObject();
}

// Up to `most` sequence numbers of the events attributed to `members`, the newest by arrival
// first, each below `before_seq` (0: no bound); *more when there were more.
Result<std::vector<uint64_t>> NewestEventSeqs(const storage::Store& store, const std::vector<identity::NodeKey>& members,
                                              uint64_t before_seq, size_t most, bool* more) {
  std::vector<uint64_t> seqs;
  for (const auto& node : members) {
    std::string_view p = keys::AsView(node);
    std::string start(p);
    coding::PutFixed64BE(&start, before_seq == 0 ? UINT64_MAX : before_seq);
    auto it = store.NewCursor(Cf::kNodeEvents);
    size_t taken = 0;
    for (it->SeekForPrev(start); it->Valid() && it->key().starts_with(p) && taken <= most; it->Prev()) {
      uint64_t seq = coding::DecodeFixed64BE(it->key().data() + 16);
      if (before_seq != 0 && seq >= before_seq) continue;
      seqs.push_back(seq);
      ++taken;
    }
    HOLO_RETURN_IF_ERROR(it->status().WithContext("scan node events"));
  }
  std::sort(seqs.begin(), seqs.end(), std::greater<>());
  seqs.erase(std::unique(seqs.begin(), seqs.end()), seqs.end());
  *more = seqs.size() > most;
  if (*more) seqs.resize(most);
  return seqs;
}

}  // namespace

Result<std::string> EngineImpl::ProfileEventsJson(uint64_t oneid, uint64_t before_seq, size_t limit,
                                                  std::string_view use) {
  limit = std::clamp<size_t>(limit, 1, 1000);
  HOLO_ASSIGN_OR_RETURN(const bool store_shown, StoreLinkShown(oneid, use));
  HOLO_ASSIGN_OR_RETURN(auto members, identity::Members(*store_, oneid));
  if (members.empty()) return Status::NotFound("no OneID " + std::to_string(oneid));
  // The newest `limit` sequence numbers below before_seq over every member's index.
  bool more = false;
  HOLO_ASSIGN_OR_RETURN(std::vector<uint64_t> seqs, NewestEventSeqs(*store_, members, before_seq, limit, &more));
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("oneid").Uint(oneid).Key("events").BeginArray();
  storage::EventRecord ev;
  for (uint64_t seq : seqs) {
    HOLO_ASSIGN_OR_RETURN(auto v, store_->Get(Cf::kEvents, keys::EventKey(seq)));
    if (!v.has_value()) continue;
    if (!ev.DecodeFrom(*v)) return Status::DataLoss("corrupt event record " + std::to_string(seq));
    if (!store_shown && IsStoreSighting(ev.event)) continue;
    WriteEvent(seq, ev, w);
  }
  w.EndArray();
  w.Key("next");
  if (more) {
    w.Uint(seqs.back());
  } else {
    w.Null();
  }
  w.EndObject();
  return out;
}

Status EngineImpl::RecentEvents(uint64_t oneid, size_t most, const recommend::ServiceHooks::EventFn& fn) {
  HOLO_ASSIGN_OR_RETURN(auto members, identity::Members(*store_, oneid));
  bool more = false;
  HOLO_ASSIGN_OR_RETURN(std::vector<uint64_t> seqs, NewestEventSeqs(*store_, members, 0, most, &more));
  // One batched read of them, in key order (RocksDB's MultiGet sorts nothing itself).
  std::sort(seqs.begin(), seqs.end());
  std::vector<std::string> keys;
  keys.reserve(seqs.size());
  for (uint64_t seq : seqs) keys.push_back(keys::EventKey(seq));
  const std::vector<std::string_view> views(keys.begin(), keys.end());
  HOLO_ASSIGN_OR_RETURN(auto values, store_->MultiGet(Cf::kEvents, views));
  storage::EventRecord ev;
  const int64_t now = Now();
  for (size_t i = 0; i < values.size(); ++i) {
    if (!values[i].has_value()) continue;
    if (!ev.DecodeFrom(*values[i])) return Status::DataLoss("corrupt event record " + std::to_string(seqs[i]));
    if (store_->retention().Expired(ev.source, ev.timestamp_ms, now)) continue;
    fn(oneid, ev.timestamp_ms, ev.source, ev.event, ev.properties_json);
  }
  return Status::OK();
}

Result<std::string> EngineImpl::ProfileTimelineJson(uint64_t oneid, std::string_view cursor, size_t limit,
                                                    std::string_view use) {
  limit = std::clamp<size_t>(limit, 1, 1000);
  // The cursor: the (time, seq) of the last event shown; the page holds the events after it
  // in (time, seq) descending order.
  int64_t cursor_ts = 0;
  uint64_t cursor_seq = 0;
  const bool has_cursor = !cursor.empty();
  if (has_cursor) {
    const size_t dot = cursor.find('.');
    const auto bad = [&] { return Status::InvalidArgument("bad events cursor " + std::string(cursor.substr(0, 64)) + ": pass back a \"next\" of the page before"); };
    if (dot == std::string_view::npos) return bad();
    const std::string_view ts_text = cursor.substr(0, dot), seq_text = cursor.substr(dot + 1);
    auto [p1, e1] = std::from_chars(ts_text.data(), ts_text.data() + ts_text.size(), cursor_ts);
    auto [p2, e2] = std::from_chars(seq_text.data(), seq_text.data() + seq_text.size(), cursor_seq);
    if (e1 != std::errc() || e2 != std::errc() || p1 != ts_text.data() + ts_text.size() ||
        p2 != seq_text.data() + seq_text.size() || ts_text.empty() || seq_text.empty()) {
      return bad();
    }
  }
  HOLO_ASSIGN_OR_RETURN(const bool store_shown, StoreLinkShown(oneid, use));
  HOLO_ASSIGN_OR_RETURN(auto members, identity::Members(*store_, oneid));
  if (members.empty()) return Status::NotFound("no OneID " + std::to_string(oneid));
  bool truncated = false;
  HOLO_ASSIGN_OR_RETURN(std::vector<uint64_t> seqs,
                        NewestEventSeqs(*store_, members, 0, ServingService::kTimelineMaxEvents, &truncated));
  // Every event's time, read in batches; only the page's events are kept whole.
  struct Entry {
    int64_t ts;
    uint64_t seq;
    bool operator>(const Entry& o) const { return ts != o.ts ? ts > o.ts : seq > o.seq; }
  };
  std::vector<Entry> entries;
  entries.reserve(seqs.size());
  storage::EventRecord ev;
  constexpr size_t kBatch = 1024;
  for (size_t at = 0; at < seqs.size(); at += kBatch) {
    const size_t n = std::min(kBatch, seqs.size() - at);
    std::vector<std::string> key_text(n);
    std::vector<std::string_view> key_views(n);
    for (size_t i = 0; i < n; ++i) {
      key_text[i] = keys::EventKey(seqs[at + i]);
      key_views[i] = key_text[i];
    }
    HOLO_ASSIGN_OR_RETURN(auto values, store_->MultiGet(Cf::kEvents, key_views));
    for (size_t i = 0; i < n; ++i) {
      if (!values[i].has_value()) continue;
      if (!ev.DecodeFrom(*values[i])) return Status::DataLoss("corrupt event record " + std::to_string(seqs[at + i]));
      if (!store_shown && IsStoreSighting(ev.event)) continue;
      const Entry e{ev.timestamp_ms, seqs[at + i]};
      if (has_cursor && !(Entry{cursor_ts, cursor_seq} > e)) continue;
      entries.push_back(e);
    }
  }
  const bool more = entries.size() > limit;
  const size_t shown = std::min(entries.size(), limit);
  std::partial_sort(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(shown), entries.end(), std::greater<>());
  entries.resize(shown);
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("oneid").Uint(oneid).Key("events").BeginArray();
  for (const Entry& e : entries) {
    HOLO_ASSIGN_OR_RETURN(auto v, store_->Get(Cf::kEvents, keys::EventKey(e.seq)));
    if (!v.has_value()) continue;  // erased since the batch read
    if (!ev.DecodeFrom(*v)) return Status::DataLoss("corrupt event record " + std::to_string(e.seq));
    WriteEvent(e.seq, ev, w);
  }
  w.EndArray();
  w.Key("next");
  if (more) {
    w.String(std::to_string(entries.back().ts) + "." + std::to_string(entries.back().seq));
  } else {
    w.Null();
  }
  w.Key("truncated").Bool(truncated);
  w.EndObject();
  return out;
}

Result<std::vector<std::string>> EngineImpl::SegmentsOf(uint64_t oneid, bool wait) {
  return audiences_.SegmentsOf(oneid, wait);
}

Result<bool> EngineImpl::StoreLinkShown(uint64_t oneid, std::string_view use) {
  if (use.empty()) return true;
  auto allowed = ConsentAllows(oneid, "store_link");
  if (allowed.status().code() == StatusCode::kNotFound) return true;  // the policy names no such use
  return allowed;
}

Result<std::string> EngineImpl::ProfileJsonFor(uint64_t oneid, std::string_view use) {
  HOLO_ASSIGN_OR_RETURN(auto json, profile::ReadProfile(*store_, oneid, *audiences_.ComputedTraits()));
  if (!json.has_value()) return Status::NotFound("no profile for OneID " + std::to_string(oneid));
  HOLO_ASSIGN_OR_RETURN(const bool store_shown, StoreLinkShown(oneid, use));
  if (store_shown) return std::move(*json);
  // Rebuilt with the store-visit traits null and the store sensors' identifiers left out.
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(*json).get_object().get(root)) return Status::DataLoss("corrupt profile of OneID " + std::to_string(oneid));
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  for (auto [key, value] : root) {
    w.Key(key);
    simdjson::dom::object inner;
    if ((key == "traits" || key == "identifiers") && !value.get_object().get(inner)) {
      w.BeginObject();
      for (auto [k, v] : inner) {
        if (key == "identifiers" && IsStoreIdentifierType(k)) continue;
        w.Key(k);
        if (key == "traits" && IsStoreTrait(k)) {
          w.Null();
        } else {
          w.RawValue(simdjson::to_string(v));
        }
      }
      w.EndObject();
    } else {
      w.RawValue(simdjson::to_string(value));
    }
  }
  w.EndObject();
  return out;
}

Result<std::string> EngineImpl::TraitsJson(uint64_t oneid, const std::vector<std::string>& names, std::string_view use) {
  HOLO_ASSIGN_OR_RETURN(std::vector<segment::TraitValue> values, audiences_.Values(oneid, names));
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("oneid").Uint(oneid).Key("traits").BeginObject();
  HOLO_ASSIGN_OR_RETURN(const bool store_shown, StoreLinkShown(oneid, use));
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    w.Key(name);
    if (!store_shown && IsStoreTrait(name)) {
      w.Null();
    } else {
      const profile::TraitInfo* info = profile::FindBuiltinTrait(name);
      const segment::TraitValue& value = values[i];
      if (info != nullptr && info->type == profile::TraitType::kBool && std::holds_alternative<double>(value)) {
        w.Bool(std::get<double>(value) != 0);  // the table keeps bools as 0/1
      } else {
        WriteTraitValue(value, &w);
      }
    }
  }
  w.EndObject().EndObject();
  return out;
}

Result<std::string> EngineImpl::CreateCredential(std::string_view kind, std::string_view name, std::string_view role,
                                                 const std::vector<std::string>& allowed_origins) {
  if (kind != "token" && kind != "writekey") return Status::InvalidArgument("credential kind must be token or writekey");
  if (kind == "writekey") HOLO_RETURN_IF_ERROR(ValidateSourceName(name, "the write key"));
  if (name.empty() || name.size() > 64 || name.find_first_of("\t\n") != std::string_view::npos) {
    return Status::InvalidArgument("credential name must be 1-64 characters without tabs or newlines");
  }
  if (kind != "writekey" && !allowed_origins.empty()) {
    return Status::InvalidArgument("only write keys have allowed origins");
  }
  std::vector<std::string> origins;
  for (const std::string& o : allowed_origins) {
    HOLO_ASSIGN_OR_RETURN(std::string normal, NormalizeWebOrigin(o));
    if (std::find(origins.begin(), origins.end(), normal) == origins.end()) origins.push_back(std::move(normal));
  }
  if (origins.size() > 64) return Status::InvalidArgument("a write key allows at most 64 origins");
  unsigned char raw[32];
  randombytes_buf(raw, sizeof(raw));
  char b64[64];
  sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  std::string secret = std::string(kind == "token" ? "hk_" : "hw_") + b64;
  // name \t role [\t origin,origin...] (docs/storage_format.md); keys made before origins
  // existed have no third field, and allow none.
  std::string value(name);
  value.push_back('\t');
  value.append(role);
  if (!origins.empty()) {
    value.push_back('\t');
    for (size_t i = 0; i < origins.size(); ++i) value.append(i == 0 ? "" : ",").append(origins[i]);
  }
  HOLO_RETURN_IF_ERROR(store_->Put(Cf::kMeta, CredentialKey(kind, HashSecret(secret)), value, /*sync=*/true));
  return secret;
}

namespace {

// A stored credential value: name \t role [\t origins].
Engine::Credential ParseCredential(std::string_view v) {
  Engine::Credential c;
  size_t tab = v.find('\t');
  c.name = std::string(v.substr(0, tab));
  if (tab == std::string_view::npos) return c;
  std::string_view rest = v.substr(tab + 1);
  size_t tab2 = rest.find('\t');
  c.role = std::string(rest.substr(0, tab2));
  if (tab2 == std::string_view::npos) return c;
  c.allowed_origins = SplitNonEmpty(rest.substr(tab2 + 1), ',');
  return c;
}

}  // namespace

Result<std::optional<Engine::Credential>> EngineImpl::CheckCredential(std::string_view kind, std::string_view secret) {
  if (secret.empty() || secret.size() > 256) return std::optional<Credential>();
  HOLO_ASSIGN_OR_RETURN(auto v, store_->Get(Cf::kMeta, CredentialKey(kind, HashSecret(secret))));
  if (!v.has_value()) return std::optional<Credential>();
  return std::optional<Credential>(ParseCredential(*v));
}

namespace {

constexpr size_t kCredentialIdDigits = 12;

Status CheckCredentialKind(std::string_view kind) {
  if (kind != "token" && kind != "writekey") return Status::InvalidArgument("credential kind must be token or writekey");
  return Status::OK();
}

}  // namespace

Result<std::vector<Engine::Credential>> EngineImpl::ListCredentials(std::string_view kind) {
  HOLO_RETURN_IF_ERROR(CheckCredentialKind(kind));
  const std::string prefix = CredentialKey(kind, "");
  storage::ScanOptions so;
  so.upper_bound = prefix;
  so.upper_bound.back() = static_cast<char>(so.upper_bound.back() + 1);  // '/' + 1
  auto it = store_->NewCursor(Cf::kMeta, so);
  std::vector<Credential> out;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    Credential c = ParseCredential(it->value());
    c.id = std::string(it->key().substr(prefix.size(), kCredentialIdDigits));
    out.push_back(std::move(c));
  }
  HOLO_RETURN_IF_ERROR(it->status().WithContext("list the credentials"));
  std::sort(out.begin(), out.end(), [](const Credential& a, const Credential& b) {
    return a.name != b.name ? a.name < b.name : a.id < b.id;
  });
  return out;
}

Result<std::vector<Engine::Credential>> EngineImpl::RevokeCredentials(std::string_view kind, std::string_view id_or_name) {
  HOLO_RETURN_IF_ERROR(CheckCredentialKind(kind));
  if (id_or_name.empty()) return Status::InvalidArgument("name the credential to revoke: its id or its name");
  const std::string prefix = CredentialKey(kind, "");
  const bool hex_id = id_or_name.size() >= 6 && id_or_name.size() <= 64 &&
                      std::all_of(id_or_name.begin(), id_or_name.end(), [](char c) { return hex::IsLowerDigit(c); });
  storage::ScanOptions so;
  so.upper_bound = prefix;
  so.upper_bound.back() = static_cast<char>(so.upper_bound.back() + 1);
  auto it = store_->NewCursor(Cf::kMeta, so);
  std::vector<Credential> by_id, by_name;
  std::vector<std::string> id_keys, name_keys;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    const std::string_view hash = it->key().substr(prefix.size());
    Credential c = ParseCredential(it->value());
    c.id = std::string(hash.substr(0, kCredentialIdDigits));
    if (hex_id && hash.starts_with(id_or_name)) {
      by_id.push_back(c);
      id_keys.emplace_back(it->key());
    }
    if (c.name == id_or_name) {
      by_name.push_back(c);
      name_keys.emplace_back(it->key());
    }
  }
  HOLO_RETURN_IF_ERROR(it->status().WithContext("list the credentials"));
  if (by_id.size() > 1) {
    return Status::InvalidArgument("the id prefix '" + std::string(id_or_name) + "' names " +
                                   std::to_string(by_id.size()) + " " + std::string(kind) + "s: give more digits");
  }
  const bool use_id = !by_id.empty();
  std::vector<Credential>& revoked = use_id ? by_id : by_name;
  if (revoked.empty()) {
    return Status::NotFound("no " + std::string(kind) + " has the id or name '" + std::string(id_or_name) + "'");
  }
  storage::WriteBatch batch(*store_);
  for (const std::string& k : use_id ? id_keys : name_keys) batch.Delete(Cf::kMeta, k);
  HOLO_RETURN_IF_ERROR(store_->Write(&batch, /*sync=*/true));
  return std::move(revoked);
}

Result<std::vector<std::string>> EngineImpl::WriteKeyOrigins() {
  const std::string prefix = CredentialKey("writekey", "");
  storage::ScanOptions so;
  so.upper_bound = prefix;
  so.upper_bound.back() = static_cast<char>(so.upper_bound.back() + 1);  // '/' + 1
  auto it = store_->NewCursor(Cf::kMeta, so);
  std::vector<std::string> out;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    for (std::string& o : ParseCredential(it->value()).allowed_origins) out.push_back(std::move(o));
  }
  HOLO_RETURN_IF_ERROR(it->status());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace holo::engine

namespace holo {

Result<std::string> NormalizeWebOrigin(std::string_view origin) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("'" + std::string(origin.substr(0, 200)) + "' is not a web origin (" +
                                   std::string(why) + "); write it as https://host[:port], or * for any");
  };
  if (origin == "*") return std::string("*");
  std::string o;
  for (char c : origin) o.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  if (!o.empty() && o.back() == '/') o.pop_back();
  std::string scheme;
  if (o.rfind("http://", 0) == 0) {
    scheme = "http";
  } else if (o.rfind("https://", 0) == 0) {
    scheme = "https";
  } else {
    return bad("the scheme must be http or https");
  }
  std::string_view hostport = std::string_view(o).substr(scheme.size() + 3);
  if (hostport.empty() || hostport.size() > 255) return bad("no host");
  std::string_view host = hostport, port;
  bool has_port = false;
  if (hostport.front() == '[') {  // [IPv6]
    size_t close = hostport.find(']');
    if (close == std::string_view::npos) return bad("an unclosed [");
    for (char c : hostport.substr(1, close - 1)) {
      if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.')) return bad("a bad IPv6 address");
    }
    host = hostport.substr(0, close + 1);
    std::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("a path, a query or something else after the host");
      port = after.substr(1);
      has_port = true;
    }
  } else {
    size_t colon = hostport.find(':');
    if (colon != std::string_view::npos) {
      host = hostport.substr(0, colon);
      port = hostport.substr(colon + 1);
      has_port = true;
    }
    if (host.empty()) return bad("no host");
    for (char c : host) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_')) {
        return bad("a path, a query, user info or a character a host name does not have");
      }
    }
  }
  if (has_port) {
    if (port.empty() || port.size() > 5) return bad("a bad port");
    for (char c : port) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return bad("a bad port");
    }
    int p = std::stoi(std::string(port));
    if (p < 1 || p > 65535) return bad("a bad port");
    std::string out = scheme + "://" + std::string(host);
    if (!((scheme == "http" && p == 80) || (scheme == "https" && p == 443))) out += ":" + std::to_string(p);
    return out;
  }
  return scheme + "://" + std::string(host);
}

PreparedMessages::PreparedMessages() = default;
PreparedMessages::~PreparedMessages() = default;
PreparedMessages::PreparedMessages(PreparedMessages&&) noexcept = default;
PreparedMessages& PreparedMessages::operator=(PreparedMessages&&) noexcept = default;

}  // namespace holo
