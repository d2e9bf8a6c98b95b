// catalog.h: the fixed reference data of a world: cities, districts and streets, Chinese names,
// product categories and brands, brand campaigns, restaurants, video titles, weibo topics,
// travel destinations and MAC vendor prefixes. Pure data; nothing here is random.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace holo::generate {

struct City {
  std::string_view name;             // "Beijing"
  std::string_view name_zh;          // "北京"
  int tier;                          // 1..4
  double lat, lon;                   // centre
  double weight;                     // share of the population (relative)
  std::string_view postcode_prefix;  // first three digits of the 6-digit postcode
  double radius_km;                  // spread of homes around the centre (1 sigma)
  bool has_subway;
  std::array<std::string_view, 5> districts;     // "Chaoyang"
  std::array<std::string_view, 5> districts_zh;  // "朝阳区"
};
std::span<const City> Cities();

struct Street {
  std::string_view name;     // "Jianguo"
  std::string_view name_zh;  // "建国"
};
std::span<const Street> Streets();

struct NameChar {
  std::string_view zh;
  std::string_view pinyin;
};
std::span<const NameChar> Surnames();
std::span<const NameChar> GivenNamesFemale();
std::span<const NameChar> GivenNamesMale();
std::span<const std::string_view> OfficeParks();

// Product categories. DO NOT REORDER: category indices are stored in product ids.
inline constexpr int kNumCategories = 10;
inline constexpr int kBrandsPerCategory = 5;
inline constexpr int kProductsPerBrand = 60;
struct Category {
  std::string_view name;  // "apparel"
  std::array<std::string_view, kBrandsPerCategory> brands;
  double min_price, max_price;              // CNY, for one unit
  std::array<std::string_view, 4> queries;  // search terms
  std::array<std::string_view, 2> weibo_topics;
};
std::span<const Category> Categories();

inline constexpr int kNumCampaigns = 8;
struct Campaign {
  std::string_view id;    // "c03"
  std::string_view name;  // "Mate Launch"
  int category;
  int brand;                    // index within the category
  double start_frac, end_frac;  // active part of the window
};
std::span<const Campaign> Campaigns();
std::span<const std::string_view> Creatives();

struct Restaurant {
  std::string_view brand;
  std::string_view kind;  // "fast_food", "coffee", ...
  std::array<std::string_view, 3> dishes;
  double min_price, max_price;
};
std::span<const Restaurant> Restaurants();

struct Video {
  std::string_view title;
  std::string_view genre;  // drama, variety, anime, documentary, movie, sports
  int length_s;
};
std::span<const Video> Videos();
std::span<const std::string_view> HotTopics();

struct Destination {
  std::string_view city;
  std::string_view country;  // ISO 3166-1 alpha-2
  double lat, lon;
};
std::span<const Destination> InternationalDestinations();

std::span<const std::string_view> StoreChains();
std::span<const std::string_view> StoreZones();
std::span<const std::string_view> MobilePrefixes();
std::span<const std::string_view> EmailDomains();

// MAC vendor prefixes (OUI), all globally administered unicast (second hex digit 0/4/8/C).
std::span<const uint32_t> AppleOuis();
std::span<const uint32_t> AndroidOuis();

}  // namespace holo::generate
