// The normalisation layer choice shared by the convolutional models.
#include "cwrf/models/norm.h"

#include "cwrf/common/error.h"

#include <torch/torch.h>

#include <fmt/format.h>

namespace cwrf::models {

const std::vector<std::string>& norm_names() {
  static const std::vector<std::string> kNames = {"batch", "group", "none"};
  return kNames;
}

void check_norm(const std::string& norm) {
  const auto& names = norm_names();
  require(std::find(names.begin(), names.end(), norm) != names.end(),
          fmt::format("model.norm = \"{}\" is not a known normalisation; expected one of: {}", norm,
                      fmt::join(names, ", ")));
}

int64_t group_count(int64_t channels) {
  require(channels > 0, fmt::format("group norm needs a positive channel count, got {}", channels));
  for (int64_t groups = std::min<int64_t>(32, channels); groups > 1; --groups) {
    if (channels % groups == 0) return groups;
  }
  return 1;
}

torch::nn::AnyModule make_norm2d(const std::string& norm, int64_t channels) {
  check_norm(norm);
  if (norm == "batch") return torch::nn::AnyModule(torch::nn::BatchNorm2d(channels));
  if (norm == "group") {
    return torch::nn::AnyModule(
        torch::nn::GroupNorm(torch::nn::GroupNormOptions(group_count(channels), channels).affine(true)));
  }
  return torch::nn::AnyModule(torch::nn::Identity());
}

}  // namespace cwrf::models
