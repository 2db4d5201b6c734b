#include "cwrf/train/objectives/cross_entropy.h"

#include <torch/torch.h>

namespace cwrf::train {

namespace {

class CrossEntropy final : public Objective {
 public:
  std::string name() const override { return "ce"; }
  torch::Tensor loss(const LossInput& in) override { return torch::nn::functional::cross_entropy(in.logits, in.labels); }
};

}  // namespace

ObjectiveInfo cross_entropy_info() {
  return {"ce", "cross-entropy, no defense", {}, [](config::Config&) { return std::make_unique<CrossEntropy>(); }};
}

}  // namespace cwrf::train
