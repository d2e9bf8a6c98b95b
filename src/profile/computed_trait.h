// Computed traits declared by users: an aggregate of one event property over a
// window, with a filter — `count(Order Completed where category = "luxury", 180d)`.
//
// The expression language (segment/expr.h) parses them; profile building
// evaluates them per OneID (ComputedTraitAccumulator); the engine keeps the
// declared list (config or API) and stores each result as a trait of the
// profile named AggregateSpec::name, so segments can use it like any trait.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace simdjson::dom {
class element;
}  // namespace simdjson::dom

namespace holo {
class JsonWriter;
namespace storage {
struct EventRecord;
}  // namespace storage
}  // namespace holo

namespace holo::profile {

enum class AggFunc { kCount, kSum, kMin, kMax, kDistinct, kFirst, kLast, kMostFrequent };

// A filter on one event property. The property is looked up at the top level of
// the event's properties and, when absent there, in each item of `products[]`
// (the condition holds when it holds for any item).
struct Condition {
  enum class Op { kEq, kNe, kLt, kLe, kGt, kGe, kIn, kNotIn };
  std::string property;
  Op op = Op::kEq;
  // For kEq/kNe/kLt..kGe: one value; for kIn/kNotIn: the list. A value is a
  // number when `numeric` is set (compared as double), else a string.
  std::vector<std::string> values;
  bool numeric = false;
};

struct AggregateSpec {
  AggFunc func = AggFunc::kCount;
  std::string event;     // event name ("Order Completed"); empty = any track event
  std::string property;  // aggregated property; empty for count
  std::vector<Condition> where;  // all must hold
  int window_days = 0;           // events in (as_of - window, as_of]; 0 = all time
  std::string name;              // trait name; empty = Canonical()

  // Returns a stable text form, e.g. `count(Order Completed where category = "luxury", 180d)`;
  // two specs with the same canonical text compute the same value.
  std::string Canonical() const;
  const std::string& TraitName() const { return name.empty() ? (canonical_cache_ = Canonical()) : name; }

 private:
  mutable std::string canonical_cache_;
};

const char* AggFuncName(AggFunc f);

// Returns the value of `spec` for a person with no contributing event, as JSON: "0" for
// count, sum and distinct, "null" otherwise. Profiles store a computed trait only where it
// differs (an event contributed); readers fill this default in (FillComputedDefaults).
std::string_view DefaultValueJson(const AggregateSpec& spec);

// Returns the value of an event_index row (storage::keys::EventNameKey) for `event`: the
// projection that computed traits read, so that defining one is a scan of the index
// rather than a read of each event. It is the event record itself without identifiers (the
// key holds the OneID the event is attributed to), message id and event name (the key holds
// it); it starts with the head of an event record, so the events' retention filter expires
// it too (docs/storage_format.md).
std::string EventIndexValue(const storage::EventRecord& event);
// Returns whether a computed trait can read `event` (a track event with a name): the events
// the event index holds.
bool IndexedForTraits(const storage::EventRecord& event);

// The top-level property names `spec` reads: the first name of the aggregated property's path
// and of each condition's, sorted, without repeats (empty for a plain count).
std::vector<std::string> PropertiesRead(const AggregateSpec& spec);
// `json` (an event's properties) cut down to what a computed trait reading only the top-level
// properties `keys` (sorted) can see: those members, in order, and — when `products` is an
// array and not one of `keys` — each of its items cut down the same way (an item that is not
// an object becomes null). Every AggregateSpec whose PropertiesRead is within `keys` gives the
// same value over the result as over `json`. Not an object, or not JSON: returned as it is.
std::string PruneProperties(std::string_view json, const std::vector<std::string>& keys);
// EventIndexValue with the properties cut down to `keys` (PruneProperties): an event index
// projection row (storage::keys::EventProjectionKey).
std::string EventProjectionValue(const storage::EventRecord& event, const std::vector<std::string>& keys);

// Evaluates one AggregateSpec over the events of one OneID.
//
//   ComputedTraitAccumulator acc(&spec);
//   for (const EventRecord& e : events) acc.Add(e, as_of_ms);
//   acc.WriteValue(&writer);  // 3, 1250.5, "Hangzhou" or null
//
// Semantics (docs/traits.md, "Computed traits"):
// - An event matches when it is a track event named spec.event (any track event when empty),
//   its timestamp is in (as_of - window, as_of] (window 0: any time up to as_of) and every
//   condition holds.
// - A condition's property is looked up at the top level of the properties (a dotted name
//   `a.b` walks into objects); when absent there, in each item of `products[]`, and it holds
//   when it holds for any item. A top-level array of scalars (`topics[]`) holds when any element
//   does. A missing property fails every condition, `!=` and `not in` included.
// - A numeric condition compares numbers (a string property holding a number text, such as
//   "200001", is read as one); a string condition compares text (a number property is compared by
//   its shortest text form, so `rating = "5"` holds for 5).
// - The aggregated property is read the same way; when it comes from `products[]`, only the
//   items that satisfy every condition resolved against items contribute (sum(Order
//   Completed.price where category = "luxury") sums the luxury items' prices).
// - count counts matching events (with a property: those where it is present); sum/min/max
//   read numbers; distinct counts distinct values (by text); first/last take the value at the
//   earliest/latest timestamp (ties: the smaller/larger text); most_frequent the most frequent
//   value (ties: the smaller text). count, sum and distinct are 0 and the others null when no
//   event contributed.
// Order-independent: events may be added in any order. `as_of_ms` must be the same for every
// Add. The spec must outlive the accumulator. Thread-compatible.
class ComputedTraitAccumulator {
 public:
  explicit ComputedTraitAccumulator(const AggregateSpec* spec);
  // An empty accumulator of the same spec, sharing what was derived from it (the split
  // paths, the conditions' values): for one accumulator per OneID over many OneIDs.
  ComputedTraitAccumulator Fresh() const { return ComputedTraitAccumulator(spec_, compiled_); }

