// EngineImpl::AccessRequest: the right of access (docs/privacy.md). One JSON
// document with everything the store holds about a person, and a summary.
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>

#include "common/coding.h"
#include "common/json_writer.h"
#include "common/time_util.h"
#include "engine/engine_impl.h"
#include "identity/graph_store.h"
#include "identity/resolver.h"
#include "profile/profile_store.h"

namespace holo::engine {
namespace {

using storage::Cf;
namespace keys = storage::keys;

}  // namespace

Result<Engine::Report> EngineImpl::AccessRequest(std::string_view id, const std::vector<std::string>& supplied) {
  HOLO_ASSIGN_OR_RETURN(uint64_t oneid, OneIdOf(id));
  HOLO_ASSIGN_OR_RETURN(auto members, identity::Members(*store_, oneid));
  if (members.empty()) return Status::NotFound("no person with OneID " + std::to_string(oneid));
  std::set<keys::Key16> mine(members.begin(), members.end());

  // Raw values the request supplied, for the identifiers that are the person's.
  std::map<keys::Key16, std::string> raw;
  std::vector<std::string> given(supplied);
  if (id.find(':') != std::string_view::npos) given.emplace_back(id);
  for (const std::string& g : given) {
    size_t colon = g.find(':');
    if (colon == std::string::npos || colon == 0) return Status::InvalidArgument("supplied identifiers are type:value, got '" + g + "'");
    HOLO_ASSIGN_OR_RETURN(auto p, PseudonymOf(g.substr(0, colon), g.substr(colon + 1)));
    if (p.has_value() && mine.count(*p)) raw[*p] = g.substr(colon + 1);
  }

  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("oneid").Uint(oneid).Key("generated_at").String(FormatIso8601Ms(Now()));

  // Identifiers.
  std::map<std::string, size_t> by_type;
  w.Key("identifiers").BeginArray();
  for (const auto& node : members) {
    HOLO_ASSIGN_OR_RETURN(auto rec, store_->Get(Cf::kNodes, keys::AsView(node)));
    storage::StatsRecord stats;  // its tail is the identifier's type
    const bool known = rec.has_value() && storage::StatsRecord::Decode(*rec, &stats);
    by_type[stats.tail]++;
    w.BeginObject().Key("type").String(stats.tail).Key("pseudonym").String(privacy::PseudonymToHex(node));
    if (auto r = raw.find(node); r != raw.end()) w.Key("value").String(r->second);
    if (known) {
      w.Key("first_seen").String(FormatIso8601Ms(stats.first_ts)).Key("last_seen").String(FormatIso8601Ms(stats.last_ts));
      w.Key("messages").Uint(stats.count);
    }
    w.EndObject();
  }
  w.EndArray();

  // Evidence: the links between the person's identifiers.
  size_t links = 0;
  w.Key("evidence").BeginArray();
  {
    auto it = store_->NewCursor(Cf::kEdges);
    for (const auto& a : members) {
      std::string_view pa = keys::AsView(a);
      for (it->Seek(pa); it->Valid() && it->key().starts_with(pa); it->Next()) {
        std::string_view k = it->key();
        if (k.size() < 32) continue;
        keys::Key16 b = keys::ToKey16(k.substr(16, 16));
        if (!mine.count(b) || !(a < b)) continue;
        storage::StatsRecord rec;
        if (!storage::StatsRecord::Decode(it->value(), &rec)) continue;
        ++links;
        w.BeginObject().Key("a").String(privacy::PseudonymToHex(a)).Key("b").String(privacy::PseudonymToHex(b));
        std::string kind(identity::EdgeKindName(static_cast<identity::EdgeKind>(rec.kind)));
        if (k.size() > 32 && k[32] == keys::kWithdrawnVariant) kind = "withdrawn";
        if (k.size() > 32 && k[32] == keys::kMatchVariant) kind = "probabilistic match";
        w.Key("kind").String(kind).Key("source").String(rec.tail);
        w.Key("first_seen").String(FormatIso8601Ms(rec.first_ts)).Key("last_seen").String(FormatIso8601Ms(rec.last_ts));
        w.Key("count").Uint(rec.count).EndObject();
      }
      HOLO_RETURN_IF_ERROR(it->status().WithContext("read edges"));
    }
  }
  w.EndArray();

  // Merge and split records naming the OneID.
  size_t merges = 0;
  w.Key("merges_and_splits").BeginArray();
  {
    auto it = store_->NewCursor(Cf::kMeta);
    simdjson::dom::parser parser;
    const std::string_view prefix = keys::kFeedPrefix;
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
         it->Next()) {
      simdjson::dom::element rec;
      if (parser.parse(it->value().data(), it->value().size()).get(rec)) continue;
      bool about = false;
      uint64_t n = 0;
      if (!rec["oneid"].get_uint64().get(n) && n == oneid) about = true;
      for (const char* list : {"into", "from"}) {
        simdjson::dom::array a;
        if (rec[list].get_array().get(a)) continue;
        for (auto e : a) {
          if (!e.get_uint64().get(n) && n == oneid) about = true;
        }
      }
      if (!about) continue;
      ++merges;
      w.RawValue(it->value());
    }
    HOLO_RETURN_IF_ERROR(it->status().WithContext("read the feed"));
  }
  w.EndArray();

