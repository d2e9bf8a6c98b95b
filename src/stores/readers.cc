#include "stores/readers.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <vector>

#include "common/time_util.h"

namespace holo::stores {

// ---------------------------------------------------------------- observation helpers

uint64_t Fingerprint(std::string_view text) {
  if (text.empty()) return 0;
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h == 0 ? 1 : h;
}

bool NormalizeMac(std::string_view text, std::string* out) {
  std::string hex;
  for (char c : text) {
    if (c == ':' || c == '-' || c == '.') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
    hex.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (hex.size() != 12) return false;
  out->clear();
  for (size_t i = 0; i < 12; i += 2) {
    if (i) out->push_back(':');
    out->append(hex, i, 2);
  }
  return true;
}

bool IsLocallyAdministered(std::string_view mac) {
  if (mac.size() < 2) return false;
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  return (nibble(mac[1]) & 0x2) != 0;
}

namespace {

bool Digits(std::string_view s, size_t at, size_t n, int* out) {
  if (at + n > s.size()) return false;
  int v = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

bool ParseTime(std::string_view s, int64_t* t_us, bool* zoned) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if (s.empty()) return false;
  if (s.size() < 10 || s[4] != '-') {  // Unix seconds[.fraction]
    double secs = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), secs);
    if (ec != std::errc() || p != s.data() + s.size() || secs < 0 || secs > 1e11) return false;
    *t_us = static_cast<int64_t>(secs * 1e6 + 0.5);
    *zoned = true;
    return true;
  }
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (!Digits(s, 0, 4, &y) || s[4] != '-' || !Digits(s, 5, 2, &mo) || s.size() < 10 || s[7] != '-' ||
      !Digits(s, 8, 2, &d)) {
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > static_cast<int>(DaysInMonth(y, static_cast<unsigned>(mo)))) return false;
  size_t i = 10;
  int64_t frac_us = 0;
  if (i < s.size() && (s[i] == 'T' || s[i] == ' ')) {
    if (!Digits(s, i + 1, 2, &h) || i + 3 >= s.size() || s[i + 3] != ':' || !Digits(s, i + 4, 2, &mi)) return false;
    i += 6;
    if (i < s.size() && s[i] == ':') {
      if (!Digits(s, i + 1, 2, &sec)) return false;
      i += 3;
      if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
        ++i;
        int64_t scale = 100000;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
          frac_us += (s[i] - '0') * scale;
          scale /= 10;
          ++i;
        }
      }
    }
  }
  if (h > 23 || mi > 59 || sec > 60) return false;
  int64_t offset_min = 0;
  bool z = false;
  if (i < s.size()) {
    if (s[i] == 'Z' || s[i] == 'z') {
      z = true;
      ++i;
    } else if (s[i] == '+' || s[i] == '-') {
      const int sign = s[i] == '-' ? -1 : 1;
      int oh, om = 0;
      if (!Digits(s, i + 1, 2, &oh)) return false;
      i += 3;
      if (i < s.size() && s[i] == ':') ++i;
      if (i < s.size()) {
        if (!Digits(s, i, 2, &om)) return false;
        i += 2;
      }
      offset_min = sign * (oh * 60 + om);
      z = true;
    }
    if (i != s.size()) return false;
  }
  const int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  const int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offset_min * 60;
  *t_us = secs * 1000000 + frac_us;
  *zoned = z;
  return true;
}

std::string FormatTime(int64_t t_us, bool zoned) {
  const int64_t secs = t_us >= 0 ? t_us / 1000000 : -((-t_us + 999999) / 1000000);
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  const int64_t rest = secs - days * 86400;
  const CivilDate c = CivilFromDays(days);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02lld:%02lld:%02lld%s", static_cast<long long>(c.year), c.month,
                c.day, static_cast<long long>(rest / 3600), static_cast<long long>(rest / 60 % 60),
                static_cast<long long>(rest % 60), zoned ? "Z" : "");
  return buf;
}