  // Returns whether an event with this message type and name can match (no parsing needed).
  bool Wants(const storage::EventRecord& event) const;
  // Adds one event whose properties were already parsed into `props` (an object).
  void Add(const storage::EventRecord& event, const simdjson::dom::element& props,
           int64_t as_of_ms);
  // Adds one event, parsing its properties.
  void Add(const storage::EventRecord& event, int64_t as_of_ms);

  // Writes the value: a number (count/sum/min/max/distinct), a string or null.
  void WriteValue(JsonWriter* w) const;
  // Returns the value as JSON text, e.g. "3", "\"tea\"", "null".
  std::string ValueJson() const;
  // Returns whether the value is not null.
  bool has_value() const;
  // Returns whether the value is a number (count, sum, min, max, distinct) rather than text.
  bool numeric() const;
  // The value as written by WriteValue. REQUIRES: has_value(); numeric() for NumberValue.
  double NumberValue() const;
  std::string TextValue() const;

  const AggregateSpec& spec() const { return *spec_; }
  // Returns whether an event at `timestamp_ms` is in the window: (as_of - window, as_of].
  bool InWindow(int64_t timestamp_ms, int64_t as_of_ms) const;
  // Events that contributed to the value, and their sources.
  uint64_t events() const { return events_; }
  // True when the trait counts events without reading any property (a count with no
  // condition): CountEvent then takes an event from its head alone.
  bool CountsWithoutProperties() const;
  // Adds one event of spec().event in the window, given only its message type, source and
  // properties JSON: what Add does for a trait that CountsWithoutProperties.
  void CountEvent(uint8_t msg_type, std::string_view source, std::string_view properties_json);
  const std::vector<std::string>& sources() const { return sources_; }

 private:
  // Counts `event` among the contributing events and notes its source.
  void Contributed(const storage::EventRecord& event);
  void Contributed(std::string_view source);
  // False when the properties' JSON text shows that some condition cannot hold (a skip
  // test before the parse); true when they may (or the text cannot tell).
  bool MayHold(std::string_view properties_json) const;

  struct Cond {
    std::vector<std::string_view> path;  // dotted property name, split
    Condition::Op op;
    std::vector<std::string> text;       // string values (also the original text of numbers)
    std::vector<double> num;             // numeric values when the condition is numeric
    bool numeric;
    // For `=` / `in` on text: the values, when each must appear verbatim in the JSON text of
    // properties that satisfy the condition (see MayHold); empty: no such test.
    std::vector<std::string> needles;
  };

  // What the constructor derives from the spec, shared by Fresh() copies.
  struct Compiled {
    std::vector<Cond> conds;
    std::vector<std::string_view> prop_path;
  };
  ComputedTraitAccumulator(const AggregateSpec* spec, std::shared_ptr<const Compiled> compiled)
      : spec_(spec), compiled_(std::move(compiled)) {}

  const AggregateSpec* spec_;
  std::shared_ptr<const Compiled> compiled_;
  uint64_t events_ = 0;
  std::vector<std::string> sources_;
  // count/sum/min/max
  uint64_t count_ = 0;
  double sum_ = 0;
  double min_ = 0;
  double max_ = 0;
  bool has_num_ = false;
  // first/last
  int64_t best_ts_ = 0;
  std::string best_;
  bool has_best_ = false;
  // distinct/most_frequent
  std::map<std::string, uint64_t, std::less<>> counts_;
};

}  // namespace holo::profile
