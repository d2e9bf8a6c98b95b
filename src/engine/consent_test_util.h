// Helpers shared by the tests of consent state (consent_index_test, privacy_stage_test).
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/coding.h"
#include "privacy/consent.h"
#include "privacy/pseudonymizer.h"
#include "storage/keys.h"
#include "storage/store.h"

namespace holo::engine::consent_test {

// A node pseudonym that differs from the others by its first byte.
inline privacy::Pseudonym Node(uint8_t n) {
  privacy::Pseudonym p{};
  p[0] = n;
  return p;
}

// The index of a known purpose ("marketing", ...).
inline size_t Purpose(std::string_view name) { return *privacy::PurposeIndex(name); }

// Places `node` in `oneid` (and out of `from`, when not 0), as resolution writes it.
inline void Place(storage::Store* store, const privacy::Pseudonym& node, uint64_t oneid, uint64_t from = 0) {
  storage::WriteBatch batch(*store);
  std::string id;
  coding::PutFixed64BE(&id, oneid);
  batch.Put(storage::Cf::kGraph, storage::keys::NodeOneIdKey(node), id);
  batch.Put(storage::Cf::kGraph, storage::keys::MemberKey(oneid, node), "");
  if (from != 0) batch.Delete(storage::Cf::kGraph, storage::keys::MemberKey(from, node));
  ASSERT_TRUE(store->Write(&batch, /*sync=*/false).ok());
}

}  // namespace holo::engine::consent_test
