// Tests for ResNet18 (CIFAR form): the standard parameter count, shapes, norm choices.
#include "cwrf/models/norm.h"
#include "cwrf/models/registry.h"
#include "cwrf/models/resnet.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace cwrf::models {
namespace {

ModelSpec resnet_spec(int64_t channels, int64_t size, const std::string& norm = "batch", int64_t width = 0) {
  ModelSpec spec;
  spec.name = "resnet18";
  spec.in_channels = channels;
  spec.image_size = size;
  spec.norm = norm;
  spec.width = width;
  return spec;
}

TEST(ResNet18, HasTheStandardParameterCount) {
  // kuangliu/pytorch-cifar ResNet18 on CIFAR-10: 11,173,962 parameters.
  EXPECT_EQ(count_parameters(*make_model(resnet_spec(3, 32))), 11173962);
  // Its norm layers hold 2 * (64 + 4*64 + (4*128 + 128) + (4*256 + 256) + (4*512 + 512)) = 9,600;
  // group norm keeps them (affine), none drops them.
  EXPECT_EQ(count_parameters(*make_model(resnet_spec(3, 32, "group"))), 11173962);
  EXPECT_EQ(count_parameters(*make_model(resnet_spec(3, 32, "none"))), 11173962 - 9600);
}

TEST(ResNet18, OutputShapes) {
  auto model = make_model(resnet_spec(3, 32));
  EXPECT_EQ(model->forward(torch::randn({2, 3, 32, 32})).sizes(), (std::vector<int64_t>{2, 10}));
  auto gray = make_model(resnet_spec(1, 28));
  EXPECT_EQ(gray->forward(torch::randn({2, 1, 28, 28})).sizes(), (std::vector<int64_t>{2, 10}));
}

TEST(ResNet18, RunsWithGroupNormAndWithoutNorm) {
  for (const std::string norm : {"group", "none"}) {
    for (auto [channels, size] : {std::pair<int64_t, int64_t>{1, 28}, {3, 32}}) {
      auto model = make_model(resnet_spec(channels, size, norm, /*width=*/16));
      torch::Tensor out = model->forward(torch::randn({2, channels, size, size}));
      EXPECT_EQ(out.sizes(), (std::vector<int64_t>{2, 10})) << norm;
      EXPECT_TRUE(out.isfinite().all().item<bool>()) << norm;
    }
  }
  // Per-sample normalisation: in train mode a sample's logits do not depend on the rest of the batch
  // (what DP-SGD needs), unlike batch norm.
  auto model = make_model(resnet_spec(3, 32, "group", 16));
  torch::Tensor x = torch::randn({3, 3, 32, 32});
  EXPECT_TRUE(torch::allclose(model->forward(x).slice(0, 0, 1), model->forward(x.slice(0, 0, 1)), 1e-4, 1e-5));
}

TEST(ResNet18, ParameterNamesFollowTheReference) {
  auto params = make_model(resnet_spec(3, 32, "batch", 8))->named_parameters();
  for (const char* name : {"conv1.weight", "bn1.weight", "layer1.0.conv1.weight", "layer1.1.bn2.bias",
                           "layer2.0.shortcut.0.weight", "layer2.0.shortcut.1.weight", "layer4.1.conv2.weight",
                           "linear.weight", "linear.bias"}) {
    EXPECT_TRUE(params.contains(name)) << name;
  }
  // Identity shortcuts where the shape is kept; convs carry no bias.
  EXPECT_FALSE(params.contains("layer1.0.shortcut.0.weight"));
  EXPECT_FALSE(params.contains("layer2.1.shortcut.0.weight"));
  EXPECT_FALSE(params.contains("conv1.bias"));
  EXPECT_EQ(params["layer4.1.conv2.weight"].sizes(), (std::vector<int64_t>{64, 64, 3, 3}));
}

TEST(ResNet18, GroupNormUsesTheLargestDivisorUpTo32Groups) {
  EXPECT_EQ(group_count(64), 32);
  EXPECT_EQ(group_count(32), 32);
  EXPECT_EQ(group_count(16), 16);
  EXPECT_EQ(group_count(48), 24);
  EXPECT_EQ(group_count(40), 20);
  EXPECT_EQ(group_count(33), 11);
  EXPECT_EQ(group_count(31), 31);
  EXPECT_EQ(group_count(37), 1);
  EXPECT_EQ(group_count(1), 1);
}

}  // namespace
}  // namespace cwrf::models
