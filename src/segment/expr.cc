#include "segment/expr.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <set>
#include <utility>

namespace holo::segment {
namespace {

using profile::AggFunc;
using profile::AggregateSpec;
using profile::Condition;

constexpr int kMaxWindowDays = 100000;
constexpr int kMaxDepth = 200;

bool IsIdentStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c) || c == '.'; }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

constexpr std::string_view kKeywords[] = {"and", "or",   "not",  "in",    "between", "contains",
                                          "is",  "null", "true", "false", "where"};

bool IsKeyword(std::string_view word) {
  for (std::string_view k : kKeywords) {
    if (EqualsIgnoreCase(word, k)) return true;
  }
  return false;
}

struct AggName {
  std::string_view name;
  AggFunc func;
};
constexpr AggName kAggNames[] = {
    {"count", AggFunc::kCount}, {"sum", AggFunc::kSum},           {"min", AggFunc::kMin},
    {"max", AggFunc::kMax},     {"distinct", AggFunc::kDistinct}, {"first", AggFunc::kFirst},
    {"last", AggFunc::kLast},   {"most_frequent", AggFunc::kMostFrequent},
};

const char* AggText(AggFunc f) {
  for (const AggName& a : kAggNames) {
    if (a.func == f) return a.name.data();
  }
  return "count";
}

