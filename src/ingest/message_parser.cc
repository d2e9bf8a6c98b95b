#include "ingest/message_parser.h"

#include "common/json_writer.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <utility>

#include <arpa/inet.h>

#include "common/time_util.h"
#include "privacy/normalize.h"
#include "storage/event_record.h"

namespace holo::ingest {
namespace {

namespace dom = simdjson::dom;

// Longest value quoted inside an error message.
constexpr size_t kMaxQuotedBytes = 64;

// Keys dropped from the top level of identify/group "traits" (Segment reserved traits that
// are personal data; "address" is an object holding the street).
constexpr std::string_view kTraitPiiKeys[] = {"email",    "phone",      "name",      "firstName",
                                              "lastName", "first_name", "last_name", "address"};
// Keys dropped from the top level of track/page/screen "properties".
constexpr std::string_view kPropertyPiiKeys[] = {"email", "phone"};
// Objects inside "properties" whose personal fields are dropped (city, postcode, ... are kept).
constexpr std::string_view kAddressObjects[] = {"shipping_address", "billing_address"};
constexpr std::string_view kAddressPiiKeys[] = {"name", "phone", "street", "email"};

template <size_t N>
bool OneOf(std::string_view key, const std::string_view (&set)[N]) {
  for (std::string_view s : set) {
    if (key == s) return true;
  }
  return false;
}

// Returns `v` single-quoted for an error message: cut to kMaxQuotedBytes (at a UTF-8 character
// boundary, with "..." appended) and with control characters replaced so the message stays on
// one line. `v` is valid UTF-8 (the whole line was validated).
std::string Quote(std::string_view v) {
  std::string out = "'";
  bool cut = false;
  if (v.size() > kMaxQuotedBytes) {
    size_t n = kMaxQuotedBytes;
    while (n > 0 && (static_cast<unsigned char>(v[n]) & 0xC0) == 0x80) --n;
    v = v.substr(0, n);
    cut = true;
  }
  for (char c : v) out.push_back(static_cast<unsigned char>(c) < 0x20 ? '?' : c);
  if (cut) out += "...";
  out.push_back('\'');
  return out;
}

Status Invalid(std::string msg) { return Status::InvalidArgument(std::move(msg)); }


template <typename T>
void AppendNumber(T v, std::string* out) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);  // shortest round-trip for double
  out->append(buf, res.ptr);
}

// REQUIRES: e is an object / an array. (Returned by value: a range-for directly over
// value_unsafe() of a temporary simdjson_result would iterate a destroyed temporary.)
dom::object AsObject(dom::element e) { return e.get_object().value_unsafe(); }
dom::array AsArray(dom::element e) { return e.get_array().value_unsafe(); }

// kGroupTraits: the traits of a group call, which describe the account (a company): its
// "name" is kept, the other personal keys of kTraitPiiKeys are dropped as in identify.
enum class Filter { kNone, kTraits, kGroupTraits, kProperties, kAddress };

// What AppendJson needs to replace identifiers inside properties by pseudonyms.
struct Rewrite {
  const privacy::Pseudonymizer* pseudonymizer = nullptr;
  const std::map<std::string, std::string, std::less<>>* references = nullptr;
  std::string_view user_type;  // "@source" references
  std::vector<std::string>* vault = nullptr;  // when set: addresses' personal fields (ParsedMessage::vault)

  // Returns the hex pseudonym of reference property `key` = `value`, or "" when `key` is not
  // a reference property.
  std::string Reference(std::string_view key, std::string_view value) const {
    if (references == nullptr) return "";
    auto it = references->find(key);
    if (it == references->end()) return "";
    std::string_view type = it->second == "@source" ? user_type : std::string_view(it->second);
    return privacy::PseudonymToHex(pseudonymizer->Hash(type, value));
  }
};