namespace {

// ---------------------------------------------------------------- CSV

std::vector<std::string_view> Split(std::string_view line, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  bool quoted = false;
  for (size_t i = 0; i <= line.size(); ++i) {
    if (i < line.size() && line[i] == '"') quoted = !quoted;
    if (i == line.size() || (line[i] == sep && !quoted)) {
      std::string_view f = line.substr(start, i - start);
      if (f.size() >= 2 && f.front() == '"' && f.back() == '"') f = f.substr(1, f.size() - 2);
      out.push_back(f);
      start = i + 1;
    }
  }
  return out;
}

std::string_view Cut(std::string_view s) { return s.substr(0, 300); }

bool ParseInt(std::string_view s, int* out) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  // "-94" or "-94.0"
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return false;
  *out = static_cast<int>(v);
  return true;
}

std::string SensorOfFile(const std::string& path) {
  std::string stem = std::filesystem::path(path).stem().string();
  const size_t cut = stem.find('_');
  return cut == std::string::npos ? stem : stem.substr(0, cut);
}

struct CsvColumns {
  std::map<std::string, size_t, std::less<>> index;
  const size_t npos = static_cast<size_t>(-1);
  size_t Of(std::string_view name) const {
    auto it = index.find(name);
    return it == index.end() ? npos : it->second;
  }
};

// One CSV format: its separator, the columns it needs, and how a row becomes an observation.
struct CsvFormat {
  const char* name;
  char sep;
  std::vector<const char*> required;
  // Fills `o` from the row; returns the reason when the row is bad, else empty.
  std::function<std::string(const std::vector<std::string_view>&, const CsvColumns&, Observation*)> read;
};

std::string ReadMacInto(std::string_view text, Observation* o) {
  if (!NormalizeMac(text, &o->device)) return "not a MAC address: '" + std::string(Cut(text)) + "'";
  o->randomized = IsLocallyAdministered(o->device);
  return "";
}

const CsvFormat kSnifferCsv{
    "sniffer-csv", ';', {"datetime", "src", "rssi", "seq_num", "dot11elt", "oui"},
    [](const std::vector<std::string_view>& f, const CsvColumns& c, Observation* o) -> std::string {
      if (!ParseTime(f[c.Of("datetime")], &o->t_us, &o->zoned)) {
        return "bad datetime '" + std::string(Cut(f[c.Of("datetime")])) + "'";
      }
      if (std::string e = ReadMacInto(f[c.Of("src")], o); !e.empty()) return e;
      if (!ParseInt(f[c.Of("rssi")], &o->rssi) || o->rssi > 20 || o->rssi < -130) {
        return "bad rssi '" + std::string(Cut(f[c.Of("rssi")])) + "'";
      }
      std::string_view seq = f[c.Of("seq_num")];
      if (!seq.empty() && (!ParseInt(seq, &o->seq) || o->seq < 0 || o->seq > 4095)) {
        return "bad seq_num '" + std::string(Cut(seq)) + "'";
      }
      // The probe's IE tag ids and the vendor OUIs in its vendor-specific IEs.
      std::string fp(f[c.Of("dot11elt")]);
      fp += '|';
      fp += f[c.Of("oui")];
      o->fingerprint = Fingerprint(fp == "|" ? "" : fp);
      return "";
    }};

const CsvFormat kProbeCsv{
    "probe-csv", ',', {"Timestamp", "MAC Address"},
    [](const std::vector<std::string_view>& f, const CsvColumns& c, Observation* o) -> std::string {
      if (!ParseTime(f[c.Of("Timestamp")], &o->t_us, &o->zoned)) {
        return "bad Timestamp '" + std::string(Cut(f[c.Of("Timestamp")])) + "'";
      }
      if (std::string e = ReadMacInto(f[c.Of("MAC Address")], o); !e.empty()) return e;
      if (size_t r = c.Of("RSSI"); r != c.npos && !f[r].empty() && !ParseInt(f[r], &o->rssi)) {
        return "bad RSSI '" + std::string(Cut(f[r])) + "'";
      }
      // The IEs a device sends alike on every band and in every scan: the capability IEs
      // (HT, VHT, HE and Extended Capabilities) change with the band and the power state, and
      // the frame length with the SSID list, so they are left out (docs/stores.md).
      std::string fp;
      for (const char* k : {"Vendor Specific Tags", "Supported Rates", "Extended Supported Rates"}) {
        if (size_t i = c.Of(k); i != c.npos) fp.append(f[i]);
        fp.push_back('|');
      }
      o->fingerprint = Fingerprint(fp.find_first_not_of('|') == std::string::npos ? "" : fp);
      return "";
    }};

