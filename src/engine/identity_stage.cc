// IdentityStage: identifiers as users write them, the policy in force, and resolution.
// The administration (evidence changes, policy changes and dry runs, reports, the feed,
// explanations) is in identity_admin.cc, vault matching in vault.cc.
#include "engine/identity_stage.h"

#include <charconv>
#include <utility>

#include "identity/evidence.h"
#include "identity/graph_store.h"
#include "identity/policy.h"
#include "privacy/normalize.h"
#include "storage/store.h"

namespace holo::engine {
namespace {

using storage::Cf;
namespace keys = storage::keys;

// An id as users write it: a OneID (digits) or "type:value".
struct UserId {
  uint64_t oneid = 0;  // set when the id is a OneID
  std::string_view type;
  std::string_view value;
};

Result<UserId> ParseUserId(std::string_view id) {
  UserId out;
  bool digits = !id.empty() && id.find_first_not_of("0123456789") == std::string_view::npos;
  if (digits) {
    auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), out.oneid);
    if (ec != std::errc() || end != id.data() + id.size()) {
      return Status::InvalidArgument("OneID '" + std::string(id) + "' is out of range");
    }
    return out;
  }
  size_t colon = id.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    std::string why = "'";
    why.append(id).append("' is neither a OneID (digits) nor type:value");
    return Status::InvalidArgument(why);
  }
  out.type = id.substr(0, colon);
  out.value = id.substr(colon + 1);
  return out;
}

}  // namespace

IdentityStage::IdentityStage(storage::Store* store, const privacy::Pseudonymizer& pseudonymizer,
                             const ingest::ParserOptions& parser_options, identity::MergePolicy policy)
    : store_(store), pseudonymizer_(pseudonymizer), parser_options_(parser_options), policy_(std::move(policy)) {}

Result<identity::MergePolicy> IdentityStage::LoadPolicy(const storage::Store& store) {
  HOLO_ASSIGN_OR_RETURN(auto v, store.Get(Cf::kMeta, keys::kIdentityPolicy));
  if (!v.has_value()) return identity::MergePolicy();
  return identity::ParsePolicy(*v, "stored identity policy");
}

// ---- identifiers as users write them ----

std::string IdentityStage::CanonicalType(std::string_view type) const {
  std::string canonical(type);
  if (auto it = parser_options_.account_id_types.find(canonical); it != parser_options_.account_id_types.end()) {
    canonical = "user_id@" + it->second;
  } else if (type.starts_with("user_id@")) {
    auto ns = parser_options_.source_namespace.find(std::string(type.substr(8)));
    if (ns != parser_options_.source_namespace.end()) canonical = "user_id@" + ns->second;
  }
  return canonical;
}

Result<std::optional<privacy::Pseudonym>> IdentityStage::PseudonymOf(std::string_view type,
                                                                    std::string_view raw) const {
  std::string canonical = CanonicalType(type);
  bool placeholder = false;
  auto value =
      privacy::NormalizeIdentifierValue(canonical, raw, &placeholder, parser_options_.default_phone_region);
  if (!value.ok()) return value.status();
  if (placeholder) return std::optional<privacy::Pseudonym>();
  return std::optional<privacy::Pseudonym>(pseudonymizer_.Hash(canonical, *value));
}

Result<privacy::Pseudonym> IdentityStage::NodeOf(std::string_view id) const {
  HOLO_ASSIGN_OR_RETURN(UserId parsed, ParseUserId(id));
  if (parsed.type.empty()) {
    return Status::InvalidArgument("expected an identifier as type:value, got a OneID: " + std::string(id));
  }
  HOLO_ASSIGN_OR_RETURN(auto p, PseudonymOf(parsed.type, parsed.value));
  if (!p.has_value()) {
    return Status::NotFound(std::string(id) + " identifies no one (randomized MAC or placeholder)");
  }
  return *p;
}

Result<std::vector<privacy::Pseudonym>> IdentityStage::NodesOf(std::string_view id) const {
  HOLO_ASSIGN_OR_RETURN(UserId parsed, ParseUserId(id));
  if (parsed.type.empty()) {
    HOLO_ASSIGN_OR_RETURN(auto members, identity::Members(*store_, parsed.oneid));
    if (members.empty()) return Status::NotFound("no OneID " + std::string(id));
    return members;
  }
  HOLO_ASSIGN_OR_RETURN(auto p, PseudonymOf(parsed.type, parsed.value));
  if (!p.has_value()) {
    return Status::NotFound(std::string(id) + " identifies no one (randomized MAC or placeholder)");
  }
  HOLO_ASSIGN_OR_RETURN(uint64_t oneid, identity::LookupOneId(*store_, *p));
  if (oneid == 0) return Status::NotFound("identifier " + std::string(id) + " is not known");
  return std::vector<privacy::Pseudonym>{*p};
}

