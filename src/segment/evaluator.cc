#include "segment/evaluator.h"

#include <algorithm>
#include <cmath>

namespace holo::segment {
namespace {

using internal::ValueView;

Roaring Union(const std::vector<Roaring>& parts) {
  if (parts.empty()) return Roaring();
  if (parts.size() == 1) return parts[0];
  std::vector<const Roaring*> ptrs;
  for (const Roaring& r : parts) ptrs.push_back(&r);
  return Roaring::fastunion(ptrs.size(), ptrs.data());
}

bool NumberCompare(double v, CmpOp op, double x) {
  switch (op) {
    case CmpOp::kEq:
      return v == x;
    case CmpOp::kNe:
      return v != x;
    case CmpOp::kLt:
      return v < x;
    case CmpOp::kLe:
      return v <= x;
    case CmpOp::kGt:
      return v > x;
    case CmpOp::kGe:
      return v >= x;
  }
  return false;
}

bool StringCompare(const std::string& v, CmpOp op, const std::string& x) {
  int c = v.compare(x);
  switch (op) {
    case CmpOp::kEq:
      return c == 0;
    case CmpOp::kNe:
      return c != 0;
    case CmpOp::kLt:
      return c < 0;
    case CmpOp::kLe:
      return c <= 0;
    case CmpOp::kGt:
      return c > 0;
    case CmpOp::kGe:
      return c >= 0;
  }
  return false;
}

// `<`, `<=`, `>`, `>=` (ordering, as opposed to equality-shaped predicates).
bool IsOrderCompare(const Expr& p) {
  return p.kind == Expr::Kind::kCompare && p.op != CmpOp::kEq && p.op != CmpOp::kNe;
}

// The sorted dictionary codes of p's string literals in `col` (unknown values
// have none).
std::vector<uint32_t> LiteralCodes(const Expr& p, const Column& col) {
  std::vector<uint32_t> codes;
  for (const Literal& l : p.values) {
    if (!l.is_string()) continue;
    uint32_t c = col.Code(l.text);
    if (c != Column::kNoCode) codes.push_back(c);
  }
  std::sort(codes.begin(), codes.end());
  codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
  return codes;
}

// ---------------------------------------------------------------------------
// Bitmap evaluation of one predicate.

class LeafEvaluator {
 public:
  // With `within`, the result is limited to those rows (and computed on them
  // where an index allows).
  LeafEvaluator(const Expr& p, const TraitTable& table, const Roaring* within)
      : p_(p), table_(table), within_(within) {}

  Roaring Run() {
    Roaring r = RunAll();
    if (within_ != nullptr && !exact_within_) r &= *within_;
    return r;
  }

 private:
  Roaring RunAll() {
    const Operand& o = p_.operand;
    bool pct = o.kind == Operand::Kind::kPercentile;
    col_ = table_.FindColumn(o.TraitName());
    if (col_ != nullptr && pct && col_->type() != ColumnType::kNumber) col_ = nullptr;
    if (p_.kind == Expr::Kind::kIsNull) {
      Roaring present = col_ != nullptr ? col_->not_null() : Roaring();
      return p_.negated ? present : table_.rows() - present;
    }
    if (col_ == nullptr) return Roaring();
    if (pct) return Percentile();
    exact_within_ = true;  // the paths below honour within_
    switch (col_->type()) {
      case ColumnType::kNumber:
        return Number();
      case ColumnType::kString:
        return String();
      case ColumnType::kSet:
        return Set();
    }
    return Roaring();
  }

  Roaring NotNullMinus(const Roaring& r) const {
    if (exact_within_ && within_ != nullptr) return (*within_ & col_->not_null()) - r;
    return col_->not_null() - r;
  }

