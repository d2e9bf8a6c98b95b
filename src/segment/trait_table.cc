#include "segment/trait_table.h"

#include <algorithm>
#include <type_traits>

namespace holo::segment {
namespace {

constexpr size_t kSampleSize = 1 << 17;
constexpr uint64_t kMinRebinCount = 4096;

// Calls f(row) for every row of `bitmap`, in ascending order.
template <typename F>
void ForEach(const Roaring& bitmap, F&& f) {
  roaring_iterate(
      &bitmap.roaring,
      [](uint32_t v, void* arg) {
        (*static_cast<std::remove_reference_t<F>*>(arg))(v);
        return true;
      },
      &f);
}

Roaring Union(const std::vector<const Roaring*>& parts) {
  if (parts.empty()) return Roaring();
  if (parts.size() == 1) return *parts[0];
  return Roaring::fastunion(parts.size(), const_cast<const Roaring**>(parts.data()));
}

}  // namespace

// ---------------------------------------------------------------------------
// Numbers

size_t Column::BinOf(double v) const {
  auto it = std::upper_bound(lo_.begin(), lo_.end(), v);
  return it == lo_.begin() ? 0 : static_cast<size_t>(it - lo_.begin()) - 1;
}

bool Column::BinSingle(size_t b) const {
  if (exact_) return true;
  return b + 1 < lo_.size() && std::isfinite(lo_[b]) && lo_[b + 1] == std::nextafter(lo_[b], kInf);
}

void Column::RemoveNumber(uint32_t row) {
  size_t b = BinOf(values_[row]);
  bins_[b].remove(row);
  --counts_[b];
  if (cum_valid_) {
    for (size_t j = cum_.size(); j-- > 0 && cp_[j] > b;) cum_[j].remove(row);
  }
}

void Column::AddToBin(size_t b, uint32_t row) {
  bins_[b].add(row);
  ++counts_[b];
  if (cum_valid_) {
    for (size_t j = cum_.size(); j-- > 0 && cp_[j] > b;) cum_[j].add(row);
  }
}

void Column::BuildCumulative() {
  constexpr size_t kCheckpoints = 16;
  size_t nb = bins_.size();
  size_t step = std::max<size_t>(1, (nb + kCheckpoints - 1) / kCheckpoints);
  cp_.clear();
  cum_.clear();
  Roaring running;
  size_t done = 0;
  for (size_t c = step; c < nb; c += step) {
    std::vector<const Roaring*> parts;
    for (; done < c; ++done) parts.push_back(&bins_[done]);
    parts.push_back(&running);
    running = Union(parts);
    Roaring copy = running;
    copy.runOptimize();
    copy.shrinkToFit();
    cp_.push_back(c);
    cum_.push_back(std::move(copy));
  }
  cum_valid_ = true;
}

const Roaring& Column::Below(size_t f, Roaring* scratch) const {
  size_t nb = bins_.size();
  if (f == 0) {
    *scratch = Roaring();
    return *scratch;
  }
  if (f >= nb) return not_null_;
  // Start from the nearest checkpoint (0 = empty, nb = not_null) and add or
  // remove the bins in between, whichever touches fewer rows.
  size_t lo_cp = 0, hi_cp = nb;
  const Roaring* lo_base = nullptr;
  const Roaring* hi_base = &not_null_;
  if (cum_valid_) {
    for (size_t j = 0; j < cp_.size(); ++j) {
      if (cp_[j] <= f) {
        lo_cp = cp_[j];
        lo_base = &cum_[j];
      }
      if (cp_[j] >= f && hi_cp == nb) {
        hi_cp = cp_[j];
        hi_base = &cum_[j];
      }
    }
  }
  uint64_t up = 0, down = 0;
  for (size_t b = lo_cp; b < f; ++b) up += counts_[b];
  for (size_t b = f; b < hi_cp; ++b) down += counts_[b];
  std::vector<const Roaring*> parts;
  if (up <= down) {
    for (size_t b = lo_cp; b < f; ++b) {
      if (counts_[b] > 0) parts.push_back(&bins_[b]);
    }
    if (lo_base != nullptr && parts.empty()) return *lo_base;
    if (lo_base != nullptr) parts.push_back(lo_base);
    *scratch = Union(parts);
    return *scratch;
  }
  for (size_t b = f; b < hi_cp; ++b) {
    if (counts_[b] > 0) parts.push_back(&bins_[b]);
  }
  if (parts.empty()) return *hi_base;
  *scratch = *hi_base - Union(parts);
  return *scratch;
}

Roaring Column::BinRange(size_t f0, size_t f1, const Roaring* within) const {
  uint64_t rows = 0;
  for (size_t b = f0; b <= f1; ++b) rows += counts_[b];
  // A few small bins: their union. Otherwise (and whenever there are
  // candidates, which the cumulative path touches only in proportion to their
  // number) the difference of two cumulative bitmaps.
  if (rows * 64 <= n_ || (f1 - f0 < 4 && (within == nullptr || !cum_valid_))) {
    std::vector<const Roaring*> parts;
    for (size_t b = f0; b <= f1; ++b) {
      if (counts_[b] > 0) parts.push_back(&bins_[b]);
    }
    Roaring out = Union(parts);
    if (within != nullptr) out &= *within;
    return out;
  }
  // Rows below bin f1 + 1 minus rows below bin f0; with candidates, both
  // subtractions run on the candidates and the large bitmaps are only read.
  Roaring upper_scratch, lower_scratch;
  const Roaring& upper = f1 + 1 >= bins_.size() ? not_null_ : Below(f1 + 1, &upper_scratch);
  Roaring out = within != nullptr ? *within & upper : upper;
  if (f0 > 0) out -= Below(f0, &lower_scratch);
  return out;
}

bool Column::SetNumber(uint32_t row, double v) {
  bool present = not_null_.contains(row);
  if (present && values_[row] == v) return false;
  if (present) {
    RemoveNumber(row);
  } else {
    if (row >= values_.size()) values_.resize(row + 1, std::numeric_limits<double>::quiet_NaN());
    not_null_.add(row);
    ++n_;
  }
  values_[row] = v;
  if (exact_) {
    auto it = std::lower_bound(lo_.begin(), lo_.end(), v);
    size_t b = static_cast<size_t>(it - lo_.begin());
    if (it == lo_.end() || *it != v) {
      if (bins_.size() >= kMaxExactBins) {
        // Drop bins emptied by updates before giving up on exactness.
        size_t w = 0;
        for (size_t r = 0; r < bins_.size(); ++r) {
          if (counts_[r] == 0) continue;
          if (w != r) {  // a self-move would clear the bitmap
            lo_[w] = lo_[r];
            counts_[w] = counts_[r];
            bins_[w] = std::move(bins_[r]);
          }
          ++w;
        }
        lo_.resize(w);
        counts_.resize(w);
        bins_.resize(w);
        if (w >= kMaxExactBins) {
          Rebin(false);  // assigns every row, this one included
          return true;
        }
        it = std::lower_bound(lo_.begin(), lo_.end(), v);
        b = static_cast<size_t>(it - lo_.begin());
      }
      lo_.insert(lo_.begin() + b, v);
      counts_.insert(counts_.begin() + b, 0);
      bins_.insert(bins_.begin() + b, Roaring());
      cum_valid_ = false;  // bin numbers shifted; Optimize() rebuilds
    }
    AddToBin(b, row);
    return true;
  }
  AddToBin(BinOf(v), row);
  if (n_ >= kMinRebinCount && n_ > 2 * rebinned_at_) Rebin(cum_valid_);
  return true;
}

void Column::Rebin(bool cumulative) {
  rebinned_at_ = n_;
  cum_valid_ = false;
  cp_.clear();
  cum_.clear();
  // A sample of the values, sorted.
  std::vector<double> sample;
  uint64_t stride = n_ > kSampleSize ? n_ / kSampleSize : 1;
  sample.reserve(n_ / stride + 1);
  uint64_t i = 0;
  ForEach(not_null_, [&](uint32_t row) {
    if (i++ % stride == 0) sample.push_back(values_[row]);
  });
  std::sort(sample.begin(), sample.end());
  std::vector<double> distinct;
  for (double v : sample) {
    if (distinct.empty() || distinct.back() != v) distinct.push_back(v);
  }
  bool exact = distinct.size() <= kMaxExactBins;
  if (exact && stride > 1) {
    ForEach(not_null_, [&](uint32_t row) {
      if (exact && !std::binary_search(distinct.begin(), distinct.end(), values_[row])) exact = false;
    });
  }
  exact_ = exact;
  if (exact) {
    lo_ = std::move(distinct);
  } else {
    // Quantile bins; a value holding at least a bin's share gets [v, next(v)).
    size_t target = std::max<size_t>(1, sample.size() / kBins);
    lo_.assign(1, -kInf);
    size_t acc = 0;
    for (size_t s = 0; s < sample.size();) {
      double v = sample[s];
      size_t e = s;
      while (e < sample.size() && sample[e] == v) ++e;
      size_t c = e - s;
      if (c >= target) {
        if (lo_.back() < v) lo_.push_back(v);
        double next = std::nextafter(v, kInf);
        if (next > lo_.back()) lo_.push_back(next);
        acc = 0;
      } else {
        if (acc >= target && lo_.back() < v) {
          lo_.push_back(v);
          acc = 0;
        }
        acc += c;
      }
      s = e;
    }
  }
  std::vector<std::vector<uint32_t>> members(lo_.size());
  ForEach(not_null_, [&](uint32_t row) { members[BinOf(values_[row])].push_back(row); });
  bins_.assign(lo_.size(), Roaring());
  counts_.assign(lo_.size(), 0);
  for (size_t b = 0; b < lo_.size(); ++b) {
    bins_[b].addMany(members[b].size(), members[b].data());
    counts_[b] = members[b].size();
    bins_[b].runOptimize();
    bins_[b].shrinkToFit();
    std::vector<uint32_t>().swap(members[b]);
  }
  if (cumulative) BuildCumulative();
}

Roaring Column::Range(double lo, bool lo_inclusive, double hi, bool hi_inclusive, const Roaring* within) const {
  Roaring result;
  if (type_ != ColumnType::kNumber || bins_.empty() || std::isnan(lo) || std::isnan(hi)) return result;
  if (lo > hi || (lo == hi && !(lo_inclusive && hi_inclusive))) return result;
  auto in = [&](double v) {
    return (lo_inclusive ? v >= lo : v > lo) && (hi_inclusive ? v <= hi : v < hi);
  };
  size_t b0 = BinOf(lo);
  size_t b1 = BinOf(hi);
  // Classify the two end bins; bins strictly between are fully covered.
  std::vector<size_t> partial;
  auto end_bin_full = [&](size_t b) {
    if (BinSingle(b)) return in(lo_[b]) ? 1 : 0;  // 1 full, 0 none
    bool lower = lo_inclusive ? lo_[b] >= lo : lo_[b] > lo;
    bool upper = b + 1 < lo_.size() ? lo_[b + 1] <= hi : (hi == kInf && hi_inclusive);
    return lower && upper ? 1 : 2;  // 2 partial
  };
  std::vector<uint8_t> state(lo_.size(), 0);  // 0 excluded, 1 full, 2 partial
  for (size_t b = b0 + 1; b < b1; ++b) state[b] = 1;
  state[b0] = static_cast<uint8_t>(end_bin_full(b0));
  state[b1] = static_cast<uint8_t>(end_bin_full(b1));
  uint64_t full = 0;
  for (size_t b = b0; b <= b1; ++b) {
    if (state[b] == 1) full += counts_[b];
  }
  // Full bins form one contiguous run [f0, f1].
  size_t f0 = b0 + (state[b0] == 1 ? 0 : 1);
  size_t f1 = b1 - (state[b1] == 1 || b1 == b0 ? 0 : 1);
  if (b0 == b1 && state[b0] != 1) f1 = f0 - 1;
  if (f0 <= f1 && f1 < lo_.size() && full > 0) result = BinRange(f0, f1, within);
  std::vector<uint32_t> matches;
  for (size_t b = b0; b <= b1; ++b) {
    if (state[b] != 2) continue;
    auto check = [&](uint32_t row) {
      if (in(values_[row])) matches.push_back(row);
    };
    if (within != nullptr) {
      ForEach(bins_[b] & *within, check);
    } else {
      ForEach(bins_[b], check);
    }
  }
  if (!matches.empty()) {
    // Rows of two edge bins interleave; a sorted batch appends fast.
    std::sort(matches.begin(), matches.end());
    Roaring edge;
    edge.addMany(matches.size(), matches.data());
    result |= edge;
  }
  return result;
}

uint64_t Column::RangeCountBound(double lo, bool lo_inclusive, double hi, bool hi_inclusive) const {
  if (type_ != ColumnType::kNumber || bins_.empty() || std::isnan(lo) || std::isnan(hi)) return 0;
  if (lo > hi || (lo == hi && !(lo_inclusive && hi_inclusive))) return 0;
  uint64_t rows = 0;
  for (size_t b = BinOf(lo), b1 = BinOf(hi); b <= b1; ++b) rows += counts_[b];
  return rows;
}

double Column::Kth(uint64_t k) const {
  for (size_t b = 0; b < bins_.size(); ++b) {
    if (k >= counts_[b]) {
      k -= counts_[b];
      continue;
    }
    if (BinSingle(b)) return lo_[b];
    std::vector<double> vals;
    vals.reserve(counts_[b]);
    ForEach(bins_[b], [&](uint32_t row) { vals.push_back(values_[row]); });
    std::nth_element(vals.begin(), vals.begin() + static_cast<ptrdiff_t>(k), vals.end());
    return vals[k];
  }
  return std::numeric_limits<double>::quiet_NaN();
}

// ---------------------------------------------------------------------------
// Strings and sets

uint32_t Column::Code(std::string_view value) const {
  auto it = dict_.find(std::string(value));
  return it == dict_.end() ? kNoCode : it->second;
}

uint32_t Column::Intern(const std::string& v) {
  auto [it, inserted] = dict_.try_emplace(v, static_cast<uint32_t>(dict_values_.size()));
  if (inserted) {
    dict_values_.push_back(v);
    code_rows_.emplace_back();
  }
  return it->second;
}

std::span<const uint32_t> Column::set_codes(uint32_t row) const {
  if (row >= set_len_.size() || set_len_[row] == 0) return {};
  return {set_data_.data() + set_start_[row], set_len_[row]};
}

bool Column::SetString(uint32_t row, const std::string& v) {
  uint32_t code = Intern(v);
  if (row >= codes_.size()) codes_.resize(row + 1, kNoCode);
  uint32_t old = codes_[row];
  if (old == code) return false;
  if (old != kNoCode) {
    code_rows_[old].remove(row);
  } else {
    not_null_.add(row);
    ++n_;
  }
  code_rows_[code].add(row);
  codes_[row] = code;
  return true;
}

bool Column::SetSet(uint32_t row, const std::vector<std::string>& v) {
  std::vector<uint32_t> codes;
  codes.reserve(v.size());
  for (const std::string& s : v) codes.push_back(Intern(s));
  std::sort(codes.begin(), codes.end());
  codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
  bool present = not_null_.contains(row);
  std::span<const uint32_t> old = set_codes(row);
  if (present && std::equal(old.begin(), old.end(), codes.begin(), codes.end())) return false;
  if (row >= set_len_.size()) {
    set_len_.resize(row + 1, 0);
    set_start_.resize(row + 1, 0);
  }
  for (uint32_t c : old) code_rows_[c].remove(row);
  set_live_ -= old.size();
  if (!present) {
    not_null_.add(row);
    ++n_;
  }
  set_start_[row] = static_cast<uint32_t>(set_data_.size());
  set_len_[row] = static_cast<uint32_t>(codes.size());
  set_data_.insert(set_data_.end(), codes.begin(), codes.end());
  set_live_ += codes.size();
  for (uint32_t c : codes) code_rows_[c].add(row);
  if (set_data_.size() > 2 * set_live_ + 4096) CompactSets();
  return true;
}

void Column::CompactSets() {
  std::vector<uint32_t> data;
  data.reserve(set_live_);
  for (size_t row = 0; row < set_len_.size(); ++row) {
    uint32_t start = static_cast<uint32_t>(data.size());
    data.insert(data.end(), set_data_.begin() + set_start_[row], set_data_.begin() + set_start_[row] + set_len_[row]);
    set_start_[row] = start;
  }
  set_data_ = std::move(data);
}

bool Column::Clear(uint32_t row) {
  if (!not_null_.contains(row)) return false;
  switch (type_) {
    case ColumnType::kNumber:
      RemoveNumber(row);
      values_[row] = std::numeric_limits<double>::quiet_NaN();
      break;
    case ColumnType::kString:
      code_rows_[codes_[row]].remove(row);
      codes_[row] = kNoCode;
      break;
    case ColumnType::kSet:
      for (uint32_t c : set_codes(row)) code_rows_[c].remove(row);
      set_live_ -= set_len_[row];
      set_len_[row] = 0;
      break;
  }
  not_null_.remove(row);
  --n_;
  return true;
}

TraitValue Column::Get(uint32_t row) const {
  if (!not_null_.contains(row)) return std::monostate();
  switch (type_) {
    case ColumnType::kNumber:
      return values_[row];
    case ColumnType::kString:
      return dict_values_[codes_[row]];
    case ColumnType::kSet: {
      std::vector<std::string> out;
      for (uint32_t c : set_codes(row)) out.push_back(dict_values_[c]);
      return out;
    }
  }
  return std::monostate();
}

void Column::Optimize() {
  not_null_.runOptimize();
  not_null_.shrinkToFit();
  if (type_ == ColumnType::kNumber) {
    Rebin(true);
  } else {
    for (Roaring& r : code_rows_) {
      r.runOptimize();
      r.shrinkToFit();
    }
  }
  if (type_ == ColumnType::kSet) CompactSets();
}

// ---------------------------------------------------------------------------
// TraitTable

uint32_t TraitTable::GetOrCreate(const std::string& name, ColumnType type) {
  auto [it, inserted] = column_ids_.try_emplace(name, static_cast<uint32_t>(columns_.size()));
  if (inserted) {
    columns_.push_back(std::make_unique<Column>(name, type));
    seen_.push_back(0);
  }
  return it->second;
}

const Column* TraitTable::FindColumn(std::string_view name) const {
  auto it = column_ids_.find(std::string(name));
  return it == column_ids_.end() ? nullptr : columns_[it->second].get();
}

std::vector<std::string> TraitTable::ColumnNames() const {
  std::vector<std::string> names;
  for (const auto& c : columns_) names.push_back(c->name());
  std::sort(names.begin(), names.end());
  return names;
}

void TraitTable::Track(uint32_t row, bool was_live) {
  if (!tracking_ || prior_.count(row) != 0) return;
  // Beyond an eighth of the table an incremental diff no longer pays: stop.
  if (prior_.size() >= 1024 + rows_.cardinality() / 8) {
    tracking_ = false;
    std::unordered_map<uint32_t, PriorRow>().swap(prior_);
    return;
  }
  PriorRow& p = prior_[row];
  p.existed = was_live;
  if (was_live) p.values = GetRow(row);
}

const TraitTable::PriorRow* TraitTable::Prior(uint32_t row) const {
  auto it = prior_.find(row);
  return it == prior_.end() ? nullptr : &it->second;
}

void TraitTable::Checkpoint() const {
  std::unordered_map<uint32_t, PriorRow>().swap(prior_);
  checkpoint_seq_ = seq_;
  tracking_ = true;
}

uint32_t TraitTable::Assign(uint32_t row, const std::string& name, const TraitValue& value) {
  uint32_t id;
  Column* col = nullptr;
  bool changed = false;
  if (const double* d = std::get_if<double>(&value); d != nullptr && !std::isnan(*d)) {
    id = GetOrCreate(name, ColumnType::kNumber);
    col = columns_[id].get();
    if (col->type() == ColumnType::kNumber) {
      changed = col->SetNumber(row, *d);
    } else {
      ++type_conflicts_;
      changed = col->Clear(row);
    }
  } else if (const std::string* s = std::get_if<std::string>(&value)) {
    id = GetOrCreate(name, ColumnType::kString);
    col = columns_[id].get();
    if (col->type() == ColumnType::kString) {
      changed = col->SetString(row, *s);
    } else {
      ++type_conflicts_;
      changed = col->Clear(row);
    }
  } else if (const auto* v = std::get_if<std::vector<std::string>>(&value)) {
    id = GetOrCreate(name, ColumnType::kSet);
    col = columns_[id].get();
    if (col->type() == ColumnType::kSet) {
      changed = col->SetSet(row, *v);
    } else {
      ++type_conflicts_;
      changed = col->Clear(row);
    }
  } else {
    auto it = column_ids_.find(name);
    if (it == column_ids_.end()) return kNoColumn;
    id = it->second;
    col = columns_[id].get();
    changed = col->Clear(row);
  }
  if (changed) col->modified_seq_ = seq_;
  return id;
}

void TraitTable::Upsert(uint32_t row, const TraitRow& values) {
  bool was_live = rows_.contains(row);
  Track(row, was_live);
  ++seq_;
  if (!was_live) {
    rows_.add(row);
    rows_modified_seq_ = seq_;
  }
  if (was_live) std::fill(seen_.begin(), seen_.end(), 0);
  for (const auto& [name, value] : values) {
    const uint32_t id = Assign(row, name, value);
    if (id != kNoColumn) seen_[id] = 1;
  }
  if (!was_live) return;
  for (size_t c = 0; c < columns_.size(); ++c) {
    if (!seen_[c] && columns_[c]->Clear(row)) columns_[c]->modified_seq_ = seq_;
  }
}

Roaring TraitTable::SetColumn(const std::string& name, std::span<const std::pair<uint32_t, TraitValue>> values,
                              const TraitValue& fallback) {
  Roaring changed;
  const Column* before = FindColumn(name);
  const uint64_t seq_before = before != nullptr ? before->modified_seq() : 0;
  auto next = values.begin();
  for (uint32_t row : rows_) {
    while (next != values.end() && next->first < row) ++next;
    const TraitValue& v = next != values.end() && next->first == row ? next->second : fallback;
    if (Value(row, name) == v) continue;
    Track(row, true);
    ++seq_;
    Assign(row, name, v);
    changed.add(row);
  }
  if (auto it = column_ids_.find(name); it != column_ids_.end()) {
    Column* col = columns_[it->second].get();
    if (col->modified_seq() != seq_before || before == nullptr) col->Optimize();
  }
  return changed;
}

void TraitTable::Erase(uint32_t row) {
  if (!rows_.contains(row)) return;
  Track(row, true);
  ++seq_;
  rows_.remove(row);
  rows_modified_seq_ = seq_;
  for (auto& c : columns_) {
    if (c->Clear(row)) c->modified_seq_ = seq_;
  }
}

TraitValue TraitTable::Value(uint32_t row, std::string_view name) const {
  const Column* c = FindColumn(name);
  if (c == nullptr || !c->not_null().contains(row)) return std::monostate();
  return c->Get(row);
}

TraitRow TraitTable::GetRow(uint32_t row) const {
  TraitRow out;
  for (const auto& c : columns_) {
    TraitValue v = c->Get(row);
    if (!std::holds_alternative<std::monostate>(v)) out.emplace_back(c->name(), std::move(v));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

void TraitTable::Optimize() {
  rows_.runOptimize();
  rows_.shrinkToFit();
  for (auto& c : columns_) c->Optimize();
}

size_t TraitTable::MemoryUsage() const {
  size_t bytes = rows_.getSizeInBytes(false);
  for (const auto& c : columns_) {
    bytes += c->not_null_.getSizeInBytes(false);
    bytes += c->values_.capacity() * sizeof(double) + c->lo_.capacity() * sizeof(double);
    for (const Roaring& r : c->bins_) bytes += r.getSizeInBytes(false);
    for (const Roaring& r : c->code_rows_) bytes += r.getSizeInBytes(false);
    for (const std::string& s : c->dict_values_) bytes += 2 * (s.capacity() + 32);
    bytes += c->codes_.capacity() * 4 + c->set_start_.capacity() * 4 + c->set_len_.capacity() * 4 +
             c->set_data_.capacity() * 4;
  }
  return bytes;
}

}  // namespace holo::segment
