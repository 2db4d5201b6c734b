#include "cwrf/common/error.h"
#include "cwrf/data/batches.h"
#include "cwrf/data/normalize.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <vector>

namespace cwrf::data {
namespace {

// Row i of the set is identifiable from its input (every pixel = i % 256) and its label (i).
Prepared rows(int64_t n) {
  Prepared p;
  p.inputs = torch::arange(n, torch::kFloat32).view({n, 1, 1, 1}).expand({n, 1, 4, 4}).contiguous();
  p.labels = torch::arange(n, torch::kInt64);
  p.indices = torch::arange(n, torch::kInt64);
  p.num_classes = n;
  return p;
}

// The positions of every batch of one epoch, concatenated; checks each batch's consistency.
torch::Tensor epoch_order(BatchLoader& loader, const Prepared& data, int64_t epoch, std::vector<int64_t>* sizes = nullptr) {
  loader.start_epoch(epoch);
  std::vector<torch::Tensor> parts;
  while (auto batch = loader.next()) {
    EXPECT_TRUE(torch::equal(batch->labels, data.labels.index_select(0, batch->positions)));
    if (sizes) sizes->push_back(batch->positions.size(0));
    parts.push_back(batch->positions);
  }
  return parts.empty() ? torch::empty({0}, torch::kInt64) : torch::cat(parts);
}

TEST(BatchLoader, EveryRowOncePerEpoch) {
  Prepared data = rows(103);
  LoaderOptions o;
  o.batch_size = 10;
  o.seed = 42;
  BatchLoader loader(data, o);
  EXPECT_EQ(loader.num_batches(), 11);
  for (int64_t epoch : {0, 1, 5}) {
    torch::Tensor order = epoch_order(loader, data, epoch);
    ASSERT_EQ(order.size(0), 103);
    EXPECT_TRUE(torch::equal(std::get<0>(order.sort()), torch::arange(103, torch::kInt64)));
  }
}

TEST(BatchLoader, OrderIsAFunctionOfSeedAndEpoch) {
  Prepared data = rows(200);
  LoaderOptions o;
  o.batch_size = 32;
  o.seed = 7;
  BatchLoader a(data, o);
  BatchLoader b(data, o);
  torch::Tensor a3 = epoch_order(a, data, 3);
  epoch_order(b, data, 0);  // b's history differs: it must not matter
  epoch_order(b, data, 1);
  EXPECT_TRUE(torch::equal(a3, epoch_order(b, data, 3)));
  EXPECT_TRUE(torch::equal(a3, epoch_order(a, data, 3)));  // restarting an epoch replays it
  EXPECT_FALSE(torch::equal(a3, epoch_order(a, data, 4)));
  EXPECT_FALSE(torch::equal(a3, torch::arange(200, torch::kInt64)));
  LoaderOptions other = o;
  other.seed = 8;
  BatchLoader c(data, other);
  EXPECT_FALSE(torch::equal(a3, epoch_order(c, data, 3)));
}

TEST(BatchLoader, PartialLastBatchAndDropLast) {
  Prepared data = rows(25);
  LoaderOptions o;
  o.batch_size = 10;
  std::vector<int64_t> sizes;
  BatchLoader keep(data, o);
  EXPECT_EQ(epoch_order(keep, data, 0, &sizes).size(0), 25);
  EXPECT_EQ(sizes, (std::vector<int64_t>{10, 10, 5}));
  EXPECT_EQ(keep.num_batches(), 3);

  o.drop_last = true;
  sizes.clear();
  BatchLoader drop(data, o);
  torch::Tensor order = epoch_order(drop, data, 0, &sizes);
  EXPECT_EQ(sizes, (std::vector<int64_t>{10, 10}));
  EXPECT_EQ(drop.num_batches(), 2);
  EXPECT_EQ(std::get<0>(torch::_unique(order)).size(0), 20);  // no row twice
}

TEST(BatchLoader, NoShuffleKeepsTheOrder) {
  Prepared data = rows(9);
  LoaderOptions o;
  o.batch_size = 4;
  o.shuffle = false;
  BatchLoader loader(data, o);
  EXPECT_TRUE(torch::equal(epoch_order(loader, data, 2), torch::arange(9, torch::kInt64)));
}

TEST(BatchLoader, AugmentationIsReproduciblePerEpoch) {
  Prepared data = rows(64);
  LoaderOptions o;
  o.batch_size = 64;
  o.seed = 1;
  o.augment.crop = true;
  o.augment.padding = 1;
  BatchLoader a(data, o);
  BatchLoader b(data, o);
  a.start_epoch(2);
  b.start_epoch(2);
  auto x = a.next();
  auto y = b.next();
  ASSERT_TRUE(x && y);
  EXPECT_TRUE(torch::equal(x->inputs, y->inputs));
  // Some samples lost a row or column to the zero padding: the crop was applied.
  EXPECT_FALSE(torch::equal(x->inputs, data.inputs.index_select(0, x->positions)));
}

TEST(BatchLoader, BadBatchSize) {
  Prepared data = rows(4);
  LoaderOptions o;
  o.batch_size = 0;
  EXPECT_THROW(BatchLoader(data, o), Error);
}

TEST(BatchPrepare, ImagesAreNormalisedOnTheSelectedRows) {
  Dataset d;
  d.inputs = torch::arange(5, torch::kInt64).mul(50).to(torch::kUInt8).view({5, 1, 1, 1}).expand({5, 1, 2, 2}).contiguous();
  d.labels = torch::tensor({0, 1, 0, 1, 2}, torch::kInt64);
  d.num_classes = 3;
  Normalization n{{0.5}, {0.25}};
  torch::Tensor idx = torch::tensor({4, 1}, torch::kInt64);
  Prepared p = prepare(d, idx, n);
  EXPECT_EQ(p.inputs.scalar_type(), torch::kFloat32);
  EXPECT_EQ(p.inputs.sizes(), (std::vector<int64_t>{2, 1, 2, 2}));
  EXPECT_NEAR(p.inputs[0][0][0][0].item<float>(), (200.0 / 255 - 0.5) / 0.25, 1e-5);
  EXPECT_NEAR(p.inputs[1][0][1][1].item<float>(), (50.0 / 255 - 0.5) / 0.25, 1e-5);
  EXPECT_TRUE(torch::equal(p.labels, torch::tensor({2, 1}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(p.indices, idx));
  EXPECT_EQ(p.num_classes, 3);
  EXPECT_EQ(prepare(d, torch::Tensor(), n).size(), 5);
}

TEST(BatchPrepare, TextIsSelectedUnchanged) {
  Dataset d;
  d.inputs = torch::arange(12, torch::kInt64).view({4, 3});
  d.labels = torch::tensor({1, 0, 1, 0}, torch::kInt64);
  d.num_classes = 2;
  Prepared p = prepare(d, torch::tensor({2, 0}, torch::kInt64), Normalization{});
  EXPECT_EQ(p.inputs.scalar_type(), torch::kInt64);
  EXPECT_TRUE(torch::equal(p.inputs, torch::tensor({6, 7, 8, 0, 1, 2}, torch::kInt64).view({2, 3})));
}

TEST(BatchPrepare, OutOfRangeRowsAreAnError) {
  Dataset d;
  d.inputs = torch::zeros({3, 4}, torch::kInt64);
  d.labels = torch::zeros({3}, torch::kInt64);
  d.name = "tiny";
  EXPECT_THROW(prepare(d, torch::tensor({0, 3}, torch::kInt64), Normalization{}), Error);
}

}  // namespace
}  // namespace cwrf::data

namespace cwrf::data {
namespace {

TEST(PoissonBatchLoader, RateStepsAndDeterminism) {
  Prepared p;
  p.inputs = torch::arange(1000, torch::kFloat32).view({1000, 1, 1, 1});
  p.labels = torch::zeros({1000}, torch::kInt64);
  p.indices = torch::arange(1000);
  LoaderOptions o;
  o.batch_size = 100;
  o.seed = 7;
  PoissonBatchLoader loader(p, o);
  EXPECT_DOUBLE_EQ(loader.sampling_rate(), 0.1);
  EXPECT_EQ(loader.num_batches(), 10);
  int64_t steps = 0, total = 0;
  std::vector<torch::Tensor> first;
  while (auto b = loader.next()) {
    ++steps;
    total += b->labels.size(0);
    first.push_back(b->positions);
    // Rows are distinct within a batch and the inputs are those rows.
    EXPECT_TRUE(torch::equal(b->inputs.view({-1}), b->positions.to(torch::kFloat32)));
  }
  EXPECT_EQ(steps, 10);
  EXPECT_NEAR(total, 1000, 200);  // Binomial(10 x 1000, 0.1): sd ~ 30
  loader.start_epoch(0);
  for (const auto& pos : first) EXPECT_TRUE(torch::equal(loader.next()->positions, pos));
  loader.start_epoch(1);
  EXPECT_FALSE(torch::equal(loader.next()->positions, first[0]));
}

TEST(PoissonBatchLoader, EmptyBatchesAreBatchesWithZeroRows) {
  Prepared p;
  p.inputs = torch::zeros({2000, 1, 1, 1});
  p.labels = torch::zeros({2000}, torch::kInt64);
  p.indices = torch::arange(2000);
  LoaderOptions o;
  o.batch_size = 1;  // q = 1/2000: most batches are empty
  PoissonBatchLoader loader(p, o);
  int64_t empty = 0;
  while (auto b = loader.next())
    if (b->labels.size(0) == 0) {
      ++empty;
      EXPECT_EQ(b->inputs.size(0), 0);
    }
  EXPECT_GT(empty, 500);
}

}  // namespace
}  // namespace cwrf::data
