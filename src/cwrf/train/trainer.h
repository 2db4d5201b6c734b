// The training loop shared by training from scratch and CWRF's fine-tuning: seeded
// batches, an objective, a gradient step strategy, masked Adam, a per-step cosine
// schedule, per-epoch evaluation and callbacks for logs and progress.
#pragma once

#include "cwrf/data/batches.h"
#include "cwrf/models/classifier.h"
#include "cwrf/train/adam.h"
#include "cwrf/train/amp.h"
#include "cwrf/train/evaluate.h"
#include "cwrf/train/objective.h"
#include "cwrf/train/step.h"
#include "cwrf/models/weight_mask.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace cwrf::train {

struct TrainOptions {
  int64_t epochs = 100;         // paper: 100 from scratch, 40 for CWRF fine-tuning
  int64_t batch_size = 256;
  double lr = 1e-3;             // initial learning rate (paper Sec. 5.1)
  std::string schedule = "cosine";
  AdamOptions adam;             // β (0.9, 0.999), weight decay 5e-4
  uint64_t data_seed = 0;       // batch order and augmentation
  data::AugmentOptions augment;
  int64_t eval_every = 1;       // evaluate the test set every n epochs and after the last (0: never)
  int64_t eval_batch_size = kInferenceBatchSize;
  bool channels_last = false;   // 4-D inputs and conv weights in NHWC (faster oneDNN convolutions)
  bool profile = false;         // time every operator and phase (op_profile.h) into TrainResult::profile
  Amp amp = Amp::Off;           // mixed precision of the forward passes (amp.h); weights stay float32
};

struct EpochRecord {
  int64_t epoch = 0;  // 1-based
  double lr = 0.0;    // at the epoch's first step
  double train_loss = 0.0;  // running mean of the objective over the epoch's batches (train mode)
  double train_acc = 0.0;   // running accuracy over the epoch's batches (train mode)
  double test_loss = std::numeric_limits<double>::quiet_NaN();
  double test_acc = std::numeric_limits<double>::quiet_NaN();
  double seconds = 0.0;     // wall time of the epoch, evaluation included
};

struct TrainCallbacks {
  std::function<void(const EpochRecord&)> on_epoch;
  // (epoch 0-based, batch 0-based, batches per epoch, running loss)
  std::function<void(int64_t, int64_t, int64_t, double)> on_batch;
};

struct TrainResult {
  std::vector<EpochRecord> history;
  double seconds = 0.0;
  nlohmann::json profile;  // with TrainOptions::profile: OpProfile::report()
};

// The sets a training run sees. Only `members` is trained on; `test` is evaluated per
// epoch; `reference` (the model's held-out non-members) is offered to objectives that need
// one (PAST). Optional sets may be null.
struct TrainSets {
  const data::Prepared* members = nullptr;
  const data::Prepared* test = nullptr;
  const data::Prepared* reference = nullptr;
};

// Trains `model` in place. `trainable` (may be null or empty) restricts which weight
// entries move (CWRF freezing, Eq. 7).
TrainResult train_model(models::Classifier& model, const TrainSets& sets, Objective& objective, StepStrategy& step,
                        const TrainOptions& options, const models::WeightMask* trainable = nullptr,
                        const TrainCallbacks& callbacks = {});

// Converts 4-D parameters to channels-last in place (nn::Module::to has no memory-format
// overload in LibTorch 1.13).
void to_channels_last(torch::nn::Module& model);

std::vector<NamedParameter> named_trainable_parameters(torch::nn::Module& model);

}  // namespace cwrf::train
