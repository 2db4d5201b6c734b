// The normalisation layer choice shared by the convolutional models (model.norm).
#pragma once

#include <torch/nn/modules/container/any.h>

#include <cstdint>
#include <string>
#include <vector>

namespace cwrf::models {

// Valid values of model.norm: "batch" (BatchNorm2d), "group" (GroupNorm, the DP-SGD choice:
// BatchNorm mixes samples, so it has no per-sample gradients), "none" (identity).
const std::vector<std::string>& norm_names();

// Throws Error naming model.norm and listing the valid values unless `norm` is one of them.
void check_norm(const std::string& norm);

// GroupNorm's group count for `channels`: the largest divisor of `channels` that is <= 32,
// so min(32, C) groups whenever that divides C.
int64_t group_count(int64_t channels);

// A 2-D normalisation over `channels` feature maps, type-erased so a model holds any of the three
// under one submodule name (bn1, bn2, ...): parameter names do not change with the choice.
torch::nn::AnyModule make_norm2d(const std::string& norm, int64_t channels);

}  // namespace cwrf::models
