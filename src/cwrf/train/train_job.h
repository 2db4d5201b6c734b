// One model, end to end: resolve the config, load the data and the membership split,
// initialise (θ_vn), train with the configured objective, evaluate, and publish a
// content-addressed model directory (model_dir.h). Used by `cwrf train` and, later, by
// the experiment runner for every target and shadow model.
#pragma once

#include "cwrf/config/config.h"
#include "cwrf/data/dataset.h"
#include "cwrf/data/split.h"
#include "cwrf/train/trainer.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <string>

namespace cwrf::train {

// The dataset and split a job needs; loaded once and shared by jobs with the same data keys.
struct JobData {
  data::TrainTest data;
  data::Normalization normalization;
  std::string fingerprint;  // content hash of the train and test tensors
};
JobData load_job_data(const config::Config& config);

// Fills every key that has a dataset- or model-dependent default (data sizes from the
// Table 4 presets, the model's default width etc., channels_last, augment) so that the
// config alone determines the model. Throws Error for inconsistent values.
void resolve_config(config::Config& config, const JobData& data);

// The split all K models share (depends on data.* sizes, split.models and split.seed only).
data::Split make_job_split(const config::Config& config, const JobData& data);

// The directory name: "<model>-<defense>-m<k>-<hash16>", hash over the canonical config, the
// data fingerprint, and `parent` (the hash of an upstream model, for fine-tuned models).
std::string model_dir_name(const config::Config& resolved, const JobData& data, const std::string& parent = "");
std::string model_hash(const config::Config& resolved, const JobData& data, const std::string& parent = "");

struct TrainJobResult {
  std::filesystem::path dir;
  bool reused = false;  // an identical finished model was found; nothing was trained
  nlohmann::json metrics;
};

struct JobCallbacks {
  TrainCallbacks train;
  std::function<void(const std::string&)> log;  // one human-readable line
};

// Trains (or finds) the model the config describes under `out_root`.
TrainJobResult run_train_job(config::Config config, const std::filesystem::path& out_root,
                             const JobCallbacks& callbacks = {}, const JobData* preloaded = nullptr);

// Sets torch's intra-op threads (DESIGN.md: this LibTorch starts with 1 unless told).
void apply_thread_count(int64_t threads);

// Resolves the `device` key; throws Error if CUDA is asked for and unavailable.
torch::Device resolve_device(const config::Config& config);

}  // namespace cwrf::train
