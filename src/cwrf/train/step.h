// How one batch's gradients are formed. The standard strategy backpropagates the
// objective's batch loss; DP-SGD (its own issue) replaces it with clipped, noised
// per-sample gradients. Either way the optimiser's mask then keeps frozen weights fixed.
#pragma once

#include "cwrf/data/batches.h"
#include "cwrf/models/classifier.h"
#include "cwrf/train/amp.h"
#include "cwrf/train/objective.h"

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <cstdint>
#include <memory>

namespace cwrf::train {

struct StepStats {
  double loss_sum = 0.0;  // objective loss × batch size (for epoch means)
  int64_t correct = 0;    // argmax(logits) == label
  int64_t count = 0;      // samples in the batch
};

// What a step strategy may need to know about the run (DP-SGD: the sampling rate q = B/N
// and the number of steps, for its noise calibration and privacy accounting).
struct StepContext {
  int64_t dataset_size = 0;     // N, members
  int64_t batch_size = 0;       // B (expected batch size under Poisson sampling)
  int64_t epochs = 0;
  int64_t steps_per_epoch = 0;
};

class StepStrategy {
 public:
  virtual ~StepStrategy() = default;
  // Poisson sampling (each member joins each batch independently with rate B/N) instead of
  // shuffled fixed-size batches: what DP-SGD's accounting assumes.
  virtual bool poisson_sampling() const { return false; }
  // Extra entries for the model's metrics.json (DP-SGD: epsilon, delta, sigma).
  virtual nlohmann::json report() const { return nlohmann::json::object(); }
  // Leaves the batch's gradients in the parameters' .grad() (zeroed before).
  virtual StepStats compute_gradients(models::Classifier& model, const data::Batch& batch, Objective& objective,
                                      int64_t epoch, int64_t step) = 0;

  // Mixed precision of the forward pass (the trainer sets it from TrainOptions::amp): the model
  // runs under autocast, the objective sees float32 logits.
  void set_amp(Amp amp) { amp_ = amp; }
  Amp amp() const { return amp_; }

 protected:
  Amp amp_ = Amp::Off;
};

// loss = objective(model(x)); loss.backward().
std::unique_ptr<StepStrategy> make_standard_step();

}  // namespace cwrf::train