// Appends `e` as minified JSON. `filter` applies to the keys of `e` itself if it is an object.
void AppendJson(dom::element e, Filter filter, std::string* out, const Rewrite& rw) {
  switch (e.type()) {
    case dom::element_type::OBJECT: {
      dom::object obj = AsObject(e);
      out->push_back('{');
      bool first = true;
      std::string_view street, postcode;
      std::string vault_entry;  // {"name":...,"street":...} of an address, for the vault
      bool vault_pii = false;
      for (dom::key_value_pair kv : obj) {
        Filter child = Filter::kNone;
        if (filter == Filter::kTraits && OneOf(kv.key, kTraitPiiKeys)) continue;
        if (filter == Filter::kGroupTraits && kv.key != "name" && OneOf(kv.key, kTraitPiiKeys)) continue;
        if ((filter == Filter::kProperties || filter == Filter::kTraits || filter == Filter::kGroupTraits) &&
            (kv.key == storage::kContextProperty || kv.key == storage::kGroupProperty)) {
          continue;
        }
        if (filter == Filter::kProperties) {
          if (OneOf(kv.key, kPropertyPiiKeys)) continue;
          if (OneOf(kv.key, kAddressObjects)) child = Filter::kAddress;
          std::string_view value;
          if (kv.value.get_string().get(value) == simdjson::SUCCESS && !value.empty()) {
            std::string ref = rw.Reference(kv.key, value);
            if (!ref.empty()) {
              if (!first) out->push_back(',');
              first = false;
              JsonWriter::AppendQuoted(kv.key, out);
              out->push_back(':');
              JsonWriter::AppendQuoted(ref, out);
              continue;
            }
          }
        }
        if (filter == Filter::kAddress) {
          if (kv.key == "street" && kv.value.get_string().get(street) != simdjson::SUCCESS) street = {};
          if (kv.key == "postcode" && kv.value.get_string().get(postcode) != simdjson::SUCCESS) postcode = {};
          std::string_view text;
          if (rw.vault != nullptr && (OneOf(kv.key, kAddressPiiKeys) || kv.key == "city" || kv.key == "postcode") &&
              kv.value.get_string().get(text) == simdjson::SUCCESS && !text.empty()) {
            vault_entry.push_back(vault_entry.empty() ? '{' : ',');
            JsonWriter::AppendQuoted(kv.key, &vault_entry);
            vault_entry.push_back(':');
            JsonWriter::AppendQuoted(text, &vault_entry);
            vault_pii = vault_pii || OneOf(kv.key, kAddressPiiKeys);
          }
          if (OneOf(kv.key, kAddressPiiKeys) || kv.key == "address_key") continue;
        }
        if (!first) out->push_back(',');
        first = false;
        JsonWriter::AppendQuoted(kv.key, out);
        out->push_back(':');
        AppendJson(kv.value, child, out, rw);
      }
      if (filter == Filter::kAddress && rw.pseudonymizer != nullptr) {
        std::string key_text = privacy::AddressKeyText(street, postcode);
        if (!key_text.empty()) {
          if (!first) out->push_back(',');
          out->append("\"address_key\":");
          JsonWriter::AppendQuoted(privacy::PseudonymToHex(rw.pseudonymizer->Hash("address", key_text)), out);
        }
      }
      if (vault_pii) rw.vault->push_back(vault_entry + "}");
      out->push_back('}');
      return;
    }
    case dom::element_type::ARRAY: {
      dom::array arr = AsArray(e);
      out->push_back('[');
      bool first = true;
      for (dom::element item : arr) {
        if (!first) out->push_back(',');
        first = false;
        // An array of addresses keeps its address filter; other arrays are copied verbatim.
        AppendJson(item, filter == Filter::kAddress ? Filter::kAddress : Filter::kNone, out, rw);
      }
      out->push_back(']');
      return;
    }
    case dom::element_type::STRING:
      JsonWriter::AppendQuoted(e.get_string().value_unsafe(), out);
      return;
    case dom::element_type::INT64:
      AppendNumber(e.get_int64().value_unsafe(), out);
      return;
    case dom::element_type::UINT64:
      AppendNumber(e.get_uint64().value_unsafe(), out);
      return;
    case dom::element_type::DOUBLE:
      AppendNumber(e.get_double().value_unsafe(), out);
      return;
    case dom::element_type::BOOL:
      out->append(e.get_bool().value_unsafe() ? "true" : "false");
      return;
    case dom::element_type::NULL_VALUE:
      out->append("null");
      return;
  }
}

// A top-level or nested field captured during the single pass over an object.
struct Field {
  dom::element value;
  bool present = false;  // present and not null

  void Set(dom::element v) {
    value = v;
    present = !v.is_null();
  }
};

// "3.2 days", "5 h", "12 min": how far a timestamp is ahead of the clock.
std::string Ahead(int64_t ms) {
  char buf[48];
  if (ms >= 2 * 86400000LL) {
    std::snprintf(buf, sizeof buf, "%.1f days", static_cast<double>(ms) / 86400000.0);
  } else if (ms >= 2 * 3600000LL) {
    std::snprintf(buf, sizeof buf, "%lld h", static_cast<long long>(ms / 3600000LL));
  } else {
    std::snprintf(buf, sizeof buf, "%lld min", static_cast<long long>(ms / 60000LL));
  }
  return buf;
}

enum class IdRead { kAbsent, kOk, kBadType };

// Reads an identifier value: a string, or an integer written as its decimal string (Segment
// clients accept numeric user ids). An empty string counts as absent. `scratch` holds the
// digits of an integer and must outlive *out.
IdRead ReadIdValue(const Field& f, std::string_view* out, char (&scratch)[24]) {
  if (!f.present) return IdRead::kAbsent;
  switch (f.value.type()) {
    case dom::element_type::STRING:
      *out = f.value.get_string().value_unsafe();
      return out->empty() ? IdRead::kAbsent : IdRead::kOk;
    case dom::element_type::INT64: {
      auto r =
          std::to_chars(scratch, scratch + sizeof(scratch), f.value.get_int64().value_unsafe());
      *out = std::string_view(scratch, r.ptr - scratch);
      return IdRead::kOk;
    }
    case dom::element_type::UINT64: {
      auto r =
          std::to_chars(scratch, scratch + sizeof(scratch), f.value.get_uint64().value_unsafe());
      *out = std::string_view(scratch, r.ptr - scratch);
      return IdRead::kOk;
    }
    default:
      return IdRead::kBadType;
  }
}

bool ParseType(std::string_view s, MessageType* t) {
  switch (s.size()) {
    case 4:
      if (s == "page") return *t = MessageType::kPage, true;
      return false;
    case 5:
      if (s == "track") return *t = MessageType::kTrack, true;
      if (s == "alias") return *t = MessageType::kAlias, true;
      if (s == "group") return *t = MessageType::kGroup, true;
      return false;
    case 6:
      if (s == "screen") return *t = MessageType::kScreen, true;
      return false;
    case 8:
      if (s == "identify") return *t = MessageType::kIdentify, true;
      return false;
    default:
      return false;
  }
}

}  // namespace

