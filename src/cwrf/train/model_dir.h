// A trained model on disk (docs/DESIGN.md "Artifacts"):
//
//   <root>/<model>-<defense>-m<k>-<hash>/
//     config.toml        the effective config (every key resolved; rerunnable with --config)
//     manifest.json      hash, parent hash, data fingerprint, cwrf version, effective config (flat)
//     init.pt            θ_vn: parameters and buffers before the first update (torch.load-able dict)
//     final.pt           the trained parameters and buffers
//     membership.json    split parameters and sizes; the rows themselves in:
//     train_indices.npy  reference_indices.npy  pool.npy  keep.npy (bool [K, P], the whole split)
//     log.jsonl          one JSON object per epoch
//     metrics.json       final metrics (test_acc, train_acc, ... as fractions); written last
//
// The directory is built under a temporary name and renamed when complete, so a
// directory with the final name is always whole; a killed job leaves only a *.tmp-* dir.
#pragma once

#include "cwrf/common/tensor_io.h"
#include "cwrf/config/config.h"
#include "cwrf/models/classifier.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

namespace cwrf::train {

namespace fs = std::filesystem;

// Parameters and buffers by name (buffers: BatchNorm running statistics).
TensorMap model_state(const torch::nn::Module& model);
// Copies `state` into the model. Throws Error naming a missing or mis-shaped entry.
void load_model_state(torch::nn::Module& model, const TensorMap& state, const std::string& origin);

bool is_complete_model_dir(const fs::path& dir);

// Removes <root>/*.tmp-<pid>-* directories left by processes that are no longer running.
void remove_stale_staging_dirs(const fs::path& root);

struct ModelDir {
  fs::path path;
  nlohmann::json manifest;  // as written
  nlohmann::json metrics;
  models::ModelSpec spec;   // resolved, with the data's shape
  std::string hash() const { return manifest.at("hash").get<std::string>(); }
};

// Reads a complete model directory's manifest and metrics. Throws Error naming the directory.
ModelDir open_model_dir(const fs::path& path);
// Builds the model and loads init.pt or final.pt into it.
models::ClassifierPtr load_model(const ModelDir& dir, const std::string& which = "final");

}  // namespace cwrf::train
