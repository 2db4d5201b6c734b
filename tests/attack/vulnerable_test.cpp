// The per-example view: the strongest variant, each example's exposure (the FPR of the threshold
// that flags it) by hand, the ranking and the CSV; the image contact sheet's layout.
#include "cwrf/attack/vulnerable.h"
#include "cwrf/common/error.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace cwrf::attack {
namespace {

TargetResult target(int64_t t, std::vector<double> scores, double auc) {
  TargetResult r;
  r.target = t;
  r.scores = std::move(scores);
  r.metrics.auc = auc;
  return r;
}

TEST(Vulnerable, ExposureRankingByHand) {
  // Six examples, two targets. Target 0: members 0, 1, 2; target 1: members 2, 3, 4.
  AttackRun run;
  run.examples = 6;
  run.targets = {0, 1};
  run.membership = {{1, 1, 1, 0, 0, 0}, {0, 0, 1, 1, 1, 0}};
  VariantResult weak, strong;
  weak.name = "weak";
  strong.name = "strong";
  weak.targets = {target(0, {0, 0, 0, 0, 0, 0}, 0.5), target(1, {0, 0, 0, 0, 0, 0}, 0.5)};
  // Target 0: non-members 3, 4, 5 score 1, 2, 3. Members 0: 5 (above all: FPR 0), 1: 2 (3, 4 ≥... 2 of 3),
  // 2: 3 (1 of 3). Target 1: non-members 0, 1, 5 score 0, 0, 4; members 2: 9 (0), 3: 4 (1/3, a tie counts), 4: 1 (1/3).
  strong.targets = {target(0, {5, 2, 3, 1, 2, 3}, 0.8), target(1, {0, 0, 9, 4, 1, 4}, 0.9)};
  VariantResult skipped;
  skipped.name = "skipped";
  skipped.skipped = "too few models";
  run.variants = {weak, skipped, strong};
  const VulnerableList list = vulnerable_examples(run, 0.34, 10);
  EXPECT_EQ(list.variant, "strong");  // TPR at FPR <= 0.34: 2/3 and 3/3 against 0 and 0
  ASSERT_EQ(list.examples.size(), 5u);
  // Example 2 is a member of both targets: mean of FPR 1/3 and 0.
  const std::vector<int64_t> order = {0, 2, 3, 4, 1};
  const std::vector<double> fpr = {0.0, 1.0 / 6, 1.0 / 3, 1.0 / 3, 2.0 / 3};
  for (size_t i = 0; i < order.size(); ++i) {
    EXPECT_EQ(list.examples[i].example, order[i]) << i;
    EXPECT_NEAR(list.examples[i].fpr, fpr[i], 1e-15) << i;
  }
  EXPECT_EQ(list.examples[1].member_targets, 2);
  EXPECT_DOUBLE_EQ(list.examples[1].score, 6.0);
  EXPECT_EQ(vulnerable_examples(run, 0.34, 2).examples.size(), 2u);
  const std::string csv = vulnerable_csv(vulnerable_examples(run, 0.34, 2), torch::arange(10, 16, torch::kLong),
                                         torch::tensor({7, 7, 8, 8, 9, 9}, torch::kLong));
  EXPECT_EQ(csv, "rank,example,pool_index,label,fpr,score,member_targets,attack\n"
                 "1,0,10,7,0,5,1,strong\n"
                 "2,2,12,8,0.1666666667,6,2,strong\n");
  AttackRun none;
  none.examples = 3;
  EXPECT_EQ(vulnerable_examples(none, 0.1, 10).variant, "");
}

TEST(Vulnerable, ImageGridLayout) {
  // Three 2x3 gray images scaled by 16 (to at least 48 pixels), two per row, 2-pixel gaps.
  torch::Tensor images = torch::zeros({3, 1, 2, 3}, torch::kUInt8);
  images[0].fill_(10);
  images[1].fill_(20);
  images[2].fill_(30);
  const torch::Tensor grid = image_grid(images, {2, 0, 1}, 2);
  ASSERT_EQ(grid.sizes(), (std::vector<int64_t>{3, 2 + 2 * (32 + 2), 2 + 2 * (48 + 2)}));
  EXPECT_EQ(grid[0][0][0].item<uint8_t>(), 255);                 // gap
  EXPECT_EQ(grid[1][2][2].item<uint8_t>(), 30);                  // first tile: image 2
  EXPECT_EQ(grid[2][2 + 31][2 + 47].item<uint8_t>(), 30);
  EXPECT_EQ(grid[0][2][2 + 50].item<uint8_t>(), 10);             // second tile, same row: image 0
  EXPECT_EQ(grid[0][2 + 34][2].item<uint8_t>(), 20);             // second row: image 1
  EXPECT_EQ(grid[0][2 + 34][2 + 50].item<uint8_t>(), 255);       // nothing in the last cell
  EXPECT_THROW(image_grid(torch::zeros({2, 2, 4, 4}, torch::kUInt8), {0}), Error);
  EXPECT_THROW(image_grid(images, {5}), Error);
}

}  // namespace
}  // namespace cwrf::attack
