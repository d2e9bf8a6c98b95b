// model.h: the latent world the generator samples and then writes messages about.
//
// Phase 1 (plan.h) walks every household skeleton once and keeps only a few bytes per person
// (city, adopted apps, flags) plus the friendship graph, the stores and the kiosks. Phase 2
// rebuilds each household in full (household.h), simulates its members' messages
// (behavior.h), streams them out and forgets the household. Everything here is deterministic
// given the world seed.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "generate/catalog.h"
#include "generate/emitter.h"
#include "generate/ids.h"
#include "generate/ledger.h"
#include "holo/generate.h"

namespace holo::generate {

inline constexpr int64_t kMsPerSecond = 1000;
inline constexpr int64_t kMsPerMinute = 60 * kMsPerSecond;
inline constexpr int64_t kMsPerHour = 60 * kMsPerMinute;
inline constexpr int64_t kMsPerDay = 24 * kMsPerHour;
// People live on China Standard Time (UTC+8); messages are stamped in UTC.
inline constexpr int64_t kLocalOffsetMs = 8 * kMsPerHour;
inline constexpr int64_t kAlways = std::numeric_limits<int64_t>::min();
inline constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

// The simulated time span [start_ms, end_ms).
struct Window {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  int days = 0;
  // days / 90: event counts are calibrated for a 90-day window and scale linearly.
  double scale = 1.0;
};

enum class Role : uint8_t { kSingle, kHead, kSpouse, kChild, kElder, kRoommate };

// What phase 1 needs to know about a person: drawn from the household's skeleton stream.
struct MemberSkeleton {
  int age = 30;
  bool female = false;
  Role role = Role::kSingle;
  int income_tier = 3;
  bool works = true;
  bool minimal = false;          // one app, one phone, never logs in: links nothing
  bool kiosk_candidate = false;  // uses public terminals (if the city has enough such users)
  uint16_t apps = 0;             // Bit(Source) of the adopted apps
};

struct HouseholdSkeleton {
  int city = 0;
  int size = 1;
  std::array<MemberSkeleton, 5> members;
  bool tablet = false;  // a shared tablet used by >= 2 members' taobao accounts
};

// Per-person summary kept for the whole run (4 bytes).
struct PersonPlan {
  uint8_t city = 0;
  uint8_t flags = 0;
  uint16_t apps = 0;
  static constexpr uint8_t kMinimal = 1;
};

struct Sensor {
  std::string id;
  std::string_view zone;
};

struct Store {
  std::string id;
  int city = 0;
  std::string_view chain;
  double lat = 0, lon = 0;
  MacFormat sensor_format = MacFormat::kLowerColon;  // how this store's sensors print MACs
  std::vector<Sensor> sensors;                       // sensors[0] is the entrance
  std::vector<Sensor> beacons;
};

// A browser cookie's lifetime: the web anonymousId until the cookie is cleared.
struct CookiePeriod {
  std::string id;
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  bool logs_in = false;    // the owner logs in while this cookie lives
  bool logged_in = false;  // runtime: login already happened
};

// A public terminal (internet café PC, mall kiosk) that many people log into.
struct Kiosk {
  int city = 0;
  std::string device_id;
  std::string taobao_anon;
  std::vector<CookiePeriod> cookies;
  DeviceContext context;
  EntityLedger ledger;
  uint32_t users = 0;
};

struct Install {
  Source app = Source::kTaobao;
  std::string anon_id;
  int64_t login_ms = kAlways;        // messages at or after carry the userId
  bool login_identify = false;       // an identify is sent at login_ms
  int64_t refresh_identify_ms = -1;  // a later re-identify on a pre-existing install
  bool sends_mac = false;            // the app's SDK adds the hardware MAC to externalIds
};

struct Phone {
  bool ios = false;
  std::string device_id;
  std::string ad_id;
  bool ad_limited = false;  // sends the all-zero placeholder
  uint64_t mac48 = 0;
  std::array<std::string, kNumMacFormats> mac_text;  // by MacFormat (4 unless foreign shapes)
  bool randomizes_mac = false;
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  std::vector<Install> installs;
  DeviceContext context;         // app messages
  DeviceContext beacon_context;  // beacon SDK: device id only
  bool seen_by_wifi = false;     // runtime: the hardware MAC was probed at a store
  bool mac_sent_online = false;  // runtime: an app sent the hardware MAC

