#include "privacy/normalize.h"

#include <gtest/gtest.h>

#include <string>

namespace holo::privacy {
namespace {

struct Case {
  const char* raw;
  const char* want;  // nullptr: must be rejected
};

TEST(NormalizePhoneTest, Table) {
  const Case cases[] = {
      {"13812345678", "+8613812345678"},
      {"138 1234 5678", "+8613812345678"},
      {"138-1234-5678", "+8613812345678"},
      {"138.1234.5678", "+8613812345678"},
      {"(138) 1234-5678", "+8613812345678"},
      {"+86 138 1234 5678", "+8613812345678"},
      {"+86-138-1234-5678", "+8613812345678"},
      {"008613812345678", "+8613812345678"},
      {"0086 138 1234 5678", "+8613812345678"},
      {"8613812345678", "+8613812345678"},
      {"86 138 1234 5678", "+8613812345678"},
      {"  13812345678  ", "+8613812345678"},
      {"010-6552-9988", "+861065529988"},
      {"+1 (415) 555-0100", "+14155550100"},
      {"001 415 555 0100", "+14155550100"},
      {"+44 (0)20 7946 0958", "+442079460958"},
      {"+852 9123 4567", "+85291234567"},
      {"", nullptr},
      {"   ", nullptr},
      {"+", nullptr},
      {"abc", nullptr},
      {"138a12345678", nullptr},
      {"+86 138 1234 5678 ext 9", nullptr},
      {"1234", nullptr},               // +861234: too short
      {"+1234567", nullptr},           // 7 digits
      {"+1234567890123456", nullptr},  // 16 digits
      {"86+13812345678", nullptr},     // '+' not first
      {"++8613812345678", nullptr},
      {"138#1234#5678", nullptr},
      {"+0123456789", nullptr},             // country code 0
      {"１３８１２３４５６７８", nullptr},  // full-width digits
      {"6505550101", nullptr},              // a US number read in CN: not valid, not re-read
      {"(650) 555-0101", nullptr},
      {"12345678901", nullptr},             // possible (11 digits) but in no CN range
      {"+86 138 1234 567", nullptr},        // a digit short: not a valid CN number
      {"+1 415 555 010", nullptr},
      {"+999 1234 5678", nullptr},          // no such country code
  };
  for (const Case& c : cases) {
    Result<std::string> r = NormalizePhone(c.raw);
    if (c.want == nullptr) {
      EXPECT_FALSE(r.ok()) << "'" << c.raw << "' -> " << (r.ok() ? *r : "");
      if (!r.ok()) {
        EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
        // The raw value is PII and must not be echoed.
        if (std::string(c.raw).size() > 3) {
          EXPECT_EQ(r.status().message().find(c.raw), std::string::npos);
        }
      }
    } else {
      ASSERT_TRUE(r.ok()) << "'" << c.raw << "': " << r.status().ToString();
      EXPECT_EQ(*r, c.want) << c.raw;
    }
  }
}

TEST(NormalizePhoneTest, Messages) {
  EXPECT_EQ(NormalizePhone("13a").status().message(), "contains letters");
  EXPECT_EQ(NormalizePhone("+1234567").status().message(),
            "too short for E.164 (fewer than 8 digits)");
  EXPECT_EQ(NormalizePhone("+1234567890123456").status().message(),
            "too long for E.164 (more than 15 digits)");
}

TEST(NormalizePhoneTest, OtherDefaultRegion) {
  EXPECT_EQ(*NormalizePhone("(415) 555-0101", "US"), "+14155550101");
  EXPECT_EQ(*NormalizePhone("415.555.0101", "us"), "+14155550101");
  EXPECT_EQ(*NormalizePhone("1 415 555 0101", "US"), "+14155550101");  // with the NANP trunk 1
  EXPECT_EQ(*NormalizePhone("+1 415 555 0101", "US"), "+14155550101");
  EXPECT_EQ(*NormalizePhone("+1 415 555 0101", "CN"), "+14155550101");  // the region is not used
  EXPECT_EQ(*NormalizePhone("020 7946 0018", "GB"), "+442079460018");
  EXPECT_EQ(*NormalizePhone("020 7946 0958", "GB"), "+442079460958");
  EXPECT_EQ(*NormalizePhone("+44 (0)20 7946 0018", "US"), "+442079460018");
  EXPECT_EQ(*NormalizePhone("13812345678", "CN"), "+8613812345678");
  EXPECT_EQ(*NormalizePhone("011 44 20 7946 0018", "US"), "+442079460018");  // the US's call prefix
  // Holo <= 0.1 made "+18613812345678" of this (the country code prefixed blindly); it is not a
  // US number, and is not re-read as the Chinese mobile it looks like either.
  EXPECT_FALSE(NormalizePhone("8613812345678", "US").ok());
  EXPECT_EQ(NormalizePhone("(650) 555-0101", "CN").status().message(), "not a valid number in region CN");
  // Issue #17's number is also a valid Chinese one (0415 is Dandong's area code): validity
  // cannot tell, only the source's region can.
  EXPECT_EQ(*NormalizePhone("(415) 555-0101", "CN"), "+864155550101");
  EXPECT_FALSE(NormalizePhone("13812345678", "US").ok());
  EXPECT_FALSE(NormalizePhone("020 7946 0018", "US").ok());
  EXPECT_FALSE(NormalizePhone("(415) 555-0101", "GB").ok());
  // Regions: two letters libphonenumber knows; country codes are not regions.
  EXPECT_FALSE(NormalizePhone("13812345678", "").ok());
  EXPECT_FALSE(NormalizePhone("13812345678", "86").ok());
  EXPECT_FALSE(NormalizePhone("13812345678", "CHN").ok());
  EXPECT_FALSE(NormalizePhone("13812345678", "XX").ok());
  EXPECT_EQ(*CanonicalPhoneRegion("gb"), "GB");
  EXPECT_EQ(CanonicalPhoneRegion("ZZ").status().code(), StatusCode::kInvalidArgument);
}

// The normalized value is hashed into the pseudonym, which is on disk: numbers in international
// form, and Chinese numbers read in the default region, must keep the text Holo <= 0.1 gave them.
TEST(NormalizePhoneTest, KnownAnswersOfEarlierStoresAreKept) {
  const std::pair<const char*, const char*> kept[] = {
      {"+8613812345678", "+8613812345678"},   {"+86 171 0009 5555", "+8617100095555"},
      {"+44 20 7946 0958", "+442079460958"},  {"+1 (415) 555-0100", "+14155550100"},
      {"0086 139 0000 1234", "+8613900001234"}, {"13800138000", "+8613800138000"},
      {"010 6552 9988", "+861065529988"},     {"86 199 1234 5678", "+8619912345678"},
  };
  for (const auto& [raw, want] : kept) {
    Result<std::string> r = NormalizePhone(raw);
    ASSERT_TRUE(r.ok()) << raw << ": " << r.status().ToString();
    EXPECT_EQ(*r, want) << raw;
  }
}

TEST(NormalizePhoneTest, InvalidNumbersAreFlaggedNotGuessed) {
  // Invalid in the source's region: an error naming the region, never another country's number.
  for (const char* raw : {"6505550101", "(650) 555-0101", "12345678901", "1381234567", "5550101"}) {
    Result<std::string> r = NormalizePhone(raw, "CN");
    EXPECT_FALSE(r.ok()) << raw << " -> " << (r.ok() ? *r : "");
  }
  Result<std::string> r = NormalizePhone("555-0101", "US");  // no area code
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message().find("555"), std::string::npos) << "the raw value is PII";
}

TEST(NormalizeEmailTest, Table) {
  const Case cases[] = {
      {"alice@example.com", "alice@example.com"},
      {"  Alice@Example.COM \t", "alice@example.com"},
      {"A.B+tag@Mail.Example.cn", "a.b+tag@mail.example.cn"},
      {"张三@例子.中国", "张三@例子.中国"},
      {"", nullptr},
      {"   ", nullptr},
      {"alice", nullptr},
      {"alice@", nullptr},
      {"@example.com", nullptr},
      {"alice@example", nullptr},
      {"a@b@example.com", nullptr},
      {"alice@.example.com", nullptr},
      {"alice@example.com.", nullptr},
      {"alice@example..com", nullptr},
      {"ali ce@example.com", nullptr},
  };
  for (const Case& c : cases) {
    Result<std::string> r = NormalizeEmail(c.raw);
    if (c.want == nullptr) {
      EXPECT_FALSE(r.ok()) << "'" << c.raw << "' -> " << (r.ok() ? *r : "");
    } else {
      ASSERT_TRUE(r.ok()) << "'" << c.raw << "': " << r.status().ToString();
      EXPECT_EQ(*r, c.want) << c.raw;
    }
  }
  EXPECT_EQ(NormalizeEmail("alice").status().message(), "missing '@'");
  EXPECT_EQ(NormalizeEmail("@x.com").status().message(), "empty local part");
  EXPECT_EQ(NormalizeEmail("a@b@x.com").status().message(), "more than one '@'");
}

TEST(NormalizeMacTest, Table) {
  struct MacCase {
    const char* raw;
    const char* want;
    bool randomized;
  };
  const MacCase cases[] = {
      {"00:1a:2b:3c:4d:5e", "00:1a:2b:3c:4d:5e", false},
      {"00:1A:2B:3C:4D:5E", "00:1a:2b:3c:4d:5e", false},
      {"00-1A-2B-3C-4D-5E", "00:1a:2b:3c:4d:5e", false},
      {"001a.2b3c.4d5e", "00:1a:2b:3c:4d:5e", false},
      {"001A2B3C4D5E", "00:1a:2b:3c:4d:5e", false},
      {" 00:1a:2b:3c:4d:5e ", "00:1a:2b:3c:4d:5e", false},
      // Locally administered: second hex digit 2, 6, A or E.
      {"02:00:00:00:00:01", "02:00:00:00:00:01", true},
      {"da:a1:19:00:11:22", "da:a1:19:00:11:22", true},
      {"A6-00-00-00-00-01", "a6:00:00:00:00:01", true},
      {"fe:00:00:00:00:01", "fe:00:00:00:00:01", true},
      {"f0:00:00:00:00:01", "f0:00:00:00:00:01", false},
      {"01:00:5e:00:00:01", "01:00:5e:00:00:01", false},
  };
  for (const MacCase& c : cases) {
    bool randomized = !c.randomized;
    Result<std::string> r = NormalizeMac(c.raw, &randomized);
    ASSERT_TRUE(r.ok()) << "'" << c.raw << "': " << r.status().ToString();
    EXPECT_EQ(*r, c.want) << c.raw;
    EXPECT_EQ(randomized, c.randomized) << c.raw;
  }
  const char* bad[] = {"",
                       "00:1a:2b:3c:4d",
                       "00:1a:2b:3c:4d:5e:6f",
                       "00:1a-2b:3c:4d:5e",
                       "00:1a:2b:3c:4d:5g",
                       "001a2b3c4d5",
                       "001a2b3c4d5e7",
                       "001a.2b3c-4d5e",
                       "0:1a:2b:3c:4d:5e:",
                       "zz:zz:zz:zz:zz:zz"};
  for (const char* b : bad) {
    EXPECT_FALSE(NormalizeMac(b, nullptr).ok()) << "'" << b << "'";
  }
  EXPECT_TRUE(NormalizeMac("001a2b3c4d5e", nullptr).ok());  // null out-param is allowed
}

TEST(IsPlaceholderIdTest, Table) {
  for (const char* p :
       {"", "  ", "0", "00000000-0000-0000-0000-000000000000", "00:00:00:00:00:00", "unknown",
        "UNKNOWN", "null", "NULL", "undefined", "none", "nil", "(null)", "N/A", " null ", "anonymous",
        "Guest", "test", "11111111", "ffffffff-ffff-ffff", "999999"}) {
    EXPECT_TRUE(IsPlaceholderId(p)) << "'" << p << "'";
  }
  for (const char* p : {"1", "10", "u-1", "6f1c2a9e-0000-0000-0000-000000000000", "nullable",
                        "anonymous1", "-", "a@b.co", "+8613812345678", "11111", "1111112"}) {
    EXPECT_FALSE(IsPlaceholderId(p)) << "'" << p << "'";
  }
}

TEST(NormalizeIdentifierValueTest, RandomizedMacAsAnotherFieldIsAPlaceholder) {
  bool placeholder = false;
  // A wifi sensor's anonymousId is the probed MAC: randomized (0x2A has bit 0x02) -> no one.
  EXPECT_EQ(*NormalizeIdentifierValue("anonymous_id@store_wifi", "2A-11-22-33-44-55", &placeholder),
            "2A-11-22-33-44-55");
  EXPECT_TRUE(placeholder);
  EXPECT_EQ(*NormalizeIdentifierValue("anonymous_id@store_wifi", "28:11:22:33:44:55", &placeholder),
            "28:11:22:33:44:55");
  EXPECT_FALSE(placeholder);
  // A 12-hex-digit account id is not taken for a MAC.
  EXPECT_EQ(*NormalizeIdentifierValue("user_id@taobao", "2a1122334455", &placeholder), "2a1122334455");
  EXPECT_FALSE(placeholder);
}

TEST(NormalizeIdentifierValueTest, FormFillerPhonesAndWordsArePlaceholders) {
  bool placeholder = false;
  // Not valid numbers, but kept (as before libphonenumber) as placeholders that link no one.
  EXPECT_EQ(*NormalizeIdentifierValue("phone", "111 1111 1111", &placeholder), "+8611111111111");
  EXPECT_TRUE(placeholder);
  EXPECT_FALSE(NormalizePhone("111 1111 1111").ok());
  placeholder = false;
  EXPECT_EQ(*NormalizeIdentifierValue("phone", "+86 111 1111 1111", &placeholder), "+8611111111111");
  EXPECT_TRUE(placeholder);
  placeholder = false;
  EXPECT_EQ(*NormalizeIdentifierValue("phone", "(111) 111-1111", &placeholder, "US"), "+11111111111");
  EXPECT_TRUE(placeholder);
  EXPECT_EQ(*NormalizeIdentifierValue("phone", "138 0000 0000", &placeholder), "+8613800000000");
  EXPECT_FALSE(placeholder) << "a real number with trailing zeros";
  EXPECT_EQ(*NormalizeIdentifierValue("user_id@web", "anonymous", &placeholder), "anonymous");
  EXPECT_TRUE(placeholder);
}

TEST(NormalizeIdentifierValueTest, DispatchesByType) {
  bool placeholder = true;
  EXPECT_EQ(*NormalizeIdentifierValue("email", " A@B.co ", &placeholder), "a@b.co");
  EXPECT_FALSE(placeholder);
  EXPECT_EQ(*NormalizeIdentifierValue("phone", "138 1234 5678", &placeholder), "+8613812345678");
  EXPECT_EQ(*NormalizeIdentifierValue("mac", "DA-A1-19-00-11-22", &placeholder),
            "da:a1:19:00:11:22");
  EXPECT_TRUE(placeholder);
  EXPECT_EQ(*NormalizeIdentifierValue("user_id@taobao", " Tb-1 ", &placeholder), " Tb-1 ");
  EXPECT_FALSE(placeholder);
  EXPECT_EQ(
      *NormalizeIdentifierValue("ad_id", "00000000-0000-0000-0000-000000000000", &placeholder),
      "00000000-0000-0000-0000-000000000000");
  EXPECT_TRUE(placeholder);
  EXPECT_FALSE(NormalizeIdentifierValue("phone", "call me", &placeholder).ok());
  EXPECT_EQ(*NormalizeIdentifierValue("phone", "(415) 555-0101", &placeholder, "US"), "+14155550101");
  EXPECT_FALSE(placeholder);
  EXPECT_FALSE(NormalizeIdentifierValue("phone", "(650) 555-0101", &placeholder).ok());
}

}  // namespace
}  // namespace holo::privacy

