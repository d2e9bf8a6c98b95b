#include "segment/expr.h"

#include <gtest/gtest.h>

#include <random>

namespace holo::segment {
namespace {

std::string CanonicalOf(std::string_view text) {
  Result<Expr> e = Parse(text);
  EXPECT_TRUE(e.ok()) << text << ": " << e.status().ToString();
  return e.ok() ? Canonical(*e) : "";
}

std::string ErrorOf(std::string_view text) {
  Result<Expr> e = Parse(text);
  EXPECT_FALSE(e.ok()) << text << " parsed as " << (e.ok() ? Canonical(*e) : "");
  if (e.ok()) return "";
  EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument);
  return e.status().message();
}

TEST(ExprTest, ParsesTheBriefExample) {
  Result<Expr> e = Parse(
      R"(spend_90d > 5000 and city in ("Shanghai","Hangzhou") and count(Order Completed where category = "luxury", 180d) >= 2 and consent("marketing") and household_size >= 3)");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  ASSERT_EQ(e->kind, Expr::Kind::kAnd);
  ASSERT_EQ(e->children.size(), 5u);
  EXPECT_EQ(e->children[0].kind, Expr::Kind::kCompare);
  EXPECT_EQ(e->children[0].op, CmpOp::kGt);
  EXPECT_EQ(e->children[0].values[0].number, 5000);
  EXPECT_EQ(e->children[1].kind, Expr::Kind::kIn);
  ASSERT_EQ(e->children[1].values.size(), 2u);
  EXPECT_EQ(e->children[1].values[1].text, "Hangzhou");
  const Expr& agg = e->children[2];
  EXPECT_EQ(agg.operand.kind, Operand::Kind::kAggregate);
  EXPECT_EQ(agg.operand.aggregate.func, profile::AggFunc::kCount);
  EXPECT_EQ(agg.operand.aggregate.event, "Order Completed");
  EXPECT_EQ(agg.operand.aggregate.window_days, 180);
  ASSERT_EQ(agg.operand.aggregate.where.size(), 1u);
  EXPECT_EQ(agg.operand.aggregate.where[0].property, "category");
  EXPECT_EQ(agg.operand.aggregate.where[0].values, std::vector<std::string>{"luxury"});
  EXPECT_FALSE(agg.operand.aggregate.where[0].numeric);
  EXPECT_EQ(agg.operand.TraitName(), R"(count(Order Completed where category = "luxury", 180d))");
  EXPECT_EQ(e->children[3].kind, Expr::Kind::kTruthy);
  EXPECT_EQ(e->children[3].operand.TraitName(), "consent_marketing");
  EXPECT_EQ(Canonical(*e),
            R"(spend_90d > 5000 and city in ("Shanghai", "Hangzhou") and count(Order Completed where category = "luxury", 180d) >= 2 and consent("marketing") and household_size >= 3)");
  EXPECT_EQ(ReferencedTraits(*e),
            (std::vector<std::string>{"city", "consent_marketing",
                                      R"(count(Order Completed where category = "luxury", 180d))",
                                      "household_size", "spend_90d"}));
}

TEST(ExprTest, PrecedenceAndMinimalParentheses) {
  EXPECT_EQ(CanonicalOf("a = 1 or b = 2 and c = 3"), "a = 1 or b = 2 and c = 3");
  EXPECT_EQ(CanonicalOf("(a = 1 or b = 2) and c = 3"), "(a = 1 or b = 2) and c = 3");
  EXPECT_EQ(CanonicalOf("((a = 1)) and ((b = 2 and c = 3))"), "a = 1 and b = 2 and c = 3");
  EXPECT_EQ(CanonicalOf("not a = 1 and b"), "not a = 1 and b");
  EXPECT_EQ(CanonicalOf("not (a = 1 and b)"), "not (a = 1 and b)");
  EXPECT_EQ(CanonicalOf("NOT NOT x"), "not not x");
  Result<Expr> e = Parse("a or b and not c");
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->kind, Expr::Kind::kOr);
  EXPECT_EQ(e->children[1].kind, Expr::Kind::kAnd);
  EXPECT_EQ(e->children[1].children[1].kind, Expr::Kind::kNot);
}

