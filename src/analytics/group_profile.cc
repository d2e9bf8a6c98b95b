#include "analytics/group_profile.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "common/json_writer.h"

namespace holo::analytics {
namespace {

struct WorkCell {
  std::string label;
  uint64_t count = 0;       // true count in the group
  uint64_t pop_count = 0;   // true count in the population
  const Roaring* rows = nullptr;
  bool suppressed = false;
  std::string reason;
};

void Suppress(WorkCell* c, const char* reason) {
  if (c->suppressed) return;
  c->suppressed = true;
  c->reason = reason;
}

// Rule 4: the suppressed cells of a partition must together count 0 or >= k.
void ComplementarySuppression(std::vector<WorkCell>* cells, uint32_t k) {
  for (;;) {
    uint64_t hidden = 0;
    for (const WorkCell& c : *cells) hidden += c.suppressed ? c.count : 0;
    bool any_hidden = std::any_of(cells->begin(), cells->end(), [](const WorkCell& c) { return c.suppressed; });
    if (!any_hidden || hidden >= k) return;
    // Hidden people could be derived: hide the smallest visible non-empty cell too.
    WorkCell* smallest = nullptr;
    for (WorkCell& c : *cells) {
      if (!c.suppressed && c.count > 0 && (smallest == nullptr || c.count < smallest->count)) smallest = &c;
    }
    if (smallest == nullptr) return;  // hidden > 0 is then the whole group: nothing else shown
    Suppress(smallest, "complementary");
  }
}

}  // namespace

double Laplace(std::mt19937_64& rng, double scale) {
  std::uniform_real_distribution<double> u(-0.5, 0.5);
  double x = u(rng);
  return -scale * (x < 0 ? -1 : 1) * std::log(1 - 2 * std::fabs(x));
}

Status CheckDifferencing(const Roaring& group, const std::vector<const Roaring*>& previous, uint32_t k) {
  for (const Roaring* p : previous) {
    if (p == nullptr) continue;
    const uint64_t sym = group.xor_cardinality(*p);
    if (sym > 0 && sym < k) {
      return Status::FailedPrecondition("the group differs from an earlier answered group by " + std::to_string(sym) +
                                        " people, fewer than k=" + std::to_string(k) +
                                        ": the difference of the two answers would describe them");
    }
  }
  return Status::OK();
}

Result<GroupProfile> ComputeGroupProfile(const GroupProfileInput& in, const GroupProfileOptions& options) {
  if (options.k < kMinK) {
    return Status::InvalidArgument("minimum group size k=" + std::to_string(options.k) + " is below the floor of " +
                                   std::to_string(kMinK));
  }
  if (in.members == nullptr || in.population == nullptr) return Status::InvalidArgument("no group given");
  const Roaring& m = *in.members;
  const uint64_t size = m.cardinality();
  const uint32_t k = options.k;
  if (size < k) {
    return Status::FailedPrecondition("the group has fewer than k=" + std::to_string(k) +
                                      " members: no profile is shown");
  }
  // Rule 5a: near-duplicates of earlier groups are refused; remember the overlapping ones.
  HOLO_RETURN_IF_ERROR(CheckDifferencing(m, in.previous, k));
  struct Diff {
    Roaring only_here;
    Roaring only_there;
  };
  std::vector<Diff> diffs;
  for (const Roaring* p : in.previous) {
    if (p == nullptr) continue;
    const uint64_t sym = m.xor_cardinality(*p);
    if (sym == 0 || !m.intersect(*p)) continue;
    diffs.push_back({m - *p, *p - m});
  }

  GroupProfile out;
  out.size = size;
  out.population = in.population->cardinality();
  out.k = k;
  out.epsilon = options.epsilon;
  std::mt19937_64 rng(options.noise_seed != 0 ? options.noise_seed : std::random_device()());
  for (const Dimension& dim : in.dimensions) {
    std::vector<WorkCell> cells;
    cells.reserve(dim.cells.size());
    for (const auto& [label, rows] : dim.cells) {
      WorkCell c;
      c.label = label;
      c.rows = &rows;
      c.count = m.and_cardinality(rows);
      c.pop_count = in.population->and_cardinality(rows);
      if (c.count == 0 && !dim.partition) continue;  // not listed: says nothing
      if (c.count < k && c.count > 0) Suppress(&c, "fewer than k");
      for (const Diff& d : diffs) {
        if (c.suppressed) break;
        uint64_t a = d.only_here.and_cardinality(rows);
        uint64_t b = d.only_there.and_cardinality(rows);
        if ((a > 0 && a < k) || (b > 0 && b < k)) Suppress(&c, "differencing");
      }
      cells.push_back(std::move(c));
    }
    if (dim.partition) ComplementarySuppression(&cells, k);
    std::sort(cells.begin(), cells.end(), [](const WorkCell& a, const WorkCell& b) {
      if (a.count != b.count) return a.count > b.count;
      return a.label < b.label;
    });
    // The index compares people who have a value: in a partition, the "unknown" cell is left
    // out of both shares. The group's side uses the shown unknown count (none when suppressed),
    // so the denominator adds nothing to what the cells show.
    uint64_t group_valued = size;
    uint64_t pop_valued = out.population;
    if (dim.partition) {
      for (const WorkCell& c : cells) {
        if (c.label != kUnknownCell) continue;
        pop_valued -= std::min(pop_valued, c.pop_count);
        if (!c.suppressed) group_valued -= std::min(group_valued, c.count);
      }
    }
    DimensionResult dr;
    dr.name = dim.name;
    const double scale = options.epsilon > 0 ? std::max<uint32_t>(1, dim.max_cells_per_row) / options.epsilon : 0;
    for (const WorkCell& c : cells) {
      if (c.count == 0 && dim.partition && !c.suppressed) continue;  // empty cells of a partition: omitted
      CellResult r;
      r.label = c.label;
      r.suppressed = c.suppressed;
      r.reason = c.reason;
      if (c.suppressed) {
        out.suppressed_cells++;
      } else {
        double shown = static_cast<double>(c.count);
        if (scale > 0) shown = std::max(0.0, std::round(shown + Laplace(rng, scale)));
        r.count = static_cast<uint64_t>(shown);
        if (dim.partition && c.label == kUnknownCell) {
          r.unknown = true;
          r.share = shown / static_cast<double>(size);  // of everyone; no index
        } else {
          r.share = group_valued > 0 ? shown / static_cast<double>(group_valued) : 0;
          double pop_share = pop_valued > 0 ? static_cast<double>(c.pop_count) / pop_valued : 0;
          r.index = pop_share > 0 ? r.share / pop_share * 100 : 0;
        }
      }
      dr.cells.push_back(std::move(r));
    }
    out.dimensions.push_back(std::move(dr));
  }
  return out;
}

std::string GroupProfile::ToJson() const {
  std::string s;
  JsonWriter w(&s);
  w.BeginObject();
  w.Key("size").Uint(size);
  w.Key("population").Uint(population);
  w.Key("k").Uint(k);
  w.Key("epsilon").Double(epsilon);
  w.Key("suppressed_cells").Uint(suppressed_cells);
  w.Key("dimensions").BeginArray();
  for (const DimensionResult& d : dimensions) {
    w.BeginObject();
    w.Key("name").String(d.name);
    w.Key("cells").BeginArray();
    for (const CellResult& c : d.cells) {
      w.BeginObject();
      w.Key("value").String(c.label);
      if (c.suppressed) {
        w.Key("suppressed").Bool(true);
        w.Key("reason").String(c.reason);
      } else {
        w.Key("count").Uint(c.count);
        w.Key("share").Double(std::round(c.share * 10000) / 10000);
        if (!c.unknown) w.Key("index").Double(std::round(c.index * 10) / 10);
      }
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return s;
}

std::string GroupProfile::ToText() const {
  std::string s = "group of " + std::to_string(size) + " of " + std::to_string(population) +
                  " people; cells under k=" + std::to_string(k) + " suppressed";
  if (epsilon > 0) s += "; Laplace noise, epsilon " + std::to_string(epsilon);
  s += "\n";
  char buf[256];
  for (const DimensionResult& d : dimensions) {
    s += "\n" + d.name + "\n";
    for (const CellResult& c : d.cells) {
      if (c.suppressed) {
        std::snprintf(buf, sizeof(buf), "  %-28s %10s   (%s)\n", c.label.c_str(), ("<" + std::to_string(k)).c_str(),
                      c.reason.c_str());
      } else if (c.unknown) {
        std::snprintf(buf, sizeof(buf), "  %-28s %10llu %6.1f%%  (of everyone)\n", c.label.c_str(),
                      static_cast<unsigned long long>(c.count), c.share * 100);
      } else {
        std::snprintf(buf, sizeof(buf), "  %-28s %10llu %6.1f%%  index %5.0f\n", c.label.c_str(),
                      static_cast<unsigned long long>(c.count), c.share * 100, c.index);
      }
      s += buf;
    }
  }
  return s;
}

}  // namespace holo::analytics
