#include "generate/pii_sources.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <span>
#include <vector>

#include "common/csv.h"
#include "generate/pii_records.h"
#include "generate/rng.h"

namespace holo::generate {
namespace {

// Long tails of names built from parts, so that a large population has the
// many rare surnames (and some rare given names) of a real voter roll next to
// the common ones from pii_records.cc's tables.
constexpr const char* kSurnameHeads[] = {
    "Ander", "Bald",  "Black", "Brad",  "Carl", "Chap", "Dal",  "Dun",  "Ed",    "Ell",
    "Fair",  "Fitz",  "Gar",   "Gold",  "Hal",  "Hart", "Hol",  "Kel",  "Kings", "Lang",
    "Lind",  "Mar",   "Mor",   "Nor",   "Pem",  "Ran",  "Red",  "Ross", "Rut",   "Stan",
    "Sum",   "Thorn", "Wad",   "Wal",   "Wes",  "Whit", "Win",  "Wood", "Ash",   "Brock",
    "Cald",  "Dray",  "Fen",   "Grif",  "Hay",  "Lock", "Mid",  "Os",   "Pres",  "Tal"};
constexpr const char* kSurnameTails[] = {
    "son",  "ton",   "ley",   "wood",  "field", "man",  "berg", "er",   "ford", "well",
    "ing",  "s",     "worth", "land",  "by",    "more", "stead", "wick", "ham", "ridge",
    "dale", "lin",   "ett",   "ard",   "ock",   "ston", "hurst", "brook", "ington", "sen"};
constexpr const char* kGivenHeads[] = {"Ja", "Ka", "La", "Da", "Ma", "Ta", "Sha", "Bre", "Kay", "Jo",
                                       "Ry", "Ty", "Bra", "Co", "De", "Ar", "El",  "Na",  "Ra",  "Za"};
constexpr const char* kGivenTails[] = {"den", "lyn", "son",  "ria", "nell", "mari", "von", "shawn",
                                       "leigh", "ton", "ra", "nae", "quan", "nia",  "rick", "lee"};
constexpr const char* kTownHeads[] = {
    "Oak",  "Cedar", "Pine",  "Maple", "Spring", "Green", "Fair", "River", "Lake",  "Rock",
    "Mill", "Clear", "Red",   "White", "Black",  "Ash",   "Elm",  "Bridge", "Stone", "North",
    "South", "East", "West",  "Mount", "Glen",   "Wood",  "Brook", "Bay",  "High",  "Long"};
constexpr const char* kTownTails[] = {"ville", "field", "ton",   "wood",  "dale", "burg",  "port",  "view",
                                      " Springs", "ford", "land", "haven", " Hill", "mont", "boro"};

// Records per person across sources: most persons are in one source.
constexpr double kShareInOneSource = 0.6;

std::vector<double> RankWeights(size_t n, double offset) {
  std::vector<double> w(n);
  for (size_t i = 0; i < n; ++i) w[i] = 1.0 / (static_cast<double>(i) + offset);
  return w;
}

bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
char Lower(char c) { return IsUpper(c) ? static_cast<char>(c + 32) : c; }

std::string Upper(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  }
  return s;
}
std::string LowerAll(std::string s) {
  for (char& c : s) c = Lower(c);
  return s;
}

// One typing mistake among the ASCII letters after the first: substitution,
// deletion, doubled letter or adjacent swap.
std::string Typo(const std::string& s, Rng& rng) {
  std::vector<size_t> pos;
  for (size_t i = 1; i < s.size(); ++i) {
    if (IsLetter(s[i])) pos.push_back(i);
  }
  if (pos.empty()) return s;
  std::string out = s;
  const size_t k = pos[rng.Below(pos.size())];
  switch (rng.Below(4)) {
    case 0: {
      char c = static_cast<char>('a' + rng.Below(26));
      if (IsUpper(out[k])) c = static_cast<char>(c - 32);
      if (c == out[k]) c = c == 'z' ? 'a' : c == 'Z' ? 'A' : static_cast<char>(c + 1);
      out[k] = c;
      break;
    }
    case 1:
      if (out.size() > 2) out.erase(k, 1);
      break;
    case 2:
      out.insert(k, 1, out[k]);
      break;
    default:
      if (k + 1 < out.size() && IsLetter(out[k + 1]) && out[k + 1] != out[k]) {
        std::swap(out[k], out[k + 1]);
      } else if (out.size() > 2) {
        out.erase(k, 1);
      }
      break;
  }
  return out;
}

// Replaces one occurrence (case-insensitive) of one of `from[i]` by `to[i]`,
// keeping the case of the text. Returns false when none occurs.
bool ReplaceOne(std::string* s, std::span<const std::pair<const char*, const char*>> subs,
                Rng& rng) {
  const std::string lower = LowerAll(*s);
  std::vector<std::pair<size_t, size_t>> hits;  // (position, substitution)
  for (size_t i = 0; i < subs.size(); ++i) {
    for (size_t p = lower.find(subs[i].first); p != std::string::npos;
         p = lower.find(subs[i].first, p + 1)) {
      hits.emplace_back(p, i);
    }
  }
  if (hits.empty()) return false;
  const auto [p, i] = hits[rng.Below(hits.size())];
  const bool upper = IsUpper((*s)[p]) || (p + 1 < s->size() && IsUpper((*s)[p + 1]));
  std::string to = subs[i].second;
  if (upper) to = Upper(to);
  s->replace(p, std::char_traits<char>::length(subs[i].first), to);
  return true;
}

// A scanner's confusions.
std::string Ocr(std::string s, Rng& rng) {
  static constexpr std::pair<const char*, const char*> kOcr[] = {
      {"m", "rn"}, {"rn", "m"}, {"o", "0"}, {"l", "1"}, {"i", "l"}, {"e", "c"},
      {"d", "cl"}, {"s", "5"},  {"b", "8"}, {"g", "9"}, {"u", "v"}, {"h", "b"}};
  if (!ReplaceOne(&s, kOcr, rng)) s = Typo(s, rng);
  return s;
}

// Spelled as heard.
std::string Phonetic(std::string s, Rng& rng) {
  static constexpr std::pair<const char*, const char*> kSound[] = {
      {"ph", "f"}, {"ck", "k"}, {"ie", "y"},  {"c", "k"},  {"ee", "ea"}, {"th", "t"},
      {"z", "s"},  {"ll", "l"}, {"nn", "n"},  {"ey", "y"}, {"y", "ie"},  {"s", "z"}};
  if (!ReplaceOne(&s, kSound, rng)) s = Typo(s, rng);
  return s;
}

// The first `n` bytes of `s`, shortened so that no UTF-8 character is cut.
std::string CutUtf8(const std::string& s, size_t n) {
  n = std::min(n, s.size());
  if (n < s.size()) {
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  }
  if (n == 0 && !s.empty()) {
    // Keep the first character whole.
    n = 1;
    while (n < s.size() && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) ++n;
  }
  return s.substr(0, n);
}

struct Town {
  std::string name;
  std::vector<std::string> postcodes;
};

struct Person {
  bool female = false;
  int given = 0;  // index into the given-name list of the person's sex
  int surname = 0;
  int town = 0;
  int postcode = 0;  // index into the town's postcodes
};

class Population {
 public:
  Population(uint64_t persons, uint64_t seed) : seed_(seed) {
    const auto& t = internal::NameTables();
    male_ = t.male;
    female_ = t.female;
    male_nick_ = t.male_nicknames;
    female_nick_ = t.female_nicknames;
    const size_t common_male = male_.size(), common_female = female_.size();
    for (const char* h : kGivenHeads) {
      for (const char* tl : kGivenTails) {
        // Alternate the invented names between the sexes.
        auto& list = (male_.size() + female_.size()) % 2 ? male_ : female_;
        auto& nick = &list == &male_ ? male_nick_ : female_nick_;
        list.push_back(std::string(h) + tl);
        nick.emplace_back();
      }
    }
    // Common names first (Zipf over them), the invented tail after.
    male_weights_ = RankWeights(common_male, 12);
    male_weights_.resize(male_.size(), 0.004);
    female_weights_ = RankWeights(common_female, 12);
    female_weights_.resize(female_.size(), 0.004);
    surnames_ = t.surnames;
    const size_t common_surnames = surnames_.size();
    for (const char* mid : {"", "er", "ing", "el", "ow"}) {
      for (const char* h : kSurnameHeads) {
        for (const char* tl : kSurnameTails) surnames_.push_back(std::string(h) + mid + tl);
      }
    }
    // A third of the population carries one of the common surnames, the rest
    // one of 7,500 rarer ones (a real roll has a very long tail).
    surname_weights_ = RankWeights(common_surnames, 12);
    double common_total = 0;
    for (double w : surname_weights_) common_total += w;
    std::vector<double> tail = RankWeights(surnames_.size() - common_surnames, 100);
    double tail_total = 0;
    for (double w : tail) tail_total += w;
    for (double w : tail) surname_weights_.push_back(w * 2 * common_total / tail_total);

    // Towns: Zipf sizes; one postcode per ~2,500 people (at most 40); some
    // small towns share a bigger town's postcode.
    const size_t max_towns = t.cities.size() + std::size(kTownHeads) * std::size(kTownTails);
    const size_t num_towns = std::clamp<size_t>(persons / 700, 12, max_towns);
    std::vector<std::string> names = t.cities;
    for (const char* tl : kTownTails) {
      for (const char* h : kTownHeads) names.push_back(std::string(h) + tl);
    }
    Rng rng(Mix(seed, 0x746f776e73));  // "towns"
    // Shuffle the invented names so that town sizes are not in name order.
    for (size_t i = names.size(); i > t.cities.size() + 1; --i) {
      std::swap(names[i - 1], names[t.cities.size() + rng.Below(i - t.cities.size())]);
    }
    town_weights_ = RankWeights(num_towns, 3);
    double total = 0;
    for (double w : town_weights_) total += w;
    int next_code = 27006;
    for (size_t i = 0; i < num_towns; ++i) {
      Town town;
      town.name = names[i];
      const double people = static_cast<double>(persons) * town_weights_[i] / total;
      if (i >= 10 && !towns_.empty() && rng.Chance(0.08)) {
        // Shares the first postcode of a bigger town.
        town.postcodes.push_back(towns_[rng.Below(towns_.size())].postcodes[0]);
      } else {
        const int n = std::clamp(1 + static_cast<int>(people / 2500), 1, 40);
        for (int k = 0; k < n; ++k) {
          next_code += 1 + static_cast<int>(rng.Below(3));
          char code[8];
          std::snprintf(code, sizeof(code), "%05d", next_code % 100000);
          town.postcodes.push_back(code);
        }
      }
      towns_.push_back(std::move(town));
    }
  }

