// GenerateWorld: phase 1 plans the population (plan.h), phase 2 streams it household by
// household: build (household.h), simulate (behavior.h), flush messages to the per-source
// files, append the household's truth rows, forget the household.
#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

#include <fmt/format.h>

#include "common/json_writer.h"
#include "common/time_util.h"
#include "generate/behavior.h"
#include "generate/household.h"
#include "generate/model.h"
#include "generate/plan.h"
#include "holo/generate.h"

namespace holo {
namespace {

using generate::kNumSources;

constexpr std::array<std::string_view, kNumSources> kSourceFiles = {
    "taobao", "tmall", "alipay",   "eleme", "amap",       "fliggy",
    "youku",  "weibo", "minigame", "web",   "store_wifi", "store_beacon",
};

constexpr uint64_t kMaxPersons = 4000000;  // hardware MACs are unique below 2^24 device slots
constexpr size_t kFlushBytes = 1 << 20;

// A buffered output file. Not thread-safe.
class OutFile {
 public:
  OutFile() = default;
  OutFile(const OutFile&) = delete;
  OutFile& operator=(const OutFile&) = delete;
  ~OutFile() {
    if (file_ != nullptr) std::fclose(file_);
  }

  Status Open(const std::filesystem::path& path) {
    path_ = path.string();
    file_ = std::fopen(path_.c_str(), "wb");
    if (file_ == nullptr) return Status::IOError(path_ + ": " + std::strerror(errno));
    buffer_.reserve(kFlushBytes + (kFlushBytes >> 2));
    return Status::OK();
  }

  std::string* buffer() { return &buffer_; }
  uint64_t bytes() const { return bytes_; }

  Status Flush() {
    if (buffer_.empty()) return Status::OK();
    if (std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) {
      return Status::IOError(path_ + ": " + std::strerror(errno));
    }
    bytes_ += buffer_.size();
    buffer_.clear();
    return Status::OK();
  }

  Status FlushIfFull() { return buffer_.size() >= kFlushBytes ? Flush() : Status::OK(); }

  Status Close() {
    HOLO_RETURN_IF_ERROR(Flush());
    const int rc = std::fclose(file_);
    file_ = nullptr;
    if (rc != 0) return Status::IOError(path_ + ": " + std::strerror(errno));
    return Status::OK();
  }

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  std::string buffer_;
  uint64_t bytes_ = 0;
};

// Parses "YYYY-MM-DD" into days since 1970-01-01.
Status ParseDate(std::string_view text, int64_t* days) {
  auto digits = [&](size_t pos, size_t n, int* out) {
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      v = v * 10 + (text[i] - '0');
    }
    *out = v;
    return true;
  };
  int y, m, d;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !digits(0, 4, &y) ||
      !digits(5, 2, &m) || !digits(8, 2, &d) || m < 1 || m > 12 || d < 1 ||
      static_cast<unsigned>(d) > DaysInMonth(y, static_cast<unsigned>(m))) {
    return Status::InvalidArgument("end_date must be a valid YYYY-MM-DD date, got '" +
                                   std::string(text) + "'");
  }
  *days = DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return Status::OK();
}

Status Validate(const WorldOptions& o, int64_t* end_day) {
  if (o.persons < 1 || o.persons > kMaxPersons) {
    return Status::InvalidArgument(
        fmt::format("persons must be in [1, {}], got {}", kMaxPersons, o.persons));
  }
  if (o.days < 1 || o.days > 3660) {
    return Status::InvalidArgument(fmt::format("days must be in [1, 3660], got {}", o.days));
  }
  if (o.noise < 0 || o.noise > 2) {
    return Status::InvalidArgument(fmt::format("noise must be 0, 1 or 2, got {}", o.noise));
  }
  if (o.out_dir.empty()) return Status::InvalidArgument("out_dir must be set");
  return ParseDate(o.end_date, end_day);
}

