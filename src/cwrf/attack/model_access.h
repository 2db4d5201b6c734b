// What the attack job gives the families that need more than signals (family.h needs_models): the
// models of the run, their data and their queries. QMIA trains a regressor of its own on a target's
// known non-members, queried on the target; vulnerable.png shows the pool's images.
#pragma once

#include "cwrf/attack/model_set.h"
#include "cwrf/attack/signals.h"
#include "cwrf/config/config.h"
#include "cwrf/data/batches.h"
#include "cwrf/models/classifier.h"

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace cwrf::attack {

class ModelAccess {
 public:
  // `set` must outlive this object. The dataset is loaded on first use (attack_job_data).
  ModelAccess(const ModelSet& set, std::vector<Query> queries, std::string device, int64_t batch_size);

  int64_t models() const { return static_cast<int64_t>(set_.models.size()); }
  const std::vector<Query>& queries() const { return queries_; }
  torch::Device device() const;
  int64_t batch_size() const { return batch_size_; }
  bool image_data();

  // Model m's effective config and architecture.
  config::Config model_config(int64_t model) const;
  models::ModelSpec model_spec(int64_t model) const;

  // The pool, model-ready (normalised images or token ids) with its labels, on the CPU.
  const data::Prepared& pool();
  // The pool's raw images, uint8 [examples, C, H, W] (undefined for text data).
  torch::Tensor pool_images();
  // Model m's known non-members: its reference set (reference_indices.npy), training-file rows outside
  // the pool that it never trained on; model-ready, on the CPU.
  data::Prepared reference_set(int64_t model);
  // Logits float32 [n, queries, classes] of model m (final weights) on model-ready inputs, under the
  // run's queries.
  torch::Tensor logits(int64_t model, const torch::Tensor& inputs);

 private:
  const job::JobData& data();
  const ModelSet& set_;
  std::vector<Query> queries_;
  std::string device_;
  int64_t batch_size_;
  const job::JobData* data_ = nullptr;
  data::Prepared pool_;
};

}  // namespace cwrf::attack