std::string FormatNumber(double v) {
  if (v == 0) v = 0;  // -0 prints as 0
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string FormatLiteral(const Literal& l) {
  switch (l.kind) {
    case Literal::Kind::kString:
      return Quote(l.text);
    case Literal::Kind::kBool:
      return l.number != 0 ? "true" : "false";
    case Literal::Kind::kNumber:
      break;
  }
  return FormatNumber(l.number);
}

// ---------------------------------------------------------------------------
// Lexer: stateless; LexAt(pos) returns the token starting at or after pos.

struct Token {
  enum class Kind { kEnd, kIdent, kNumber, kString, kLParen, kRParen, kComma, kDot, kCmp, kError };
  Kind kind = Kind::kEnd;
  size_t pos = 0;  // first byte
  size_t end = 0;  // one past the last byte
  std::string_view raw;
  std::string str;  // decoded kString
  double number = 0;
  CmpOp op = CmpOp::kEq;
  std::string error;  // kError: what went wrong (an "expected ..., found ..." text)
};

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  size_t SkipSpace(size_t pos) const {
    while (pos < text_.size() && IsSpace(text_[pos])) ++pos;
    return pos;
  }

  Token LexAt(size_t pos) const {
    pos = SkipSpace(pos);
    Token t;
    t.pos = pos;
    if (pos >= text_.size()) {
      t.end = pos;
      return t;
    }
    char c = text_[pos];
    auto single = [&](Token::Kind k) {
      t.kind = k;
      t.end = pos + 1;
      t.raw = text_.substr(pos, 1);
      return t;
    };
    if (c == '(') return single(Token::Kind::kLParen);
    if (c == ')') return single(Token::Kind::kRParen);
    if (c == ',') return single(Token::Kind::kComma);
    if (c == '.') return single(Token::Kind::kDot);
    if (c == '=' || c == '<' || c == '>' || c == '!') {
      bool eq_next = pos + 1 < text_.size() && text_[pos + 1] == '=';
      t.kind = Token::Kind::kCmp;
      t.end = pos + (eq_next ? 2 : 1);
      t.raw = text_.substr(pos, t.end - pos);
      if (c == '=') {
        t.op = CmpOp::kEq;
        t.end = pos + 1;
        t.raw = text_.substr(pos, 1);
      } else if (c == '<') {
        t.op = eq_next ? CmpOp::kLe : CmpOp::kLt;
      } else if (c == '>') {
        t.op = eq_next ? CmpOp::kGe : CmpOp::kGt;
      } else if (eq_next) {
        t.op = CmpOp::kNe;
      } else {
        t.kind = Token::Kind::kError;
        t.error = "expected '!=', found '!'";
      }
      return t;
    }
    if (IsIdentStart(c)) {
      size_t e = pos;
      while (e < text_.size() && IsIdentChar(text_[e])) ++e;
      t.kind = Token::Kind::kIdent;
      t.end = e;
      t.raw = text_.substr(pos, e - pos);
      return t;
    }
    if (IsDigit(c) || (c == '-' && pos + 1 < text_.size() && IsDigit(text_[pos + 1]))) {
      size_t e = pos + (c == '-' ? 1 : 0);
      while (e < text_.size() && IsDigit(text_[e])) ++e;
      if (e + 1 < text_.size() && text_[e] == '.' && IsDigit(text_[e + 1])) {
        ++e;
        while (e < text_.size() && IsDigit(text_[e])) ++e;
      }
      if (e < text_.size() && (text_[e] == 'e' || text_[e] == 'E')) {
        size_t x = e + 1;
        if (x < text_.size() && (text_[x] == '+' || text_[x] == '-')) ++x;
        if (x < text_.size() && IsDigit(text_[x])) {
          while (x < text_.size() && IsDigit(text_[x])) ++x;
          e = x;
        }
      }
      t.kind = Token::Kind::kNumber;
      t.end = e;
      t.raw = text_.substr(pos, e - pos);
      auto parsed = std::from_chars(text_.data() + pos, text_.data() + e, t.number);
      if (parsed.ec != std::errc() || !std::isfinite(t.number)) {
        t.kind = Token::Kind::kError;
        t.error = "expected a finite number, found " + std::string(t.raw);
      }
      return t;
    }
    if (c == '"') {
      size_t e = pos + 1;
      std::string s;
      while (true) {
        if (e >= text_.size()) {
          t.kind = Token::Kind::kError;
          t.error = "expected a closing '\"' for the string, found end of input";
          t.end = e;
          return t;
        }
        char d = text_[e];
        if (d == '"') break;
        if (d == '\\') {
          if (e + 1 < text_.size() && (text_[e + 1] == '"' || text_[e + 1] == '\\')) {
            s += text_[e + 1];
            e += 2;
            continue;
          }
          t.kind = Token::Kind::kError;
          t.pos = e;
          t.error = e + 1 < text_.size()
                        ? "expected an escape \\\" or \\\\, found \\" + std::string(1, text_[e + 1])
                        : std::string("expected an escape \\\" or \\\\, found end of input");
          t.end = e + 1;
          return t;
        }
        s += d;
        ++e;
      }
      t.kind = Token::Kind::kString;
      t.end = e + 1;
      t.raw = text_.substr(pos, t.end - pos);
      t.str = std::move(s);
      return t;
    }
    t.kind = Token::Kind::kError;
    t.end = pos + 1;
    t.raw = text_.substr(pos, 1);
    t.error = "expected a trait name, value or operator, found '" + std::string(t.raw) + "'";
    return t;
  }

 private:
  std::string_view text_;
};

std::string Describe(const Token& t) {
  switch (t.kind) {
    case Token::Kind::kEnd:
      return "end of input";
    case Token::Kind::kNumber:
    case Token::Kind::kString:
      return std::string(t.raw);
    case Token::Kind::kError:
      return t.raw.empty() ? "an invalid token" : "'" + std::string(t.raw) + "'";
    default:
      return "'" + std::string(t.raw) + "'";
  }
}