Result<ReadReport> ReadCsv(const std::string& path, std::ifstream& in, const std::string& header,
                           const CsvFormat& format, const ObservationSink& sink, const BadRecordSink& bad) {
  ReadReport r;
  r.format = format.name;
  CsvColumns cols;
  {
    auto names = Split(header, format.sep);
    for (size_t i = 0; i < names.size(); ++i) cols.index.emplace(std::string(names[i]), i);
  }
  for (const char* k : format.required) {
    if (cols.Of(k) == cols.npos) {
      return Status::InvalidArgument(path + ": a " + format.name + " header needs the column '" + k + "'");
    }
  }
  const std::string sensor = SensorOfFile(path);
  std::string line;
  uint64_t line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    ++r.records;
    auto fields = Split(line, format.sep);
    Observation o;
    o.sensor = sensor;
    std::string reason;
    if (fields.size() != cols.index.size()) {
      reason = "expected " + std::to_string(cols.index.size()) + " fields, got " + std::to_string(fields.size());
    } else {
      reason = format.read(fields, cols, &o);
    }
    if (!reason.empty()) {
      ++r.bad;
      bad(line_no, "line " + std::to_string(line_no), reason, Cut(line));
      continue;
    }
    HOLO_RETURN_IF_ERROR(sink(o));
    ++r.observations;
  }
  return r;
}

// ---------------------------------------------------------------- JSON

std::string_view Str(simdjson::dom::element e, const char* key) {
  std::string_view v;
  if (e[key].get_string().get(v)) return {};
  return v;
}

