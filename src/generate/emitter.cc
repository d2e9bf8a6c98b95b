#include "generate/emitter.h"

#include <algorithm>
#include <cstdio>

#include "common/time_util.h"

namespace holo::generate {
namespace {

constexpr int64_t kMsPerDay = 86400000;

void Append2(unsigned v, std::string* out) {
  out->push_back(static_cast<char>('0' + v / 10));
  out->push_back(static_cast<char>('0' + v % 10));
}

}  // namespace

void Emitter::AppendTimestamp(int64_t ms, std::string* out) {
  int64_t day = ms / kMsPerDay;
  int64_t rem = ms % kMsPerDay;
  if (rem < 0) {
    rem += kMsPerDay;
    --day;
  }
  if (day != cached_day_) {
    const CivilDate d = CivilFromDays(day);
    std::snprintf(cached_date_, sizeof(cached_date_), "%04d-%02u-%02u", static_cast<int>(d.year),
                  d.month, d.day);
    cached_day_ = day;
  }
  out->append(cached_date_, 10);
  out->push_back('T');
  const auto secs = static_cast<unsigned>(rem / 1000);
  Append2(secs / 3600, out);
  out->push_back(':');
  Append2(secs / 60 % 60, out);
  out->push_back(':');
  Append2(secs % 60, out);
  out->push_back('.');
  const auto millis = static_cast<unsigned>(rem % 1000);
  out->push_back(static_cast<char>('0' + millis / 100));
  Append2(millis % 100, out);
  out->push_back('Z');
}

JsonWriter& Emitter::Start(Source source, int64_t ts_ms, std::string_view type,
                           std::string_view event, const Identity& who) {
  line_start_ = arena_.size();
  type_ = type;
  event_ = event;
  JsonWriter& w = writer_;
  w.BeginObject();
  w.Key("type").String(type);
  if (!event.empty()) w.Key("event").String(event);
  if (!who.user_id.empty()) w.Key("userId").String(who.user_id);
  if (!who.anonymous_id.empty()) w.Key("anonymousId").String(who.anonymous_id);
  ts_buf_.assign(1, '"');
  AppendTimestamp(ts_ms, &ts_buf_);
  ts_buf_.push_back('"');
  w.Key("timestamp").RawValue(ts_buf_);
  return w;
}

void Emitter::Finish(Source source, int64_t ts_ms, const Identity& who, const Traits& traits,
                     const std::pair<std::string_view, EntityLedger*>* previous) {
  JsonWriter& w = writer_;
  ContextExtras extras;
  if (hook_ != nullptr) hook_->Extras(source, ts_ms, type_, event_, who, &extras);
  const bool any_extra =
      !extras.ip.empty() || !extras.traits_phone.empty() || extras.num_external > 0;
  if (who.device != nullptr || who.num_external > 0 || any_extra) {
    w.Key("context").BeginObject();
    if (who.device != nullptr) {
      const DeviceContext& d = *who.device;
      w.Key("device").BeginObject();
      if (!d.id.empty()) w.Key("id").String(d.id);
      if (!d.ad_id.empty()) w.Key("advertisingId").String(d.ad_id);
      w.Key("type").String(d.type);
      w.EndObject();
    }
    if (!extras.ip.empty()) w.Key("ip").String(extras.ip);
    if (!extras.traits_phone.empty()) {
      w.Key("traits").BeginObject().Key("phone").String(extras.traits_phone).EndObject();
    }
    if (who.num_external > 0 || extras.num_external > 0) {
      w.Key("externalIds").BeginArray();
      for (int i = 0; i < who.num_external + extras.num_external; ++i) {
        const ExternalId& e =
            i < who.num_external ? who.external[i] : extras.external[i - who.num_external];
        w.BeginObject()
            .Key("id")
            .String(e.id)
            .Key("type")
            .String(e.type_name)
            .Key("collection")
            .String("users")
            .Key("encoding")
            .String("none")
            .EndObject();
      }
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndObject();
  pending_.push_back(Pending{ts_ms, static_cast<uint32_t>(pending_.size()), source, line_start_,
                             arena_.size() - line_start_});
  Record(source, ts_ms, who, traits, previous, any_extra ? &extras : nullptr);
}

void Emitter::Record(Source source, int64_t ts_ms, const Identity& who, const Traits& traits,
                     const std::pair<std::string_view, EntityLedger*>* previous,
                     const ContextExtras* extras) {
  struct Seen {
    EntityLedger* owner;
    int node;
  };
  std::array<Seen, 9 + Identity::kMaxExternal + ContextExtras::kMaxExternal> seen;
  int n = 0;
  auto observe = [&](EntityLedger* owner, IdType type, Source ns, std::string_view raw) {
    if (owner == nullptr || raw.empty()) return;
    seen[n++] = Seen{owner, owner->Observe(type, ns, raw, ts_ms, source)};
  };
  observe(who.user_owner, IdType::kUserId, AccountNamespace(source), who.user_id);
  observe(who.anonymous_owner, IdType::kAnonymousId, source, who.anonymous_id);
  if (previous != nullptr) {
    observe(previous->second, IdType::kAnonymousId, source, previous->first);
  }
  if (who.device != nullptr) {
    observe(who.device->owner, IdType::kDeviceId, source, who.device->id);
    if (!who.device->ad_id_is_placeholder) {
      observe(who.device->owner, IdType::kAdId, source, who.device->ad_id);
    }
  }
  for (int i = 0; i < who.num_external; ++i) {
    const ExternalId& e = who.external[i];
    observe(e.owner, e.truth_type, e.ns, e.id);
  }
  observe(traits.owner, IdType::kEmail, source, traits.email);
  observe(traits.owner, IdType::kPhone, source, traits.phone);
  if (extras != nullptr) {
    observe(extras->traits_phone_owner, IdType::kPhone, source, extras->traits_phone);
    for (int i = 0; i < extras->num_external; ++i) {
      const ExternalId& e = extras->external[i];
      observe(e.owner, e.truth_type, e.ns, e.id);
    }
  }
  // Union co-occurring identifiers of the same owner only.
  for (int i = 1; i < n; ++i) {
    for (int j = 0; j < i; ++j) {
      if (seen[j].owner == seen[i].owner) {
        seen[i].owner->Union(seen[j].node, seen[i].node);
        break;
      }
    }
  }
}

void Emitter::Identify(Source source, int64_t ts_ms, const Identity& who, std::string_view email,
                       std::string_view phone, EntityLedger* traits_owner) {
  JsonWriter& w = Start(source, ts_ms, "identify", {}, who);
  if (!email.empty() || !phone.empty()) {
    w.Key("traits").BeginObject();
    if (!email.empty()) w.Key("email").String(email);
    if (!phone.empty()) w.Key("phone").String(phone);
    w.EndObject();
  }
  Finish(source, ts_ms, who, Traits{email, phone, traits_owner}, nullptr);
}

void Emitter::Alias(Source source, int64_t ts_ms, const Identity& who, std::string_view previous_id,
                    EntityLedger* previous_owner) {
  Identity alias_who = who;
  alias_who.anonymous_id = {};
  alias_who.anonymous_owner = nullptr;
  JsonWriter& w = Start(source, ts_ms, "alias", {}, alias_who);
  w.Key("previousId").String(previous_id);
  const std::pair<std::string_view, EntityLedger*> previous{previous_id, previous_owner};
  Finish(source, ts_ms, alias_who, Traits{}, &previous);
}

void Emitter::Flush(const std::array<std::string*, kNumSources>& outs,
                    std::array<uint64_t, kNumSources>* counters) {
  std::sort(pending_.begin(), pending_.end(), [](const Pending& a, const Pending& b) {
    return a.ts != b.ts ? a.ts < b.ts : a.seq < b.seq;
  });
  static constexpr char kHex[] = "0123456789abcdef";
  for (const Pending& p : pending_) {
    std::string* out = outs[Index(p.source)];
    uint64_t& counter = (*counters)[Index(p.source)];
    out->append("{\"messageId\":\"");
    out->append(SourceName(p.source));
    out->push_back('-');
    char hex[10];
    uint64_t c = counter++;
    for (int i = 9; i >= 0; --i) {
      hex[i] = kHex[c & 0xF];
      c >>= 4;
    }
    out->append(hex, sizeof(hex));
    out->append("\",");
    // The stored line starts with '{'; splice the messageId in front of its first member.
    out->append(arena_, p.offset + 1, p.length - 1);
    out->push_back('\n');
  }
  pending_.clear();
  arena_.clear();
}

}  // namespace holo::generate
