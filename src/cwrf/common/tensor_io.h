// Named-tensor files (weights, scores, masks) in PyTorch's pickle format: Python reads
// them with torch.load(path) as a dict of tensors; C++ reads them with load_tensors.
#pragma once

#include <torch/types.h>

#include <filesystem>
#include <map>
#include <string>

namespace cwrf {

using TensorMap = std::map<std::string, torch::Tensor>;

void save_tensors(const std::filesystem::path& path, const TensorMap& tensors);  // atomic
TensorMap load_tensors(const std::filesystem::path& path);                        // Error names the file

}  // namespace cwrf