ParserOptions ParserOptions::Defaults() {
  ParserOptions o;
  o.source_namespace = {{"tmall", "taobao"}, {"store_beacon", "taobao"}};
  for (const char* ns :
       {"taobao", "alipay", "eleme", "youku", "fliggy", "amap", "weibo", "minigame"}) {
    o.account_id_types[std::string(ns) + "_id"] = ns;
  }
  o.reference_properties = {{"invited_by", "@source"}, {"card_owner", "user_id@alipay"}};
  return o;
}

namespace {

// ---- context: the whitelisted part kept with the event (storage::kContextProperty) ----

// Longest context value kept (a longer one is dropped, not cut: a cut URL is a wrong URL).
constexpr size_t kMaxContextValueBytes = 2048;

// The objects of `context` kept, and the fields kept of each. Identifiers (device.id,
// device.advertisingId) become pseudonymized identifiers, never context; context.traits is
// never kept (its email/phone become identifiers, the rest is personal data).
struct ContextObject {
  std::string_view name;
  std::initializer_list<std::string_view> fields;
};
const ContextObject kContextObjects[] = {
    {"page", {"url", "path", "referrer", "title", "search"}},
    {"campaign", {"source", "medium", "name", "term", "content"}},
    {"library", {"name", "version"}},
    {"app", {"name", "version", "build", "namespace"}},
    {"device", {"type", "manufacturer", "model"}},
    {"os", {"name", "version"}},
};
// Top-level string fields of `context` kept as sent.
constexpr std::string_view kContextStrings[] = {"userAgent", "locale", "timezone"};

bool KeptContextValue(dom::element v) {
  switch (v.type()) {
    case dom::element_type::STRING: {
      std::string_view text = v.get_string().value_unsafe();
      return !text.empty() && text.size() <= kMaxContextValueBytes;
    }
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE:
      return true;
    default:
      return false;
  }
}

void AppendContextKey(std::string_view key, bool* first, std::string* out) {
  out->push_back(*first ? '{' : ',');
  *first = false;
  JsonWriter::AppendQuoted(key, out);
  out->push_back(':');
}

// Appends the kept part of `context` (an object) as a JSON object to `out`, or nothing when
// nothing is kept. Fields in the order sent.
void AppendContext(dom::element context, IpPolicy ip_policy, std::string* out) {
  bool first = true;
  for (dom::key_value_pair kv : AsObject(context)) {
    if (OneOf(kv.key, kContextStrings)) {
      if (kv.value.type() != dom::element_type::STRING || !KeptContextValue(kv.value)) continue;
      AppendContextKey(kv.key, &first, out);
      JsonWriter::AppendQuoted(kv.value.get_string().value_unsafe(), out);
      continue;
    }
    if (kv.key == "ip") {
      std::string_view ip;
      if (ip_policy == IpPolicy::kDrop || kv.value.get_string().get(ip) != simdjson::SUCCESS) continue;
      std::string kept = ApplyIpPolicy(ip, ip_policy);
      if (kept.empty()) continue;
      AppendContextKey("ip", &first, out);
      JsonWriter::AppendQuoted(kept, out);
      continue;
    }
    const ContextObject* object = nullptr;
    for (const ContextObject& o : kContextObjects) {
      if (kv.key == o.name) object = &o;
    }
    if (object == nullptr || kv.value.type() != dom::element_type::OBJECT) continue;
    bool inner_first = true;
    for (dom::key_value_pair field : AsObject(kv.value)) {
      if (std::find(object->fields.begin(), object->fields.end(), field.key) == object->fields.end() ||
          !KeptContextValue(field.value)) {
        continue;
      }
      if (inner_first) AppendContextKey(kv.key, &first, out);
      AppendContextKey(field.key, &inner_first, out);
      if (field.value.type() == dom::element_type::STRING) {
        JsonWriter::AppendQuoted(field.value.get_string().value_unsafe(), out);
      } else {
        out->append(simdjson::minify(field.value));
      }
    }
    if (!inner_first) out->push_back('}');
  }
  if (!first) out->push_back('}');
}

}  // namespace

std::string_view IpPolicyName(IpPolicy p) {
  switch (p) {
    case IpPolicy::kKeep:
      return "keep";
    case IpPolicy::kTruncate:
      return "truncate";
    case IpPolicy::kDrop:
      return "drop";
  }
  return "truncate";
}

Result<IpPolicy> ParseIpPolicy(std::string_view name) {
  for (IpPolicy p : {IpPolicy::kKeep, IpPolicy::kTruncate, IpPolicy::kDrop}) {
    if (name == IpPolicyName(p)) return p;
  }
  return Status::InvalidArgument("unknown IP policy " + Quote(name) + " (keep, truncate or drop)");
}