void AppendPersonRow(const generate::Household& hh, const generate::Person& p, std::string* out) {
  const generate::City& city = generate::Cities()[hh.city];
  std::array<int, generate::kNumCategories> order;
  for (int i = 0; i < generate::kNumCategories; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return p.category_affinity[a] > p.category_affinity[b]; });
  std::string categories, brands;
  for (int i = 0; i < 3; ++i) {
    const int c = order[i];
    const auto& aff = p.brand_affinity[c];
    const auto best = std::max_element(aff.begin(), aff.end()) - aff.begin();
    if (i > 0) {
      categories += '|';
      brands += '|';
    }
    categories += generate::Categories()[c].name;
    brands += generate::Categories()[c].brands[best];
  }
  fmt::format_to(std::back_inserter(*out), "{},{},{},{},{},{},{:.5f},{:.5f},", p.id, hh.id,
                 p.sk.age, p.sk.female ? "F" : "M", city.name, city.tier, hh.home_lat, hh.home_lon);
  if (p.works) {
    fmt::format_to(std::back_inserter(*out), "{:.5f},{:.5f},", p.work_lat, p.work_lon);
  } else {
    out->append(",,");
  }
  fmt::format_to(std::back_inserter(*out), "{},{:.3f},", p.sk.income_tier, p.travel_propensity);
  generate::AppendCsvField(categories, out);
  out->push_back(',');
  generate::AppendCsvField(brands, out);
  out->push_back('\n');
}

// campaigns.csv: each campaign's planned window and its true effect (model.h CampaignTruth).
std::string CampaignsCsv(const generate::World& world) {
  std::string out =
      "campaign_id,campaign,brand,category,start,end,horizon_days,exposed_persons,"
      "clicked_persons,exposures,p_buy_exposed,p_buy_unexposed,true_effect_pp\n";
  const auto campaigns = generate::Campaigns();
  const generate::Window& win = world.window;
  for (int c = 0; c < generate::kNumCampaigns; ++c) {
    const generate::Campaign& camp = campaigns[c];
    const generate::Category& cat = generate::Categories()[camp.category];
    const generate::CampaignTruth& t = world.campaign_truth[c];
    const auto at = [&](double frac) {
      return FormatIso8601Ms(win.start_ms +
                             static_cast<int64_t>(frac * (win.end_ms - win.start_ms)));
    };
    const double n = static_cast<double>(t.exposed_persons);
    const double p_exposed = n > 0 ? t.sum_p_exposed / n : 0;
    const double p_unexposed = n > 0 ? t.sum_p_unexposed / n : 0;
    fmt::format_to(std::back_inserter(out), "{},", camp.id);
    generate::AppendCsvField(camp.name, &out);
    out.push_back(',');
    generate::AppendCsvField(cat.brands[camp.brand], &out);
    fmt::format_to(std::back_inserter(out), ",{},{},{},{},{},{},{},{:.6f},{:.6f},{:.4f}\n",
                   cat.name, at(camp.start_frac), at(camp.end_frac),
                   generate::kCampaignHorizonDays, t.exposed_persons, t.clicked_persons,
                   t.exposures, p_exposed, p_unexposed, 100 * (p_exposed - p_unexposed));
  }
  return out;
}

// Foreign shapes: the household's home IP (household.id in 36.0.0.0/8) and, in some
// households of >= 2 adults who log in, a family e-mail that 2+ members use.
void PrepareForeignHousehold(const generate::World& world, const generate::Household& hh,
                             generate::ForeignWorld* fw) {
  using generate::Rng;
  const uint64_t low = generate::Permute(hh.index, 1ULL << 24, generate::Mix(world.id_key, 0x36));
  fw->home_ip = fmt::format("36.{}.{}.{}", (low >> 16) & 0xFF, (low >> 8) & 0xFF,
                            std::max<uint64_t>(1, low & 0xFF));
  fw->home_ip_ledger.Reset("ip-home-" + hh.id);
  fw->family_ledger.Reset("family-email-" + hh.id);
  fw->family_email.clear();
  fw->family_members = 0;
  fw->family_senders = 0;
  Rng rng = Rng::For(world.seed, generate::Stream::kForeignHousehold, hh.index);
  std::vector<int> adults;
  for (const generate::Person& p : hh.members) {
    if (p.sk.age >= 18 && !p.sk.minimal) adults.push_back(p.member);
  }
  if (adults.size() < 2 || !rng.Chance(0.3)) return;
  for (size_t i = adults.size(); i > 1; --i) std::swap(adults[i - 1], adults[rng.Below(i)]);
  const auto count = static_cast<size_t>(rng.Range(2, static_cast<int64_t>(adults.size())));
  for (size_t i = 0; i < count; ++i) fw->family_members |= static_cast<uint8_t>(1u << adults[i]);
  std::string surname(hh.members[0].surname->pinyin);
  for (char& c : surname) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  fw->family_email = fmt::format("{}jia{}@139.com", surname, hh.index);
}

