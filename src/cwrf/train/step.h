// How one batch's gradients are formed. The standard strategy backpropagates the
// objective's batch loss; DP-SGD (its own issue) replaces it with clipped, noised
// per-sample gradients. Either way the optimiser's mask then keeps frozen weights fixed.
#pragma once

#include "cwrf/data/batches.h"
#include "cwrf/models/classifier.h"
#include "cwrf/train/objective.h"

#include <torch/types.h>

#include <cstdint>
#include <memory>

namespace cwrf::train {

struct StepStats {
  double loss_sum = 0.0;  // objective loss × batch size (for epoch means)
  int64_t correct = 0;    // argmax(logits) == label
  int64_t count = 0;      // samples in the batch
};

class StepStrategy {
 public:
  virtual ~StepStrategy() = default;
  // Leaves the batch's gradients in the parameters' .grad() (zeroed before).
  virtual StepStats compute_gradients(models::Classifier& model, const data::Batch& batch, Objective& objective,
                                      int64_t epoch, int64_t step) = 0;
};

// loss = objective(model(x)); loss.backward().
std::unique_ptr<StepStrategy> make_standard_step();

}  // namespace cwrf::train
