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

// ---------------------------------------------------------------------------
// Bitmap evaluation of one predicate.

class LeafEvaluator {
 public:
  LeafEvaluator(const Expr& p, const TraitTable& table) : p_(p), table_(table) {}

  Roaring Run() {
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

 private:
  Roaring NotNullMinus(const Roaring& r) const { return col_->not_null() - r; }

  // Generic shape shared by numbers and percentiles: `eq`, `ge`/`gt` (value
  // at least / above a literal) and `range` are the primitives.
  template <typename Eq, typename AtLeast, typename Between>
  Roaring Ordered(Eq eq, AtLeast at_least, Between between) {
    switch (p_.kind) {
      case Expr::Kind::kCompare: {
        const Literal& l = p_.values[0];
        if (l.is_string()) return p_.op == CmpOp::kNe ? col_->not_null() : Roaring();
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
    auto eq = [&](double x) { return col_->Range(x, true, x, true); };
    auto at_least = [&](double x, bool strict) { return col_->Range(x, !strict, kInf, true); };
    auto between = [&](double lo, double hi) { return col_->Range(lo, true, hi, true); };
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
    if (ptrs.size() == 1) return *ptrs[0];
    return Roaring::fastunion(ptrs.size(), ptrs.data());
  }

  // Codes of the dictionary values equal to one of the string literals.
  std::vector<uint32_t> EqualCodes() {
    std::vector<uint32_t> codes;
    for (const Literal& l : p_.values) {
      if (!l.is_string()) continue;
      uint32_t c = col_->Code(l.text);
      if (c != Column::kNoCode) codes.push_back(c);
    }
    std::sort(codes.begin(), codes.end());
    codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
    return codes;
  }

  Roaring String() {
    if (p_.kind == Expr::Kind::kCompare && p_.op != CmpOp::kEq && p_.op != CmpOp::kNe) {
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
  const Column* col_ = nullptr;
};

// Returns whether predicate p holds for `row`, read from the table's columns
// (the row-wise path used once an AND's candidate set is small).
bool RowHolds(const Expr& p, const Column* col, uint32_t row) {
  ValueView v;
  if (col != nullptr) {
    switch (col->type()) {
      case ColumnType::kNumber:
        v.number = col->number(row);
        if (!std::isnan(v.number)) v.kind = ValueView::Kind::kNumber;
        break;
      case ColumnType::kString: {
        uint32_t code = col->string_code(row);
        if (code != Column::kNoCode) {
          v.kind = ValueView::Kind::kString;
          v.str = &col->DictValue(code);
        }
        break;
      }
      case ColumnType::kSet: {
        if (!col->not_null().contains(row)) break;
        if (p.kind == Expr::Kind::kIsNull) return p.negated;
        bool any = false;
        for (uint32_t c : col->set_codes(row)) any = any || internal::EqualsAnyLiteral(p, col->DictValue(c));
        return internal::SetPredicateHolds(p, any);
      }
    }
  }
  return internal::PredicateHolds(p, v);
}

// Keeps the rows of `acc` for which predicate p holds (`keep_if` true) or fails.
Roaring Filter(const Roaring& acc, const Expr& p, const TraitTable& table, bool keep_if) {
  const Column* col = table.FindColumn(p.operand.TraitName());
  std::vector<uint32_t> kept;
  for (uint32_t row : acc) {
    if (RowHolds(p, col, row) == keep_if) kept.push_back(row);
  }
  Roaring out;
  out.addMany(kept.size(), kept.data());
  return out;
}

bool Filterable(const Expr& p) { return p.is_predicate() && p.operand.kind != Operand::Kind::kPercentile; }

Roaring Eval(const Expr& e, const TraitTable& table) {
  switch (e.kind) {
    case Expr::Kind::kAnd: {
      // Positive terms intersect; `not x` terms subtract x afterwards. Once the
      // candidates are few, remaining predicates are checked row by row.
      const uint64_t small = table.size() / 256;
      Roaring acc;
      bool first = true;
      std::vector<const Expr*> deferred;  // (positive predicate or `not` of one) for the row-wise pass
      for (const Expr& c : e.children) {
        if (c.kind == Expr::Kind::kNot) continue;
        if (!first && Filterable(c) && acc.cardinality() <= small) {
          deferred.push_back(&c);
          continue;
        }
        if (first) {
          acc = Eval(c, table);
          first = false;
        } else {
          acc &= Eval(c, table);
        }
        if (acc.isEmpty()) return acc;
      }
      if (first) acc = table.rows();
      for (const Expr& c : e.children) {
        if (c.kind != Expr::Kind::kNot) continue;
        if (Filterable(c.children[0]) && acc.cardinality() <= small) {
          deferred.push_back(&c);
          continue;
        }
        acc -= Eval(c.children[0], table);
        if (acc.isEmpty()) return acc;
      }
      for (const Expr* d : deferred) {
        bool negated = d->kind == Expr::Kind::kNot;
        acc = Filter(acc, negated ? d->children[0] : *d, table, !negated);
        if (acc.isEmpty()) return acc;
      }
      return acc;
    }
    case Expr::Kind::kOr: {
      std::vector<Roaring> parts;
      for (const Expr& c : e.children) parts.push_back(Eval(c, table));
      return Union(parts);
    }
    case Expr::Kind::kNot:
      return table.rows() - Eval(e.children[0], table);
    default:
      return LeafEvaluator(e, table).Run();
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

Roaring Evaluate(const Expr& expr, const TraitTable& table) { return Eval(expr, table); }

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
    if (p.kind == Expr::Kind::kCompare && p.op != CmpOp::kEq && p.op != CmpOp::kNe) {
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
