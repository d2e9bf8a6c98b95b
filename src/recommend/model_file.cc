#include "recommend/model_file.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "common/coding.h"

namespace holo::recommend {

namespace {
constexpr std::string_view kMagic = "holo-recommend 1\n";
std::string PathOf(const std::string& dir) { return (std::filesystem::path(dir) / "model.holo").string(); }
}  // namespace

Status SaveModel(const std::string& dir, const TrainedModel& m) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError(dir + ": " + ec.message());
  std::string out(kMagic);
  coding::PutLengthPrefixed(&out, m.options.algo);
  out.push_back(m.options.use_weights ? 1 : 0);
  coding::PutVarint64(&out, m.data.items.size());
  for (const auto& item : m.data.items) coding::PutLengthPrefixed(&out, item);
  coding::PutVarint64(&out, m.data.users.size());
  for (size_t u = 0; u < m.data.users.size(); ++u) {
    coding::PutLengthPrefixed(&out, m.data.users[u]);
    coding::PutVarint64(&out, m.data.by_user[u].size());
    for (const auto& e : m.data.by_user[u]) {
      coding::PutVarint64(&out, e.item);
      out.append(reinterpret_cast<const char*>(&e.weight), sizeof(e.weight));
      coding::PutVarsint64(&out, e.ts);
    }
  }
  std::string state;
  m.model->Save(&state);
  coding::PutLengthPrefixed(&out, state);
  if (!m.extra.empty()) coding::PutLengthPrefixed(&out, m.extra);
  const std::string path = PathOf(dir), tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f.write(out.data(), static_cast<std::streamsize>(out.size()));
    f.flush();
    if (!f) return Status::IOError(tmp + ": cannot write");
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::IOError(path + ": " + ec.message());
  return Status::OK();
}

Result<TrainedModel> LoadModel(const std::string& dir) {
  const std::string path = PathOf(dir);
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::NotFound(path + ": no model (holo recommend train --model " + dir + ")");
  const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::string_view in = bytes;
  const Status damaged = Status::DataLoss(path + ": damaged model file");
  if (!in.starts_with(kMagic)) return damaged;
  in.remove_prefix(kMagic.size());
  TrainedModel m;
  std::string_view algo, s;
  uint64_t n = 0;
  if (!coding::GetLengthPrefixed(&in, &algo) || in.empty()) return damaged;
  m.options.algo = std::string(algo);
  m.options.use_weights = in[0] != 0;
  in.remove_prefix(1);
  if (!coding::GetVarint64(&in, &n)) return damaged;
  for (uint64_t i = 0; i < n; ++i) {
    if (!coding::GetLengthPrefixed(&in, &s)) return damaged;
    m.data.item_index.emplace(std::string(s), static_cast<uint32_t>(i));
    m.data.items.emplace_back(s);
  }
  if (!coding::GetVarint64(&in, &n)) return damaged;
  m.data.by_user.resize(n);
  for (uint64_t u = 0; u < n; ++u) {
    uint64_t events = 0;
    if (!coding::GetLengthPrefixed(&in, &s) || !coding::GetVarint64(&in, &events)) return damaged;
    m.data.user_index.emplace(std::string(s), static_cast<uint32_t>(u));
    m.data.users.emplace_back(s);
    for (uint64_t k = 0; k < events; ++k) {
      Dataset::Event e;
      uint64_t item = 0;
      if (!coding::GetVarint64(&in, &item) || item >= m.data.items.size() || in.size() < sizeof(float)) return damaged;
      e.item = static_cast<uint32_t>(item);
      std::memcpy(&e.weight, in.data(), sizeof(float));
      in.remove_prefix(sizeof(float));
      if (!coding::GetVarsint64(&in, &e.ts)) return damaged;
      m.data.by_user[u].push_back(e);
    }
  }
  if (!coding::GetLengthPrefixed(&in, &s)) return damaged;
  HOLO_ASSIGN_OR_RETURN(m.model, MakeRecommender(m.options));
  HOLO_RETURN_IF_ERROR(m.model->Load(s));
  if (!in.empty()) {
    std::string_view extra;
    if (!coding::GetLengthPrefixed(&in, &extra) || !in.empty()) return damaged;
    m.extra = std::string(extra);
  }
  return m;
}

}  // namespace holo::recommend
