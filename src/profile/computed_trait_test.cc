#include "profile/computed_trait.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <random>

#include "storage/event_record.h"

namespace holo::profile {
namespace {

constexpr int64_t kDay = 86'400'000;
constexpr int64_t kNow = 1000 * kDay;

storage::EventRecord Event(std::string name, int64_t ts, std::string props,
                           std::string source = "taobao") {
  storage::EventRecord e;
  e.msg_type = 2;  // track
  e.event = std::move(name);
  e.timestamp_ms = ts;
  e.properties_json = std::move(props);
  e.source = std::move(source);
  return e;
}

Condition Cond(std::string prop, Condition::Op op, std::vector<std::string> values,
               bool numeric = false) {
  Condition c;
  c.property = std::move(prop);
  c.op = op;
  c.values = std::move(values);
  c.numeric = numeric;
  return c;
}

AggregateSpec Spec(AggFunc f, std::string event, std::string property = "",
                   std::vector<Condition> where = {}, int window_days = 0) {
  AggregateSpec s;
  s.func = f;
  s.event = std::move(event);
  s.property = std::move(property);
  s.where = std::move(where);
  s.window_days = window_days;
  return s;
}

std::string Eval(const AggregateSpec& spec, const std::vector<storage::EventRecord>& events) {
  ComputedTraitAccumulator acc(&spec);
  for (const auto& e : events) acc.Add(e, kNow);
  return acc.ValueJson();
}

// Two orders: one with a luxury and a books item, one with books only.
std::vector<storage::EventRecord> Orders() {
  return {
      Event("Order Completed", kNow - 10 * kDay,
            R"({"revenue":5200,"products":[{"category":"luxury","brand":"Gucci","price":5000},
                 {"category":"books","brand":"CITIC","price":200}],"shipping_address":{"city":"Hangzhou"}})"),
      Event("Order Completed", kNow - 100 * kDay,
            R"({"revenue":60,"products":[{"category":"books","brand":"CITIC","price":60}],
                 "shipping_address":{"city":"Shanghai"}})",
            "tmall"),
      Event("Product Viewed", kNow - 1 * kDay, R"({"category":"luxury","price":9000})"),
  };
}

TEST(CanonicalTest, MatchesTheDocumentedForm) {
  AggregateSpec s = Spec(AggFunc::kCount, "Order Completed", "",
                         {Cond("category", Condition::Op::kEq, {"luxury"})}, 180);
  EXPECT_EQ(s.Canonical(), R"(count(Order Completed where category = "luxury", 180d))");
  EXPECT_EQ(s.TraitName(), s.Canonical());
  s.name = "luxury_orders";
  EXPECT_EQ(s.TraitName(), "luxury_orders");
}

TEST(CanonicalTest, PropertyOpsNumbersListsAndEscapes) {
  AggregateSpec s = Spec(AggFunc::kSum, "Order Completed", "revenue",
                         {Cond("revenue", Condition::Op::kGe, {"100.50"}, true),
                          Cond("city", Condition::Op::kNotIn, {"a\"b", "c\\d"}),
                          Cond("rating", Condition::Op::kIn, {"4", "5.0"}, true),
                          Cond("brand", Condition::Op::kNe, {"X"})});
  EXPECT_EQ(s.Canonical(),
            R"(sum(Order Completed.revenue where revenue >= 100.5 and city not in ("a\"b","c\\d"))"
            R"( and rating in (4,5) and brand != "X", all))");
  EXPECT_EQ(Spec(AggFunc::kMostFrequent, "Trip Completed", "mode", {}, 30).Canonical(),
            "most_frequent(Trip Completed.mode, 30d)");
  for (auto [f, name] : {std::pair{AggFunc::kMin, "min"}, {AggFunc::kMax, "max"},
                         {AggFunc::kDistinct, "distinct"}, {AggFunc::kFirst, "first"},
                         {AggFunc::kLast, "last"}}) {
    EXPECT_EQ(std::string(AggFuncName(f)), name);
  }
  EXPECT_EQ(Spec(AggFunc::kCount, "Post Created", "", {Cond("x", Condition::Op::kLt, {"1e3"}, true)})
                .Canonical(),
            "count(Post Created where x < 1000, all)");
}