  // Generic shape shared by numbers and percentiles: `eq`, `ge`/`gt` (value
  // at least / above a literal) and `range` are the primitives.
  template <typename Eq, typename AtLeast, typename Between>
  Roaring Ordered(Eq eq, AtLeast at_least, Between between) {
    switch (p_.kind) {
      case Expr::Kind::kCompare: {
        const Literal& l = p_.values[0];
        if (l.is_string()) return p_.op == CmpOp::kNe ? NotNullMinus(Roaring()) : Roaring();
        double x = l.number;
        switch (p_.op) {
          case CmpOp::kEq:
            return eq(x);
          case CmpOp::kNe:
            return NotNullMinus(eq(x));
          case CmpOp::kLt:
            return NotNullMinus(at_least(x, false));
          case CmpOp::kLe:
            return NotNullMinus(at_least(x, true));
          case CmpOp::kGt:
            return at_least(x, true);
          case CmpOp::kGe:
            return at_least(x, false);
        }
        return Roaring();
      }
      case Expr::Kind::kIn: {
        std::vector<Roaring> parts;
        for (const Literal& l : p_.values) {
          if (!l.is_string()) parts.push_back(eq(l.number));
        }
        Roaring any = Union(parts);
        return p_.negated ? NotNullMinus(any) : any;
      }
      case Expr::Kind::kBetween:
        return between(p_.values[0].number, p_.values[1].number);
      case Expr::Kind::kTruthy:
        return NotNullMinus(eq(0));
      default:
        return Roaring();  // contains
    }
  }

  Roaring Number() {
    auto eq = [&](double x) { return col_->Range(x, true, x, true, within_); };
    auto at_least = [&](double x, bool strict) { return col_->Range(x, !strict, kInf, true, within_); };
    auto between = [&](double lo, double hi) { return col_->Range(lo, true, hi, true, within_); };
    return Ordered(eq, at_least, between);
  }

  Roaring Percentile() {
    uint64_t n = col_->count();
    // Rows whose rank is >= p (or > p): a threshold on the value, found by counting.
    auto at_least = [&](double p, bool strict) {
      auto ok = [&](uint64_t c) { return strict ? PercentRank(c, n) > p : PercentRank(c, n) >= p; };
      if (n == 0 || !ok(n)) return Roaring();
      uint64_t lo = 1, hi = n;  // smallest c in [1, n] with ok(c)
      while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (ok(mid)) {
          hi = mid;
        } else {
          lo = mid + 1;
        }
      }
      return col_->Range(col_->Kth(lo - 1), true, kInf, true);
    };
    auto eq = [&](double x) { return at_least(x, false) - at_least(x, true); };
    auto between = [&](double lo, double hi) { return at_least(lo, false) - at_least(hi, true); };
    return Ordered(eq, at_least, between);
  }

  Roaring Codes(const std::vector<uint32_t>& codes) {
    std::vector<const Roaring*> ptrs;
    for (uint32_t c : codes) ptrs.push_back(&col_->CodeRows(c));
    if (ptrs.empty()) return Roaring();
    // With candidates, one intersection at the end: intersecting each sparse
    // value bitmap (array containers) with them costs more than the union.
    if (ptrs.size() == 1) return within_ != nullptr ? *within_ & *ptrs[0] : *ptrs[0];
    Roaring any = Roaring::fastunion(ptrs.size(), ptrs.data());
    if (within_ != nullptr) any &= *within_;
    return any;
  }

  std::vector<uint32_t> EqualCodes() { return LiteralCodes(p_, *col_); }

  Roaring String() {
    if (IsOrderCompare(p_)) {
      if (!p_.values[0].is_string()) return Roaring();
      std::vector<uint32_t> codes;
      for (uint32_t c = 0; c < col_->dictionary_size(); ++c) {
        if (StringCompare(col_->DictValue(c), p_.op, p_.values[0].text)) codes.push_back(c);
      }
      return Codes(codes);
    }
    return Set();  // equality-shaped predicates work the same on one value or a set
  }

  Roaring Set() {
    switch (p_.kind) {
      case Expr::Kind::kCompare:
        if (p_.op == CmpOp::kEq) return Codes(EqualCodes());
        if (p_.op == CmpOp::kNe) return NotNullMinus(Codes(EqualCodes()));
        return Roaring();
      case Expr::Kind::kIn:
        return p_.negated ? NotNullMinus(Codes(EqualCodes())) : Codes(EqualCodes());
      case Expr::Kind::kContains:
        return Codes(EqualCodes());
      default:
        return Roaring();
    }
  }