  // Appends household h's members.
  void Household(uint64_t h, std::vector<Person>* out) {
    Rng rng(Mix(Mix(seed_, 0x686f757365), h));  // "house"
    const size_t size = 1 + rng.Weighted({45, 30, 13, 8, 4});
    Person home;
    home.town = static_cast<int>(rng.Weighted(std::span<const double>(town_weights_)));
    home.postcode = static_cast<int>(rng.Below(towns_[home.town].postcodes.size()));
    const int family = PickSurname(rng);
    for (size_t k = 0; k < size; ++k) {
      Person p = home;
      p.female = rng.Chance(0.51);
      p.given = PickGiven(rng, p.female);
      p.surname = k == 0 || rng.Chance(0.75) ? family : PickSurname(rng);
      out->push_back(p);
    }
  }

  // Moves p to another place (a new town most of the time).
  void Move(Person* p, Rng& rng) const {
    if (rng.Chance(0.7)) p->town = static_cast<int>(rng.Weighted(std::span<const double>(town_weights_)));
    p->postcode = static_cast<int>(rng.Below(towns_[p->town].postcodes.size()));
  }

  int PickGiven(Rng& rng, bool female) const {
    return static_cast<int>(female ? rng.Weighted(std::span<const double>(female_weights_))
                                   : rng.Weighted(std::span<const double>(male_weights_)));
  }
  int PickSurname(Rng& rng) const {
    return static_cast<int>(rng.Weighted(std::span<const double>(surname_weights_)));
  }