  // Events attributed to the person.
  std::vector<uint64_t> seqs;
  {
    auto it = store_->NewCursor(Cf::kNodeEvents);
    for (const auto& node : members) {
      std::string_view p = keys::AsView(node);
      for (it->Seek(p); it->Valid() && it->key().starts_with(p); it->Next()) {
        seqs.push_back(coding::DecodeFixed64BE(it->key().data() + 16));
      }
      HOLO_RETURN_IF_ERROR(it->status().WithContext("read the event index"));
    }
  }
  std::sort(seqs.begin(), seqs.end());
  seqs.erase(std::unique(seqs.begin(), seqs.end()), seqs.end());
  std::map<std::string, size_t> by_source;
  int64_t first = 0, last = 0;
  w.Key("events").BeginArray();
  storage::EventRecord ev;
  for (uint64_t seq : seqs) {
    HOLO_ASSIGN_OR_RETURN(auto v, store_->Get(Cf::kEvents, keys::EventKey(seq)));
    if (!v.has_value()) continue;
    if (!ev.DecodeFrom(*v)) return Status::DataLoss("corrupt event record");
    by_source[ev.source]++;
    if (first == 0 || ev.timestamp_ms < first) first = ev.timestamp_ms;
    last = std::max(last, ev.timestamp_ms);
    w.BeginObject().Key("seq").Uint(seq).Key("timestamp").String(FormatIso8601Ms(ev.timestamp_ms));
    w.Key("source").String(ev.source).Key("type").String(storage::MessageTypeName(ev.msg_type)).Key("event").String(ev.event);
    w.Key("message_id").String(ev.message_id);
    w.Key("identifiers").BeginArray();
    for (const auto& e : ev.ids) {
      w.BeginObject().Key("type").String(e.type).Key("pseudonym").String(privacy::PseudonymToHex(e.pseudonym));
      if (!mine.count(e.pseudonym) && !e.placeholder()) w.Key("someone_else").Bool(true);
      w.EndObject();
    }
    w.EndArray();
    w.Key("properties").RawValue(ev.properties_json.empty() ? "{}" : ev.properties_json).EndObject();
  }
  w.EndArray();

  // The profile, segments, ties, consent.
  HOLO_ASSIGN_OR_RETURN(std::optional<std::string> profile, profile::ReadProfile(*store_, oneid, *audiences_.ComputedTraits()));
  w.Key("profile").RawValue(profile.has_value() ? *profile : "null");
  HOLO_RETURN_IF_ERROR(audiences_.EnsureLoaded());
  HOLO_ASSIGN_OR_RETURN(auto segments, SegmentsOf(oneid));
  w.Key("segments").BeginArray();
  for (const auto& s : segments) w.String(s);
  w.EndArray();
  HOLO_ASSIGN_OR_RETURN(Report people, People(std::to_string(oneid)));
  w.Key("people").RawValue(people.json);
  std::array<bool, privacy::kPurposeCount> consented{};
  HOLO_ASSIGN_OR_RETURN(std::string consent, privacy_.ConsentJson(oneid, &consented));
  w.Key("consent").RawValue(consent);
  // Raw values kept encrypted in the PII vault, opened for the person.
  // An entry that does not open (damaged, or sealed under another key) is listed, not fatal.
  std::vector<privacy::Pseudonym> unopened;
  HOLO_ASSIGN_OR_RETURN(auto vault, privacy_.VaultEntriesOf(members, &unopened));
  w.Key("vault").BeginArray();
  for (const auto& [node, plain] : vault) {
    w.BeginObject().Key("identifier").String(privacy::PseudonymToHex(node)).Key("values").RawValue(plain).EndObject();
  }
  w.EndArray();
  if (!unopened.empty()) {
    w.Key("vault_unopened").BeginArray();
    for (const auto& node : unopened) w.String(privacy::PseudonymToHex(node));
    w.EndArray();
  }
  w.EndObject();

  Report r;
  r.json = std::move(out);
  std::string& t = r.text;
  t = "What Holo holds about OneID " + std::to_string(oneid) + " (generated " + FormatIso8601Ms(Now()) + ")\n";
  t += "- " + std::to_string(members.size()) + " identifiers:";
  for (const auto& [type, n] : by_type) t += " " + type + (n > 1 ? " x" + std::to_string(n) : "");
  t += "\n  stored as keyed pseudonyms; raw values shown only for the " + std::to_string(raw.size()) +
       " identifier(s) supplied with the request\n";
  t += "- " + std::to_string(seqs.size()) + " events";
  if (!seqs.empty()) t += " from " + FormatIso8601Ms(first) + " to " + FormatIso8601Ms(last) + ":";
  for (const auto& [source, n] : by_source) t += " " + source + " " + std::to_string(n);
  t += "\n- joined by " + std::to_string(links) + " links between the identifiers; " + std::to_string(merges) +
       " merge/split records\n";
  t += "- a profile of derived traits" + std::string(profile.has_value() ? "" : " (none stored)") + "; " +
       std::to_string(segments.size()) + " segment(s)";
  for (const auto& s : segments) t += " " + s;
  t += "\n- " + std::to_string(vault.size()) + " address(es) with name/phone/street kept encrypted in the PII vault";
  if (!unopened.empty()) {
    t += "; " + std::to_string(unopened.size()) + " more entr" + (unopened.size() == 1 ? "y" : "ies") +
         " could not be opened (damaged, or sealed under another key) of identifier(s):";
    for (const auto& node : unopened) t += " " + privacy::PseudonymToHex(node);
  }
  t += "\n- consent:";
  for (size_t i = 0; i < privacy::kPurposeCount; ++i) {
    t += std::string(" ") + std::string(privacy::kPurposes[i]) + "=" + (consented[i] ? "yes" : "no");
  }
  t += "\n";
  return r;
}

}  // namespace holo::engine