  const Expr& p_;
  const TraitTable& table_;
  const Roaring* within_;
  bool exact_within_ = false;  // the result is already limited to within_
  const Column* col_ = nullptr;
};

// ---------------------------------------------------------------------------
// Planning an AND: estimates and the row-wise path.

// True when `e` can be checked row by row from the columns (no percentile()).
bool Filterable(const Expr& e) {
  if (e.is_predicate()) return e.operand.kind != Operand::Kind::kPercentile;
  return std::all_of(e.children.begin(), e.children.end(), [](const Expr& c) { return Filterable(c); });
}

// Returns roughly how many rows satisfy predicate p, from the index counts
// alone (an upper bound for numbers; exact for equality on strings and sets).
uint64_t EstimateLeaf(const Expr& p, const TraitTable& table) {
  uint64_t all = table.size();
  const Column* col = table.FindColumn(p.operand.TraitName());
  if (p.kind == Expr::Kind::kIsNull) {
    uint64_t present = col != nullptr ? col->count() : 0;
    return p.negated ? present : all - std::min(all, present);
  }
  if (col == nullptr) return 0;
  uint64_t n = col->count();
  if (p.operand.kind == Operand::Kind::kPercentile) return n;
  if (col->type() == ColumnType::kNumber) {
    auto bound = [&](double lo, bool lo_in, double hi, bool hi_in) { return col->RangeCountBound(lo, lo_in, hi, hi_in); };
    switch (p.kind) {
      case Expr::Kind::kCompare: {
        if (p.values[0].is_string()) return p.op == CmpOp::kNe ? n : 0;
        double x = p.values[0].number;
        switch (p.op) {
          case CmpOp::kEq:
            return bound(x, true, x, true);
          case CmpOp::kNe:
            return n;
          case CmpOp::kLt:
            return bound(-kInf, true, x, false);
          case CmpOp::kLe:
            return bound(-kInf, true, x, true);
          case CmpOp::kGt:
            return bound(x, false, kInf, true);
          case CmpOp::kGe:
            return bound(x, true, kInf, true);
        }
        return n;
      }
      case Expr::Kind::kIn: {
        if (p.negated) return n;
        uint64_t rows = 0;
        for (const Literal& l : p.values) {
          if (!l.is_string()) rows += bound(l.number, true, l.number, true);
        }
        return std::min(rows, n);
      }
      case Expr::Kind::kBetween:
        return bound(p.values[0].number, true, p.values[1].number, true);
      case Expr::Kind::kTruthy:
        return n - std::min(n, bound(0, true, 0, true));
      default:
        return 0;
    }
  }
  if (IsOrderCompare(p)) return n;
  uint64_t equal = 0;
  for (uint32_t c : LiteralCodes(p, *col)) equal += col->CodeRows(c).cardinality();
  bool negative = (p.kind == Expr::Kind::kCompare && p.op == CmpOp::kNe) || (p.kind == Expr::Kind::kIn && p.negated);
  return negative ? n - std::min(n, equal) : std::min(equal, n);
}

uint64_t Estimate(const Expr& e, const TraitTable& table) {
  uint64_t all = table.size();
  switch (e.kind) {
    case Expr::Kind::kAnd: {
      uint64_t rows = all;
      for (const Expr& c : e.children) rows = std::min(rows, Estimate(c, table));
      return rows;
    }
    case Expr::Kind::kOr: {
      uint64_t rows = 0;
      for (const Expr& c : e.children) rows += Estimate(c, table);
      return std::min(rows, all);
    }
    case Expr::Kind::kNot:
      return all - std::min(all, Estimate(e.children[0], table));
    default:
      return EstimateLeaf(e, table);
  }
}

// A Filterable expression compiled against the table's columns, checked one
// row at a time (strings and sets by dictionary code, never by text).
class RowTest {
 public:
  RowTest(const Expr& e, const TraitTable& table) : e_(&e) {
    if (!e.is_predicate()) {
      for (const Expr& c : e.children) children_.emplace_back(c, table);
      return;
    }
    col_ = table.FindColumn(e.operand.TraitName());
    missing_holds_ = internal::PredicateHolds(e, ValueView());
    if (col_ == nullptr || col_->type() == ColumnType::kNumber) return;
    if (col_->type() == ColumnType::kString && IsOrderCompare(e)) {
      accept_.resize(col_->dictionary_size());
      for (uint32_t c = 0; c < accept_.size(); ++c) {
        ValueView v;
        v.kind = ValueView::Kind::kString;
        v.str = &col_->DictValue(c);
        accept_[c] = internal::PredicateHolds(e, v);
      }
      return;
    }
    // Equality-shaped: on a string, the verdict for a value equal / not equal
    // to one of the literals; on a set, whether an element equals one.
    bool is_set = col_->type() == ColumnType::kSet;
    uint8_t other = is_set ? 0 : internal::SetPredicateHolds(e, false);
    uint8_t equal = is_set ? 1 : internal::SetPredicateHolds(e, true);
    accept_.assign(col_->dictionary_size(), other);
    for (uint32_t c : LiteralCodes(e, *col_)) accept_[c] = equal;
  }