  const std::string& Given(const Person& p) const { return p.female ? female_[p.given] : male_[p.given]; }
  const std::string& Nickname(const Person& p) const {
    return p.female ? female_nick_[p.given] : male_nick_[p.given];
  }
  const std::string& Surname(const Person& p) const { return surnames_[p.surname]; }
  const Town& TownOf(const Person& p) const { return towns_[p.town]; }

 private:
  uint64_t seed_;
  std::vector<std::string> male_, female_, male_nick_, female_nick_, surnames_;
  std::vector<double> male_weights_, female_weights_, surname_weights_, town_weights_;
  std::vector<Town> towns_;
};

enum class Case { kUpper, kTitle, kLower };

// One or two errors in a record of an overlapping person.
void Corrupt(MultiSourceRecord* r, const std::string& nickname, Rng& rng) {
  const int errors = rng.Chance(0.7) ? 1 : 2;
  for (int e = 0; e < errors; ++e) {
    std::string& name = rng.Chance(0.5) ? r->given_name : r->surname;
    switch (rng.Weighted({18, 18, 10, 8, 5, 5, 8, 10, 8, 3, 3})) {
      case 0:
        r->given_name = Typo(r->given_name, rng);
        break;
      case 1:
        r->surname = Typo(r->surname, rng);
        break;
      case 2:
        name = Ocr(name, rng);
        break;
      case 3:
        name = Phonetic(name, rng);
        break;
      case 4:
        if (!nickname.empty()) {
          const bool upper = !r->given_name.empty() && IsUpper(r->given_name.back());
          r->given_name = upper ? Upper(nickname) : nickname;
        } else {
          r->given_name = Typo(r->given_name, rng);
        }
        break;
      case 5:
        std::swap(r->given_name, r->surname);
        break;
      case 6:
        switch (rng.Below(4)) {
          case 0:
            r->given_name.clear();
            break;
          case 1:
            r->surname.clear();
            break;
          case 2:
            r->town.clear();
            break;
          default:
            r->postcode.clear();
            break;
        }
        break;
      case 7: {
        // One digit wrong or two swapped.
        std::string& pc = r->postcode;
        if (pc.size() < 2) break;
        const size_t p = rng.Below(pc.size());
        if (p + 1 < pc.size() && rng.Chance(0.3) && pc[p] != pc[p + 1]) {
          std::swap(pc[p], pc[p + 1]);
        } else {
          char d = static_cast<char>('0' + rng.Below(9));
          if (d >= pc[p]) ++d;
          pc[p] = d;
        }
        break;
      }
      case 8:
        r->town = Typo(r->town, rng);
        break;
      case 9:
        // The initial only (a whole UTF-8 character).
        if (!r->given_name.empty()) r->given_name = CutUtf8(r->given_name, 1);
        break;
      default:
        if (name.size() > 5) name = CutUtf8(name, name.size() - 1 - rng.Below(2));
        break;
    }
  }
}

std::string Cased(const std::string& s, Case c) {
  switch (c) {
    case Case::kUpper:
      return Upper(s);
    case Case::kLower:
      return LowerAll(s);
    case Case::kTitle:
      return s;
  }
  return s;
}

}  // namespace

