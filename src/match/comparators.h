// String normalisation and similarity functions used by the matcher's field
// comparators: Unicode-aware lower-casing, Jaro–Winkler over code points,
// Soundex, date parsing, digit edit checks and address token normalisation.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace holo::match {

// Decodes UTF-8 to code points; invalid bytes are taken as Latin-1 code points.
std::u32string DecodeUtf8(std::string_view s);
std::string EncodeUtf8(std::u32string_view s);

// Returns `s` lower-cased (ASCII, Latin-1 and Latin Extended-A), with runs of
// whitespace collapsed to one space and ends trimmed.
std::string NormalizeText(std::string_view s);

// Jaro and Jaro–Winkler similarity over code points (prefix scale 0.1, prefix
// up to 4). Both return 1 for two empty strings. The UTF-8 overload compares
// bytes when both strings are ASCII and decodes otherwise; none allocates for
// strings of up to 128 code points.
double Jaro(std::u32string_view a, std::u32string_view b);
double JaroWinkler(std::u32string_view a, std::u32string_view b);
double JaroWinkler(std::string_view a, std::string_view b);  // UTF-8 input

// Returns JaroWinkler(a, b) when it is at least `min`, else some value below
// `min` (often 0, without computing it): a cheap upper bound from shared
// characters and the common prefix rules most dissimilar pairs out first.
double JaroWinklerAtLeast(std::string_view a, std::string_view b, double min);

// American Soundex of the letters of `s` ("" when it has no letters).
std::string Soundex(std::string_view s);

// Returns the ASCII digits of `s`.
std::string DigitsOf(std::string_view s);

// True when `a` and `b` differ by one substitution, insertion or deletion, or by
// one transposition of adjacent characters (and are not equal).
bool WithinOneEdit(std::string_view a, std::string_view b);

// Returns the Damerau–Levenshtein (optimal string alignment) distance of a and
// b in bytes if it is at most `max`, else max + 1. Banded: O(len * max).
int BoundedEditDistance(std::string_view a, std::string_view b, int max);

// Splits on anything that is not a letter/digit (UTF-8 bytes >= 0x80 count as letters).
std::vector<std::string> Tokenize(std::string_view s);

// Lower-cased tokens of an address with common abbreviations expanded (st -> street,
// rd -> road, ave -> avenue, ...).
std::vector<std::string> AddressTokens(std::string_view s);

// Jaccard similarity of two token sets (duplicates ignored); 1 if both empty.
double TokenJaccard(const std::vector<std::string>& a, const std::vector<std::string>& b);

// Returns the tokens sorted, without duplicates, joined by single spaces.
std::string SortedTokenSet(std::vector<std::string> tokens);

// Jaccard similarity of two SortedTokenSet strings, by merging (no allocation).
double SortedSetJaccard(std::string_view a, std::string_view b);

// Splits address tokens into the house number (the first token of digits with
// at most one trailing letter, e.g. "12" or "12a" but not "47th"; "" if none)
// and the other tokens.
void SplitHouseNumber(const std::vector<std::string>& tokens, std::string* number,
                      std::vector<std::string>* rest);

struct Date {
  int year = 0, month = 0, day = 0;
};

// Parses `s` with a strptime-like `format` supporting %Y, %m, %d and literal
// characters. Returns false when `s` does not fit. Ranges are not validated
// (corrupted dates stay comparable).
bool ParseDate(std::string_view s, std::string_view format, Date* out);

}  // namespace holo::match