namespace holo::privacy {
namespace {

TEST(AddressKeyTest, OneFlatInEveryFormGivesOneKey) {
  const std::string key = AddressKeyText("Building 3, Unit 2, Room 1203, No. 88 Jianguo Road, Chaoyang District", "100020");
  EXPECT_EQ(key, "100020|2|3|88|1203");
  EXPECT_EQ(AddressKeyText("Bldg 3, Unit 2, Rm 1203, 88 Jianguo Rd, Chaoyang District", "100020"), key);
  EXPECT_EQ(AddressKeyText("朝阳区建国路88号3栋2单元1203室", "100020"), key);
  EXPECT_EQ(AddressKeyText("building 3 unit 2 room 1203 no. 88 jianguo road chaoyang district", " 100020 "), key);
}

TEST(AddressKeyTest, AddressesThatCannotNameOneFlatGiveNoKey) {
  // No room: the whole building would share the key.
  EXPECT_EQ(AddressKeyText("No. 88 Jianguo Road, Chaoyang District", "100020"), "");
  EXPECT_EQ(AddressKeyText("朝阳区建国路88号", "100020"), "");
  // "Rmb" or "Roomy" is not a room marker.
  EXPECT_EQ(AddressKeyText("Roomy Plaza 12, No. 88 Jianguo Road", "100020"), "");
  // Missing or malformed postcode.
  EXPECT_EQ(AddressKeyText("Room 1203, No. 88 Jianguo Road", ""), "");
  EXPECT_EQ(AddressKeyText("Room 1203, No. 88 Jianguo Road", "10002"), "");
  // A different flat, a different key.
  EXPECT_NE(AddressKeyText("Room 1204, No. 88 Jianguo Road", "100020"),
            AddressKeyText("Room 1203, No. 88 Jianguo Road", "100020"));
}

}  // namespace
}  // namespace holo::privacy