std::string ApplyIpPolicy(std::string_view ip, IpPolicy policy) {
  if (policy == IpPolicy::kDrop || ip.empty() || ip.size() >= INET6_ADDRSTRLEN) return "";
  char text[INET6_ADDRSTRLEN];
  std::memcpy(text, ip.data(), ip.size());
  text[ip.size()] = '\0';
  unsigned char addr[16];
  int family = AF_INET;
  if (inet_pton(AF_INET, text, addr) != 1) {
    family = AF_INET6;
    if (inet_pton(AF_INET6, text, addr) != 1) return "";
  }
  if (policy == IpPolicy::kTruncate) {
    if (family == AF_INET) {
      addr[3] = 0;  // /24
    } else {
      std::memset(addr + 6, 0, 10);  // /48
    }
  }
  char out[INET6_ADDRSTRLEN];
  if (inet_ntop(family, addr, out, sizeof(out)) == nullptr) return "";
  return out;
}

class MessageParser::Impl {
 public:
  Impl(ParserOptions options, const privacy::Pseudonymizer* pseudonymizer)
      : options_(std::move(options)), pseudonymizer_(pseudonymizer) {
    for (const auto& [type, ns] : options_.account_id_types) {
      account_types_.emplace(type, "user_id@" + ns);
    }
  }

  Result<ParsedMessage> Parse(std::string_view line, std::string_view source, int64_t now_ms,
                              std::string_view implied_type);

  const ParserOptions& options() const { return options_; }

 private:
  void SetSource(std::string_view source);
  // Adds an identifier whose value needs no normalization (user ids, device ids, cookies, ...).
  void AddPlain(std::string_view type, std::string_view value, IdRole role, ParsedMessage* m);
  // Normalizes an email/phone/mac value and adds it, or records a warning naming `where`.
  void AddNormalized(std::string_view type, std::string_view raw, IdRole role,
                     std::string_view where, ParsedMessage* m);
  // Returns the identifier added, or null when the message already has it.
  ParsedIdentifier* AddId(std::string_view type, std::string_view value, IdRole role, bool placeholder,
                          ParsedMessage* m);
  // traits.email / traits.phone (or the same under context.traits).
  void AddTraitIds(dom::element traits, std::string_view where, ParsedMessage* m);
  void AddExternalIds(dom::element ids, ParsedMessage* m);

  ParserOptions options_;
  const privacy::Pseudonymizer* pseudonymizer_;
  std::map<std::string, std::string, std::less<>> account_types_;  // type -> "user_id@ns"

  dom::parser parser_;
  std::unique_ptr<char[]> buf_;  // padded copy of the line for simdjson
  size_t buf_capacity_ = 0;

  // Identifier types for the last source seen (files are single-source: computed once).
  bool have_source_ = false;
  std::string source_;
  std::string user_type_;  // "user_id@<ns>"
  std::string group_type_;  // "group_id@<ns>" (GroupIdType)
  std::string anon_type_;  // "anonymous_id@<source>"
  std::string phone_region_;  // where the source's phones without a country code are read
  IpPolicy ip_policy_ = IpPolicy::kTruncate;  // what is kept of the source's context.ip
};

void MessageParser::Impl::SetSource(std::string_view source) {
  if (have_source_ && source == source_) return;
  have_source_ = true;
  source_.assign(source);
  auto it = options_.source_namespace.find(source_);
  const std::string& ns = it == options_.source_namespace.end() ? source_ : it->second;
  user_type_ = "user_id@" + ns;
  group_type_ = GroupIdType(ns);
  anon_type_ = "anonymous_id@" + source_;
  auto region = options_.phone_region_by_source.find(source_);
  phone_region_ = region == options_.phone_region_by_source.end() ? options_.default_phone_region : region->second;
  auto ip = options_.ip_policy_by_source.find(source_);
  ip_policy_ = ip == options_.ip_policy_by_source.end() ? options_.default_ip_policy : ip->second;
}

ParsedIdentifier* MessageParser::Impl::AddId(std::string_view type, std::string_view value, IdRole role,
                                             bool placeholder, ParsedMessage* m) {
  const privacy::Pseudonym p = pseudonymizer_->Hash(type, value);
  for (const ParsedIdentifier& id : m->ids) {
    if (id.pseudonym == p) return nullptr;
  }
  ParsedIdentifier& id = m->ids.emplace_back();
  id.type.assign(type);
  id.pseudonym = p;
  id.role = role;
  id.placeholder = placeholder;
  return &id;
}

void MessageParser::Impl::AddPlain(std::string_view type, std::string_view value, IdRole role,
                                   ParsedMessage* m) {
  // Same rule as lookups: a placeholder value, or a randomized MAC used as an id.
  bool placeholder = false;
  Result<std::string> unused = privacy::NormalizeIdentifierValue(type, value, &placeholder);
  (void)unused;
  AddId(type, value, role, placeholder, m);
}

void MessageParser::Impl::AddNormalized(std::string_view type, std::string_view raw, IdRole role,
                                        std::string_view where, ParsedMessage* m) {
  bool placeholder = false;
  Result<std::string> v =
      privacy::NormalizeIdentifierValue(type, raw, &placeholder, phone_region_);
  if (!v.ok()) {
    std::string w = "invalid ";
    w += type;
    w += " in ";
    w += where;
    w += ": ";
    w += v.status().message();
    m->warnings.push_back(std::move(w));
    return;
  }
  ParsedIdentifier* id = AddId(type, *v, role, placeholder, m);
  if (id != nullptr && !placeholder && (type == "email" || type == "phone")) {
    // One SHA-256 and one BLAKE2b: what lets a partner's hash of the same value find it.
    id->has_match_tag = true;
    id->match_tag = pseudonymizer_->MatchTag(privacy::Sha256Of(*v));
  }
}

