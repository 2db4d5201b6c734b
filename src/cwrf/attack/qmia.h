// Quantile-regression membership inference (Bertran, Tang, Kearns, Morgenstern, Roth & Wu,
// "Scalable membership inference attacks via quantile regression", NeurIPS 2023;
// amazon-science/quantile-mia): no shadow models. A regressor q(x) is trained with the pinball loss
// on known non-members (x, s(x)) to predict, per example, the (1 − α) quantile of the target's score
// s on non-members like x; the attack flags x as a member when s(x) > q_{1−α}(x), so its FPR on
// non-members is about α at every x — one operating point per α.
//
// Here (this project's choices, within the paper's recipe): s = φ, the target's logit-scaled
// confidence of the true class (statistics.h; the reference's default is the hinge z_y − max_{j≠y} z_j),
// averaged over the run's queries; the known non-members are the target's own reference set
// (training-file rows outside the pool that it never saw), queried on the target; the regressor is
// one of this project's models (the CNN by default) with one output per α, trained from scratch by
// the project's trainer (Adam, cosine schedule, no augmentation) on the image alone (the reference can
// also feed it the label); the targets are standardised by their mean and sd for the fit and mapped
// back (the pinball loss is equivariant under that affine map). The score reported for level α is
// s(x) − q_{1−α}(x): threshold 0 is the paper's attack at α, and the ROC of the difference ranks
// examples by how far above their own quantile they score.
//
// Pinball loss (quantile-mia train_utils.py pinball_loss_fn) for level τ = 1 − α and residual
// δ = t − q: max(δ, 0) τ + max(−δ, 0)(1 − τ), averaged over examples and levels.
#pragma once

#include "cwrf/data/batches.h"
#include "cwrf/models/classifier.h"

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace cwrf::attack {

// Mean pinball loss of predictions [B, A] for targets [B] at quantile levels τ_a (A of them).
torch::Tensor pinball_loss(const torch::Tensor& predictions, const torch::Tensor& targets, const torch::Tensor& levels);

struct QuantileRegressionOptions {
  models::ModelSpec spec;  // the regressor's architecture; num_classes is set to the number of levels
  int64_t epochs = 30;
  int64_t batch_size = 32;
  double lr = 1e-3;
  uint64_t seed = 0;       // initialisation and batch order
  bool channels_last = false;
  std::string device = "cpu";
};

struct QuantileRegressor {
  models::ClassifierPtr model;
  std::vector<double> levels;  // τ = 1 − α per output
  double shift = 0.0, scale = 1.0;  // target standardisation: model output o ↦ shift + scale·o
  bool channels_last = false;
  double seconds = 0.0;
  double final_loss = 0.0;     // the last epoch's mean pinball loss (standardised units)
};

// Fits q_τ(x) for each τ in `levels` (each in (0, 1)) to (inputs, targets): inputs model-ready
// [n, ...] (their labels are not used), targets float64 [n]. Error for empty or mismatched data.
QuantileRegressor train_quantile_regressor(const data::Prepared& inputs, const torch::Tensor& targets,
                                           const std::vector<double>& levels, const QuantileRegressionOptions& options);

// Predicted quantiles float64 [n, levels] in the targets' units.
torch::Tensor predict_quantiles(QuantileRegressor& regressor, const torch::Tensor& inputs, int64_t batch_size = 256);

// The mean over queries of φ = z_y − logsumexp_{j≠y} z_j of logits [n, queries, classes], labels int64 [n].
std::vector<double> mean_logit_scaled(const torch::Tensor& logits, const torch::Tensor& labels);

}  // namespace cwrf::attack
