// A weight mask: parameter name -> bool tensor of the parameter's shape, over
// named_parameters(). One type serves rewinding, freezing, removal and pruning
// (docs/DESIGN.md), from the optimiser (train/) to the CWRF selection (weights/), so it lives
// with the models below both. In an optimiser, true means "this entry may move".
#pragma once

#include <torch/types.h>

#include <map>
#include <string>

namespace cwrf::models {

using WeightMask = std::map<std::string, torch::Tensor>;

}  // namespace cwrf::models