// Foreign-shape stats: pseudo-entities that made it into the truth, and the runtime counters.
void CountForeign(const generate::ForeignWorld& fw, WorldStats* out) {
  for (const generate::ForeignStore& f : fw.stores) {
    for (const generate::EntityLedger* l : f.sensor_ledgers) out->foreign_sensors += l->rows() > 0;
    for (const generate::EntityLedger* l : f.pos_ledgers) out->pos_terminals += l->rows() > 0;
  }
  for (const generate::Courier& c : fw.couriers) out->couriers += c.ledger->rows() > 0;
  for (const generate::Office& o : fw.offices) out->offices += o.ledger->rows() > 0;
  for (const auto& nats : fw.nat_by_city) {
    for (const generate::NatIp& n : nats) out->nat_ips += n.ledger->rows() > 0;
  }
  for (const generate::QaAccount& q : fw.qa) out->qa_accounts += q.ledger->rows() > 0;
  for (const generate::QaDevice& d : fw.qa_devices) out->qa_devices += d.ledger->rows() > 0;
  out->in_store_orders = fw.in_store_orders;
  out->callcentre_orders = fw.callcentre_orders;
  out->qa_logins = fw.qa_logins;
  out->family_emails = fw.family_emails;
  out->home_ips = fw.home_ips;
}

}  // namespace

std::span<const std::string_view> GeneratedSources() { return kSourceFiles; }

std::string WorldJson(const WorldOptions& options, const WorldStats& stats) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("options").BeginObject();
  w.Key("persons").Uint(options.persons);
  w.Key("seed").Uint(options.seed);
  w.Key("days").Int(options.days);
  w.Key("end_date").String(options.end_date);
  w.Key("noise").Int(options.noise);
  if (options.foreign_shapes) w.Key("foreign_shapes").Bool(true);
  w.EndObject();
  w.Key("stats").BeginObject();
  w.Key("persons").Uint(stats.persons);
  w.Key("households").Uint(stats.households);
  w.Key("phones").Uint(stats.phones);
  w.Key("events").Uint(stats.events);
  w.Key("events_by_source").BeginObject();
  for (const auto& [name, n] : stats.events_by_source) w.Key(name).Uint(n);
  w.EndObject();
  w.Key("accounts_by_app").BeginObject();
  for (const auto& [name, n] : stats.accounts_by_app) w.Key(name).Uint(n);
  w.EndObject();
  w.Key("truth_rows").Uint(stats.truth_rows);
  w.Key("linkable_components").Uint(stats.linkable_components);
  w.Key("shared_tablets").Uint(stats.shared_tablets);
  w.Key("kiosks").Uint(stats.kiosks);
  w.Key("kiosk_users").Uint(stats.kiosk_users);
  w.Key("isolated_persons").Uint(stats.isolated_persons);
  w.Key("membership_links").Uint(stats.membership_links);
  w.Key("placeholder_ad_id_phones").Uint(stats.placeholder_ad_id_phones);
  w.Key("randomizing_phones").Uint(stats.randomizing_phones);
  w.Key("randomized_macs").Uint(stats.randomized_macs);
  w.Key("wifi_macs_seen").Uint(stats.wifi_macs_seen);
  w.Key("wifi_macs_linked").Uint(stats.wifi_macs_linked);
  w.Key("wifi_linked_ratio").Double(std::round(stats.WifiLinkedRatio() * 10000) / 10000);
  w.Key("bytes_written").Uint(stats.bytes_written);
  if (options.foreign_shapes) {
    w.Key("foreign_sensors").Uint(stats.foreign_sensors);
    w.Key("pos_terminals").Uint(stats.pos_terminals);
    w.Key("in_store_orders").Uint(stats.in_store_orders);
    w.Key("callcentre_orders").Uint(stats.callcentre_orders);
    w.Key("couriers").Uint(stats.couriers);
    w.Key("offices").Uint(stats.offices);
    w.Key("home_ips").Uint(stats.home_ips);
    w.Key("nat_ips").Uint(stats.nat_ips);
    w.Key("family_emails").Uint(stats.family_emails);
    w.Key("qa_accounts").Uint(stats.qa_accounts);
    w.Key("qa_devices").Uint(stats.qa_devices);
    w.Key("qa_logins").Uint(stats.qa_logins);
  }
  w.EndObject();
  w.EndObject();
  out.push_back('\n');
  return out;
}

