#include "privacy/pseudonymizer.h"

#include <gtest/gtest.h>

#include "common/hex.h"

#include <string>
#include <thread>
#include <vector>

namespace holo::privacy {
namespace {

PseudonymKey KeyOf(uint8_t fill) {
  PseudonymKey k;
  k.fill(fill);
  return k;
}

TEST(PseudonymizerTest, DeterministicForOneKey) {
  Pseudonymizer a(KeyOf(7));
  Pseudonymizer b(KeyOf(7));
  EXPECT_EQ(a.Hash("phone", "+8613812345678"), a.Hash("phone", "+8613812345678"));
  EXPECT_EQ(a.Hash("phone", "+8613812345678"), b.Hash("phone", "+8613812345678"));
}

TEST(PseudonymizerTest, DependsOnKeyTypeAndValue) {
  Pseudonymizer a(KeyOf(7));
  Pseudonymizer b(KeyOf(8));
  EXPECT_NE(a.Hash("phone", "+8613812345678"), b.Hash("phone", "+8613812345678"));
  EXPECT_NE(a.Hash("phone", "+8613812345678"), a.Hash("phone", "+8613812345679"));
  EXPECT_NE(a.Hash("user_id@taobao", "42"), a.Hash("user_id@eleme", "42"));
  // The '\0' separator keeps type and value apart.
  EXPECT_NE(a.Hash("ab", "c"), a.Hash("a", "bc"));
}

TEST(PseudonymizerTest, KnownAnswer) {
  // Keyed BLAKE2b-128 (key: 32 zero bytes) of type + '\0' + value, as computed independently by
  // Python's hashlib.blake2b(msg, key=bytes(32), digest_size=16). Pinned so that a change of
  // algorithm, separator or output size (which would orphan every stored pseudonym) fails here.
  Pseudonymizer z(KeyOf(0));
  EXPECT_EQ(PseudonymToHex(z.Hash("email", "a@b.co")), "12429cd95ce5b70424aedd429cd323d4");
  // A long value (streaming path).
  EXPECT_EQ(PseudonymToHex(z.Hash("cookie", std::string(300, 'q'))),
            "e06bbbb74abc2187fbe450725b6ca23b");
}

TEST(PseudonymizerTest, LongValuesUseStreamingPathConsistently) {
  Pseudonymizer a(KeyOf(3));
  std::string long_value(1000, 'x');
  Pseudonym p1 = a.Hash("cookie", long_value);
  Pseudonym p2 = a.Hash("cookie", long_value);
  EXPECT_EQ(p1, p2);
  long_value.back() = 'y';
  EXPECT_NE(p1, a.Hash("cookie", long_value));
  // Values around the stack-buffer boundary hash like any other.
  for (size_t n = 240; n < 270; ++n) {
    std::string v(n, 'q');
    EXPECT_EQ(a.Hash("t", v), a.Hash("t", v));
    EXPECT_NE(a.Hash("t", v), a.Hash("t", v + "q"));
  }
}

TEST(PseudonymizerTest, NewKeysDiffer) {
  PseudonymKey k1 = Pseudonymizer::NewKey();
  PseudonymKey k2 = Pseudonymizer::NewKey();
  EXPECT_NE(k1, k2);
}

TEST(PseudonymizerTest, HexRoundTrip) {
  Pseudonymizer a(KeyOf(1));
  Pseudonym p = a.Hash("mac", "aa:bb:cc:dd:ee:ff");
  std::string hex = PseudonymToHex(p);
  ASSERT_EQ(hex.size(), 32u);
  Result<Pseudonym> back = PseudonymFromHex(hex);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, p);
  for (char& c : hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  back = PseudonymFromHex(hex);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, p);
  EXPECT_FALSE(PseudonymFromHex("abc").ok());
  EXPECT_FALSE(PseudonymFromHex(std::string(31, 'a') + "g").ok());
}

TEST(PseudonymizerTest, ConcurrentUseAgrees) {
  const Pseudonymizer a(KeyOf(5));
  const Pseudonym expected = a.Hash("device_id", "D-1");
  std::vector<std::thread> threads;
  std::vector<int> bad(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Pseudonymizer local(KeyOf(5));  // construction races sodium_init too
      for (int i = 0; i < 2000; ++i) {
        if (a.Hash("device_id", "D-1") != expected) ++bad[t];
        if (local.Hash("device_id", "D-1") != expected) ++bad[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int b : bad) EXPECT_EQ(b, 0);
}

TEST(PartnerMatchTest, Sha256KnownAnswerAndHex) {
  // The digests an ad platform is given: lowercase hex SHA-256 of the normalized value
  // (Python: hashlib.sha256(b"a@b.co").hexdigest()).
  const Sha256Digest d = Sha256Of("a@b.co");
  EXPECT_EQ(hex::Encode(d.data(), d.size()), "80305c9bb1bb2480e03894350e0a8a366dcbdeb302e69e0817aa0743abd77054");
  Sha256Digest parsed{};
  ASSERT_TRUE(Sha256FromHex("80305C9BB1BB2480E03894350E0A8A366DCBDEB302E69E0817AA0743ABD77054", &parsed));
  EXPECT_EQ(parsed, d);
  EXPECT_FALSE(Sha256FromHex("80305c9b", &parsed));
  EXPECT_FALSE(Sha256FromHex(std::string(63, 'a') + "g", &parsed));
}

TEST(PartnerMatchTest, MatchTagKnownAnswerKeyedAndStableUnderRotation) {
  // Python: hashlib.blake2b(b"holo/partner-match\0" + sha256, key=bytes(32), digest_size=16,
  //                         person=b"holo.partnertag1").
  Pseudonymizer z(KeyOf(0));
  EXPECT_EQ(PseudonymToHex(z.MatchTag(Sha256Of("a@b.co"))), "f513819f61f5beac04d0cd30d2259170");
  EXPECT_NE(z.MatchTag(Sha256Of("a@b.co")), Pseudonymizer(KeyOf(1)).MatchTag(Sha256Of("a@b.co")));
  EXPECT_NE(z.MatchTag(Sha256Of("a@b.co")), z.MatchTag(Sha256Of("a@b.cn")));
  // Keyed with generation 0 only: a rotation leaves every stored tag valid.
  Pseudonymizer rotated(std::vector<PseudonymKey>{KeyOf(0), KeyOf(9)});
  EXPECT_EQ(rotated.MatchTag(Sha256Of("a@b.co")), z.MatchTag(Sha256Of("a@b.co")));
}

}  // namespace
}  // namespace holo::privacy
