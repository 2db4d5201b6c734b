// Tests for the small CNN: parameter count by hand, output shapes, norm choices.
#include "cwrf/common/error.h"
#include "cwrf/models/cnn.h"
#include "cwrf/models/registry.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace cwrf::models {
namespace {

ModelSpec cnn_spec(int64_t channels, int64_t size, const std::string& norm = "batch") {
  ModelSpec spec;
  spec.name = "cnn";
  spec.in_channels = channels;
  spec.image_size = size;
  spec.norm = norm;
  return spec;
}

TEST(Cnn, ParameterCountMatchesHandComputation) {
  // Default w = 32, hidden 128, 10 classes, 1x28x28 (Fashion-MNIST):
  //   conv1 1*32*9 + 32            =     320
  //   bn1   2*32                   =      64
  //   conv2 32*64*9 + 64           =  18,496
  //   bn2   2*64                   =     128
  //   fc1   (64*7*7)*128 + 128     = 401,536   (3136 inputs)
  //   fc2   128*10 + 10            =   1,290
  //   total                        = 421,834
  EXPECT_EQ(count_parameters(*make_model(cnn_spec(1, 28))), 421834);
  // 3x32x32: conv1 3*32*9 + 32 = 896, fc1 (64*8*8)*128 + 128 = 524,416;
  //   896 + 64 + 18,496 + 128 + 524,416 + 1,290 = 545,290
  EXPECT_EQ(count_parameters(*make_model(cnn_spec(3, 32))), 545290);
  // GroupNorm is affine too (same count); no norm drops bn1 + bn2 = 192.
  EXPECT_EQ(count_parameters(*make_model(cnn_spec(1, 28, "group"))), 421834);
  EXPECT_EQ(count_parameters(*make_model(cnn_spec(1, 28, "none"))), 421834 - 192);
}

TEST(Cnn, OutputShapesForEveryNorm) {
  for (const std::string norm : {"batch", "group", "none"}) {
    for (auto [channels, size] : {std::pair<int64_t, int64_t>{1, 28}, {3, 32}}) {
      auto model = make_model(cnn_spec(channels, size, norm));
      torch::Tensor out = model->forward(torch::randn({3, channels, size, size}));
      EXPECT_EQ(out.sizes(), (std::vector<int64_t>{3, 10})) << norm << " " << channels << "x" << size;
    }
  }
}

TEST(Cnn, ParameterNames) {
  auto params = make_model(cnn_spec(1, 28))->named_parameters();
  for (const char* name : {"conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias", "conv2.weight", "bn2.weight",
                           "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}) {
    EXPECT_TRUE(params.contains(name)) << name;
  }
  EXPECT_EQ(params.size(), 12u);
}

TEST(Cnn, WidthAndDropoutAreHonoured) {
  ModelSpec spec = cnn_spec(1, 28);
  spec.width = 8;
  spec.dropout = 0.5;
  auto model = make_model(spec);
  EXPECT_EQ(model->named_parameters()["conv1.weight"].size(0), 8);
  torch::Tensor x = torch::randn({4, 1, 28, 28});
  model->eval();
  EXPECT_TRUE(torch::equal(model->forward(x), model->forward(x)));  // dropout off in eval
  model->train();
  torch::manual_seed(1);
  torch::Tensor a = model->forward(x);
  torch::manual_seed(2);
  EXPECT_FALSE(torch::equal(a, model->forward(x)));
}

TEST(Cnn, RejectsImageSizeNotDivisibleByFour) {
  EXPECT_THROW(make_model(cnn_spec(1, 30)), Error);
}

}  // namespace
}  // namespace cwrf::models
