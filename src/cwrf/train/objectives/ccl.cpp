#include "cwrf/train/objectives/ccl.h"

#include "cwrf/train/objectives/defense_keys.h"

#include <torch/torch.h>

namespace cwrf::train {

namespace F = torch::nn::functional;

// [ml-stat-Sustech/ConvexConcaveLoss, source/defenses/membership_inference/loss_function.py,
// CCEL.forward and ce_concave_exp_loss]: p = exp(−ℓ) is the true-class probability.
torch::Tensor ccl_loss(const torch::Tensor& logits, const torch::Tensor& labels, double alpha, double beta) {
  const torch::Tensor ce = F::cross_entropy(logits, labels, F::CrossEntropyFuncOptions().reduction(torch::kNone));
  const torch::Tensor p = torch::exp(-ce);
  return beta * (alpha * ce - (1.0 - alpha) * torch::exp(p)).mean();
}

namespace {

class Ccl final : public Objective {
 public:
  Ccl(double alpha, double beta) : alpha_(alpha), beta_(beta) {}
  std::string name() const override { return "ccl"; }
  torch::Tensor loss(const LossInput& in) override { return ccl_loss(in.logits, in.labels, alpha_, beta_); }

 private:
  double alpha_;
  double beta_;
};

// The CCL paper's recommended α 0.5, β 0.05 for every dataset it has; Fashion-MNIST from our
// sweep (docs/defenses.md). Under Adam, β barely scales the update (Adam normalises gradients)
// but sets the loss's weight against the L2 weight decay: β 0.01 means 5x relatively more decay.
const std::vector<Preset> kAlphaPresets = {{"fashion-mnist", "", 0.5}};
const std::vector<Preset> kBetaPresets = {{"fashion-mnist", "", 0.01}};
constexpr double kDefaultAlpha = 0.5;
constexpr double kDefaultBeta = 0.05;

}  // namespace

ObjectiveInfo ccl_info() {
  return {"ccl",
          "convex-concave loss CCEL (Liu et al. 2024): beta*mean[alpha*CE - (1-alpha)*exp(p_y)]",
          {defense_alpha_option(),
           {"defense.beta", config::Type::Float, nullptr,
            "ccl: overall scale of the loss, > 0 (default: the dataset's preset; 0.05 without one)"}},
          [](config::Config& c) -> std::unique_ptr<Objective> {
            const double alpha = resolve_float(c, "defense.alpha", kAlphaPresets, kDefaultAlpha);
            const double beta = resolve_float(c, "defense.beta", kBetaPresets, kDefaultBeta);
            require_in_closed("defense.alpha", alpha, 0.0, 1.0);
            require_above("defense.beta", beta, 0.0);
            return std::make_unique<Ccl>(alpha, beta);
          }};
}

}  // namespace cwrf::train
