#include "recommend/events.h"

#include <simdjson.h>

namespace holo::recommend {

namespace {

std::string_view Str(simdjson::dom::object o, std::string_view key) {
  std::string_view v;
  if (o[key].get_string().get(v) != simdjson::SUCCESS) return {};
  return v;
}

// A product's id and words: product_id, else sku, else name.
struct Product {
  std::string id, label, category;
};
bool ProductOf(simdjson::dom::object p, Product* out) {
  std::string_view id = Str(p, "product_id");
  if (id.empty()) {
    int64_t n = 0;
    if (p["product_id"].get_int64().get(n) == simdjson::SUCCESS) out->id = std::to_string(n);
  } else {
    out->id = std::string(id);
  }
  if (out->id.empty()) out->id = std::string(Str(p, "sku"));
  const std::string_view name = Str(p, "name"), brand = Str(p, "brand"), category = Str(p, "category");
  if (out->id.empty()) out->id = std::string(name);
  if (out->id.empty()) return false;
  out->category = std::string(category);
  std::string label(!name.empty() ? name : brand);
  if (!category.empty()) label += label.empty() ? std::string(category) : " (" + std::string(category) + ")";
  out->label = label.empty() ? "product " + out->id : label;
  return true;
}

void Add(std::string_view source, std::string_view what, std::string_view id, Kind kind, std::string label,
         std::string_view verb, std::string_view category, std::vector<ItemTouch>* out) {
  ItemTouch t;
  t.category = category;
  t.item.reserve(source.size() + what.size() + id.size() + 2);
  t.item.append(source).append(":").append(what).append(":").append(id);
  // An item is one field of an interaction file: no separators, no line breaks in it.
  for (char& c : t.item) {
    if (c == ',' || c == '\t' || c == '\n' || c == '\r') c = ' ';
  }
  t.kind = kind;
  t.weight = static_cast<float>(kind == Kind::kAny ? 1 : static_cast<int>(kind));
  t.label = std::move(label);
  t.verb = verb;
  out->push_back(std::move(t));
}

}  // namespace

std::string_view DomainOf(std::string_view item) {
  const size_t colon = item.find(':');
  return colon == std::string_view::npos ? item : item.substr(0, colon);
}

std::string ExplainBecause(std::string_view verb, std::string_view label) {
  return "because you " + std::string(verb) + " " + std::string(label);
}

void ItemsOfEvent(std::string_view source, std::string_view event, std::string_view properties_json,
                  std::vector<ItemTouch>* out) {
  // The events that touch items; every other event is skipped before its JSON is parsed.
  enum class E { kNone, kView, kWish, kCart, kReview, kOrder, kFlight, kHotel, kPlay, kPay, kCoupon, kPost };
  E e = E::kNone;
  if (event == "Product Viewed" || event == "Product Clicked") e = E::kView;
  else if (event == "Product Added to Wishlist") e = E::kWish;
  else if (event == "Product Added") e = E::kCart;
  else if (event == "Product Reviewed") e = E::kReview;
  else if (event == "Order Completed") e = E::kOrder;
  else if (event == "Flight Booked") e = E::kFlight;
  else if (event == "Hotel Booked") e = E::kHotel;
  else if (event == "Video Content Playing" || event == "Video Playback Started") e = E::kPlay;
  else if (event == "Payment Made") e = E::kPay;
  else if (event == "Coupon Redeemed") e = E::kCoupon;
  else if (event == "Post Created") e = E::kPost;
  if (e == E::kNone || source.empty()) return;
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::object props;
  if (parser.parse(properties_json.data(), properties_json.size()).get(root) != simdjson::SUCCESS ||
      root.get_object().get(props) != simdjson::SUCCESS) {
    return;
  }
  Product p;
  switch (e) {
    case E::kView:
    case E::kWish:
    case E::kCart:
    case E::kReview: {
      if (!ProductOf(props, &p)) return;
      const Kind kind = e == E::kView ? Kind::kView : e == E::kCart ? Kind::kCart : Kind::kFavourite;
      const std::string_view verb = e == E::kView ? "viewed" : e == E::kWish ? "saved" : e == E::kCart ? "added" : "reviewed";
      Add(source, "product", p.id, kind, std::move(p.label), verb, p.category, out);
      return;
    }
    case E::kOrder: {
      simdjson::dom::array products;
      if (props["products"].get_array().get(products) != simdjson::SUCCESS) return;
      for (simdjson::dom::element item : products) {
        simdjson::dom::object o;
        Product q;
        if (item.get_object().get(o) != simdjson::SUCCESS || !ProductOf(o, &q)) continue;
        Add(source, "product", q.id, Kind::kBuy, std::move(q.label), "bought", q.category, out);
      }
      return;
    }
    case E::kFlight:
    case E::kHotel: {
      const std::string_view city = Str(props, "destination");
      if (city.empty()) return;
      const bool flight = e == E::kFlight;
      Add(source, flight ? "flight" : "hotel", city, Kind::kBuy,
          (flight ? "a flight to " : "a hotel in ") + std::string(city), "booked", Str(props, "country"), out);
      return;
    }
    case E::kPlay: {
      std::string_view title = Str(props, "title");
      if (title.empty()) title = Str(props, "asset_id");
      if (title.empty()) return;
      Add(source, "show", title, Kind::kView, std::string(title), "watched", Str(props, "genre"), out);
      return;
    }
    case E::kPay: {
      const std::string_view counterparty = Str(props, "counterparty_type"), category = Str(props, "category");
      if ((!counterparty.empty() && counterparty != "merchant") || category.empty()) return;
      const bool vowel = std::string_view("aeiouAEIOU").find(category.front()) != std::string_view::npos;
      Add(source, "merchant", category, Kind::kBuy, (vowel ? "an " : "a ") + std::string(category) + " merchant", "paid",
          category, out);
      return;
    }
    case E::kCoupon: {
      const std::string_view id = Str(props, "coupon_id");
      if (id.empty()) return;
      Add(source, "coupon", id, Kind::kBuy, "coupon " + std::string(id), "redeemed", Str(props, "campaign"), out);
      return;
    }
    case E::kPost: {
      simdjson::dom::array topics;
      if (props["topics"].get_array().get(topics) != simdjson::SUCCESS) return;
      for (simdjson::dom::element t : topics) {
        std::string_view topic;
        if (t.get_string().get(topic) != simdjson::SUCCESS || topic.empty()) continue;
        Add(source, "topic", topic, Kind::kView, std::string(topic), "posted about", topic, out);
      }
      return;
    }
    case E::kNone:
      return;
  }
}

}  // namespace holo::recommend
