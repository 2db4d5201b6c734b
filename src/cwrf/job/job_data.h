// What a model job resolves before it trains: the dataset (loaded once, fingerprinted), the
// config with every data- and model-dependent default filled in, the K-model membership split
// and this model's member / reference / test / validation sets on the job's device.
#pragma once

#include "cwrf/config/config.h"
#include "cwrf/data/dataset.h"
#include "cwrf/data/normalize.h"
#include "cwrf/data/split.h"
#include "cwrf/models/classifier.h"
#include "cwrf/train/step.h"
#include "cwrf/train/trainer.h"

#include <torch/types.h>

#include <memory>
#include <optional>
#include <string>

namespace cwrf::job {

// The dataset and split a job needs; loaded once and shared by jobs with the same data keys.
struct JobData {
  data::TrainTest data;
  data::Normalization normalization;
  std::string fingerprint;  // content hash of the train and test tensors
};
JobData load_job_data(const config::Config& config);

// The dataset of the most recent data keys, kept for the next job of a worker process: loading,
// normalising and fingerprinting Fashion-MNIST costs ~0.7 s, more than a small model's training.
class JobDataCache {
 public:
  const JobData& get(const config::Config& config);

 private:
  std::string key_;
  std::shared_ptr<JobData> data_;
};

// Fills every key that has a dataset- or model-dependent default (data sizes from the
// Table 4 presets, the model's default width etc., channels_last, augment, threads) so that
// the config alone determines the model. Throws Error for inconsistent values.
void resolve_config(config::Config& config, const JobData& data);

// The split all K models share (depends on data.* sizes, split.models and split.seed only).
data::Split make_job_split(const config::Config& config, const JobData& data);

// One model's data: its split, its members, its reference set, the test set, and the
// validation set when the split has one, on the job's device.
struct ModelSets {
  data::Split split;
  int64_t model_index = 0;
  torch::Tensor train_rows, reference_rows, test_rows;  // rows of the training / test file
  data::Prepared members, test, reference;
  std::optional<data::Prepared> validation;
};
ModelSets prepare_model_sets(const config::Config& resolved, const JobData& data, torch::Device device);

// The architecture the resolved config and the data's shape determine.
models::ModelSpec model_spec_for(const config::Config& resolved, const JobData& data);

// What the step strategy may need (members count, batch size, epochs of this run).
train::StepContext step_context_for(const config::Config& resolved, int64_t members, int64_t epochs);

// Training options from the config, with the job's derived seeds, augmentation and layout.
train::TrainOptions job_train_options(const config::Config& resolved, const JobData& data);

// Resolves the `device` key; throws Error if CUDA is asked for and unavailable.
torch::Device resolve_device(const config::Config& config);

}  // namespace cwrf::job
