#include "cwrf/train/objectives/relaxloss.h"

#include "cwrf/common/error.h"
#include "cwrf/train/objectives/defense_keys.h"

#include <fmt/format.h>
#include <torch/torch.h>

namespace cwrf::train {

namespace F = torch::nn::functional;

// [DingfanChen/RelaxLoss, source/cifar/defense/relaxloss.py, Trainer.train]
torch::Tensor relaxloss_loss(const torch::Tensor& logits, const torch::Tensor& labels, int64_t epoch, double alpha,
                             double upper) {
  const torch::Tensor ce_each = F::cross_entropy(logits, labels, F::CrossEntropyFuncOptions().reduction(torch::kNone));
  const torch::Tensor ce = ce_each.mean();
  // Even epochs: gradient descent while the mean CE is above α, ascent below it.
  if (epoch % 2 == 0) return (ce - alpha).abs();
  // Odd epochs: plain descent above α (same comparison as `loss_ce > self.alpha`).
  if ((ce > alpha).item<bool>()) return ce;
  // Posterior flattening: soft target t_y = clamp(p_y, 0, upper), the rest spread evenly.
  const int64_t classes = logits.size(1);
  const torch::Tensor correct = logits.detach().argmax(1).eq(labels).to(logits.scalar_type());
  const torch::Tensor p_y = torch::softmax(logits, 1).gather(1, labels.unsqueeze(1)).squeeze(1);
  // t is not detached, as in the reference: the gradient also flows through the soft target
  // (through p_y), which changes the update of misclassified samples.
  const torch::Tensor t_y = p_y.clamp(0.0, upper);
  const torch::Tensor t_else = (1.0 - t_y) / static_cast<double>(classes - 1);
  const torch::Tensor onehot = F::one_hot(labels, classes).to(logits.scalar_type());
  const torch::Tensor soft = onehot * t_y.unsqueeze(1) + (1.0 - onehot) * t_else.unsqueeze(1);
  const torch::Tensor ce_soft = -(soft * torch::log_softmax(logits, 1)).sum(1);  // utils.CrossEntropy_soft
  // Misclassified samples: soft-target CE minus CE; correctly classified ones: pure ascent (−CE).
  return ((1.0 - correct) * ce_soft - ce_each).mean();
}

namespace {

class RelaxLoss final : public Objective {
 public:
  RelaxLoss(double alpha, double upper) : alpha_(alpha), upper_(upper) {}
  std::string name() const override { return "relaxloss"; }
  void prepare(const ObjectiveContext& context) override {
    if (context.num_classes < 2)
      throw Error(fmt::format("defense 'relaxloss' needs at least 2 classes, got {}", context.num_classes));
  }
  torch::Tensor loss(const LossInput& in) override {
    return relaxloss_loss(in.logits, in.labels, in.epoch, alpha_, upper_);
  }

 private:
  double alpha_;
  double upper_;
};

// α per (dataset, model): the reference's configs/CIFAR10_resnet20.yml (1) and
// CIFAR100_resnet20.yml (3) for our CIFAR ResNet18; Fashion-MNIST from our sweep (docs/defenses.md).
const std::vector<Preset> kAlphaPresets = {
    {"cifar10", "resnet18", 1.0},
    {"cifar100", "resnet18", 3.0},
    {"fashion-mnist", "", 0.35},
};
constexpr double kDefaultAlpha = 1.0;  // the reference's CIFAR-10 ResNet value, for anything without a preset
constexpr double kDefaultUpper = 1.0;  // every reference config

}  // namespace

ObjectiveInfo relaxloss_info() {
  return {"relaxloss",
          "RelaxLoss (Chen et al. 2022): mean CE held near defense.alpha, posterior flattening on odd epochs",
          {defense_alpha_option(),
           {"defense.upper", config::Type::Float, nullptr,
            "relaxloss: cap on the true-class probability of the flattened soft target, in (0, 1] (default 1)"}},
          [](config::Config& c) -> std::unique_ptr<Objective> {
            const double alpha = resolve_float(c, "defense.alpha", kAlphaPresets, kDefaultAlpha);
            const double upper = resolve_float(c, "defense.upper", {}, kDefaultUpper);
            require_at_least("defense.alpha", alpha, 0.0);
            require_in_half_open("defense.upper", upper, 0.0, 1.0);
            return std::make_unique<RelaxLoss>(alpha, upper);
          }};
}

}  // namespace cwrf::train
