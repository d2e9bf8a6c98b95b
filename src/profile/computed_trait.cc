#include "profile/computed_trait.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "common/json_writer.h"
#include "storage/event_record.h"

namespace holo::profile {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

constexpr int64_t kDayMs = 86'400'000;
// storage::EventRecord::msg_type of a track message (ingest::MessageType::kTrack).
constexpr uint8_t kTrackMessage = 2;

// Returns the shortest text that reads back as `d` ("5", "0.1", "1e+21").
std::string ShortestNumber(double d) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  return ec == std::errc() ? std::string(buf, end) : std::string("0");
}

// Parses all of `s` as a number.
bool ParseNumber(std::string_view s, double* d) {
  if (s.empty()) return false;
  const char* b = s.data();
  if (*b == '+') ++b;
  auto [end, ec] = std::from_chars(b, s.data() + s.size(), *d);
  return ec == std::errc() && end == s.data() + s.size() && std::isfinite(*d);
}

std::vector<std::string_view> SplitPath(std::string_view name) {
  std::vector<std::string_view> path;
  if (name.empty()) return path;
  size_t start = 0;
  while (true) {
    size_t dot = name.find('.', start);
    path.push_back(name.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return path;
}

// Finds `path` under `root`; JSON null counts as absent.
bool Lookup(element root, const std::vector<std::string_view>& path, element* out) {
  if (path.empty()) return false;
  element cur = root;
  for (std::string_view key : path) {
    simdjson::dom::object obj;
    if (cur.get_object().get(obj) != simdjson::SUCCESS) return false;
    element next;
    if (obj.at_key(key).get(next) != simdjson::SUCCESS) return false;
    cur = next;
  }
  if (cur.is_null()) return false;
  *out = cur;
  return true;
}

// Calls f(scalar) for `e` itself or, for an array, for each scalar element.
template <typename F>
void ForEachScalar(element e, F&& f) {
  switch (e.type()) {
    case element_type::ARRAY: {
      simdjson::dom::array arr = e.get_array().value_unsafe();
      for (element x : arr) {
        auto t = x.type();
        if (t != element_type::ARRAY && t != element_type::OBJECT && t != element_type::NULL_VALUE) {
          f(x);
        }
      }
      return;
    }
    case element_type::OBJECT:
    case element_type::NULL_VALUE:
      return;
    default:
      f(e);
  }
}

bool ScalarNumber(element e, double* d) {
  switch (e.type()) {
    case element_type::INT64:
      *d = static_cast<double>(e.get_int64().value_unsafe());
      return true;
    case element_type::UINT64:
      *d = static_cast<double>(e.get_uint64().value_unsafe());
      return true;
    case element_type::DOUBLE:
      *d = e.get_double().value_unsafe();
      return true;
    case element_type::STRING:
      return ParseNumber(e.get_string().value_unsafe(), d);
    default:
      return false;
  }
}

// Returns the text form of a scalar: a string as is, a number in shortest form, a bool as
// true/false. `scratch` holds the text when it is not a string.
std::string_view ScalarText(element e, std::string* scratch) {
  switch (e.type()) {
    case element_type::STRING:
      return e.get_string().value_unsafe();
    case element_type::BOOL:
      return e.get_bool().value_unsafe() ? "true" : "false";
    default: {
      double d;
      if (!ScalarNumber(e, &d)) return {};
      *scratch = ShortestNumber(d);
      return *scratch;
    }
  }
}

template <typename T>
bool Compare(Condition::Op op, const T& v, const std::vector<T>& targets) {
  switch (op) {
    case Condition::Op::kEq:
      return v == targets[0];
    case Condition::Op::kNe:
      return v != targets[0];
    case Condition::Op::kLt:
      return v < targets[0];
    case Condition::Op::kLe:
      return v <= targets[0];
    case Condition::Op::kGt:
      return v > targets[0];
    case Condition::Op::kGe:
      return v >= targets[0];
    case Condition::Op::kIn:
      return std::find(targets.begin(), targets.end(), v) != targets.end();
    case Condition::Op::kNotIn:
      return std::find(targets.begin(), targets.end(), v) == targets.end();
  }
  return false;
}

const char* OpText(Condition::Op op) {
  switch (op) {
    case Condition::Op::kEq:
      return "=";
    case Condition::Op::kNe:
      return "!=";
    case Condition::Op::kLt:
      return "<";
    case Condition::Op::kLe:
      return "<=";
    case Condition::Op::kGt:
      return ">";
    case Condition::Op::kGe:
      return ">=";
    case Condition::Op::kIn:
      return "in";
    case Condition::Op::kNotIn:
      return "not in";
  }
  return "?";
}

void AppendValue(const std::string& v, bool numeric, std::string* out) {
  double d;
  if (numeric && ParseNumber(v, &d)) {
    out->append(ShortestNumber(d));
    return;
  }
  out->push_back('"');
  for (char c : v) {
    if (c == '"' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
}

// The texts of which one must appear verbatim in the JSON of properties that satisfy `c`,
// or none when there is no such guarantee. A text condition `=` / `in` holds for a scalar
// whose text equals a value: a JSON string equal to it, or a bool (its text is the literal
// true/false); a number's text is a number, so a value that reads as a number is left out
// (its JSON may be spelled otherwise: 1e2 for 100). A JSON string without a backslash is
// its value byte for byte, so a value needing no escape appears verbatim wherever the JSON
// has no backslash at all (MayHold checks that).
std::vector<std::string> VerbatimNeedles(const Condition& c) {
  if (c.numeric || (c.op != Condition::Op::kEq && c.op != Condition::Op::kIn) || c.values.empty()) return {};
  for (const std::string& v : c.values) {
    double d;
    if (v.empty() || ParseNumber(v, &d)) return {};
    for (unsigned char ch : v) {
      if (ch == '"' || ch == '\\' || ch < 0x20) return {};
    }
  }
  return c.values;
}

}  // namespace

const char* AggFuncName(AggFunc f) {
  switch (f) {
    case AggFunc::kCount:
      return "count";
    case AggFunc::kSum:
      return "sum";
    case AggFunc::kMin:
      return "min";
    case AggFunc::kMax:
      return "max";
    case AggFunc::kDistinct:
      return "distinct";
    case AggFunc::kFirst:
      return "first";
    case AggFunc::kLast:
      return "last";
    case AggFunc::kMostFrequent:
      return "most_frequent";
  }
  return "?";
}

std::string AggregateSpec::Canonical() const {
  std::string out = AggFuncName(func);
  out.push_back('(');
  out.append(event.empty() ? "*" : event);
  if (!property.empty()) {
    out.push_back('.');
    out.append(property);
  }
  for (size_t i = 0; i < where.size(); ++i) {
    const Condition& c = where[i];
    out.append(i == 0 ? " where " : " and ");
    out.append(c.property);
    out.push_back(' ');
    out.append(OpText(c.op));
    out.push_back(' ');
    if (c.op == Condition::Op::kIn || c.op == Condition::Op::kNotIn) {
      out.push_back('(');
      for (size_t j = 0; j < c.values.size(); ++j) {
        if (j > 0) out.push_back(',');
        AppendValue(c.values[j], c.numeric, &out);
      }
      out.push_back(')');
    } else {
      AppendValue(c.values.empty() ? std::string() : c.values[0], c.numeric, &out);
    }
  }
  out.append(", ");
  out.append(window_days > 0 ? std::to_string(window_days) + "d" : "all");
  out.push_back(')');
  return out;
}

ComputedTraitAccumulator::ComputedTraitAccumulator(const AggregateSpec* spec) : spec_(spec) {
  auto compiled = std::make_shared<Compiled>();
  compiled->prop_path = SplitPath(spec->property);
  for (const Condition& c : spec->where) {
    Cond cond;
    cond.path = SplitPath(c.property);
    cond.op = c.op;
    cond.numeric = c.numeric;
    cond.text = c.values;
    if (cond.text.empty()) cond.text.emplace_back();
    if (c.numeric) {
      for (const std::string& v : cond.text) {
        double d;
        // A numeric condition whose value is not a number holds for nothing but `!=`/`not in`.
        cond.num.push_back(ParseNumber(v, &d) ? d : std::nan(""));
      }
    }
    cond.needles = VerbatimNeedles(c);
    compiled->conds.push_back(std::move(cond));
  }
  compiled_ = std::move(compiled);
}

bool ComputedTraitAccumulator::Wants(const storage::EventRecord& event) const {
  return event.msg_type == kTrackMessage && (spec_->event.empty() || spec_->event == event.event);
}

bool ComputedTraitAccumulator::InWindow(int64_t timestamp_ms, int64_t as_of_ms) const {
  if (timestamp_ms > as_of_ms) return false;
  return spec_->window_days <= 0 || timestamp_ms > as_of_ms - static_cast<int64_t>(spec_->window_days) * kDayMs;
}

bool ComputedTraitAccumulator::CountsWithoutProperties() const {
  return spec_->func == AggFunc::kCount && compiled_->conds.empty() && compiled_->prop_path.empty();
}

void ComputedTraitAccumulator::CountEvent(uint8_t msg_type, std::string_view source, std::string_view properties_json) {
  // As Wants and the parsed path: a track event counts when its properties are an object.
  if (msg_type != kTrackMessage) return;
  const size_t first = properties_json.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || properties_json[first] != '{') return;
  ++count_;
  Contributed(source);
}

void ComputedTraitAccumulator::Add(const storage::EventRecord& event, int64_t as_of_ms) {
  // The cheap tests first: most events of a windowed trait fall outside the window, and
  // their properties are never parsed.
  if (!Wants(event) || !InWindow(event.timestamp_ms, as_of_ms)) return;
  if (CountsWithoutProperties()) {
    // An object is counted without a parse; anything else goes to the parse below (which
    // counts nothing that is not an object).
    const std::string_view p = event.properties_json;
    const size_t first = p.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && p[first] == '{') {
      CountEvent(event.msg_type, event.source, p);
      return;
    }
  }
  if (!MayHold(event.properties_json)) return;
  thread_local simdjson::dom::parser parser;
  element props;
  if (parser.parse(event.properties_json).get(props) != simdjson::SUCCESS) return;
  Add(event, props, as_of_ms);
}

bool ComputedTraitAccumulator::MayHold(std::string_view json) const {
  bool checked_escapes = false;
  for (const Cond& c : compiled_->conds) {
    if (c.needles.empty()) continue;
    if (!checked_escapes) {
      if (std::memchr(json.data(), '\\', json.size()) != nullptr) return true;  // escapes: parse to know
      checked_escapes = true;
    }
    const bool found = std::any_of(c.needles.begin(), c.needles.end(), [&](const std::string& n) {
      return ::memmem(json.data(), json.size(), n.data(), n.size()) != nullptr;
    });
    if (!found) return false;
  }
  return true;
}

void ComputedTraitAccumulator::Contributed(const storage::EventRecord& event) { Contributed(event.source); }

void ComputedTraitAccumulator::Contributed(std::string_view source) {
  ++events_;
  if (std::find(sources_.begin(), sources_.end(), source) == sources_.end()) {
    sources_.emplace_back(source);
    std::sort(sources_.begin(), sources_.end());
  }
}

void ComputedTraitAccumulator::Add(const storage::EventRecord& event, const element& props,
                                   int64_t as_of_ms) {
  if (!Wants(event) || !InWindow(event.timestamp_ms, as_of_ms)) return;
  if (!props.is_object()) return;
  thread_local std::string scratch;
  auto holds = [&](const Cond& c, element v) {
    bool any = false;
    ForEachScalar(v, [&](element x) {
      if (any) return;
      if (c.numeric) {
        double d;
        any = ScalarNumber(x, &d) && Compare(c.op, d, c.num);
      } else {
        std::string_view t = ScalarText(x, &scratch);
        if (x.type() == element_type::STRING || !t.empty()) {
          // Compare against std::string targets without allocating.
          switch (c.op) {
            case Condition::Op::kIn:
            case Condition::Op::kNotIn: {
              bool found = std::find(c.text.begin(), c.text.end(), t) != c.text.end();
              any = (c.op == Condition::Op::kIn) == found;
              break;
            }
            default: {
              int cmp = t.compare(c.text[0]);
              any = c.op == Condition::Op::kEq   ? cmp == 0
                    : c.op == Condition::Op::kNe ? cmp != 0
                    : c.op == Condition::Op::kLt ? cmp < 0
                    : c.op == Condition::Op::kLe ? cmp <= 0
                    : c.op == Condition::Op::kGt ? cmp > 0
                                                 : cmp >= 0;
            }
          }
        }
      }
    });
    return any;
  };

  simdjson::dom::array products;
  const bool has_products =
      props.get_object().value_unsafe().at_key("products").get_array().get(products) ==
      simdjson::SUCCESS;
  uint64_t item_conds = 0;  // bit i: condition i was resolved against products[]
  for (size_t i = 0; i < compiled_->conds.size(); ++i) {
    const Cond& c = compiled_->conds[i];
    element v;
    if (Lookup(props, c.path, &v)) {
      if (!holds(c, v)) return;
      continue;
    }
    if (!has_products) return;
    bool any = false;
    for (element item : products) {
      if (Lookup(item, c.path, &v) && holds(c, v)) {
        any = true;
        break;
      }
    }
    if (!any) return;
    if (i < 64) item_conds |= uint64_t{1} << i;
  }

  bool contributed = false;
  if (compiled_->prop_path.empty()) {
    if (spec_->func == AggFunc::kCount) {
      ++count_;
      contributed = true;
    }
  } else {
    bool counted = false;
    bool first_value = true;
    auto take = [&](element x) {
      switch (spec_->func) {
        case AggFunc::kCount:
          if (!counted) ++count_;
          counted = contributed = true;
          break;
        case AggFunc::kSum:
        case AggFunc::kMin:
        case AggFunc::kMax: {
          double d;
          if (!ScalarNumber(x, &d)) break;
          sum_ += d;
          if (!has_num_ || d < min_) min_ = d;
          if (!has_num_ || d > max_) max_ = d;
          has_num_ = contributed = true;
          break;
        }
        case AggFunc::kDistinct:
        case AggFunc::kMostFrequent: {
          std::string_view t = ScalarText(x, &scratch);
          auto it = counts_.find(t);
          if (it == counts_.end()) it = counts_.emplace(std::string(t), 0).first;
          ++it->second;
          contributed = true;
          break;
        }
        case AggFunc::kFirst:
        case AggFunc::kLast: {
          if (!first_value) break;  // one value per event: the first in document order
          first_value = false;
          std::string_view t = ScalarText(x, &scratch);
          const int64_t ts = event.timestamp_ms;
          bool better;
          if (!has_best_) {
            better = true;
          } else if (spec_->func == AggFunc::kFirst) {
            better = ts < best_ts_ || (ts == best_ts_ && t < best_);
          } else {
            better = ts > best_ts_ || (ts == best_ts_ && t > best_);
          }
          if (better) {
            best_ts_ = ts;
            best_.assign(t);
            has_best_ = true;
          }
          contributed = true;
          break;
        }
      }
    };
    element v;
    if (Lookup(props, compiled_->prop_path, &v)) {
      ForEachScalar(v, take);
    } else if (has_products) {
      for (element item : products) {
        if (!Lookup(item, compiled_->prop_path, &v)) continue;
        bool all = true;
        for (size_t i = 0; i < compiled_->conds.size() && i < 64 && all; ++i) {
          if (!(item_conds >> i & 1)) continue;
          element cv;
          all = Lookup(item, compiled_->conds[i].path, &cv) && holds(compiled_->conds[i], cv);
        }
        if (all) ForEachScalar(v, take);
      }
    }
  }
  if (contributed) Contributed(event);
}

bool ComputedTraitAccumulator::has_value() const {
  switch (spec_->func) {
    case AggFunc::kCount:
    case AggFunc::kSum:
    case AggFunc::kDistinct:
      return true;
    case AggFunc::kMin:
    case AggFunc::kMax:
      return has_num_;
    case AggFunc::kFirst:
    case AggFunc::kLast:
      return has_best_;
    case AggFunc::kMostFrequent:
      return !counts_.empty();
  }
  return false;
}

bool ComputedTraitAccumulator::numeric() const {
  switch (spec_->func) {
    case AggFunc::kFirst:
    case AggFunc::kLast:
    case AggFunc::kMostFrequent:
      return false;
    default:
      return true;
  }
}

double ComputedTraitAccumulator::NumberValue() const {
  switch (spec_->func) {
    case AggFunc::kCount:
      return static_cast<double>(count_);
    case AggFunc::kSum:
      // Rounded so that the result does not depend on the order of the additions.
      return std::round(sum_ * 1e6) / 1e6;
    case AggFunc::kMin:
      return min_;
    case AggFunc::kMax:
      return max_;
    case AggFunc::kDistinct:
      return static_cast<double>(counts_.size());
    default:
      return 0;
  }
}

std::string ComputedTraitAccumulator::TextValue() const {
  if (spec_->func != AggFunc::kMostFrequent) return best_;
  auto best = counts_.begin();  // map order: ties go to the smaller text
  for (auto it = counts_.begin(); it != counts_.end(); ++it) {
    if (it->second > best->second) best = it;
  }
  return best->first;
}

void ComputedTraitAccumulator::WriteValue(JsonWriter* w) const {
  if (!has_value()) {
    w->Null();
  } else if (spec_->func == AggFunc::kCount) {
    w->Uint(count_);
  } else if (spec_->func == AggFunc::kDistinct) {
    w->Uint(counts_.size());
  } else if (numeric()) {
    w->Double(NumberValue());
  } else {
    w->String(TextValue());
  }
}

std::string ComputedTraitAccumulator::ValueJson() const {
  std::string out;
  JsonWriter w(&out);
  WriteValue(&w);
  return out;
}

std::string_view DefaultValueJson(const AggregateSpec& spec) {
  switch (spec.func) {
    case AggFunc::kCount:
    case AggFunc::kSum:
    case AggFunc::kDistinct:
      return "0";
    default:
      return "null";
  }
}

bool IndexedForTraits(const storage::EventRecord& event) {
  return event.msg_type == kTrackMessage && !event.event.empty();
}

std::vector<std::string> PropertiesRead(const AggregateSpec& spec) {
  std::vector<std::string> out;
  auto add = [&](const std::string& path) {
    if (path.empty()) return;
    out.emplace_back(path.substr(0, path.find('.')));
  };
  add(spec.property);
  for (const Condition& c : spec.where) add(c.property);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

namespace {

// Appends `object`'s members named in `keys` (sorted), in document order, as JSON members.
void AppendKeptMembers(simdjson::dom::object object, const std::vector<std::string>& keys, bool* first,
                       std::string* out) {
  for (simdjson::dom::key_value_pair field : object) {
    if (!std::binary_search(keys.begin(), keys.end(), field.key)) continue;
    if (!*first) out->push_back(',');
    *first = false;
    JsonWriter(out).String(field.key);
    out->push_back(':');
    out->append(simdjson::to_string(field.value));
  }
}

}  // namespace

std::string PruneProperties(std::string_view json, const std::vector<std::string>& keys) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(json.data(), json.size()).get_object().get(object) != simdjson::SUCCESS) return std::string(json);
  std::string out = "{";
  bool first = true;
  AppendKeptMembers(object, keys, &first, &out);
  simdjson::dom::array products;
  if (!std::binary_search(keys.begin(), keys.end(), std::string_view("products")) &&
      object.at_key("products").get_array().get(products) == simdjson::SUCCESS) {
    // The items, each cut down to `keys`: conditions and properties not at the top level are
    // looked up there, and the items' order and number are kept (first/last take the first
    // value in document order). The first "products" member is the one looked up.
    if (!first) out.push_back(',');
    first = false;
    out.append("\"products\":[");
    bool first_item = true;
    for (simdjson::dom::element item : products) {
      if (!first_item) out.push_back(',');
      first_item = false;
      simdjson::dom::object fields;
      if (item.get_object().get(fields) != simdjson::SUCCESS) {
        out.append("null");
        continue;
      }
      out.push_back('{');
      bool first_field = true;
      AppendKeptMembers(fields, keys, &first_field, &out);
      out.push_back('}');
    }
    out.push_back(']');
  }
  out.push_back('}');
  return out;
}

namespace {

std::string IndexValueWith(const storage::EventRecord& event, std::string properties_json) {
  storage::EventRecord projection;
  projection.msg_type = event.msg_type;
  projection.timestamp_ms = event.timestamp_ms;
  projection.source = event.source;
  projection.properties_json = std::move(properties_json);
  std::string out;
  projection.EncodeTo(&out);
  return out;
}

}  // namespace

std::string EventIndexValue(const storage::EventRecord& event) { return IndexValueWith(event, event.properties_json); }

std::string EventProjectionValue(const storage::EventRecord& event, const std::vector<std::string>& keys) {
  return IndexValueWith(event, PruneProperties(event.properties_json, keys));
}

}  // namespace holo::profile
