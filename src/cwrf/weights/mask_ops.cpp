#include "cwrf/weights/mask_ops.h"

#include "cwrf/common/error.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>

namespace cwrf::weights {

int64_t selected_count(double fraction, int64_t total) {
  require(fraction >= 0.0 && fraction <= 1.0, fmt::format("the fraction r must be in [0, 1], got {}", fraction));
  if (fraction == 0.0 || total == 0) return 0;
  const auto k = static_cast<int64_t>(std::ceil(fraction * static_cast<double>(total) - 1e-9));
  return std::clamp<int64_t>(k, 1, total);
}

namespace {

WeightMask select(const Scores& scores, double fraction, bool highest) {
  require(!scores.empty(), "no scores to rank");
  std::vector<torch::Tensor> flat;
  for (const auto& [name, s] : scores) flat.push_back(s.detach().to(torch::kCPU, torch::kFloat32).contiguous().view({-1}));
  const torch::Tensor all = torch::cat(flat);
  const int64_t k = selected_count(fraction, all.numel());
  // A stable sort keeps equal scores in their original order, so ties go to the earlier
  // weight (std::map iterates names in order). NaN scores rank last either way.
  torch::Tensor key = highest ? all.neg() : all.clone();
  key.masked_fill_(key.isnan(), std::numeric_limits<float>::infinity());
  const torch::Tensor order = std::get<1>(torch::sort(key, /*stable=*/true, /*dim=*/0, /*descending=*/false));
  torch::Tensor chosen = torch::zeros({all.numel()}, torch::kBool);
  chosen.index_fill_(0, order.slice(0, 0, k), true);
  WeightMask mask;
  int64_t offset = 0;
  for (const auto& [name, s] : scores) {
    mask[name] = chosen.slice(0, offset, offset + s.numel()).view(s.sizes()).clone();
    offset += s.numel();
  }
  return mask;
}

}  // namespace

WeightMask top_fraction(const Scores& scores, double fraction) { return select(scores, fraction, true); }
WeightMask bottom_fraction(const Scores& scores, double fraction) { return select(scores, fraction, false); }

Scores restrict_to(const Scores& scores, const std::set<std::string>& eligible) {
  Scores out;
  for (const auto& [name, s] : scores)
    if (eligible.count(name)) out[name] = s;
  require(!out.empty(), "no scored tensor is eligible for selection");
  return out;
}

WeightMask extend_mask(const WeightMask& partial, const Scores& scores) {
  WeightMask out;
  for (const auto& [name, s] : scores) {
    const auto it = partial.find(name);
    out[name] = it != partial.end() ? it->second : torch::zeros(s.sizes(), torch::kBool);
  }
  return out;
}

WeightMask complement(const WeightMask& mask) {
  WeightMask out;
  for (const auto& [name, m] : mask) out[name] = m.logical_not();
  return out;
}

int64_t count_true(const WeightMask& mask) {
  int64_t n = 0;
  for (const auto& [name, m] : mask) n += m.sum().item<int64_t>();
  return n;
}

int64_t count_all(const WeightMask& mask) {
  int64_t n = 0;
  for (const auto& [name, m] : mask) n += m.numel();
  return n;
}

namespace {

template <typename F>
void for_each_masked_parameter(torch::nn::Module& model, const WeightMask& mask, F&& f) {
  auto params = model.named_parameters();
  for (const auto& [name, m] : mask) {
    const torch::Tensor* p = params.find(name);
    if (p == nullptr) throw Error(fmt::format("mask names '{}', which is not a parameter of this model", name));
    if (p->sizes() != m.sizes())
      throw Error(fmt::format("mask for '{}' has shape [{}], the parameter has [{}]", name, fmt::join(m.sizes(), ", "),
                              fmt::join(p->sizes(), ", ")));
    torch::Tensor t = *p;
    f(name, t, m.to(t.device()));
  }
}

}  // namespace

void rewind(torch::nn::Module& model, const TensorMap& theta_vn, const WeightMask& rewind_mask) {
  torch::NoGradGuard no_grad;
  for_each_masked_parameter(model, rewind_mask, [&](const std::string& name, torch::Tensor& p, const torch::Tensor& m) {
    auto it = theta_vn.find(name);
    if (it == theta_vn.end()) throw Error(fmt::format("θ_vn has no entry for '{}'", name));
    p.copy_(torch::where(m, it->second.to(p.device(), p.scalar_type()), p));
  });
}

void zero_masked(torch::nn::Module& model, const WeightMask& mask) {
  torch::NoGradGuard no_grad;
  for_each_masked_parameter(model, mask,
                            [&](const std::string&, torch::Tensor& p, const torch::Tensor& m) { p.masked_fill_(m, 0.0); });
}

}  // namespace cwrf::weights