TEST(ComputedTraitTest, CountWithFilterOnProductsItems) {
  auto spec = Spec(AggFunc::kCount, "Order Completed", "",
                   {Cond("category", Condition::Op::kEq, {"luxury"})});
  EXPECT_EQ(Eval(spec, Orders()), "1");
  spec.where[0].values = {"books"};
  EXPECT_EQ(Eval(spec, Orders()), "2");
  spec.where[0].values = {"sports"};
  EXPECT_EQ(Eval(spec, Orders()), "0");
}

TEST(ComputedTraitTest, SumOfProductPropertyOnlyOverMatchingItems) {
  auto spec = Spec(AggFunc::kSum, "Order Completed", "price",
                   {Cond("category", Condition::Op::kEq, {"books"})});
  EXPECT_EQ(Eval(spec, Orders()), "260");
  spec.where.clear();
  EXPECT_EQ(Eval(spec, Orders()), "5260");
  // A top-level property sums once per event, whatever the items.
  auto revenue = Spec(AggFunc::kSum, "Order Completed", "revenue",
                      {Cond("category", Condition::Op::kEq, {"luxury"})});
  EXPECT_EQ(Eval(revenue, Orders()), "5200");
}

TEST(ComputedTraitTest, WindowEdgesAreExclusiveBelowInclusiveAtAsOf) {
  auto spec = Spec(AggFunc::kCount, "E", "", {}, 30);
  std::vector<storage::EventRecord> events = {
      Event("E", kNow - 30 * kDay, "{}"),      // exactly at the lower edge: out
      Event("E", kNow - 30 * kDay + 1, "{}"),  // in
      Event("E", kNow, "{}"),                  // at as_of: in
      Event("E", kNow + 1, "{}"),              // after as_of: out
  };
  EXPECT_EQ(Eval(spec, events), "2");
  spec.window_days = 0;
  EXPECT_EQ(Eval(spec, events), "3");
}

TEST(ComputedTraitTest, MissingPropertyFailsEveryOperator) {
  std::vector<storage::EventRecord> events = {Event("E", kNow, R"({"a":1})"),
                                              Event("E", kNow, R"({"b":null})")};
  for (auto op : {Condition::Op::kEq, Condition::Op::kNe, Condition::Op::kNotIn}) {
    EXPECT_EQ(Eval(Spec(AggFunc::kCount, "E", "", {Cond("b", op, {"x"})}), events), "0");
  }
  EXPECT_EQ(Eval(Spec(AggFunc::kCount, "E", "", {Cond("a", Condition::Op::kNe, {"2"}, true)}),
                 events),
            "1");
  // A missing aggregated property: no contribution, so min is null and sum 0.
  EXPECT_EQ(Eval(Spec(AggFunc::kMin, "E", "zzz"), events), "null");
  EXPECT_EQ(Eval(Spec(AggFunc::kSum, "E", "zzz"), events), "0");
  EXPECT_EQ(Eval(Spec(AggFunc::kCount, "E", "a"), events), "1");
}