// ---------------------------------------------------------------------------
// Recursive-descent parser. Each Parse* returns false after recording error_.

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text), lex_(text) {}

  Result<Expr> Run() {
    Expr e;
    if (!ParseOr(&e, 0)) return error_;
    Token t = Peek();
    if (t.kind != Token::Kind::kEnd) {
      Fail(t, "expected 'and', 'or' or end of input");
      return error_;
    }
    return e;
  }

 private:
  Token Peek() const { return lex_.LexAt(pos_); }
  void Consume(const Token& t) { pos_ = t.end; }

  bool IsWord(const Token& t, std::string_view word) const {
    return t.kind == Token::Kind::kIdent && EqualsIgnoreCase(t.raw, word);
  }

  bool Fail(const Token& found, std::string_view expected) {
    if (found.kind == Token::Kind::kError) {
      error_ = Status::InvalidArgument("at column " + std::to_string(found.pos + 1) + ": " + found.error);
    } else {
      error_ = Status::InvalidArgument("at column " + std::to_string(found.pos + 1) + ": " +
                                       std::string(expected) + ", found " + Describe(found));
    }
    return false;
  }

  bool Expect(Token::Kind kind, std::string_view expected) {
    Token t = Peek();
    if (t.kind != kind) return Fail(t, expected);
    Consume(t);
    return true;
  }

  static void AppendFlat(Expr::Kind kind, Expr child, std::vector<Expr>* out) {
    if (child.kind == kind) {
      for (Expr& c : child.children) out->push_back(std::move(c));
    } else {
      out->push_back(std::move(child));
    }
  }

  bool ParseOr(Expr* out, int depth) {
    if (depth > kMaxDepth) return Fail(Peek(), "expected less nesting (at most 200 levels)");
    Expr first;
    if (!ParseAnd(&first, depth)) return false;
    if (!IsWord(Peek(), "or")) {
      *out = std::move(first);
      return true;
    }
    Expr node;
    node.kind = Expr::Kind::kOr;
    AppendFlat(Expr::Kind::kOr, std::move(first), &node.children);
    while (IsWord(Peek(), "or")) {
      Consume(Peek());
      Expr next;
      if (!ParseAnd(&next, depth)) return false;
      AppendFlat(Expr::Kind::kOr, std::move(next), &node.children);
    }
    *out = std::move(node);
    return true;
  }

  bool ParseAnd(Expr* out, int depth) {
    Expr first;
    if (!ParseNot(&first, depth)) return false;
    if (!IsWord(Peek(), "and")) {
      *out = std::move(first);
      return true;
    }
    Expr node;
    node.kind = Expr::Kind::kAnd;
    AppendFlat(Expr::Kind::kAnd, std::move(first), &node.children);
    while (IsWord(Peek(), "and")) {
      Consume(Peek());
      Expr next;
      if (!ParseNot(&next, depth)) return false;
      AppendFlat(Expr::Kind::kAnd, std::move(next), &node.children);
    }
    *out = std::move(node);
    return true;
  }

  bool ParseNot(Expr* out, int depth) {
    if (depth > kMaxDepth) return Fail(Peek(), "expected less nesting (at most 200 levels)");
    Token t = Peek();
    if (IsWord(t, "not")) {
      Consume(t);
      Expr child;
      if (!ParseNot(&child, depth + 1)) return false;
      out->kind = Expr::Kind::kNot;
      out->children.clear();
      out->children.push_back(std::move(child));
      return true;
    }
    return ParsePred(out, depth);
  }

  bool ParseLiteral(Literal* out, std::string_view expected) {
    Token t = Peek();
    if (t.kind == Token::Kind::kString) {
      *out = Literal::String(t.str);
    } else if (t.kind == Token::Kind::kNumber) {
      *out = Literal::Number(t.number);
    } else if (IsWord(t, "true") || IsWord(t, "false")) {
      *out = Literal::Bool(IsWord(t, "true"));
    } else {
      return Fail(t, expected);
    }
    Consume(t);
    return true;
  }

  bool ParseList(std::vector<Literal>* out, std::string_view after) {
    if (!Expect(Token::Kind::kLParen, "expected '(' after '" + std::string(after) + "'")) return false;
    while (true) {
      Literal l;
      if (!ParseLiteral(&l, out->empty() ? "expected a value in the list" : "expected a value after ','")) {
        return false;
      }
      out->push_back(std::move(l));
      Token t = Peek();
      if (t.kind == Token::Kind::kComma) {
        Consume(t);
        continue;
      }
      if (t.kind == Token::Kind::kRParen) {
        Consume(t);
        return true;
      }
      return Fail(t, "expected ',' or ')' in the list");
    }
  }

  bool ParsePred(Expr* out, int depth) {
    Token t = Peek();
    if (t.kind == Token::Kind::kLParen) {
      Consume(t);
      if (!ParseOr(out, depth + 1)) return false;
      return Expect(Token::Kind::kRParen, "expected ')'");
    }
    Operand operand;
    if (!ParseOperand(&operand)) return false;
    out->operand = std::move(operand);
    t = Peek();
    if (t.kind == Token::Kind::kCmp) {
      Consume(t);
      out->kind = Expr::Kind::kCompare;
      out->op = t.op;
      Literal l;
      if (!ParseLiteral(&l, "expected a value after '" + std::string(CmpOpText(t.op)) + "'")) return false;
      out->values.push_back(std::move(l));
      return true;
    }
    if (IsWord(t, "not")) {
      Consume(t);
      Token in = Peek();
      if (!IsWord(in, "in")) return Fail(in, "expected 'in' after 'not'");
      Consume(in);
      out->kind = Expr::Kind::kIn;
      out->negated = true;
      return ParseList(&out->values, "in");
    }
    if (IsWord(t, "in")) {
      Consume(t);
      out->kind = Expr::Kind::kIn;
      return ParseList(&out->values, "in");
    }
    if (IsWord(t, "between")) {
      Consume(t);
      out->kind = Expr::Kind::kBetween;
      Token lo = Peek();
      if (lo.kind != Token::Kind::kNumber) return Fail(lo, "expected a number after 'between'");
      Consume(lo);
      Token a = Peek();
      if (!IsWord(a, "and")) return Fail(a, "expected 'and' after 'between " + std::string(lo.raw) + "'");
      Consume(a);
      Token hi = Peek();
      if (hi.kind != Token::Kind::kNumber) return Fail(hi, "expected a number after 'and'");
      Consume(hi);
      out->values = {Literal::Number(lo.number), Literal::Number(hi.number)};
      return true;
    }
    if (IsWord(t, "contains")) {
      Consume(t);
      out->kind = Expr::Kind::kContains;
      Token s = Peek();
      if (s.kind != Token::Kind::kString) return Fail(s, "expected a string after 'contains'");
      Consume(s);
      out->values.push_back(Literal::String(s.str));
      return true;
    }
    if (IsWord(t, "is")) {
      Consume(t);
      out->kind = Expr::Kind::kIsNull;
      Token n = Peek();
      if (IsWord(n, "not")) {
        out->negated = true;
        Consume(n);
        n = Peek();
      }
      if (!IsWord(n, "null")) return Fail(n, out->negated ? "expected 'null' after 'is not'" : "expected 'null' after 'is'");
      Consume(n);
      return true;
    }
    out->kind = Expr::Kind::kTruthy;
    return true;
  }

  bool ParseOperand(Operand* out) {
    Token t = Peek();
    if (t.kind != Token::Kind::kIdent || IsKeyword(t.raw)) {
      return Fail(t, "expected a trait name, 'not' or '('");
    }
    Token next = lex_.LexAt(t.end);
    bool call = next.kind == Token::Kind::kLParen;
    if (call && EqualsIgnoreCase(t.raw, "consent")) {
      Consume(t);
      Consume(next);
      Token s = Peek();
      if (s.kind != Token::Kind::kString) return Fail(s, "expected a purpose string after 'consent('");
      Consume(s);
      out->kind = Operand::Kind::kConsent;
      out->name = s.str;
      return Expect(Token::Kind::kRParen, "expected ')' after the consent purpose");
    }
    if (call && EqualsIgnoreCase(t.raw, "percentile")) {
      Consume(t);
      Consume(next);
      Token id = Peek();
      if (id.kind != Token::Kind::kIdent || IsKeyword(id.raw)) {
        return Fail(id, "expected a trait name after 'percentile('");
      }
      Consume(id);
      out->kind = Operand::Kind::kPercentile;
      out->name = std::string(id.raw);
      return Expect(Token::Kind::kRParen, "expected ')' after the percentile trait");
    }
    if (call) {
      for (const AggName& a : kAggNames) {
        if (!EqualsIgnoreCase(t.raw, a.name)) continue;
        Consume(t);
        Consume(next);
        out->kind = Operand::Kind::kAggregate;
        out->aggregate.func = a.func;
        if (!ParseAggregate(&out->aggregate, a.name)) return false;
        out->name = CanonicalAggregate(out->aggregate);
        out->aggregate.name = out->name;
        return true;
      }
    }
    Consume(t);
    out->kind = Operand::Kind::kTrait;
    out->name = std::string(t.raw);
    return true;
  }

  // After `AGG (`: event ['.' property] ['where' cond ('and' cond)*] ',' window ')'.
  bool ParseAggregate(AggregateSpec* spec, std::string_view func) {
    size_t start = lex_.SkipSpace(pos_);
    if (start < text_.size() && text_[start] == '"') {
      Token s = lex_.LexAt(start);
      if (s.kind != Token::Kind::kString) return Fail(s, "");
      spec->event = s.str;
      Consume(s);
    } else {
      // Words up to '.', ',', ')' or the word 'where'; runs of spaces collapse.
      size_t i = start;
      std::string event;
      while (i < text_.size()) {
        char c = text_[i];
        if (c == '.' || c == ',' || c == ')' || c == '(' || c == '"') break;
        if (IsIdentStart(c) && (i == start || !IsIdentChar(text_[i - 1]))) {
          size_t e = i;
          while (e < text_.size() && (IsIdentStart(text_[e]) || IsDigit(text_[e]))) ++e;
          if (EqualsIgnoreCase(text_.substr(i, e - i), "where")) break;
        }
        if (IsSpace(c)) {
          if (!event.empty() && event.back() != ' ') event += ' ';
        } else {
          event += c;
        }
        ++i;
      }
      while (!event.empty() && event.back() == ' ') event.pop_back();
      if (event.empty()) return Fail(lex_.LexAt(i), "expected an event name after '" + std::string(func) + "('");
      spec->event = std::move(event);
      pos_ = i;
    }
    Token t = Peek();
    if (t.kind == Token::Kind::kDot) {
      Consume(t);
      Token p = Peek();
      if (p.kind != Token::Kind::kIdent || IsKeyword(p.raw)) return Fail(p, "expected a property name after '.'");
      Consume(p);
      spec->property = std::string(p.raw);
      t = Peek();
    }
    if (IsWord(t, "where")) {
      Consume(t);
      while (true) {
        Condition c;
        if (!ParseCondition(&c)) return false;
        spec->where.push_back(std::move(c));
        t = Peek();
        if (!IsWord(t, "and")) break;
        Consume(t);
      }
    }
    if (t.kind != Token::Kind::kComma) {
      return Fail(t, spec->where.empty() ? "expected ',' and a window (e.g. 180d), '.' or 'where'"
                                         : "expected 'and' or ',' and a window (e.g. 180d)");
    }
    Consume(t);
    Token w = Peek();
    if (IsWord(w, "all")) {
      Consume(w);
      spec->window_days = 0;
    } else {
      Token d = lex_.LexAt(w.end);
      bool ok = w.kind == Token::Kind::kNumber && w.raw.find_first_not_of("0123456789") == std::string_view::npos &&
                d.pos == w.end && d.kind == Token::Kind::kIdent && EqualsIgnoreCase(d.raw, "d");
      if (!ok) return Fail(w, "expected a window like 180d or 'all'");
      if (w.number < 1 || w.number > kMaxWindowDays) {
        return Fail(w, "expected a window between 1d and " + std::to_string(kMaxWindowDays) + "d");
      }
      spec->window_days = static_cast<int>(w.number);
      Consume(d);
    }
    return Expect(Token::Kind::kRParen, "expected ')' after the window");
  }

  bool ParseCondition(Condition* c) {
    Token p = Peek();
    if (p.kind != Token::Kind::kIdent || IsKeyword(p.raw)) return Fail(p, "expected a property name in the condition");
    Consume(p);
    c->property = std::string(p.raw);
    Token t = Peek();
    std::vector<Literal> values;
    if (t.kind == Token::Kind::kCmp) {
      Consume(t);
      static constexpr Condition::Op kOps[] = {Condition::Op::kEq, Condition::Op::kNe, Condition::Op::kLt,
                                               Condition::Op::kLe, Condition::Op::kGt, Condition::Op::kGe};
      c->op = kOps[static_cast<int>(t.op)];
      Literal l;
      if (!ParseLiteral(&l, "expected a value after '" + std::string(CmpOpText(t.op)) + "'")) return false;
      values.push_back(std::move(l));
    } else {
      bool negated = false;
      if (IsWord(t, "not")) {
        negated = true;
        Consume(t);
        t = Peek();
        if (!IsWord(t, "in")) return Fail(t, "expected 'in' after 'not'");
      }
      if (!IsWord(t, "in")) return Fail(t, "expected a comparison (= != < <= > >=) or 'in' after the property");
      Consume(t);
      c->op = negated ? Condition::Op::kNotIn : Condition::Op::kIn;
      size_t list_pos = lex_.SkipSpace(pos_);
      if (!ParseList(&values, negated ? "not in" : "in")) return false;
      bool strings = values[0].is_string();
      for (const Literal& l : values) {
        if (l.is_string() != strings) {
          return Fail(lex_.LexAt(list_pos), "expected all values of the list to be strings or all numbers");
        }
      }
    }
    c->numeric = !values[0].is_string();
    for (const Literal& l : values) c->values.push_back(l.is_string() ? l.text : FormatNumber(l.number));
    return true;
  }

  std::string_view text_;
  Lexer lex_;
  size_t pos_ = 0;
  Status error_;
};

