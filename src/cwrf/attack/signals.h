// Signals: the logits of every pool point under a set of queries (identity, horizontal mirror,
// shifts) for K model directories, in inference mode and batched, cached on disk and reused
// only while the models are the same (docs/ALGORITHMS.md §4 "Statistic", DESIGN.md pipeline).
//
// The cache is a directory holding logits.npy (float32 [models, examples, queries, classes])
// and signals.json, which records for every row the model's signal key: a hash of the model's
// manifest hash, the bytes of its final.pt, the queries, the pool and the data. A row is reused
// only when its key matches, so retraining or editing one model recomputes that model alone.
#pragma once

#include "cwrf/attack/model_set.h"
#include "cwrf/config/config.h"
#include "cwrf/job/job_data.h"
#include "cwrf/models/classifier.h"
#include "cwrf/train/evaluate.h"

#include <torch/types.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace cwrf::attack {

// One query: the image, optionally mirrored left-right and shifted by (dx, dy) pixels
// (right/down positive), the uncovered border filled with zeros in normalised space as the training
// crop pads, or with ":reflect" by reflection about the edge pixel (tf.pad "REFLECT", as the
// ml_privacy_meter RMIA research code pads its queries: the new row next to the edge repeats the
// row beside the edge, |DX|, |DY| < the image size).
struct Query {
  std::string name;  // "identity", "mirror", "shift:1:0", "mirror+shift:-2:1", "shift:1:-1:reflect"
  bool mirror = false;
  int64_t dx = 0, dy = 0;
  bool reflect = false;
  bool is_identity() const { return !mirror && dx == 0 && dy == 0; }
};

// Query presets, expanded where the names are read: "rmia18" is the RMIA research code's 18
// queries (scripts/inference.py, aug = 18): the image and its mirror, each shifted by every
// (dx, dy) in {-1, 0, 1}² with reflection padding.
std::vector<std::string> expand_query_presets(const std::vector<std::string>& names);

// The default query set of a domain: identity and mirror for image models, identity for text
// models (a sentence has no mirror image).
std::vector<std::string> default_queries(const std::string& model_name);
// The default query set for the models of `set` (read from the first model's config.toml).
std::vector<std::string> default_queries(const ModelSet& set);

// Parses names as above, presets expanded (Error naming the bad entry). An empty list is an error.
std::vector<Query> parse_queries(const std::vector<std::string>& names);
// "" when every query suits models of `model_name` (text models take identity only), else why not.
std::string query_domain_problem(const std::vector<Query>& queries, const std::string& model_name);
// images: [B, C, H, W].
torch::Tensor apply_query(const torch::Tensor& images, const Query& query);

struct SignalOptions {
  std::vector<Query> queries;        // default: identity, mirror
  int64_t batch_size = train::kInferenceBatchSize;  // evaluate.h: why 256
  std::filesystem::path cache_dir;   // empty: no cache
  std::string device = "cpu";        // cpu | cuda
  std::function<void(const std::string&)> log;                          // one line per event
  std::function<void(int64_t done, int64_t total, const std::string&)> progress;  // per batch
};

SignalOptions default_signal_options();

struct Signals {
  torch::Tensor logits;  // float32 [models, examples, queries, classes]
  torch::Tensor labels;  // int64 [examples]: the pool points' labels
  int64_t num_classes = 0;
  std::vector<std::string> keys;  // signal key per model
  int64_t computed = 0;           // models whose logits were computed now
  int64_t reused = 0;             // models taken from the cache
  double seconds = 0.0;
};

// Logits float32 [n, queries, classes] of `model` (already on `device`, in eval mode) on model-ready
// inputs [n, ...] (CPU), in inference batches, each query applied to images; progress(batch) after each.
// Error for non-finite logits or another number of outputs than `classes`.
torch::Tensor query_logits(models::Classifier& model, const torch::Tensor& inputs, const std::vector<Query>& queries,
                           int64_t classes, int64_t batch_size, const torch::Device& device, bool channels_last,
                           const std::string& who, const std::function<void()>& progress = {});

// The dataset named by a model's config, loaded once per process and kept for the next attack job
// (a worker's jobs share it): the signals, QMIA and vulnerable.png all read it.
const job::JobData& attack_job_data(const config::Config& model_config);

// The signal key of one model (see above).
std::string signal_key(const ModelSet& set, size_t model, const std::vector<Query>& queries);

// Computes (or reuses) the logits of every model of `set` on its pool. Loads the dataset from
// the first model's config.toml and checks its fingerprint against the manifests.
Signals load_signals(const ModelSet& set, const SignalOptions& options);

}  // namespace cwrf::attack
