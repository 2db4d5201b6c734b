// The config keys every command shares, and their conversion into each stage's options.
#pragma once

#include "cwrf/config/config.h"
#include "cwrf/data/loaders.h"
#include "cwrf/models/classifier.h"
#include "cwrf/train/trainer.h"

namespace cwrf::config {

// All known keys: data, split, model, training, defense (from the objective registry), runtime.
const Schema& schema();

data::DataOptions data_options(const Config& config);
models::ModelSpec model_spec(const Config& config);  // architecture knobs only (no data shape)
train::TrainOptions train_options(const Config& config);

// The number of threads to use: the `threads` key, or every core when it is 0.
int64_t thread_count(const Config& config);

}  // namespace cwrf::config