// ---------------------------------------------------------------------------
// Canonical text.

bool SafeEventName(const std::string& e) {
  if (e.empty() || e.front() == ' ' || e.back() == ' ') return false;
  for (size_t i = 0; i < e.size(); ++i) {
    char c = e[i];
    if (c == '.' || c == ',' || c == '(' || c == ')' || c == '"' || c == '\\' || IsSpace(c)) {
      if (c != ' ') return false;
      if (i > 0 && e[i - 1] == ' ') return false;
    }
    if (IsIdentStart(c) && (i == 0 || !IsIdentChar(e[i - 1]))) {
      size_t j = i;
      while (j < e.size() && (IsIdentStart(e[j]) || IsDigit(e[j]))) ++j;
      if (EqualsIgnoreCase(std::string_view(e).substr(i, j - i), "where")) return false;
    }
  }
  return true;
}

void PrintOperand(const Operand& o, std::string* out) {
  switch (o.kind) {
    case Operand::Kind::kTrait:
      *out += o.name;
      return;
    case Operand::Kind::kConsent:
      *out += "consent(" + Quote(o.name) + ")";
      return;
    case Operand::Kind::kPercentile:
      *out += "percentile(" + o.name + ")";
      return;
    case Operand::Kind::kAggregate:
      *out += CanonicalAggregate(o.aggregate);
      return;
  }
}

