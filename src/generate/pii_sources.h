// pii_sources.h: several duplicate-free person lists (voter rolls) that
// overlap, with ground truth, for multi-source record linkage.
//
// Shaped like the voter-roll benchmarks: a record has only a given name, a
// surname, a town and a postcode. Most persons appear in one source, some in
// 2..N; no source holds a person twice. Towns differ in size, big towns have
// many postcodes, a few small towns share one, many people share a surname
// (families live together) and the common given names. Sources write names
// in their own case (upper, title, lower). Even without corruption a few
// persons have moved between two sources or lack a value; with `corrupted`,
// that share of the records of persons seen in two or more sources carries
// one or two errors: typing mistakes, OCR confusions (O/0, rn/m, l/1),
// phonetic spellings, a nickname, given name and surname swapped, a missing
// value, a postcode digit wrong, a town misspelt. Deterministic.
//
//   holo::generate::MultiSourceOptions options;
//   options.persons = 20000;
//   options.corrupted = 0.2;
//   holo::Status s = holo::generate::WriteMultiSourceCsv(options, "/tmp/voters", nullptr);
//   // /tmp/voters/source_1.csv ... source_5.csv
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>

#include "holo/status.h"

namespace holo::generate {

struct MultiSourceOptions {
  // Persons in the population. Default: 20000. Must be in [1, 10000000].
  uint64_t persons = 20000;
  // Number of sources. Default: 5. Must be in [2, 16].
  int sources = 5;
  // Share of the records of persons seen in >= 2 sources that carry errors.
  // Default: 0.2. Must be in [0, 1].
  double corrupted = 0.2;
  // Default: 1.
  uint64_t seed = 1;
};

// Columns of every source file; person_id is the truth (only evaluators read it).
inline constexpr std::array<const char*, 6> kMultiSourceColumns = {
    "id", "given_name", "surname", "town", "postcode", "person_id"};

struct MultiSourceRecord {
  int source = 0;  // 0-based
  std::string id, given_name, surname, town, postcode, person_id;
};

struct MultiSourceStats {
  uint64_t persons = 0;
  uint64_t records = 0;
  uint64_t overlapping_records = 0;  // records of persons seen in >= 2 sources
  uint64_t corrupted_records = 0;
};

// Hands every record to `sink`, source by source, each source in random order.
// Returns kInvalidArgument for options out of range.
Status GenerateMultiSource(const MultiSourceOptions& options,
                           const std::function<void(const MultiSourceRecord&)>& sink,
                           MultiSourceStats* stats);

// Writes DIR/source_1.csv .. DIR/source_N.csv (header kMultiSourceColumns);
// creates DIR.
Status WriteMultiSourceCsv(const MultiSourceOptions& options, const std::string& dir,
                           MultiSourceStats* stats);

}  // namespace holo::generate
