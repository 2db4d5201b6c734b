// FLOP counts from a recorded forward pass, against hand computations of the layer shapes.
#include "cwrf/models/flops.h"
#include "cwrf/models/registry.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace cwrf::models {
namespace {

TEST(Flops, CnnMatchesTheLayerShapesByHand) {
  ModelSpec spec;  // cnn, 1x28x28, 10 classes
  spec.width = 16;
  ClassifierPtr model = make_model(resolve(spec));
  const FlopCount f = count_flops(*model, torch::zeros({1, 1, 28, 28}));
  // conv1 3x3, 1 -> 16 channels on 28x28: 2 * 16*28*28 * 9; conv2 3x3, 16 -> 32 on 14x14:
  // 2 * 32*14*14 * 16*9; fc1 32*7*7 -> 128; fc2 128 -> 10.
  EXPECT_DOUBLE_EQ(f.conv, 2.0 * 16 * 28 * 28 * 9 + 2.0 * 32 * 14 * 14 * 16 * 9);
  EXPECT_DOUBLE_EQ(f.linear, 2.0 * 128 * 32 * 7 * 7 + 2.0 * 10 * 128);
  EXPECT_DOUBLE_EQ(f.attention, 0.0);
  EXPECT_DOUBLE_EQ(f.train_step(), 3.0 * f.forward());
  ASSERT_EQ(f.layers.size(), 4u);
  EXPECT_EQ(f.layers[0].kind, "conv");
  EXPECT_EQ(f.layers[2].weight_shape, (std::vector<int64_t>{128, 32 * 7 * 7}));
}

TEST(Flops, VitCountsItsAttentionProducts) {
  ModelSpec spec;
  spec.name = "vit";  // dim 64, depth 4, heads 4, mlp 128, patch 4 on 1x28x28: 49 patches + cls = 50 tokens
  const ModelSpec resolved = resolve(spec);
  ClassifierPtr model = make_model(resolved);
  const FlopCount f = count_flops(*model, torch::zeros({1, 1, 28, 28}));
  const double n = 50, inner = 64;  // heads x dim_head = 64 in the default preset
  EXPECT_DOUBLE_EQ(f.attention, resolved.depth * 2.0 * 2.0 * n * n * inner);
  EXPECT_GT(f.linear, 0.0);
  EXPECT_DOUBLE_EQ(f.conv, 0.0);
}

}  // namespace
}  // namespace cwrf::models
