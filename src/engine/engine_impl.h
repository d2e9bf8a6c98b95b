// EngineImpl: implements include/holo/engine.h by wiring the stages in
// data-flow order: ingest (parse, validate, pseudonymize, store) -> identity
// (incremental resolution) -> profile (rebuild touched profiles).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "holo/engine.h"
#include "ingest/message_parser.h"
#include "privacy/pseudonymizer.h"
#include "storage/store.h"

namespace holo::engine {

class EngineImpl final : public Engine {
 public:
  static Result<std::unique_ptr<Engine>> Open(const Options& options);

  Status Ingest(const std::vector<std::string>& paths, const IngestOptions& options,
                IngestReport* report) override;
  Status Resolve(bool full, ResolveReport* report, double full_threshold = 0.25) override;
  Result<uint64_t> LookupOneId(std::string_view type, std::string_view raw_value) override;
  Result<std::string> ProfileJson(std::string_view id) override;
  Status ExportProfiles(std::ostream& out) override;
  Status ExportEvents(std::ostream& out) override;
  Status ExportGraph(std::ostream& nodes, std::ostream& edges) override;
  Result<StoreStats> Stats() override;
  Result<Explanation> Explain(std::string_view a, std::string_view b) override;
  void SetLog(std::function<void(const std::string&)> log) override { log_ = std::move(log); }

 private:
  EngineImpl(Options options, std::unique_ptr<storage::Store> store, privacy::PseudonymKey key);

  // Returns the canonical type and the pseudonym of a raw identifier, or
  // nullopt for a value that identifies no one (randomized MAC, placeholder).
  Result<std::optional<privacy::Pseudonym>> PseudonymOf(std::string_view type, std::string_view raw);
  // Returns the identity-graph nodes `id` names: a OneID's members, or one identifier.
  Result<std::vector<privacy::Pseudonym>> NodesOf(std::string_view id);

  Options options_;
  std::unique_ptr<storage::Store> store_;
  privacy::Pseudonymizer pseudonymizer_;
  ingest::ParserOptions parser_options_;
  std::function<void(const std::string&)> log_;
};

}  // namespace holo::engine
