#include "cwrf/common/error.h"
#include "cwrf/data/augment.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

namespace cwrf::data {
namespace {

at::Generator generator(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

torch::Tensor batch() { return torch::arange(64 * 3 * 8 * 8, torch::kFloat32).reshape({64, 3, 8, 8}) + 1; }

AugmentOptions crop_and_flip(int64_t padding = 2) {
  AugmentOptions o;
  o.crop = true;
  o.flip = true;
  o.padding = padding;
  return o;
}

TEST(Augment, SameSeedSameResultOtherSeedDiffers) {
  for (uint64_t seed : {0u, 1u, 12345u}) {
    auto g1 = generator(seed);
    auto g2 = generator(seed);
    auto g3 = generator(seed + 1);
    torch::Tensor a = augment(batch(), crop_and_flip(), g1);
    torch::Tensor b = augment(batch(), crop_and_flip(), g2);
    torch::Tensor c = augment(batch(), crop_and_flip(), g3);
    EXPECT_TRUE(torch::equal(a, b)) << "seed " << seed;
    EXPECT_FALSE(torch::equal(a, c)) << "seed " << seed;
  }
}

TEST(Augment, CropKeepsShapeAndIsAShiftedWindowOfThePaddedImage) {
  AugmentOptions o;
  o.crop = true;
  o.padding = 3;
  auto g = generator(7);
  torch::Tensor x = batch();
  torch::Tensor y = augment(x, o, g);
  ASSERT_EQ(y.sizes(), x.sizes());
  torch::Tensor padded = torch::constant_pad_nd(x, {3, 3, 3, 3}, 0);
  int shifted = 0;
  for (int64_t i = 0; i < x.size(0); ++i) {
    // Exactly one window (dy, dx) of the padded sample reproduces the crop.
    int matches = 0;
    for (int64_t dy = 0; dy <= 6; ++dy)
      for (int64_t dx = 0; dx <= 6; ++dx)
        if (torch::equal(y[i], padded[i].narrow(1, dy, 8).narrow(2, dx, 8))) {
          ++matches;
          if (dy != 3 || dx != 3) ++shifted;
        }
    EXPECT_EQ(matches, 1) << "sample " << i;
  }
  EXPECT_GT(shifted, 40);  // 48 of 49 offsets move the image: most of 64 samples are shifted
}

TEST(Augment, FlipIsTorchFlipOnAboutHalfTheSamples) {
  AugmentOptions o;
  o.flip = true;
  auto g = generator(3);
  torch::Tensor x = batch();
  torch::Tensor y = augment(x, o, g);
  int flipped = 0;
  for (int64_t i = 0; i < x.size(0); ++i) {
    const bool same = torch::equal(y[i], x[i]);
    const bool mirrored = torch::equal(y[i], torch::flip(x[i], {2}));
    EXPECT_TRUE(same != mirrored) << "sample " << i;
    flipped += mirrored;
  }
  EXPECT_GT(flipped, 16);
  EXPECT_LT(flipped, 48);
}

// The draws are the reproducibility contract that makes a GPU batch augment exactly as a CPU one:
// all from the CPU generator, crop rows then columns then flip coins, b each; the device only
// runs the ops. This is the same result written as a loop over samples.
TEST(Augment, EqualsThePerSampleRecipeOfItsDocumentedDraws) {
  for (uint64_t seed : {0u, 5u, 99u}) {
    const int64_t p = 2;
    auto g = generator(seed);
    torch::Tensor x = batch();
    torch::Tensor y = augment(x, crop_and_flip(p), g);
    auto r = generator(seed);
    const auto opts = torch::TensorOptions().dtype(torch::kInt64);
    const torch::Tensor top = torch::randint(0, 2 * p + 1, {x.size(0)}, r, opts);
    const torch::Tensor left = torch::randint(0, 2 * p + 1, {x.size(0)}, r, opts);
    const torch::Tensor coin = torch::rand({x.size(0)}, r, torch::TensorOptions().dtype(torch::kFloat32)) < 0.5;
    const torch::Tensor padded = torch::constant_pad_nd(x, {p, p, p, p}, 0);
    for (int64_t i = 0; i < x.size(0); ++i) {
      torch::Tensor expected = padded[i].narrow(1, top[i].item<int64_t>(), 8).narrow(2, left[i].item<int64_t>(), 8);
      if (coin[i].item<bool>()) expected = expected.flip({2});
      ASSERT_TRUE(torch::equal(y[i], expected)) << "seed " << seed << " sample " << i;
    }
  }
}

TEST(Augment, DisabledIsIdentity) {
  auto g = generator(0);
  torch::Tensor x = batch();
  EXPECT_TRUE(torch::equal(augment(x, AugmentOptions{}, g), x));
}

TEST(Augment, DefaultsFollowTheImageSize) {
  Dataset cifar;
  cifar.inputs = torch::zeros({2, 3, 32, 32}, torch::kUInt8);
  AugmentOptions c = default_augment(cifar);
  EXPECT_TRUE(c.crop && c.flip);
  EXPECT_EQ(c.padding, 4);
  Dataset mnist;
  mnist.inputs = torch::zeros({2, 1, 28, 28}, torch::kUInt8);
  EXPECT_FALSE(default_augment(mnist).enabled());
  Dataset text;
  text.inputs = torch::zeros({2, 16}, torch::kInt64);
  EXPECT_FALSE(default_augment(text).enabled());
}

TEST(Augment, RejectsNonImageBatches) {
  auto g = generator(0);
  EXPECT_THROW(augment(torch::zeros({4, 16}), crop_and_flip(), g), Error);
}

}  // namespace
}  // namespace cwrf::data
