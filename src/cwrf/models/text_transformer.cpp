// A Transformer encoder classifier for token sequences.
#include "cwrf/models/text_transformer.h"

#include "cwrf/common/error.h"
#include "cwrf/models/taps.h"

#include <torch/torch.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

namespace cwrf::models {

torch::Tensor sinusoidal_positions(int64_t length, int64_t dim) {
  // PE(pos, 2i) = sin(pos / 10000^(2i/dim)), PE(pos, 2i+1) = cos(same); odd dims drop the last cos.
  const torch::Tensor pos = torch::arange(length, torch::kFloat64).unsqueeze(1);
  const torch::Tensor i2 = torch::arange(0, dim, 2, torch::kFloat64);
  const torch::Tensor angle = pos * torch::exp(i2 * (-std::log(10000.0) / static_cast<double>(dim)));
  torch::Tensor pe = torch::zeros({length, dim}, torch::kFloat64);
  pe.slice(1, 0, dim, 2).copy_(torch::sin(angle));
  pe.slice(1, 1, dim, 2).copy_(torch::cos(angle).slice(1, 0, dim / 2));
  return pe.to(torch::kFloat32).unsqueeze(0);
}

TextTransformerImpl::TextTransformerImpl(const ModelSpec& spec)
    : vocab_size_(spec.vocab_size), seq_len_(spec.seq_len), dropout_(spec.dropout) {
  const int64_t dim = spec.width;
  for (const auto& [key, value] : std::vector<std::pair<const char*, int64_t>>{{"model.width", spec.width},
                                                                              {"model.depth", spec.depth},
                                                                              {"model.heads", spec.heads},
                                                                              {"model.mlp_dim", spec.mlp_dim},
                                                                              {"vocabulary size", spec.vocab_size},
                                                                              {"data.seq_len", spec.seq_len}})
    require(value > 0, fmt::format("{} = {} must be positive for the transformer", key, value));
  require(dim % spec.heads == 0, fmt::format("model.width = {} (the transformer's embedding dim) must be divisible by "
                                             "model.heads = {}",
                                             dim, spec.heads));
  token_embed = register_module("token_embed", torch::nn::Embedding(spec.vocab_size, dim));
  positions_ = register_buffer("positions", sinusoidal_positions(spec.seq_len, dim));
  blocks_list_ = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < spec.depth; ++i) {
    blocks_.push_back(Block(dim, spec.heads, spec.mlp_dim, spec.dropout));
    blocks_list_->push_back(blocks_.back());
  }
  norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
  head = register_module("head", torch::nn::Linear(dim, spec.num_classes));
}

torch::Tensor TextTransformerImpl::forward(const torch::Tensor& tokens) {
  require(tokens.dim() == 2 && tokens.size(1) == seq_len_ && tokens.scalar_type() == torch::kLong,
          fmt::format("the transformer expects int64 token ids [batch, {}], got {} [{}]", seq_len_,
                      c10::toString(tokens.scalar_type()), fmt::join(tokens.sizes(), ", ")));
  // Real tokens (not padding); position 0 always, so no row is entirely masked.
  torch::Tensor valid = tokens.ne(0);
  valid.select(1, 0).fill_(true);
  const double scale = std::sqrt(static_cast<double>(positions_.size(2)));
  torch::Tensor h = taps::call(token_embed, tokens) * scale + positions_;
  if (dropout_ > 0) h = torch::dropout(h, dropout_, is_training());
  for (auto& block : blocks_) h = block->forward(h, valid);
  h = taps::call(norm, h);
  const torch::Tensor weights = valid.to(h.scalar_type()).unsqueeze(2);  // [B, L, 1]
  const torch::Tensor pooled = (h * weights).sum(1) / weights.sum(1);
  return taps::call(head, pooled);
}

}  // namespace cwrf::models
