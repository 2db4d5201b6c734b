// The training config keys (paper Sec. 5.1: Adam, cosine schedule, batch 256, 100 epochs; the
// defense and each objective's own defense.* / dp.* keys) and their conversion into TrainOptions.
#pragma once

#include "cwrf/config/config.h"
#include "cwrf/train/trainer.h"

#include <vector>

namespace cwrf::train {

std::vector<config::Option> train_keys();

// Optimiser, schedule, epochs and evaluation; the job adds its seeds, augmentation and layout.
TrainOptions train_options(const config::Config& config);

}  // namespace cwrf::train