  Install* Find(Source app) {
    for (Install& i : installs) {
      if (i.app == app) return &i;
    }
    return nullptr;
  }
};

struct Browser {
  bool mobile = false;
  std::vector<CookiePeriod> cookies;
  DeviceContext context;
};

// A campaign ad shown to the person (planned before the apps are simulated, so purchases
// can respond to earlier exposures).
struct Exposure {
  int64_t ts = 0;
  int campaign = 0;
  Source app = Source::kTaobao;
  bool clicked = false;
  bool shown = false;  // a Promotion Viewed was emitted (the app was on the phone in use)
};

// The horizon of a campaign's true effect (campaigns.csv): a purchase of the campaign's brand
// within this many days after the person's first shown exposure.
inline constexpr int kCampaignHorizonDays = 7;

// Per campaign, over the persons shown at least one of its ads: the model's probability that
// the person buys the campaign's brand within kCampaignHorizonDays after the first exposure,
// as exposed and in the counterfactual without any of the campaign's exposures (same shopping
// sessions, same other campaigns). Written to campaigns.csv by world.cc.
struct CampaignTruth {
  uint64_t exposed_persons = 0;
  uint64_t clicked_persons = 0;
  uint64_t exposures = 0;  // Promotion Viewed messages
  double sum_p_exposed = 0;
  double sum_p_unexposed = 0;
};

struct Person {
  uint64_t index = 0;
  std::string id;  // "p000123"
  int member = 0;  // position in the household
  MemberSkeleton sk;
  int city = 0;

  const NameChar* surname = nullptr;
  std::vector<const NameChar*> given;
  std::string name_zh;      // "王芳"
  std::string name_pinyin;  // "Wang Fang"

  std::string mobile;       // "13812345678"
  std::string email;        // canonical (lower case), empty if none
  std::string email_typed;  // as the person types it
  std::string email2;       // a second address, rarely used

  double travel_propensity = 0.2;
  double activity = 1.0;
  double store_affinity = 1.0;
  std::array<double, kNumCategories> category_affinity{};
  std::array<std::array<double, kBrandsPerCategory>, kNumCategories> brand_affinity{};
  std::array<double, 6> genre_affinity{};  // youku genres

  bool works = false;
  double work_lat = 0, work_lon = 0;
  std::string work_street;

  std::array<std::string, kNumApps> user_ids;  // per app; tmall holds the taobao id
  std::vector<Phone> phones;
  std::vector<Browser> browsers;
  bool web_account = false;
  int64_t web_signup_ms = kAlways;       // account created in the window (alias), or kAlways
  int64_t minigame_signup_ms = kAlways;  // guest upgraded to an account, or kAlways
  bool member_programme = false;
  uint16_t linked_apps = 0;  // apps linked through the taobao membership programme
  int64_t membership_ms = 0;
  bool bluetooth = false;
  bool uses_tablet = false;
  int kiosk = -1;
  std::vector<int> home_stores;
  std::vector<int> work_stores;
  int salary_day = 0;  // 0: no salary
  double salary = 0;
  std::vector<Exposure> exposures;
  EntityLedger* ledger = nullptr;

