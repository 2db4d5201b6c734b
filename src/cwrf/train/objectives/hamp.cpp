#include "cwrf/train/objectives/hamp.h"

#include "cwrf/common/error.h"
#include "cwrf/train/objectives/defense_keys.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>
#include <optional>

namespace cwrf::train {

namespace F = torch::nn::functional;

// [DependableSystemsLab/MIA_defense_HAMP, cifar10/cifar-train-hamp.py, get_top1]: move 0.01 of
// probability from the true class to the others, evenly, until the entropy reaches the threshold.
// Computed in double like the reference's numpy walk.
HampLabel hamp_soft_label(int64_t classes, double gamma) {
  if (classes < 2) throw Error(fmt::format("defense 'hamp' needs at least 2 classes, got {}", classes));
  const double threshold = gamma * std::log(static_cast<double>(classes));
  const double uniform = 1.0 / static_cast<double>(classes);
  const double others = static_cast<double>(classes - 1);
  HampLabel label;
  while (true) {
    label.top1 -= 0.01;
    label.other += 0.01 / others;
    // The reference loops forever when gamma is so close to 1 that rounding keeps the entropy just
    // below ln C: stop at the uniform label, the most entropic one there is.
    if (label.top1 <= uniform + 1e-9) return {uniform, uniform};
    const double entropy = -label.top1 * std::log(label.top1) - others * label.other * std::log(label.other);
    if (entropy >= threshold) return label;
  }
}

// [cifar-train-hamp.py, train_pub with entropy_penalty]: F.kl_div(log_softmax(z), t) uses
// PyTorch's default reduction 'mean' (over all B·C elements, not per sample); the entropy is
// Categorical(probs=softmax z).entropy().
torch::Tensor hamp_loss(const torch::Tensor& logits, const torch::Tensor& labels, const HampLabel& label,
                        double alpha) {
  const int64_t classes = logits.size(1);
  const torch::Tensor onehot = F::one_hot(labels, classes).to(logits.scalar_type());
  const torch::Tensor target = onehot * label.top1 + (1.0 - onehot) * label.other;
  const torch::Tensor log_p = torch::log_softmax(logits, 1);
  // F::kl_div(log_p, target) with reduction 'mean', written out (LibTorch warns on every call
  // that 'mean' is not 'batchmean'; the reference uses 'mean' knowingly or not, and so do we).
  const torch::Tensor kl = (torch::xlogy(target, target) - target * log_p).mean();
  const torch::Tensor entropy = -(log_p.exp() * log_p).sum(1);
  return kl - alpha * entropy.mean();
}

namespace {

class Hamp final : public Objective {
 public:
  Hamp(double gamma, double alpha) : gamma_(gamma), alpha_(alpha) {}
  std::string name() const override { return "hamp"; }
  // The soft labels are fixed before training: they depend only on the class count and γ.
  void prepare(const ObjectiveContext& context) override { label_ = hamp_soft_label(context.num_classes, gamma_); }
  torch::Tensor loss(const LossInput& in) override {
    if (!label_) label_ = hamp_soft_label(in.logits.size(1), gamma_);  // used without prepare()
    return hamp_loss(in.logits, in.labels, *label_, alpha_);
  }

 private:
  double gamma_;
  double alpha_;
  std::optional<HampLabel> label_;
};

// The reference's values: CIFAR-10 γ 0.95, α 0.001; CIFAR-100 γ 0.5, α 0.005 (any model).
// Fashion-MNIST from our sweep (docs/defenses.md).
const std::vector<Preset> kGammaPresets = {
    {"cifar10", "", 0.95}, {"cifar100", "", 0.5}, {"fashion-mnist", "", 0.95}};
const std::vector<Preset> kAlphaPresets = {
    {"cifar10", "", 0.001}, {"cifar100", "", 0.005}, {"fashion-mnist", "", 0.001}};
constexpr double kDefaultGamma = 0.95;   // CIFAR-10's, for anything without a preset
constexpr double kDefaultAlpha = 0.001;  // CIFAR-10's

}  // namespace

ObjectiveInfo hamp_info() {
  return {"hamp",
          "HAMP, training part (Chen & Pattabiraman 2024): fixed high-entropy soft labels plus an entropy bonus",
          {{"defense.gamma", config::Type::Float, nullptr,
            "hamp: the soft labels' entropy as a fraction of ln C, in (0, 1] (default: the dataset's preset)"},
           defense_alpha_option()},
          [](config::Config& c) -> std::unique_ptr<Objective> {
            const double gamma = resolve_float(c, "defense.gamma", kGammaPresets, kDefaultGamma);
            const double alpha = resolve_float(c, "defense.alpha", kAlphaPresets, kDefaultAlpha);
            require_in_half_open("defense.gamma", gamma, 0.0, 1.0);
            require_at_least("defense.alpha", alpha, 0.0);
            return std::make_unique<Hamp>(gamma, alpha);
          }};
}

}  // namespace cwrf::train
