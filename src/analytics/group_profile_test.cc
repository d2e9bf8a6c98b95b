#include "analytics/group_profile.h"

#include <gtest/gtest.h>

namespace holo::analytics {
namespace {

Roaring Range(uint32_t lo, uint32_t hi) {
  Roaring r;
  r.addRange(lo, hi);
  return r;
}

const CellResult* Cell(const GroupProfile& p, std::string_view dim, std::string_view label) {
  for (const auto& d : p.dimensions) {
    if (d.name != dim) continue;
    for (const auto& c : d.cells) {
      if (c.label == label) return &c;
    }
  }
  return nullptr;
}

// A population of 1000 rows: city Shanghai = rows [0,300), Hangzhou = [300,303),
// Beijing = [303,1000).
class GroupProfileTest : public ::testing::Test {
 protected:
  GroupProfileTest() : population_(Range(0, 1000)) {
    Dimension city;
    city.name = "city";
    city.partition = true;
    city.cells.emplace_back("Shanghai", Range(0, 300));
    city.cells.emplace_back("Hangzhou", Range(300, 303));
    city.cells.emplace_back("Beijing", Range(303, 1000));
    dims_.push_back(std::move(city));
  }

  Result<GroupProfile> Run(const Roaring& members, std::vector<const Roaring*> previous = {}, uint32_t k = 50) {
    GroupProfileInput in;
    in.members = &members;
    in.population = &population_;
    in.dimensions = dims_;
    in.previous = std::move(previous);
    GroupProfileOptions o;
    o.k = k;
    return ComputeGroupProfile(in, o);
  }

