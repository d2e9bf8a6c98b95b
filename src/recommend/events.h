// Interactions from Segment-spec events (shared/EVENTS.md): which items an event touches, how
// strongly, and the words that explain a recommendation it leads to.
//
//   std::vector<ItemTouch> touches;
//   ItemsOfEvent("fliggy", "Flight Booked", R"({"destination":"Amsterdam",...})", &touches);
//   // touches[0]: item "fliggy:flight:Amsterdam", kind kBuy, "booked a flight to Amsterdam"
//
// Items are namespaced by their domain — the source that saw them — so a taobao product and a
// tmall product with the same id are two items, and a model can learn that one domain's items
// follow another's:
//
//   Product Viewed / Added to Wishlist / Added / Reviewed   SOURCE:product:ID  view 1, favourite 2, cart 3, 2
//   Order Completed (each of products[])                   SOURCE:product:ID  buy 4
//   Flight Booked / Hotel Booked                           SOURCE:flight:CITY / SOURCE:hotel:CITY  buy 4
//   Video Content Playing                                  SOURCE:show:TITLE  view 1
//   Payment Made to a merchant                             SOURCE:merchant:CATEGORY  buy 4
//   Coupon Redeemed                                        SOURCE:coupon:ID  buy 4
//   Post Created (each of topics[])                        SOURCE:topic:TOPIC  view 1
//
// A product's id is its product_id, else its sku, else its name (Segment's clients send any of
// them). Other events touch no item. Nothing here reads a store: the engine hands events in.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "recommend/interactions.h"

namespace holo::recommend {

struct ItemTouch {
  std::string item;   // "taobao:product:P123"
  Kind kind = Kind::kView;
  float weight = 1;
  std::string label;  // what the item is, for people: "Pampers diapers (baby)", "a flight to Amsterdam"
  std::string verb;   // what the person did: "viewed", "bought", "booked"
  // What kind of thing it is, across items: a product's or merchant's category, a show's
  // genre, a trip's country, a post's topic; empty when the event does not say.
  std::string category;
};

// Appends the items `event` of `source` touches. A malformed `properties_json` touches none.
void ItemsOfEvent(std::string_view source, std::string_view event, std::string_view properties_json,
                  std::vector<ItemTouch>* out);

// The domain of an item ("taobao" of "taobao:product:P1"); the item itself when it has none.
std::string_view DomainOf(std::string_view item);

// "because you booked a flight to Amsterdam"
std::string ExplainBecause(std::string_view verb, std::string_view label);

}  // namespace holo::recommend