  bool Has(Source app) const { return (sk.apps & Bit(app)) != 0; }
  const std::string& UserId(Source app) const { return user_ids[Index(app)]; }
};

struct Address {
  int district = 0;
  int street = 0;
  int number = 1;
  int building = 0;  // 0: none
  int unit = 0;
  int room = 101;
  std::string postcode;
};

struct Tablet {
  bool ios = false;
  std::string device_id;
  std::string ad_id;
  bool ad_limited = false;
  uint64_t mac48 = 0;
  std::string mac_text;
  bool sends_mac = false;
  std::string taobao_anon;
  std::string youku_anon;
  DeviceContext context;
  EntityLedger ledger;
};

struct Household {
  uint64_t index = 0;
  std::string id;  // "h000045"
  int city = 0;
  double home_lat = 0, home_lon = 0;
  Address address;
  std::vector<Person> members;
  bool has_tablet = false;
  Tablet tablet;
  int payer = -1;  // member who pays the utility bills (alipay), or -1
};

// ---- foreign shapes (WorldOptions::foreign_shapes; README "Foreign shapes") ----
// Every hub identifier below belongs to a pseudo-entity of its own (never a person), whose
// ledger lives in ForeignWorld::ledgers (world-wide) or in the household's home-IP and
// family-email ledgers (per household).

// How one store's feeds are shaped.
struct ForeignStore {
  MacFormat visitor_format = MacFormat::kLowerColon;  // how its sensors spell visitor MACs
  bool sensor_anon = false;  // Probe Seen's anonymousId is the sensor's id, not the MAC
  std::vector<std::string> sensor_ids;         // per Store::sensors (when sensor_anon)
  std::vector<EntityLedger*> sensor_ledgers;   // "sensor-<store>-<k>"
  bool pos_as_device = true;  // terminal id in context.device.id, else externalIds
  double order_rate = 0.3;    // share of visits (by taobao users) that end in an order
  std::vector<std::string> pos_ids;
  std::vector<DeviceContext> pos_contexts;     // pos_as_device
  std::vector<EntityLedger*> pos_ledgers;      // "pos-<store>-<k>"
};

struct Courier {
  std::string phone;  // context.traits.phone of the eleme orders the courier delivers
  EntityLedger* ledger = nullptr;  // "courier-<n>"
};

struct Office {
  std::string bssid;               // the access point's MAC in one spelling
  std::string_view bssid_type;     // "bssid", or "mac" (a gateway MAC sent as the device's)
  IdType bssid_truth = IdType::kBssid;
  std::string ip;                  // the office's public IP (context.ip)
  EntityLedger* ledger = nullptr;  // "office-<n>"
};

struct NatIp {
  std::string ip;
  EntityLedger* ledger = nullptr;  // "ip-nat-<n>"
};

struct QaAccount {
  std::string user_id;  // user_id@taobao, "qa_0001"
  double rate = 0;      // chance that a store visit ends with staff logging it in on the phone
  EntityLedger* ledger = nullptr;  // "qa-<n>"
};

struct QaDevice {
  std::string device_id;
  std::string taobao_anon;
  DeviceContext context;
  EntityLedger* ledger = nullptr;  // "qa-device-<n>"
};

struct ForeignWorld {
  // Returns a new world-level pseudo-entity ledger; addresses are stable (a deque).
  EntityLedger* NewLedger(std::string label) {
    ledgers.emplace_back();
    ledgers.back().Reset(std::move(label));
    return &ledgers.back();
  }

  std::deque<EntityLedger> ledgers;  // world-level pseudo-entities, in truth.csv order
  std::vector<ForeignStore> stores;  // per World::stores
  std::vector<int32_t> courier_of;   // per person: index into couriers, -1: none
  std::vector<int32_t> office_of;    // per person: index into offices, -1: none
  std::vector<Courier> couriers;
  std::vector<Office> offices;
  std::vector<std::vector<NatIp>> nat_by_city;
  std::string callcentre_phone_plain, callcentre_phone_intl;
  EntityLedger* callcentre = nullptr;  // "callcentre-1"
  std::vector<QaAccount> qa;
  std::vector<QaDevice> qa_devices;

  // The household being simulated (set by world.cc before SimulateHousehold).
  std::string home_ip;
  EntityLedger home_ip_ledger;  // "ip-home-<household>"
  std::string family_email;     // empty: none
  EntityLedger family_ledger;   // "family-email-<household>"
  uint8_t family_members = 0;   // bit i: member i puts the family e-mail in an identify
  uint8_t family_senders = 0;   // runtime: bit i: member i did

  // Runtime counters.
  uint64_t in_store_orders = 0;
  uint64_t callcentre_orders = 0;
  uint64_t qa_logins = 0;
  uint64_t family_emails = 0;  // households where >= 2 members sent the family e-mail
  uint64_t home_ips = 0;       // home-IP ledgers with rows
};

// Everything phase 2 reads besides the household at hand.
struct World {
  WorldOptions options;
  Window window;
  uint64_t seed = 0;
  uint64_t id_key = 0;  // key of the identifier permutations
  uint64_t households = 0;
  std::vector<PersonPlan> plan;
  std::vector<uint32_t> friend_offsets;  // CSR, size persons + 1
  std::vector<uint32_t> friends;
  std::vector<int32_t> kiosk_of;  // per person, -1 if none
  std::vector<Kiosk> kiosks;
  std::vector<Store> stores;
  std::vector<std::vector<int>> stores_by_city;
  uint64_t shared_tablets = 0;
  std::array<CampaignTruth, kNumCampaigns> campaign_truth{};
  std::unique_ptr<ForeignWorld> foreign;  // null unless options.foreign_shapes

  std::span<const uint32_t> FriendsOf(uint64_t person) const {
    return {friends.data() + friend_offsets[person], friends.data() + friend_offsets[person + 1]};
  }
};

}  // namespace holo::generate