Status GenerateMultiSource(const MultiSourceOptions& options,
                           const std::function<void(const MultiSourceRecord&)>& sink,
                           MultiSourceStats* stats) {
  if (options.persons < 1 || options.persons > 10000000) {
    return Status::InvalidArgument("persons must be in [1, 10000000]");
  }
  if (options.sources < 2 || options.sources > 16) {
    return Status::InvalidArgument("sources must be in [2, 16]");
  }
  if (!(options.corrupted >= 0 && options.corrupted <= 1)) {
    return Status::InvalidArgument("corrupted must be in [0, 1]");
  }
  const int n = options.sources;
  Population population(options.persons, options.seed);
  std::vector<Person> persons;
  for (uint64_t h = 0; persons.size() < options.persons; ++h) population.Household(h, &persons);
  persons.resize(options.persons);

  // How many sources hold a person: one for most, 2..n for the rest, fewer
  // the more sources.
  std::vector<double> k_weights = {kShareInOneSource};
  double rest = 0;
  for (int k = 2; k <= n; ++k) rest += 1.0 / (k - 1);
  for (int k = 2; k <= n; ++k) k_weights.push_back((1 - kShareInOneSource) / (k - 1) / rest);
  const Case cases[] = {Case::kUpper, Case::kTitle, Case::kUpper, Case::kLower, Case::kUpper};

  std::vector<std::vector<MultiSourceRecord>> sources(n);
  MultiSourceStats st;
  st.persons = persons.size();
  for (size_t i = 0; i < persons.size(); ++i) {
    Rng rng(Mix(Mix(options.seed, 0x736f75726365), i));  // "source"
    const int k = 1 + static_cast<int>(rng.Weighted(std::span<const double>(k_weights)));
    std::vector<int> order(n);
    for (int s = 0; s < n; ++s) order[s] = s;
    for (int s = 0; s < k; ++s) std::swap(order[s], order[s + rng.Below(n - s)]);
    for (int j = 0; j < k; ++j) {
      Person p = persons[i];
      // Life between two rolls: a few moved; a few women took another surname.
      if (j > 0 && rng.Chance(0.02)) population.Move(&p, rng);
      if (j > 0 && p.female && rng.Chance(0.005)) p.surname = population.PickSurname(rng);
      const int s = order[j];
      const Case c = cases[s % std::size(cases)];
      MultiSourceRecord r;
      r.source = s;
      r.given_name = Cased(population.Given(p), c);
      r.surname = Cased(population.Surname(p), c);
      const Town& town = population.TownOf(p);
      r.town = Cased(town.name, c);
      r.postcode = town.postcodes[p.postcode];
      if (rng.Chance(0.01)) (rng.Chance(0.5) ? r.town : r.postcode).clear();
      r.person_id = "p" + std::to_string(i);
      if (k >= 2) {
        ++st.overlapping_records;
        if (rng.Chance(options.corrupted)) {
          Corrupt(&r, Cased(population.Nickname(p), c), rng);
          ++st.corrupted_records;
        }
      }
      sources[s].push_back(std::move(r));
    }
  }
  for (int s = 0; s < n; ++s) {
    auto& recs = sources[s];
    Rng order(Mix(Mix(options.seed, 0x6f72646572), static_cast<uint64_t>(s)));  // "order"
    for (size_t i = recs.size(); i > 1; --i) std::swap(recs[i - 1], recs[order.Below(i)]);
    for (size_t i = 0; i < recs.size(); ++i) {
      recs[i].id = std::to_string(i + 1);  // ids repeat across sources on purpose
      sink(recs[i]);
      ++st.records;
    }
    recs = {};
  }
  if (stats != nullptr) *stats = st;
  return Status::OK();
}