TEST(ComputedTraitTest, NumericVersusStringComparison) {
  std::vector<storage::EventRecord> events = {
      Event("E", kNow, R"({"rating":5,"postcode":"200001","price":"99.5"})"),
      Event("E", kNow, R"({"rating":10,"postcode":"30000","price":100})"),
  };
  auto count = [&](Condition c) { return Eval(Spec(AggFunc::kCount, "E", "", {c}), events); };
  // Numeric: 10 > 9; as text "10" < "9".
  EXPECT_EQ(count(Cond("rating", Condition::Op::kGt, {"9"}, true)), "1");
  EXPECT_EQ(count(Cond("rating", Condition::Op::kGt, {"9"})), "0");
  // A number property compared with a string uses its text form.
  EXPECT_EQ(count(Cond("rating", Condition::Op::kEq, {"5"})), "1");
  // A string holding a number compares numerically under a numeric condition.
  EXPECT_EQ(count(Cond("postcode", Condition::Op::kGt, {"100000"}, true)), "1");
  EXPECT_EQ(count(Cond("price", Condition::Op::kLt, {"100"}, true)), "1");
  EXPECT_EQ(count(Cond("rating", Condition::Op::kIn, {"5", "7"}, true)), "1");
  EXPECT_EQ(count(Cond("rating", Condition::Op::kNotIn, {"5", "7"}, true)), "1");
  // Text ordering on strings.
  EXPECT_EQ(count(Cond("postcode", Condition::Op::kLe, {"25"})), "1");
  // A non-numeric value of a numeric condition matches nothing (and everything for !=).
  EXPECT_EQ(count(Cond("rating", Condition::Op::kEq, {"abc"}, true)), "0");
  EXPECT_EQ(count(Cond("rating", Condition::Op::kNe, {"abc"}, true)), "2");
}

TEST(ComputedTraitTest, MinMaxDistinctAndArrays) {
  EXPECT_EQ(Eval(Spec(AggFunc::kMin, "Order Completed", "price"), Orders()), "60");
  EXPECT_EQ(Eval(Spec(AggFunc::kMax, "Order Completed", "price"), Orders()), "5000");
  EXPECT_EQ(Eval(Spec(AggFunc::kDistinct, "Order Completed", "category"), Orders()), "2");
  EXPECT_EQ(Eval(Spec(AggFunc::kDistinct, "Order Completed", "shipping_address.city"), Orders()),
            "2");
  std::vector<storage::EventRecord> posts = {
      Event("Post Created", kNow - kDay, R"({"topics":["ai","travel"]})", "weibo"),
      Event("Post Created", kNow, R"({"topics":["ai"]})", "weibo"),
  };
  EXPECT_EQ(Eval(Spec(AggFunc::kCount, "Post Created", "",
                      {Cond("topics", Condition::Op::kEq, {"travel"})}),
                 posts),
            "1");
  EXPECT_EQ(Eval(Spec(AggFunc::kMostFrequent, "Post Created", "topics"), posts), R"("ai")");
  EXPECT_EQ(Eval(Spec(AggFunc::kDistinct, "Post Created", "topics"), posts), "2");
}

TEST(ComputedTraitTest, FirstLastMostFrequentAreStringsAndOrderIndependent) {
  std::vector<storage::EventRecord> events = {
      Event("Trip Completed", kNow - 5 * kDay, R"({"mode":"bus","km":3})", "amap"),
      Event("Trip Completed", kNow - 1 * kDay, R"({"mode":"car","km":12.5})", "amap"),
      Event("Trip Completed", kNow - 3 * kDay, R"({"mode":"car","km":7})", "amap"),
      Event("Trip Completed", kNow - 9 * kDay, R"({"mode":"walk"})", "amap"),
  };
  auto first = Spec(AggFunc::kFirst, "Trip Completed", "mode");
  auto last = Spec(AggFunc::kLast, "Trip Completed", "km");
  auto mf = Spec(AggFunc::kMostFrequent, "Trip Completed", "mode");
  std::mt19937 rng(7);
  for (int round = 0; round < 5; ++round) {
    EXPECT_EQ(Eval(first, events), R"("walk")");
    EXPECT_EQ(Eval(last, events), R"("12.5")");
    EXPECT_EQ(Eval(mf, events), R"("car")");
    std::shuffle(events.begin(), events.end(), rng);
  }
  EXPECT_EQ(Eval(first, {}), "null");
  EXPECT_EQ(Eval(mf, {}), "null");
  // Ties on the timestamp go to the smaller text for first, the larger for last.
  std::vector<storage::EventRecord> tie = {Event("T", kNow, R"({"m":"b"})"),
                                           Event("T", kNow, R"({"m":"a"})")};
  EXPECT_EQ(Eval(Spec(AggFunc::kFirst, "T", "m"), tie), R"("a")");
  EXPECT_EQ(Eval(Spec(AggFunc::kLast, "T", "m"), tie), R"("b")");
  std::reverse(tie.begin(), tie.end());
  EXPECT_EQ(Eval(Spec(AggFunc::kFirst, "T", "m"), tie), R"("a")");
}

