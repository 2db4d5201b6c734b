#include "cwrf/common/error.h"
#include "cwrf/data/split.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace cwrf::data {
namespace {

SplitOptions options(int64_t k, uint64_t seed = 11) {
  SplitOptions o;
  o.num_available = 500;
  o.pool_size = 200;
  o.num_models = k;
  o.ref_size = 60;
  o.seed = seed;
  return o;
}

void expect_error_naming(const SplitOptions& o, const std::string& key) {
  try {
    make_split(o);
    FAIL() << "expected cwrf::Error naming " << key;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
  }
}

TEST(Split, PoolAndReserveAreDisjointAndCoverEveryRow) {
  Split s = make_split(options(4));
  EXPECT_EQ(s.pool.size(0), 200);
  EXPECT_EQ(s.reserve.size(0), 300);
  torch::Tensor all = std::get<0>(torch::cat({s.pool, s.reserve}).sort());
  EXPECT_TRUE(torch::equal(all, torch::arange(500, torch::kInt64)));
}

TEST(Split, EachPoolPointIsInForExactlyHalfTheModels) {
  for (int64_t k : {2, 8, 9}) {
    for (uint64_t seed : {0u, 1u, 99u}) {
      Split s = make_split(options(k, seed));
      ASSERT_EQ(s.keep.sizes(), (std::vector<int64_t>{k, 200}));
      EXPECT_EQ(s.keep.scalar_type(), torch::kBool);
      torch::Tensor in_count = s.keep.sum(0);
      EXPECT_TRUE(torch::all(in_count == k / 2).item<bool>()) << "K=" << k << " seed " << seed;
      EXPECT_EQ(in_models_per_point(k), k / 2);
      // Models differ from each other (the assignment is random, not a fixed half).
      EXPECT_FALSE(torch::equal(s.keep[0], s.keep[1]));
    }
  }
}

TEST(Split, OneModelTrainsOnTheWholePool) {
  Split s = make_split(options(1));
  EXPECT_TRUE(torch::all(s.keep).item<bool>());
  EXPECT_EQ(in_models_per_point(1), 1);
  EXPECT_TRUE(torch::equal(train_indices(s, 0), std::get<0>(s.pool.sort())));
}

TEST(Split, TrainIndicesAreTheKeptPoolRowsAscending) {
  Split s = make_split(options(8));
  for (int64_t m = 0; m < 8; ++m) {
    torch::Tensor t = train_indices(s, m);
    EXPECT_EQ(t.size(0), s.keep[m].sum().item<int64_t>());
    EXPECT_TRUE(torch::equal(t, std::get<0>(t.sort())));
    EXPECT_TRUE(torch::equal(t, std::get<0>(s.pool.masked_select(s.keep[m]).sort())));
  }
  EXPECT_THROW(train_indices(s, 8), Error);
}

TEST(Split, ReferenceSetsComeFromTheReserve) {
  Split s = make_split(options(9));
  ASSERT_EQ(s.reference.size(), 9u);
  for (const auto& ref : s.reference) {
    ASSERT_EQ(ref.size(0), 60);
    EXPECT_EQ(std::get<0>(torch::_unique(ref)).size(0), 60);         // without replacement
    EXPECT_FALSE(torch::isin(ref, s.pool).any().item<bool>());       // disjoint from every attacked point
    EXPECT_TRUE(torch::isin(ref, s.reserve).all().item<bool>());
  }
  EXPECT_FALSE(torch::equal(s.reference[0], s.reference[1]));
}

TEST(Split, SameOptionsSameSplit) {
  Split a = make_split(options(8, 5));
  Split b = make_split(options(8, 5));
  EXPECT_TRUE(torch::equal(a.pool, b.pool));
  EXPECT_TRUE(torch::equal(a.reserve, b.reserve));
  EXPECT_TRUE(torch::equal(a.keep, b.keep));
  for (size_t m = 0; m < a.reference.size(); ++m) EXPECT_TRUE(torch::equal(a.reference[m], b.reference[m]));
  Split c = make_split(options(8, 6));
  EXPECT_FALSE(torch::equal(a.pool, c.pool));
}

TEST(Split, BadSizesNameTheOption) {
  SplitOptions o = options(4);
  o.pool_size = 501;
  expect_error_naming(o, "data.pool_size");
  o = options(4);
  o.pool_size = 0;
  expect_error_naming(o, "data.pool_size");
  o = options(4);
  o.ref_size = 301;
  expect_error_naming(o, "data.ref_size");
  o = options(4);
  o.ref_size = -1;
  expect_error_naming(o, "data.ref_size");
  o = options(0);
  expect_error_naming(o, "split.models");
  EXPECT_NO_THROW(make_split([] { auto x = options(4); x.ref_size = 300; return x; }()));
}

TEST(Split, SizesHelpers) {
  EXPECT_EQ(pool_size_for(100, 8), 200);
  EXPECT_EQ(pool_size_for(100, 1), 100);
  EXPECT_EQ(pool_size_for(100, 9), 225);
  EXPECT_EQ(table4_sizes("cifar10").train, 18000);
  EXPECT_EQ(table4_sizes("cifar10").reference, 2000);
  EXPECT_EQ(table4_sizes("cifar100").reference, 4000);
  EXPECT_EQ(table4_sizes("cinic10").train, 25000);
  EXPECT_EQ(table4_sizes("cinic10").reference, 5000);
  EXPECT_EQ(table4_sizes("fashion-mnist").train, 10000);
  EXPECT_EQ(table4_sizes("fashion-mnist").reference, 2000);
  EXPECT_THROW(table4_sizes("imagenet"), Error);
}

}  // namespace
}  // namespace cwrf::data

namespace cwrf::data {
namespace {

TEST(Split, ValidationSetIsOutsideThePoolAndEveryReferenceSet) {
  SplitOptions o;
  o.num_available = 1000;
  o.pool_size = 400;
  o.num_models = 4;
  o.ref_size = 100;
  o.val_size = 150;
  const Split s = make_split(o);
  ASSERT_EQ(s.validation.size(0), 150);
  EXPECT_FALSE(torch::isin(s.validation, s.pool).any().item<bool>());
  for (const auto& ref : s.reference) EXPECT_FALSE(torch::isin(s.validation, ref).any().item<bool>());
  EXPECT_EQ(std::get<0>(torch::_unique(s.validation)).size(0), 150);
  o.val_size = 501;  // 400 + 100 + 501 > 1000
  EXPECT_THROW(make_split(o), Error);
}

}  // namespace
}  // namespace cwrf::data
