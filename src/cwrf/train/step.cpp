#include "cwrf/train/step.h"

#include "cwrf/common/error.h"
#include "cwrf/train/op_profile.h"

#include <ATen/record_function.h>
#include <torch/torch.h>

namespace cwrf::train {

namespace {

class StandardStep final : public StepStrategy {
 public:
  StepStats compute_gradients(models::Classifier& model, const data::Batch& batch, Objective& objective,
                              int64_t epoch, int64_t step) override {
    torch::Tensor logits, loss;
    {
      RECORD_USER_SCOPE(kScopeForward);
      {
        AutocastScope autocast(amp_, batch.inputs.device());
        logits = model.forward(batch.inputs);
      }
      // The objective in float32 (a no-op without amp), outside autocast: softmax, entropies and
      // PAST's penalty keep full precision, and backward sees no autocast state.
      logits = full_precision(logits);
      loss = objective.loss({logits, batch.labels, batch.positions, epoch, step, &model});
    }
    const double value = loss.item<double>();
    if (!std::isfinite(value))
      throw Error(fmt::format("the {} loss became {} at epoch {} step {}: lower the learning rate or check the "
                              "defense's hyper-parameters",
                              objective.name(), value, epoch + 1, step + 1));
    {
      RECORD_USER_SCOPE(kScopeBackward);
      loss.backward();
    }
    StepStats stats;
    stats.count = batch.labels.size(0);
    stats.loss_sum = value * static_cast<double>(stats.count);
    stats.correct = logits.detach().argmax(1).eq(batch.labels).sum().item<int64_t>();
    return stats;
  }
};

}  // namespace

std::unique_ptr<StepStrategy> make_standard_step() { return std::make_unique<StandardStep>(); }

}  // namespace cwrf::train
