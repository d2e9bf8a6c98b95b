// normalize: canonical forms of raw identifier values, so that the same phone, email or MAC
// written differently pseudonymizes to the same value.
//
//   HOLO_ASSIGN_OR_RETURN(std::string phone, NormalizePhone("138-1234-5678"));  // "+8613812345678" (CN)
//   HOLO_ASSIGN_OR_RETURN(std::string us, NormalizePhone("(415) 555-0101", "US"));  // "+14155550101"
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

// The region of phone numbers written without a country code when nothing else is configured:
// China, the only rule Holo had before per-source regions (the pseudonyms of stores written
// then depend on it).
inline constexpr std::string_view kDefaultPhoneRegion = "CN";

// Returns `region` as libphonenumber's upper-case ISO 3166-1 alpha-2 region code ("us" ->
// "US"), or kInvalidArgument when it is not two letters or not a region libphonenumber knows.
Result<std::string> CanonicalPhoneRegion(std::string_view region);

// Returns `raw` as E.164 ('+' and 8..15 digits), checked with libphonenumber (Debian's
// libphonenumber-dev; its metadata decides which numbers are valid).
// Spaces, tabs, '-', '.', '(' and ')' are removed anywhere, and "(0)" whole. Then:
//   "+<digits>" / "00<digits>"  international: must be a valid number of its country code
//                               (PhoneNumberUtil::IsValidNumber); returned as written, '+'
//                               and the digits, byte for byte what Holo <= 0.1 returned:
//                               "+1 (415) 555-0101" -> "+14155550101",
//                               "0086 138 1234 5678" -> "+8613812345678";
//   otherwise national:         parsed in `default_region` (trunk prefix, the region's own
//                               country code without '+', and its international call prefix
//                               are understood: "8613812345678" in CN, "011 44 ..." in US) and
//                               must be a valid number of that region's country code:
//                               "(415) 555-0101" in US -> "+14155550101",
//                               "020 7946 0018" in GB -> "+442079460018",
//                               "13812345678" in CN -> "+8613812345678".
// A number that is not valid where it is read is refused, never re-read as another country's:
// "(415) 555-0101" in CN is kInvalidArgument ("not a valid number in region CN").
// Validity (IsValidNumber: the number's ranges, not only its length as IsPossibleNumber
// would check) is what catches a number from the wrong region; its price is that a range
// allocated after the library's metadata (8.12.57 on Debian 12) is refused until it is updated.
// Returns kInvalidArgument for letters (extensions too) or other characters (full-width
// digits), a '+' not at the start, no digits, fewer than 8 or more than 15 digits or a country
// code starting with 0 in international form, an invalid number, or an unknown region.
Result<std::string> NormalizePhone(std::string_view raw,
                                   std::string_view default_region = kDefaultPhoneRegion);

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
// "email", "phone" and "mac" go through the functions above (a phone without a country code
// is read in `default_region`); every other type is kept byte-for-byte. Sets *placeholder (if
// not null) to IsPlaceholderId(value) or, for "mac", to whether it is randomized. A phone
// form filler (the national number one repeated digit, "111 1111 1111") is not a valid number
// but is returned, in the form Holo <= 0.1 gave it, as a placeholder. This is the one rule the
// ingester and lookups must share.
Result<std::string> NormalizeIdentifierValue(std::string_view type, std::string_view raw,
                                             bool* placeholder,
                                             std::string_view default_region = kDefaultPhoneRegion);

// Returns the household key text of a delivery address, the same for the English, Chinese and
// abbreviated forms of one flat: "<postcode>|<the street's digit groups, sorted>", e.g.
// "Room 1203, No. 88 Jianguo Road" and "建国路88号1203室" with postcode 100020 both give
// "100020|88|1203". Returns "" when the address cannot name one flat: no 6-digit postcode,
// no room marker ("room", "rm", "室", "房"), or fewer than two digit groups. Only the keyed
// hash of this text is stored (ingest adds it as shipping_address.address_key).
std::string AddressKeyText(std::string_view street, std::string_view postcode);

}  // namespace holo::privacy
