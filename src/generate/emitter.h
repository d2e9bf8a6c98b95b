// emitter.h: writes Segment-spec messages for the generator and records their identifiers.
//
// Every message is built with JsonWriter into a household-sized arena, and every identifier
// it carries is observed by the ledger of the entity that owns it (the person, a shared
// tablet, a kiosk; none for placeholders and randomized MACs). Identifiers of one owner that
// occur in the same message are unioned in that owner's ledger, never across owners.
// Flush() sorts the arena by time and appends each line, prefixed with its messageId, to the
// output buffer of its source.
//
//   Identity who;
//   who.SetUser("2200123456789", &person_ledger);
//   who.SetAnonymous(install.anon_id, &person_ledger);
//   who.device = &phone.context;
//   emitter.Track(Source::kTaobao, ts, "Product Viewed", who, [&](JsonWriter& w) {
//     w.Key("product_id").String("tb20017");
//   });
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/json_writer.h"
#include "generate/ids.h"
#include "generate/ledger.h"

namespace holo::generate {

// context.device of a message.
struct DeviceContext {
  std::string_view id;     // empty: no device.id
  std::string_view ad_id;  // empty: no advertisingId
  std::string_view type;   // "ios", "android", "tablet", "pc"
  bool ad_id_is_placeholder = false;
  EntityLedger* owner = nullptr;  // owner of id and ad_id
};

// One context.externalIds entry.
struct ExternalId {
  std::string_view type_name;  // "mac", "alipay_id", "taobao_id", ...
  std::string_view id;
  IdType truth_type = IdType::kMac;
  Source ns = Source::kTaobao;    // namespace when truth_type is kUserId
  EntityLedger* owner = nullptr;  // nullptr: not ground truth (randomized MAC)
};

// The identity fields of one message.
struct Identity {
  static constexpr int kMaxExternal = 10;

  void SetUser(std::string_view id, EntityLedger* owner) {
    user_id = id;
    user_owner = owner;
  }
  void SetAnonymous(std::string_view id, EntityLedger* owner) {
    anonymous_id = id;
    anonymous_owner = owner;
  }
  void AddExternal(const ExternalId& ext) {
    if (num_external < kMaxExternal) external[num_external++] = ext;
  }

  std::string_view user_id;
  EntityLedger* user_owner = nullptr;
  std::string_view anonymous_id;
  EntityLedger* anonymous_owner = nullptr;
  const DeviceContext* device = nullptr;
  std::array<ExternalId, kMaxExternal> external;
  int num_external = 0;
};

// Context a foreign-shapes world adds to a message (context.ip, context.traits.phone, more
// externalIds), decided per message by a ContextHook. Strings must outlive the message's Finish.
struct ContextExtras {
  static constexpr int kMaxExternal = 3;
  std::string_view ip;            // context.ip: not an identifier for Holo, so never in truth
  std::string_view traits_phone;  // context.traits.phone
  EntityLedger* traits_phone_owner = nullptr;
  std::array<ExternalId, kMaxExternal> external;  // appended after Identity::external
  int num_external = 0;
  void AddExternal(const ExternalId& ext) {
    if (num_external < kMaxExternal) external[num_external++] = ext;
  }
};

// Called for every message while installed (Emitter::SetHook); foreign-shapes worlds only.
class ContextHook {
 public:
  virtual ~ContextHook() = default;
  // Fills `extras` for a message of `type` ("track", ...) and `event` (track only) from `who`.
  virtual void Extras(Source source, int64_t ts_ms, std::string_view type,
                      std::string_view event, const Identity& who, ContextExtras* extras) = 0;
};

class Emitter {
 public:
  Emitter() = default;
  Emitter(const Emitter&) = delete;
  Emitter& operator=(const Emitter&) = delete;

  // Writes a track message; `props(JsonWriter&)` writes the members of "properties".
  template <typename Props>
  void Track(Source source, int64_t ts_ms, std::string_view event, const Identity& who,
             Props&& props) {
    JsonWriter& w = Start(source, ts_ms, "track", event, who);
    w.Key("properties").BeginObject();
    props(w);
    w.EndObject();
    Finish(source, ts_ms, who, {}, nullptr);
  }

  // Writes a page message named `name` (web).
  template <typename Props>
  void Page(Source source, int64_t ts_ms, std::string_view name, const Identity& who,
            Props&& props) {
    JsonWriter& w = Start(source, ts_ms, "page", {}, who);
    w.Key("name").String(name);
    w.Key("properties").BeginObject();
    props(w);
    w.EndObject();
    Finish(source, ts_ms, who, {}, nullptr);
  }

  // Writes an identify message with traits email and/or phone (empty: left out), owned by
  // `traits_owner`.
  void Identify(Source source, int64_t ts_ms, const Identity& who, std::string_view email,
                std::string_view phone, EntityLedger* traits_owner);

  // Writes an alias message: previousId (an anonymousId of the same source) -> who.user_id.
  void Alias(Source source, int64_t ts_ms, const Identity& who, std::string_view previous_id,
             EntityLedger* previous_owner);

  // Installs `hook` (nullptr: none, the default) for the messages that follow.
  void SetHook(ContextHook* hook) { hook_ = hook; }

  // Number of buffered messages.
  size_t pending() const { return pending_.size(); }

  // Sorts the buffered messages by (time, emission order) and appends each, prefixed with
  // "messageId":"<source>-<counter as 10 hex digits>", to `*outs[source]`. Increments
  // `counters[source]` per message. Clears the buffer.
  void Flush(const std::array<std::string*, kNumSources>& outs,
             std::array<uint64_t, kNumSources>* counters);

  // Appends `ms` as "YYYY-MM-DDThh:mm:ss.mmmZ".
  void AppendTimestamp(int64_t ms, std::string* out);

 private:
  struct Pending {
    int64_t ts;
    uint32_t seq;
    Source source;
    size_t offset;
    size_t length;
  };
  struct Traits {
    std::string_view email;
    std::string_view phone;
    EntityLedger* owner = nullptr;
  };

  JsonWriter& Start(Source source, int64_t ts_ms, std::string_view type, std::string_view event,
                    const Identity& who);
  void Finish(Source source, int64_t ts_ms, const Identity& who, const Traits& traits,
              const std::pair<std::string_view, EntityLedger*>* previous);
  void Record(Source source, int64_t ts_ms, const Identity& who, const Traits& traits,
              const std::pair<std::string_view, EntityLedger*>* previous,
              const ContextExtras* extras);

  std::string arena_;
  std::string ts_buf_;
  std::vector<Pending> pending_;
  size_t line_start_ = 0;
  ContextHook* hook_ = nullptr;
  std::string_view type_;   // of the message being written
  std::string_view event_;
  JsonWriter writer_{&arena_};
  int64_t cached_day_ = INT64_MIN;
  char cached_date_[11] = {};
};

}  // namespace holo::generate
