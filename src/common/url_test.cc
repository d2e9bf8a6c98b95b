#include "common/url.h"

#include <gtest/gtest.h>

namespace holo::url {
namespace {

TEST(UrlTest, DecodesEscapesAndLeavesMalformedOnesAsSent) {
  EXPECT_EQ(Decode("a%20b+c", /*plus_is_space=*/true), "a b c");
  EXPECT_EQ(Decode("a%20b+c", /*plus_is_space=*/false), "a b+c");
  EXPECT_EQ(Decode("100%", true), "100%");
  EXPECT_EQ(Decode("%zz%4", true), "%zz%4");
  EXPECT_EQ(Decode("x%2Fy%25z", false, /*keep_separators=*/true), "x%2Fy%25z");
  EXPECT_EQ(Decode("x%2Fy", false), "x/y");
}

TEST(UrlTest, QueryParameterReadsTheQueryOfAUrlOrABareQuery) {
  const std::string_view u = "https://shop.example/p?id=1&utm_source=news%20letter&utm_campaign=xmas+sale#utm_source=frag";
  EXPECT_EQ(QueryParameter(u, "utm_source"), "news letter");
  EXPECT_EQ(QueryParameter(u, "utm_campaign"), "xmas sale");
  EXPECT_EQ(QueryParameter(u, "utm_medium"), std::nullopt);
  EXPECT_EQ(QueryParameter("?utm_source=a&utm_source=b", "utm_source"), "a");  // the first
  EXPECT_EQ(QueryParameter("utm_source=bare", "utm_source"), "bare");
  EXPECT_EQ(QueryParameter("https://shop.example/utm_source=path", "utm_source"), std::nullopt);
  EXPECT_EQ(QueryParameter("https://x/#?utm_source=frag", "utm_source"), std::nullopt);
  EXPECT_EQ(QueryParameter("?flag&utm_source=", "flag"), "");
}

}  // namespace
}  // namespace holo::url