TEST(ExprTest, AllPredicateForms) {
  EXPECT_EQ(CanonicalOf("x=1"), "x = 1");
  EXPECT_EQ(CanonicalOf("x!=-2.50"), "x != -2.5");
  EXPECT_EQ(CanonicalOf("x<1 AND x<=2 And x>3 and x>=4"), "x < 1 and x <= 2 and x > 3 and x >= 4");
  EXPECT_EQ(CanonicalOf("flag = TRUE or flag = false"), "flag = true or flag = false");
  EXPECT_FALSE(Parse("city NOT IN ('a')").ok());  // only double-quoted strings
  EXPECT_EQ(CanonicalOf(R"(city not in ("a",  "b"))"), R"(city not in ("a", "b"))");
  EXPECT_EQ(CanonicalOf("age BETWEEN 25 AND 39"), "age between 25 and 39");
  EXPECT_EQ(CanonicalOf(R"(top_brands contains "Gucci")"), R"(top_brands contains "Gucci")");
  EXPECT_EQ(CanonicalOf("x is null or y IS NOT NULL"), "x is null or y is not null");
  EXPECT_EQ(CanonicalOf("percentile(spend_90d) >= 99"), "percentile(spend_90d) >= 99");
  EXPECT_EQ(CanonicalOf(R"(Consent("sms"))"), R"(consent("sms"))");
  EXPECT_EQ(CanonicalOf(R"(name = "say \"hi\" \\ there")"), R"(name = "say \"hi\" \\ there")");
  EXPECT_EQ(CanonicalOf("a.b_c.d9 > 0.5"), "a.b_c.d9 > 0.5");
  // Trait names are case-sensitive; a name like an aggregate function is a trait without '('.
  EXPECT_EQ(CanonicalOf("Count > 1 and count"), "Count > 1 and count");
}

TEST(ExprTest, AggregateTerms) {
  Result<Expr> e = Parse(
      R"(SUM(Order   Completed.amount where category in ("luxury", "watches") and price >= 100, 90d) > 1 and distinct("Product Viewed".product_id, ALL) >= 3 and most_frequent(Somewhere Else, 7d) = "x")");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  std::vector<profile::AggregateSpec> aggs = Aggregates(*e);
  ASSERT_EQ(aggs.size(), 3u);
  EXPECT_EQ(aggs[0].func, profile::AggFunc::kSum);
  EXPECT_EQ(aggs[0].event, "Order Completed");
  EXPECT_EQ(aggs[0].property, "amount");
  ASSERT_EQ(aggs[0].where.size(), 2u);
  EXPECT_EQ(aggs[0].where[0].op, profile::Condition::Op::kIn);
  EXPECT_EQ(aggs[0].where[1].op, profile::Condition::Op::kGe);
  EXPECT_TRUE(aggs[0].where[1].numeric);
  EXPECT_EQ(aggs[0].where[1].values, std::vector<std::string>{"100"});
  EXPECT_EQ(aggs[0].window_days, 90);
  EXPECT_EQ(aggs[0].name,
            R"(sum(Order Completed.amount where category in ("luxury", "watches") and price >= 100, 90d))");
  EXPECT_EQ(aggs[1].func, profile::AggFunc::kDistinct);
  EXPECT_EQ(aggs[1].event, "Product Viewed");
  EXPECT_EQ(aggs[1].property, "product_id");
  EXPECT_EQ(aggs[1].window_days, 0);
  EXPECT_EQ(aggs[1].name, "distinct(Product Viewed.product_id, all)");
  EXPECT_EQ(aggs[2].event, "Somewhere Else");  // 'where' only as a whole word
  // An event name that cannot be written bare is quoted in canonical text.
  EXPECT_EQ(CanonicalOf(R"(count("a.b, c", 1d) > 0)"), R"(count("a.b, c", 1d) > 0)");
  EXPECT_EQ(CanonicalOf(R"(count("Where To", 1d) > 0)"), R"(count("Where To", 1d) > 0)");
  // Same term written twice is one aggregate.
  Result<Expr> twice = Parse("count(A, 1d) > 1 or COUNT(A,1D) < 5");
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(Aggregates(*twice).size(), 1u);
}

TEST(ExprTest, ErrorsNameColumnExpectedAndFound) {
  EXPECT_EQ(ErrorOf("spend_90d > )"), "at column 13: expected a value after '>', found ')'");
  EXPECT_EQ(ErrorOf(""), "at column 1: expected a trait name, 'not' or '(', found end of input");
  EXPECT_EQ(ErrorOf("a = 1 and"), "at column 10: expected a trait name, 'not' or '(', found end of input");
  EXPECT_EQ(ErrorOf("a = 1 b = 2"), "at column 7: expected 'and', 'or' or end of input, found 'b'");
  EXPECT_EQ(ErrorOf("(a = 1"), "at column 7: expected ')', found end of input");
  EXPECT_EQ(ErrorOf("a in 1"), "at column 6: expected '(' after 'in', found 1");
  EXPECT_EQ(ErrorOf("a in ()"), "at column 7: expected a value in the list, found ')'");
  EXPECT_EQ(ErrorOf("a in (1,)"), "at column 9: expected a value after ',', found ')'");
  EXPECT_EQ(ErrorOf("a in (1 2)"), "at column 9: expected ',' or ')' in the list, found 2");
  EXPECT_EQ(ErrorOf("a not 5"), "at column 7: expected 'in' after 'not', found 5");
  EXPECT_EQ(ErrorOf("a between \"x\" and 2"), "at column 11: expected a number after 'between', found \"x\"");
  EXPECT_EQ(ErrorOf("a between 1 or 2"), "at column 13: expected 'and' after 'between 1', found 'or'");
  EXPECT_EQ(ErrorOf("a between 1 and x"), "at column 17: expected a number after 'and', found 'x'");
  EXPECT_EQ(ErrorOf("a contains 5"), "at column 12: expected a string after 'contains', found 5");
  EXPECT_EQ(ErrorOf("a is 5"), "at column 6: expected 'null' after 'is', found 5");
  EXPECT_EQ(ErrorOf("a is not"), "at column 9: expected 'null' after 'is not', found end of input");
  EXPECT_EQ(ErrorOf("a = \"abc"), "at column 5: expected a closing '\"' for the string, found end of input");
  EXPECT_EQ(ErrorOf("a = \"a\\qb\""), "at column 7: expected an escape \\\" or \\\\, found \\q");
  EXPECT_EQ(ErrorOf("a = 1 @"), "at column 7: expected a trait name, value or operator, found '@'");
  EXPECT_EQ(ErrorOf("a ! 1"), "at column 3: expected '!=', found '!'");
  EXPECT_EQ(ErrorOf("and = 1"), "at column 1: expected a trait name, 'not' or '(', found 'and'");
  EXPECT_EQ(ErrorOf("consent(marketing)"), "at column 9: expected a purpose string after 'consent(', found 'marketing'");
  EXPECT_EQ(ErrorOf("consent(\"m\""), "at column 12: expected ')' after the consent purpose, found end of input");
  EXPECT_EQ(ErrorOf("percentile(5) > 1"), "at column 12: expected a trait name after 'percentile(', found 5");
  EXPECT_EQ(ErrorOf("count(, 1d) > 1"), "at column 7: expected an event name after 'count(', found ','");
  EXPECT_EQ(ErrorOf("count(A) > 1"), "at column 8: expected ',' and a window (e.g. 180d), '.' or 'where', found ')'");
  EXPECT_EQ(ErrorOf("count(A, 18) > 1"), "at column 10: expected a window like 180d or 'all', found 18");
  EXPECT_EQ(ErrorOf("count(A, 0d) > 1"), "at column 10: expected a window between 1d and 100000d, found 0");
  EXPECT_EQ(ErrorOf("count(A, 1d > 1"), "at column 13: expected ')' after the window, found '>'");
  EXPECT_EQ(ErrorOf("count(A. , 1d) > 1"), "at column 10: expected a property name after '.', found ','");
  EXPECT_EQ(ErrorOf("count(A where , 1d) > 1"), "at column 15: expected a property name in the condition, found ','");
  EXPECT_EQ(ErrorOf("count(A where p 3, 1d) > 1"),
            "at column 17: expected a comparison (= != < <= > >=) or 'in' after the property, found 3");
  EXPECT_EQ(ErrorOf("count(A where p = 1 x, 1d) > 1"),
            "at column 21: expected 'and' or ',' and a window (e.g. 180d), found 'x'");
  EXPECT_EQ(ErrorOf("count(A where p in (1, \"a\"), 1d) > 1"),
            "at column 20: expected all values of the list to be strings or all numbers, found '('");
  EXPECT_EQ(ErrorOf("x > 1e999"), "at column 5: expected a finite number, found 1e999");
}

// Random expressions: Canonical(Parse(Canonical(x))) == Canonical(x).
class RandomExpr {
 public:
  explicit RandomExpr(uint32_t seed) : rng_(seed) {}

  std::string Gen(int depth) {
    int r = Pick(depth > 3 ? 6 : 9);
    switch (r) {
      case 6:
        return Gen(depth + 1) + (Pick(2) ? " AND " : " and ") + Gen(depth + 1);
      case 7:
        return Gen(depth + 1) + " or " + Gen(depth + 1);
      case 8:
        return (Pick(2) ? "not (" : "(") + Gen(depth + 1) + (Pick(2) ? " and " : " or ") + Gen(depth + 1) + ")";
      default:
        return Pred();
    }
  }

 private:
  int Pick(int n) { return static_cast<int>(rng_() % static_cast<uint32_t>(n)); }
  std::string Operand() {
    switch (Pick(6)) {
      case 0:
        return "consent(\"m\\\"x\")";
      case 1:
        return "percentile(spend)";
      case 2:
        return "count(Order Completed where amount >= 10.5 and cat not in (\"a\", \"b\"), 30d)";
      default:
        return std::string(1, static_cast<char>('a' + Pick(4))) + "_x";
    }
  }
  std::string Lit() {
    switch (Pick(4)) {
      case 0:
        return "\"s" + std::to_string(Pick(9)) + "\"";
      case 1:
        return "-" + std::to_string(Pick(100)) + ".25";
      case 2:
        return Pick(2) ? "TRUE" : "false";
      default:
        return std::to_string(Pick(1000));
    }
  }
  std::string Pred() {
    static const char* kOps[] = {"=", "!=", "<", "<=", ">", ">="};
    switch (Pick(7)) {
      case 0:
        return Operand() + " " + kOps[Pick(6)] + " " + Lit();
      case 1:
        return Operand() + (Pick(2) ? " not in (" : " in (") + Lit() + ", " + Lit() + ")";
      case 2:
        return Operand() + " between " + std::to_string(Pick(10)) + " and " + std::to_string(Pick(100));
      case 3:
        return Operand() + " contains \"c\"";
      case 4:
        return Operand() + (Pick(2) ? " is null" : " is not null");
      case 5:
        return "(" + Pred() + ")";
      default:
        return Operand();
    }
  }
  std::mt19937 rng_;
};

TEST(ExprTest, CanonicalRoundTrip) {
  RandomExpr gen(12345);
  for (int i = 0; i < 2000; ++i) {
    std::string text = gen.Gen(0);
    Result<Expr> a = Parse(text);
    ASSERT_TRUE(a.ok()) << text << ": " << a.status().ToString();
    std::string c1 = Canonical(*a);
    Result<Expr> b = Parse(c1);
    ASSERT_TRUE(b.ok()) << c1 << ": " << b.status().ToString();
    EXPECT_EQ(Canonical(*b), c1) << "from " << text;
  }
}

}  // namespace
}  // namespace holo::segment