TEST(ComputedTraitTest, EventNameAndMessageTypeAndSources) {
  auto spec = Spec(AggFunc::kCount, "", "", {Cond("category", Condition::Op::kEq, {"books"})});
  auto events = Orders();
  auto identify = Event("", kNow, R"({"category":"books"})");
  identify.msg_type = 1;
  events.push_back(identify);
  ComputedTraitAccumulator acc(&spec);
  for (const auto& e : events) acc.Add(e, kNow);
  EXPECT_EQ(acc.ValueJson(), "2");  // any track event; the identify does not count
  EXPECT_EQ(acc.events(), 2u);
  EXPECT_EQ(acc.sources(), (std::vector<std::string>{"taobao", "tmall"}));
  EXPECT_EQ(Eval(Spec(AggFunc::kCount, "Product Viewed"), Orders()), "1");
}

TEST(ComputedTraitTest, MalformedPropertiesAreIgnored) {
  auto spec = Spec(AggFunc::kCount, "E");
  EXPECT_EQ(Eval(spec, {Event("E", kNow, "not json"), Event("E", kNow, "[1,2]"),
                        Event("E", kNow, "{}")}),
            "1");
}

// A projection keeps, of each event's properties, what traits over a set of top-level
// properties read (PruneProperties): every spec whose PropertiesRead is within the set gives
// the same value and the same contributing events and sources over the cut-down properties.
// Random documents (products items or not, nested objects, arrays, nulls, duplicate keys,
// escapes, numbers spelled otherwise, non-object items) and random specs over them.
TEST(ComputedTraitTest, PrunedPropertiesGiveEverySpecWithinTheirKeysTheSameValue) {
  std::mt19937 rng(20261206);
  auto pick = [&](std::initializer_list<const char*> xs) {
    auto it = xs.begin();
    std::advance(it, rng() % xs.size());
    return std::string(*it);
  };
  const std::vector<std::string> names = {"category", "price", "brand", "city", "tags", "rating", "shipping"};
  auto scalar = [&]() {
    return pick({R"("luxury")", R"("books")", R"("lu\u0078ury")", "5", "5.0", "1e2", "100", R"("100")", "true",
                 "null", R"("Hang\u007ahou")", R"("say \"hi\"")", R"("茶")", "-3.25"});
  };
  auto value = [&](int depth) {
    const unsigned k = rng() % 10;
    if (k < 6 || depth > 1) return scalar();
    if (k < 8) return "[" + scalar() + "," + scalar() + "]";
    return std::string(R"({"city":)") + scalar() + R"(,"zip":)" + scalar() + "}";
  };
  auto object = [&](int depth, bool allow_products) {
    std::string o = "{";
    const unsigned n = rng() % 5;
    for (unsigned i = 0; i < n; ++i) {
      if (i > 0) o += ",";
      o += "\"" + names[rng() % names.size()] + "\":" + value(depth);
    }
    if (allow_products && rng() % 2) {
      if (n > 0) o += ",";
      o += R"("products":[)";
      const unsigned items = rng() % 4;
      for (unsigned i = 0; i < items; ++i) {
        if (i > 0) o += ",";
        if (rng() % 6 == 0) {
          o += scalar();  // not an object
          continue;
        }
        o += "{";
        const unsigned f = 1 + rng() % 3;
        for (unsigned j = 0; j < f; ++j) {
          if (j > 0) o += ",";
          o += "\"" + names[rng() % names.size()] + "\":" + value(depth + 1);
        }
        o += "}";
      }
      o += "]";
    }
    return o + "}";
  };
  const std::vector<AggFunc> funcs = {AggFunc::kCount, AggFunc::kSum,   AggFunc::kMin,  AggFunc::kMax,
                                      AggFunc::kDistinct, AggFunc::kFirst, AggFunc::kLast, AggFunc::kMostFrequent};
  const std::vector<Condition::Op> ops = {Condition::Op::kEq, Condition::Op::kNe, Condition::Op::kLt, Condition::Op::kGe,
                                          Condition::Op::kIn, Condition::Op::kNotIn};
  const std::vector<std::string> paths = {"category", "price", "brand", "city", "tags", "rating", "shipping.city",
                                          "products", "shipping"};
  size_t nonzero = 0;
  for (int round = 0; round < 300; ++round) {
    std::vector<storage::EventRecord> events;
    for (int i = 0; i < 6; ++i) {
      events.push_back(Event("E", kNow - static_cast<int64_t>(rng() % 40) * kDay, object(0, true),
                             rng() % 2 ? "taobao" : "tmall"));
    }
    AggregateSpec spec = Spec(funcs[rng() % funcs.size()], "E", rng() % 4 ? paths[rng() % paths.size()] : "", {},
                              rng() % 2 ? 30 : 0);
    if (spec.func != AggFunc::kCount && spec.property.empty()) spec.property = "price";
    const unsigned conds = rng() % 3;
    for (unsigned c = 0; c < conds; ++c) {
      const Condition::Op op = ops[rng() % ops.size()];
      const bool numeric = rng() % 3 == 0;
      std::vector<std::string> values = {numeric ? pick({"5", "100", "-1"}) : pick({"luxury", "books", "100", "true", "Hangzhou", "茶"})};
      if (op == Condition::Op::kIn || op == Condition::Op::kNotIn) values.push_back(pick({"books", "5", "tea"}));
      spec.where.push_back(Cond(paths[rng() % paths.size()], op, values, numeric));
    }
    // The projection keeps what this spec reads, and sometimes more.
    std::vector<std::string> keys = PropertiesRead(spec);
    if (rng() % 2) keys.push_back(names[rng() % names.size()]);
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    ComputedTraitAccumulator full(&spec), pruned(&spec);
    for (const storage::EventRecord& e : events) {
      full.Add(e, kNow);
      storage::EventRecord cut = e;
      cut.properties_json = PruneProperties(e.properties_json, keys);
      pruned.Add(cut, kNow);
    }
    ASSERT_EQ(pruned.ValueJson(), full.ValueJson()) << spec.Canonical() << " over " << events[0].properties_json;
    ASSERT_EQ(pruned.events(), full.events()) << spec.Canonical();
    ASSERT_EQ(pruned.sources(), full.sources()) << spec.Canonical();
    if (full.events() > 0) ++nonzero;
  }
  EXPECT_GE(nonzero, 60u);  // the specs match something: the comparison is not vacuous
  // Not an object, or not JSON: kept as it is; a plain count keeps only the braces.
  EXPECT_EQ(PruneProperties("[1,2]", {"a"}), "[1,2]");
  EXPECT_EQ(PruneProperties("{oops", {"a"}), "{oops");
  EXPECT_EQ(PruneProperties(R"({"a":1,"b":{"c":2}})", {}), "{}");
  EXPECT_EQ(PruneProperties(R"({"a":1,"b":{"c":2},"products":[{"a":3,"d":4},7]})", {"b"}),
            R"({"b":{"c":2},"products":[{},null]})");
}

}  // namespace
}  // namespace holo::profile

