#include "match/config.h"

#include <toml++/toml.h>

#include <fstream>
#include <sstream>

namespace holo::match {
namespace {

struct TypeName {
  const char* name;
  FieldType type;
};
constexpr TypeName kTypes[] = {
    {"name", FieldType::kName},         {"string", FieldType::kString},
    {"date", FieldType::kDate},         {"phone", FieldType::kPhone},
    {"postcode", FieldType::kPostcode}, {"address", FieldType::kAddress},
    {"text", FieldType::kText},         {"numeric", FieldType::kNumeric},
    {"exact", FieldType::kExact},       {"email", FieldType::kEmail},
};

bool ValidTransform(const std::string& t) {
  if (t.empty() || t == "soundex" || t == "year" || t == "digits" || t == "tokens" ||
      t == "lower" || t == "number") {
    return true;
  }
  for (const char* stem : {"prefix", "suffix"}) {
    if (t.rfind(stem, 0) == 0 && t.size() > 6 && t.size() < 10) {
      for (size_t i = 6; i < t.size(); ++i) {
        if (t[i] < '0' || t[i] > '9') return false;
      }
      return std::stoul(t.substr(6)) > 0;
    }
  }
  return false;
}

Result<MatchConfig> FromTable(const toml::table& root) {
  MatchConfig cfg;
  auto bad = [](const std::string& m) { return Status::InvalidArgument("match config: " + m); };
  if (auto v = root["id_column"].value<std::string>()) {
    cfg.id_column = *v;
  } else {
    return bad("id_column (string) is required");
  }
  const toml::array* fields = root["fields"].as_array();
  if (fields == nullptr || fields->empty()) return bad("at least one [[fields]] is required");
  for (const toml::node& n : *fields) {
    const toml::table* t = n.as_table();
    if (t == nullptr) return bad("[[fields]] entries must be tables");
    FieldConfig f;
    if (auto c = (*t)["column"].value<std::string>()) f.columns.push_back(*c);
    if (const toml::array* cols = (*t)["columns"].as_array()) {
      for (const toml::node& c : *cols) {
        auto s = c.value<std::string>();
        if (!s) return bad("fields.columns must be strings");
        f.columns.push_back(*s);
      }
    }
    if (f.columns.empty()) return bad("each field needs column or columns");
    std::string type = (*t)["type"].value_or<std::string>("string");
    bool found = false;
    for (const TypeName& tn : kTypes) {
      if (type == tn.name) {
        f.type = tn.type;
        found = true;
      }
    }
    if (!found) return bad("unknown field type '" + type + "'");
    f.name = (*t)["name"].value_or<std::string>(std::string(f.columns[0]));
    f.format = (*t)["format"].value_or<std::string>(f.type == FieldType::kDate ? "%Y-%m-%d" : "");
    f.swap_with = (*t)["swap_with"].value_or<std::string>("");
    f.term_frequency = (*t)["term_frequency"].value_or<bool>(f.type == FieldType::kName ||
                                                             f.type == FieldType::kString);
    if (f.type == FieldType::kDate && f.columns.size() != 1 && f.columns.size() != 3) {
      return bad("date field " + f.name + " needs 1 column or 3 (year, month, day)");
    }
    cfg.fields.push_back(std::move(f));
  }
  for (const FieldConfig& f : cfg.fields) {
    if (f.swap_with.empty()) continue;
    bool ok = false;
    for (const FieldConfig& g : cfg.fields) ok |= g.name == f.swap_with;
    if (!ok) return bad("swap_with '" + f.swap_with + "' is not a field name");
  }
  if (const toml::array* rules = root["blocking"].as_array()) {
    for (const toml::node& n : *rules) {
      const toml::table* t = n.as_table();
      const toml::array* keys = t ? (*t)["keys"].as_array() : nullptr;
      if (keys == nullptr) return bad("each [[blocking]] needs a keys list ([] = all pairs)");
      std::vector<BlockingKey> rule;
      for (const toml::node& k : *keys) {
        const toml::table* kt = k.as_table();
        if (kt == nullptr) return bad("blocking keys are tables {column=..., transform=...}");
        BlockingKey key;
        auto col = (*kt)["column"].value<std::string>();
        if (!col) return bad("blocking key needs column");
        key.column = *col;
        key.transform = (*kt)["transform"].value_or<std::string>("");
        if (!ValidTransform(key.transform)) return bad("unknown transform '" + key.transform + "'");
        rule.push_back(std::move(key));
      }
      cfg.blocking.push_back(std::move(rule));
    }
  }
  if (cfg.blocking.empty()) return bad("at least one [[blocking]] rule is required");
  if (auto th = root["threshold"].value<double>()) cfg.threshold = *th;
  cfg.one_to_one = root["one_to_one"].value_or<bool>(false);
  if (auto e = root["encoding"].value<std::string>()) cfg.encodings.push_back(*e);
  if (const toml::array* es = root["encoding"].as_array()) {
    for (const toml::node& e : *es) {
      auto s = e.value<std::string>();
      if (!s) return bad("encoding list must hold strings");
      cfg.encodings.push_back(*s);
    }
  }
  if (auto v = root["max_block_size"].value<int64_t>()) {
    if (*v <= 1) return bad("max_block_size must be > 1");
    cfg.max_block_size = static_cast<uint64_t>(*v);
  }
  if (auto v = root["window"].value<int64_t>()) {
    if (*v < 0) return bad("window must be >= 0");
    cfg.window = static_cast<uint64_t>(*v);
  }
  if (auto v = root["max_pairs_per_record"].value<int64_t>()) {
    if (*v < 0) return bad("max_pairs_per_record must be >= 0");
    cfg.max_pairs_per_record = static_cast<uint64_t>(*v);
  }
  if (auto v = root["u_sample_pairs"].value<int64_t>()) {
    if (*v < 1000) return bad("u_sample_pairs must be >= 1000");
    cfg.u_sample_pairs = static_cast<uint64_t>(*v);
  }
  if (auto v = root["em_max_iterations"].value<int64_t>())
    cfg.em_max_iterations = static_cast<int>(*v);
  cfg.em_estimate_u = root["em_estimate_u"].value_or<bool>(true);
  if (auto v = root["min_precision"].value<double>()) cfg.min_precision = *v;
  if (auto v = root["min_posterior"].value<double>()) cfg.min_posterior = *v;
  if (auto v = root["clustering"].value<std::string>()) {
    if (*v == "average") {
      cfg.linkage = Linkage::kAverage;
    } else if (*v == "single") {
      cfg.linkage = Linkage::kSingle;
    } else {
      return bad("clustering must be \"average\" or \"single\"");
    }
  }
  cfg.write_candidates = root["write_candidates"].value_or<bool>(false);
  cfg.rule_models = root["rule_models"].value_or<bool>(false);
  if (auto v = root["estimator"].value<std::string>()) {
    if (*v != "auto" && *v != "held-out" && *v != "pooled") {
      return bad("estimator must be \"auto\", \"held-out\" or \"pooled\"");
    }
    cfg.estimator = *v;
  }
  if (cfg.rule_models && cfg.estimator == "held-out") {
    return bad("rule_models = true needs estimator = \"auto\" or \"pooled\"");
  }
  cfg.source_column = root["source_column"].value_or<std::string>("");
  if (auto v = root["max_component"].value<int64_t>()) {
    if (*v < 3) return bad("max_component must be >= 3");
    cfg.max_component = static_cast<uint64_t>(*v);
  }
  return cfg;
}

}  // namespace

const char* FieldTypeName(FieldType type) {
  for (const TypeName& tn : kTypes) {
    if (tn.type == type) return tn.name;
  }
  return "?";
}

Result<MatchConfig> ParseMatchConfig(const std::string& toml_text, const std::string& source) {
  // toml++ reports errors by exception; contain it here.
  try {
    toml::table root = toml::parse(toml_text, source);
    return FromTable(root);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << source << ":" << e.source().begin.line << ":" << e.source().begin.column << ": "
        << e.description();
    return Status::InvalidArgument("match config: " + msg.str());
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("match config: ") + e.what());
  }
}

Result<MatchConfig> LoadMatchConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open match config " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ParseMatchConfig(ss.str(), path);
}

}  // namespace holo::match
