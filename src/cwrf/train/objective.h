// A training objective is a plug-in: it turns a batch's logits and labels into the loss
// that is minimised. Cross-entropy is the plain one; the defenses of the paper
// (RelaxLoss, HAMP, CCL, PAST) are objectives too, each one file plus one line in
// objectives/registry.cpp. DP-SGD is not an objective: it changes how gradients are
// formed, so it is a step strategy (see step.h).
#pragma once

#include "cwrf/data/batches.h"
#include "cwrf/models/classifier.h"

#include <torch/types.h>

#include <cstdint>
#include <string>

namespace cwrf::train {

// What an objective may look at before training starts (HAMP builds its soft labels from
// the class count, PAST needs the member set and a held-out non-member set).
struct ObjectiveContext {
  models::Classifier* model = nullptr;
  const data::Prepared* members = nullptr;      // the training set
  const data::Prepared* non_members = nullptr;  // the model's reference set (may be null)
  int64_t num_classes = 0;
  int64_t epochs = 0;
  int64_t steps_per_epoch = 0;
  torch::Device device = torch::kCPU;
};

// One batch as the objective sees it.
struct LossInput {
  const torch::Tensor& logits;     // [B, C], requires grad
  const torch::Tensor& labels;     // int64 [B]
  const torch::Tensor& positions;  // rows of ObjectiveContext::members in this batch
  int64_t epoch = 0;               // 0-based
  int64_t step = 0;                // 0-based global step
  models::Classifier* model = nullptr;
};

class Objective {
 public:
  virtual ~Objective() = default;
  virtual std::string name() const = 0;

  // Called once before the first epoch (and again at the start of fine-tuning).
  virtual void prepare(const ObjectiveContext& context) {}
  // Called at the start of each epoch, before its first batch.
  virtual void begin_epoch(int64_t epoch) {}
  // The scalar loss to minimise for this batch.
  virtual torch::Tensor loss(const LossInput& input) = 0;
};

}  // namespace cwrf::train