void PrintList(const std::vector<Literal>& values, std::string* out) {
  *out += "(";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) *out += ", ";
    *out += FormatLiteral(values[i]);
  }
  *out += ")";
}

// Precedence: or = 1, and = 2, not = 3, predicate = 4.
void Print(const Expr& e, int parent_prec, std::string* out) {
  switch (e.kind) {
    case Expr::Kind::kOr:
    case Expr::Kind::kAnd: {
      int prec = e.kind == Expr::Kind::kOr ? 1 : 2;
      bool parens = parent_prec > prec;
      if (parens) *out += "(";
      for (size_t i = 0; i < e.children.size(); ++i) {
        if (i > 0) *out += prec == 1 ? " or " : " and ";
        // A same-kind child (possible when built by hand) needs parentheses to
        // keep its grouping only if it is not associative-equal; and/or are, so
        // print it flat.
        Print(e.children[i], e.children[i].kind == e.kind ? prec : prec + 1, out);
      }
      if (parens) *out += ")";
      return;
    }
    case Expr::Kind::kNot:
      *out += "not ";
      Print(e.children[0], 3, out);
      return;
    default:
      break;
  }
  PrintOperand(e.operand, out);
  switch (e.kind) {
    case Expr::Kind::kCompare:
      *out += " ";
      *out += CmpOpText(e.op);
      *out += " " + FormatLiteral(e.values[0]);
      break;
    case Expr::Kind::kIn:
      *out += e.negated ? " not in " : " in ";
      PrintList(e.values, out);
      break;
    case Expr::Kind::kBetween:
      *out += " between " + FormatLiteral(e.values[0]) + " and " + FormatLiteral(e.values[1]);
      break;
    case Expr::Kind::kContains:
      *out += " contains " + FormatLiteral(e.values[0]);
      break;
    case Expr::Kind::kIsNull:
      *out += e.negated ? " is not null" : " is null";
      break;
    default:
      break;
  }
}