  // Hints the cache about the data Holds(row) reads first.
  void Prefetch(uint32_t row) const {
    for (const RowTest& c : children_) c.Prefetch(row);
    if (col_ == nullptr) return;
    switch (col_->type()) {
      case ColumnType::kNumber:
        __builtin_prefetch(col_->number_data() + row);
        break;
      case ColumnType::kString:
        __builtin_prefetch(col_->code_data() + row);
        break;
      case ColumnType::kSet:
        break;
    }
  }

  bool Holds(uint32_t row) const {
    switch (e_->kind) {
      case Expr::Kind::kAnd:
        for (const RowTest& c : children_) {
          if (!c.Holds(row)) return false;
        }
        return true;
      case Expr::Kind::kOr:
        for (const RowTest& c : children_) {
          if (c.Holds(row)) return true;
        }
        return false;
      case Expr::Kind::kNot:
        return !children_[0].Holds(row);
      default:
        break;
    }
    if (col_ == nullptr) return missing_holds_;
    switch (col_->type()) {
      case ColumnType::kNumber: {
        ValueView v;
        v.number = col_->number(row);
        if (std::isnan(v.number)) return missing_holds_;
        v.kind = ValueView::Kind::kNumber;
        return internal::PredicateHolds(*e_, v);
      }
      case ColumnType::kString: {
        uint32_t code = col_->string_code(row);
        return code == Column::kNoCode ? missing_holds_ : accept_[code] != 0;
      }
      case ColumnType::kSet: {
        std::span<const uint32_t> codes = col_->set_codes(row);
        if (codes.empty() && !col_->not_null().contains(row)) return missing_holds_;
        bool any = false;
        for (uint32_t c : codes) any = any || accept_[c] != 0;
        return internal::SetPredicateHolds(*e_, any);
      }
    }
    return false;
  }

 private:
  const Expr* e_;
  std::vector<RowTest> children_;  // kAnd / kOr / kNot
  const Column* col_ = nullptr;
  bool missing_holds_ = false;
  std::vector<uint8_t> accept_;  // by dictionary code
};

// Keeps the rows of `acc` that pass every test.
Roaring Filter(const Roaring& acc, const std::vector<RowTest>& tests) {
  std::vector<uint32_t> rows(acc.cardinality());
  acc.toUint32Array(rows.data());
  size_t kept = 0;
  constexpr size_t kAhead = 32;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i + kAhead < rows.size()) {
      for (const RowTest& t : tests) t.Prefetch(rows[i + kAhead]);
    }
    uint32_t row = rows[i];
    bool ok = true;
    for (const RowTest& t : tests) {
      if (!t.Holds(row)) {
        ok = false;
        break;
      }
    }
    if (ok) rows[kept++] = row;
  }
  Roaring out;
  out.addMany(kept, rows.data());
  return out;
}