Status WriteMultiSourceCsv(const MultiSourceOptions& options, const std::string& dir,
                           MultiSourceStats* stats) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Unavailable("cannot create " + dir + ": " + ec.message());
  std::vector<std::ofstream> outs;
  for (int s = 0; s < options.sources; ++s) {
    const std::string path = dir + "/source_" + std::to_string(s + 1) + ".csv";
    outs.emplace_back(path, std::ios::binary);
    if (!outs.back()) return Status::Unavailable("cannot write " + path);
    for (size_t i = 0; i < kMultiSourceColumns.size(); ++i) {
      outs.back() << (i ? "," : "") << kMultiSourceColumns[i];
    }
    outs.back() << '\n';
  }
  std::string line;
  HOLO_RETURN_IF_ERROR(GenerateMultiSource(
      options,
      [&](const MultiSourceRecord& r) {
        line.clear();
        for (const std::string* f :
             {&r.id, &r.given_name, &r.surname, &r.town, &r.postcode, &r.person_id}) {
          if (f != &r.id) line.push_back(',');
          line += holo::CsvQuote(*f);
        }
        line.push_back('\n');
        outs[r.source] << line;
      },
      stats));
  for (auto& out : outs) {
    out.flush();
    if (!out) return Status::Unavailable("write failed in " + dir);
  }
  return Status::OK();
}

}  // namespace holo::generate