void MessageParser::Impl::AddTraitIds(dom::element traits, std::string_view where,
                                      ParsedMessage* m) {
  if (traits.type() != dom::element_type::OBJECT) {
    if (!traits.is_null())
      m->warnings.push_back(std::string(where) + " must be an object; ignored");
    return;
  }
  Field email, phone;
  for (dom::key_value_pair kv : AsObject(traits)) {
    if (kv.key == "email")
      email.Set(kv.value);
    else if (kv.key == "phone")
      phone.Set(kv.value);
  }
  char scratch[24];
  std::string_view v;
  const std::pair<Field*, std::string_view> fields[] = {{&email, "email"}, {&phone, "phone"}};
  for (auto [field, type] : fields) {
    switch (ReadIdValue(*field, &v, scratch)) {
      case IdRead::kAbsent:
        break;
      case IdRead::kOk:
        AddNormalized(type, v, type == "email" ? IdRole::kTraitEmail : IdRole::kTraitPhone,
                      std::string(where) + "." + std::string(type), m);
        break;
      case IdRead::kBadType:
        m->warnings.push_back(std::string(where) + "." + std::string(type) +
                              " must be a string; ignored");
        break;
    }
  }
}

void MessageParser::Impl::AddExternalIds(dom::element ids, ParsedMessage* m) {
  if (ids.type() != dom::element_type::ARRAY) {
    if (!ids.is_null()) m->warnings.push_back("context.externalIds must be an array; ignored");
    return;
  }
  size_t index = 0;
  char scratch[24];
  for (dom::element item : AsArray(ids)) {
    const size_t i = index++;
    auto where = [i] { return "context.externalIds[" + std::to_string(i) + "]"; };
    if (item.type() != dom::element_type::OBJECT) {
      m->warnings.push_back(where() + " must be an object; ignored");
      continue;
    }
    Field id, type;
    for (dom::key_value_pair kv : AsObject(item)) {
      if (kv.key == "id")
        id.Set(kv.value);
      else if (kv.key == "type")
        type.Set(kv.value);
    }
    std::string_view type_sv;
    if (!type.present || type.value.type() != dom::element_type::STRING ||
        (type_sv = type.value.get_string().value_unsafe()).empty()) {
      m->warnings.push_back(where() + ".type must be a non-empty string; ignored");
      continue;
    }
    std::string_view value;
    if (ReadIdValue(id, &value, scratch) != IdRead::kOk) {
      m->warnings.push_back(where() + ".id must be a non-empty string; ignored");
      continue;
    }
    if (auto it = account_types_.find(type_sv); it != account_types_.end()) {
      AddPlain(it->second, value, IdRole::kExternalId, m);
    } else if (type_sv == "mac" || type_sv == "email" || type_sv == "phone") {
      AddNormalized(type_sv, value, IdRole::kExternalId, where(), m);
    } else {
      AddPlain(type_sv, value, IdRole::kExternalId, m);
    }
  }
}

// A message stamped beyond the allowed skew ahead of `now_ms`: corrected from sentAt
// (Segment's rule for skewed client clocks) or refused (ParserOptions::max_future_skew_ms).
static Status CheckFutureSkew(const ParserOptions& options, std::string_view source, int64_t now_ms, const Field& sent_at,
                       std::string_view stamp, ParsedMessage* m) {
  auto per_source = options.future_skew_ms_by_source.find(source);
  const int64_t skew =
      per_source != options.future_skew_ms_by_source.end() ? per_source->second : options.max_future_skew_ms;
  if (m->timestamp_ms - now_ms <= skew) return Status::OK();
  const int64_t ahead = m->timestamp_ms - now_ms;
  std::string_view sent;
  if (sent_at.present && sent_at.value.get_string().get(sent) == simdjson::SUCCESS) {
    Result<int64_t> sent_ms = ParseIso8601Ms(sent);
    if (sent_ms.ok()) {
      // The sender's clock runs (sentAt - now) ahead: the event happened that much earlier.
      const int64_t corrected = now_ms - (*sent_ms - m->timestamp_ms);
      if (corrected - now_ms <= skew) {
        m->warnings.push_back("timestamp " + Quote(stamp) + " was " + Ahead(ahead) +
                              " ahead of the clock; corrected from sentAt (the sender's clock is skewed)");
        m->timestamp_ms = corrected;
        return Status::OK();
      }
    }
  }
  return Invalid("timestamp " + Quote(stamp) + " is " + Ahead(ahead) + " " + std::string(kAheadOfClock) + " (source " + Quote(source) +
                 " allows " + Ahead(skew) + "); the sender's clock is wrong: send sentAt, or fix the timestamp");
}