Status GenerateWorld(const WorldOptions& options, WorldStats* stats,
                     std::function<void(uint64_t done, uint64_t total)> progress) {
  using namespace generate;  // NOLINT(google-build-using-namespace): the module's own namespace
  int64_t end_day = 0;
  HOLO_RETURN_IF_ERROR(Validate(options, &end_day));

  World world;
  world.options = options;
  world.seed = options.seed;
  world.id_key = Mix(options.seed, 0x1d5eed);
  world.window.end_ms = end_day * kMsPerDay;
  world.window.start_ms = world.window.end_ms - static_cast<int64_t>(options.days) * kMsPerDay;
  world.window.days = options.days;
  world.window.scale = options.days / 90.0;

  const std::filesystem::path dir(options.out_dir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError(options.out_dir + ": " + ec.message());

  std::array<OutFile, kNumSources> source_files;
  std::array<std::string*, kNumSources> source_buffers;
  for (int s = 0; s < kNumSources; ++s) {
    HOLO_RETURN_IF_ERROR(source_files[s].Open(dir / (std::string(kSourceFiles[s]) + ".jsonl")));
    source_buffers[s] = source_files[s].buffer();
  }
  OutFile truth, linkable, persons, store_visits, follow_ups;
  HOLO_RETURN_IF_ERROR(truth.Open(dir / "truth.csv"));
  HOLO_RETURN_IF_ERROR(store_visits.Open(dir / "store_visits.csv"));
  store_visits.buffer()->append("store_id,person_id,device,mac,randomized,kind,arrival,departure\n");
  HOLO_RETURN_IF_ERROR(follow_ups.Open(dir / "follow_ups.csv"));
  follow_ups.buffer()->append("person_id,trigger_time,trigger_item,source,item,time\n");
  HOLO_RETURN_IF_ERROR(linkable.Open(dir / "truth_linkable.csv"));
  HOLO_RETURN_IF_ERROR(persons.Open(dir / "persons.csv"));
  truth.buffer()->append("source,identifier_type,identifier_value,person_id\n");
  linkable.buffer()->append("source,identifier_type,identifier_value,person_id\n");
  persons.buffer()->append(
      "person_id,household_id,age,gender,city,city_tier,home_lat,home_lon,work_lat,work_lon,"
      "income_tier,travel_propensity,top_categories,top_brands\n");

  PlanWorld(&world);
  if (options.foreign_shapes) PlanForeign(&world);
  ForeignWorld* foreign = world.foreign.get();

  WorldStats result;
  SimCounters counters;
  std::array<uint64_t, kNumSources> messages{};
  std::array<EntityLedger, 5> ledgers;
  Household hh;
  Emitter emitter;
  const uint64_t total = options.persons;
  uint64_t done = 0;
  uint64_t next_report = 5000;
  auto add_truth = [&](const EntityLedger& ledger) {
    if (ledger.rows() == 0) return;
    ledger.AppendCsv(truth.buffer(), linkable.buffer());
    result.truth_rows += ledger.rows();
    result.linkable_components += ledger.Components();
  };
  for (uint64_t h = 0; h < world.households; ++h) {
    const HouseholdSkeleton sk = MakeSkeleton(world.seed, h, total - done);
    BuildHousehold(world, h, sk, done, &ledgers, &hh);
    if (foreign != nullptr) PrepareForeignHousehold(world, hh, foreign);
    SimulateHousehold(world, hh, emitter, &counters, store_visits.buffer(), follow_ups.buffer());
    emitter.Flush(source_buffers, &messages);
    for (const Person& p : hh.members) {
      add_truth(*p.ledger);
      AppendPersonRow(hh, p, persons.buffer());
    }
    if (hh.has_tablet) add_truth(hh.tablet.ledger);
    if (foreign != nullptr) {
      if (foreign->home_ip_ledger.rows() > 0) ++foreign->home_ips;
      add_truth(foreign->home_ip_ledger);
      add_truth(foreign->family_ledger);
      if (std::popcount(foreign->family_senders) >= 2) ++foreign->family_emails;
    }
    for (OutFile& f : source_files) HOLO_RETURN_IF_ERROR(f.FlushIfFull());
    HOLO_RETURN_IF_ERROR(truth.FlushIfFull());
    HOLO_RETURN_IF_ERROR(linkable.FlushIfFull());
    HOLO_RETURN_IF_ERROR(persons.FlushIfFull());
    HOLO_RETURN_IF_ERROR(store_visits.FlushIfFull());
    HOLO_RETURN_IF_ERROR(follow_ups.FlushIfFull());
    done += sk.size;
    if (progress && done >= next_report) {
      progress(done, total);
      next_report = done + 5000;
    }
  }
  uint64_t kiosks_used = 0;
  for (const Kiosk& k : world.kiosks) {
    if (k.users > 0) ++kiosks_used;
    add_truth(k.ledger);
  }
  if (foreign != nullptr) {
    SimulateQaDevices(world, emitter);
    emitter.Flush(source_buffers, &messages);
    for (const EntityLedger& ledger : foreign->ledgers) add_truth(ledger);
    CountForeign(*foreign, &result);
  }

  for (OutFile& f : source_files) HOLO_RETURN_IF_ERROR(f.Close());
  HOLO_RETURN_IF_ERROR(truth.Close());
  HOLO_RETURN_IF_ERROR(linkable.Close());
  HOLO_RETURN_IF_ERROR(persons.Close());
  HOLO_RETURN_IF_ERROR(store_visits.Close());
  HOLO_RETURN_IF_ERROR(follow_ups.Close());

  result.persons = total;
  result.households = world.households;
  result.phones = counters.phones;
  for (int s = 0; s < kNumSources; ++s) {
    result.events += messages[s];
    result.events_by_source[std::string(kSourceFiles[s])] = messages[s];
    result.bytes_written += source_files[s].bytes();
  }
  for (int a = 0; a < kNumApps; ++a) {
    result.accounts_by_app[std::string(kSourceFiles[a])] = counters.accounts_by_app[a];
  }
  result.bytes_written += truth.bytes() + linkable.bytes() + persons.bytes() + store_visits.bytes() + follow_ups.bytes();
  result.shared_tablets = world.shared_tablets;
  result.kiosks = kiosks_used;
  result.kiosk_users = counters.kiosk_users;
  result.isolated_persons = counters.isolated_persons;
  result.membership_links = counters.membership_links;
  result.placeholder_ad_id_phones = counters.placeholder_ad_id_phones;
  result.randomizing_phones = counters.randomizing_phones;
  result.randomized_macs = counters.randomized_macs;
  result.wifi_macs_seen = counters.wifi_macs_seen;
  result.wifi_macs_linked = counters.wifi_macs_linked;

  {
    OutFile campaigns;
    HOLO_RETURN_IF_ERROR(campaigns.Open(dir / "campaigns.csv"));
    campaigns.buffer()->append(CampaignsCsv(world));
    HOLO_RETURN_IF_ERROR(campaigns.Close());
    result.bytes_written += campaigns.bytes();
  }
  {
    OutFile world_json;
    HOLO_RETURN_IF_ERROR(world_json.Open(dir / "world.json"));
    world_json.buffer()->append(WorldJson(options, result));
    HOLO_RETURN_IF_ERROR(world_json.Close());
  }
  if (progress) progress(total, total);
  if (stats != nullptr) *stats = std::move(result);
  return Status::OK();
}

}  // namespace holo
