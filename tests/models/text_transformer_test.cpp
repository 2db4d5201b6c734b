// Tests for the text Transformer: parameter count by hand, padding that changes nothing, the
// positional encoding's formula, weight kinds, and clear errors.
#include "cwrf/common/error.h"
#include "cwrf/models/registry.h"
#include "cwrf/models/text_transformer.h"
#include "cwrf/models/weight_kinds.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

namespace cwrf::models {
namespace {

ModelSpec text_spec(int64_t vocab, int64_t seq_len) {
  ModelSpec spec;
  spec.name = "transformer";
  spec.vocab_size = vocab;
  spec.seq_len = seq_len;
  spec.num_classes = 2;
  return resolve(spec);
}

TEST(TextTransformer, DefaultParameterCountMatchesHandComputation) {
  // CPU preset: dim 64, depth 2, heads 4, mlp 128; vocabulary 1000, 2 classes.
  //   token_embed 1000*64                          =  64,000
  //   per block (as the ViT's): 128 + 12,288 + 4,160 + 128 + 8,320 + 8,256 = 33,280; x2 = 66,560
  //   norm 2*64                                    =     128
  //   head 64*2 + 2                                =     130
  //   total                                        = 130,818 (positions are a buffer, not a parameter)
  const ModelSpec spec = text_spec(1000, 32);
  EXPECT_EQ(spec.width, 64);
  EXPECT_EQ(spec.depth, 2);
  EXPECT_EQ(count_parameters(*make_model(spec)), 130818);
}

TEST(TextTransformer, SinusoidalPositionsFollowTheFormula) {
  const torch::Tensor pe = sinusoidal_positions(5, 6);
  ASSERT_EQ(pe.sizes(), (std::vector<int64_t>{1, 5, 6}));
  for (int64_t pos = 0; pos < 5; ++pos)
    for (int64_t i = 0; i < 3; ++i) {
      const double angle = pos / std::pow(10000.0, 2.0 * i / 6.0);
      EXPECT_NEAR(pe[0][pos][2 * i].item<double>(), std::sin(angle), 1e-6);
      EXPECT_NEAR(pe[0][pos][2 * i + 1].item<double>(), std::cos(angle), 1e-6);
    }
  EXPECT_EQ(sinusoidal_positions(3, 5).sizes(), (std::vector<int64_t>{1, 3, 5}));  // odd dim
}

TEST(TextTransformer, PaddingChangesNothing) {
  // The same weights (same seed; positions are fixed) at two sequence lengths: a text padded to 9
  // tokens gives the logits of the same text at length 4, because padding keys get no attention
  // and padded positions are left out of the mean.
  torch::manual_seed(11);
  auto short_model = make_model(text_spec(20, 4));
  torch::manual_seed(11);
  auto long_model = make_model(text_spec(20, 9));
  short_model->eval();
  long_model->eval();
  const torch::Tensor short_tokens = torch::tensor({{5, 7, 19, 2}, {3, 3, 0, 0}}, torch::kLong);
  const torch::Tensor long_tokens =
      torch::cat({short_tokens, torch::zeros({2, 5}, torch::kLong)}, 1);
  torch::NoGradGuard no_grad;
  const torch::Tensor a = short_model->forward(short_tokens), b = long_model->forward(long_tokens);
  EXPECT_TRUE(torch::allclose(a, b, 1e-5, 1e-6)) << a << b;
  // A token changes the logits; an all-padding text still gives finite logits.
  const torch::Tensor c = short_model->forward(torch::tensor({{5, 7, 18, 2}, {0, 0, 0, 0}}, torch::kLong));
  EXPECT_FALSE(torch::allclose(a[0], c[0]));
  EXPECT_TRUE(torch::isfinite(c).all().item<bool>());
}

TEST(TextTransformer, WeightKindsMapToTheCorrelationTable) {
  auto model = make_model(text_spec(30, 8));
  const auto kinds = classify_weights(*model);
  EXPECT_EQ(kinds.at("token_embed.weight"), WeightKind::Embedding);
  EXPECT_EQ(kinds.at("blocks.0.attn.qkv.weight"), WeightKind::Attention);
  EXPECT_EQ(kinds.at("blocks.1.attn.proj.weight"), WeightKind::Attention);
  EXPECT_EQ(kinds.at("blocks.0.mlp.fc1.weight"), WeightKind::Mlp);
  EXPECT_EQ(kinds.at("blocks.0.norm1.weight"), WeightKind::Norm);
  EXPECT_EQ(kinds.at("norm.bias"), WeightKind::Norm);
  EXPECT_EQ(kinds.at("head.weight"), WeightKind::Linear);
  EXPECT_EQ(kinds.at("head.bias"), WeightKind::Bias);
  EXPECT_EQ(kinds.size(), model->named_parameters().size());
}

TEST(TextTransformer, ClearErrors) {
  ModelSpec spec;
  spec.name = "transformer";
  spec.seq_len = 8;
  EXPECT_THROW(resolve(spec), Error);  // no vocabulary: image data
  spec.vocab_size = 10;
  spec.width = 30;
  spec.heads = 4;
  EXPECT_THROW(resolve(spec), Error);  // 30 not divisible by 4
  auto model = make_model(text_spec(10, 8));
  EXPECT_THROW(model->forward(torch::zeros({2, 5}, torch::kLong)), Error);     // wrong length
  EXPECT_THROW(model->forward(torch::zeros({2, 8}, torch::kFloat32)), Error);  // not token ids
}

}  // namespace
}  // namespace cwrf::models
