// Helpers shared by the tests of consent state (consent_index_test, privacy_stage_test).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "privacy/consent.h"
#include "privacy/pseudonymizer.h"

namespace holo::engine::consent_test {

// A node pseudonym that differs from the others by its first byte.
inline privacy::Pseudonym Node(uint8_t n) {
  privacy::Pseudonym p{};
  p[0] = n;
  return p;
}

// The index of a known purpose ("marketing", ...).
inline size_t Purpose(std::string_view name) { return *privacy::PurposeIndex(name); }

}  // namespace holo::engine::consent_test