namespace holo::profile {
namespace {

// The skip test before the parse (a text `=` / `in` value must appear verbatim in the JSON)
// never changes a value: the same events added with their properties parsed by the caller
// (no skip test) give the same result, for values spelled with escapes, numbers written
// otherwise, bools, nested objects, products[] items and arrays of scalars.
TEST(ComputedTraitTest, TheSkipTestBeforeTheParseNeverChangesAValue) {
  const std::vector<std::string> docs = {
      R"({"category":"luxury"})",
      R"({"category":"lu\u0078ury"})",                       // escaped: the text lacks "luxury"
      R"({"category":"\u006cuxury","note":"x"})",
      R"({"products":[{"category":"books"},{"category":"lux\u0075ry","price":7}]})",
      R"({"products":[{"category":"luxury","price":5},{"category":"books","price":2}]})",
      R"({"category":"luxury goods"})",
      R"({"category":["tea","luxury"]})",
      R"({"rating":1e2,"flag":true})",
      R"({"rating":100.0,"flag":false})",
      R"({"rating":"100","flag":"true"})",
      R"({"shipping":{"city":"Hangzhou"}})",
      R"({"shipping":{"city":"Hang\u007ahou"}})",
      R"({"quote":"say \"hi\""})",
      R"({"category":null})",
      R"({})",
  };
  const std::vector<AggregateSpec> specs = {
      Spec(AggFunc::kCount, "E", "", {Cond("category", Condition::Op::kEq, {"luxury"})}),
      Spec(AggFunc::kSum, "E", "price", {Cond("category", Condition::Op::kEq, {"luxury"})}),
      Spec(AggFunc::kCount, "E", "", {Cond("category", Condition::Op::kIn, {"tea", "luxury"})}),
      Spec(AggFunc::kCount, "E", "", {Cond("rating", Condition::Op::kEq, {"100"})}),
      Spec(AggFunc::kCount, "E", "", {Cond("rating", Condition::Op::kEq, {"100"}, /*numeric=*/true)}),
      Spec(AggFunc::kCount, "E", "", {Cond("flag", Condition::Op::kEq, {"true"})}),
      Spec(AggFunc::kCount, "E", "", {Cond("shipping.city", Condition::Op::kEq, {"Hangzhou"})}),
      Spec(AggFunc::kCount, "E", "", {Cond("quote", Condition::Op::kEq, {"say \"hi\""})}),
      Spec(AggFunc::kCount, "E", "", {Cond("category", Condition::Op::kNe, {"luxury"})}),
      Spec(AggFunc::kCount, "E", "", {Cond("category", Condition::Op::kEq, {""})}),
      Spec(AggFunc::kMostFrequent, "E", "category",
           {Cond("category", Condition::Op::kIn, {"luxury", "books"}), Cond("price", Condition::Op::kGt, {"1"}, true)}),
  };
  size_t skipped_somewhere = 0;
  for (const AggregateSpec& spec : specs) {
    ComputedTraitAccumulator with_skip(&spec), parsed(&spec);
    for (size_t i = 0; i < docs.size(); ++i) {
      storage::EventRecord e = Event("E", kNow - static_cast<int64_t>(i) * kDay, docs[i]);
      with_skip.Add(e, kNow);
      simdjson::dom::parser parser;
      simdjson::dom::element props;
      ASSERT_EQ(parser.parse(docs[i]).get(props), simdjson::SUCCESS) << docs[i];
      parsed.Add(e, props, kNow);
    }
    EXPECT_EQ(with_skip.ValueJson(), parsed.ValueJson()) << spec.Canonical();
    EXPECT_EQ(with_skip.events(), parsed.events()) << spec.Canonical();
    if (with_skip.events() > 0) ++skipped_somewhere;
  }
  EXPECT_GE(skipped_somewhere, 8u);  // the specs do match something: the comparison is not vacuous
  // The escaped spellings are what the skip test must not drop: "luxury" counted 6 times
  // (plain, two escaped, the escaped item, the luxury item, the array), "luxury goods" not.
  ComputedTraitAccumulator lux(&specs[0]);
  for (size_t i = 0; i < docs.size(); ++i) lux.Add(Event("E", kNow, docs[i]), kNow);
  EXPECT_EQ(lux.ValueJson(), "6");
}

}  // namespace
}  // namespace holo::profile
