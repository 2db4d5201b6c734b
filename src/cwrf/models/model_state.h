// A module's state as a name -> tensor map (parameters and buffers, the content of init.pt and
// final.pt), and loading such a map back with errors that name the entry at fault.
#pragma once

#include "cwrf/common/tensor_io.h"

#include <torch/nn/module.h>

#include <string>

namespace cwrf::models {

// Parameters and buffers by name (buffers: BatchNorm running statistics).
TensorMap model_state(const torch::nn::Module& model);
// Copies `state` into the model. Throws Error naming a missing or mis-shaped entry; `origin`
// names the state in the message (a file, "θ_vn").
void load_model_state(torch::nn::Module& model, const TensorMap& state, const std::string& origin);

}  // namespace cwrf::models
