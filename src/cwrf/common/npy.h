// NumPy .npy files (format version 1.0), so per-example arrays load in Python with
// numpy.load. Supported dtypes: bool, uint8, int32, int64, float32, float64.
#pragma once

#include <torch/types.h>

#include <filesystem>
#include <string>

namespace cwrf {

std::string encode_npy(const torch::Tensor& tensor);
torch::Tensor decode_npy(const std::string& bytes, const std::string& origin);

// save_npy writes atomically; load_npy throws Error naming the file on any malformed input.
void save_npy(const std::filesystem::path& path, const torch::Tensor& tensor);
torch::Tensor load_npy(const std::filesystem::path& path);

}  // namespace cwrf