// Returns the rows satisfying `e`; with `within`, only rows of `within`.
Roaring Eval(const Expr& e, const TraitTable& table, const Roaring* within) {
  switch (e.kind) {
    case Expr::Kind::kAnd: {
      // Terms run from the fewest estimated rows up. The first is evaluated
      // on its own; each later one only on the candidates left so far (a
      // positive term keeps its rows, `not x` removes x's). Once the
      // candidates are very few, the remaining terms are checked row by row,
      // all in one pass.
      struct Term {
        const Expr* e;
        bool negated;
        uint64_t rows;  // estimated rows of the term (of x for `not x`)
      };
      std::vector<Term> terms;
      for (const Expr& c : e.children) {
        bool negated = c.kind == Expr::Kind::kNot;
        terms.push_back({&c, negated, Estimate(negated ? c.children[0] : c, table)});
      }
      // Positive terms first (a negative one needs rows to remove from),
      // each group by ascending size.
      std::stable_sort(terms.begin(), terms.end(), [](const Term& a, const Term& b) {
        if (a.negated != b.negated) return !a.negated;
        return a.rows < b.rows;
      });
      const uint64_t few = std::max<uint64_t>(table.size() / 1024, 64);
      Roaring acc;
      bool started = within != nullptr;
      if (started) acc = *within;
      std::vector<RowTest> deferred;
      for (const Term& t : terms) {
        if (started && Filterable(*t.e) && acc.cardinality() <= few) {
          deferred.emplace_back(*t.e, table);
          continue;
        }
        const Expr& x = t.negated ? t.e->children[0] : *t.e;
        if (!started) {
          acc = t.negated ? table.rows() - Eval(x, table, nullptr) : Eval(x, table, nullptr);
          started = true;
        } else if (t.negated) {
          acc -= Eval(x, table, &acc);
        } else {
          acc = Eval(x, table, &acc);
        }
        if (acc.isEmpty()) return acc;
      }
      if (!started) return table.rows();
      if (!deferred.empty()) acc = Filter(acc, deferred);
      return acc;
    }
    case Expr::Kind::kOr: {
      std::vector<Roaring> parts;
      for (const Expr& c : e.children) parts.push_back(Eval(c, table, within));
      return Union(parts);
    }
    case Expr::Kind::kNot:
      return (within != nullptr ? *within : table.rows()) - Eval(e.children[0], table, within);
    default:
      return LeafEvaluator(e, table, within).Run();
  }
}

// ---------------------------------------------------------------------------
// Row-wise evaluation.

const TraitValue* Find(const TraitRow& row, const std::string& name) {
  const TraitValue* found = nullptr;
  for (const auto& [k, v] : row) {
    if (k == name) found = &v;
  }
  return found;
}

bool MatchRow(const Expr& e, const TraitRow& row, const PercentileContext* pct) {
  switch (e.kind) {
    case Expr::Kind::kAnd:
      return std::all_of(e.children.begin(), e.children.end(),
                         [&](const Expr& c) { return MatchRow(c, row, pct); });
    case Expr::Kind::kOr:
      return std::any_of(e.children.begin(), e.children.end(),
                         [&](const Expr& c) { return MatchRow(c, row, pct); });
    case Expr::Kind::kNot:
      return !MatchRow(e.children[0], row, pct);
    default:
      break;
  }
  const Operand& o = e.operand;
  const TraitValue* tv = Find(row, o.TraitName());
  ValueView v;
  if (tv != nullptr) {
    if (const double* d = std::get_if<double>(tv); d != nullptr && !std::isnan(*d)) {
      v.kind = ValueView::Kind::kNumber;
      v.number = *d;
    } else if (const std::string* s = std::get_if<std::string>(tv)) {
      v.kind = ValueView::Kind::kString;
      v.str = s;
    } else if (const auto* set = std::get_if<std::vector<std::string>>(tv)) {
      if (o.kind == Operand::Kind::kPercentile) return internal::PredicateHolds(e, ValueView());
      bool any = false;
      for (const std::string& s : *set) any = any || internal::EqualsAnyLiteral(e, s);
      if (e.kind == Expr::Kind::kIsNull) return e.negated;
      return internal::SetPredicateHolds(e, any);
    }
  }
  if (o.kind == Operand::Kind::kPercentile) {
    std::optional<double> rank;
    if (v.kind == ValueView::Kind::kNumber && pct != nullptr) rank = pct->Rank(o.name, v.number);
    v = ValueView();
    if (rank) {
      v.kind = ValueView::Kind::kNumber;
      v.number = *rank;
    }
  }
  return internal::PredicateHolds(e, v);
}

}  // namespace