bool Num(simdjson::dom::element e, const char* key, double* out) {
  simdjson::dom::element v;
  if (e[key].get(v)) return false;
  if (v.is_number()) return !v.get_double().get(*out);
  std::string_view s;
  if (v.get_string().get(s)) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

// Meraki reports RSSI as dBm (negative) or, in older payloads, as the SNR above -95 dBm.
int MerakiRssi(double v) { return static_cast<int>(v > 0 ? v - 95 : v); }

class JsonReader {
 public:
  JsonReader(const ObservationSink& sink, const BadRecordSink& bad, ReadReport* r) : sink_(sink), bad_(bad), r_(r) {}
  void set_line(uint64_t line) { line_ = line; }

  // One JSON value: a Meraki post, a Segment event, a {"batch": [...]}, or an array of them.
  Status Value(simdjson::dom::element v, const std::string& where) {
    if (v.is_array()) {
      size_t i = 0;
      for (simdjson::dom::element e : v.get_array().value_unsafe()) {
        HOLO_RETURN_IF_ERROR(Value(e, where + (where.empty() ? "" : " ") + "item " + std::to_string(++i)));
      }
      return Status::OK();
    }
    if (!v.is_object()) return Bad(where, "not a JSON object", "");
    simdjson::dom::element data, batch;
    if (!v["data"].get(data) && data.is_object()) return Meraki(v, data, where);
    if (!v["batch"].get(batch) && batch.is_array()) return Value(batch, where);
    return Segment(v, where);
  }

 private:
  Status Bad(const std::string& where, std::string_view reason, std::string_view text) {
    ++r_->bad;
    bad_(line_, where, reason, Cut(text));
    return Status::OK();
  }
  Status Emit(const Observation& o) {
    ++r_->observations;
    return sink_(o);
  }

  Status Meraki(simdjson::dom::element post, simdjson::dom::element data, const std::string& where) {
    r_->format = "meraki-v3";
    std::string_view version = Str(post, "version");
    double vnum = 0;
    if (version.empty() && Num(post, "version", &vnum)) version = vnum >= 3 && vnum < 4 ? "3" : "";
    if (!version.starts_with("3")) return Bad(where, "not a Meraki Scanning API v3 post (version is not 3.x)", "");
    const bool ble = Str(post, "type") == "BLE" || Str(post, "type") == "Bluetooth";
    simdjson::dom::array observations;
    if (data["observations"].get_array().get(observations)) return Bad(where, "data.observations is missing", "");
    size_t n = 0;
    for (simdjson::dom::element ob : observations) {
      ++r_->records;
      const std::string at = where + (where.empty() ? "" : " ") + "observation " + std::to_string(++n);
      Observation o;
      o.beacon = ble;
      std::string_view mac = Str(ob, "clientMac");
      if (!NormalizeMac(mac, &o.device)) {
        HOLO_RETURN_IF_ERROR(Bad(at, "clientMac is not a MAC address", mac));
        continue;
      }
      o.randomized = !ble && IsLocallyAdministered(o.device);
      simdjson::dom::array locations;
      bool any = false;
      if (!ob["locations"].get_array().get(locations)) {
        for (simdjson::dom::element loc : locations) {
          Observation l = o;
          if (!ParseTime(Str(loc, "time"), &l.t_us, &l.zoned)) {
            HOLO_RETURN_IF_ERROR(Bad(at, "a location's time is not ISO-8601", Str(loc, "time")));
            continue;
          }
          simdjson::dom::array records;
          if (!loc["rssiRecords"].get_array().get(records)) {
            double best = -1e9;
            for (simdjson::dom::element rec : records) {
              double rssi;
              if (Num(rec, "rssi", &rssi) && MerakiRssi(rssi) > best) {
                best = MerakiRssi(rssi);
                l.sensor = std::string(Str(rec, "apMac"));
              }
            }
            if (best > -1e9) l.rssi = static_cast<int>(best);
          }
          simdjson::dom::array tags;
          if (!loc["nearestApTags"].get_array().get(tags)) {
            for (simdjson::dom::element t : tags) {
              std::string_view s;
              if (!t.get_string().get(s)) {
                l.zone = std::string(s);
                break;
              }
            }
          }
          if (l.zone.empty()) l.zone = std::string(Str(loc, "floorPlanId"));
          any = true;
          HOLO_RETURN_IF_ERROR(Emit(l));
        }
      }
      simdjson::dom::element latest;
      if (!any && !ob["latestRecord"].get(latest) && latest.is_object()) {
        if (!ParseTime(Str(latest, "time"), &o.t_us, &o.zoned)) {
          HOLO_RETURN_IF_ERROR(Bad(at, "latestRecord.time is not ISO-8601", Str(latest, "time")));
          continue;
        }
        double rssi;
        if (Num(latest, "nearestApRssi", &rssi)) o.rssi = MerakiRssi(rssi);
        o.sensor = std::string(Str(latest, "nearestApMac"));
        any = true;
        HOLO_RETURN_IF_ERROR(Emit(o));
      }
      if (!any) HOLO_RETURN_IF_ERROR(Bad(at, "an observation without locations or latestRecord", mac));
    }
    return Status::OK();
  }

  Status Segment(simdjson::dom::element e, const std::string& where) {
    if (r_->format.empty()) r_->format = "segment";
    ++r_->records;
    std::string_view event = Str(e, "event");
    if (Str(e, "type") != "track" || (event != "Probe Seen" && event != "Beacon Seen")) {
      ++r_->skipped;
      return Status::OK();
    }
    Observation o;
    o.beacon = event == "Beacon Seen";
    std::string_view ts = Str(e, "timestamp");
    if (ts.empty()) ts = Str(e, "originalTimestamp");
    if (!ParseTime(ts, &o.t_us, &o.zoned)) return Bad(where, "timestamp is missing or not ISO-8601", ts);
    simdjson::dom::element props;
    if (e["properties"].get(props) || !props.is_object()) return Bad(where, "properties is missing", event);
    o.store = std::string(Str(props, "store_id"));
    if (o.store.empty()) return Bad(where, "properties.store_id is missing", event);
    o.sensor = std::string(Str(props, o.beacon ? "beacon_id" : "sensor_id"));
    o.zone = std::string(Str(props, "zone"));
    double rssi;
    if (Num(props, "rssi", &rssi)) o.rssi = static_cast<int>(rssi);
    if (o.beacon) {
      // The app's device id, else its user: the phone that heard the beacon.
      simdjson::dom::element device;
      std::string_view id;
      if (!e["context"]["device"].get(device) && device.is_object()) id = Str(device, "id");
      o.device_type = "device_id";
      if (id.empty()) id = Str(e, "userId"), o.device_type = "user_id";
      if (id.empty()) id = Str(e, "anonymousId"), o.device_type = "anonymous_id";
      if (id.empty()) return Bad(where, "a Beacon Seen without context.device.id, userId or anonymousId", event);
      o.device = std::string(id);
    } else {
      std::string_view mac;
      simdjson::dom::array ids;
      if (!e["context"]["externalIds"].get_array().get(ids)) {
        for (simdjson::dom::element id : ids) {
          if (Str(id, "type") == "mac") {
            mac = Str(id, "id");
            break;
          }
        }
      }
      if (mac.empty()) mac = Str(e, "anonymousId");
      if (!NormalizeMac(mac, &o.device)) {
        return Bad(where, "a Probe Seen without a MAC in context.externalIds (type mac)", mac);
      }
      o.randomized = IsLocallyAdministered(o.device);
      std::string_view fp = Str(props, "fingerprint");
      o.fingerprint = Fingerprint(fp);
      double seq;
      if (Num(props, "seq", &seq)) o.seq = static_cast<int>(seq);
    }
    return Emit(o);
  }

  const ObservationSink& sink_;
  const BadRecordSink& bad_;
  ReadReport* r_;
  uint64_t line_ = 0;
};

Result<ReadReport> ReadJson(const std::string& path, const ObservationSink& sink, const BadRecordSink& bad) {
  ReadReport r;
  JsonReader reader(sink, bad, &r);
  simdjson::dom::parser parser;
  // One line of a JSON-lines file: a value, or a bad line.
  auto one_line = [&](uint64_t line_no, std::string_view line) -> Status {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty()) return Status::OK();
    const std::string where = "line " + std::to_string(line_no);
    simdjson::dom::element v;
    if (parser.parse(line.data(), line.size()).get(v)) {
      ++r.records;
      ++r.bad;
      bad(line_no, where, "not valid JSON", Cut(line));
      return Status::OK();
    }
    reader.set_line(line_no);
    return reader.Value(v, where);
  };
  auto done = [&]() -> Result<ReadReport> {
    if (r.format.empty()) r.format = "segment";
    return r;
  };
  // JSON lines are read a line at a time (memory per line, not per file). A file whose first
  // non-blank line is no JSON value on its own holds one document spanning lines: read whole.
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::IOError("cannot open " + path);
    std::string line;
    uint64_t line_no = 0;
    bool lines = false;
    while (std::getline(in, line)) {
      ++line_no;
      if (!lines) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        simdjson::dom::element v;
        if (parser.parse(line).get(v)) break;
        lines = true;
      }
      HOLO_RETURN_IF_ERROR(one_line(line_no, line));
    }
    if (lines) {
      if (in.bad()) return Status::IOError("cannot read " + path);
      return done();
    }
  }
  simdjson::padded_string whole;
  if (simdjson::padded_string::load(path).get(whole)) return Status::IOError("cannot read " + path);
  simdjson::dom::element doc;
  if (!parser.parse(whole).get(doc)) {  // one JSON document
    HOLO_RETURN_IF_ERROR(reader.Value(doc, ""));
    return done();
  }
  // Not one document either: lines, each good or bad on its own.
  std::string_view text(whole.data(), whole.size());
  for (uint64_t line_no = 1; !text.empty(); ++line_no) {
    const size_t nl = text.find('\n');
    HOLO_RETURN_IF_ERROR(one_line(line_no, text.substr(0, nl)));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  }
  return done();
}

}  // namespace

Result<ReadReport> ReadObservations(const std::string& path, const ObservationSink& sink, const BadRecordSink& bad) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot open " + path);
  std::string first;
  char c = 0;
  while (in.get(c) && std::isspace(static_cast<unsigned char>(c))) {
  }
  if (!in) return Status::InvalidArgument(path + ": the file is empty");
  if (c == '{' || c == '[') {
    in.close();
    return ReadJson(path, sink, bad);
  }
  in.unget();
  std::getline(in, first);
  if (!first.empty() && first.back() == '\r') first.pop_back();
  if (first.starts_with("\xEF\xBB\xBF")) first.erase(0, 3);
  if (first.starts_with("datetime;") && first.find(";src;") != std::string::npos) {
    return ReadCsv(path, in, first, kSnifferCsv, sink, bad);
  }
  if (first.starts_with("Timestamp,") && first.find("MAC Address") != std::string::npos) {
    return ReadCsv(path, in, first, kProbeCsv, sink, bad);
  }
  return Status::InvalidArgument(path + ": not a recognised store sensor file (docs/stores.md lists the formats); "
                                 "its first line is '" + std::string(Cut(first)) + "'");
}

}  // namespace holo::stores
