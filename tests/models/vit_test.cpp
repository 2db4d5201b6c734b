// Tests for the ViT: parameter counts by hand, shapes, attention against a direct re-computation.
#include "cwrf/common/error.h"
#include "cwrf/models/registry.h"
#include "cwrf/models/vit.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

namespace cwrf::models {
namespace {

ModelSpec vit_spec(int64_t channels, int64_t size) {
  ModelSpec spec;
  spec.name = "vit";
  spec.in_channels = channels;
  spec.image_size = size;
  return spec;
}

TEST(Vit, DefaultParameterCountMatchesHandComputation) {
  // CPU preset: dim 64, depth 4, heads 4 (dim_head 16), mlp 128, patch 4, 10 classes.
  // 1x28x28: 7*7 = 49 patches of 1*4*4 = 16 values.
  //   patch_embed 16*64 + 64                       =   1,088
  //   cls_token   64                               =      64
  //   pos_embed   (1+49)*64                        =   3,200
  //   per block:  norm1 2*64                       =     128
  //               qkv 64*(3*4*16), no bias          =  12,288
  //               proj 64*64 + 64                  =   4,160
  //               norm2 2*64                       =     128
  //               fc1 64*128 + 128                 =   8,320
  //               fc2 128*64 + 64                  =   8,256
  //               block total                      =  33,280;  x4 = 133,120
  //   norm 2*64                                    =     128
  //   head 64*10 + 10                              =     650
  //   total                                        = 138,250
  EXPECT_EQ(count_parameters(*make_model(vit_spec(1, 28))), 138250);
  // 3x32x32: 64 patches of 48 values: patch_embed 48*64 + 64 = 3,136, pos_embed 65*64 = 4,160;
  //   3,136 + 64 + 4,160 + 133,120 + 128 + 650 = 141,258
  EXPECT_EQ(count_parameters(*make_model(vit_spec(3, 32))), 141258);
}

TEST(Vit, PaperPresetParameterCount) {
  // Paper preset on CIFAR-10: dim 512, depth 6, heads 8 (dim_head 64), mlp 512, patch 4.
  //   patch_embed 48*512 + 512 = 25,088; cls_token 512; pos_embed 65*512 = 33,280
  //   block: norm1 1,024 + qkv 512*1536 = 786,432 + proj 512*512 + 512 = 262,656 + norm2 1,024
  //          + fc1 262,656 + fc2 262,656 = 1,576,448;  x6 = 9,458,688
  //   norm 1,024; head 512*10 + 10 = 5,130
  //   total 25,088 + 512 + 33,280 + 9,458,688 + 1,024 + 5,130 = 9,523,722
  ModelSpec spec = vit_spec(3, 32);
  spec.width = 512;
  spec.depth = 6;
  spec.heads = 8;
  spec.mlp_dim = 512;
  EXPECT_EQ(count_parameters(*make_model(spec)), 9523722);
}

TEST(Vit, OutputShapes) {
  for (auto [channels, size] : {std::pair<int64_t, int64_t>{1, 28}, {3, 32}}) {
    auto model = make_model(vit_spec(channels, size));
    EXPECT_EQ(model->forward(torch::randn({3, channels, size, size})).sizes(), (std::vector<int64_t>{3, 10}));
  }
}

TEST(Vit, ParameterNames) {
  auto params = make_model(vit_spec(1, 28))->named_parameters();
  for (const char* name : {"patch_embed.weight", "patch_embed.bias", "cls_token", "pos_embed",
                           "blocks.0.norm1.weight", "blocks.0.attn.qkv.weight", "blocks.0.attn.proj.weight",
                           "blocks.0.attn.proj.bias", "blocks.3.norm2.bias", "blocks.3.mlp.fc1.weight",
                           "blocks.3.mlp.fc2.bias", "norm.weight", "head.weight", "head.bias"}) {
    EXPECT_TRUE(params.contains(name)) << name;
  }
  EXPECT_FALSE(params.contains("blocks.0.attn.qkv.bias"));
  EXPECT_FALSE(params.contains("blocks.4.norm1.weight"));
  EXPECT_EQ(params["cls_token"].sizes(), (std::vector<int64_t>{1, 1, 64}));
  EXPECT_EQ(params["pos_embed"].sizes(), (std::vector<int64_t>{1, 50, 64}));
}

TEST(Vit, AttentionMatchesDirectComputation) {
  torch::manual_seed(3);
  const int64_t dim = 24, heads = 3, dim_head = 8, batch = 2, tokens = 5;
  Attention attn(dim, heads, dim_head, /*dropout=*/0.0);
  attn->eval();
  torch::Tensor x = torch::randn({batch, tokens, dim});
  torch::Tensor got = attn->forward(x);

  // softmax(Q K^T / sqrt(d)) V per head, concatenated over heads, then proj.
  torch::NoGradGuard no_grad;
  torch::Tensor w = attn->qkv->weight;  // [3*H*D, dim]: rows of Q, then K, then V; head-major inside each
  const int64_t inner = heads * dim_head;
  torch::Tensor q = x.matmul(w.slice(0, 0, inner).t());
  torch::Tensor k = x.matmul(w.slice(0, inner, 2 * inner).t());
  torch::Tensor v = x.matmul(w.slice(0, 2 * inner, 3 * inner).t());
  std::vector<torch::Tensor> per_head;
  for (int64_t h = 0; h < heads; ++h) {
    torch::Tensor qh = q.slice(2, h * dim_head, (h + 1) * dim_head);
    torch::Tensor kh = k.slice(2, h * dim_head, (h + 1) * dim_head);
    torch::Tensor vh = v.slice(2, h * dim_head, (h + 1) * dim_head);
    torch::Tensor scores = qh.matmul(kh.transpose(1, 2)) / std::sqrt(static_cast<double>(dim_head));
    per_head.push_back(torch::softmax(scores, -1).matmul(vh));
  }
  torch::Tensor expected = torch::cat(per_head, 2).matmul(attn->proj->weight.t()) + attn->proj->bias;
  EXPECT_EQ(got.sizes(), (std::vector<int64_t>{batch, tokens, dim}));
  EXPECT_TRUE(torch::allclose(got, expected, 1e-5, 1e-5)) << (got - expected).abs().max().item<float>();
}

TEST(Vit, SamplesDoNotInteractInEvalMode) {
  torch::manual_seed(4);
  auto model = make_model(vit_spec(3, 32));
  model->eval();
  torch::NoGradGuard no_grad;
  torch::Tensor x = torch::randn({4, 3, 32, 32});
  torch::Tensor together = model->forward(x);
  for (int64_t i = 0; i < 4; ++i) {
    torch::Tensor alone = model->forward(x.slice(0, i, i + 1));
    EXPECT_TRUE(torch::allclose(together.slice(0, i, i + 1), alone, 1e-4, 1e-5)) << "sample " << i;
  }
  // And the batch order only permutes the outputs.
  torch::Tensor flipped = model->forward(x.flip(0));
  EXPECT_TRUE(torch::allclose(flipped, together.flip(0), 1e-4, 1e-5));
}

TEST(Vit, PatchifyUsesVitPytorchOrder) {
  // 'b c (h p1) (w p2) -> b (h w) (p1 p2 c)': token n = hi * (W/p) + wi, feature (p1 * p + p2) * C + c.
  const int64_t b = 2, c = 3, hgt = 8, wid = 12, p = 4;
  torch::Tensor x = torch::arange(b * c * hgt * wid, torch::kFloat32).reshape({b, c, hgt, wid});
  torch::Tensor patches = patchify(x, p);
  ASSERT_EQ(patches.sizes(), (std::vector<int64_t>{b, 2 * 3, p * p * c}));
  auto px = x.accessor<float, 4>();
  auto pp = patches.accessor<float, 3>();
  for (int64_t bi = 0; bi < b; ++bi)
    for (int64_t hi = 0; hi < hgt / p; ++hi)
      for (int64_t wi = 0; wi < wid / p; ++wi)
        for (int64_t p1 = 0; p1 < p; ++p1)
          for (int64_t p2 = 0; p2 < p; ++p2)
            for (int64_t ci = 0; ci < c; ++ci)
              ASSERT_EQ(pp[bi][hi * (wid / p) + wi][(p1 * p + p2) * c + ci], px[bi][ci][hi * p + p1][wi * p + p2]);
}

TEST(Vit, RejectsNonDivisibleSizes) {
  ModelSpec spec = vit_spec(1, 28);
  spec.heads = 5;  // 64 % 5 != 0
  EXPECT_THROW(make_model(spec), Error);
  spec = vit_spec(1, 30);  // 30 % 4 != 0
  EXPECT_THROW(make_model(spec), Error);
}

}  // namespace
}  // namespace cwrf::models