double PercentRank(uint64_t count_le, uint64_t n) {
  if (n <= 1) return 100.0;
  return 100.0 * static_cast<double>(count_le - 1) / static_cast<double>(n - 1);
}

void PercentileContext::Finish() {
  for (auto& [name, v] : values_) std::sort(v.begin(), v.end());
}

std::optional<double> PercentileContext::Rank(const std::string& trait, double value) const {
  auto it = values_.find(trait);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  const std::vector<double>& v = it->second;
  uint64_t le = static_cast<uint64_t>(std::upper_bound(v.begin(), v.end(), value) - v.begin());
  if (le == 0) return std::nullopt;  // not one of the column's values
  return PercentRank(le, v.size());
}

Roaring Evaluate(const Expr& expr, const TraitTable& table) { return Eval(expr, table, nullptr); }

bool Matches(const Expr& expr, const TraitRow& row, const PercentileContext* percentiles) {
  return MatchRow(expr, row, percentiles);
}

namespace internal {

bool EqualsAnyLiteral(const Expr& p, const std::string& s) {
  if (p.kind != Expr::Kind::kCompare && p.kind != Expr::Kind::kIn && p.kind != Expr::Kind::kContains) return false;
  for (const Literal& l : p.values) {
    if (l.is_string() && l.text == s) return true;
  }
  return false;
}

bool SetPredicateHolds(const Expr& p, bool any_element_equal) {
  switch (p.kind) {
    case Expr::Kind::kCompare:
      if (p.op == CmpOp::kEq) return any_element_equal;
      if (p.op == CmpOp::kNe) return !any_element_equal;
      return false;
    case Expr::Kind::kIn:
      return p.negated ? !any_element_equal : any_element_equal;
    case Expr::Kind::kContains:
      return any_element_equal;
    case Expr::Kind::kIsNull:
      return p.negated;
    default:
      return false;
  }
}

bool PredicateHolds(const Expr& p, const ValueView& v) {
  if (p.kind == Expr::Kind::kIsNull) return (v.kind == ValueView::Kind::kMissing) != p.negated;
  if (v.kind == ValueView::Kind::kMissing) return false;
  if (v.kind == ValueView::Kind::kString) {
    if (IsOrderCompare(p)) {
      return p.values[0].is_string() && StringCompare(*v.str, p.op, p.values[0].text);
    }
    return SetPredicateHolds(p, EqualsAnyLiteral(p, *v.str));
  }
  double x = v.number;
  switch (p.kind) {
    case Expr::Kind::kCompare: {
      const Literal& l = p.values[0];
      if (l.is_string()) return p.op == CmpOp::kNe;
      return NumberCompare(x, p.op, l.number);
    }
    case Expr::Kind::kIn: {
      bool any = false;
      for (const Literal& l : p.values) any = any || (!l.is_string() && l.number == x);
      return p.negated ? !any : any;
    }
    case Expr::Kind::kBetween:
      return x >= p.values[0].number && x <= p.values[1].number;
    case Expr::Kind::kTruthy:
      return x != 0;
    default:
      return false;
  }
}

}  // namespace internal
}  // namespace holo::segment
