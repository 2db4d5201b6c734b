// One model, end to end: resolve the config, load the data and the membership split,
// initialise (θ_vn), train with the configured objective, evaluate, and publish a
// content-addressed model directory (model_dir.h). Used by `cwrf train` and, later, by
// the experiment runner for every target and shadow model.
#pragma once

#include "cwrf/config/config.h"
#include "cwrf/data/dataset.h"
#include "cwrf/data/split.h"
#include "cwrf/train/step.h"
#include "cwrf/train/trainer.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
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
StepContext step_context_for(const config::Config& resolved, int64_t members, int64_t epochs);

// Training options from the config, with the job's derived seeds, augmentation and layout.
TrainOptions job_train_options(const config::Config& resolved, const JobData& data);

// membership.json and the .npy index files of a model directory.
void write_membership_files(const std::filesystem::path& dir, const config::Config& resolved, const ModelSets& sets);

// vocab.json for a text model (the vocabulary its token ids come from, so a reloaded model
// tokenises identically); nothing for images.
void write_vocabulary_file(const std::filesystem::path& dir, const JobData& data);

// manifest.json content for a model directory.
nlohmann::json make_manifest(const std::string& kind, const std::string& hash, const std::string& parent,
                             const config::Config& resolved, const JobData& data, const models::ModelSpec& spec);

// Final metrics (eval-mode loss/accuracy on members, test, reference and validation sets,
// timing, and the step strategy's report) for metrics.json.
nlohmann::json final_metrics(models::Classifier& model, const ModelSets& sets, const TrainOptions& options,
                             const TrainResult& trained, const StepStrategy& step);

// Writes log.jsonl line by line and forwards to the caller's callbacks.
class EpochLog {
 public:
  // With `step`, each line also carries the step strategy's report (DP-SGD: the ε spent so far).
  explicit EpochLog(const std::filesystem::path& path, const StepStrategy* step = nullptr);
  TrainCallbacks wrap(const TrainCallbacks& callbacks);

 private:
  std::filesystem::path path_;
  std::shared_ptr<std::ofstream> out_;
  const StepStrategy* step_ = nullptr;
};

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
