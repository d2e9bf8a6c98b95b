#include "common/hex.h"

#include <gtest/gtest.h>

#include <array>

namespace holo::hex {
namespace {

TEST(HexTest, EncodesLowerCaseAndDecodesEitherCase) {
  const std::array<uint8_t, 4> bytes = {0x00, 0x9f, 0xa0, 0xff};
  EXPECT_EQ(Encode(bytes.data(), bytes.size()), "009fa0ff");
  std::array<uint8_t, 4> back{};
  ASSERT_TRUE(Decode("009FA0ff", back.data(), back.size()));
  EXPECT_EQ(back, bytes);
  EXPECT_FALSE(Decode("009fa0f", back.data(), back.size())) << "odd length";
  EXPECT_FALSE(Decode("009fa0fg", back.data(), back.size())) << "not a digit";
  EXPECT_TRUE(IsLowerDigit('a'));
  EXPECT_FALSE(IsLowerDigit('A'));
}

}  // namespace
}  // namespace holo::hex
