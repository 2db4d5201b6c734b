// The leave-one-out shadow split (equalised IN/OUT counts) and RMIA's population.
#include "cwrf/attack/protocol.h"
#include "cwrf/common/error.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace cwrf::attack {
namespace {

// 4 models, 4 examples, each example IN for 2 models (LiRA's split for K = 4).
MembershipMask four_models() {
  MembershipMask m(4, 4);
  const int in[4][4] = {{1, 0, 1, 0}, {1, 1, 0, 0}, {0, 1, 0, 1}, {0, 0, 1, 1}};
  for (int64_t k = 0; k < 4; ++k)
    for (int64_t n = 0; n < 4; ++n) m.set(k, n, in[k][n] != 0);
  return m;
}

TEST(Protocol, ShadowSplitIsEqualisedAndExcludesTheTarget) {
  const MembershipMask m = four_models();
  const ShadowSplit s = split_shadows(m, 0);
  // Members of model 0 (examples 0, 2) have 1 IN and 2 OUT shadows, non-members 2 IN and 1 OUT:
  // equalised to 1 and 1, the first in model order.
  EXPECT_EQ(s.in_count, 1);
  EXPECT_EQ(s.out_count, 1);
  EXPECT_EQ(s.in_row(0)[0], 1);   // example 0: IN for 0 (target) and 1
  EXPECT_EQ(s.out_row(0)[0], 2);  // OUT for 2, 3
  EXPECT_EQ(s.in_row(1)[0], 1);   // example 1: IN for 1, 2; OUT for 0 (target), 3
  EXPECT_EQ(s.out_row(1)[0], 3);
  EXPECT_EQ(s.in_row(3)[0], 2);   // example 3: IN for 2, 3; OUT for 0 (target), 1
  EXPECT_EQ(s.out_row(3)[0], 1);
  for (int64_t n = 0; n < 4; ++n) {
    EXPECT_NE(s.in_row(n)[0], 0);
    EXPECT_NE(s.out_row(n)[0], 0);
    EXPECT_TRUE(m(s.in_row(n)[0], n));
    EXPECT_FALSE(m(s.out_row(n)[0], n));
  }
  EXPECT_EQ(target_membership(m, 0), (std::vector<uint8_t>{1, 0, 1, 0}));
  EXPECT_THROW(split_shadows(m, 4), Error);
}

TEST(Protocol, TwoModelsHaveNoInShadowForTheTargetsMembers) {
  MembershipMask m(2, 2);
  m.set(0, 0, true);
  m.set(1, 1, true);
  const ShadowSplit s = split_shadows(m, 0);
  EXPECT_EQ(s.in_count, 0);
  EXPECT_EQ(s.out_count, 0);
}

TEST(Protocol, PopulationIsTheTargetsNonMembersOrASeededSubset) {
  MembershipMask m(2, 10);
  for (int64_t n = 0; n < 10; n += 3) m.set(0, n, true);  // members 0, 3, 6, 9
  EXPECT_EQ(rmia_population(m, 0, 0, 1), (std::vector<int64_t>{1, 2, 4, 5, 7, 8}));
  const auto a = rmia_population(m, 0, 3, 5), b = rmia_population(m, 0, 3, 5);
  EXPECT_EQ(a, b);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  for (int64_t z : a) EXPECT_FALSE(m(0, z));
  bool differs = false;
  for (uint64_t seed = 0; seed < 10 && !differs; ++seed) differs = rmia_population(m, 0, 3, seed) != a;
  EXPECT_TRUE(differs);
  EXPECT_THROW(rmia_population(m, 0, 7, 0), Error);
}

}  // namespace
}  // namespace cwrf::attack
