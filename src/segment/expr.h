// File: segment/expr.h
//
// The segment expression language: a boolean expression over profile traits.
// Parse() turns text into an Expr tree; Canonical() prints the normalized text
// that is stored as a segment's definition and compared between versions.
//
//   HOLO_ASSIGN_OR_RETURN(Expr e, Parse(R"(spend_90d > 5000 and city in ("Shanghai", "Hangzhou"))"));
//   std::string def = Canonical(e);  // `spend_90d > 5000 and city in ("Shanghai", "Hangzhou")`
//
// Grammar (keywords case-insensitive; trait names and strings case-sensitive):
//   expr     := or_expr
//   or_expr  := and_expr ('or' and_expr)*
//   and_expr := not_expr ('and' not_expr)*
//   not_expr := 'not' not_expr | pred
//   pred     := '(' expr ')' | operand cmp literal | operand ['not'] 'in' '(' literal, ... ')'
//             | operand 'between' number 'and' number | operand 'contains' string
//             | operand 'is' ['not'] 'null' | operand
//   operand  := IDENT | 'consent' '(' string ')' | 'percentile' '(' IDENT ')'
//             | AGG '(' event ['.' property] ['where' cond ('and' cond)*] ',' window ')'
// See README.md for the full grammar and the evaluation semantics.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "holo/result.h"
#include "profile/computed_trait.h"

namespace holo::segment {

enum class CmpOp { kEq, kNe, kLt, kLe, kGt, kGe };

// Returns "=", "!=", "<", "<=", ">", ">=".
const char* CmpOpText(CmpOp op);

struct Literal {
  enum class Kind { kNumber, kString, kBool };
  Kind kind = Kind::kNumber;
  double number = 0;  // kNumber; kBool holds 0 or 1 (booleans compare as numbers)
  std::string text;   // kString

  bool is_string() const { return kind == Kind::kString; }
  static Literal Number(double v) { return Literal{Kind::kNumber, v, {}}; }
  static Literal String(std::string s) { return Literal{Kind::kString, 0, std::move(s)}; }
  static Literal Bool(bool b) { return Literal{Kind::kBool, b ? 1.0 : 0.0, {}}; }
};

struct Operand {
  enum class Kind { kTrait, kConsent, kPercentile, kAggregate };
  Kind kind = Kind::kTrait;
  // kTrait, kPercentile: the trait name; kConsent: the purpose ("marketing");
  // kAggregate: the canonical text of the term (also aggregate.name).
  std::string name;
  profile::AggregateSpec aggregate;  // kAggregate only

  // Returns the trait (column) the operand reads: the trait name,
  // "consent_<purpose>", or the aggregate's canonical text.
  std::string TraitName() const;
};

struct Expr {
  enum class Kind { kAnd, kOr, kNot, kCompare, kIn, kBetween, kContains, kIsNull, kTruthy };
  Kind kind = Kind::kTruthy;
  std::vector<Expr> children;   // kAnd/kOr: two or more (flattened); kNot: one
  Operand operand;              // predicates only
  CmpOp op = CmpOp::kEq;        // kCompare
  bool negated = false;         // kIn: 'not in'; kIsNull: 'is not null'
  std::vector<Literal> values;  // kCompare: 1; kIn: 1+; kBetween: {lo, hi}; kContains: 1

  bool is_predicate() const { return kind != Kind::kAnd && kind != Kind::kOr && kind != Kind::kNot; }
};

// Parses `text`. Returns InvalidArgument "at column N: expected X, found Y"
// (N is the 1-based byte column) on a syntax error. Unknown trait names are not
// an error.
Result<Expr> Parse(std::string_view text);

// Returns the normalized text: single spaces, lower-case keywords, minimal
// parentheses, ", " between list items, numbers in shortest round-trip form.
// Parse(Canonical(e)) has the same canonical text as e.
std::string Canonical(const Expr& expr);

// Returns the canonical text of one aggregate term, e.g.
// `count(Order Completed where category = "luxury", 180d)`.
std::string CanonicalAggregate(const profile::AggregateSpec& spec);

// Returns the trait names (columns) `expr` reads, sorted and unique.
std::vector<std::string> ReferencedTraits(const Expr& expr);

// Returns the aggregate terms of `expr`, unique, each with `name` set to its
// canonical text (the trait the profile builder must compute).
std::vector<profile::AggregateSpec> Aggregates(const Expr& expr);

// Returns true if `expr` uses percentile(), whose value for a row depends on
// every other row of the column.
bool UsesPercentile(const Expr& expr);

}  // namespace holo::segment
