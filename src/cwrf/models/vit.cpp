// A Vision Transformer for small images (after vit-pytorch vit_pytorch/vit.py).
#include "cwrf/models/vit.h"

#include "cwrf/common/error.h"
#include "cwrf/models/taps.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace cwrf::models {
namespace {

torch::nn::LayerNorm layer_norm(int64_t dim) { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})); }

}  // namespace

torch::Tensor patchify(const torch::Tensor& images, int64_t patch) {
  const int64_t b = images.size(0), c = images.size(1), hp = images.size(2) / patch, wp = images.size(3) / patch;
  return images.reshape({b, c, hp, patch, wp, patch})
      .permute({0, 2, 4, 3, 5, 1})
      .reshape({b, hp * wp, patch * patch * c});
}

AttentionImpl::AttentionImpl(int64_t dim, int64_t heads, int64_t dim_head, double dropout)
    : heads_(heads), dim_head_(dim_head), dropout_(dropout) {
  const int64_t inner = heads * dim_head;
  qkv = register_module("qkv", torch::nn::Linear(torch::nn::LinearOptions(dim, 3 * inner).bias(false)));
  proj = register_module("proj", torch::nn::Linear(inner, dim));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& key_mask) {
  const int64_t b = x.size(0), n = x.size(1);
  // [B, N, 3*H*D] -> 3 x [B, H, N, D]
  auto qkv_heads = taps::call(qkv, x).view({b, n, 3, heads_, dim_head_}).permute({2, 0, 3, 1, 4});
  torch::Tensor q = qkv_heads[0], k = qkv_heads[1], v = qkv_heads[2];
  const double scale = 1.0 / std::sqrt(static_cast<double>(dim_head_));
  torch::Tensor logits = torch::matmul(q, k.transpose(-2, -1)) * scale;  // [B, H, N, N]
  if (key_mask.defined())
    logits = logits.masked_fill(key_mask.logical_not().view({b, 1, 1, n}), -std::numeric_limits<float>::infinity());
  torch::Tensor attn = torch::softmax(logits, -1);
  if (dropout_ > 0) attn = torch::dropout(attn, dropout_, is_training());
  torch::Tensor out = torch::matmul(attn, v).transpose(1, 2).reshape({b, n, heads_ * dim_head_});
  out = taps::call(proj, out);
  if (dropout_ > 0) out = torch::dropout(out, dropout_, is_training());
  return out;
}

MlpImpl::MlpImpl(int64_t dim, int64_t mlp_dim, double dropout) : dropout_(dropout) {
  fc1 = register_module("fc1", torch::nn::Linear(dim, mlp_dim));
  fc2 = register_module("fc2", torch::nn::Linear(mlp_dim, dim));
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x) {
  torch::Tensor h = torch::gelu(taps::call(fc1, x));
  if (dropout_ > 0) h = torch::dropout(h, dropout_, is_training());
  h = taps::call(fc2, h);
  if (dropout_ > 0) h = torch::dropout(h, dropout_, is_training());
  return h;
}

BlockImpl::BlockImpl(int64_t dim, int64_t heads, int64_t mlp_dim, double dropout) {
  norm1 = register_module("norm1", layer_norm(dim));
  attn = register_module("attn", Attention(dim, heads, dim / heads, dropout));
  norm2 = register_module("norm2", layer_norm(dim));
  mlp = register_module("mlp", Mlp(dim, mlp_dim, dropout));
}

torch::Tensor BlockImpl::forward(const torch::Tensor& x, const torch::Tensor& key_mask) {
  torch::Tensor h = x + attn->forward(taps::call(norm1, x), key_mask);
  return h + mlp->forward(taps::call(norm2, h));
}

VitImpl::VitImpl(const ModelSpec& spec) : patch_(spec.patch), dropout_(spec.dropout) {
  const int64_t dim = spec.width;
  auto require_positive = [](const char* key, int64_t value) {
    require(value > 0, fmt::format("{} = {} must be positive for the vit", key, value));
  };
  require_positive("model.width", spec.width);
  require_positive("model.depth", spec.depth);
  require_positive("model.heads", spec.heads);
  require_positive("model.mlp_dim", spec.mlp_dim);
  require_positive("model.patch", spec.patch);
  require(dim % spec.heads == 0, fmt::format("model.width = {} (the vit's embedding dim) must be divisible by "
                                             "model.heads = {}",
                                             dim, spec.heads));
  require(spec.image_size % spec.patch == 0,
          fmt::format("model.image_size = {} must be divisible by model.patch = {}", spec.image_size, spec.patch));
  const int64_t side = spec.image_size / spec.patch;
  const int64_t num_patches = side * side;

  patch_embed = register_module("patch_embed", torch::nn::Linear(spec.in_channels * patch_ * patch_, dim));
  // Standard normal, as vit-pytorch's torch.randn.
  cls_token = register_parameter("cls_token", torch::randn({1, 1, dim}));
  pos_embed = register_parameter("pos_embed", torch::randn({1, 1 + num_patches, dim}));
  blocks_list_ = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < spec.depth; ++i) {
    blocks_.push_back(Block(dim, spec.heads, spec.mlp_dim, spec.dropout));
    blocks_list_->push_back(blocks_.back());
  }
  norm = register_module("norm", layer_norm(dim));
  head = register_module("head", torch::nn::Linear(dim, spec.num_classes));
}

torch::Tensor VitImpl::forward(const torch::Tensor& x) {
  const int64_t b = x.size(0);
  torch::Tensor patches = patchify(x, patch_);
  // Layers and raw parameters through taps, so DP-SGD can capture per-sample gradients (taps.h).
  torch::Tensor h = taps::add_broadcast(torch::cat({taps::expand_batch(cls_token, b), taps::call(patch_embed, patches)}, 1),
                                        pos_embed);
  if (dropout_ > 0) h = torch::dropout(h, dropout_, is_training());
  for (auto& block : blocks_) h = block->forward(h);
  return taps::call(head, taps::call(norm, h).select(1, 0));
}

}  // namespace cwrf::models
