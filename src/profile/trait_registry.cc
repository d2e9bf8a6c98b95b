#include "profile/trait_registry.h"

namespace holo::profile {

std::string_view TraitTypeName(TraitType t) {
  switch (t) {
    case TraitType::kNumber:
      return "number";
    case TraitType::kBool:
      return "bool";
    case TraitType::kString:
      return "string";
    case TraitType::kStringList:
      return "string list";
  }
  return "?";
}

const std::vector<TraitInfo>& BuiltinTraits() {
  using T = TraitType;
  static const std::vector<TraitInfo> kTraits = {
      {"order_count", "spending", T::kNumber, "Order Completed events, all time"},
      {"total_spend", "spending", T::kNumber, "sum of order revenue, all time (CNY)"},
      {"spend_90d", "spending", T::kNumber, "sum of order revenue in the 90 days to as_of"},
      {"spending_power", "spending", T::kNumber, "weighted mean of the tiers of its spending signals, 1..5"},
      {"top_categories", "affinity", T::kStringList, "up to 5 categories by recency-weighted orders, carts, wishlists and views"},
      {"top_brands", "affinity", T::kStringList, "up to 5 brands by recency-weighted orders, carts, wishlists and views"},
      {"top_category", "affinity", T::kString, "the first of top_categories"},
      {"top_brand", "affinity", T::kString, "the first of top_brands"},
      {"city", "location", T::kString, "most frequent shipping_address.city, normalised"},
      {"price_sensitivity", "affinity", T::kString, "low, medium or high from price_sensitivity_score"},
      {"price_sensitivity_score", "affinity", T::kNumber, "0.5 x discount share + 0.5 x price comparison, 0..1"},
      {"home_area", "location", T::kString, "chosen home cell, lat,lon with 2 decimals"},
      {"work_area", "location", T::kString, "chosen work cell, away from home; needs 2 votes"},
      {"home_city", "location", T::kString, "city, else the known city nearest to home_area"},
      {"home_postcode", "location", T::kString, "most frequent shipping_address.postcode"},
      {"commute_mode", "location", T::kString, "car, public_transport, bike or walk between home and work"},
      {"travel_domestic_trips", "travel", T::kNumber, "domestic trips, all time"},
      {"travel_international_trips", "travel", T::kNumber, "international trips, all time"},
      {"travel_class", "travel", T::kString, "premium when at least half of the flights are, else economy"},
      {"travel_style", "travel", T::kString, "international, domestic or none"},
      {"salary_day", "payments", T::kNumber, "most frequent local day of month of employer inflows"},
      {"salary_band", "payments", T::kString, "median monthly employer inflow band"},
      {"pays_utilities", "payments", T::kBool, "any Payment Made to a utility other than mobile top-ups"},
      {"family_card_user", "payments", T::kBool, "any Payment Made with a family card"},
      {"trending_interests", "interests", T::kStringList, "up to 5 post topics by recency and lift"},
      {"video_genres", "interests", T::kStringList, "up to 3 video genres by recency-weighted plays"},
      {"consent_analytics", "consent", T::kBool, "analytics consent given, from the consent ledger under the policy"},
      {"consent_personalization", "consent", T::kBool, "personalization consent given (ledger and policy)"},
      {"consent_marketing", "consent", T::kBool, "marketing consent given (ledger and policy)"},
      {"consent_third_party", "consent", T::kBool, "third-party sharing consent given (ledger and policy)"},
      {"age", "demographics", T::kNumber, "from identify age, else birthday on as_of"},
      {"age_band", "demographics", T::kString, "<18, 18-24, 25-34, 35-44, 45-54, 55-64, 65+"},
      {"gender", "demographics", T::kString, "from identify traits"},
      {"utm_source_first", "context", T::kString, "context.campaign.source (else utm_source of the page URL) of the earliest event that has one"},
      {"utm_source_last", "context", T::kString, "context.campaign.source (else utm_source of the page URL) of the latest event that has one"},
      {"utm_campaign_first", "context", T::kString, "context.campaign.name (else utm_campaign of the page URL) of the earliest event that has one"},
      {"utm_campaign_last", "context", T::kString, "context.campaign.name (else utm_campaign of the page URL) of the latest event that has one"},
      {"device_type", "context", T::kString, "mobile, tablet, desktop or bot, from the latest context.userAgent"},
      {"os_family", "context", T::kString, "Windows, macOS, iOS, Android, Chrome OS or Linux, from the latest user agent"},
      {"browser_family", "context", T::kString, "Chrome, Safari, Firefox, Edge, Samsung Internet, ..., from the latest user agent"},
      {"locale", "context", T::kString, "context.locale of the latest event that has one"},
      {"timezone", "context", T::kString, "context.timezone of the latest event that has one"},
      {"accounts", "accounts", T::kStringList, "the accounts (B2B) the person's group calls named: their keys, the hex pseudonyms of their groupIds"},
      {"account_names", "accounts", T::kStringList, "the latest name (group trait) the person's group calls gave each of their accounts, sorted"},
      {"store_visits_90d", "stores", T::kNumber, "distinct (store, local day) of Probe Seen / Beacon Seen in 90 days"},
      {"stores_visited_90d", "stores", T::kNumber, "distinct stores among store_visits_90d"},
      {"favourite_store", "stores", T::kString, "the store_id with the most visit days in 90 days (ties: the latest)"},
      {"store_visit_frequency", "stores", T::kString, "store_visits_90d as once (1), occasional (2-3), regular (4-9), frequent (10+)"},
      {"last_store_visit", "stores", T::kString, "the latest Probe Seen / Beacon Seen, ISO-8601 UTC"},
      {"days_since_store_visit", "stores", T::kNumber, "whole days from last_store_visit to as_of"},
      {"household_size", "household", T::kNumber, "people sharing a delivery-address key (people graph), 1 alone"},
  };
  return kTraits;
}

const TraitInfo* FindBuiltinTrait(std::string_view name) {
  for (const TraitInfo& t : BuiltinTraits()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

}  // namespace holo::profile
