// LoadKeys (engine_impl.h) on both backends: the key records a store is opened with, and
// a key an older version kept inside the store moved out to the keyring.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "common/coding.h"
#include "engine/engine_impl.h"
#include "storage/keys.h"
#include "storage/store.h"
#include "testing/store_backends.h"
#include "testing/test_util.h"

namespace holo::engine {
namespace {

using storage::Cf;
namespace keys = storage::keys;
using holo::testing::StoreBackend;

class LoadKeysTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  holo::testing::TempDir dir_{"load_keys"};
  const std::string keyring_ = dir_ / "data.keyring";
  holo::testing::ScratchStore store_{GetParam(), "load_keys"};
};

TEST_P(LoadKeysTest, ANewStoreGetsAKeyringAndItsKeyRecords) {
  auto keys = LoadKeys(store_.get(), keyring_);
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ(keys->generation, 0u);
  auto ring = privacy::ReadKeyring(keyring_);
  ASSERT_TRUE(ring.ok() && ring->has_value());
  auto gen = store_->Get(Cf::kMeta, keys::kKeyGeneration);
  ASSERT_TRUE(gen.ok() && gen->has_value());
  EXPECT_EQ(coding::DecodeFixed64BE((*gen)->data()), 0u);
  auto check = store_->Get(Cf::kMeta, keys::kKeyCheck);
  ASSERT_TRUE(check.ok() && check->has_value());

  // Opened again: the same keys.
  auto again = LoadKeys(store_.get(), keyring_);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->keyring.pseudonym[0], keys->keyring.pseudonym[0]);
}

TEST_P(LoadKeysTest, AKeyKeptInTheStoreMovesToTheKeyring) {
  std::string key(privacy::kKeySize, '\x07');
  ASSERT_TRUE(store_->Put(Cf::kMeta, keys::kPseudonymKey, key, /*sync=*/true).ok());
  auto keys = LoadKeys(store_.get(), keyring_);
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ(keys->generation, 0u);
  EXPECT_EQ(std::string(keys->keyring.pseudonym[0].begin(), keys->keyring.pseudonym[0].end()), key);
  auto left = store_->Get(Cf::kMeta, keys::kPseudonymKey);
  ASSERT_TRUE(left.ok());
  EXPECT_FALSE(left->has_value());
  auto ring = privacy::ReadKeyring(keyring_);
  ASSERT_TRUE(ring.ok() && ring->has_value());
}

TEST_P(LoadKeysTest, AKeyringWithoutCheckValuesOpensAndGetsThem) {
  // A keyring of the previous version: no check values.
  holo::testing::WriteFile(keyring_, "holo-keyring 1\npseudonym 0 " + std::string(64, '1') + "\nvault 0 " +
                                         std::string(64, '2') + "\n");
  ASSERT_EQ(::chmod(keyring_.c_str(), 0600), 0);
  auto keys = LoadKeys(store_.get(), keyring_);
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ(keys->keyring.pseudonym[0][0], 0x11);
  // Rewritten with them: the same keys, checked from now on.
  EXPECT_NE(holo::testing::ReadFile(keyring_).find("holo-keyring 2"), std::string::npos);
  auto ring = privacy::ReadKeyring(keyring_);
  ASSERT_TRUE(ring.ok() && ring->has_value()) << ring.status().ToString();
  EXPECT_FALSE((*ring)->unchecked);
  EXPECT_EQ((*ring)->pseudonym, keys->keyring.pseudonym);
  EXPECT_EQ((*ring)->vault, keys->keyring.vault);
}

TEST_P(LoadKeysTest, AnotherStoresKeyringIsRefused) {
  ASSERT_TRUE(LoadKeys(store_.get(), keyring_).ok());
  holo::testing::ScratchStore other(GetParam(), "load_keys_other");
  ASSERT_TRUE(LoadKeys(other.get(), dir_ / "other.keyring").ok());
  EXPECT_EQ(LoadKeys(other.get(), keyring_).status().code(), StatusCode::kFailedPrecondition);
}

INSTANTIATE_TEST_SUITE_P(Backends, LoadKeysTest, ::testing::ValuesIn(holo::testing::kStoreBackends),
                         holo::testing::StoreBackendName<::testing::TestParamInfo<StoreBackend>>);

}  // namespace
}  // namespace holo::engine
