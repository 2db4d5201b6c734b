#include "cwrf/analysis/concentration.h"

#include "cwrf/weights/mask_ops.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>

namespace cwrf::analysis {

double mass_share(const weights::Scores& scores, double fraction) {
  const models::WeightMask top = weights::top_fraction(scores, fraction);
  double top_mass = 0.0, total = 0.0;
  for (const auto& [name, s] : scores) {
    const torch::Tensor v = s.to(torch::kFloat64);
    total += v.sum().item<double>();
    top_mass += v.masked_select(top.at(name)).sum().item<double>();
  }
  return total > 0 ? top_mass / total : std::nan("");
}

double top_overlap(const weights::Scores& a, const weights::Scores& b, double fraction) {
  const models::WeightMask ta = weights::top_fraction(a, fraction), tb = weights::top_fraction(b, fraction);
  int64_t both = 0, either = 0;
  for (const auto& [name, m] : ta) {
    both += (m & tb.at(name)).sum().item<int64_t>();
    either += (m | tb.at(name)).sum().item<int64_t>();
  }
  return either > 0 ? static_cast<double>(both) / static_cast<double>(either) : std::nan("");
}

std::vector<double> mass_share_replicates(const torch::Tensor& flat, double fraction, int64_t replicates,
                                          uint64_t seed) {
  const torch::Tensor v = flat.to(torch::kFloat64).reshape({-1});
  const int64_t n = v.numel();
  const int64_t k = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(fraction * static_cast<double>(n))));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  std::vector<double> out;
  for (int64_t r = 0; r < replicates && n > 0; ++r) {
    const torch::Tensor sample = v.index_select(0, torch::randint(n, {n}, gen, torch::kLong));
    const double total = sample.sum().item<double>();
    out.push_back(total > 0 ? std::get<0>(sample.topk(k)).sum().item<double>() / total : std::nan(""));
  }
  return out;
}

}  // namespace cwrf::analysis
