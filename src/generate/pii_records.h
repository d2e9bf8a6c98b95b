// pii_records.h: noisy person records with ground truth, for entity resolution.
//
// A population of US residents (households at one address, some twins and
// parent/child namesakes, people who moved) is seen by seven touch-points
// (web shop, mobile app, loyalty card, call centre, newsletter, delivery, in
// store). Each touch-point records a person the way it would: only some
// fields, its own phone and address formats, and mistakes whose rate grows
// with the noise level: typos, nicknames ("Robert" -> "Bob"), transliterations
// ("Mohammed"/"Muhammad", "Müller"/"Mueller"), swapped first and last names,
// day and month swapped in the birth date, a digit wrong or missing in the
// phone, "Street"/"St", an old address, a second phone or e-mail, missing
// fields. Deterministic: the same options give the same bytes.
//
//   holo::generate::PiiOptions options;
//   options.records = 20000;
//   options.noise = holo::generate::PiiNoise::kMedium;
//   holo::generate::PiiStats stats;
//   holo::Status s = holo::generate::WritePiiCsv(options, "/tmp/pii.csv", &stats);
//
// CSV columns (kPiiColumns): record_id, first_name, last_name, birth_date
// (YYYY-MM-DD), phone, email, street_address, postcode, city, source,
// person_id. person_id is the truth (same value = same person); only an
// evaluator may read it. Records are in random order.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "holo/result.h"
#include "holo/status.h"

namespace holo::generate {

enum class PiiNoise { kLow, kMedium, kHigh };

// Returns "low", "medium" or "high".
const char* PiiNoiseName(PiiNoise noise);

// Parses "low" / "medium" / "high"; kInvalidArgument otherwise.
Result<PiiNoise> ParsePiiNoise(std::string_view name);

struct PiiOptions {
  // Number of records. Default: 10000. Must be in [1, 20000000].
  uint64_t records = 10000;
  PiiNoise noise = PiiNoise::kMedium;
  // Default: 1.
  uint64_t seed = 1;
};

inline constexpr std::array<const char*, 11> kPiiColumns = {
    "record_id",      "first_name", "last_name", "birth_date", "phone",    "email",
    "street_address", "postcode",   "city",      "source",     "person_id"};

// One generated record; an empty string is a missing value.
struct PiiRecord {
  std::string record_id, first_name, last_name, birth_date, phone, email, street_address, postcode,
      city, source, person_id;
};

struct PiiStats {
  uint64_t records = 0;
  uint64_t persons = 0;
};

// Generates options.records records and hands them to `sink` in output order.
// Returns kInvalidArgument for options out of range.
Status GeneratePiiRecords(const PiiOptions& options,
                          const std::function<void(const PiiRecord&)>& sink, PiiStats* stats);

// Writes the records as CSV (header kPiiColumns) to `path`.
Status WritePiiCsv(const PiiOptions& options, const std::string& path, PiiStats* stats);

namespace internal {
// The generator's reference names (the spelling on a person's papers, most
// common first) and the first nickname of each given name ("" when none), for
// other generators in this module (pii_sources.cc).
struct PiiNameTables {
  std::vector<std::string> male, male_nicknames, female, female_nicknames, surnames, cities;
};
const PiiNameTables& NameTables();
}  // namespace internal

}  // namespace holo::generate
