// A Vision Transformer for small images (as vit-pytorch's ViT is used on CIFAR-10, patch 4), built
// from plain Linear / LayerNorm layers so DP-SGD's per-sample gradient hooks can handle every weight.
#pragma once

#include "cwrf/models/classifier.h"

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <vector>

namespace cwrf::models {

// [B, C, H, W] -> [B, (H/p)*(W/p), p*p*C]: patches in row-major order, each flattened as
// vit-pytorch's Rearrange('b c (h p1) (w p2) -> b (h w) (p1 p2 c)').
torch::Tensor patchify(const torch::Tensor& images, int64_t patch);

// Multi-head self-attention: qkv = Linear(dim, 3*heads*dim_head, no bias), softmax(QK^T * dim_head^-0.5) V
// per head, proj = Linear(heads*dim_head, dim). Written out with matmul + softmax (vit-pytorch
// vit.py Attention) instead of nn::MultiheadAttention, whose fused weights per-sample hooks cannot see.
class AttentionImpl : public torch::nn::Module {
 public:
  AttentionImpl(int64_t dim, int64_t heads, int64_t dim_head, double dropout);
  // [B, N, dim] -> [B, N, dim]. key_mask (optional, bool [B, N]): false keys (padding) get no
  // attention; every row must keep at least one key.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& key_mask = {});
  int64_t heads() const { return heads_; }
  int64_t dim_head() const { return dim_head_; }

  torch::nn::Linear qkv = nullptr, proj = nullptr;

 private:
  int64_t heads_, dim_head_;
  double dropout_;
};
TORCH_MODULE(Attention);

// The block's feed-forward part: fc1 (dim -> mlp_dim), GELU, fc2 (mlp_dim -> dim).
class MlpImpl : public torch::nn::Module {
 public:
  MlpImpl(int64_t dim, int64_t mlp_dim, double dropout);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Linear fc1 = nullptr, fc2 = nullptr;

 private:
  double dropout_;
};
TORCH_MODULE(Mlp);

// A pre-norm transformer block: x + attn(norm1(x)), then x + mlp(norm2(x)).
class BlockImpl : public torch::nn::Module {
 public:
  BlockImpl(int64_t dim, int64_t heads, int64_t mlp_dim, double dropout);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& key_mask = {});  // key_mask: see Attention

  torch::nn::LayerNorm norm1 = nullptr, norm2 = nullptr;
  Attention attn = nullptr;
  Mlp mlp = nullptr;
};
TORCH_MODULE(Block);

// Patches p x p flattened to C*p*p (vit-pytorch's 'b c (h p1) (w p2) -> b (h w) (p1 p2 c)' order),
// patch_embed Linear to dim, a learned cls_token [1,1,dim] prepended, learned pos_embed
// [1, 1+num_patches, dim] added, dropout, blocks.<i>, final norm, head Linear(dim -> classes) on
// the cls token. Uses spec.width as dim, depth, heads, mlp_dim, patch; dim_head = dim / heads.
// Ignores spec.norm (always LayerNorm). Expects a resolved spec.
class VitImpl : public Classifier {
 public:
  explicit VitImpl(const ModelSpec& spec);
  torch::Tensor forward(const torch::Tensor& x) override;

  const std::vector<Block>& blocks() const { return blocks_; }

 private:
  int64_t patch_;
  double dropout_;
  torch::nn::Linear patch_embed = nullptr;
  torch::Tensor cls_token, pos_embed;
  torch::nn::ModuleList blocks_list_ = nullptr;  // registered as "blocks"; blocks_ holds them typed
  std::vector<Block> blocks_;
  torch::nn::LayerNorm norm = nullptr;
  torch::nn::Linear head = nullptr;
};
TORCH_MODULE(Vit);

}  // namespace cwrf::models