// The messageId of a message sent without one: kContentIdPrefix + the keyed hash (hex) of
// its canonical content — type, event/name, userId, anonymousId, previousId, groupId,
// timestamp, originalTimestamp, properties, traits, context.traits and context.externalIds as
// sent (minified) — so the same message sent twice (a client retry: only sentAt differs) is
// stored once. The hash is keyed: the content holds raw identifiers and traits.
static std::string ContentMessageId(dom::element root, MessageType type, std::string_view source,
                                    const privacy::Pseudonymizer& pseudonymizer) {
  std::string canonical;
  canonical.push_back(static_cast<char>(type));
  for (const char* key : {"event", "name", "userId", "anonymousId", "previousId", "groupId", "timestamp",
                          "originalTimestamp", "properties", "traits"}) {
    canonical.push_back('\0');
    dom::element v;
    if (root[key].get(v) == simdjson::SUCCESS) canonical += simdjson::minify(v);
  }
  for (const char* key : {"traits", "externalIds"}) {
    canonical.push_back('\0');
    dom::element v;
    if (root["context"][key].get(v) == simdjson::SUCCESS) canonical += simdjson::minify(v);
  }
  return std::string(kContentIdPrefix) + privacy::PseudonymToHex(pseudonymizer.Hash(std::string("message@") + std::string(source), canonical));
}

