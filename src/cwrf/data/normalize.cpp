#include "cwrf/data/normalize.h"

#include "cwrf/common/error.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>

namespace cwrf::data {

Normalization compute_normalization(const Dataset& train) {
  Normalization normalization;
  if (!train.is_image()) return normalization;
  const torch::Tensor& images = train.inputs;
  if (images.scalar_type() != torch::kUInt8)
    throw Error(fmt::format("{}: images must be uint8 to compute normalisation, found {}", train.name,
                            c10::toString(images.scalar_type())));
  const int64_t n = images.size(0);
  const int64_t channels = images.size(1);
  const double per_channel = static_cast<double>(n) * images.size(2) * images.size(3);
  if (per_channel == 0) throw Error(fmt::format("{}: cannot normalise an empty dataset", train.name));

  // Integer sums of x and x^2 are exact (2^63 holds 10^8 images of 10^4 pixels at 255^2), and
  // chunking keeps the int64 copy small instead of a float64 copy of the whole set.
  torch::Tensor sum = torch::zeros({channels}, torch::kInt64);
  torch::Tensor sum_sq = torch::zeros({channels}, torch::kInt64);
  const int64_t chunk = 4096;
  for (int64_t start = 0; start < n; start += chunk) {
    torch::Tensor x = images.narrow(0, start, std::min(chunk, n - start)).to(torch::kInt64);
    sum += x.sum({0, 2, 3});
    sum_sq += (x * x).sum({0, 2, 3});
  }
  for (int64_t c = 0; c < channels; ++c) {
    const double mean = static_cast<double>(sum[c].item<int64_t>()) / per_channel;
    const double mean_sq = static_cast<double>(sum_sq[c].item<int64_t>()) / per_channel;
    const double variance = std::max(0.0, mean_sq - mean * mean);
    normalization.mean.push_back(mean / 255.0);
    normalization.std.push_back(std::sqrt(variance) / 255.0);
  }
  return normalization;
}

torch::Tensor normalize_images(const torch::Tensor& uint8_images, const Normalization& normalization) {
  if (uint8_images.dim() != 4 || uint8_images.scalar_type() != torch::kUInt8)
    throw Error(fmt::format("normalize_images: expected uint8 images [N, C, H, W], got {} with {} dims",
                            c10::toString(uint8_images.scalar_type()), uint8_images.dim()));
  const auto channels = static_cast<size_t>(uint8_images.size(1));
  if (normalization.mean.size() != channels || normalization.std.size() != channels)
    throw Error(fmt::format("normalize_images: the images have {} channels but the normalisation has {} means and {} "
                            "stds",
                            channels, normalization.mean.size(), normalization.std.size()));
  // (x/255 - m)/s = x * (1/(255 s)) + (-m/s): one fused multiply-add per pixel, computed in float64
  // per channel and applied in float32.
  std::vector<float> scale(channels);
  std::vector<float> shift(channels);
  for (size_t c = 0; c < channels; ++c) {
    const double s = normalization.std[c];
    if (!(s > 0)) throw Error(fmt::format("normalize_images: channel {} has std {} (constant images?)", c, s));
    scale[c] = static_cast<float>(1.0 / (255.0 * s));
    shift[c] = static_cast<float>(-normalization.mean[c] / s);
  }
  const auto c = static_cast<int64_t>(channels);
  torch::Tensor scale_t = torch::tensor(scale).view({1, c, 1, 1});
  torch::Tensor shift_t = torch::tensor(shift).view({1, c, 1, 1});
  return torch::addcmul(shift_t, uint8_images.to(torch::kFloat32), scale_t);
}

}  // namespace cwrf::data
