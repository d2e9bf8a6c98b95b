// What a store sensor saw: one probe request (wifi) or one beacon sighting (BLE), as the
// readers (readers.h) make it from a file and the presence model (presence.h) consumes it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace holo::stores {

// RSSI unknown (the capture has none): no signal-strength rule applies to the probe.
inline constexpr int kNoRssi = -1000;

struct Observation {
  // Microseconds since 1970-01-01T00:00:00 of the observation's clock: UTC when `zoned`,
  // else the input's own local clock (the civil time read as if it were UTC).
  int64_t t_us = 0;
  bool zoned = true;
  // Wifi: the MAC, lower-case "aa:bb:cc:dd:ee:ff". Beacon: the app's device or user id.
  std::string device;
  // The identifier type of `device` (shared/EVENTS.md): "mac", or for a beacon the app's
  // "device_id" (else "user_id", "anonymous_id").
  std::string device_type = "mac";
  bool beacon = false;
  // A locally administered (randomized) MAC: never a person by itself.
  bool randomized = false;
  int rssi = kNoRssi;
  // The 802.11 sequence number, -1 when the capture has none.
  int seq = -1;
  // Hash of the probe's stable information elements (Fingerprint()); 0: none captured.
  uint64_t fingerprint = 0;
  std::string sensor;
  std::string zone;
  // The store, when the input names it (Segment events); else empty.
  std::string store;
};

// 64-bit FNV-1a of `text`; 0 for empty text (no fingerprint). Stable: stored on disk.
uint64_t Fingerprint(std::string_view text);

// Normalizes a MAC written with ':' or '-' separators (or none), any case, into
// "aa:bb:cc:dd:ee:ff"; false when `text` is not 6 hex octets.
bool NormalizeMac(std::string_view text, std::string* out);

// True for a locally administered address (bit 1 of the first octet): the randomized MACs
// phones use while probing. REQUIRES: `mac` normalized.
bool IsLocallyAdministered(std::string_view mac);

// Parses "YYYY-MM-DD[T ]HH:MM[:SS[.fraction]]" with an optional "Z" or "±HH[:]MM" (zoned:
// converted to UTC), or a Unix time in seconds with an optional fraction (zoned).
bool ParseTime(std::string_view text, int64_t* t_us, bool* zoned);

// "YYYY-MM-DDTHH:MM:SS" plus "Z" when zoned.
std::string FormatTime(int64_t t_us, bool zoned);

}  // namespace holo::stores
