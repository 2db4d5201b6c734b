// A model directory on disk (docs/DESIGN.md "Artifacts"), read and written here only:
//
//   <root>/<model>-<defense>[-<mode>-r<rate>]-m<k>-<hash16>/
//     config.toml        the effective config (every key resolved; rerunnable with --config)
//     manifest.json      kind (trained | cwrf), hash, parent hash, data fingerprint, architecture,
//                        cwrf version, effective config (flat)
//     init.pt            θ_vn: parameters and buffers before the first update (torch.load-able dict)
//     rewound.pt         cwrf only: θ_rw, the state right after the CWRF step, before fine-tuning
//     mask.pt            cwrf only: B_r, the selected weights
//     final.pt           the trained parameters and buffers
//     membership.json    split parameters and sizes; the rows themselves in:
//     train_indices.npy  reference_indices.npy  pool.npy  keep.npy (bool [K, P], the whole split)
//     vocab.json         text models: the vocabulary the token ids come from
//     log.jsonl          one JSON object per epoch (DP-SGD: with the ε spent so far)
//     profile.md/.json   with `profile = true`: where training's time went (train/op_profile.h)
//     metrics.json       final metrics (test_acc, train_acc, ... as fractions); written last
//
// The name's hash covers everything that determines the model (its hashed config keys, the
// data fingerprint, the parent's hash), so a rerun finds finished work and a changed config
// never reuses a stale model. The directory is built under a temporary name and renamed when
// complete, so a directory with the final name is always whole; a killed job leaves only a
// *.tmp-* directory, removed by the next job once its process is gone.
#pragma once

#include "cwrf/common/tensor_io.h"
#include "cwrf/config/config.h"
#include "cwrf/job/job_data.h"
#include "cwrf/models/classifier.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

namespace cwrf::job {

namespace fs = std::filesystem;

// ---- Reading ----

bool is_complete_model_dir(const fs::path& dir);

struct ModelDir {
  fs::path path;
  nlohmann::json manifest;  // as written
  nlohmann::json metrics;
  models::ModelSpec spec;   // resolved, with the data's shape
  std::string hash() const { return manifest.at("hash").get<std::string>(); }
  std::string name() const { return path.filename().string(); }
};

// Reads a complete model directory's manifest and metrics. Throws Error naming the directory.
ModelDir open_model_dir(const fs::path& path);
// Builds the model and loads init.pt or final.pt into it.
models::ClassifierPtr load_model(const ModelDir& dir, const std::string& which = "final");
// The model's effective config (from its manifest), e.g. to derive a model from it.
config::Config model_config(const ModelDir& dir);

// ---- Naming ----

// Hash over the canonical config, the data fingerprint, and `parent` (the hash of an upstream
// model, for derived models).
std::string model_hash(const config::Config& resolved, const std::string& data_fingerprint, const std::string& parent = "");
// "<model>-<defense>-m<k>-<hash16>"; derived (CWRF) models add "-<mode>-r<rate %>" after the defense.
std::string model_dir_name(const config::Config& resolved, const std::string& hash, bool derived);

// ---- Writing ----

// Builds a model directory under a staging name; publish() renames it into place. Destroyed
// unpublished (an exception on the way), it removes the staging directory.
class ModelDirWriter {
 public:
  explicit ModelDirWriter(const fs::path& final_dir);
  ~ModelDirWriter();
  ModelDirWriter(const ModelDirWriter&) = delete;
  ModelDirWriter& operator=(const ModelDirWriter&) = delete;

  const fs::path& staging() const { return staging_; }
  void write_manifest(const std::string& kind, const std::string& hash, const std::string& parent,
                      const config::Config& resolved, const JobData& data, const models::ModelSpec& spec);
  void write_config(const config::Config& resolved);
  void write_tensors(const std::string& file, const TensorMap& tensors);
  void write_membership(const config::Config& resolved, const ModelSets& sets);
  void write_vocabulary(const JobData& data);  // text models only; nothing for images
  void write_metrics(const nlohmann::json& metrics);  // metrics.json
  void write_json(const std::string& file, const nlohmann::json& value);
  void write_text(const std::string& file, const std::string& text);
  void publish();

 private:
  fs::path final_, staging_;
  bool published_ = false;
};

// Removes <root>/*.tmp-<host>-<pid>-* directories left by processes of this host that are no
// longer running (another host's are left alone: on a shared filesystem its owner may be alive).
void remove_stale_staging_dirs(const fs::path& root);

}  // namespace cwrf::job
