#include "privacy/keyring.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "privacy/pseudonymizer.h"

namespace holo::privacy {
namespace {

namespace fs = std::filesystem;

PseudonymKey KeyOf(uint8_t fill) {
  PseudonymKey k;
  k.fill(fill);
  return k;
}

std::string ReadFileText(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class TempPath {
 public:
  TempPath() {
    std::string t = fs::temp_directory_path() / "holo-keyring-XXXXXX";
    dir_ = ::mkdtemp(t.data());
  }
  ~TempPath() { fs::remove_all(dir_); }
  std::string operator/(const std::string& f) const { return dir_ + "/" + f; }

 private:
  std::string dir_;
};

TEST(PseudonymizerChainTest, PermuteIsABijectionThatUndoes) {
  Pseudonymizer a(KeyOf(1));
  std::set<Pseudonym> images;
  for (int i = 0; i < 2000; ++i) {
    Pseudonym p = a.Hash("cookie", std::to_string(i));
    Pseudonym q = Pseudonymizer::Permute(KeyOf(2), p);
    EXPECT_NE(p, q);
    EXPECT_EQ(Pseudonymizer::Unpermute(KeyOf(2), q), p);
    EXPECT_NE(Pseudonymizer::Permute(KeyOf(3), p), q);  // depends on the key
    images.insert(q);
  }
  EXPECT_EQ(images.size(), 2000u);
}

TEST(PseudonymizerChainTest, RotatedHashEqualsPermutedRootAndGoesBack) {
  Pseudonymizer g0(KeyOf(1));
  Pseudonymizer g2({KeyOf(1), KeyOf(2), KeyOf(3)});
  EXPECT_EQ(g0.generation(), 0u);
  EXPECT_EQ(g2.generation(), 2u);
  const Pseudonym root = g0.Hash("phone", "+8613812345678");
  const Pseudonym rotated = g2.Hash("phone", "+8613812345678");
  // What `holo rekey` does to a stored pseudonym equals hashing afresh at the new generation.
  EXPECT_EQ(rotated, Pseudonymizer::Permute(KeyOf(3), Pseudonymizer::Permute(KeyOf(2), root)));
  EXPECT_NE(rotated, root);
  EXPECT_EQ(g2.Root(rotated), root);
  EXPECT_EQ(g2.RootHash("phone", "+8613812345678"), root);
  // Generation 0 is the unchanged keyed hash (the pinned answers of pseudonymizer_test hold).
  EXPECT_EQ(Pseudonymizer(std::vector<PseudonymKey>{KeyOf(0)}).Hash("email", "a@b.co"),
            Pseudonymizer(KeyOf(0)).Hash("email", "a@b.co"));
}

TEST(KeyringTest, RoundTripsAndIsPrivate) {
  TempPath dir;
  const std::string path = dir / "data.keyring";
  auto missing = ReadKeyring(path);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  Keyring k;
  EXPECT_EQ(k.AddGeneration(), 0u);
  EXPECT_EQ(k.AddGeneration(), 1u);
  EXPECT_NE(k.pseudonym[0], k.pseudonym[1]);
  ASSERT_TRUE(WriteKeyring(path, k).ok());
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto back = ReadKeyring(path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_TRUE(back->has_value());
  EXPECT_EQ((*back)->pseudonym, k.pseudonym);
  EXPECT_EQ((*back)->vault, k.vault);
  EXPECT_EQ(k.PseudonymChain(0).size(), 1u);
  EXPECT_EQ(k.PseudonymChain(1).size(), 2u);

  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  auto open_to_all = ReadKeyring(path);
  ASSERT_FALSE(open_to_all.ok());
  EXPECT_NE(open_to_all.status().message().find("chmod 600"), std::string::npos);
}

TEST(KeyringTest, MalformedFilesAreRefusedWithTheLine) {
  TempPath dir;
  const std::string path = dir / "bad.keyring";
  auto write = [&](const std::string& text) {
    std::ofstream(path) << text;
    ::chmod(path.c_str(), 0600);
  };
  write("something else\n");
  auto r = ReadKeyring(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(":1: not a Holo keyring"), std::string::npos) << r.status().ToString();
  write("holo-keyring 1\npseudonym 0 abcd\n");
  r = ReadKeyring(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(":2:"), std::string::npos) << r.status().ToString();
  write("holo-keyring 1\npseudonym 0 " + std::string(64, 'a') + "\n");  // no vault key
  r = ReadKeyring(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("incomplete"), std::string::npos);
}

TEST(KeyringTest, DamagedKeysAreRefusedNamingFileGenerationAndKey) {
  TempPath dir;
  const std::string path = dir / "data.keyring";
  Keyring k;
  k.AddGeneration();
  k.AddGeneration();
  ASSERT_TRUE(WriteKeyring(path, k).ok());
  const std::string good = ReadFileText(path);
  auto write = [&](const std::string& text) {
    std::ofstream(path, std::ios::trunc) << text;
    ::chmod(path.c_str(), 0600);
  };
  // Flip one hex digit of the generation-1 vault key.
  const size_t at = good.find("vault 1 ") + 8 + 5;
  std::string flipped = good;
  flipped[at] = flipped[at] == '0' ? '1' : '0';
  write(flipped);
  auto r = ReadKeyring(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  const std::string msg = r.status().message();
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("vault key of generation 1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("fails its check value"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;

  // A line cut before its check value (or inside the key) is refused too.
  const size_t pline = good.find("pseudonym 0 ");
  std::string cut = good.substr(0, pline) + "pseudonym 0 " + good.substr(pline + 12, 64) + "\n" +
                    good.substr(good.find('\n', pline) + 1);
  write(cut);
  r = ReadKeyring(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("pseudonym key of generation 0 has no check value"), std::string::npos)
      << r.status().ToString();
  cut = good.substr(0, pline) + "pseudonym 0 " + good.substr(pline + 12, 40) + "\n" +
        good.substr(good.find('\n', pline) + 1);
  write(cut);
  r = ReadKeyring(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("pseudonym key of generation 0 is damaged"), std::string::npos)
      << r.status().ToString();

  write(good);
  r = ReadKeyring(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE((*r)->unchecked);
}

TEST(KeyringTest, VersionOneFilesWithoutChecksStillOpen) {
  TempPath dir;
  const std::string path = dir / "old.keyring";
  const std::string p0(64, 'a'), v0(64, 'b');
  std::ofstream(path) << "# an old keyring\nholo-keyring 1\npseudonym 0 " << p0 << "\nvault 0 " << v0 << "\n";
  ::chmod(path.c_str(), 0600);
  auto r = ReadKeyring(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE((*r)->unchecked);
  EXPECT_EQ((*r)->pseudonym[0][0], 0xaa);
  EXPECT_EQ((*r)->vault[0][31], 0xbb);
  // Written back, it carries check values and reads as checked, with the same keys.
  ASSERT_TRUE(WriteKeyring(path, **r).ok());
  EXPECT_NE(ReadFileText(path).find("holo-keyring 2"), std::string::npos);
  auto back = ReadKeyring(path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_FALSE((*back)->unchecked);
  EXPECT_EQ((*back)->pseudonym, (*r)->pseudonym);
  EXPECT_EQ((*back)->vault, (*r)->vault);
}

TEST(KeyringTest, DefaultPathIsBesideTheDataDirectory) {
  EXPECT_EQ(DefaultKeyringPath("/var/lib/holo/data"), "/var/lib/holo/data.keyring");
  EXPECT_EQ(DefaultKeyringPath("/var/lib/holo/data/"), "/var/lib/holo/data.keyring");
}

TEST(VaultSealTest, SealsAuthenticatesAndRefusesOtherKeys) {
  Keyring k;
  k.AddGeneration();
  k.AddGeneration();
  const std::string plain = R"({"name":"Li Wei","street":"88 Nanjing Road"})";
  const std::string a = VaultSeal(k.vault[0], plain);
  const std::string b = VaultSeal(k.vault[0], plain);
  EXPECT_NE(a, b);  // fresh nonce each time
  EXPECT_EQ(a.find("Li Wei"), std::string::npos);
  auto opened = VaultOpen(k.vault[0], a);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, plain);
  EXPECT_FALSE(VaultOpen(k.vault[1], a).ok());
  std::string tampered = a;
  tampered.back() ^= 1;
  EXPECT_FALSE(VaultOpen(k.vault[0], tampered).ok());
  EXPECT_FALSE(VaultOpen(k.vault[0], "short").ok());
}

}  // namespace
}  // namespace holo::privacy
