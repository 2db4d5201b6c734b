// What kind of weight each parameter is, for the per-kind analyses (paper Table 1, Fig. 3).
#pragma once

#include <torch/nn/module.h>

#include <map>
#include <string>

namespace cwrf::models {

enum class WeightKind { Conv, Attention, Mlp, Linear, Norm, Embedding, Bias };

std::string to_string(WeightKind kind);  // "conv", "attention", "mlp", "linear", "norm", "embedding", "bias"

// Classifies every entry of module.named_parameters() (same names). Throws Error naming a
// parameter it cannot classify, rather than guessing.
std::map<std::string, WeightKind> classify_weights(const torch::nn::Module& module);

}  // namespace cwrf::models
