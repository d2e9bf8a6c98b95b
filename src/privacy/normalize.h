// normalize: canonical forms of raw identifier values, so that the same phone, email or MAC
// written differently pseudonymizes to the same value.
//
//   HOLO_ASSIGN_OR_RETURN(std::string phone, NormalizePhone("138-1234-5678"));  // "+8613812345678"
//   bool randomized = false;
//   HOLO_ASSIGN_OR_RETURN(std::string mac, NormalizeMac("DA-A1-19-00-11-22", &randomized));
//
// Error messages never repeat the raw value (it is PII); they name what is wrong with it.
// All functions are pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "holo/result.h"

namespace holo::privacy {

// Returns `raw` as E.164: '+' followed by 8..15 digits, the first not 0.
// Spaces, tabs, '-', '.', '(' and ')' are removed anywhere. Then:
//   "+<digits>"           kept as is (international);
//   "00<digits>"          the international call prefix: "0086138..." -> "+86138...";
//   default country "86": 13 digits starting "861" -> "+86...", i.e. "8613812345678";
//   otherwise national:   one trunk '0' is dropped and `default_country_code` prefixed:
//                         "13812345678" -> "+8613812345678", "010-6552-9988" -> "+861065529988".
// Returns kInvalidArgument for letters or other characters, a '+' not at the start, an empty
// number, fewer than 8 or more than 15 digits, or a country code starting with 0.
// REQUIRES: default_country_code is 1..3 digits (else kInvalidArgument).
Result<std::string> NormalizePhone(std::string_view raw,
                                   std::string_view default_country_code = "86");

// Returns `raw` trimmed of ASCII whitespace and ASCII-lower-cased. It must contain exactly one
// '@', a non-empty local part, and a domain with at least one dot, no empty labels and no
// whitespace; else kInvalidArgument. No provider-specific folding (gmail dots, "+tag") is done.
Result<std::string> NormalizeEmail(std::string_view raw);

// Returns the MAC address `raw` as lower-case "aa:bb:cc:dd:ee:ff". Accepts (surrounding
// whitespace ignored, any letter case) "aa:bb:cc:dd:ee:ff", "aa-bb-cc-dd-ee-ff",
// "aabb.ccdd.eeff" and "aabbccddeeff". If `randomized` is not null, sets it to whether the
// locally-administered bit (0x02 of the first octet) is set: such a MAC is randomized by the
// device and identifies no one across visits. Returns kInvalidArgument otherwise.
Result<std::string> NormalizeMac(std::string_view raw, bool* randomized);

// Returns true for values that identify no one: empty or blank, "0", a run of zeros with
// separators ("00000000-0000-0000-0000-000000000000", "00:00:00:00:00:00"), and, ignoring
// ASCII case and surrounding whitespace, "unknown", "null", "undefined", "none", "nil",
// "(null)", "n/a".
bool IsPlaceholderId(std::string_view normalized);

// Returns the canonical value of an identifier of fully qualified type `type` (as in
// ParsedIdentifier::type / truth.csv: "email", "phone", "mac", "user_id@taobao", ...):
// "email", "phone" and "mac" go through the functions above; every other type is kept
// byte-for-byte. Sets *placeholder (if not null) to IsPlaceholderId(value) or, for "mac", to
// whether it is randomized. This is the one rule the ingester and lookups must share.
Result<std::string> NormalizeIdentifierValue(std::string_view type, std::string_view raw,
                                             bool* placeholder,
                                             std::string_view default_country_code = "86");

// Returns the household key text of a delivery address, the same for the English, Chinese and
// abbreviated forms of one flat: "<postcode>|<the street's digit groups, sorted>", e.g.
// "Room 1203, No. 88 Jianguo Road" and "建国路88号1203室" with postcode 100020 both give
// "100020|88|1203". Returns "" when the address cannot name one flat: no 6-digit postcode,
// no room marker ("room", "rm", "室", "房"), or fewer than two digit groups. Only the keyed
// hash of this text is stored (ingest adds it as shipping_address.address_key).
std::string AddressKeyText(std::string_view street, std::string_view postcode);

}  // namespace holo::privacy