  Roaring population_;
  std::vector<Dimension> dims_;
};

TEST_F(GroupProfileTest, KHasAFloorOfTenAndSmallGroupsGetNothing) {
  EXPECT_EQ(Run(Range(0, 500), {}, 9).status().code(), StatusCode::kInvalidArgument);
  auto small = Run(Range(0, 49));
  EXPECT_EQ(small.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Run(Range(0, 50)).ok());
}

TEST_F(GroupProfileTest, SmallCellsAndTheirComplementAreSuppressed) {
  // Rows [250, 400): Shanghai 50, Hangzhou 3, Beijing 97.
  auto p = Run(Range(250, 400));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const CellResult* hz = Cell(*p, "city", "Hangzhou");
  ASSERT_NE(hz, nullptr);
  EXPECT_TRUE(hz->suppressed);
  EXPECT_EQ(hz->count, 0u);
  // With Hangzhou alone hidden, 150 - 50 - 97 = 3 would reveal it: Shanghai (the smallest
  // visible) is hidden as well.
  const CellResult* sh = Cell(*p, "city", "Shanghai");
  ASSERT_NE(sh, nullptr);
  EXPECT_TRUE(sh->suppressed);
  EXPECT_EQ(sh->reason, "complementary");
  const CellResult* bj = Cell(*p, "city", "Beijing");
  ASSERT_NE(bj, nullptr);
  EXPECT_FALSE(bj->suppressed);
  EXPECT_EQ(bj->count, 97u);
  // Index vs the population: 97/150 of the group against 697/1000 of everyone.
  EXPECT_NEAR(bj->index, (97.0 / 150) / (697.0 / 1000) * 100, 1e-9);
  EXPECT_EQ(p->suppressed_cells, 2u);
}

// Issue #17: when most of the population has no city, the index must compare people who
// have one. Population: 1000 rows, 600 unknown, Shanghai [600,800), Beijing [800,1000). The
// group: 100 Shanghai, 100 Beijing and 100 unknown. Among those with a city, the group is
// half Shanghai like everyone: index 100 (over everyone it would be 100/300 vs 200/1000 =
// 166.7 for both cities).
TEST_F(GroupProfileTest, TheIndexIsOverPeopleWhoHaveAValue) {
  Dimension city;
  city.name = "city";
  city.partition = true;
  city.cells.emplace_back("Shanghai", Range(600, 800));
  city.cells.emplace_back("Beijing", Range(800, 1000));
  city.cells.emplace_back("unknown", Range(0, 600));
  dims_ = {std::move(city)};
  Roaring members = Range(0, 100);
  members |= Range(600, 700);
  members |= Range(800, 900);
  auto p = Run(members);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  for (const char* label : {"Shanghai", "Beijing"}) {
    const CellResult* c = Cell(*p, "city", label);
    ASSERT_NE(c, nullptr);
    ASSERT_FALSE(c->suppressed);
    EXPECT_DOUBLE_EQ(c->share, 0.5) << label;
    EXPECT_NEAR(c->index, 100, 1e-9) << label;
  }
  const CellResult* unknown = Cell(*p, "city", "unknown");
  ASSERT_NE(unknown, nullptr);
  EXPECT_TRUE(unknown->unknown);
  EXPECT_NEAR(unknown->share, 100.0 / 300, 1e-9);  // the unknown cell's share is of everyone
  EXPECT_EQ(p->ToJson().find("\"value\":\"unknown\",\"count\":100,\"share\":0.3333,\"index\""), std::string::npos)
      << p->ToJson();
}

TEST_F(GroupProfileTest, AGroupThatDiffersByOnePersonIsRefused) {
  Roaring first = Range(0, 200);
  ASSERT_TRUE(Run(first).ok());
  Roaring second = first;
  second.remove(7);  // the attacker's target
  auto p = Run(second, {&first});
  EXPECT_EQ(p.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(p.status().message().find("differs from an earlier answered group by 1 "), std::string::npos);
  // The same group again is fine (it reveals nothing new).
  EXPECT_TRUE(Run(first, {&first}).ok());
}

TEST_F(GroupProfileTest, OverlappingQueriesDoNotRevealASuppressedCell) {
  // First group: Shanghai 100 of rows [200,300) + Beijing 100 → Shanghai shown as 100.
  Roaring first = Range(200, 300);
  first |= Range(500, 600);
  auto a = Run(first);
  ASSERT_TRUE(a.ok());
  ASSERT_FALSE(Cell(*a, "city", "Shanghai")->suppressed);
  EXPECT_EQ(Cell(*a, "city", "Shanghai")->count, 100u);
  // Second group adds 3 Hangzhou rows and 60 Beijing rows: on its own every cell but
  // Hangzhou would be shown, and Shanghai(second) - Shanghai(first) = 0 says nothing, but
  // Beijing(second) - Beijing(first) = 60 is fine; the Hangzhou cell (3) must stay hidden
  // and no visible difference may equal it.
  Roaring second = first;
  second |= Range(300, 303);
  second |= Range(700, 760);
  auto b = Run(second, {&first});
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_TRUE(Cell(*b, "city", "Hangzhou")->suppressed);
  for (const auto& d : b->dimensions) {
    for (const auto& c : d.cells) {
      const CellResult* before = Cell(*a, d.name, c.label);
      if (c.suppressed || before == nullptr || before->suppressed) continue;
      uint64_t diff = c.count - before->count;
      EXPECT_TRUE(diff == 0 || diff >= 50) << c.label << " differs by " << diff;
    }
  }
  // A third group that adds only 5 Beijing rows to the first is refused outright.
  Roaring third = first;
  third |= Range(900, 905);
  EXPECT_EQ(Run(third, {&first}).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(GroupProfileTest, DifferencingSuppressesTheCellThatWouldLeak) {
  // First: 200 Beijing rows. Second: the same plus 55 Shanghai rows and 4 more Beijing
  // rows: the Beijing difference (4) would reveal those four people's city.
  Roaring first = Range(400, 600);
  ASSERT_TRUE(Run(first).ok());
  Roaring second = first;
  second |= Range(0, 55);
  second |= Range(600, 604);
  auto b = Run(second, {&first});
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  const CellResult* bj = Cell(*b, "city", "Beijing");
  EXPECT_TRUE(bj->suppressed);
  EXPECT_EQ(bj->reason, "differencing");
}

TEST_F(GroupProfileTest, NoiseKeepsCountsNearAndNonNegative) {
  GroupProfileInput in;
  Roaring members = Range(0, 1000);
  in.members = &members;
  in.population = &population_;
  in.dimensions = dims_;
  GroupProfileOptions o;
  o.epsilon = 1.0;
  o.noise_seed = 42;
  auto p = ComputeGroupProfile(in, o);
  ASSERT_TRUE(p.ok());
  // Hangzhou (3) is hidden, and Shanghai with it (complementary); Beijing is shown.
  const CellResult* bj = Cell(*p, "city", "Beijing");
  ASSERT_FALSE(bj->suppressed);
  EXPECT_NEAR(static_cast<double>(bj->count), 697, 15);  // Laplace(1): |x| > 15 has p < 1e-6
  bool any_differs = false;
  for (uint64_t seed = 43; seed < 53 && !any_differs; ++seed) {
    o.noise_seed = seed;
    auto q = ComputeGroupProfile(in, o);
    any_differs = Cell(*q, "city", "Beijing")->count != 697;
  }
  EXPECT_TRUE(any_differs) << "noise never changed a count";
}

}  // namespace
}  // namespace holo::analytics
