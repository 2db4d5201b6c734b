// A Transformer encoder for text classification (the paper's appendix C.2 model on DBpedia-14,
// after Vaswani et al. 2017), built from the ViT's pre-norm blocks so DP-SGD's per-sample rules
// cover every weight: token embedding, attention and MLP projections, LayerNorm, the head.
#pragma once

#include "cwrf/models/classifier.h"
#include "cwrf/models/vit.h"

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <vector>

namespace cwrf::models {

// Fixed sinusoidal positional encoding [1, length, dim] (Vaswani et al. 2017, §3.5): no
// parameters, so nothing for CWRF to score or DP-SGD to clip.
torch::Tensor sinusoidal_positions(int64_t length, int64_t dim);

// Input: int64 token ids [B, seq_len], 0 = padding (data/tokenizer.h). token_embed (vocab ->
// dim) scaled by sqrt(dim), plus sinusoidal positions, dropout, blocks.<i> whose attention ignores
// padding keys, final norm, mean over the non-padding positions, head Linear(dim -> classes).
// Position 0 always counts as a real token, so an empty text still has a key to attend to.
// Uses spec.width as dim, depth, heads, mlp_dim, vocab_size, seq_len. Expects a resolved spec.
class TextTransformerImpl : public Classifier {
 public:
  explicit TextTransformerImpl(const ModelSpec& spec);
  torch::Tensor forward(const torch::Tensor& tokens) override;

 private:
  int64_t vocab_size_, seq_len_;
  double dropout_;
  torch::nn::Embedding token_embed = nullptr;
  torch::Tensor positions_;  // buffer [1, seq_len, dim]
  torch::nn::ModuleList blocks_list_ = nullptr;  // registered as "blocks"
  std::vector<Block> blocks_;
  torch::nn::LayerNorm norm = nullptr;
  torch::nn::Linear head = nullptr;
};
TORCH_MODULE(TextTransformer);

}  // namespace cwrf::models
