// A weight mask: parameter name -> bool tensor of the parameter's shape, over
// named_parameters(). One type serves rewinding, freezing, removal and pruning
// (docs/DESIGN.md). In an optimiser, true means "this entry may move".
#pragma once

#include <torch/types.h>

#include <map>
#include <string>

namespace cwrf::weights {

using WeightMask = std::map<std::string, torch::Tensor>;

}  // namespace cwrf::weights