Result<ParsedMessage> MessageParser::Impl::Parse(std::string_view line, std::string_view source,
                                                 int64_t now_ms, std::string_view implied_type) {
  if (line.size() > options_.max_line_bytes) {
    return Invalid("line exceeds " + std::to_string(options_.max_line_bytes) + " bytes");
  }
  if (!simdjson::validate_utf8(line.data(), line.size())) return Invalid("invalid UTF-8");
  if (source.empty()) return Invalid("empty source name");

  // simdjson reads up to SIMDJSON_PADDING bytes past the end: parse from our own padded copy.
  if (buf_capacity_ < line.size()) {
    buf_capacity_ = std::max(line.size(), options_.max_line_bytes);
    buf_.reset(new char[buf_capacity_ + simdjson::SIMDJSON_PADDING]);
  }
  std::memcpy(buf_.get(), line.data(), line.size());
  std::memset(buf_.get() + line.size(), 0, simdjson::SIMDJSON_PADDING);

  dom::element root;
  if (auto err = parser_.parse(buf_.get(), line.size(), false).get(root)) {
    return Invalid(std::string("invalid JSON: ") + simdjson::error_message(err));
  }
  if (root.type() != dom::element_type::OBJECT) return Invalid("message is not a JSON object");

  // One pass over the top-level keys.
  Field type, message_id, event, name, user_id, anonymous_id, previous_id, group_id, timestamp,
      original_timestamp, received_at, sent_at, context, traits, properties;
  for (dom::key_value_pair kv : AsObject(root)) {
    std::string_view k = kv.key;
    if (k.empty()) continue;
    switch (k[0]) {
      case 't':
        if (k == "type")
          type.Set(kv.value);
        else if (k == "timestamp")
          timestamp.Set(kv.value);
        else if (k == "traits")
          traits.Set(kv.value);
        break;
      case 'm':
        if (k == "messageId") message_id.Set(kv.value);
        break;
      case 'e':
        if (k == "event") event.Set(kv.value);
        break;
      case 'n':
        if (k == "name") name.Set(kv.value);
        break;
      case 'u':
        if (k == "userId") user_id.Set(kv.value);
        break;
      case 'a':
        if (k == "anonymousId") anonymous_id.Set(kv.value);
        break;
      case 'p':
        if (k == "previousId")
          previous_id.Set(kv.value);
        else if (k == "properties")
          properties.Set(kv.value);
        break;
      case 'g':
        if (k == "groupId") group_id.Set(kv.value);
        break;
      case 'o':
        if (k == "originalTimestamp") original_timestamp.Set(kv.value);
        break;
      case 'r':
        if (k == "receivedAt") received_at.Set(kv.value);
        break;
      case 's':
        if (k == "sentAt") sent_at.Set(kv.value);
        break;
      case 'c':
        if (k == "context") context.Set(kv.value);
        break;
      default:
        break;
    }
  }

  ParsedMessage m;

  // type
  if (!type.present && implied_type.empty()) return Invalid("missing required field 'type'");
  if (type.present && type.value.type() != dom::element_type::STRING) return Invalid("type must be a string");
  {
    std::string_view t = type.present ? type.value.get_string().value_unsafe() : implied_type;
    if (!ParseType(t, &m.type)) {
      // Quoted only when it reads as a word: the reason stays in clear in the dead letters,
      // and a client could put anything (an e-mail) in the field.
      const bool word = !t.empty() && t.size() <= 24 &&
                        std::all_of(t.begin(), t.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; });
      return Invalid(word ? "unknown type " + Quote(t) : "unknown type (not a type name, " + std::to_string(t.size()) + " bytes)");
    }
    if (!implied_type.empty() && t != implied_type) {
      return Invalid("type " + Quote(t) + " does not match the endpoint's type " + Quote(implied_type));
    }
  }

  // messageId (when absent: the content hash, below, once the message is known to be valid)
  if (message_id.present) {
    if (message_id.value.type() != dom::element_type::STRING) {
      return Invalid("messageId must be a string");
    }
    m.message_id = message_id.value.get_string().value_unsafe();
    if (m.message_id.empty()) return Invalid("messageId must not be empty");
  }

  // event / name
  if (m.type == MessageType::kTrack) {
    if (!event.present) return Invalid("missing required field 'event' for type track");
    if (event.value.type() != dom::element_type::STRING) return Invalid("event must be a string");
    m.event = event.value.get_string().value_unsafe();
    if (m.event.empty()) return Invalid("event must not be empty for type track");
  } else if ((m.type == MessageType::kPage || m.type == MessageType::kScreen) && name.present &&
             name.value.type() == dom::element_type::STRING) {
    m.event = name.value.get_string().value_unsafe();
  }

  // userId / anonymousId / previousId
  char user_scratch[24], anon_scratch[24], prev_scratch[24], scratch[24];
  std::string_view user_v, anon_v, prev_v;
  const IdRead user_r = ReadIdValue(user_id, &user_v, user_scratch);
  if (user_r == IdRead::kBadType) return Invalid("userId must be a string");
  const IdRead anon_r = ReadIdValue(anonymous_id, &anon_v, anon_scratch);
  if (anon_r == IdRead::kBadType) return Invalid("anonymousId must be a string");
  IdRead prev_r = IdRead::kAbsent;
  if (m.type == MessageType::kAlias) {
    if (user_r != IdRead::kOk) return Invalid("missing required field 'userId' for type alias");
    prev_r = ReadIdValue(previous_id, &prev_v, prev_scratch);
    if (prev_r == IdRead::kBadType) return Invalid("previousId must be a string");
    if (prev_r != IdRead::kOk) {
      return Invalid("missing required field 'previousId' for type alias");
    }
  } else if (user_r != IdRead::kOk && anon_r != IdRead::kOk) {
    return Invalid("missing required field 'userId' or 'anonymousId'");
  }

  // groupId
  if (m.type == MessageType::kGroup) {
    std::string_view g;
    if (ReadIdValue(group_id, &g, scratch) == IdRead::kBadType) {
      return Invalid("groupId must be a string");
    }
    m.group_id.assign(g);
  }

  // timestamp, as Segment computes it: receivedAt - (sentAt - originalTimestamp) when the
  // client sent both (its clock's offset cancels out), else originalTimestamp, else timestamp,
  // else receivedAt. receivedAt is the message's own (a replayed export), else now_ms.
  {
    auto read = [](const Field& f, const char* field_name, int64_t* ms, std::string_view* text) -> Status {
      if (f.value.type() != dom::element_type::STRING) return Invalid(std::string(field_name) + " must be a string");
      *text = f.value.get_string().value_unsafe();
      Result<int64_t> r = ParseIso8601Ms(*text);
      if (!r.ok()) return Invalid(std::string("bad ") + field_name + " " + Quote(*text) + ": " + r.status().message());
      *ms = *r;
      return Status::OK();
    };
    int64_t received_ms = now_ms;
    std::string_view received_text, stamp;
    if (received_at.present) HOLO_RETURN_IF_ERROR(read(received_at, "receivedAt", &received_ms, &received_text));
    bool corrected = false;
    // A bad originalTimestamp (which older clients never sent and Holo used to ignore) is a
    // warning, not an error: the message falls back to its timestamp.
    int64_t original_ms = 0;
    bool original = false;
    if (original_timestamp.present) {
      Status st = read(original_timestamp, "originalTimestamp", &original_ms, &stamp);
      original = st.ok();
      if (!original) m.warnings.push_back(std::string(st.message()) + "; ignored");
    }
    if (original) {
      m.timestamp_ms = original_ms;
      std::string_view sent_text;
      if (sent_at.present) {
        if (sent_at.value.type() == dom::element_type::STRING) sent_text = sent_at.value.get_string().value_unsafe();
        Result<int64_t> sent_ms = ParseIso8601Ms(sent_text);
        if (sent_ms.ok()) {
          m.timestamp_ms = received_ms - (*sent_ms - original_ms);
          corrected = true;
        } else {
          m.warnings.push_back("bad sentAt " + Quote(sent_text) + "; originalTimestamp taken as is");
        }
      }
    } else if (timestamp.present) {
      HOLO_RETURN_IF_ERROR(read(timestamp, "timestamp", &m.timestamp_ms, &stamp));
    } else {
      m.timestamp_ms = received_ms;
      stamp = received_text;
    }
    if (original || timestamp.present || received_at.present) {
      // A timestamp already corrected from sentAt is not corrected twice.
      HOLO_RETURN_IF_ERROR(CheckFutureSkew(options_, source, now_ms, corrected ? Field{} : sent_at, stamp, &m));
    }
  }

  // Identifiers, in a fixed order: userId, anonymousId, previousId, context.device.id,
  // context.device.advertisingId, traits.{email,phone}, context.traits.{email,phone},
  // context.externalIds[] in array order. Later duplicates (same pseudonym) are dropped.
  SetSource(source);
  m.source = source_;
  m.ids.reserve(4);
  if (user_r == IdRead::kOk) AddPlain(user_type_, user_v, IdRole::kUserId, &m);
  if (anon_r == IdRead::kOk) AddPlain(anon_type_, anon_v, IdRole::kAnonymousId, &m);
  if (prev_r == IdRead::kOk) {
    // previousId has no type of its own. Segment's alias is nearly always "this anonymous
    // visitor is now this user", so previousId is taken as an anonymous id of the source
    // (deduplicated when it is also the message's anonymousId). See README.md.
    AddPlain(anon_type_, prev_v, IdRole::kPreviousId, &m);
  }

  Field device, context_traits, external_ids;
  if (context.present) {
    if (context.value.type() == dom::element_type::OBJECT) {
      for (dom::key_value_pair kv : AsObject(context.value)) {
        if (kv.key == "device")
          device.Set(kv.value);
        else if (kv.key == "traits")
          context_traits.Set(kv.value);
        else if (kv.key == "externalIds")
          external_ids.Set(kv.value);
      }
    } else {
      m.warnings.push_back("context must be an object; ignored");
    }
  }
  if (device.present) {
    if (device.value.type() == dom::element_type::OBJECT) {
      Field device_id, ad_id;
      for (dom::key_value_pair kv : AsObject(device.value)) {
        if (kv.key == "id")
          device_id.Set(kv.value);
        else if (kv.key == "advertisingId")
          ad_id.Set(kv.value);
      }
      std::string_view v;
      switch (ReadIdValue(device_id, &v, scratch)) {
        case IdRead::kOk:
          AddPlain("device_id", v, IdRole::kDeviceId, &m);
          break;
        case IdRead::kBadType:
          m.warnings.push_back("context.device.id must be a string; ignored");
          break;
        case IdRead::kAbsent:
          break;
      }
      switch (ReadIdValue(ad_id, &v, scratch)) {
        case IdRead::kOk:
          AddPlain("ad_id", v, IdRole::kAdId, &m);
          break;
        case IdRead::kBadType:
          m.warnings.push_back("context.device.advertisingId must be a string; ignored");
          break;
        case IdRead::kAbsent:
          break;
      }
    } else {
      m.warnings.push_back("context.device must be an object; ignored");
    }
  }
  // Top-level traits describe the user only in identify; in group they describe the group.
  if (traits.present && m.type == MessageType::kIdentify) AddTraitIds(traits.value, "traits", &m);
  if (context_traits.present) AddTraitIds(context_traits.value, "context.traits", &m);
  if (external_ids.present) AddExternalIds(external_ids.value, &m);

  if (m.ids.empty()) {
    // Every identifier the message had was invalid.
    return Invalid(m.warnings.empty() ? std::string("no usable identifier") : m.warnings.front());
  }

  if (m.type == MessageType::kAlias) {
    m.explicit_link = true;
  } else if (m.type == MessageType::kIdentify) {
    int accounts = 0;
    for (const ParsedIdentifier& id : m.ids) {
      if (!id.placeholder && id.type.compare(0, 8, "user_id@") == 0) ++accounts;
    }
    m.explicit_link = accounts >= 2;
  }

  // properties_json
  const bool uses_traits = m.type == MessageType::kIdentify || m.type == MessageType::kGroup;
  const Field& props = uses_traits ? traits : properties;
  if (m.type != MessageType::kAlias && props.present) {
    if (props.value.type() == dom::element_type::OBJECT) {
      m.properties_json.reserve(line.size());
      Rewrite rw{pseudonymizer_, &options_.reference_properties, user_type_,
                 options_.capture_vault ? &m.vault : nullptr};
      const Filter filter = m.type == MessageType::kGroup ? Filter::kGroupTraits
                            : uses_traits                 ? Filter::kTraits
                                                          : Filter::kProperties;
      AppendJson(props.value, filter, &m.properties_json, rw);
    } else {
      m.warnings.push_back(std::string(uses_traits ? "traits" : "properties") +
                           " must be an object; ignored");
    }
  }
  if (m.properties_json.empty()) m.properties_json = "{}";
  // The account a group call names, first in its traits (storage::kGroupProperty): the hex
  // pseudonym of its groupId, typed like the source's user ids (GroupIdType).
  if (m.type == MessageType::kGroup && !m.group_id.empty()) {
    std::string head = "{";
    JsonWriter::AppendQuoted(storage::kGroupProperty, &head);
    head.push_back(':');
    JsonWriter::AppendQuoted(privacy::PseudonymToHex(pseudonymizer_->Hash(group_type_, m.group_id)), &head);
    if (m.properties_json.size() > 2) head.push_back(',');
    m.properties_json.replace(0, 1, head);
  }
  // The kept part of context, last in the properties (storage::kContextProperty).
  if (context.present && context.value.type() == dom::element_type::OBJECT && m.type != MessageType::kAlias) {
    const size_t close = m.properties_json.size() - 1;
    const size_t before = m.properties_json.size();
    m.properties_json.pop_back();  // '}'
    const bool empty = close == 1;
    if (!empty) m.properties_json.push_back(',');
    JsonWriter::AppendQuoted(storage::kContextProperty, &m.properties_json);
    m.properties_json.push_back(':');
    const size_t start = m.properties_json.size();
    AppendContext(context.value, ip_policy_, &m.properties_json);
    if (m.properties_json.size() == start) {
      m.properties_json.resize(before - 1);  // nothing kept: back to the properties as they were
    }
    m.properties_json.push_back('}');
  }
  if (m.message_id.empty()) m.message_id = ContentMessageId(root, m.type, m.source, *pseudonymizer_);
  return m;
}

MessageParser::MessageParser(ParserOptions options, const privacy::Pseudonymizer* pseudonymizer)
    : impl_(std::make_unique<Impl>(std::move(options), pseudonymizer)) {}
MessageParser::~MessageParser() = default;
MessageParser::MessageParser(MessageParser&&) noexcept = default;
MessageParser& MessageParser::operator=(MessageParser&&) noexcept = default;

Result<ParsedMessage> MessageParser::Parse(std::string_view line, std::string_view source, int64_t now_ms,
                                           std::string_view implied_type) {
  return impl_->Parse(line, source, now_ms, implied_type);
}

const ParserOptions& MessageParser::options() const { return impl_->options(); }

}  // namespace holo::ingest
