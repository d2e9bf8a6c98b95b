#include "profile/trait_row.h"

#include <simdjson.h>

#include <cstring>

#include "common/coding.h"

namespace holo::profile {
namespace {

constexpr char kVersion = 1;
enum Tag : char { kNull = 0, kNumber = 1, kText = 2, kTexts = 3 };

}  // namespace

std::string EncodeTraitRow(const TraitRow& row) {
  std::string out(1, kVersion);
  coding::PutVarint64(&out, row.size());
  for (const auto& [name, value] : row) {
    coding::PutLengthPrefixed(&out, name);
    if (const double* d = std::get_if<double>(&value)) {
      out.push_back(kNumber);
      char bytes[sizeof(double)];
      std::memcpy(bytes, d, sizeof bytes);
      out.append(bytes, sizeof bytes);
    } else if (const std::string* s = std::get_if<std::string>(&value)) {
      out.push_back(kText);
      coding::PutLengthPrefixed(&out, *s);
    } else if (const auto* list = std::get_if<std::vector<std::string>>(&value)) {
      out.push_back(kTexts);
      coding::PutVarint64(&out, list->size());
      for (const std::string& s : *list) coding::PutLengthPrefixed(&out, s);
    } else {
      out.push_back(kNull);
    }
  }
  return out;
}

bool DecodeTraitRow(std::string_view in, TraitRow* row) {
  row->clear();
  if (in.empty() || in[0] != kVersion) return false;
  in.remove_prefix(1);
  uint64_t n;
  if (!coding::GetVarint64(&in, &n) || n > in.size()) return false;
  row->reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view name;
    if (!coding::GetLengthPrefixed(&in, &name) || in.empty()) return false;
    const char tag = in[0];
    in.remove_prefix(1);
    TraitValue value;
    switch (tag) {
      case kNull:
        break;
      case kNumber: {
        if (in.size() < sizeof(double)) return false;
        double d;
        std::memcpy(&d, in.data(), sizeof d);
        in.remove_prefix(sizeof d);
        value = d;
        break;
      }
      case kText: {
        std::string_view s;
        if (!coding::GetLengthPrefixed(&in, &s)) return false;
        value = std::string(s);
        break;
      }
      case kTexts: {
        uint64_t m;
        if (!coding::GetVarint64(&in, &m) || m > in.size()) return false;
        std::vector<std::string> list;
        list.reserve(m);
        for (uint64_t j = 0; j < m; ++j) {
          std::string_view s;
          if (!coding::GetLengthPrefixed(&in, &s)) return false;
          list.emplace_back(s);
        }
        value = std::move(list);
        break;
      }
      default:
        return false;
    }
    row->emplace_back(std::string(name), std::move(value));
  }
  return in.empty();
}

Result<TraitRow> TraitRowFromProfileJson(std::string_view json) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::object traits;
  if (parser.parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS ||
      doc["traits"].get_object().get(traits) != simdjson::SUCCESS) {
    return Status::DataLoss("a profile without a \"traits\" object");
  }
  TraitRow row;
  for (auto [key, value] : traits) {
    TraitValue v;
    switch (value.type()) {
      case simdjson::dom::element_type::INT64:
        v = static_cast<double>(int64_t(value));
        break;
      case simdjson::dom::element_type::UINT64:
        v = static_cast<double>(uint64_t(value));
        break;
      case simdjson::dom::element_type::DOUBLE:
        v = double(value);
        break;
      case simdjson::dom::element_type::BOOL:
        v = bool(value) ? 1.0 : 0.0;
        break;
      case simdjson::dom::element_type::STRING:
        v = std::string(std::string_view(value));
        break;
      case simdjson::dom::element_type::ARRAY: {
        std::vector<std::string> items;
        for (auto item : value.get_array()) {
          std::string_view sv;
          if (item.get_string().get(sv) == simdjson::SUCCESS) items.emplace_back(sv);
        }
        v = std::move(items);
        break;
      }
      default:
        break;  // null (and objects, which no trait is): missing
    }
    row.emplace_back(std::string(key), std::move(v));
  }
  return row;
}

}  // namespace holo::profile