void Walk(const Expr& e, const std::function<void(const Expr&)>& f) {
  if (e.is_predicate()) {
    f(e);
    return;
  }
  for (const Expr& c : e.children) Walk(c, f);
}

}  // namespace

const char* CmpOpText(CmpOp op) {
  switch (op) {
    case CmpOp::kEq:
      return "=";
    case CmpOp::kNe:
      return "!=";
    case CmpOp::kLt:
      return "<";
    case CmpOp::kLe:
      return "<=";
    case CmpOp::kGt:
      return ">";
    case CmpOp::kGe:
      return ">=";
  }
  return "=";
}

std::string Operand::TraitName() const {
  if (kind == Kind::kConsent) return "consent_" + name;
  if (kind == Kind::kAggregate) return CanonicalAggregate(aggregate);
  return name;
}

Result<Expr> Parse(std::string_view text) { return Parser(text).Run(); }

std::string Canonical(const Expr& expr) {
  std::string out;
  Print(expr, 0, &out);
  return out;
}

std::string CanonicalAggregate(const AggregateSpec& spec) {
  std::string out = AggText(spec.func);
  out += "(";
  out += SafeEventName(spec.event) ? spec.event : Quote(spec.event);
  if (!spec.property.empty()) out += "." + spec.property;
  for (size_t i = 0; i < spec.where.size(); ++i) {
    const Condition& c = spec.where[i];
    out += i == 0 ? " where " : " and ";
    out += c.property;
    auto value = [&](const std::string& v) {
      if (!c.numeric) return Quote(v);
      double d = 0;
      std::from_chars(v.data(), v.data() + v.size(), d);
      return FormatNumber(d);
    };
    if (c.op == Condition::Op::kIn || c.op == Condition::Op::kNotIn) {
      out += c.op == Condition::Op::kIn ? " in (" : " not in (";
      for (size_t j = 0; j < c.values.size(); ++j) {
        if (j > 0) out += ", ";
        out += value(c.values[j]);
      }
      out += ")";
    } else {
      static constexpr const char* kText[] = {"=", "!=", "<", "<=", ">", ">="};
      out += " ";
      out += kText[static_cast<int>(c.op)];
      out += " " + (c.values.empty() ? std::string("\"\"") : value(c.values[0]));
    }
  }
  out += ", ";
  out += spec.window_days > 0 ? std::to_string(spec.window_days) + "d" : "all";
  out += ")";
  return out;
}

std::vector<std::string> ReferencedTraits(const Expr& expr) {
  std::set<std::string> names;
  Walk(expr, [&](const Expr& p) { names.insert(p.operand.TraitName()); });
  return {names.begin(), names.end()};
}

std::vector<AggregateSpec> Aggregates(const Expr& expr) {
  std::vector<AggregateSpec> out;
  std::set<std::string> seen;
  Walk(expr, [&](const Expr& p) {
    if (p.operand.kind != Operand::Kind::kAggregate) return;
    std::string name = CanonicalAggregate(p.operand.aggregate);
    if (!seen.insert(name).second) return;
    AggregateSpec spec = p.operand.aggregate;
    spec.name = name;
    out.push_back(std::move(spec));
  });
  return out;
}

bool UsesPercentile(const Expr& expr) {
  bool uses = false;
  Walk(expr, [&](const Expr& p) { uses = uses || p.operand.kind == Operand::Kind::kPercentile; });
  return uses;
}

}  // namespace holo::segment