Result<uint64_t> IdentityStage::OneIdOf(std::string_view id) const {
  HOLO_ASSIGN_OR_RETURN(UserId parsed, ParseUserId(id));
  uint64_t oneid = parsed.oneid;
  if (!parsed.type.empty()) {
    HOLO_ASSIGN_OR_RETURN(oneid, LookupOneId(parsed.type, parsed.value));
    if (oneid == 0) return Status::NotFound("identifier " + std::string(id) + " is not known");
  }
  return oneid;
}

Result<uint64_t> IdentityStage::LookupOneId(std::string_view type, std::string_view raw) const {
  HOLO_ASSIGN_OR_RETURN(auto p, PseudonymOf(type, raw));
  if (!p.has_value()) return uint64_t{0};
  return identity::LookupOneId(*store_, *p);
}

Result<uint64_t> IdentityStage::LookupOneIdAsOf(std::string_view type, std::string_view raw, int64_t as_of_ms) const {
  HOLO_ASSIGN_OR_RETURN(auto p, PseudonymOf(type, raw));
  if (!p.has_value()) return uint64_t{0};
  return identity::LookupOneIdAsOf(*store_, *p, as_of_ms);
}

// ---- the policy ----

identity::MergePolicy IdentityStage::policy() const {
  MutexLock lock(&policy_mu_);
  return policy_;
}

std::string IdentityStage::PolicyToml() const { return identity::FormatPolicy(policy()); }

Status IdentityStage::ApplyPolicy(std::string_view toml, bool* full) {
  HOLO_ASSIGN_OR_RETURN(identity::MergePolicy next, identity::ParsePolicy(toml, "policy"));
  const identity::MergePolicy cur = policy();
  const bool threshold_only = identity::OnlyMatchThresholdDiffers(cur, next);
  if (threshold_only && next.min_match_weight != cur.min_match_weight) {
    HOLO_RETURN_IF_ERROR(
        identity::MarkMatchThresholdChange(store_, cur.min_match_weight, next.min_match_weight).status());
  }
  HOLO_RETURN_IF_ERROR(store_->Put(Cf::kMeta, keys::kIdentityPolicy, identity::FormatPolicy(next), /*sync=*/true));
  {
    MutexLock lock(&policy_mu_);
    policy_ = std::move(next);
  }
  *full = !threshold_only;
  return Status::OK();
}

// ---- resolution ----

void IdentityStage::Written(bool begun, const identity::EvidenceBatch& evidence) {
  if (!begun && !resolving_.load()) return;
  // A resolve overlapped this write: it may delete these marks (Resolve).
  const std::vector<storage::keys::Key16> nodes = evidence.nodes();
  MutexLock lock(&remark_mu_);
  for (const auto& key : nodes) remark_.insert(key);
}

Status IdentityStage::RemarkNodesWrittenDuringResolve() {
  std::unordered_set<keys::Key16, keys::Key16Hash> nodes;
  {
    MutexLock lock(&remark_mu_);
    nodes.swap(remark_);
  }
  if (nodes.empty()) return Status::OK();
  storage::WriteBatch batch(*store_);
  for (const auto& k : nodes) batch.Put(Cf::kMeta, keys::DirtyNode(k), "");
  return store_->Write(&batch, false);
}

Status IdentityStage::Resolve(bool full, double full_threshold, std::string_view cause, const Log& log,
                              ResolveReport* report) {
  // Ingest writes may run while this does. A node one marks dirty after the marks were
  // read here could lose its mark when this resolve deletes the marks it handled: such
  // nodes are recorded (Written) and marked again, at the start (left from an earlier
  // resolve) and at the end of every resolve.
  resolving_.store(true);
  struct Done {
    IdentityStage* stage;
    ~Done() {
      stage->resolving_.store(false);
      (void)stage->RemarkNodesWrittenDuringResolve();  // a failure leaves them for the next resolve
    }
  } done{this};
  HOLO_RETURN_IF_ERROR(RemarkNodesWrittenDuringResolve());
  identity::ResolveOptions ro;
  ro.policy = policy();
  ro.force_full = full;
  ro.full_threshold = full_threshold;
  ro.log = log;
  ro.cause = std::string(cause);
  identity::ResolveStats rs;
  HOLO_RETURN_IF_ERROR(identity::ResolvePending(store_, ro, &rs));
  report->full_graph = rs.full;
  report->dirty_nodes = rs.dirty_nodes;
  report->resolved_nodes = rs.resolved_nodes;
  report->shared_nodes = rs.shared_nodes;
  report->refused_merges = rs.refused_merges;
  report->changed_nodes = rs.changed_nodes;
  report->merges = rs.merges;
  report->splits = rs.splits;
  report->resolve_seconds = rs.seconds;
  return Status::OK();
}

}  // namespace holo::engine
