// Inference over a prepared set: logits, mean cross-entropy and accuracy.
#pragma once

#include "cwrf/data/batches.h"
#include "cwrf/models/classifier.h"

#include <torch/types.h>

namespace cwrf::train {

struct EvalResult {
  double loss = 0.0;      // mean cross-entropy
  double accuracy = 0.0;  // fraction in [0, 1]
  int64_t count = 0;
};

// Puts the model in eval mode and restores its previous mode afterwards.
torch::Tensor predict_logits(models::Classifier& model, const data::Prepared& set, int64_t batch_size,
                             bool channels_last = false);
EvalResult evaluate(models::Classifier& model, const data::Prepared& set, int64_t batch_size,
                    bool channels_last = false);

}  // namespace cwrf::train
