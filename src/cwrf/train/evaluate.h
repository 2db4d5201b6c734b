// Inference over a prepared set: logits, mean cross-entropy and accuracy.
#pragma once

#include "cwrf/data/batches.h"
#include "cwrf/models/classifier.h"

#include <torch/types.h>

namespace cwrf::train {

// The batch size of inference (evaluation, attack signals, pruning sweeps). 256 keeps a CPU-preset
// model's largest activation (~26 MB for the CNN on 28x28) under glibc's 32 MB mmap threshold
// (apps/cwrf/main.cpp), so its buffers are reused rather than mapped and page-faulted afresh per
// batch: at 1024, evaluating a 3,000-image job's sets cost ~800,000 page faults, a third of its
// CPU time in the kernel (docs/performance.md).
constexpr int64_t kInferenceBatchSize = 256;

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
